"""One date form per reply (issue 12): every message the bot sends in a driven scenario — cards,
lists, /history, /unit, /stats, /todo, /alerts, the export's caption, an import preview with
worded deadlines, /deadline, /extend and its decision, /reopen, the alerts of a sweep and the
digests, /feedback, /survey — shows dates to people in one Chinese form (年月日), never an
ISO date beside it.

ISO dates may appear in chat only as an example of what to type (``/deadline HZ-001
2026-12-31 理由``, "可以这样写：2026-12-31、12月31日"): the example date (the year's 12-31) is
allowed beside the forms it lists; any other ISO date beside a 年月日 date is a mixed reply,
and the dates of this ledger (deadlines, days things happened, dates read from a file) never
appear as ISO at all. A contact who reads English gets the English form (2026-03-31 (Tue))
and never 年月日.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import sweep_now, tick
from app.clock import FakeClock
from ledger.model import Role, Status
from sandbox.emulator import Emulator
from sandbox.users import ChatEvent, EmulatedUser
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.seed import seed_item
from tests.e2e.workflow_helpers import ask, personas
from tests.storage.xlsx_helpers import HEADER, book_bytes, ledger_sheet, row

TZ = ZoneInfo("Asia/Shanghai")
ISO = re.compile(r"(?<!\d)(19|20)\d{2}-\d{1,2}-\d{1,2}(?!\d)")
CHINESE = re.compile(r"(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日")

# The ledger's own dates (deadlines, the days things happened): never shown as ISO.
DEADLINES = (date(2026, 3, 31), date(2026, 2, 20), date(2026, 3, 5), date(2026, 4, 30))
LEDGER_DATES = (
    *DEADLINES,
    date(2026, 3, 2),  # today
    date(2026, 2, 28),  # the day the seeded items were created
    date(2026, 5, 29),  # /reopen's new deadline
    date(2026, 6, 30),  # /extend's
    date(2026, 11, 30),  # 11月底前, read from the file
    date(2026, 3, 16),  # 立行立改: 10 working days from 3月2日
)
EXAMPLES = frozenset({"2026-12-31"})  # the example of what to type


@pytest.fixture
async def loud_bot(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(
        tmp_path, emulator, emulator_clock, config_extra="\n[alerts]\nquiet = false\n"
    ) as bot:
        yield bot
        bot.check_clean()


def mixed(text: str) -> bool:
    """An ISO date (other than the example of what to type) and a 年月日 date in one message."""
    isos = {m.group(0) for m in ISO.finditer(text)} - EXAMPLES
    return bool(isos) and CHINESE.search(text) is not None


def iso_of_ledger(text: str) -> list[str]:
    return [d.isoformat() for d in LEDGER_DATES if d.isoformat() in text]


def test_the_patterns_see_what_they_should() -> None:
    assert mixed("整改时限：2026年3月31日（周二）\n新时限 2026-04-30")
    assert mixed("11月底前 → 2026-11-30，填报日期 3月1日")
    assert not mixed("整改时限：2026年3月31日（周二）→ 2026年4月30日（周四）")
    assert not mixed("可以这样写：2026-12-31、12月31日、15个工作日")
    assert not mixed("用法：/extend 事项编号 新时限 理由\n例如：/extend HZ-001 2026-12-31 …")
    assert iso_of_ledger("时限 2026-03-31") == ["2026-03-31"]


async def drain(user: EmulatedUser) -> None:
    """Read whatever the user got so far (the collector has it already)."""
    while user.unread_replies():
        await user.next_reply()


async def test_no_reply_mixes_iso_dates_with_chinese_dates(loud_bot: BotUnderTest) -> None:
    bot = loud_bot
    seen: list[tuple[int, str]] = []

    def collect(event: ChatEvent) -> None:
        if event.message is not None and event.message.text:
            seen.append((event.chat_id, event.message.text))
        if event.answer is not None and event.answer.text:
            seen.append((event.chat_id, event.answer.text))

    bot.emulator.add_listener(collect)
    p = await personas(bot, Status.IN_PROGRESS)  # HZ-001, due 2026-03-31
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 20), status=Status.IN_PROGRESS)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 3, 5), status=Status.SUBMITTED)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 28), status=Status.CLOSED)
    seed_item(bot.store, "HZ", now=now, long_term=True)
    inspector, contact, leader = p.inspector, p.contact, p.leader
    english = bot.bind(2003, "Lee", Role.CONTACT, "HZ", language="en")

    for text in (
        "/open",
        "/overdue",
        "/due 40",
        "/item HZ-001",
        "/item HZ-002",
        "/item HZ-004",
        "/history HZ-001",
        "/history HZ-004",
        "/units",
        "/unit HZ",
        "/todo",
        "/alerts",
        "/deadline HZ-001 2026-04-30 配合年度考核",
        "/urge HZ-002 请加快进度",
        "/reopen HZ-004 2026-05-29 回头看发现问题反弹",
        "/history HZ-004",
        "/feedback HZ 2026-02-28",
        "/feedback HZ",
        "/survey HZ 2026-03-31",
        "/survey HZ",
    ):
        await ask(inspector, text)
    await inspector.send("/stats HZ")
    await inspector.next_reply(timeout=15)
    await inspector.send("/export HZ")
    await inspector.next_reply(timeout=15)
    sheet = ledger_sheet(
        [
            HEADER,
            row(1, problem="接待超标", deadline="11月底前"),
            row(2, problem="学习不规范", deadline="立行立改"),
        ]
    )
    await inspector.send_document("整改台账.xlsx", book_bytes({"HZ": sheet}))
    await inspector.next_reply(timeout=20)
    for text in ("/open", "/item HZ-002", "/history HZ-001", "/todo"):
        await ask(contact, text)
    await ask(contact, "/extend HZ-001 6月30日 涉及跨部门协调")
    await ask(leader, "/todo")
    await ask(leader, "/item HZ-003")
    for text in ("/open", "/item HZ-001", "/history HZ-001", "/due 60"):
        await ask(english, text)

    await sweep_now(bot.app)
    for day in range(1, 9):  # a week and more of sweeps and digests
        bot.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ) + timedelta(days=day))
        await tick(bot.app)
        bot.clock.set(datetime(2026, 3, 2, 17, 31, tzinfo=TZ) + timedelta(days=day))
        await tick(bot.app)
    for user in (inspector, contact, leader, p.other_inspector, english):
        await drain(user)

    everything = "\n".join(text for _, text in seen)
    for shown in (  # the scenario reached each kind of reply, dates in 年月日
        "截止 2026年2月20日（周五），已超期 10 天",  # lists and cards
        "1. 2026年2月28日（周六） 09:00 · 巡察组100 · 立项",  # /history
        "（截至 2026年3月2日）",  # /stats
        "📊 整改台账（HZ，截至 2026年3月2日）",  # /export
        "整改时限：2026年3月16日 至 2026年11月30日",  # the import preview
        "11月底前 → 2026年11月30日、立行立改 → 2026年3月16日",
        "2026年3月31日（周二） → 2026年4月30日（周四）",  # /deadline
        "新的整改时限：2026年5月29日（周五）",  # /reopen
        "由 2026年4月30日（周四） 调整为 2026年6月30日（周二）",  # /extend
        "整改时限 2月20日，已超期 10 天",  # alerts
        "【日报】3月2日 整改台账日报",
        "【周报】杭州市局党组 3月2日—3月6日整改情况",
        "2026年2月28日（周六）反馈，应于 2026年4月28日（周二）前报送",  # /feedback
    ):
        assert shown in everything, shown
    # English replies write dates their own way (2026-03-31 (Tue)), never 年月日
    in_english = [text for chat, text in seen if chat == 2003]
    assert any("2026-04-30 (Thu)" in text for text in in_english), in_english
    assert [text for text in in_english if CHINESE.search(text)] == []
    offenders = [
        (chat, text)
        for chat, text in seen
        if chat != 2003 and (mixed(text) or iso_of_ledger(text))
    ]
    assert offenders == [], "\n\n".join(f"[{chat}] {text}" for chat, text in offenders)
