"""Pacing under Telegram's limits against the emulator's flood mode (R13), and ``RetryAfter``
honoured (R11). The pacer and the emulator's flood windows read one fake monotonic clock, so
tens of seconds of pacing take a second or two; the HTTP path (PTB → httpx → emulator) is
real.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from alerts.delivery import Deliverer, Outbound, Outcome
from alerts.jobs import runtime_of, sweep_now
from alerts.pacing import Limits, Pacer
from ledger.model import Person, Role, Unit
from sandbox.emulator import Emulator, FloodLimits
from tests.alerts.helpers import FakeTime, fake_pacing, new_item
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def flood_mode(emulator: Emulator, clock: FakeTime) -> None:
    emulator.flood_limits = FloodLimits(
        overall_per_second=30, per_chat_per_second=1, group_per_minute=20
    )
    emulator.monotonic = clock.monotonic


def refusals(emulator: Emulator) -> int:
    return sum(1 for c in emulator.calls_of("sendMessage") if c.error_code == 429)


async def deliver(
    emulator: Emulator, messages: list[Outbound], limits: Limits, clock: FakeTime
) -> tuple[list[Outcome], float, float]:
    """Send through PTB's Bot and our Deliverer; returns outcomes, fake and real seconds."""
    pacer = Pacer(limits, monotonic=clock.monotonic, sleep=clock.sleep)
    clock.hold_while_in_flight(pacer)
    async with Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    ) as bot:
        fake_start, real_start = clock.now, time.perf_counter()
        results = await Deliverer(bot, pacer, concurrency=8).send_all(messages)
    return [r.outcome for r in results], clock.now - fake_start, time.perf_counter() - real_start


async def test_a_hundred_alerts_to_ten_chats_and_a_group_draw_no_429(emulator: Emulator) -> None:
    """R13 as written: 100 alerts to 10 chats + 1 group, limits enforced strictly."""
    clock = FakeTime()
    flood_mode(emulator, clock)
    users = [emulator.user(3000 + n, f"用户{n}") for n in range(10)]
    group = emulator.group(-100_200_300, "整改工作群", users)
    rng = random.Random(13)
    chats = [u.id for u in users for _ in range(8)][:75] + [group.id] * 25
    rng.shuffle(chats)
    messages = [Outbound(c, f"【超期预警】第 {n} 条") for n, c in enumerate(chats)]
    outcomes, fake_seconds, _ = await deliver(emulator, messages, Limits(30, 1, 20), clock)
    assert outcomes == [Outcome.SENT] * 100
    assert refusals(emulator) == 0
    assert len(group.replies) == 25
    assert fake_seconds >= 60.0  # 25 to one group need more than a minute


async def test_a_thousand_alerts_to_three_hundred_recipients_draw_no_429(
    emulator: Emulator,
) -> None:
    clock = FakeTime()
    flood_mode(emulator, clock)
    recipients = [emulator.user(10_000 + n, f"联络员{n}").id for n in range(300)]
    rng = random.Random(1000)
    chats = recipients * 3 + rng.sample(recipients, 100)
    rng.shuffle(chats)
    messages = [Outbound(c, f"<b>HZ-{n:03d}</b> 超期") for n, c in enumerate(chats)]
    outcomes, fake_seconds, real_seconds = await deliver(emulator, messages, Limits(), clock)
    assert Counter(outcomes) == {Outcome.SENT: 1000}
    assert refusals(emulator) == 0
    assert 1000 / 28 - 1 <= fake_seconds < 1000 / 28 + 5  # paced at the default 28/s
    assert real_seconds < 30


async def test_a_sweep_to_three_hundred_units_in_flood_mode(bot: BotUnderTest) -> None:
    """The production path: one sweep deciding 1,200 alerts for 300 contacts and two
    inspectors, delivered in waves through the pacer: one message each, no 429."""
    clock = await fake_pacing(bot.app)
    flood_mode(bot.emulator, clock)
    rules = bot.config.rules
    created = datetime(2026, 1, 5, 9, tzinfo=TZ)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    for n in range(300):
        code = f"U{n:03d}"
        bot.store.add_unit(Unit(code, f"第{n}单位党组"))
        bot.store.registry.upsert_person(Person(20_000 + n, f"联络员{n}", Role.CONTACT, unit=code))
        bot.emulator.user(20_000 + n, f"联络员{n}")
        new_item(bot.store, code, now=created, deadline=date(2026, 2, 25), rules=rules)
        new_item(bot.store, code, now=created, deadline=date(2026, 3, 5), rules=rules)
    report = await sweep_now(bot.app)
    assert report.entries == 300 * 3 + 300 * 2 - 300  # overdue + due soon each; escalations
    assert report.sent == 302 and report.unreachable == report.uncertain == 0
    assert refusals(bot.emulator) == 0
    per_chat = Counter(c.chat_id for c in bot.emulator.calls_of("sendMessage") if c.ok)
    assert set(per_chat.values()) == {1}


async def test_retry_after_is_waited_out_then_the_alert_is_delivered_once(
    bot: BotUnderTest,
) -> None:
    clock = await fake_pacing(bot.app)
    contact = bot.contact("HZ", 2001)
    created = datetime(2026, 1, 5, 9, tzinfo=TZ)
    new_item(bot.store, "HZ", now=created, deadline=date(2026, 2, 25), rules=bot.config.rules)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    bot.emulator.fail_next("sendMessage", chat_id=contact.id, code=429, retry_after=5)
    pacer = runtime_of(bot.app).pacer
    paused_at: list[float] = []
    pause = pacer.pause

    def record_pause(seconds: float) -> None:
        paused_at.append(clock.now)
        pause(seconds)

    pacer.pause = record_pause  # type: ignore[method-assign]
    delivered_at: list[float] = []
    bot.emulator.add_listener(
        lambda event: delivered_at.append(clock.now) if event.chat_id == contact.id else None
    )
    report = await sweep_now(bot.app)
    assert report.sent == 3 and report.pending == 0
    calls = [c for c in bot.emulator.calls_of("sendMessage") if c.chat_id == contact.id]
    assert [c.error_code for c in calls] == [429, None]
    assert len(contact.replies) == 1
    assert len(paused_at) == 1 and delivered_at[0] - paused_at[0] >= 5.0
