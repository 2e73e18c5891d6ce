"""Evidence (佐证材料): receiving files for an item, listing them, sending them back (R25).

How a file becomes evidence (private chats, contacts, leaders and inspectors of the item):

- a document or photo whose caption starts with an item id (``HZ-007`` or ``HZ-007 会议记录``);
  the other files of the same album (media group) without a caption go to the same item;
- any document or photo sent after pressing 📎 佐证 on a card (a conversation: several files
  in a row, ``/done`` or 完成 to finish, ``/cancel``, a timeout; 申请销号 right from the
  answer). A caption naming another item wins.

Each file is checked *before* anything is downloaded: the item must be one the sender may see
and add evidence to (R22), a document's extension (or, without one, its MIME type) must be in
``[workflow] evidence_types`` — photos are always accepted — and its size at most
``evidence_max_mb`` × 1,000,000 bytes (so 20,000,001 bytes is refused with the default 20). A
file Telegram already knows as attached (same ``file_unique_id``) is not fetched again. Then
``getFile``, the bytes, a durable copy in ``<data>/evidence/<UNIT>/<ITEM>/`` (storage.evidence)
and the ``add_evidence`` event with file id, unique id, name, size, sha256 and the copy's
path. The same content twice is refused as already uploaded ("这份材料已上传过"), and a copy
made for a refused upload is removed again.

``/evidence ID`` lists an item's files (paged) with a button per file (``ev:<ITEM>:<n>``)
that sends it again: by Telegram file id, as a photo if it was one, else from the local copy.
"""

from __future__ import annotations

import logging
import mimetypes
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from telegram import InlineKeyboardButton, InputFile, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from app.actions import Inputs
from app.evidence import (
    StoredEvidence,
    discard_evidence,
    resolve,
    save_evidence,
    shown_name,
)
from app.services import Services
from handlers.acting import CardRef, card_of, explain, perform, redraw_card
from handlers.buttons import button, card_button, parse
from handlers.common import Who, for_roles, reply_text, send, stale_button, to_plain, who_is
from handlers.conversation import FlowState, conversation, flows_of, is_cancel, known
from handlers.queries import (
    example_id,
    find_item,
    page_markup,
    private_only,
    register_pager,
)
from handlers.render import (
    Names,
    Page,
    clamp_page,
    enable_card_actions,
    format_datetime,
    join,
    keyboard,
    one_line,
    paginate,
)
from handlers.workflow import direct_from_card
from ledger import evidence as accepted
from ledger.access import Action, authorize, may
from ledger.dates import item_ids_in, normalise_item_id, normalise_text
from ledger.errors import AlreadyDone, LedgerError
from ledger.evidence import MB
from ledger.model import Evidence, Item
from ledger.workflow import NewEvidence
from locales import Html

log = logging.getLogger(__name__)

END = ConversationHandler.END
AWAITING = 1
FLOW = "evidence"
PENDING_KEY = "evidence.pending"
ALBUMS_KEY = "evidence.albums"
ALBUMS_KEPT = 200  # recent media groups remembered (their later files have no caption)
LABEL_MAX = 28  # a file's name on its button
NAME_MAX = 60  # a file's name in a list or a confirmation
EXT_MAX = 16  # a refused file's extension (it comes from a name of any length)
DONE_WORDS = frozenset({"完成", "好了", "发完了", "结束", "done", "ok", "/done"})

Context = ContextTypes.DEFAULT_TYPE


# =========================================================================== offered files


@dataclass(frozen=True)
class Offered:
    """A file someone sent, as Telegram describes it (nothing downloaded yet)."""

    file_id: str
    file_unique_id: str
    name: str
    size: int | None
    mime: str
    photo: bool

    @property
    def extension(self) -> str:
        """Lower-case, without the dot: from the name, else from the MIME type; ``""``."""
        suffix = PurePosixPath(self.name.strip().lower()).suffix.lstrip(".")
        if suffix:
            return suffix
        guessed = mimetypes.guess_extension(self.mime or "") or ""
        return guessed.lstrip(".").lower()


