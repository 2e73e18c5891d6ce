"""The sandbox's terminal chat: through a pseudo-terminal as a user meets it (``python bot.py
sandbox``), and in-process against a small bot whose every reaction is known (rendering,
numbered buttons, files both ways, personas, the clock and the scheduled jobs it runs)."""

from __future__ import annotations

import io
import os
import re
import struct
import sys
import time as wall
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pexpect
import pytest
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from app.clock import OffsetClock
from config import ConfigError, load_config
from ledger.model import Role
from locales import Catalog
from sandbox.catchup import job_words, parse_shift, saved_clock
from sandbox.console import Console, Outcome
from sandbox.emulator import Emulator
from sandbox.personas import Persona
from sandbox.ptb import builder_for, polling
from sandbox.session import SandboxPaths, prepare_data
from sandbox.terminal import Screen, terminal_text
from sandbox.words import Words
from storage.errors import DataDirInUse
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
INSPECTOR = Persona(10_001, "王建国", Role.INSPECTOR)
CONTACT = Persona(20_101, "陈晓燕", Role.CONTACT, "HZ")
LEADER = Persona(20_102, "周建华", Role.LEADER, "HZ")
DEMO_START = datetime(2026, 3, 2, 8, 50, tzinfo=TZ)  # Monday, ten minutes before the 09:00 job
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 3, 2) + b"\x08\x02\x00\x00\x00"
REFUSAL = Catalog.load().plain("zh-CN", "access.refused")

# --------------------------------------------------------------------------- through a pty


