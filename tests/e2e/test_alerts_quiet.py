"""Quiet by design: no alerts outside working hours or on non-working days (China's calendar,
调休 included); what falls there goes out at the next allowed time, once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.jobs import runtime_of, tick, wait_started
from app.clock import FakeClock
from sandbox.emulator import Emulator
from tests.alerts.helpers import fake_pacing, new_item, sections
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest, running_bot

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID = 2001


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def people(bot: BotUnderTest) -> None:
    bot.contact("HZ", CONTACT_ID)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)


def contact_kinds(bot: BotUnderTest) -> list[tuple[str, str]]:
    user = bot.emulator.user(CONTACT_ID, "")
    return [kind for message in user.replies for kind in sections(message.text)]


async def test_a_weekend_and_a_holiday_defer_alerts_to_the_next_working_morning(
    bot: BotUnderTest,
) -> None:
    await fake_pacing(bot.app)
    people(bot)
    rules = bot.config.rules
    # First overdue days: Saturday 03-07; and Saturday 04-04 before 清明 (Mon 04-06).
    new_item(bot.store, "HZ", now=at(2026, 1, 5), deadline=date(2026, 3, 6), rules=rules)
    new_item(bot.store, "HZ", now=at(2026, 1, 5), deadline=date(2026, 4, 3), rules=rules)
    for day in (at(2026, 3, 6), at(2026, 3, 7), at(2026, 3, 8, 12), at(2026, 3, 9, 8, 29)):
        bot.clock.set(day)
        await tick(bot.app)
    assert ("overdue", "HZ-001") not in contact_kinds(bot)
    bot.clock.set(at(2026, 3, 9))  # Monday 09:00: now, once
    await tick(bot.app)
    assert contact_kinds(bot).count(("overdue", "HZ-001")) == 1
    replies = bot.emulator.user(CONTACT_ID, "").replies
    [alert] = [m for m in replies if m.text.startswith("【超期预警】")]
    assert "已超期 3 天" in alert.text
    # Friday's 周报 was due at 17:30, when no sweep ran: it arrives now too, once
    assert [m.text[:20] for m in replies if m.text.startswith("【周报】")] == [
        "【周报】HZ单位党组 3月2日—3月6日"
    ]

    for day in (at(2026, 4, 3), at(2026, 4, 4), at(2026, 4, 6), at(2026, 4, 6, 15)):
        bot.clock.set(day)
        await tick(bot.app)
    assert ("overdue", "HZ-002") not in contact_kinds(bot)
    bot.clock.set(at(2026, 4, 7))  # Tuesday after 清明
    await tick(bot.app)
    assert contact_kinds(bot).count(("overdue", "HZ-002")) == 1
    bot.clock.set(at(2026, 4, 7, 16))
    assert await tick(bot.app) is None


async def test_a_start_in_quiet_hours_sends_at_the_start_of_work(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    emulator_clock.set(at(2026, 3, 7, 10))  # Saturday
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        people(bot)
        new_item(
            bot.store, "HZ", now=at(2026, 1, 5), deadline=date(2026, 3, 5), rules=bot.config.rules
        )
        bot.check_clean()

    # Restart on Sunday evening: the start-up sweep is owed to Monday 08:30.
    emulator_clock.set(at(2026, 3, 8, 20))
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        report = runtime_of(bot.app).last_report
        assert report is not None and report.quiet
        assert report.next_allowed == "2026-03-09T00:30:00+00:00"
        assert contact_kinds(bot) == []
        await fake_pacing(bot.app)
        bot.clock.set(at(2026, 3, 9, 8, 30))
        report = await tick(bot.app)  # the watch's next wake-up
        assert report is not None and report.sent == 3
        assert contact_kinds(bot) == [("overdue", "HZ-001")]
        bot.clock.set(at(2026, 3, 9, 9))
        report = await tick(bot.app)  # the regular 09:00 sweep finds nothing new
        assert report is not None and report.sent == 0
        bot.check_clean()


async def test_a_digest_outside_work_hours_goes_out_next_working_morning(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = '\n[alerts]\ndaily_digest_time = "19:00"\n'
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        await fake_pacing(bot.app)
        people(bot)
        new_item(
            bot.store, "HZ", now=at(2026, 1, 5), deadline=date(2026, 3, 6), rules=bot.config.rules
        )
        inspector = bot.emulator.user(INSPECTOR_ID, "")
        bot.clock.set(at(2026, 3, 6, 19))  # Friday 19:00: quiet
        await tick(bot.app)
        bot.clock.set(at(2026, 3, 7, 12))
        await tick(bot.app)
        assert not [m for m in inspector.replies if m.text.startswith("【日报】")]
        bot.clock.set(at(2026, 3, 9, 8, 30))  # Monday morning
        await tick(bot.app)
        digests = [m for m in inspector.replies if m.text.startswith("【日报】")]
        # Friday's, deferred, not dropped: it covers Friday and says it was held back
        assert len(digests) == 1 and digests[0].text.startswith("【日报】3月6日 整改台账日报")
        assert "非工作时间顺延至今发送" in digests[0].text
        assert "新增超期" not in digests[0].text  # HZ-001 is overdue from Saturday
        bot.clock.set(at(2026, 3, 9, 10))
        await tick(bot.app)
        assert len([m for m in inspector.replies if m.text.startswith("【日报】")]) == 1
        bot.clock.set(at(2026, 3, 9, 19))  # Monday's own (19:00 is quiet: next morning)
        await tick(bot.app)
        bot.clock.set(at(2026, 3, 10, 8, 30))
        await tick(bot.app)
        digests = [m for m in inspector.replies if m.text.startswith("【日报】")]
        assert len(digests) == 2 and digests[1].text.startswith("【日报】3月9日")
        assert "新增超期 1 项：HZ-001" in digests[1].text  # overdue since Saturday
        bot.check_clean()
