"""Through the running bot, day by day: every alert kind arrives on its exact day — not a day
before, not a day after — to the right people, with repeat and escalation steps (DESIGN §3).

Six weeks of 09:00 sweeps and 17:30 digest wake-ups (``[alerts] quiet = false``, so weekends
count like the policy's calendar days) over one item per rule; what each person received is
read back from the chat and compared, day by day, with dates worked out by hand from
config.toml's defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import sweep_now, tick
from app.clock import FakeClock
from ledger.model import Person, Role, Status
from sandbox.emulator import Emulator
from tests.alerts.helpers import drive, fake_pacing, new_item, sections
from tests.e2e.harness import BotUnderTest, running_bot

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID, I1, I2 = 2001, 2002, 100, 101
D = date


@pytest.fixture
async def loud_bot(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(
        tmp_path, emulator, emulator_clock, config_extra="\n[alerts]\nquiet = false\n"
    ) as bot:
        yield bot
        bot.check_clean()


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def expected() -> dict[date, set[tuple[int, str, str]]]:
    """(recipient, kind, item) per day, from the rules in config.toml, worked out by hand.

    HZ-001 open, deadline Thu 03-12: 临期 7/3/1 days before (03-05, 03-09, 03-11); 超期 on
    overdue day 1, 8, 15, 22, 29 (03-13 … 04-10) to contact and leader; 升级 at 1, 15, 30 days
    overdue (03-13, 03-27, 04-11) to inspectors, 提醒 → 告诫 → 建议问责.
    HZ-002 in progress since 03-02, deadline at year end: 无进展 after 14 and 28 days.
    HZ-003 submitted 03-02 / HZ-004 endorsed 03-02: reminders after 4, 7, 10 … working days
    (China's calendar: 清明 Mon 04-06 is off) to the leader / the inspectors.
    HZ-005 closed 2025-09-10: 回头看 six months on, 03-10, to the inspectors.
    """
    days: dict[date, set[tuple[int, str, str]]] = {}

    def add(day: date, who: tuple[int, ...], kind: str, item: str) -> None:
        days.setdefault(day, set()).update((w, kind, item) for w in who)

    for day in (D(2026, 3, 5), D(2026, 3, 9), D(2026, 3, 11)):
        add(day, (CONTACT_ID,), "due_soon", "HZ-001")
    for day in (D(2026, 3, 13), D(2026, 3, 20), D(2026, 3, 27), D(2026, 4, 3), D(2026, 4, 10)):
        add(day, (CONTACT_ID, LEADER_ID), "overdue", "HZ-001")
    add(D(2026, 3, 13), (I1, I2), "escalation_1", "HZ-001")
    add(D(2026, 3, 27), (I1, I2), "escalation_2", "HZ-001")
    add(D(2026, 4, 11), (I1, I2), "escalation_3", "HZ-001")
    for day in (D(2026, 3, 16), D(2026, 3, 30)):
        add(day, (CONTACT_ID,), "stale", "HZ-002")
    review_days = [
        D(2026, 3, 6),
        D(2026, 3, 11),
        D(2026, 3, 16),
        D(2026, 3, 19),
        D(2026, 3, 24),
        D(2026, 3, 27),
        D(2026, 4, 1),
        D(2026, 4, 7),
        D(2026, 4, 10),
    ]
    for day in review_days:
        add(day, (LEADER_ID,), "await_endorsement", "HZ-003")
        add(day, (I1, I2), "await_verification", "HZ-004")
    add(D(2026, 3, 10), (I1, I2), "lookback", "HZ-005")
    return days


def expected_digests() -> dict[date, set[tuple[int, str, str]]]:
    """17:30: the 日报 to inspectors on working days, the 周报 to the unit on Fridays."""
    days: dict[date, set[tuple[int, str, str]]] = {}
    day = D(2026, 3, 2)
    while day <= D(2026, 4, 12):
        if day.weekday() < 5 and day != D(2026, 4, 6):  # 清明
            days.setdefault(day, set()).update(
                {(I1, "digest_daily", ""), (I2, "digest_daily", "")}
            )
        if day.weekday() == 4:
            days[day].update({(CONTACT_ID, "digest_weekly", ""), (LEADER_ID, "digest_weekly", "")})
        day += timedelta(days=1)
    return days


async def test_each_alert_kind_arrives_on_its_exact_day(loud_bot: BotUnderTest) -> None:
    bot = loud_bot
    await fake_pacing(bot.app)
    rules = bot.config.rules
    contact = bot.contact("HZ", CONTACT_ID, "王联络")
    leader = bot.leader("HZ", LEADER_ID, "李书记")
    inspectors = [bot.inspector(I1), bot.inspector(I2)]
    people = {CONTACT_ID: contact, LEADER_ID: leader, I1: inspectors[0], I2: inspectors[1]}
    c = Person(CONTACT_ID, "王联络", Role.CONTACT, unit="HZ")
    ld = Person(LEADER_ID, "李书记", Role.LEADER, unit="HZ")
    morning = at(D(2026, 3, 2), 8)
    store = bot.store
    new_item(store, "HZ", now=morning, deadline=D(2026, 3, 12), rules=rules)
    for status in (Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED):
        item = new_item(store, "HZ", now=morning, deadline=D(2026, 12, 31), rules=rules)
        drive(store, item, status, now=morning, rules=rules, contact=c, leader=ld)
    closed = new_item(store, "HZ", now=at(D(2025, 8, 1)), deadline=D(2025, 9, 30), rules=rules)
    drive(store, closed, Status.CLOSED, now=at(D(2025, 9, 10)), rules=rules, contact=c, leader=ld)

    received: dict[tuple[date, int], set[tuple[int, str, str]]] = {}
    seen = {uid: 0 for uid in people}

    def read(day: date, hour: int) -> None:
        for uid, user in people.items():
            for message in user.replies[seen[uid] :]:
                for kind, item in sections(message.text):
                    received.setdefault((day, hour), set()).add((uid, kind, item))
            seen[uid] = len(user.replies)

    day = D(2026, 3, 2)
    while day <= D(2026, 4, 12):
        bot.clock.set(at(day))
        report = await (sweep_now(bot.app) if day == D(2026, 3, 2) else tick(bot.app))
        assert report is not None, day  # one sweep a day at 09:00
        assert report.unreachable == report.uncertain == report.failed == 0
        read(day, 9)
        assert await tick(bot.app) is None  # a second look the same morning: nothing
        bot.clock.set(at(day, 17) + timedelta(minutes=30))
        report = await tick(bot.app)  # the digests' hour: a sweep on working days only
        assert (report is not None) == (day in expected_digests()), day
        read(day, 17)
        day += timedelta(days=1)

    for hour, want in ((9, expected()), (17, expected_digests())):
        got = {d: v for (d, h), v in received.items() if h == hour}
        for d in sorted(set(got) | set(want)):
            assert got.get(d, set()) == want.get(d, set()), (d, hour)
    # one message per recipient per sweep
    for user in people.values():
        stamps = [(m.date, m.text.startswith("【日报】")) for m in user.replies]
        assert len(stamps) == len(set(stamps))