def offered_file(message: Message, services: Services) -> Offered | None:
    """The document or photo (its largest size) of ``message``, or ``None``."""
    stamp = f"{message.date.astimezone(services.config.tz):%Y%m%d_%H%M%S}"
    document = message.document
    if document is not None:
        mime = (document.mime_type or "").lower()
        # Telegram may omit the name; one is made up (with the MIME type's extension) so the
        # record, the copy and the re-sent file are never nameless.
        # Bidi controls, a NUL or line breaks never reach a reply or the ledger (shown_name).
        name = shown_name(document.file_name) or (
            f"document_{stamp}{mimetypes.guess_extension(mime) or ''}"
        )
        return Offered(
            document.file_id, document.file_unique_id, name, document.file_size, mime, False
        )
    if message.photo:
        largest = message.photo[-1]
        return Offered(
            largest.file_id,
            largest.file_unique_id,
            photo_name(message.caption, stamp),
            largest.file_size,
            "image/jpeg",
            photo=True,
        )
    return None


PHOTO_NAME_MAX = 40  # characters of a caption kept as a photo's name


def photo_name(caption: str | None, stamp: str) -> str:
    """A photo's name: Telegram sends photos without one, so the words of its caption after
    the item id (``HZ-003 整改前现场照片`` → ``整改前现场照片_<stamp>.jpg``) name it — the person
    named it there; a caption that is only the id (or none) gives ``photo_<stamp>.jpg``."""
    words = normalise_text(caption or "").split()
    if words and normalise_item_id(words[0]) is not None:
        words = words[1:]
    text = "".join(ch for ch in " ".join(words) if ch.isalnum() or ch in "-_（）()·")
    text = shown_name(text[:PHOTO_NAME_MAX])
    return f"{text}_{stamp}.jpg" if text else f"photo_{stamp}.jpg"


def caption_item(message: Message) -> str | None:
    """The item id a caption names: the one it starts with (``HZ-007 会议记录`` → ``HZ-007``),
    else the only one written inside it (``HZ-003的会议纪要``, ``这是 HZ-3 的签到表``);
    ``None`` when it names none, or two different ones (which one would be a guess)."""
    words = normalise_text(message.caption or "").split()
    if words and normalise_item_id(words[0]) is not None:
        return words[0]
    inside = item_ids_in(message.caption or "")
    return inside[0] if len(inside) == 1 else None


def size_text(size: int) -> str:
    """``1.2 MB`` / ``350 KB`` / ``12 B`` (decimal units, as the limit is counted)."""
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= 1000:
        return f"{size / 1000:.0f} KB"
    return f"{size} B"


def refusal(who: Who, offered: Offered) -> Html | None:
    """Why ``offered`` is refused before any download (type, size), or ``None`` (R25)."""
    workflow = who.services.config.workflow
    allowed = workflow.evidence_types
    why = accepted.refusal(
        offered.extension,
        offered.size,
        photo=offered.photo,
        allowed=allowed,
        max_mb=workflow.evidence_max_mb,
    )
    if why is accepted.Refusal.TYPE:
        return who.t(
            "evidence.refused.type",
            ext=one_line(offered.extension, EXT_MAX) or "?",
            name=one_line(offered.name, NAME_MAX) or "—",
            allowed=who.plain("workflow.separator").join(allowed),
        )
    if why is accepted.Refusal.SIZE:
        return too_big(who, offered.size)
    return None


def too_big(who: Who, size: int | None) -> Html:
    max_mb = who.services.config.workflow.evidence_max_mb
    shown = size_text(size) if size is not None else "?"
    return who.t("evidence.refused.size", size=shown, max=max_mb)


def evidence_root(services: Services) -> Path:
    """The data directory evidence copies live under."""
    layout = services.store.layout
    return layout.root if layout is not None else services.config.data_dir


# =========================================================================== receiving