def spawn(config: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(NO_COLOR="1", TERM="xterm", LANG="C.UTF-8")
    return pexpect.spawn(
        sys.executable,
        ["bot.py", "--config", str(config), "sandbox"],
        cwd=ROOT,
        env=env,
        encoding="utf-8",
        timeout=10,
        dimensions=(50, 200),
    )


def demo_time(text: str) -> datetime:
    found = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d)", text)
    assert found, text
    return datetime.strptime(found[-1], "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def test_a_full_exchange_through_a_terminal(tmp_path: Path) -> None:
    """First line, a working prompt within 10 s, personas, a refusal, a press, the clock, and
    a clean exit; the second run keeps the demo data, starts at real time and goes back to
    the moved clock on /clock resume."""
    config = tmp_path / "config.toml"
    config.write_text('[bot]\nlanguage = "zh-CN"\ndata_dir = "data"\n', encoding="utf-8")
    started = wall.monotonic()
    child = spawn(config)
    try:
        first = child.readline()
        assert first.startswith("整改通 沙盒模式：未设置 TELEGRAM_BOT_TOKEN")
        assert str(tmp_path / "sandbox-data") in first
        child.expect_exact("已生成演示台账：4 个单位。")
        # the demo's figures as /units counts them: the 2 withdrawn items apart
        child.expect_exact(
            "共 39 项：未整改 6 · 整改中 18 · 待签字 4 · 待核验 2 · 已销号 6 · 长期坚持 3"
        )
        child.expect_exact("未销号 30：🔴 8 · 🟡 6 · 🟢 16")
        child.expect_exact("另撤销 2 项（不计入）")
        child.expect(r"演示时间：(.+?)。")
        ready_at = demo_time(child.match.group(1))
        child.expect_exact("巡察组 > ")
        assert wall.monotonic() - started < 10

        child.sendline("/as HZ contact")
        child.expect_exact("已切换为 HZ 联络员（陈晓燕）")
        child.expect_exact("HZ 联络员 > ")
        child.sendline("/as 424242")
        child.expect_exact("访客 424242 > ")
        # Someone the bot does not know: the refusal that reveals nothing (R21) — or, while
        # no handler answers /start, the console saying the bot stayed silent.
        child.sendline("/start")
        child.expect_exact([REFUSAL, "秒内没有收到机器人的回复"])
        child.sendline("1")
        child.expect_exact(["没有可按的按钮", "（按下 [1]"])
        child.sendline("/clock +3d")
        child.expect(r"时钟已拨到 (.+?)（与真实时间相差 \+3 天")
        moved = demo_time(child.match.group(1))
        assert timedelta(days=3) <= moved - ready_at <= timedelta(days=3, minutes=1)
        child.sendline("/quit")
        child.expect_exact("已退出沙盒。")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0

    again = spawn(config)
    try:
        again.expect_exact("沿用上次的演示数据（/reset yes 可重新生成）：4 个单位。")
        again.expect_exact("共 39 项：")
        # A new run starts at real time, and offers the demo time of the last exit.
        again.expect(r"演示时间：(.+?)。")
        assert abs(demo_time(again.match.group(1)) - ready_at) <= timedelta(minutes=1)
        again.expect(r"上次退出时演示时间为 (.+?)；本次从真实时间开始，输入 /clock resume")
        assert timedelta(0) <= demo_time(again.match.group(1)) - moved <= timedelta(minutes=1)
        again.expect_exact("巡察组 > ")
        again.sendline("/clock resume")
        again.expect(r"时钟已拨到 (.+?)（与真实时间相差 \+(2 天 23 小时|3 天)")
        assert timedelta(0) <= demo_time(again.match.group(1)) - moved <= timedelta(minutes=1)
        again.expect_exact("巡察组 > ")
        again.sendeof()  # Ctrl-D
        again.expect_exact("已退出沙盒。")
        again.expect(pexpect.EOF)
    finally:
        again.close()
    assert again.exitstatus == 0
    assert (tmp_path / "sandbox-data" / "bot.log").stat().st_size > 0
    assert not (tmp_path / "data").exists()  # the production data directory is never touched


# --------------------------------------------------------------------------- in process


@dataclass
class Chat:
    console: Console
    out: io.StringIO
    emulator: Emulator
    clock: OffsetClock
    downloads: Path
    ran: list[tuple[str, datetime]] = field(default_factory=list)

    async def say(self, line: str) -> str:
        """Type ``line``; return what the console printed until the bot reacted."""
        mark = len(self.out.getvalue())
        outcome = await self.console.handle(line)
        assert outcome is None
        await self.console.idle()
        return self.out.getvalue()[mark:]

    async def shows(self, text: str) -> str:
        """Wait until the console has printed ``text``; return the whole output."""
        await self.emulator.wait_for(
            lambda: self.out.getvalue() if text in self.out.getvalue() else None,
            what=lambda: f"{text!r} in the console output:\n{self.out.getvalue()}",
        )
        return self.out.getvalue()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("下一页 ›", callback_data="page:2"),
                InlineKeyboardButton("HZ-003", callback_data="card:HZ-003"),
            ],
            [InlineKeyboardButton("说明", url="https://example.org/help")],
        ]
    )
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        '<b>你好</b>，A &amp; B <a href="https://example.org">链接</a>',
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


def card_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📎 佐证", callback_data="upload"),
            ]
        ]
    )


async def card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An item card with a 📎 button, as the bot's cards are (handlers.evidence)."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        "🟡 HZ-003 · 未整改\n佐证材料：0 份", reply_markup=card_keyboard()
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    chat_data: dict[str, Any] = context.chat_data  # type: ignore[assignment]
    if query.data == "upload":
        await query.answer()
        chat_data["card"] = query.message.message_id
        cancel = InlineKeyboardButton("✖ 取消", callback_data="cancel")
        await query.message.chat.send_message(
            "请发送 HZ-003 的佐证材料", reply_markup=InlineKeyboardMarkup([[cancel]])
        )
    elif query.data == "cancel":
        await query.answer()
        await query.edit_message_text("已取消上传")
    elif query.data == "page:2":
        await query.answer("已翻页")
        back = InlineKeyboardButton("‹ 上一页", callback_data="page:1")
        await query.edit_message_text("第 2 页", reply_markup=InlineKeyboardMarkup([[back]]))
    else:
        await query.answer(f"打开 {query.data}", show_alert=True)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_document(b"PK\x03\x04ledger", filename="台账.xlsx")


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_photo(PNG, caption="统计图")


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    keyboard = ReplyKeyboardMarkup([["党的领导", "其他"]], one_time_keyboard=True)
    await update.effective_chat.send_message("请选择问题类别", reply_markup=keyboard)


