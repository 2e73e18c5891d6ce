"""The alert policy, rule by rule, on the exact day and not a day before or after (DESIGN §3)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from ledger.alerts import (
    AlertKind,
    DigestPeriod,
    Entry,
    Group,
    Outgoing,
    decide_alerts,
    delivery_key,
    lookback_sample,
)
from ledger.calendar import WorkCalendar
from ledger.errors import InvalidValue
from ledger.figures import Figures, figures
from ledger.model import Item, Light, Person, Status, Unit
from ledger.rules import Rules
from ledger.workflow import Action, status_since
from tests.ledger.factories import (
    CONTACT,
    INSPECTOR,
    INSPECTOR2,
    LEADER,
    OTHER_CONTACT,
    OTHER_LEADER,
    PEOPLE,
    RULES,
    TZ,
    at,
    drive,
    track,
)

UNITS = [Unit("HZ", "杭州市局党组"), Unit("NB", "宁波市局党组")]
CAL = WorkCalendar(TZ)
K = AlertKind
C, L, I1, I2 = CONTACT.user_id, LEADER.user_id, INSPECTOR.user_id, INSPECTOR2.user_id


def run(
    items: Iterable[Item],
    now: datetime,
    *,
    sent: Collection[str] = frozenset(),
    people: Iterable[Person] = PEOPLE,
    rules: Rules = RULES,
    digests: Collection[str] | Mapping[str, DigestPeriod] = frozenset(),
    since: Mapping[str, datetime] | None = None,
) -> list[Outgoing]:
    return decide_alerts(
        now, TZ, items, UNITS, people, sent, rules, CAL, digests=digests, status_since=since
    )


def got(out: list[Outgoing], kind: AlertKind | None = None) -> list[tuple[int, Entry]]:
    return [(o.user_id, e) for o in out for e in o.entries if kind is None or e.kind is kind]


def keys_of(out: list[Outgoing]) -> set[str]:
    return {k for o in out for k in o.delivery_keys}


def simulate(
    items: list[Item], first: date, last: date, kind: AlertKind, **kw: Any
) -> dict[date, list[tuple[int, int]]]:
    """A 09:00 sweep every day from ``first`` to ``last`` whose sends are all recorded;
    returns, per day with something of ``kind``, the sorted (recipient, step) pairs."""
    sent: set[str] = set()
    days: dict[date, list[tuple[int, int]]] = {}
    d = first
    while d <= last:
        out = run(items, at(d.year, d.month, d.day), sent=frozenset(sent), **kw)
        rows = sorted((uid, e.step) for uid, e in got(out, kind))
        if rows:
            days[d] = rows
        sent |= keys_of(out)
        d += timedelta(days=1)
    return days


def working(seq: int = 1, deadline: date = date(2026, 6, 30), unit: str = "HZ") -> Item:
    """An in_progress item, created and last touched on 2026-05-01."""
    return drive(
        track(seq=seq, deadline=deadline, unit=unit), Status.IN_PROGRESS, at(2026, 5, 1)
    ).item


D = date


# --------------------------------------------------------------------------- due soon


def test_due_soon_on_each_remind_day_to_contacts_only() -> None:
    days = simulate([working()], D(2026, 6, 15), D(2026, 7, 5), K.DUE_SOON)
    assert days == {D(2026, 6, 23): [(C, 7)], D(2026, 6, 27): [(C, 3)], D(2026, 6, 29): [(C, 1)]}


def test_due_soon_key_and_details() -> None:
    [(uid, e)] = got(run([working()], at(2026, 6, 27)), K.DUE_SOON)
    assert e.key == "HZ-001:due_soon:2026-06-30:3" and e.step == 3
    assert e.details == {"days_left": 3, "deadline": "2026-06-30"}
    assert e.item_id == "HZ-001" and e.unit == "HZ" and e.light is Light.YELLOW
    assert not e.fallback


def test_due_soon_after_downtime_sends_only_the_current_step() -> None:
    item = working()
    out = run([item], at(2026, 6, 28))  # 2 days left, neither 7 nor 3 ever sent
    assert [(uid, e.step) for uid, e in got(out, K.DUE_SOON)] == [(C, 3)]
    assert got(run([item], at(2026, 6, 28, 17), sent=keys_of(out)), K.DUE_SOON) == []
    # on the deadline day step 1 is still sent if it was missed
    out = run([item], at(2026, 6, 30), sent=keys_of(out))
    assert [(uid, e.step) for uid, e in got(out, K.DUE_SOON)] == [(C, 1)]


def test_a_new_deadline_starts_a_new_reminder_schedule() -> None:
    item = working()
    sent = keys_of(run([item], at(2026, 6, 23)))
    moved = replace(item, deadline=D(2026, 9, 30))
    [(_, e)] = got(run([moved], at(2026, 9, 23), sent=sent), K.DUE_SOON)
    assert (e.step, e.key) == (7, "HZ-001:due_soon:2026-09-30:7")


def test_submitted_items_get_no_deadline_alerts() -> None:
    item = drive(track(), Status.SUBMITTED, at(2026, 5, 1)).item
    for kind in (K.DUE_SOON, K.OVERDUE, K.ESCALATION):
        assert simulate([item], D(2026, 6, 20), D(2026, 7, 20), kind) == {}


# --------------------------------------------------------------------------- overdue, escalation


def test_overdue_on_day_one_then_every_repeat_days_to_contacts_and_leaders() -> None:
    days = simulate([working()], D(2026, 6, 25), D(2026, 7, 20), K.OVERDUE)
    assert days == {
        D(2026, 7, 1): [(C, 0), (L, 0)],
        D(2026, 7, 8): [(C, 1), (L, 1)],
        D(2026, 7, 15): [(C, 2), (L, 2)],
    }


def test_overdue_repeat_days_is_configurable() -> None:
    rules = Rules(overdue_repeat_days=3)
    days = simulate([working()], D(2026, 6, 30), D(2026, 7, 8), K.OVERDUE, rules=rules)
    assert sorted(days) == [D(2026, 7, 1), D(2026, 7, 4), D(2026, 7, 7)]


def test_escalation_levels_to_all_inspectors() -> None:
    days = simulate([working()], D(2026, 6, 25), D(2026, 8, 10), K.ESCALATION)
    assert days == {
        D(2026, 7, 1): [(I1, 1), (I2, 1)],
        D(2026, 7, 15): [(I1, 2), (I2, 2)],
        D(2026, 7, 30): [(I1, 3), (I2, 3)],
    }
    [(_, e), _] = got(run([working()], at(2026, 7, 15)), K.ESCALATION)
    assert e.details == {"level": 2, "threshold": 15, "days_overdue": 15, "deadline": "2026-06-30"}
    assert e.key == "HZ-001:escalation:2026-06-30:2" and e.light is Light.RED


def test_escalation_after_downtime_is_only_the_current_level() -> None:
    out = run([working()], at(2026, 7, 20))  # 20 days overdue, nothing ever sent
    assert sorted((u, e.step) for u, e in got(out, K.ESCALATION)) == [(I1, 2), (I2, 2)]
    assert sorted((u, e.step) for u, e in got(out, K.OVERDUE)) == [(C, 2), (L, 2)]


def test_an_item_imported_already_overdue_escalates_from_its_import() -> None:
    # imported on 2026-08-01 with a deadline of 2026-06-30 (a 台账 brought in late): the unit
    # hears it is overdue at once, but escalation counts from the import, not from 6-30
    imported = replace(working(), created_at=at(2026, 8, 1))
    days = simulate([imported], D(2026, 8, 1), D(2026, 9, 10), K.ESCALATION)
    assert days == {
        D(2026, 8, 2): [(I1, 1), (I2, 1)],
        D(2026, 8, 16): [(I1, 2), (I2, 2)],
        D(2026, 8, 31): [(I1, 3), (I2, 3)],
    }
    first = run([imported], at(2026, 8, 1))
    assert got(first, K.ESCALATION) == []
    assert sorted((u, e.step) for u, e in got(first, K.OVERDUE)) == [(C, 4), (L, 4)]


def test_three_days_of_downtime_coalesce_to_one_notice_per_item() -> None:
    items = [working(seq=n, deadline=D(2026, 6, 28 + n)) for n in (1, 2)]  # due 6-29, 6-30
    first = run(items, at(2026, 7, 1))
    sent = keys_of(first)
    # the bot is down for 3 days; the first sweep afterwards, with the same log:
    later = run(items, at(2026, 7, 4))
    assert got(run(items, at(2026, 7, 4), sent=sent), K.OVERDUE) == []
    # and had nothing been sent before the downtime: exactly one per item and recipient
    by_user: dict[int, list[str]] = {}
    for uid, e in got(later, K.OVERDUE):
        by_user.setdefault(uid, []).append(e.item_id or "")
    assert by_user == {C: ["HZ-001", "HZ-002"], L: ["HZ-001", "HZ-002"]}
    # also 72 h later at any hour
    again = run(items, at(2026, 7, 4, 23, 59), sent=keys_of(later))
    assert again == []


def test_one_message_per_recipient_with_red_first_then_deadline() -> None:
    red_late = working(seq=1, deadline=D(2026, 6, 20))
    red_early = working(seq=2, deadline=D(2026, 6, 10))
    due_soon = working(seq=3, deadline=D(2026, 7, 3))
    out = run([due_soon, red_late, red_early], at(2026, 6, 30))
    contact_msgs = [o for o in out if o.user_id == C]
    assert len(contact_msgs) == 1 and contact_msgs[0].group is Group.ALERTS
    assert [(e.item_id, e.kind) for e in contact_msgs[0].entries] == [
        ("HZ-002", K.OVERDUE),
        ("HZ-002", K.STALE),
        ("HZ-001", K.OVERDUE),
        ("HZ-001", K.STALE),
        ("HZ-003", K.DUE_SOON),
        ("HZ-003", K.STALE),
    ]
    assert [o.user_id for o in out] == sorted(o.user_id for o in out)


# --------------------------------------------------------------------------- stale


def test_stale_every_stale_days_to_contacts() -> None:
    item = working(deadline=D(2026, 12, 31))
    days = simulate([item], D(2026, 5, 1), D(2026, 6, 15), K.STALE)
    assert days == {D(2026, 5, 15): [(C, 1)], D(2026, 5, 29): [(C, 2)], D(2026, 6, 12): [(C, 3)]}
    [(_, e)] = got(run([item], at(2026, 5, 15)), K.STALE)
    assert e.key == "HZ-001:stale:2026-05-01:1" and e.details == {
        "idle_days": 14,
        "since": "2026-05-01",
    }


def test_stale_restarts_after_activity() -> None:
    t = drive(track(deadline=D(2026, 12, 31)), Status.IN_PROGRESS, at(2026, 5, 1))
    sent = keys_of(run([t.item], at(2026, 5, 15)))
    t.do(CONTACT, Action.PROGRESS, at(2026, 5, 20), text="推进中")
    assert got(run([t.item], at(2026, 6, 2), sent=sent), K.STALE) == []
    [(_, e)] = got(run([t.item], at(2026, 6, 3), sent=sent), K.STALE)
    assert e.key == "HZ-001:stale:2026-05-20:1"


def test_stale_for_monitoring_items_but_not_open_or_submitted_ones() -> None:
    monitoring = drive(track(long_term=True), Status.MONITORING, at(2026, 5, 1)).item
    assert sorted(simulate([monitoring], D(2026, 5, 1), D(2026, 5, 31), K.STALE)) == [
        D(2026, 5, 15),
        D(2026, 5, 29),
    ]
    open_item = track(deadline=D(2026, 12, 31)).item
    submitted = drive(track(deadline=D(2026, 12, 31)), Status.SUBMITTED, at(2026, 5, 1)).item
    assert simulate([open_item, submitted], D(2026, 5, 1), D(2026, 6, 30), K.STALE) == {}


# --------------------------------------------------------------------------- review waiting


def submitted_on(day: datetime) -> tuple[Item, dict[str, datetime]]:
    t = drive(track(deadline=D(2026, 12, 31)), Status.SUBMITTED, at(2026, 5, 1))
    # pretend the submission happened on ``day`` (what status_since reports)
    return t.item, {t.item.id: day}


def test_await_endorsement_after_review_days_working_days_to_leaders() -> None:
    item, since = submitted_on(at(2026, 6, 1))  # a Monday
    days = simulate([item], D(2026, 6, 1), D(2026, 6, 12), K.AWAIT_ENDORSEMENT, since=since)
    # waited 4 working days on Fri 6-05, 7 on Wed 6-10
    assert days == {D(2026, 6, 5): [(L, 1)], D(2026, 6, 10): [(L, 2)]}
    [(_, e)] = got(run([item], at(2026, 6, 5), since=since), K.AWAIT_ENDORSEMENT)
    assert e.key == "HZ-001:await_endorsement:2026-06-01:1"
    assert e.details == {"waited_workdays": 4, "since": "2026-06-01", "estimated": False}


def test_review_waiting_skips_the_dragon_boat_holiday() -> None:
    item, since = submitted_on(at(2026, 6, 16))  # Tuesday; Fri 6-19 is 端午节
    days = simulate([item], D(2026, 6, 16), D(2026, 6, 24), K.AWAIT_ENDORSEMENT, since=since)
    assert sorted(days) == [D(2026, 6, 23)]  # 6-17, 6-18, 6-22, 6-23


def test_await_verification_goes_to_inspectors_and_falls_back_to_endorsement_time() -> None:
    t = drive(track(deadline=D(2026, 12, 31)), Status.ENDORSED, at(2026, 6, 1))
    days = simulate([t.item], D(2026, 6, 1), D(2026, 6, 8), K.AWAIT_VERIFICATION)
    assert days == {D(2026, 6, 5): [(I1, 1), (I2, 1)]}
    assert status_since(t.events) == t.item.endorsement.at  # type: ignore[union-attr]


def test_review_waiting_in_an_unknown_year_is_flagged_estimated() -> None:
    item, since = submitted_on(at(2027, 3, 1))
    [(_, e)] = got(run([item], at(2027, 3, 5), since=since), K.AWAIT_ENDORSEMENT)
    assert e.details["estimated"] is True


# --------------------------------------------------------------------------- look-back


def closed_items(n: int, closed: datetime, unit: str = "HZ", first: int = 1) -> list[Item]:
    return [
        drive(track(seq=i, unit=unit), Status.CLOSED, closed).item for i in range(first, first + n)
    ]


def test_lookback_samples_per_unit_and_closing_month_once_on_the_day() -> None:
    items = closed_items(10, at(2026, 1, 15)) + closed_items(2, at(2026, 1, 20), unit="NB")
    days = simulate(items, D(2026, 7, 10), D(2026, 7, 31), K.LOOKBACK)
    assert sorted(days) == [D(2026, 7, 15), D(2026, 7, 20)]
    assert len(days[D(2026, 7, 15)]) == 3 * 2  # 3 HZ items x 2 inspectors
    assert len(days[D(2026, 7, 20)]) == 2 * 2  # NB has only 2 closed items
    out = run(items, at(2026, 7, 20))
    sampled = {e.item_id for _, e in got(out, K.LOOKBACK) if e.unit == "HZ"}
    expected = lookback_sample("HZ", "2026-01", [i for i in items if i.unit == "HZ"], 3)
    assert sampled == {i.id for i in expected}
    reversed_run = got(run(items[::-1], at(2026, 7, 20)), K.LOOKBACK)
    assert sampled == {e.item_id for _, e in reversed_run if e.unit == "HZ"}  # order-free
    [e, *_] = [e for _, e in got(out, K.LOOKBACK)]
    assert e.key.endswith(":lookback:2026-01-15:1") or e.key.endswith(":lookback:2026-01-20:1")
    assert e.light is Light.CLOSED


def test_lookback_can_be_switched_off_and_skips_reopened_items() -> None:
    items = closed_items(3, at(2026, 1, 15))
    assert got(run(items, at(2026, 7, 15), rules=Rules(lookback_sample=0)), K.LOOKBACK) == []
    reopened = [replace(i, status=Status.IN_PROGRESS, closed_at=None) for i in items]
    assert got(run(reopened, at(2026, 7, 15)), K.LOOKBACK) == []


# --------------------------------------------------------------------------- recipients


def test_unreachable_people_are_skipped() -> None:
    people = [replace(CONTACT, reachable=False), LEADER, INSPECTOR, INSPECTOR2]
    out = run([working()], at(2026, 7, 1), people=people)
    assert sorted(u for u, _ in got(out, K.OVERDUE)) == [L]


def test_a_unit_nobody_can_reach_falls_back_to_inspectors() -> None:
    people = [replace(CONTACT, reachable=False), INSPECTOR, replace(INSPECTOR2, reachable=False)]
    out = run([working()], at(2026, 7, 1), people=people)
    rows = {(u, e.kind, e.fallback, e.details.get("intended")) for u, e in got(out)}
    assert rows == {
        (I1, K.OVERDUE, True, "unit"),
        (I1, K.ESCALATION, False, None),
        (I1, K.STALE, True, "contacts"),
    }
    # a unit with nobody registered at all behaves the same
    out = run([working()], at(2026, 6, 23), people=[INSPECTOR])
    assert [(u, e.kind, e.fallback) for u, e in got(out, K.DUE_SOON)] == [(I1, K.DUE_SOON, True)]


def test_no_reachable_inspector_drops_inspector_alerts() -> None:
    out = run([working()], at(2026, 7, 1), people=[CONTACT, LEADER])
    assert got(out, K.ESCALATION) == []


def test_other_units_people_get_nothing_about_this_unit() -> None:
    out = run([working()], at(2026, 7, 1))
    assert {o.user_id for o in out}.isdisjoint({OTHER_CONTACT.user_id, OTHER_LEADER.user_id})


def test_withdrawn_items_never_alert() -> None:
    t = drive(track(), Status.IN_PROGRESS, at(2026, 5, 1))
    t.do(INSPECTOR, Action.WITHDRAW, at(2026, 5, 2), reason="重复")
    for day in (D(2026, 6, 23), D(2026, 7, 1), D(2026, 7, 30)):
        assert run([t.item], at(day.year, day.month, day.day), digests={"daily", "weekly"}) == []


def test_sent_keys_per_recipient_or_for_everyone() -> None:
    item = working()
    plain = "HZ-001:overdue:2026-06-30:0"
    assert got(run([item], at(2026, 7, 1), sent={plain}), K.OVERDUE) == []
    out = run([item], at(2026, 7, 1), sent={delivery_key(plain, C)})
    assert [u for u, _ in got(out, K.OVERDUE)] == [L]


class LogLookup:
    """A lookup object standing in for the alert log (anything with ``in``)."""

    def __init__(self, keys: set[str]) -> None:
        self.keys = keys
        self.asked = 0

    def __contains__(self, key: object) -> bool:
        self.asked += 1
        return key in self.keys


def test_sent_keys_may_be_a_lookup() -> None:
    first = run([working()], at(2026, 7, 1))
    log = LogLookup(keys_of(first))
    assert run([working()], at(2026, 7, 1), sent=log) == []  # type: ignore[arg-type]
    assert log.asked > 0


# --------------------------------------------------------------------------- digests


def test_daily_digest_only_when_asked_one_per_inspector() -> None:
    items = [working(seq=1), drive(track(seq=2), Status.ENDORSED, at(2026, 5, 1)).item]
    assert got(run(items, at(2026, 7, 1, 17, 30)), K.DIGEST_DAILY) == []
    out = run(items, at(2026, 7, 1, 17, 30), digests={"daily"})
    digests = [(o.user_id, o.group, o.entries) for o in out if o.group is Group.DIGEST_DAILY]
    assert [(u, len(es)) for u, _, es in digests] == [(I1, 1), (I2, 1)]
    e = digests[0][2][0]
    assert e.key == f"digest:daily:{I1}:2026-07-01"
    # overdue whatever the open status: the endorsed item is late too
    assert e.details["new_overdue"] == ["HZ-001", "HZ-002"]
    assert e.details["awaiting_verification"] == ["HZ-002"]
    # the per-unit counts are the unit's ledger figures (one definition)
    assert e.details["units"] == {
        "HZ": figures(items, at(2026, 7, 1, 17, 30), TZ, RULES).to_dict()
    }
    assert Figures.from_dict(e.details["units"]["HZ"]) == Figures(
        in_progress=1, endorsed=1, overdue=2, red=2
    )
    # the next day the item is no longer new
    out = run(items, at(2026, 7, 2, 17, 30), digests={"daily"})
    assert got(out, K.DIGEST_DAILY)[0][1].details["new_overdue"] == []


def test_monday_daily_digest_counts_the_weekend_as_new() -> None:
    items = [working(seq=1, deadline=D(2026, 7, 3)), working(seq=2, deadline=D(2026, 7, 5))]
    out = run(items, at(2026, 7, 6, 17, 30), digests={"daily"})  # Monday
    assert got(out, K.DIGEST_DAILY)[0][1].details["new_overdue"] == ["HZ-001", "HZ-002"]


def test_empty_digests_are_not_produced() -> None:
    closed = closed_items(2, at(2026, 5, 1))
    assert run(closed, at(2026, 7, 1, 17, 30), digests={"daily", "weekly"}) == []
    assert run([], at(2026, 7, 1, 17, 30), digests={"daily", "weekly"}) == []


def test_weekly_digest_per_unit_to_contacts_and_leaders() -> None:
    items = [
        working(seq=1, deadline=D(2026, 7, 8)),
        working(seq=2, deadline=D(2026, 6, 1)),
        drive(track(seq=3), Status.CLOSED, at(2026, 7, 1)).item,  # closed on Wednesday
    ]
    out = run(items, at(2026, 7, 3, 17, 30), digests={"weekly"})  # Friday of 2026-W27
    weekly = [o for o in out if o.group is Group.DIGEST_WEEKLY]
    assert [o.user_id for o in weekly] == [C, L]
    e = weekly[0].entries[0]
    assert e.key == "digest:weekly:HZ:2026-W27" and e.unit == "HZ"
    assert e.details["overdue"] == ["HZ-002"]
    assert e.details["due_soon"] == ["HZ-001"]
    assert e.details["closed_this_week"] == ["HZ-003"]
    assert e.details["counts"]["closed"] == 1
    # NB has no items: no digest for its people
    assert OTHER_CONTACT.user_id not in {o.user_id for o in weekly}
    assert run(items, at(2026, 7, 3, 17, 30), digests={"weekly"}, sent=keys_of(weekly)) == [
        o for o in out if o.group is not Group.DIGEST_WEEKLY
    ]


# --------------------------------------------------------------------------- refusals


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidValue):
        run([], at(2026, 7, 1), digests={"monthly"})
    with pytest.raises(InvalidValue):
        run([], datetime(2026, 7, 1))  # noqa: DTZ001
    with pytest.raises(InvalidValue):
        run([], at(2026, 7, 1), rules=Rules(overdue_repeat_days=0))
    with pytest.raises(InvalidValue):
        run([], at(2026, 7, 1), rules=Rules(remind_days=()))


def test_decide_alerts_is_deterministic() -> None:
    items = [working(seq=n, deadline=D(2026, 6, 20 + n)) for n in range(1, 8)]
    items += closed_items(5, at(2026, 1, 3), first=100)
    now = at(2026, 7, 3, 17, 30)
    a = run(items, now, digests={"daily", "weekly"})
    b = run(items[::-1], now, digests={"daily", "weekly"})
    assert a == b


def test_a_late_digest_is_keyed_by_the_period_it_covers_and_says_when_it_was_counted() -> None:
    # Friday 2026-07-03's digests, sent on Monday 07-06 after downtime.
    friday, monday = D(2026, 7, 3), D(2026, 6, 29)
    late = working(seq=1, deadline=D(2026, 7, 2))  # first overdue day: Friday
    closed_friday = drive(track(seq=2), Status.CLOSED, at(2026, 7, 3, 10)).item
    closed_monday = drive(track(seq=3), Status.CLOSED, at(2026, 7, 6, 8)).item
    items = [late, closed_friday, closed_monday]
    now = at(2026, 7, 6, 8, 30)
    periods = {"daily": DigestPeriod(friday, friday), "weekly": DigestPeriod(monday, friday)}
    out = run(items, now, digests=periods)
    [(_, daily), *_] = got(out, K.DIGEST_DAILY)
    assert daily.key == f"digest:daily:{I1}:2026-07-03"
    assert daily.details["date"] == "2026-07-03" and daily.details["as_of"] == now.isoformat()
    assert daily.details["new_overdue"] == ["HZ-001"]  # overdue from Friday: Friday's news
    weekly = got(out, K.DIGEST_WEEKLY)[0][1]
    assert weekly.key == "digest:weekly:HZ:2026-W27"  # the week covered, not the week sent
    assert (weekly.details["start"], weekly.details["end"]) == ("2026-06-29", "2026-07-03")
    assert weekly.details["closed_this_week"] == ["HZ-002"]  # not Monday's closing
    # Sent: the same period is never produced again; this Monday's own digests are new keys
    sent = keys_of(out)
    assert got(run(items, now, digests=periods, sent=sent), K.DIGEST_DAILY) == []
    assert got(run(items, now, digests=periods, sent=sent), K.DIGEST_WEEKLY) == []
    on_time = run(items, at(2026, 7, 6, 17, 30), digests={"daily"}, sent=sent)
    [(_, today)] = [g for g in got(on_time, K.DIGEST_DAILY) if g[0] == I1]
    assert today.key == f"digest:daily:{I1}:2026-07-06" and "as_of" not in today.details


def test_the_daily_digest_says_which_new_overdue_items_the_sweep_already_told() -> None:
    item = working(seq=1, deadline=D(2026, 7, 2))
    morning = run([item], at(2026, 7, 3, 9))  # the 09:00 sweep escalates to both inspectors
    [escalation] = {e.key for _, e in got(morning, K.ESCALATION)}
    told_i1 = {delivery_key(escalation, I1)}  # only inspector 1 received it
    out = run([item], at(2026, 7, 3, 17, 30), digests={"daily"}, sent=told_i1)
    told = {u: e.details["new_overdue_told"] for u, e in got(out, K.DIGEST_DAILY)}
    assert told == {I1: ["HZ-001"], I2: []}


def test_a_late_item_once_submitted_is_no_longer_the_contacts_but_its_holder_is_reminded() -> None:
    # HZ-001 due 06-30, submitted on 07-01 (late): red, counted overdue, but the contact's
    # overdue notices stop; the leader who must sign gets the 待签字 reminder.
    t = drive(track(seq=1, deadline=D(2026, 6, 30)), Status.SUBMITTED, at(2026, 7, 1))
    entered = status_since(t.events)
    assert entered is not None
    since = {t.item.id: entered}
    later = at(2026, 7, 8)  # 8 days overdue: the second overdue step would be due today
    out = run([t.item], later, since=since)
    assert not [u for u, _ in got(out, K.OVERDUE)]
    assert not [u for u, e in got(out) if u == C]
    assert [u for u, _ in got(out, K.AWAIT_ENDORSEMENT)] == [L]
    assert all(e.light is Light.RED for _, e in got(out))
    assert figures([t.item], later, TZ, RULES).overdue == 1