async def receive(
    update: Update, context: Context, who: Who, typed_id: str, card: CardRef | None = None
) -> bool:
    """Check, fetch, keep and record one file of ``update`` as evidence of ``typed_id``, and
    answer. True if it was recorded."""
    message = update.effective_message
    person = who.person
    assert message is not None and person is not None
    services = who.services
    offered = offered_file(message, services)
    if offered is None:
        return False
    item_id: str | None = None
    try:
        item = find_item(who, typed_id)
        item_id = item.id
        authorize(item, person, Action.ADD_EVIDENCE, services.rules)
    except LedgerError as error:
        await send(update, explain(who, error, item_id))
        return False
    remember_album(context, message, item.id)
    refused = refusal(who, offered)
    if refused is None:
        refused = already_attached(who, item, offered)
    if refused is not None:
        await send(update, refused)
        return False
    data = await fetch(update, context, who, offered)
    if data is None:
        return False
    try:
        stored = await services.store.run(
            save_evidence, evidence_root(services), item.unit, item.id, offered.name, data
        )
    except OSError:
        log.exception("could not keep the evidence copy of %s", item.id)
        await send(update, who.t("evidence.save_failed"))
        return False
    evidence = NewEvidence(
        file_id=offered.file_id,
        name=offered.name,
        size=len(data),
        sha256=stored.sha256,
        file_unique_id=offered.file_unique_id,
        stored_path=stored.path,
    )
    try:
        done = await perform(who, item.id, Action.ADD_EVIDENCE, Inputs(evidence=evidence))
    except AlreadyDone as error:
        await _forget(services, stored)
        await send(update, duplicate(who, item.id, error.params.get("by"), error.params.get("at")))
        return False
    except LedgerError as error:
        await _forget(services, stored)
        await send(update, explain(who, error, item.id))
        return False
    if card is not None:
        await redraw_card(context, who, done.item, card)
    await send(
        update,
        received_text(who, done.item, offered.name, len(data)),
        after_markup(who, done.item),
    )
    return True


def already_attached(who: Who, item: Item, offered: Offered) -> Html | None:
    """The "already uploaded" answer when Telegram's unique id shows the file is attached."""
    old = accepted.attached(item, offered.file_unique_id)
    return None if old is None else duplicate(who, item.id, old.by, old.at)


def duplicate(who: Who, item_id: str, by: object, at: object) -> Html:
    """ "这份材料已上传过" with who uploaded it and when (as far as known)."""
    names = Names(who.services, who.words)
    when = format_datetime(who.words, at) if isinstance(at, datetime) else "—"
    who_name = names(by) if isinstance(by, int) else "—"
    return who.t("evidence.duplicate", item_id=item_id, who=who_name, when=when)


async def fetch(update: Update, context: Context, who: Who, offered: Offered) -> bytes | None:
    """The file's bytes (a refusal or failure is answered and gives ``None``)."""
    chat = update.effective_chat
    try:
        if chat is not None:
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        remote = await context.bot.get_file(offered.file_id)
        data = bytes(await remote.download_as_bytearray())
    except BadRequest as error:
        if "too big" in error.message.lower():
            await send(update, too_big(who, offered.size))
            return None
        log.warning("could not fetch evidence file %s: %s", offered.file_unique_id, error)
        await send(update, who.t("evidence.fetch_failed"))
        return None
    except TelegramError as error:
        log.warning("could not fetch evidence file %s: %s", offered.file_unique_id, error)
        await send(update, who.t("evidence.fetch_failed"))
        return None
    if accepted.too_big(len(data), who.services.config.workflow.evidence_max_mb):
        await send(update, too_big(who, len(data)))  # Telegram did not say; the bytes did
        return None
    return data


async def _forget(services: Services, stored: StoredEvidence) -> None:
    if stored.created:
        await services.store.run(discard_evidence, evidence_root(services), stored.path)


def received_text(who: Who, item: Item, name: str, size: int) -> Html:
    return who.t(
        "evidence.received",
        item_id=item.id,
        name=one_line(name, NAME_MAX),
        size=size_text(size),
        count=len(item.evidence),
    )


def after_markup(who: Who, item: Item) -> Any:
    """申请销号 (when the sender may submit now) and the card button."""
    person = who.person
    assert person is not None
    row: list[InlineKeyboardButton] = []
    if may(item, person, Action.SUBMIT, who.services.rules):
        row.append(button(who.plain("workflow.button.submit"), "do", "submit", item.id))
    row.append(card_button(who.plain("workflow.button.card", item_id=item.id), item.id))
    return keyboard([row])


# =========================================================================== albums


def _albums(holder: Any) -> OrderedDict[str, tuple[int, str]]:
    bot_data: dict[str, Any] = holder.bot_data
    albums = bot_data.get(ALBUMS_KEY)
    if not isinstance(albums, OrderedDict):
        albums = bot_data[ALBUMS_KEY] = OrderedDict()
    return albums