async def received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    chat_data: dict[str, Any] = context.chat_data  # type: ignore[assignment]
    card_id = chat_data.pop("card", None)
    if card_id is not None:  # the file for a card's 📎: the card is redrawn, then a reply
        await context.bot.edit_message_text(
            "🟡 HZ-003 · 整改中\n佐证材料：1 份",
            chat_id=message.chat_id,
            message_id=card_id,
            reply_markup=card_keyboard(),
        )
    if message.document is not None:
        doc = message.document
        await message.reply_text(f"收到 {doc.file_name} {doc.file_size} {message.caption}")
    elif message.photo:
        photo = message.photo[-1]
        await message.reply_text(f"收到图片 {photo.width}x{photo.height} {message.caption}")


async def bot_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("机器人帮助")


class AtTime(BaseTrigger):
    """A calendar trigger of our own (alerts uses one): daily at ``at`` in Asia/Shanghai."""

    def __init__(self, at: time) -> None:
        self._cron = CronTrigger(hour=at.hour, minute=at.minute, timezone=TZ)

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = self._cron.get_next_fire_time(previous, now)
        return fire


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    """The console against a bot with known reactions and four scheduled jobs: a daily one at
    09:00 (it writes to the contact), a digest at 17:30 on a trigger of its own, an hourly
    wake-up, and a one-off retry in an hour.
    The demo clock starts at Monday 08:50 (in the past: a negative offset)."""
    clock = OffsetClock(DEMO_START - datetime.now(UTC))
    emulator = Emulator(clock=clock)
    await emulator.start()
    app = builder_for(emulator).build()
    out = io.StringIO()
    words = Words(Catalog.load(), "zh-CN")
    console = Console(
        emulator=emulator,
        app=app,
        clock=clock,
        tz=TZ,
        personas=[INSPECTOR, CONTACT, LEADER],
        units=["HZ", "NB"],
        words=words,
        screen=Screen(out, ansi=False, interactive=False),
        downloads=tmp_path / "downloads",
        user_language="zh-hans",
        clock_file=tmp_path / "clock",
        reset_dir=tmp_path / "data",
        reply_wait=1.0,
    )
    under_test = Chat(console, out, emulator, clock, tmp_path / "downloads")

    def job(
        name: str, to: int
    ) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        async def callback(context: ContextTypes.DEFAULT_TYPE) -> None:
            under_test.ran.append((name, clock.now()))
            await context.bot.send_message(to, f"{name}：HZ-003 还有 3 天到期")

        return callback

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", bot_help))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("chart", chart))
    app.add_handler(CommandHandler("add", choose))
    app.add_handler(CommandHandler("card", card))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, received))
    assert app.job_queue is not None
    # The bot's own job names (alerts.jobs): the console tells them in people's words.
    app.job_queue.run_daily(
        job("sweep", CONTACT.user_id), time(9, 0, tzinfo=TZ), name="alerts.sweep 09:00"
    )
    app.job_queue.run_custom(
        job("digest", INSPECTOR.user_id),
        {"trigger": AtTime(time(17, 30))},
        name="alerts.digest.daily",
    )
    app.job_queue.run_repeating(
        job("wake", INSPECTOR.user_id), interval=3600, first=3600, name="alerts.watch"
    )
    app.job_queue.run_once(job("retry", INSPECTOR.user_id), when=3600, name="retry")
    emulator.add_listener(console.on_event)
    try:
        async with polling(app):
            yield under_test
            await console.close()
    finally:
        await emulator.stop()


