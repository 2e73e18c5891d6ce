"""台账 in and out through the chat (DESIGN §7): .xlsx uploads with a preview and 确认导入,
and ``/export [CODE]``.

Import (inspectors, private chat): a document named ``*.xlsx`` (or sent with the .xlsx MIME
type) whose caption is not an item id — a caption that is one makes the file evidence, which
the workflow feature handles — is checked against the size limit *before* it is fetched
(nothing over ``storage.xlsx_import.MAX_BYTES`` is downloaded, R25), downloaded into memory,
read with ``read_ledger`` on a worker thread and met with the ledgers (``preview_import``).
Problems are listed (at most 20, then a count) and nothing changes; a good file gets a preview
with 确认导入 / 取消 buttons (``ok:<token>`` / ``no:<token>``). The plan waits in memory under a
random token bound to the inspector, for :data:`PENDING_TTL`; one per inspector (a new upload
replaces it). Pressing 确认 takes the token first, so a second press — or a forged, expired or
someone else's token — gets the "expired" toast and changes nothing. Other spreadsheet types
(.xls, .csv …) are refused before download with how to convert them.

Contacts and leaders who send an .xlsx without an item id get a hint that evidence needs the
item id in the caption; unknown people get the refusal (R21).

``/export [CODE]``: inspectors get every unit or the one named; contacts and leaders their own
unit only (another code answers like a unit that does not exist, R22). The workbook comes from
``storage.xlsx_export.export_ledger`` in the person's language, built on a worker thread.

Reading, previewing, importing and exporting are ``app.imports`` / ``app.exports``, shared
with the shell commands ``bot.py import|export`` (``cli.py``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from app import imports
from app.exports import export_bytes
from app.imports import (
    MAX_BYTES,
    ImportErrors,
    ImportOutcome,
    ImportPlan,
    ImportRefused,
    UnresolvedUnits,
    read_workbook,
)
from handlers import excel_text
from handlers.buttons import button, parse
from handlers.common import Who, edit_or_send, for_roles, send
from handlers.queries import ALL, private_only, resolve_scope
from handlers.render import format_day
from ledger.calendar import local_date
from ledger.dates import normalise_item_id, normalise_text
from ledger.model import Role, Unit, valid_unit_code
from locales import Catalog, Html

log = logging.getLogger(__name__)

PENDING_KEY = "excel.pending"  # bot_data: token -> Pending
PENDING_TTL = timedelta(minutes=30)
TOKEN_PREFIX = "imp"  # ok:imp… / no:imp… are this module's; other confirmations differ
YES = frozenset({"y", "yes", "是", "确认", "好"})  # answers to the shell's "import it?"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_MIME = "application/vnd.ms-excel"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What a 台账 arrives as: .xlsx, .xls (Excel 97–2003, WPS) and a .docx 整改方案 whose annex
# is the 台账 table.
LEDGER_SUFFIXES = frozenset({".xlsx", ".xls", ".docx"})
LEDGER_MIMES = frozenset({XLSX_MIME, XLS_MIME, DOCX_MIME})
# Spreadsheets we do not read: refused before download, with how to convert them.
OTHER_SHEETS = frozenset({".xlsm", ".xlsb", ".xltx", ".csv", ".ods", ".et", ".ett"})
OTHER_SHEET_MIMES = frozenset(
    {
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv",
    }
)


# --------------------------------------------------------------------------- shared helpers


def export_file_name(catalog: Catalog, lang: str, code: str | None, today: date) -> str:
    """``整改台账_<CODE or 全部>_<YYYYMMDD>.xlsx``."""
    scope = code or catalog.plain(lang, "excel.export.file_scope_all")
    return catalog.plain(
        lang, "excel.export.file_name", scope=scope, date=today.strftime("%Y%m%d")
    )


def units_of(who: Who, requested: str | None) -> list[Unit]:
    """The units ``who`` may export or chart: see ``handlers.queries.resolve_scope`` (an
    unknown or foreign code raises ``UnknownUnit``)."""
    registry = who.services.store.registry
    scope = resolve_scope(who, requested)
    if scope == ALL:
        return registry.list_units()
    unit = registry.get_unit(scope)
    return [unit] if unit is not None else []


def caption_unit(caption: str | None) -> str | None:
    """The unit code a ledger's caption names (``DL`` / ``dl 东岭县局``), or None."""
    words = normalise_text(caption or "").split(" ", 1)
    code = words[0].upper() if words and words[0] else ""
    return code if valid_unit_code(code) else None


# --------------------------------------------------------------------------- pending imports