def remember_album(context: Context, message: Message, item_id: str) -> None:
    """The album (media group) of ``message`` belongs to ``item_id``: its uncaptioned files
    that follow are evidence of the same item."""
    group = message.media_group_id
    user = message.from_user
    if not group or user is None:
        return
    albums = _albums(context)
    albums[group] = (user.id, item_id)
    albums.move_to_end(group)
    while len(albums) > ALBUMS_KEPT:
        albums.popitem(last=False)


class _Captioned(filters.MessageFilter):
    """A document or photo whose caption starts with an item id."""

    def filter(self, message: Message) -> bool:
        return bool(message.document or message.photo) and caption_item(message) is not None


class _AlbumFollower(filters.MessageFilter):
    """An uncaptioned document or photo of an album whose first file named an item."""

    def __init__(self, albums: OrderedDict[str, tuple[int, str]]) -> None:
        super().__init__(name="album_follower")
        self._albums = albums

    def filter(self, message: Message) -> bool:
        group = message.media_group_id
        user = message.from_user
        if not group or user is None or not (message.document or message.photo):
            return False
        known_group = self._albums.get(group)
        return known_group is not None and known_group[0] == user.id


def target_of(context: Context, message: Message) -> str | None:
    """The item a file is for: its caption's id, else its album's item."""
    typed = caption_item(message)
    if typed is not None:
        return typed
    group = message.media_group_id
    found = _albums(context).get(group) if group else None
    return found[1] if found is not None else None


@for_roles()
async def on_captioned(update: Update, context: Context, who: Who) -> None:
    """A file with an item id in its caption (or following one in its album)."""
    message = update.effective_message
    if message is None or not await private_only(update, who):
        return
    typed = target_of(context, message)
    if typed is not None:
        await receive(update, context, who, typed)


# =========================================================================== the 佐证 flow


@dataclass(frozen=True)
class Awaiting:
    """Files are awaited for ``item_id`` (from the card ``card``); ``received`` so far."""

    item_id: str
    card: CardRef | None = None
    received: int = 0


UPLOAD = FlowState(FLOW, PENDING_KEY, Awaiting)
"""The item files are awaited for, while the upload lasts."""


@known
async def ask_files(update: Update, context: Context, who: Who) -> object:
    """A card's 📎 佐证: wait for files for that item."""
    query = update.callback_query
    data = parse(query.data if query is not None else None)
    item_id = data.args[1] if data is not None and len(data.args) == 2 else ""
    if normalise_item_id(item_id) != item_id:
        await stale_button(update, who)
        return END
    if not await private_only(update, who):
        return END
    person = who.person
    assert person is not None and context.user_data is not None
    try:
        item = find_item(who, item_id)
        authorize(item, person, Action.ADD_EVIDENCE, who.services.rules)
    except LedgerError as error:
        await reply_text(update, who, explain(who, error, item_id))
        return END
    replaced = UPLOAD.start(context, who.user.id, Awaiting(item.id, card_of(update)))
    if query is not None:
        await query.answer()
    max_mb = who.services.config.workflow.evidence_max_mb
    lines = [who.t("evidence.ask", item_id=item.id, max=max_mb)]
    if replaced is not None:
        lines.append(who.t("workflow.replaced"))
    await send(update, join(lines))
    return AWAITING


@known
async def on_file(update: Update, context: Context, who: Who) -> object:
    """A file while waiting: evidence of the awaited item (or of the one its caption names)."""
    message = update.effective_message
    awaiting = UPLOAD.get(context)
    if message is None or awaiting is None:
        UPLOAD.finish(context, who.user.id)
        return END
    typed = caption_item(message) or awaiting.item_id
    card = awaiting.card if normalise_item_id(typed) == awaiting.item_id else None
    if await receive(update, context, who, typed, card):
        UPLOAD.keep(context, replace(awaiting, received=awaiting.received + 1))
    return None  # keep waiting: more files may follow


@known
async def on_text(update: Update, context: Context, who: Who) -> object:
    """Text while waiting for files: 完成 / 取消, or a reminder of what is expected."""
    message = update.effective_message
    text = message.text if message is not None else ""
    if is_cancel(text):
        return await finished(update, context, who, cancelled=True)
    if normalise_text(text or "").strip("。.!！").lower() in DONE_WORDS:
        return await finished(update, context, who)
    awaiting = UPLOAD.get(context)
    item_id = awaiting.item_id if awaiting is not None else example_id(who)
    await send(update, who.t("evidence.still_waiting", item_id=item_id))
    return None


