"""Sweeps leave out the units where nothing can be due (alerts.sweep.QuietMark, issue 14).

A unit whose every decided alert ended done is left out of the next sweeps until its ledger,
the day or the people who would receive its alerts change. These tests prove that leaving
units out never hides an alert: each change decides the unit again, a failed send keeps it
in, and a random walk of changes and sweeps ends every sweep with nothing a full decision
would still send."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from alerts.log import State
from ledger.model import Person, Role, Status, Unit
from tests.alerts.helpers import connection_refused, drive, new_item
from tests.alerts.test_alerts_sweep import CONTACT, LEADER, World, at, make_world


def overdue_world() -> tuple[World, str]:
    """A world without quiet hours holding one HZ item overdue since 2026-02-25."""
    w = make_world(quiet=False)
    item = new_item(w.store, "HZ", now=at(2026, 1, 5), deadline=date(2026, 2, 25), rules=w.rules)
    return w, item


def nothing_left(w: World) -> list[str]:
    """What a freshly started bot (no unit left out) would still send now: item alerts
    only (digests are decided by the schedule, not by the units)."""
    plan, _, _ = w.sweeper().dry_run()
    return [k for m in plan.messages if m.kind == "alerts" for k in m.keys]


async def test_a_sweep_with_nothing_new_leaves_every_unit_out() -> None:
    w, _ = overdue_world()
    sweeper = w.sweeper()
    first = await sweeper.tick(force=True)
    again = await sweeper.tick(force=True)
    assert first is not None and first.sent == 4 and first.quiet_units == 0
    assert again is not None and again.sent == 0 and again.quiet_units == 1
    assert nothing_left(w) == []


async def test_a_write_to_the_ledger_decides_the_unit_again_the_same_day() -> None:
    w, _ = overdue_world()
    sweeper = w.sweeper()
    await sweeper.tick(force=True)
    w.clock.advance(timedelta(hours=1))
    second = new_item(w.store, "HZ", now=at(2026, 1, 6), deadline=date(2026, 2, 26), rules=w.rules)
    report = await sweeper.tick(force=True)
    assert report is not None and report.quiet_units == 0 and report.sent == 4
    assert any(second in t for t in w.texts(CONTACT.user_id))


async def test_a_new_day_decides_the_unit_again() -> None:
    w = make_world(quiet=False)
    # Due in 8 days on Monday: no reminder yet (remind at 7, 3 and 1 days); Tuesday's is due.
    item = new_item(w.store, "HZ", now=at(2026, 2, 1), deadline=date(2026, 3, 10), rules=w.rules)
    sweeper = w.sweeper()
    await sweeper.tick(force=True)
    w.clock.advance(timedelta(hours=9))  # 18:00: the day's 日报 goes out, the unit stays out
    evening = await sweeper.tick(force=True)
    assert evening is not None and evening.digests == ["daily"]
    assert w.texts(CONTACT.user_id) == []
    w.clock.advance(timedelta(hours=15))  # Tuesday 09:00: no digest due, a new day
    report = await sweeper.tick(force=True)
    assert report is not None and report.digests == [] and report.quiet_units == 0
    assert any(item in t for t in w.texts(CONTACT.user_id))


async def test_a_person_joining_or_coming_back_decides_the_unit_again() -> None:
    w, item = overdue_world()
    sweeper = w.sweeper()
    await sweeper.tick(force=True)
    deputy = Person(13, "赵副联络", Role.CONTACT, unit="HZ")
    w.store.registry.upsert_person(deputy)
    w.clock.advance(timedelta(minutes=30))
    await sweeper.tick(force=True)
    assert any(item in t for t in w.texts(deputy.user_id))

    w.store.registry.upsert_person(replace(LEADER, reachable=False))
    await sweeper.tick(force=True)  # the leader was told already: nothing new
    w.store.registry.upsert_person(replace(LEADER, reachable=True))
    report = await sweeper.tick(force=True)
    assert report is not None and report.quiet_units == 0 and report.sent == 0
    assert len([t for t in w.texts(LEADER.user_id) if item in t]) == 1


async def test_a_send_that_did_not_leave_keeps_the_unit_in() -> None:
    w, item = overdue_world()
    w.bot.fail[CONTACT.user_id] = [connection_refused() for _ in range(3)]
    sweeper = w.sweeper()
    await sweeper.tick(force=True)
    key = f"{item}:overdue:2026-02-25:0@{CONTACT.user_id}"
    assert w.states()[key] == State.PENDING
    report = await sweeper.tick(force=True)
    assert report is not None and report.quiet_units == 0 and report.sent == 1
    assert w.states()[key] == State.SENT


async def test_a_random_walk_of_changes_never_hides_an_alert() -> None:
    """Seeded walks over two units: items created, moved on, deadlines passing, people
    joining and becoming unreachable, the clock moving by hours and days; after every
    sweep a full decision finds nothing left to send, and no alert was sent twice."""
    for seed in range(6):
        rng = random.Random(seed)
        w = make_world(quiet=False)
        w.store.add_unit(Unit("NB", "宁波市局党组"))
        w.store.registry.upsert_person(Person(21, "宁联络", Role.CONTACT, unit="NB"))
        people = {"HZ": (CONTACT, LEADER), "NB": (Person(21, "宁联络", Role.CONTACT, unit="NB"),)}
        sweeper = w.sweeper()
        items: list[str] = []
        joined = 30
        for _ in range(25):
            move = rng.choice(["item", "item", "act", "person", "reach", "hours", "day"])
            unit = rng.choice(["HZ", "NB"])
            now = w.clock.now()
            if move == "item" or not items:
                deadline = now.date() + timedelta(days=rng.randint(-20, 10))
                items.append(
                    new_item(
                        w.store,
                        unit,
                        now=now - timedelta(days=30),
                        deadline=deadline,
                        rules=w.rules,
                    )
                )
            elif move == "act":
                item = rng.choice(items)
                code = item.split("-")[0]
                contact, *rest = people[code]
                current = w.store.ledger(code).get_item(item)
                if current is not None and current.status is Status.OPEN:
                    drive(
                        w.store,
                        item,
                        Status.IN_PROGRESS,
                        now=now,
                        rules=w.rules,
                        contact=contact,
                        leader=rest[0] if rest else contact,
                    )
            elif move == "person":
                joined += 1
                w.store.registry.upsert_person(
                    Person(joined, f"新人{joined}", Role.CONTACT, unit=unit)
                )
            elif move == "reach":
                person = w.store.registry.get_person(rng.choice([11, 12, 21]))
                assert person is not None
                w.store.registry.upsert_person(replace(person, reachable=not person.reachable))
            elif move == "hours":
                w.clock.advance(timedelta(hours=rng.randint(1, 5)))
            else:
                w.clock.advance(timedelta(days=1))
            await sweeper.tick(force=True)
            assert nothing_left(w) == [], (seed, move)
        ids = [(s.chat_id, s.text) for s in w.bot.sent]
        assert len(ids) == len(set(ids)), seed
        assert any(r for r in [await sweeper.tick(force=True)] if r and r.quiet_units >= 1)