async def test_messages_show_as_text_with_numbered_buttons_and_a_number_presses(
    chat: Chat,
) -> None:
    shown = await chat.say("/start")
    assert "整改通 ›\n  你好，A & B 链接 (https://example.org)\n" in shown
    assert "  [1] 下一页 ›  [2] HZ-003\n  [3] 说明 (https://example.org/help)\n" in shown
    assert "没有收到" not in shown

    assert "链接按钮" in await chat.say("3")  # a link: nothing is sent to the bot
    assert "没有按钮 [4]：最近一条带按钮的消息共有 3 个按钮。" in await chat.say("4")
    await chat.say("2")
    await chat.shows("（弹窗）打开 card:HZ-003")
    await chat.say("1")
    shown = await chat.shows("第 2 页")
    assert "（按下 [1] 下一页 ›）" in shown
    assert "整改通 › （已编辑）\n  第 2 页\n  [1] ‹ 上一页\n" in shown
    await chat.shows("（提示）已翻页")


async def test_pressing_without_buttons_and_silence_are_reported(chat: Chat) -> None:
    assert "最近的消息里没有可按的按钮。" in await chat.say("1")
    assert "（1 秒内没有收到机器人的回复）" in await chat.say("还有哪些没整改")


async def test_help_shows_the_console_commands_and_asks_the_bot_too(chat: Chat) -> None:
    shown = await chat.say("/help")
    assert "控制台命令" in shown and "/clock" in shown and str(chat.downloads) in shown
    await chat.shows("机器人帮助")


async def test_reply_keyboards_are_listed(chat: Chat) -> None:
    await chat.say("/add")
    await chat.shows("⌨ 快捷回复：[党的领导]  [其他]")


async def test_files_the_bot_sends_are_saved(chat: Chat) -> None:
    await chat.say("/export")
    await chat.shows(f"📎 文件已保存：{chat.downloads / '台账.xlsx'}")
    assert (chat.downloads / "台账.xlsx").read_bytes() == b"PK\x03\x04ledger"
    await chat.say("/export")
    await chat.shows(f"{chat.downloads / '台账 (2).xlsx'}")
    await chat.say("/chart")
    shown = await chat.shows("统计图")
    photos = list(chat.downloads.glob("photo-*.png"))
    assert len(photos) == 1 and photos[0].read_bytes() == PNG
    assert f"🖼 图片已保存：{photos[0]}" in shown


async def test_send_uploads_files_as_the_persona(chat: Chat, tmp_path: Path) -> None:
    plan = tmp_path / "整改 方案.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    await chat.say("/as HZ contact")
    shown = await chat.say(f'/send "{plan}" HZ-003 第一批')
    assert "（已以 HZ 联络员 身份发送 整改 方案.pdf，13 字节）" in shown
    await chat.shows("收到 整改 方案.pdf 13 HZ-003 第一批")

    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    await chat.say(f"/send {photo} HZ-004")
    await chat.shows("收到图片 3x2 HZ-004")

    big = tmp_path / "big.zip"
    with big.open("wb") as fh:
        fh.truncate(25 * 1024 * 1024)  # sparse: only its size is ever looked at
    shown = await chat.say(f"/send {big}")
    assert "只向机器人声明大小 26214400 字节" in shown
    await chat.shows("收到 big.zip 26214400 None")

    assert "找不到文件" in await chat.say(f"/send {tmp_path / 'nothing.pdf'}")
    assert "用法：/send" in await chat.say("/send")
    assert "用法：/send" in await chat.say('/send "unbalanced')


async def test_personas_switch_and_strangers_can_be_played(chat: Chat) -> None:
    assert chat.console.prompt == "巡察组 > "
    assert "已切换为 HZ 联络员（陈晓燕）。" in await chat.say("/as HZ contact")
    assert chat.console.prompt == "HZ 联络员 > "
    await chat.say("/as 负责人 hz")
    assert chat.console.prompt == "HZ 主要负责人 > "
    assert "当前身份：HZ 主要负责人（周建华，用户 ID 20102）" in await chat.say("/who")
    await chat.say("/as 20101")
    assert chat.console.prompt == "HZ 联络员 > "
    await chat.say("/as inspector")
    assert chat.console.prompt == "巡察组 > "
    await chat.say("/as 424242")
    assert chat.console.prompt == "访客 424242 > "
    await chat.say("/start")
    await chat.shows("你好")  # the stranger's own chat: no recipient in the header

    assert "没有单位 XX。现有单位：HZ NB。" in await chat.say("/as XX leader")
    assert "NB 还没有联络员。" in await chat.say("/as NB contact")
    assert "没有这个身份：HZ。" in await chat.say("/as HZ")
    assert "没有这个身份：inspector contact。" in await chat.say("/as inspector contact")
    listed = await chat.say("/as")
    assert "/as HZ leader  —  HZ 主要负责人（周建华，ID 20102）" in listed
    assert "/as inspector  —  巡察组（王建国，ID 10001）\n" in listed  # not the current one
    assert chat.console.prompt == "访客 424242 > "