@known
async def on_done(update: Update, context: Context, who: Who) -> object:
    """/done: no more files."""
    return await finished(update, context, who)


@known
async def on_cancel(update: Update, context: Context, who: Who) -> object:
    """/cancel while waiting for files."""
    return await finished(update, context, who, cancelled=True)


async def finished(
    update: Update, context: Context, who: Who, *, cancelled: bool = False
) -> object:
    awaiting = UPLOAD.finish(context, who.user.id)
    if awaiting is None:
        await send(update, who.t("workflow.cancel_idle"))
        return END
    if awaiting.received == 0:
        key = "evidence.cancelled" if cancelled else "evidence.none_received"
        await send(update, who.t(key, item_id=awaiting.item_id))
        return END
    try:
        item = find_item(who, awaiting.item_id)
    except LedgerError:
        return END
    text = who.t(
        "evidence.finished", item_id=item.id, received=awaiting.received, count=len(item.evidence)
    )
    await send(update, text, after_markup(who, item))
    return END


@known
async def submit_now(update: Update, context: Context, who: Who) -> object:
    """申请销号 pressed while files are awaited: the files are done; submit."""
    UPLOAD.finish(context, who.user.id)
    await direct_from_card(update, context)
    return END


async def on_timeout(update: Update, context: Context) -> None:
    """No file for a while: stop waiting (and say so), unless another flow took over."""
    who = who_is(update, context)
    awaiting = UPLOAD.timed_out(context, who.user.id if who is not None else None)
    if who is None or awaiting is None:
        return
    key = "evidence.timeout_some" if awaiting.received else "evidence.timeout"
    try:
        await send(update, who.t(key, item_id=awaiting.item_id, received=awaiting.received))
    except TelegramError as error:
        log.info("could not tell user %s the upload timed out: %s", who.user.id, error)


# =========================================================================== /evidence


def evidence_line(who: Who, names: Names, n: int, evidence: Evidence) -> Html:
    return who.t(
        "evidence.line",
        n=n,
        name=one_line(evidence.name or "—", NAME_MAX),
        size=size_text(evidence.size),
        when=format_datetime(who.words, evidence.at),
        who=names.with_role(evidence.by),
    )


def draw_evidence(who: Who, item: Item, page: int) -> Page:
    """Page ``page`` of an item's evidence list, with a re-send button per file."""
    person = who.person
    assert person is not None
    names = Names(who.services, who.words)
    files = item.evidence
    lines = [
        # files sent before the last reopen (反弹) are the previous round's: marked so
        (who.t("rounds.earlier_mark") if n <= item.evidence_from else "")
        + evidence_line(who, names, n, e)
        for n, e in enumerate(files, start=1)
    ]
    pages = paginate(lines, who.services.config.workflow.page_size)
    page = clamp_page(page, len(pages))
    shown = pages[page - 1]
    head = who.t("evidence.header", item_id=item.id, count=len(files))
    if item.evidence_from:
        head = join([head, who.t("rounds.header_note", earlier=item.evidence_from)])
    if not files:
        body = who.t("evidence.empty", item_id=item.id)
    else:
        body = join(["\n".join(lines[i] for i in shown), "", who.t("evidence.tap_hint")])
    buttons = (
        [
            button(
                who.plain(
                    "evidence.button.file", n=i + 1, name=one_line(files[i].name, LABEL_MAX)
                ),
                "ev",
                item.id,
                i + 1,
            )
            for i in shown
        ]
        if files
        else []
    )
    markup = page_markup(buttons, "evid", item.id, page, len(pages))
    rows = [list(row) for row in (markup.inline_keyboard if markup is not None else ())]
    extra: list[InlineKeyboardButton] = []
    if may(item, person, Action.ADD_EVIDENCE, who.services.rules):
        extra.append(button(who.plain("evidence.button.upload"), "do", "add_evidence", item.id))
    extra.append(card_button(who.plain("workflow.button.card", item_id=item.id), item.id))
    rows.append(extra)
    return Page(join([head, "", body]), keyboard(rows))


def _evidence_pager(who: Who, args: tuple[str, ...], scope: str, page: int) -> Page | None:
    if args:
        return None
    try:
        item = find_item(who, scope)
    except LedgerError:
        return None
    return draw_evidence(who, item, page)


