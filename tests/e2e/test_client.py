"""The emulator's public client side (sandbox/client.py): what an emulated person does from
their Telegram app — write, press a button by number or text, upload a file, read the bot's
messages — against a small PTB bot whose every reaction is known; and files adopted under
their recorded ids (the sandbox's demo evidence across restarts)."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.client import Client, LinkButton, NoButtons, NoSuchButton
from sandbox.emulator import Emulator
from sandbox.ptb import builder_for, polling
from sandbox.users import FileInfo

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 3, 2) + b"\x08\x02\x00\x00\x00"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("下一页 ›", callback_data="page:2"),
                InlineKeyboardButton("HZ-003", callback_data="card:HZ-003"),
            ],
            [InlineKeyboardButton("说明", url="https://example.org/help")],
        ]
    )
    await update.effective_chat.send_message("未销号事项", reply_markup=keyboard)


async def plain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    sent = await update.effective_chat.send_message("稍后删除")
    await update.effective_chat.send_message("没有按钮")
    await sent.delete()


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    await query.edit_message_text(f"按下 {query.data}", reply_markup=markup)


async def received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    if message.document is not None:
        doc = message.document
        await message.reply_text(f"文件 {doc.file_name} {doc.file_size} {message.caption}")
    elif message.photo:
        photo = message.photo[-1]
        await message.reply_text(f"图片 {photo.width}x{photo.height} {message.caption}")


@pytest.fixture
async def bot() -> AsyncIterator[tuple[Emulator, Application]]:
    emulator = Emulator()
    await emulator.start()
    app = builder_for(emulator).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("plain", plain))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, received))
    try:
        async with polling(app):
            yield emulator, app
    finally:
        await emulator.stop()


async def replies(client: Client, count: int) -> list[str]:
    """The texts of the chat once it holds ``count`` messages."""
    await client.user.emulator.wait_for(
        lambda: True if len(client.messages()) >= count else None, what=f"{count} messages"
    )
    return [m.text for m in client.messages()]


async def test_a_person_writes_presses_by_number_or_text_and_reads_the_chat(
    bot: tuple[Emulator, Application],
) -> None:
    emulator, _ = bot
    chen = Client.of(emulator, 20101, "陈晓燕")
    assert chen.id == 20101 and chen.messages() == []
    with pytest.raises(NoButtons):
        await chen.press(1)

    await chen.send_text("/start")
    assert await replies(chen, 1) == ["未销号事项"]
    message, button = await chen.press(2)  # numbered across rows, from 1
    assert button.text == "HZ-003" and message.text == "未销号事项"
    await chen.user.next_edit()
    assert [m.text for m in chen.messages()] == ["按下 card:HZ-003"]

    await chen.send_text("/start")
    await replies(chen, 2)
    _, button = await chen.press("下一页 ›")  # by its text, on the latest message
    assert button.callback_data == "page:2"
    await chen.user.next_edit()
    assert [m.text for m in chen.messages()] == ["按下 card:HZ-003", "按下 page:2"]

    with pytest.raises(NoSuchButton) as missing:
        await chen.press(9)
    assert missing.value.count == 3
    with pytest.raises(NoSuchButton):
        await chen.press("没有这个")
    with pytest.raises(LinkButton) as link:
        await chen.press("说明")
    assert link.value.url == "https://example.org/help"

    # The latest message with buttons, unless the caller did not see its event.
    latest = chen.latest_with_buttons()
    assert latest is not None and latest.text == "按下 page:2"
    newest = latest.message_id
    older = chen.latest_with_buttons(
        seen=lambda e: e.message is None or e.message.message_id != newest
    )
    assert older is not None and older.text == "按下 card:HZ-003"

    # Deleted messages are left out of what the person reads.
    await chen.send_text("/plain")
    await emulator.wait_for(
        lambda: True if any(e.kind == "deleted" for e in chen.events) else None, what="deletion"
    )
    texts = [m.text for m in chen.messages()]
    assert texts[-1] == "没有按钮" and "稍后删除" not in texts
    assert "稍后删除" in [m.text for m in chen.user.messages.values()]  # kept, flagged


async def test_uploads_go_as_photos_or_documents_or_only_declared(
    bot: tuple[Emulator, Application],
    tmp_path: Path,
) -> None:
    emulator, _ = bot
    chen = Client.of(emulator, 20101, "陈晓燕")
    plan = tmp_path / "整改 方案.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    sent = await chen.upload(plan, caption="HZ-003")
    assert (sent.name, sent.size, sent.photo, sent.declared_only) == (
        "整改 方案.pdf",
        13,
        False,
        False,
    )
    assert (await chen.user.next_reply()).text == "文件 整改 方案.pdf 13 HZ-003"

    photo = tmp_path / "现场.PNG"
    photo.write_bytes(PNG)
    sent = await chen.upload(str(photo))
    assert sent.photo and sent.size == len(PNG)
    assert (await chen.user.next_reply()).text == "图片 3x2 None"

    big = tmp_path / "big.zip"
    with big.open("wb") as fh:
        fh.truncate(25 * 1024 * 1024)  # sparse: only its size is ever looked at
    sent = await chen.upload(big)
    assert sent.declared_only and sent.size == 25 * 1024 * 1024
    assert (await chen.user.next_reply()).text == "文件 big.zip 26214400 None"

    with pytest.raises(FileNotFoundError) as missing:
        await chen.upload(tmp_path / "nothing.pdf")
    assert missing.value.filename == str(tmp_path / "nothing.pdf")


async def test_silence_is_told_apart_from_a_reaction(
    bot: tuple[Emulator, Application],
) -> None:
    emulator, _ = bot
    chen = Client.of(emulator, 20101, "陈晓燕")
    seen = len(chen.events)
    await chen.send_text("还有哪些没整改")  # no handler: the bot stays silent
    assert await chen.reacted(seen, 0.5) is False
    await chen.send_text("/start")
    assert await chen.reacted(seen, 5.0) is True


async def test_an_adopted_file_can_be_sent_again_under_its_recorded_id(
    bot: tuple[Emulator, Application],
) -> None:
    emulator, app = bot
    chen = Client.of(emulator, 20101, "陈晓燕")
    info = FileInfo(
        "BQACAgUAAxkBAAdemo0001",
        "AgADdemo0001",
        9,
        name="纪要.pdf",
        mime_type="application/pdf",
        content=b"%PDF-demo",
    )
    emulator.adopt_file(info, "document")
    await app.bot.send_document(chen.id, info.file_id)
    sent = await chen.user.next_reply()
    assert sent.document is not None and sent.document.name == "纪要.pdf"
    assert sent.document.content == b"%PDF-demo"