async def test_the_clock_moves_bot_and_telegram_and_runs_what_fell_due(chat: Chat) -> None:
    shown = await chat.say("/clock")
    assert "演示时间：2026-03-02 08:50 周一 (Asia/Shanghai)（与真实时间相差 -" in shown

    shown = await chat.say("/clock +5m")
    assert "时钟已拨到 2026-03-02 08:55 周一" in shown and "补跑" not in shown
    assert chat.ran == []

    shown = await chat.say("/clock +10m")  # 09:05: the 09:00 job fell due, once
    assert "已按新时间补跑到点的定时任务：09:00 巡检提醒。" in shown
    assert [name for name, _ in chat.ran] == ["sweep"]
    assert chat.ran[0][1] >= DEMO_START + timedelta(minutes=15)  # it saw the new time
    # Sent to the contact while the console plays the inspector: shown under their name,
    # dated by the same clock.
    await chat.shows("整改通 → HZ 联络员（陈晓燕）\n  sweep：HZ-003 还有 3 天到期")
    contact = chat.emulator.user(CONTACT.user_id, CONTACT.name)
    assert contact.replies[-1].date >= DEMO_START + timedelta(minutes=15)

    shown = await chat.say("/clock +3d")  # three 09:00s, 17:30s, 72 wake-ups: each job once
    # the watch ran too, unnamed: housekeeping nobody needs to hear about
    assert "已按新时间补跑到点的定时任务：09:00 巡检提醒、日报。" in shown
    assert "alerts." not in chat.out.getvalue()
    assert sorted(name for name, _ in chat.ran) == ["digest", "sweep", "sweep", "wake"]
    assert "2026-03-05 09:05 周四" in shown
    saved = saved_clock(chat.console.clock_file or Path("missing"))
    assert saved is not None and abs(saved - chat.clock.now()) < timedelta(seconds=5)

    shown = await chat.say("/clock -1d")
    assert "2026-03-04 09:05 周三" in shown and "补跑" not in shown
    assert "时间写法不对：+3x" in await chat.say("/clock +3x")
    shown = await chat.say("/clock now")  # months ahead, to real time: each job once more
    assert "时钟已拨到" in shown and "与真实时间相差" not in shown
    assert abs(chat.clock.offset) < timedelta(seconds=1)
    ran = sorted(name for name, _ in chat.ran)
    assert ran == ["digest", "digest", "sweep", "sweep", "sweep", "wake", "wake"]
    # The one-off retry keeps its real-time schedule: never run early.


async def test_clock_resume_goes_back_to_the_demo_time_of_the_last_exit(chat: Chat) -> None:
    chat.console.resume_at = DEMO_START + timedelta(days=2)  # Wednesday 08:50
    shown = await chat.say("/clock resume")
    assert "时钟已拨到 2026-03-04 08:50 周三" in shown
    assert "已按新时间补跑到点的定时任务：09:00 巡检提醒、日报。" in shown
    assert abs(chat.clock.now() - (DEMO_START + timedelta(days=2))) < timedelta(seconds=5)
    assert "没有上次退出时的演示时间可回到。" in await chat.say("/clock resume")