@dataclass(frozen=True)
class Pending:
    """A previewed plan waiting for its inspector's 确认."""

    token: str
    user_id: int
    plan: ImportPlan
    file_name: str
    expires: datetime
    # while units are being picked: the plan as read, and the unit chosen for each name
    raw: ImportPlan | None = None
    chosen: tuple[tuple[str, str], ...] = ()
    asked: tuple[str, ...] = ()  # the unit names the last question offered, by index


def _pending(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Pending]:
    found = context.bot_data.setdefault(PENDING_KEY, {})
    assert isinstance(found, dict)
    return found


def _remember(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    plan: ImportPlan,
    name: str,
    now: datetime,
    **picking: Any,
) -> str:
    """Keep ``plan`` for ``user_id`` under a fresh token, dropping expired plans and the
    user's previous one (its buttons then answer "expired")."""
    pending = _pending(context)
    for token, old in list(pending.items()):
        if old.expires <= now or old.user_id == user_id:
            del pending[token]
    token = TOKEN_PREFIX + secrets.token_urlsafe(16)
    pending[token] = Pending(token, user_id, plan, name, now + PENDING_TTL, **picking)
    return token


def _minutes() -> int:
    return int(PENDING_TTL.total_seconds() // 60)


# --------------------------------------------------------------------------- uploads


class _LedgerUpload(filters.MessageFilter):
    """A spreadsheet document whose caption does not start with an item id."""

    def filter(self, message: Message) -> bool:
        document = message.document
        if document is None:
            return False
        caption = (message.caption or "").split()
        if caption and normalise_item_id(caption[0]) is not None:
            return False  # evidence for that item (the workflow feature)
        return _is_xlsx(document.file_name, document.mime_type) or _is_other_sheet(
            document.file_name, document.mime_type
        )


def _suffix(name: str | None) -> str:
    return PurePosixPath((name or "").strip().lower()).suffix


def _is_xlsx(name: str | None, mime: str | None) -> bool:
    """A file the importer reads (.xlsx, .xls, .docx: by name, else by MIME type)."""
    return _suffix(name) in LEDGER_SUFFIXES or (
        (mime or "").lower() in LEDGER_MIMES
        and not _is_other_sheet(name, None)
        and _suffix(name) in ("", ".xlsx", ".xls", ".docx")
    )


def _is_other_sheet(name: str | None, mime: str | None) -> bool:
    return _suffix(name) in OTHER_SHEETS or (mime or "").lower() in OTHER_SHEET_MIMES


READING_KEY = "excel.reading"  # bot_data: the upload tasks still running


async def on_upload_apart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """:func:`on_upload`, run apart from the other updates (``block=False``) and tracked so
    that :func:`uploads_done` can wait for it."""
    running: set[asyncio.Task[Any]] = context.application.bot_data.setdefault(READING_KEY, set())
    task = asyncio.current_task()
    assert task is not None  # PTB runs a non-blocking callback as a task
    running.add(task)
    try:
        await on_upload(update, context)
    finally:
        running.discard(task)


async def uploads_done(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Wait until every upload being handled apart has been answered (for callers that must
    know the bot is idle, e.g. tests driving it update by update)."""
    running: set[asyncio.Task[Any]] = app.bot_data.get(READING_KEY, set())
    while running:
        await asyncio.gather(*list(running), return_exceptions=True)


@for_roles()
async def on_upload(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """An .xlsx from an inspector: check, read, preview; from others, a hint."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    if not who.is_inspector:
        example = f"{who.person.unit if who.person and who.person.unit else 'HZ'}-001"
        await send(update, who.t("excel.import.contact_hint", example=example))
        return
    name = document.file_name or "台账.xlsx"
    shown = excel_text.clip(name)
    if not _is_xlsx(document.file_name, document.mime_type):
        await send(update, who.t("excel.import.wrong_type", file=shown))
        return
    if document.file_size is not None and document.file_size > MAX_BYTES:
        size, limit = excel_text.size_text(document.file_size), excel_text.size_text(MAX_BYTES)
        await send(update, who.t("excel.import.too_big", file=shown, size=size, limit=limit))
        return
    await message.reply_chat_action(ChatAction.TYPING)
    try:
        file = await document.get_file()
        buffer = io.BytesIO()
        await file.download_to_memory(buffer)
    except TelegramError as exc:
        log.warning("could not download %r: %s", name, exc)
        await send(update, who.t("excel.import.download_failed", file=shown))
        return

    services = who.services
    result = await asyncio.to_thread(read_workbook, services, buffer.getvalue())
    if isinstance(result, ImportErrors):
        head = "excel.import.refused_head"
        catalog = services.catalog
        await send(
            update, excel_text.issues_text(catalog, who.lang, result, file_name=name, head=head)
        )
        return
    resolved = imports.resolve(services, result, default=caption_unit(message.caption))
    if isinstance(resolved, UnresolvedUnits):
        await _ask_units(update, context, who, result, (), resolved, name)
        return
    await _preview(update, context, who, resolved, name, edit=False)


async def _preview(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    plan: ImportPlan,
    name: str,
    *,
    edit: bool,
) -> None:
    """Meet ``plan`` (every unit known) with the ledgers and show the preview with 确认/取消,
    or the rows the ledger refuses."""
    services = who.services
    preview = await asyncio.to_thread(imports.preview, services, plan, who.person)
    catalog = services.catalog
    reply = edit_or_send if edit else send
    if isinstance(preview, ImportErrors):
        head = "excel.import.refused_head"
        await reply(
            update, excel_text.issues_text(catalog, who.lang, preview, file_name=name, head=head)
        )
        return
    text = excel_text.preview_text(
        catalog, who.lang, plan, preview, file_name=name, minutes=_minutes()
    )
    if not preview.changes_anything:
        await reply(update, text)
        return
    token = _remember(context, who.user.id, plan, name, services.clock.now())
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(who.plain("excel.button.confirm"), "ok", token),
                button(who.plain("excel.button.cancel"), "no", token),
            ]
        ]
    )
    await reply(update, text, keyboard)