@for_roles()
async def evidence_command(update: Update, context: Context, who: Who) -> None:
    """/evidence ID: an item's evidence files, each with a button to get it again."""
    args = context.args or []
    if len(args) != 1:
        await send(update, who.t("evidence.usage", example=example_id(who)))
        return
    if not await private_only(update, who):
        return
    item = find_item(who, args[0])
    page = draw_evidence(who, item, 1)
    await send(update, page.text, page.keyboard)


@for_roles()
async def resend_callback(update: Update, context: Context, who: Who) -> None:
    """``ev:<ITEM>:<n>``: send evidence file ``n`` of the item again."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    number = data.args[1] if data is not None and len(data.args) == 2 else ""
    item_id = data.args[0] if data is not None and data.args else ""
    if normalise_item_id(item_id) != item_id or not number.isdecimal() or len(number) > 4:
        await stale_button(update, who)
        return
    if not await private_only(update, who):
        return
    item = find_item(who, item_id)  # R22: another unit's answers like a missing one
    n = int(number)
    if not 1 <= n <= len(item.evidence):
        await stale_button(update, who)
        return
    chat = update.effective_chat
    assert chat is not None
    if await send_file(context, who, chat.id, item, n):
        await query.answer()
    else:
        await query.answer(to_plain(who.t("evidence.gone", n=n, item_id=item.id)), show_alert=True)


async def send_file(context: Context, who: Who, chat_id: int, item: Item, n: int) -> bool:
    """Send evidence ``n`` of ``item`` to ``chat_id``: by file id as a document, else as a
    photo, else the local copy. False if none of them worked."""
    evidence = item.evidence[n - 1]
    caption = who.t(
        "evidence.caption", item_id=item.id, n=n, name=one_line(evidence.name, NAME_MAX)
    )
    bot = context.bot
    try:
        await bot.send_document(
            chat_id, evidence.file_id, caption=caption, parse_mode=ParseMode.HTML
        )
        return True
    except BadRequest as error:
        log.info("evidence %s/%s not re-sent as a document: %s", item.id, n, error)
    try:
        await bot.send_photo(chat_id, evidence.file_id, caption=caption, parse_mode=ParseMode.HTML)
        return True
    except BadRequest as error:
        log.info("evidence %s/%s not re-sent as a photo: %s", item.id, n, error)
    path = (
        resolve(evidence_root(who.services), evidence.stored_path)
        if evidence.stored_path
        else None
    )
    if path is None or not path.is_file():
        return False
    data = await who.services.store.run(path.read_bytes)
    await bot.send_document(
        chat_id,
        InputFile(data, filename=evidence.name or path.name),
        caption=caption,
        parse_mode=ParseMode.HTML,
    )
    return True


# =========================================================================== registration


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The 佐证 flow, captioned files and albums, /evidence, ``ev:`` buttons, the card button.
    Register before the spreadsheet import: its filter leaves item-id captions to this one."""
    flows = flows_of(app)
    mine = flows.owns(FLOW)
    files = filters.Document.ALL | filters.PHOTO
    private = filters.ChatType.PRIVATE
    app.add_handler(
        conversation(
            app,
            FLOW,
            entry_points=[CallbackQueryHandler(ask_files, pattern=r"^do:add_evidence:")],
            states={
                AWAITING: [
                    MessageHandler(files & mine, on_file),
                    CommandHandler("done", on_done, filters=mine),
                    MessageHandler(filters.TEXT & ~filters.COMMAND & mine, on_text),
                    CallbackQueryHandler(submit_now, pattern=r"^do:submit:"),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("cancel", on_cancel, filters=mine)],
        )
    )
    albums = _albums(app)
    app.add_handler(
        MessageHandler(private & files & (_Captioned() | _AlbumFollower(albums)), on_captioned)
    )
    app.add_handler(CommandHandler("evidence", evidence_command))
    app.add_handler(CallbackQueryHandler(resend_callback, pattern=r"^ev:"))
    register_pager(app, "evid", _evidence_pager)
    enable_card_actions(app.bot_data, {Action.ADD_EVIDENCE: "evidence.button.upload"})


__all__ = [
    "MB",
    "Offered",
    "caption_item",
    "draw_evidence",
    "offered_file",
    "receive",
    "refusal",
    "register",
    "size_text",
]