async def test_start_up_messages_are_summed_up_in_one_line_and_read_with_inbox(
    chat: Chat,
) -> None:
    chat.console.hold()  # as the sandbox does around the bot's start-up sweep
    bot = chat.console.app.bot
    await bot.send_message(CONTACT.user_id, "【超期预警】HZ-001 已超期 6 天")
    await bot.send_message(LEADER.user_id, "【待签字】HZ-007 等待您签字背书")
    await bot.send_message(CONTACT.user_id, "【临期提醒】HZ-003 还有 3 天")
    chat.console.release()
    out = chat.out.getvalue()
    assert "【" not in out  # no wall of alerts before the first prompt
    assert (
        "启动时的巡检推送了 3 条提醒给 2 人：HZ 联络员 2 条、HZ 主要负责人 1 条。"
        "输入 /inbox 查看当前身份收到的消息，/as 切换身份。"
    ) in out

    assert "巡察组 还没有收到机器人的消息。" in await chat.say("/inbox")
    await chat.say("/as HZ contact")
    shown = await chat.say("/inbox")
    assert shown.index("【超期预警】HZ-001") < shown.index("【临期提醒】HZ-003")
    assert "待签字" not in shown
    assert "【临期提醒】HZ-003" in await chat.say("/inbox 1")
    assert "【超期预警】" not in await chat.say("/inbox 1")

    # After start-up the bot's messages print as they come again.
    await bot.send_message(LEADER.user_id, "【催办】HZ-002")
    await chat.shows("整改通 → HZ 主要负责人（周建华）\n  【催办】HZ-002")


async def test_nothing_is_summed_up_when_the_start_up_sent_nothing(chat: Chat) -> None:
    chat.console.hold()
    chat.console.release()
    assert "启动时" not in chat.out.getvalue()


async def test_an_upload_does_not_reprint_the_card_it_came_from(
    chat: Chat, tmp_path: Path
) -> None:
    plan = tmp_path / "方案.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    await chat.say("/as HZ contact")
    await chat.say("/card")
    await chat.shows("佐证材料：0 份")
    await chat.say("1")
    await chat.shows("请发送 HZ-003 的佐证材料")
    mark = len(chat.out.getvalue())
    await chat.say(f"/send {plan}")
    await chat.shows("收到 方案.pdf")
    after = chat.out.getvalue()[mark:]
    # The card is redrawn in place (as on Telegram); the terminal says so in one line.
    assert "整改通 ›\n  （上方的消息已更新：🟡 HZ-003 · 整改中）\n" in after
    assert "佐证材料：1 份" not in after and "📎 佐证" not in after
    contact = chat.emulator.user(CONTACT.user_id, CONTACT.name)
    assert any("佐证材料：1 份" in m.text for m in contact.messages.values())
    # A number presses a button of the latest message printed whole (the prompt's 取消), not
    # one of the card redrawn out of sight.
    assert "（按下 [1] ✖ 取消）" in await chat.say("1")
    # The answer to a press on an older message is shown whole, edit or not.
    await chat.shows("整改通 › （已编辑）\n  已取消上传")


async def test_quit_and_reset_end_the_session(chat: Chat) -> None:
    shown = await chat.say("/reset")
    assert "确认请输入 /reset yes" in shown
    assert await chat.console.handle("/reset yes") is Outcome.RESET
    assert await chat.console.handle("/reset 确认") is Outcome.RESET
    assert await chat.console.handle("/quit") is Outcome.QUIT
    assert await chat.console.handle("/EXIT") is Outcome.QUIT
    assert await chat.console.handle("   ") is None


# --------------------------------------------------------------------------- pieces


def test_html_becomes_terminal_text() -> None:
    markup = (
        '<b>粗</b> &lt;x&gt; &amp; <a href="https://a.b/">文</a> '
        '<a href="https://a.b/">https://a.b/</a> <span class="tg-spoiler">秘</span>'
    )
    assert terminal_text(markup, ansi=False) == "粗 <x> & 文 (https://a.b/) https://a.b/ 秘"
    styled = terminal_text("<b>a<i>b</i>c</b>\nd", ansi=True)
    assert "\x1b[1ma" in styled and "\x1b[1m\x1b[3mb" in styled and styled.endswith("\x1b[0m")
    assert re.sub(r"\x1b\[\d*m", "", styled) == "abc\nd"


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("+3d", timedelta(days=3)),
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("-1d", timedelta(days=-1)),
        ("+1w", timedelta(weeks=1)),
        ("+1d12h", timedelta(days=1, hours=12)),
        (" +2H ", timedelta(hours=2)),
        ("3d", None),
        ("+3", None),
        ("+3x", None),
        ("++3d", None),
        ("+99999d", None),
        ("", None),
    ],
)
def test_clock_shifts(text: str, delta: timedelta | None) -> None:
    assert parse_shift(text) == delta


