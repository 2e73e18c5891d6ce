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
from ledger.access import Action
from ledger.model import Person, Role, Status
from sandbox.emulator import Emulator
from tests.alerts.helpers import act_on, drive, fake_pacing, new_item, sections
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


def digests(emulator: Emulator, since: int, title: str) -> dict[int, str]:
    """Per person, the text of the digest starting with ``title`` sent after call ``since``
    (at most one each: a second one fails the test)."""
    out: dict[int, str] = {}
    for call in emulator.calls_of("sendMessage")[since:]:
        text = call.params.get("text", "")
        if call.ok and call.chat_id is not None and text.startswith(title):
            assert call.chat_id not in out, f"two {title} for {call.chat_id}"
            out[call.chat_id] = text
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
        # one alert message per person, per item the current step only; and for each
        # inspector the one 日报 the downtime held back (Wednesday's: Monday's and Tuesday's
        # collapse into it), saying which day it covers
        assert messages(emulator, mark) == sorted([*PEOPLE, INSPECTOR_ID, OTHER_INSPECTOR_ID])
        daily = digests(emulator, mark, "【日报】")
        assert sorted(daily) == sorted([INSPECTOR_ID, OTHER_INSPECTOR_ID])
        assert all(
            t.startswith("【日报】3月4日 整改台账日报\n（3月4日的日报因停机")
            for t in daily.values()
        )
        assert sorted(got[CONTACT_ID]) == [("due_soon", "HZ-001"), ("overdue", "HZ-002")]
        assert sorted(got[LEADER_ID]) == [("overdue", "HZ-002")]
        assert sorted(got[INSPECTOR_ID]) == [("digest_daily", ""), ("escalation_1", "HZ-002")]
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
        # Friday: no new step for any item; only Thursday's 日报, which the jump skipped
        assert received(emulator, after) == {
            INSPECTOR_ID: [("digest_daily", "")],
            OTHER_INSPECTOR_ID: [("digest_daily", "")],
        }
        assert all(
            t.startswith("【日报】3月5日") for t in digests(emulator, after, "【日报】").values()
        )
        bot.check_clean()