UNIT_BUTTONS = 8  # registered units offered per unresolved name


async def _ask_units(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    raw: ImportPlan,
    chosen: tuple[tuple[str, str], ...],
    unresolved: UnresolvedUnits,
    name: str,
    *,
    edit: bool = False,
) -> None:
    """Ask which unit the first unresolved name is: a button per registered unit (the first
    few) and one to create it under the proposed code. Nothing is written until 确认."""
    first = unresolved.names[0]
    asked = tuple(n.name for n in unresolved.names)
    token = _remember(
        context,
        who.user.id,
        raw,
        name,
        who.services.clock.now(),
        raw=raw,
        chosen=chosen,
        asked=asked,
    )
    lines = [who.t("intake.unit.head", file=excel_text.clip(name))]
    if first.name:
        lines.append(
            who.t("intake.unit.name_line", name=excel_text.clip(first.name, 40), items=first.items)
        )
        create = who.plain(
            "intake.unit.create", code=first.proposed, name=excel_text.clip(first.name, 20)
        )
    else:
        lines.append(who.t("intake.unit.no_name", items=first.items))
        create = who.plain("intake.unit.create_unnamed", code=first.proposed)
    example = unresolved.registered[0].code if unresolved.registered else first.proposed
    lines.append(who.t("intake.unit.hint", example=example))
    rows = [
        [button(f"{u.code} {excel_text.clip(u.name, 20)}", "iu", token, 0, u.code)]
        for u in unresolved.registered[:UNIT_BUTTONS]
    ]
    rows.append([button(create, "iu", token, 0, first.proposed)])
    rows.append([button(who.plain("excel.button.cancel"), "no", token)])
    reply = edit_or_send if edit else send
    await reply(update, Html("\n".join(lines)), InlineKeyboardMarkup(rows))


