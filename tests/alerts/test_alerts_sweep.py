"""One sweep end to end below Telegram: the alert log's states, exactly-once in the record,
recovery after a crash, carry-over, quiet hours, notices, digests (alerts.sweep; R7–R12).

In-memory store, a fake bot, the project's FakeClock and a fake pacer clock: no sleeping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.error import Forbidden, TimedOut

from alerts.log import AlertLog, State
from alerts.pacing import Pacer
from alerts.sweep import (
    REPORT_META,
    STATE_META,
    Runtime,
    Sweeper,
    SweepReport,
)
from app.clock import FakeClock
from app.roster import set_reachable
from app.services import Services
from config import AlertConfig, BotConfig, Config
from ledger.model import Person, Role, Status, Unit
from ledger.rules import Rules
from ledger.workflow import Action
from locales import Catalog
from storage.repo import Store
from tests.alerts.helpers import (
    INSPECTOR,
    Crash,
    FakeBot,
    FakeTime,
    act_on,
    connection_refused,
    drive,
    new_item,
)

TZ = ZoneInfo("Asia/Shanghai")
CONTACT = Person(11, "王联络", Role.CONTACT, unit="HZ")
LEADER = Person(12, "李书记", Role.LEADER, unit="HZ")
I1, I2 = 100, 101


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


@dataclass
class World:
    store: Store
    services: Services
    clock: FakeClock
    time: FakeTime
    bot: FakeBot

    def sweeper(self) -> Sweeper:
        """A sweeper as a freshly started bot has one (its own runtime)."""
        pacer = Pacer(monotonic=self.time.monotonic, sleep=self.time.sleep)
        return Sweeper(self.services, self.bot, Runtime(pacer=pacer, backoff=(1.0, 2.0)))

    def states(self) -> dict[str, str]:
        return {k: r.state for k, r in AlertLog(self.store.registry).snapshot().items()}

    def texts(self, chat_id: int) -> list[str]:
        return [s.text for s in self.bot.to(chat_id)]

    @property
    def rules(self) -> Rules:
        return self.services.config.rules


@pytest.fixture
def world() -> World:
    return make_world()


MONDAY = at(2026, 3, 2)


def make_world(*, quiet: bool = True, start: datetime = MONDAY) -> World:
    store = Store.memory()
    store.add_unit(Unit("HZ", "杭州市局党组"))
    for person in (CONTACT, LEADER):
        store.registry.upsert_person(person)
    config = Config(
        path=Path("config.toml"),
        bot=BotConfig(inspectors=(I1, I2)),
        alerts=AlertConfig(quiet=quiet),
    )
    clock = FakeClock(start)
    services = Services.create(config, store, clock, Catalog.load())
    time = FakeTime()
    return World(store, services, clock, time, FakeBot(time=time))


def overdue_item(w: World, deadline: date = date(2026, 2, 25)) -> str:
    return new_item(w.store, "HZ", now=at(2026, 1, 5), deadline=deadline, rules=w.rules)


# --------------------------------------------------------------------------- exactly once


async def test_three_sweeps_at_one_instant_send_each_alert_once(world: World) -> None:
    item = overdue_item(world)
    sweeper = world.sweeper()
    reports = [await sweeper.tick(force=True) for _ in range(3)]
    assert [r.sent for r in reports if r] == [4, 0, 0]  # contact, leader, two inspectors
    key = f"{item}:overdue:2026-02-25:0@{CONTACT.user_id}"
    record = world.store.registry.get_alert(key)
    assert record is not None and record.state == State.SENT
    assert record.data["message_id"] == world.bot.to(CONTACT.user_id)[0].message_id
    assert record.data["at"] == "2026-03-02T09:00:00+08:00"
    assert len(world.texts(CONTACT.user_id)) == 1


async def test_concurrent_sweeps_serialise_and_send_once(world: World) -> None:
    overdue_item(world)
    sweeper = world.sweeper()
    await asyncio.gather(*(sweeper.tick(force=True) for _ in range(3)))
    assert len(world.bot.sent) == 4


async def test_a_crash_between_send_and_record_gives_uncertain_and_no_resend(
    world: World,
) -> None:
    item = overdue_item(world)
    world.bot.fail[CONTACT.user_id] = [("deliver", Crash())]
    with pytest.raises(Crash):
        await world.sweeper().tick(force=True)
    key = f"{item}:overdue:2026-02-25:0@{CONTACT.user_id}"
    assert world.states()[key] == State.SENDING
    assert len(world.texts(CONTACT.user_id)) == 1  # it went out before the crash

    # The bot starts again, later the same day and on the next days.
    sent_before = len(world.bot.sent)
    world.clock.advance(timedelta(minutes=5))
    report = await world.sweeper().tick(trigger="startup", force=True)
    assert report is not None and report.recovered >= 1
    assert world.states()[key] == State.UNCERTAIN
    assert len(world.texts(CONTACT.user_id)) == 1  # not resent
    new = world.bot.sent[sent_before:]
    notices = [s for s in new if "发送状态不明" in s.text]
    assert sorted(s.chat_id for s in notices) == [I1, I2]  # one notice per inspector
    assert "王联络（联络员，杭州市局党组）：HZ-001 超期预警" in notices[0].text
    for _ in range(2):
        world.clock.advance(timedelta(hours=1))
        await world.sweeper().tick(force=True)
    assert not [s for s in world.bot.sent[sent_before:] if s not in new]


async def test_timed_out_is_reported_once_and_not_resent(world: World) -> None:
    overdue_item(world)
    world.bot.fail[LEADER.user_id] = [("deliver", TimedOut())]
    sweeper = world.sweeper()
    report = await sweeper.tick(force=True)
    assert report is not None and report.uncertain == 1 and report.notices == 2
    assert len(world.texts(LEADER.user_id)) == 1
    assert sum("发送状态不明" in t for t in world.texts(I1)) == 1
    world.clock.advance(timedelta(days=1))
    await sweeper.tick(force=True)
    assert sum("发送状态不明" in t for t in world.texts(I1)) == 1
    # The next day brings nothing new for the leader (overdue repeats weekly) and no resend.
    assert len(world.texts(LEADER.user_id)) == 1


# --------------------------------------------------------------------------- carry-over


async def test_a_send_that_never_left_is_pending_and_goes_with_the_next_sweep(
    world: World,
) -> None:
    item = overdue_item(world)
    world.bot.fail[CONTACT.user_id] = [connection_refused() for _ in range(3)]
    sweeper = world.sweeper()
    report = await sweeper.tick(force=True)
    assert report is not None and report.pending == 1 and report.sent == 3
    key = f"{item}:overdue:2026-02-25:0@{CONTACT.user_id}"
    assert world.states()[key] == State.PENDING
    world.clock.advance(timedelta(hours=2))
    report = await sweeper.tick(force=True)
    assert report is not None and report.sent == 1 and report.superseded == 0
    assert world.states()[key] == State.SENT
    assert len(world.texts(CONTACT.user_id)) == 1


async def test_a_pending_alert_no_longer_due_is_superseded(world: World) -> None:
    item = overdue_item(world)
    world.bot.fail[CONTACT.user_id] = [connection_refused() for _ in range(3)]
    sweeper = world.sweeper()
    await sweeper.tick(force=True)
    contact = CONTACT
    drive(
        world.store,
        item,
        Status.SUBMITTED,
        now=at(2026, 3, 2, 10),
        rules=world.rules,
        contact=contact,
        leader=LEADER,
    )
    world.clock.advance(timedelta(hours=2))
    report = await sweeper.tick(force=True)
    assert report is not None and report.superseded == 1
    key = f"{item}:overdue:2026-02-25:0@{CONTACT.user_id}"
    assert world.states()[key] == State.SUPERSEDED
    assert world.texts(CONTACT.user_id) == []


# --------------------------------------------------------------------------- unreachable


async def test_forbidden_marks_the_person_and_tells_inspectors_once(world: World) -> None:
    overdue_item(world)
    world.bot.fail[CONTACT.user_id] = [Forbidden("Forbidden: bot was blocked by the user")]
    sweeper = world.sweeper()
    report = await sweeper.tick(force=True)
    assert report is not None and report.unreachable == 1
    person = world.store.registry.get_person(CONTACT.user_id)
    assert person is not None and not person.reachable
    told = [t for t in world.texts(I1) if "无法送达" in t]
    assert len(told) == 1 and "王联络（联络员，杭州市局党组）已屏蔽或尚未启用本机器人" in told[0]
    assert [a for a in world.bot.attempts if a[0] == CONTACT.user_id] == [(11, 1000.0)]  # once

    # A week later the second overdue step: the leader still gets it, nobody retries the
    # contact, and no second notice about them.
    world.clock.advance(timedelta(days=7))
    await sweeper.tick(force=True)
    assert len([a for a in world.bot.attempts if a[0] == CONTACT.user_id]) == 1
    alerts = [t for t in world.texts(LEADER.user_id) if not t.startswith("【周报】")]
    assert len(alerts) == 2
    # the Friday 周报 the moved clock skipped arrives with it, once, saying it is late
    [weekly] = [t for t in world.texts(LEADER.user_id) if t.startswith("【周报】")]
    assert "3月2日—3月6日" in weekly and "顺延" in weekly
    assert sum("无法送达" in t for t in world.texts(I1)) == 1

    # Back again (they wrote to the bot), then blocked again: a new episode, told again.
    assert set_reachable(world.services, CONTACT.user_id, True, world.clock.now())
    world.clock.advance(timedelta(days=7))
    world.bot.fail[CONTACT.user_id] = [Forbidden("Forbidden: bot was blocked by the user")]
    await sweeper.tick(force=True)
    assert sum("无法送达" in t for t in world.texts(I1)) == 2


async def test_nobody_reachable_in_a_unit_sends_its_alerts_to_inspectors(world: World) -> None:
    overdue_item(world)
    for person in (CONTACT, LEADER):
        world.store.registry.upsert_person(replace(person, reachable=False))
    await world.sweeper().tick(force=True)
    text = world.texts(I1)[0]
    assert "【超期预警】" in text and "转巡察组" in text


# --------------------------------------------------------------------------- quiet hours


async def test_a_sweep_in_quiet_hours_defers_and_then_sends_once() -> None:
    w = make_world(start=at(2026, 3, 7, 10))  # Saturday
    overdue_item(w)
    sweeper = w.sweeper()
    report = await sweeper.tick(trigger="startup", force=True)
    assert (
        report is not None
        and report.quiet
        and report.next_allowed == ("2026-03-09T00:30:00+00:00")
    )
    assert w.bot.sent == []
    w.clock.set(at(2026, 3, 8, 12))
    assert await sweeper.tick() is None  # Sunday: still quiet, nothing written
    w.clock.set(at(2026, 3, 9, 8, 29))
    assert await sweeper.tick() is None
    w.clock.set(at(2026, 3, 9, 8, 30))
    report = await sweeper.tick()
    assert report is not None and report.sent == 4
    w.clock.set(at(2026, 3, 9, 9, 0))  # the regular 09:00 sweep: nothing more
    report = await sweeper.tick()
    assert report is not None and report.sent == 0


async def test_without_quiet_hours_a_sunday_sweep_sends() -> None:
    w = make_world(quiet=False, start=at(2026, 3, 8, 22))
    overdue_item(w)
    report = await w.sweeper().tick(force=True)
    assert report is not None and report.sent == 4


# --------------------------------------------------------------------------- digests


async def test_digests_go_out_at_their_time_once_and_never_empty(world: World) -> None:
    sweeper = world.sweeper()
    assert await sweeper.tick() is not None  # the first sweep ever
    world.clock.set(at(2026, 3, 6, 17, 30))  # Friday: daily and weekly are due
    report = await sweeper.tick()
    assert report is not None and report.digests == ["daily", "weekly"] and report.sent == 0
    overdue_item(world)
    world.clock.set(at(2026, 3, 9, 17, 30))
    report = await sweeper.tick()
    assert report is not None and report.digests == ["daily"]
    daily = [t for t in world.texts(I1) if t.startswith("【日报】")]
    assert len(daily) == 1 and "3月9日" in daily[0]
    assert await sweeper.tick() is None
    world.clock.set(at(2026, 3, 13, 17, 30))
    await sweeper.tick()
    weekly = [t for t in world.texts(CONTACT.user_id) if t.startswith("【周报】")]
    assert len(weekly) == 1 and weekly[0].startswith("【周报】杭州市局党组 3月9日—3月13日整改情况")
    assert "顺延" not in weekly[0]  # on time
    assert len([t for t in world.texts(LEADER.user_id) if t.startswith("【周报】")]) == 1


# --------------------------------------------------------------------------- scheduling


async def test_tick_sweeps_only_when_something_is_due(world: World) -> None:
    overdue_item(world)
    sweeper = world.sweeper()
    assert (await sweeper.tick()) is not None  # never swept: due
    assert await sweeper.tick() is None
    world.clock.set(at(2026, 3, 2, 16))
    assert await sweeper.tick() is None
    world.clock.set(at(2026, 3, 3, 9))
    assert await sweeper.tick() is not None
    state = world.store.registry.get_meta(STATE_META)
    assert state["last_sweep"] == "2026-03-03T09:00:00+08:00" and state["owed"] is False
    report = SweepReport.from_meta(world.store.registry.get_meta(REPORT_META))
    assert report is not None and report.at == "2026-03-03T09:00:00+08:00"


async def test_a_dry_run_writes_nothing_and_foretells_the_sweep(world: World) -> None:
    overdue_item(world)
    act_on(
        world.store,
        "HZ-001",
        CONTACT,
        Action.PROGRESS,
        now=at(2026, 2, 1),
        rules=world.rules,
        text="正在整改",
    )
    sweeper = world.sweeper()
    before = world.store.registry.list_alerts()
    plan, last, waiting = sweeper.dry_run()
    assert world.store.registry.list_alerts() == before and last is None and waiting == 0
    assert plan.entries == 5 and dict(plan.by_kind) == {"overdue": 2, "escalation": 2, "stale": 1}
    report = await sweeper.tick(force=True)
    assert report is not None and report.entries == plan.entries
    assert report.sent == len(plan.messages)
    assert INSPECTOR.user_id == I1
