"""The Bot API emulator, proven through python-telegram-bot's real networking stack.

A tiny Application (its own handlers, not the project's bot) polls the emulator through the
full lifecycle; the emulator's users talk to it. Error cases call the bot directly and assert
the exception PTB raises from the emulator's answer, exactly as it would from Telegram.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from app.clock import FakeClock
from sandbox.emulator import Emulator, FloodLimits
from sandbox.ptb import builder_for, polling

# PTB's own RetryAfter.__init__ reads the deprecated int form of retry_after.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

# The project refuses evidence over 20 MB (decimal, R25), stricter than Telegram's 20 MiB.
MAX_EVIDENCE = 20_000_000
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass
class Seen:
    """What the tiny bot observed, for assertions on the bot's side of the wire."""

    commands: list[tuple[str, list[str], tuple[MessageEntity, ...]]] = field(default_factory=list)
    downloads: list[bytes] = field(default_factory=list)
    refused_sizes: list[int] = field(default_factory=list)
    forbidden: list[Forbidden] = field(default_factory=list)
    member_updates: list[ChatMemberUpdated] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@dataclass
class TinyBot:
    app: Application[Any, Any, Any, Any, Any, Any]
    seen: Seen

    @property
    def bot(self) -> Bot:
        return self.app.bot


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def _build(emulator: Emulator, seen: Seen) -> Application[Any, Any, Any, Any, Any, Any]:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        seen.commands.append((message.text, list(context.args or []), message.entities))
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("下一页", callback_data="page:2")],
                [InlineKeyboardButton("说明", url="https://example.org/help")],
            ]
        )
        await message.reply_html("<b>未销号</b> 3 项\n<code>HZ-007</code>", reply_markup=keyboard)

    async def page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("第 2 页")
        await query.edit_message_text(
            "<b>未销号</b> 第 2 页",
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard([("上一页", "page:1")]),
        )

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        doc = message.document
        if doc.file_size and doc.file_size > MAX_EVIDENCE:
            seen.refused_sizes.append(doc.file_size)
            await message.reply_text("文件过大，请压缩后再发")  # refused before any download
            return
        data = bytes(await (await doc.get_file()).download_as_bytearray())
        seen.downloads.append(data)
        await message.reply_document(doc.file_id, caption="by file_id")
        await message.reply_document(data, filename=f"copy-{doc.file_name}", caption="by upload")

    async def notify(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        try:
            await context.bot.send_message(int((context.args or ["0"])[0]), "催办")
        except Forbidden as exc:
            seen.forbidden.append(exc)
            await message.reply_text("对方不可达")

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        seen.member_updates.append(update.my_chat_member)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        seen.errors.append(context.error)

    app = builder_for(emulator).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("notify", notify))
    app.add_handler(CallbackQueryHandler(page, pattern=r"^page:"))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


@pytest.fixture
async def tiny(emulator: Emulator) -> AsyncIterator[TinyBot]:
    """The tiny bot, polling the emulator with a 1 s long-poll timeout."""
    seen = Seen()
    async with polling(_build(emulator, seen), poll_timeout=1) as app:
        yield TinyBot(app, seen)
    assert seen.errors == [], "the tiny bot's handlers failed"


@pytest.fixture
async def bare_bot(emulator: Emulator) -> AsyncIterator[Bot]:
    """A Bot without an Updater, for driving getUpdates by hand."""
    async with Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    ) as bot:
        yield bot


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------- conversation


async def test_command_reply_reads_like_a_conversation(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice", username="alice")
    sent = await alice.send("/start invite-code")
    reply = await alice.next_reply()

    assert reply.text == "未销号 3 项\nHZ-007"
    assert reply.html == "<b>未销号</b> 3 项\n<code>HZ-007</code>"
    assert reply.entities == (
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "code", "offset": 8, "length": 6},
    )
    assert reply.button_texts == ["下一页", "说明"]
    assert reply.button("说明").url == "https://example.org/help"
    assert reply.chat_id == 1001 and reply.message_id == sent.message_id + 1
    assert reply.reply_to_message_id is None  # PTB quotes only in groups by default
    text, args, entities = tiny.seen.commands[0]
    assert (text, args) == ("/start invite-code", ["invite-code"])
    assert [(e.type, e.offset, e.length) for e in entities] == [("bot_command", 0, 6)]