@for_roles(Role.INSPECTOR)
async def on_unit_pick(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``iu:<token>:<n>:<CODE>``: the unit of the n-th name asked about; then the next
    question, or the preview once every unit is known."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    now = who.services.clock.now()
    pending = _pending(context)
    waiting = pending.get(data.args[0]) if data is not None and len(data.args) == 3 else None
    fits = (
        waiting is not None
        and waiting.raw is not None
        and waiting.user_id == who.user.id
        and waiting.expires > now
        and data is not None
        and data.args[1].isdigit()
        and int(data.args[1]) < len(waiting.asked)
        and valid_unit_code(data.args[2])
    )
    if not fits or waiting is None or waiting.raw is None or data is None:
        await query.answer(who.plain("excel.toast.stale", minutes=_minutes()), show_alert=True)
        return
    del pending[waiting.token]
    await query.answer()
    chosen = (*waiting.chosen, (waiting.asked[int(data.args[1])], data.args[2]))
    resolved = imports.resolve(who.services, waiting.raw, chosen=dict(chosen))
    if isinstance(resolved, UnresolvedUnits):
        await _ask_units(
            update, context, who, waiting.raw, chosen, resolved, waiting.file_name, edit=True
        )
        return
    await _preview(update, context, who, resolved, waiting.file_name, edit=True)


@for_roles(Role.INSPECTOR)
async def on_decision(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """确认导入 / 取消 of a preview: the token must be live and the presser's own."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    services = who.services
    now = services.clock.now()
    pending = _pending(context)
    waiting = pending.get(data.args[0]) if data is not None and len(data.args) == 1 else None
    if waiting is None or waiting.user_id != who.user.id or waiting.expires <= now:
        if waiting is not None and waiting.expires <= now:
            del pending[waiting.token]
        await query.answer(who.plain("excel.toast.stale", minutes=_minutes()), show_alert=True)
        return
    del pending[waiting.token]  # before any await: a second press finds nothing
    assert data is not None
    catalog = services.catalog
    if data.verb == "ok" and waiting.raw is not None:  # units not chosen yet: nothing to do
        await query.answer(who.plain("excel.toast.stale", minutes=_minutes()), show_alert=True)
        return
    if data.verb == "no":
        await query.answer(who.plain("excel.toast.cancelled"))
        text = who.t("excel.result.cancelled", file=excel_text.clip(waiting.file_name))
        await edit_or_send(update, text)
        return
    await query.answer(who.plain("excel.toast.importing"))
    try:
        outcome = await services.store.run(
            imports.import_plan, services, waiting.plan, who.person, waiting.file_name
        )
    except ImportRefused as refused:
        head = "excel.result.refused_head"
        text = excel_text.issues_text(
            catalog, who.lang, refused.errors, file_name=waiting.file_name, head=head
        )
        await edit_or_send(update, text)
        return
    log.info(
        "ledger import %r by %s: %d unit(s) created, %d item(s) created, %d updated",
        waiting.file_name,
        who.user.id,
        outcome.units_created,
        outcome.created,
        outcome.updated,
    )
    await edit_or_send(
        update,
        excel_text.result_text(catalog, who.lang, outcome, file_name=waiting.file_name),
        _invite_buttons(who, outcome),
    )


def _invite_buttons(who: Who, outcome: ImportOutcome) -> InlineKeyboardMarkup | None:
    """After an import that created units: invite each one's contact and leader."""
    rows = [
        [
            button(who.plain(f"intake.result.button_{role}", code=u.code), "inv", u.code, role)
            for role in ("contact", "leader")
        ]
        for u in outcome.units
        if u.new_unit
    ][:UNIT_BUTTONS]
    return InlineKeyboardMarkup(rows) if rows else None


# --------------------------------------------------------------------------- export


async def units_asked(
    update: Update, who: Who, args: Sequence[str], action: ChatAction
) -> tuple[list[Unit], Message] | None:
    """The units an /export or /stats names (every visible one, or ``args[0]``), after the
    private-chat check; ``None`` once the person was answered. Shows ``action`` while the file
    is being made."""
    if not await private_only(update, who):
        return None
    units = units_of(who, args[0] if args else None)
    if not units:
        await send(update, who.t("excel.export.no_units"))
        return None
    message = update.effective_message
    assert message is not None
    await message.reply_chat_action(action)
    return units, message


@for_roles()
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/export [CODE]: the ledger as .xlsx — every visible unit, or the one named."""
    args = context.args or []
    asked = await units_asked(update, who, args, ChatAction.UPLOAD_DOCUMENT)
    if asked is None:
        return
    units, message = asked
    services = who.services
    data, count = await asyncio.to_thread(export_bytes, services, units, who.lang)
    today = local_date(services.clock.now(), services.config.tz)
    one = units[0].code if args or not who.is_inspector else None
    scope = one or who.plain("excel.export.scope_all")
    caption = who.t(
        "excel.export.caption",
        scope=scope,
        date=format_day(who.words, today),
        units=len(units),
        items=count,
    )
    if who.is_inspector:  # they are the ones who can send it back
        caption = Html(f"{caption}\n{who.t('excel.export.caption_reimport')}")
    await message.reply_document(
        document=data,
        filename=export_file_name(services.catalog, who.lang, one, today),
        caption=caption,
        parse_mode="HTML",
    )


# --------------------------------------------------------------------------- the shell


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    uploads = filters.UpdateType.MESSAGE & private & _LedgerUpload()
    # block=False: the file is read in a child process for up to [workflow] import_seconds;
    # meanwhile the bot goes on answering everyone else (storage.parse_worker, R32).
    app.add_handler(MessageHandler(uploads, on_upload_apart, block=False))
    app.add_handler(
        CallbackQueryHandler(on_decision, pattern=rf"^(ok|no):{TOKEN_PREFIX}[A-Za-z0-9_-]*$")
    )
    app.add_handler(
        CallbackQueryHandler(on_unit_pick, pattern=rf"^iu:{TOKEN_PREFIX}[A-Za-z0-9_-]*:")
    )
    app.add_handler(CommandHandler("export", export_command))


__all__ = [
    "PENDING_TTL",
    "on_upload_apart",
    "uploads_done",
    "export_file_name",
    "register",
    "units_of",
]