def test_durations_and_times_read_naturally() -> None:
    zh, en = Words(Catalog.load(), "zh-CN"), Words(Catalog.load(), "en")
    assert zh.duration(timedelta(days=3)) == "+3 天"
    assert zh.duration(-timedelta(days=1, hours=2, minutes=5)) == "-1 天 2 小时 5 分钟"
    assert en.duration(timedelta(hours=2)) == "+2 h"
    assert zh.duration(timedelta(0)) == "+0 分钟"
    assert zh.time(DEMO_START, TZ) == "2026-03-02 08:50 周一 (Asia/Shanghai)"
    assert en.time(DEMO_START, TZ) == "2026-03-02 08:50 Mon (Asia/Shanghai)"


def config_in(tmp_path: Path, data_dir: str = "data") -> SandboxPaths:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\ndata_dir = "{data_dir}"\n', encoding="utf-8")
    return SandboxPaths.for_config(load_config(path, env={}))


def test_the_sandbox_never_uses_the_data_directory(tmp_path: Path) -> None:
    assert config_in(tmp_path).root == tmp_path / "sandbox-data"
    with pytest.raises(ConfigError, match="overlaps the data directory"):
        config_in(tmp_path, "sandbox-data")


def test_demo_data_is_seeded_once_kept_and_recreated_on_request(tmp_path: Path) -> None:
    paths = config_in(tmp_path)
    config = load_config(tmp_path / "config.toml", env={})
    now = DEMO_START

    def prepare(fresh: bool) -> object:
        return prepare_data(paths, fresh=fresh, now=now, config=config, inspector=10_001)

    assert prepare(False) is not None
    assert not paths.staging.exists()
    with Store.open(paths.data) as store:
        store.registry.set_meta("played", True)
    paths.clock.write_text(now.isoformat(), encoding="utf-8")
    assert prepare(False) is None
    with Store.open(paths.data) as store:
        assert store.registry.get_meta("played") is True

    with Store.open(paths.data), pytest.raises(DataDirInUse):
        prepare(True)  # another sandbox holds it: nothing is deleted
    with Store.open(paths.data) as store:
        assert store.registry.get_meta("played") is True

    assert prepare(True) is not None
    with Store.open(paths.data) as store:
        assert store.registry.get_meta("played") is None
        assert len(store.registry.list_units()) == 4
    assert not paths.clock.exists()  # a fresh demo starts at real time


def test_the_demo_clock_of_the_last_exit_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    assert saved_clock(path) is None
    path.write_text("2026-03-02T08:50:00+08:00", encoding="utf-8")
    assert saved_clock(path) == DEMO_START
    path.write_text("garbage", encoding="utf-8")
    assert saved_clock(path) is None
    path.write_text("2026-03-02T08:50:00", encoding="utf-8")  # naive: not trusted
    assert saved_clock(path) is None


def test_scheduled_jobs_are_told_in_peoples_words_never_by_their_internal_names() -> None:
    zh, en = Words(Catalog.load(), "zh-CN"), Words(Catalog.load(), "en")
    names = [
        "alerts.watch",
        "backup.daily",
        "alerts.sweep 09:00",
        "alerts.sweep 15:00",
        "alerts.digest.daily",
        "alerts.digest.weekly",
        "channels.retry",
        "notify:20101",
        "something.else",
    ]
    assert job_words(zh, names) == [
        "自动备份",
        "09:00 巡检提醒",
        "15:00 巡检提醒",
        "日报",
        "周报",
        "其他定时任务",
    ]
    assert job_words(en, ["alerts.sweep 09:00", "alerts.digest.weekly"]) == [
        "09:00 alert sweep",
        "weekly digest",
    ]
    assert job_words(zh, ["alerts.watch", "channels.retry"]) == []