async def test_seventy_two_hours_over_a_weekend_one_catch_up_and_fridays_digests_on_monday(
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
        # Friday 17:30 fell in the downtime: one 日报 (Friday's) to each inspector and one
        # 周报 (3月2日—3月6日) to each person of the unit, on Monday morning, once.
        everyone = [*PEOPLE, INSPECTOR_ID, OTHER_INSPECTOR_ID, CONTACT_ID, LEADER_ID]
        assert messages(emulator, mark) == sorted(everyone)
        daily = digests(emulator, mark, "【日报】")
        assert sorted(daily) == sorted([INSPECTOR_ID, OTHER_INSPECTOR_ID])
        assert all(t.startswith("【日报】3月6日 整改台账日报") for t in daily.values())
        weekly = digests(emulator, mark, "【周报】")
        assert sorted(weekly) == [CONTACT_ID, LEADER_ID]
        assert all("3月2日—3月6日整改情况\n（本期周报因停机" in t for t in weekly.values())
        alerts = [k for k in got[CONTACT_ID] if not k[0].startswith("digest")]
        assert sorted(alerts) == [
            ("due_soon", "HZ-001"),
            ("overdue", "HZ-002"),
            ("overdue", "HZ-003"),
        ]
        replies = emulator.user(CONTACT_ID, "").replies
        assert any("距整改时限还有 1 天" in r.text for r in replies)
        assert sorted(got[INSPECTOR_ID]) == [("digest_daily", ""), ("escalation_1", "HZ-002")]
        await fake_pacing(bot.app)
        after = len(emulator.calls_of("sendMessage"))
        for hours in (1, 5):
            bot.advance(timedelta(hours=hours))
            await tick(bot.app)
        assert messages(emulator, after) == []  # 11:00, 16:00: nothing again
        # Monday 17:30: Monday's own 日报, on time (no "顺延"); no second 周报 this week
        bot.clock.set(datetime(2026, 3, 9, 17, 30, tzinfo=TZ))
        await tick(bot.app)
        daily = digests(emulator, after, "【日报】")
        assert sorted(daily) == sorted([INSPECTOR_ID, OTHER_INSPECTOR_ID])
        assert all(t.startswith("【日报】3月9日") and "顺延" not in t for t in daily.values())
        assert digests(emulator, after, "【周报】") == {}
        bot.check_clean()


async def test_thirty_days_down_one_daily_and_one_weekly_and_nothing_on_a_sunday(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    emulator_clock.set(at(2026, 3, 6, 10))  # Friday 10:00
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        seed(bot, [date(2026, 3, 20)])
        await sweep_now(bot.app)
        bot.check_clean()

    emulator_clock.set(at(2026, 4, 5, 10))  # 30 days later: Sunday 04-05 (清明 till Monday)
    mark = len(emulator.calls_of("sendMessage"))
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        await fake_pacing(bot.app)
        assert messages(emulator, mark) == []  # Sunday: deferred, not sent
        bot.clock.set(at(2026, 4, 6, 11))  # 清明 Monday: still nothing
        await tick(bot.app)
        assert messages(emulator, mark) == []
        bot.clock.set(datetime(2026, 4, 7, 8, 30, tzinfo=TZ))  # Tuesday, work starts
        await tick(bot.app)
        # Thirty days of 日报 and four 周报 collapse into one of each: the latest periods
        daily = digests(emulator, mark, "【日报】")
        assert sorted(daily) == sorted([INSPECTOR_ID, OTHER_INSPECTOR_ID])
        assert all(
            t.startswith("【日报】4月3日 整改台账日报\n（4月3日的日报因停机")
            for t in daily.values()
        )
        weekly = digests(emulator, mark, "【周报】")
        assert sorted(weekly) == [CONTACT_ID, LEADER_ID]
        assert all("3月30日—4月3日整改情况" in t for t in weekly.values())
        # and the item's alerts once each (current step only)
        got = received(emulator, mark)
        assert sorted(k for k in got[CONTACT_ID] if not k[0].startswith("digest")) == [
            ("overdue", "HZ-001")
        ]
        after = len(emulator.calls_of("sendMessage"))
        for hours in (1, 4):
            bot.advance(timedelta(hours=hours))
            await tick(bot.app)
        assert messages(emulator, after) == []  # nothing twice
        bot.check_clean()


async def test_an_item_submitted_late_stays_red_and_counted_until_closed(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:  # Monday 03-02 09:00
        await fake_pacing(bot.app)
        seed(bot, [date(2026, 2, 20)])  # HZ-001: ten days overdue
        contact = Person(CONTACT_ID, "联络员", Role.CONTACT, unit="HZ")
        leader = Person(LEADER_ID, "书记", Role.LEADER, unit="HZ")
        rules = bot.config.rules
        drive(bot.store, "HZ-001", Status.SUBMITTED, now=at(2026, 3, 2, 8), rules=rules,
              contact=contact, leader=leader)  # fmt: skip
        inspector = emulator.user(INSPECTOR_ID, "")
        await inspector.send("/overdue")
        listed = await inspector.next_reply()
        assert (
            "🔴 HZ-001" in listed.text and "已申请销号，待签字" in listed.text
        )  # red, status shown
        await inspector.send("/units")
        assert "超期 1" in (await inspector.next_reply()).text
        # the sweep: no more overdue notices to the contact (the next step is the leader's)
        mark = len(emulator.calls_of("sendMessage"))
        await sweep_now(bot.app)
        got = received(emulator, mark)
        assert ("overdue", "HZ-001") not in got.get(CONTACT_ID, [])
        # the 日报 at 17:30 counts it overdue
        bot.clock.set(datetime(2026, 3, 2, 17, 30, tzinfo=TZ))
        await tick(bot.app)
        daily = digests(emulator, mark, "【日报】")[INSPECTOR_ID]
        assert "超期 1" in daily and "待签字 1" in daily

        # endorsed and closed on 03-03: no longer overdue; recorded as closed 11 days late
        drive_on = at(2026, 3, 3, 10)
        act_on(bot.store, "HZ-001", leader, Action.ENDORSE, now=drive_on, rules=rules)
        for _ in inspector.unread_replies():  # the sweep's and the 日报, read above
            await inspector.next_reply()
        approver = Person(INSPECTOR_ID, "巡察组", Role.INSPECTOR)
        item = act_on(bot.store, "HZ-001", approver, Action.APPROVE, now=drive_on, rules=rules)
        assert item.status is Status.CLOSED
        bot.clock.set(drive_on + timedelta(minutes=5))
        await inspector.send("/overdue")
        assert "HZ-001" not in (await inspector.next_reply()).text
        await inspector.send("/units")
        units = (await inspector.next_reply()).text
        assert "超期" not in units and "逾期完成 1" in units
        bot.check_clean()
