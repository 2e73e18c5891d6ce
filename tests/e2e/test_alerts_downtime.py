"""Downtime of any length is caught up once, coalesced (R8, R19): stop the bot, move the clock
three days (and 72 hours over a weekend), start it again. The start-up sweep sends each due
alert once — the current step only, one message per person — and nothing repeats later. No
one writes to the bot meanwhile: nothing depends on Telegram's update queue.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.jobs import runtime_of, sweep_now, tick, wait_started
from app.clock import FakeClock
from sandbox.emulator import Emulator
from tests.alerts.helpers import fake_pacing, new_item, sections
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest, running_bot

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID = 2001, 2002
PEOPLE = (CONTACT_ID, LEADER_ID, INSPECTOR_ID, OTHER_INSPECTOR_ID)


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


def seed(bot: BotUnderTest, deadlines: list[date]) -> None:
    bot.contact("HZ", CONTACT_ID)
    bot.leader("HZ", LEADER_ID)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    for deadline in deadlines:
        new_item(bot.store, "HZ", now=at(2026, 1, 5), deadline=deadline, rules=bot.config.rules)


def received(emulator: Emulator, since: int) -> dict[int, list[tuple[str, str]]]:
    """Per person, the (kind, item) lines of the alert messages sent after call ``since``."""
    out: dict[int, list[tuple[str, str]]] = {}
    for call in emulator.calls_of("sendMessage")[since:]:
        if call.ok and call.chat_id is not None:
            out.setdefault(call.chat_id, []).extend(sections(call.params["text"]))
    return out


def messages(emulator: Emulator, since: int) -> list[int]:
    return sorted(c.chat_id or 0 for c in emulator.calls_of("sendMessage")[since:] if c.ok)


async def test_three_days_down_one_catch_up_per_item(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    # Monday 03-02 09:00. HZ-001 due Fri 03-06 (4 days: 临期 step 7 now; steps 3 and 1 fall
    # in the downtime); HZ-002 due Tue 03-03 (临期 step 1 now, overdue from Wednesday, in the
    # downtime); HZ-003 overdue since 02-21 (day 10: step 1 now, still step 1 on Thursday).
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        seed(bot, [date(2026, 3, 6), date(2026, 3, 3), date(2026, 2, 20)])
        start = len(emulator.calls_of("sendMessage"))
        assert await tick(bot.app) is None  # the start-up sweep ran before the items existed
        await sweep_now(bot.app)
        first = received(emulator, start)
        assert sorted(first[CONTACT_ID]) == [
            ("due_soon", "HZ-001"),
            ("due_soon", "HZ-002"),
            ("overdue", "HZ-003"),
        ]
        bot.check_clean()

    emulator_clock.advance(timedelta(days=3))  # Thursday 03-05 09:00
    mark = len(emulator.calls_of("sendMessage"))
    assert emulator.pending_updates == []  # nobody wrote: no update will wake anything
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        report = runtime_of(bot.app).last_report
        assert report is not None and report.trigger == "startup"
        got = received(emulator, mark)
        # one message per person; per item the current step only
        assert messages(emulator, mark) == sorted(PEOPLE)
        assert sorted(got[CONTACT_ID]) == [("due_soon", "HZ-001"), ("overdue", "HZ-002")]
        assert sorted(got[LEADER_ID]) == [("overdue", "HZ-002")]
        assert sorted(got[INSPECTOR_ID]) == [("escalation_1", "HZ-002")]
        contact = emulator.user(CONTACT_ID, "")
        assert "距整改时限还有 1 天" in contact.replies[-1].text  # step 1, not 3
        assert "已超期 2 天" in contact.replies[-1].text

        # Nothing repeats: later the same day, and the next morning brings only new steps.
        await fake_pacing(bot.app)
        after = len(emulator.calls_of("sendMessage"))
        for hours in (1, 3, 8):
            bot.clock.set(at(2026, 3, 5) + timedelta(hours=hours))
            await tick(bot.app)
        assert messages(emulator, after) == []
        bot.clock.set(at(2026, 3, 6))
        await tick(bot.app)
        assert received(emulator, after) == {}  # Friday: no new step for any item
        bot.check_clean()


async def test_seventy_two_hours_over_a_weekend_one_catch_up(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    emulator_clock.set(at(2026, 3, 6, 10))  # Friday 10:00
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        # HZ-001 due Tue 03-10 (7 → 临期 step 3 on Saturday → step 1 on Monday);
        # HZ-002 due Sat 03-07 (overdue from Sunday); HZ-003 overdue 7 days on Friday
        # (step 0), day 8 on Saturday (step 1), day 10 on Monday (still step 1).
        seed(bot, [date(2026, 3, 10), date(2026, 3, 7), date(2026, 2, 27)])
        await sweep_now(bot.app)
        bot.check_clean()

    emulator_clock.advance(timedelta(hours=72))  # Monday 03-09 10:00
    mark = len(emulator.calls_of("sendMessage"))
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        got = received(emulator, mark)
        assert messages(emulator, mark) == sorted(PEOPLE)
        assert sorted(got[CONTACT_ID]) == [
            ("due_soon", "HZ-001"),
            ("overdue", "HZ-002"),
            ("overdue", "HZ-003"),
        ]
        assert "距整改时限还有 1 天" in emulator.user(CONTACT_ID, "").replies[-1].text
        assert sorted(got[INSPECTOR_ID]) == [("escalation_1", "HZ-002")]
        await fake_pacing(bot.app)
        after = len(emulator.calls_of("sendMessage"))
        for hours in (1, 5):
            bot.advance(timedelta(hours=hours))
            await tick(bot.app)
        assert messages(emulator, after) == []  # 11:00, 16:00: nothing again
        bot.check_clean()