async def test_message_dates_follow_the_injected_clock(
    emulator: Emulator, emulator_clock: FakeClock, tiny: TinyBot
) -> None:
    alice = emulator.user(1001, "Alice")
    emulator_clock.advance(timedelta(days=3, hours=2))
    await alice.send("/start")
    reply = await alice.next_reply()
    assert reply.date == emulator_clock.now()
    assert reply.raw["date"] == int(emulator_clock.now().timestamp())


async def test_group_command_with_bot_username(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    group = emulator.group(-1001234567890, "巡察办工作群", [alice])
    sent = await alice.send("/start@zgt_sandbox_bot", chat=group)
    reply = await group.next_reply()
    assert reply.chat_id == group.id and reply.raw["chat"]["type"] == "supergroup"
    assert reply.reply_to_message_id == sent.message_id
    assert reply.raw["reply_to_message"]["text"] == "/start@zgt_sandbox_bot"
    assert [(e.type, e.length) for e in tiny.seen.commands[0][2]] == [("bot_command", 22)]
    assert alice.unread_replies() == []


async def test_button_press_answers_and_edits(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    await alice.send("/start")
    card = await alice.next_reply()

    query_id = await alice.press(card, "下一页")
    answer = await alice.next_answer()
    edited = await alice.next_edit()

    assert (answer.query_id, answer.text, answer.data) == (query_id, "第 2 页", "page:2")
    assert emulator.answered_callbacks == [answer]
    assert edited.message_id == card.message_id and edited.edits == 1
    assert edited.text == "未销号 第 2 页" and edited.button_texts == ["上一页"]
    assert edited.edit_date is not None
    assert alice.messages[card.message_id] == edited
    # The old button is gone from the message, as in a real client.
    with pytest.raises(LookupError, match="下一页"):
        await alice.press(card, "下一页")
    # Answering the same query twice is refused.
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await tiny.bot.answer_callback_query(query_id)


async def test_edit_to_identical_content_is_not_modified(
    emulator: Emulator, tiny: TinyBot
) -> None:
    emulator.user(1001, "Alice")
    keyboard = _keyboard([("刷新", "refresh")])
    sent = await tiny.bot.send_message(
        1001, "<b>状态</b>", parse_mode="HTML", reply_markup=keyboard
    )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await tiny.bot.edit_message_text(
            "<b>状态</b>", 1001, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    # Same text without the markup is a change: editMessageText drops the keyboard.
    edited = await tiny.bot.edit_message_text(
        "<b>状态</b>", 1001, sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, type(sent)) and edited.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await tiny.bot.edit_message_text("x", 1001, 999)


async def test_caption_and_markup_edits(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    sent = await tiny.bot.send_document(
        1001, b"%PDF-1.4", filename="report.pdf", caption="<b>HZ-007</b> 佐证", parse_mode="HTML"
    )
    with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
        await tiny.bot.edit_message_text("x", 1001, sent.message_id)
    await tiny.bot.edit_message_caption(
        1001, sent.message_id, caption="<b>HZ-007</b> 已核验", parse_mode="HTML"
    )
    edited = await alice.next_edit()
    assert (edited.kind, edited.text, edited.entities[0]["type"]) == (
        "document",
        "HZ-007 已核验",
        "bold",
    )
    keyboard = _keyboard([("下载", "dl:HZ-007")])
    await tiny.bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=keyboard)
    assert (await alice.next_edit()).button_texts == ["下载"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await tiny.bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=keyboard)
    assert alice.messages[sent.message_id].edits == 2


async def test_delete_message_and_the_48_hour_window(
    emulator: Emulator, emulator_clock: FakeClock, tiny: TinyBot
) -> None:
    alice = emulator.user(1001, "Alice")
    first = await tiny.bot.send_message(1001, "one")
    assert await tiny.bot.delete_message(1001, first.message_id)
    assert alice.messages[first.message_id].deleted
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await tiny.bot.delete_message(1001, first.message_id)
    second = await tiny.bot.send_message(1001, "two")
    emulator_clock.advance(timedelta(hours=49))
    with pytest.raises(BadRequest, match="(?i)message can't be deleted"):
        await tiny.bot.delete_message(1001, second.message_id)


# ---------------------------------------------------------------------------- files


async def test_document_round_trip(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    content = "整改报告\n".encode() * 1000
    await alice.send_document("报告.txt", content, caption="HZ-007")

    by_id = await alice.next_reply()
    by_upload = await alice.next_reply()

    assert tiny.seen.downloads == [content]
    assert by_id.document is not None and by_upload.document is not None
    assert by_id.text == "by file_id" and by_id.document.content == content
    assert by_id.document.name == "报告.txt" and by_id.document.mime_type == "text/plain"
    assert by_upload.document.name == "copy-报告.txt" and by_upload.document.content == content
    # Same bytes, same file_unique_id (as on Telegram); a new upload gets a new file_id.
    assert by_upload.document.file_unique_id == by_id.document.file_unique_id
    assert by_upload.document.file_id != by_id.document.file_id
    assert [c.method for c in emulator.calls_of("getFile", "sendDocument")] == [
        "getFile",
        "sendDocument",
        "sendDocument",
    ]


async def test_oversized_document_is_refused_before_download(
    emulator: Emulator, tiny: TinyBot
) -> None:
    alice = emulator.user(1001, "Alice")
    sent = await alice.send_document("scan.pdf", 20_000_001, caption="HZ-007")
    reply = await alice.next_reply()
    assert reply.text == "文件过大，请压缩后再发"
    assert tiny.seen.refused_sizes == [20_000_001]
    assert emulator.calls_of("getFile") == []  # refused before any download
    # Telegram's own getFile limit is 20 MiB: 20,000,001 bytes would still download…
    assert (await tiny.bot.get_file(sent.raw["document"]["file_id"])).file_size == 20_000_001
    # …one byte over 20 MiB is refused.
    huge = await alice.send_document("huge.zip", TELEGRAM_DOWNLOAD_LIMIT + 1)
    await alice.next_reply()
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await tiny.bot.get_file(huge.raw["document"]["file_id"])


async def test_photo_dimensions_and_file_type_checks(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    chart = _png(640, 480)
    sent = await tiny.bot.send_photo(1001, chart, caption="<b>完成率</b>", parse_mode="HTML")
    reply = await alice.next_reply()
    assert reply.kind == "photo" and reply.photo is not None
    assert (reply.photo.width, reply.photo.height, reply.photo.content) == (640, 480, chart)
    assert reply.text == "完成率" and sent.photo[-1].width == 640
    with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
        await tiny.bot.send_photo(1001, b"<svg/>")
    with pytest.raises(BadRequest, match="(?i)can't use file of type photo as document"):
        await tiny.bot.send_document(1001, sent.photo[-1].file_id)
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await tiny.bot.send_document(1001, "BQACnot-a-real-id")
    f = await tiny.bot.get_file(sent.photo[-1].file_id)
    assert bytes(await f.download_as_bytearray()) == chart


# ---------------------------------------------------------------------------- refusals


async def test_blocked_user_raises_forbidden_in_the_bot(emulator: Emulator, tiny: TinyBot) -> None:
    inspector = emulator.user(1001, "巡察办")
    contact = emulator.user(1002, "联络员")
    await contact.block_bot()
    await inspector.send("/notify 1002")
    assert (await inspector.next_reply()).text == "对方不可达"
    assert [str(e) for e in tiny.seen.forbidden] == ["Forbidden: bot was blocked by the user"]
    # The bot also learnt it from the my_chat_member update.
    update = await emulator.wait_for(
        lambda: tiny.seen.member_updates[0] if tiny.seen.member_updates else None
    )
    assert (update.old_chat_member.status, update.new_chat_member.status) == ("member", "kicked")
    with pytest.raises(Forbidden, match="blocked by the user"):
        await tiny.bot.send_message(1002, "again")
    await contact.unblock_bot()
    await tiny.bot.send_message(1002, "welcome back")
    assert (await contact.next_reply()).text == "welcome back"


async def test_group_that_removed_the_bot(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    group = emulator.group(-200, "整改工作群", [alice])
    await group.remove_bot(by=alice)
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await tiny.bot.send_message(group.id, "周报")
    update = await emulator.wait_for(
        lambda: tiny.seen.member_updates[0] if tiny.seen.member_updates else None
    )
    assert update.chat.id == group.id and update.from_user.id == alice.id
    with pytest.raises(RuntimeError, match="not in"):
        await alice.send("hello", chat=group)


async def test_user_who_never_started_the_bot(emulator: Emulator, tiny: TinyBot) -> None:
    carol = emulator.user(1003, "Carol", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await tiny.bot.send_message(1003, "hi")
    await carol.send("/start")
    assert (await carol.next_reply()).text.startswith("未销号")


async def test_unknown_chat(tiny: TinyBot) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tiny.bot.send_message(424242, "hello")


async def test_rejected_html(emulator: Emulator, tiny: TinyBot) -> None:
    emulator.user(1001, "Alice")
    with pytest.raises(BadRequest, match="(?i)can't parse entities: unsupported start tag"):
        await tiny.bot.send_message(1001, "进度 < 50%", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities: can't find end tag"):
        await tiny.bot.send_message(1001, "<b>未闭合", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities: unescaped"):
        await tiny.bot.send_message(1001, "R&D 部门", parse_mode="HTML")
    ok = await tiny.bot.send_message(1001, "进度 &lt; 50% · R&amp;D", parse_mode="HTML")
    assert ok.text == "进度 < 50% · R&D"
    # Without a parse mode the same characters are plain text.
    assert (await tiny.bot.send_message(1001, "进度 < 50% R&D")).text == "进度 < 50% R&D"


async def test_text_length_limit(emulator: Emulator, tiny: TinyBot) -> None:
    emulator.user(1001, "Alice")
    at_limit = await tiny.bot.send_message(1001, "整" * 4096)
    assert len(at_limit.text or "") == 4096
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await tiny.bot.send_message(1001, "整" * 4097)
    # The limit applies after entity parsing: markup does not count.
    await tiny.bot.send_message(1001, "<b>" + "整" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await tiny.bot.send_message(1001, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await tiny.bot.send_document(1001, b"x", filename="a.txt", caption="c" * 1025)


async def test_callback_data_limit(emulator: Emulator, tiny: TinyBot) -> None:
    emulator.user(1001, "Alice")
    fits = "项" * 21 + "x"  # 64 bytes in UTF-8
    await tiny.bot.send_message(1001, "ok", reply_markup=_keyboard([("a", fits)]))
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await tiny.bot.send_message(1001, "too long", reply_markup=_keyboard([("a", fits + "x")]))


async def test_reply_to_a_missing_message(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await tiny.bot.send_message(1001, "x", reply_parameters=ReplyParameters(777))
    await tiny.bot.send_message(
        1001, "x", reply_parameters=ReplyParameters(777, allow_sending_without_reply=True)
    )
    assert (await alice.next_reply()).reply_to_message_id is None


# ---------------------------------------------------------------------------- faults, floods


async def test_retry_after_once_then_success(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    emulator.fail_next("sendMessage", chat_id=1001, code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await tiny.bot.send_message(1001, "逾期提醒")
    assert _seconds(caught.value.retry_after) == 7
    await tiny.bot.send_message(1001, "逾期提醒")
    assert (await alice.next_reply()).text == "逾期提醒"
    assert alice.unread_replies() == []
    outcomes = [(c.ok, c.error_code, c.retry_after) for c in emulator.calls_of("sendMessage")]
    assert outcomes == [(False, 429, 7), (True, None, None)]


async def test_flood_limits(emulator: Emulator, tiny: TinyBot) -> None:
    now = [1000.0]
    emulator.monotonic = lambda: now[0]
    emulator.flood_limits = FloodLimits()
    for uid in range(2000, 2031):
        emulator.user(uid, f"u{uid}")
    group = emulator.group(-100, "group")

    # 1 message per second per chat.
    await tiny.bot.send_message(2000, "a")
    with pytest.raises(RetryAfter) as caught:
        await tiny.bot.send_message(2000, "b")
    assert _seconds(caught.value.retry_after) == 1
    now[0] += 1.0

    # 30 messages per second overall.
    for uid in range(2000, 2030):
        await tiny.bot.send_message(uid, "broadcast")
    with pytest.raises(RetryAfter):
        await tiny.bot.send_message(2030, "one too many")
    now[0] += 1.0

    # 20 messages per minute per group, even when paced at 1/s.
    for _ in range(20):
        await tiny.bot.send_message(group.id, "tick")
        now[0] += 1.0
    with pytest.raises(RetryAfter) as caught:
        await tiny.bot.send_message(group.id, "tick")
    assert _seconds(caught.value.retry_after) == 40
    assert len(group.replies) == 20
    assert len([c for c in emulator.calls if c.error_code == 429]) == 3


async def test_stalled_send_times_out_yet_was_delivered(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    emulator.stall_next("sendMessage", chat_id=1001, seconds=30)
    with pytest.raises(TimedOut):
        await tiny.bot.send_message(1001, "超期预警", read_timeout=0.3)
    # The "uncertain" case: the client gave up, the message still arrived.
    assert (await alice.next_reply()).text == "超期预警"


async def test_dropped_connection_is_a_network_error(emulator: Emulator, tiny: TinyBot) -> None:
    alice = emulator.user(1001, "Alice")
    emulator.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await tiny.bot.send_message(1001, "lost")
    assert alice.unread_replies() == []
    await tiny.bot.send_message(1001, "fine")
    assert (await alice.next_reply()).text == "fine"


# ---------------------------------------------------------------------------- updates, API


async def test_get_updates_offset_semantics(emulator: Emulator, bare_bot: Bot) -> None:
    alice = emulator.user(1001, "Alice")
    for text in ("one", "two", "three"):
        await alice.send(text)

    first = await bare_bot.get_updates()
    ids = [u.update_id for u in first]
    assert [u.message.text for u in first if u.message] == ["one", "two", "three"]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # Not acknowledged yet: the same updates come again.
    assert [u.update_id for u in await bare_bot.get_updates()] == ids
    # offset acknowledges everything below it, for good.
    assert [u.update_id for u in await bare_bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bare_bot.get_updates()] == ids[1:]
    assert [u.update_id for u in await bare_bot.get_updates(limit=1)] == ids[1:2]
    assert await bare_bot.get_updates(offset=ids[2] + 1) == ()
    assert emulator.pending_updates == []

    # Long polling: held until an update arrives.
    poll = asyncio.create_task(bare_bot.get_updates(offset=ids[2] + 1, timeout=10))
    await emulator.wait_for(lambda: emulator.waiting_polls or None)
    assert not poll.done()
    await alice.send("four")
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.message is not None and update.message.text == "four"
    # A negative offset keeps only the last updates.
    for text in ("five", "six"):
        await alice.send(text)
    last = await bare_bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["six"]


async def test_allowed_updates_filter(emulator: Emulator, bare_bot: Bot) -> None:
    alice = emulator.user(1001, "Alice")
    assert await bare_bot.get_updates(allowed_updates=["callback_query"]) == ()
    await alice.send("ignored")
    await bare_bot.send_message(1001, "card", reply_markup=_keyboard([("go", "go")]))
    card = await alice.next_reply()
    await alice.press(card, "go")
    (update,) = await bare_bot.get_updates()
    assert update.callback_query is not None and update.callback_query.data == "go"


async def test_user_photo_and_forged_callback_reach_the_bot(
    emulator: Emulator, bare_bot: Bot
) -> None:
    alice = emulator.user(1001, "Alice")
    await alice.send_photo(_png(12, 8), caption="现场照片 HZ-007")
    with pytest.raises(ValueError, match="IMAGE_PROCESS_FAILED"):
        await alice.send_photo(b"not an image")
    card = await bare_bot.send_message(1001, "card", reply_markup=_keyboard([("ok", "ok")]))
    await alice.forge_callback(card.message_id, "approve:OTHER-001")
    photo_update, callback_update = await bare_bot.get_updates()
    assert photo_update.message is not None
    assert photo_update.message.caption == "现场照片 HZ-007"
    assert (photo_update.message.photo[-1].width, photo_update.message.photo[-1].height) == (12, 8)
    query = callback_update.callback_query
    assert query is not None and query.data == "approve:OTHER-001"
    assert query.message is not None and query.message.message_id == card.message_id
    assert emulator.unfetched_updates == []


async def test_second_poller_conflicts(emulator: Emulator, bare_bot: Bot) -> None:
    first = asyncio.create_task(bare_bot.get_updates(timeout=10))
    await emulator.wait_for(lambda: emulator.waiting_polls or None)
    # A second bot process with the same token (R5's failure mode).
    async with Bot(emulator.token, base_url=emulator.base_url) as other:
        assert await other.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 5)


async def test_commands_per_chat_scope(emulator: Emulator, bare_bot: Bot) -> None:
    alice = emulator.user(1001, "Alice")
    bob = emulator.user(1002, "Bob", language_code="en")
    everyone = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    inspector = [BotCommand("units", "单位列表"), BotCommand("approve", "核验销号")]
    assert await bare_bot.set_my_commands(everyone)
    assert await bare_bot.set_my_commands(inspector, scope=BotCommandScopeChat(1001))
    assert await bare_bot.set_my_commands([BotCommand("help", "Help")], language_code="en")

    assert await bare_bot.get_my_commands(scope=BotCommandScopeChat(1001)) == tuple(inspector)
    assert await bare_bot.get_my_commands() == tuple(everyone)
    assert await bare_bot.get_my_commands(scope=BotCommandScopeChat(1002)) == ()
    assert alice.commands() == [("units", "单位列表"), ("approve", "核验销号")]
    assert bob.commands() == [("help", "Help")]

    assert await bare_bot.delete_my_commands(scope=BotCommandScopeChat(1001))
    assert alice.commands() == [("start", "开始"), ("help", "帮助")]
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bare_bot.set_my_commands(everyone, scope=BotCommandScopeChat(99))
    with pytest.raises(BadRequest, match="(?i)language code"):
        await bare_bot.set_my_commands(everyone, language_code="zh-CN")
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bare_bot.set_my_commands([BotCommand("Open", "大写")])


async def test_webhook_blocks_polling_until_deleted(emulator: Emulator, bare_bot: Bot) -> None:
    assert await bare_bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bare_bot.get_updates()
    assert await bare_bot.delete_webhook(drop_pending_updates=True)
    assert await bare_bot.get_updates() == ()


async def test_calls_are_recorded_for_assertions(emulator: Emulator, bare_bot: Bot) -> None:
    emulator.user(1001, "Alice")
    await bare_bot.send_document(1001, b"abc", filename="a.txt", disable_notification=True)
    with pytest.raises(BadRequest):
        await bare_bot.send_message(1001, "")
    send_doc, send_msg = emulator.calls_of("sendDocument", "sendMessage")
    assert send_doc.ok and send_doc.chat_id == 1001
    assert send_doc.params["document"] == {"upload": "a.txt", "size": 3}
    assert send_doc.params["disable_notification"] is True
    assert send_doc.params["chat_id"] == 1001
    assert send_doc.result["document"]["file_name"] == "a.txt"
    assert (send_msg.ok, send_msg.error_code) == (False, 400)
    assert send_msg.description == "Bad Request: message text is empty"
    assert emulator.errors() == [send_msg]


async def test_listeners_see_every_bot_action_in_order(emulator: Emulator, bare_bot: Bot) -> None:
    emulator.user(1001, "Alice")
    seen: list[tuple[str, int]] = []
    emulator.add_listener(lambda event: seen.append((event.kind, event.chat_id)))
    await bare_bot.send_chat_action(1001, "typing")
    sent = await bare_bot.send_message(1001, "a")
    await bare_bot.edit_message_text("b", 1001, sent.message_id)
    await bare_bot.delete_message(1001, sent.message_id)
    assert seen == [("action", 1001), ("sent", 1001), ("edited", 1001), ("deleted", 1001)]


async def test_emulator_accepts_a_plain_callable_clock() -> None:
    moment = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    async with Emulator(clock=lambda: moment) as emu:
        emu.user(1001, "Alice")
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            sent = await bot.send_message(1001, "x")
        assert sent.date == moment
        assert emu.url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url


async def test_wrong_token_and_unknown_method(emulator: Emulator, bare_bot: Bot) -> None:
    wrong = Bot("123:wrong", base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()
    with pytest.raises(EndPointNotFound):
        await bare_bot.do_api_request("noSuchMethod")
    # Method names are case-insensitive, as on Telegram.
    alice = emulator.user(1001, "Alice")
    assert await bare_bot.do_api_request("SENDCHATACTION", {"chat_id": 1001, "action": "typing"})
    assert alice.last_action == "typing"


async def test_update_ids_start_at_a_random_point_unless_given() -> None:
    """A fixed start would replay identical updates on every sandbox run (dropped by R18)."""
    starts = set()
    for _ in range(3):
        emu = Emulator()
        await emu.start()
        try:
            await emu.user(1, "A").send("hi")
            starts.add(emu.pending_updates[0]["update_id"])
        finally:
            await emu.stop()
    assert len(starts) == 3
    fixed = Emulator(first_update_id=42)
    await fixed.start()
    try:
        await fixed.user(1, "A").send("hi")
        assert fixed.pending_updates[0]["update_id"] == 42
    finally:
        await fixed.stop()
