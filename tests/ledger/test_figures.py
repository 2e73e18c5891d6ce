"""ledger/figures.py: the one definition of every count and rate."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidValue
from ledger.figures import (
    EMPTY,
    Figures,
    days_late,
    figures,
    figures_by_unit,
    format_rate,
    is_overdue,
)
from ledger.light import light
from ledger.model import Item, Light, Status
from ledger.rules import Rules
from tests.ledger.factories import RULES, TZ, at, drive, track
from tests.ledger.test_properties import INSTANTS, ledgers

NOW = at(2026, 7, 10)  # deadlines default to 2026-06-30: past


def item(
    status: Status,
    *,
    seq: int = 1,
    unit: str = "HZ",
    deadline: date | None = date(2026, 6, 30),
    long_term: bool = False,
    driven: datetime | None = None,
) -> Item:
    t = track(unit=unit, seq=seq, deadline=deadline, long_term=long_term)
    return drive(t, status, driven or at(2026, 5, 1)).item


def test_every_status_counts_once_and_withdrawn_apart() -> None:
    items = [
        item(s, seq=n, long_term=s is Status.MONITORING) for n, s in enumerate(Status, start=1)
    ]
    f = figures(items, NOW, TZ, RULES)
    assert f.by_status() == dict.fromkeys(
        (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED)
        + (Status.CLOSED, Status.MONITORING),
        1,
    )
    assert f.withdrawn == 1
    assert f.total == 6  # seven items, the withdrawn one not counted
    assert f.active == 4 and f.done == 2 and f.finished == 4


def test_overdue_whatever_the_open_status() -> None:
    statuses = (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED)
    items = [item(s, seq=n) for n, s in enumerate(statuses, start=1)]
    f = figures(items, NOW, TZ, RULES)
    assert f.overdue == 4 and f.red == 4
    assert all(is_overdue(i, NOW.date()) for i in items)


def test_deadline_day_is_not_overdue_the_day_after_is() -> None:
    i = item(Status.SUBMITTED)
    assert figures([i], at(2026, 6, 30, 23, 59), TZ, RULES).overdue == 0
    assert figures([i], at(2026, 6, 30, 23, 59), TZ, RULES).due_soon == 1
    assert figures([i], at(2026, 7, 1, 0, 0), TZ, RULES).overdue == 1


def test_closed_withdrawn_and_long_term_are_never_overdue() -> None:
    items = [
        item(Status.CLOSED, seq=1),
        item(Status.WITHDRAWN, seq=2),
        item(Status.IN_PROGRESS, seq=3, long_term=True),
        item(Status.MONITORING, seq=4, long_term=True),
    ]
    f = figures(items, NOW, TZ, RULES)
    assert f.overdue == 0 and f.red == 0
    assert f.long_term == 2 and f.monitoring == 1 and f.withdrawn == 1


def test_due_soon_window_is_yellow_days() -> None:
    i = item(Status.OPEN, deadline=date(2026, 7, 17))
    assert figures([i], NOW, TZ, RULES).due_soon == 1  # 7 days ahead
    assert figures([i], NOW, TZ, Rules(yellow_days=6)).due_soon == 0
    j = item(Status.OPEN, deadline=date(2026, 7, 18))
    assert figures([j], NOW, TZ, RULES).due_soon == 0


def test_closed_late_counts_days_from_the_deadline_to_the_closing_date() -> None:
    late = item(Status.CLOSED, seq=1, driven=at(2026, 7, 5))
    on_time = item(Status.CLOSED, seq=2, driven=at(2026, 6, 30, 20))
    assert days_late(late, TZ) == 5
    assert days_late(on_time, TZ) is None
    assert days_late(item(Status.IN_PROGRESS, seq=3), TZ) is None
    f = figures([late, on_time], NOW, TZ, RULES)
    assert (f.closed_late, f.closed_on_time) == (1, 1)


def test_rates_definitions_and_none_when_nothing_counts() -> None:
    items = [
        item(Status.OPEN, seq=1),
        item(Status.SUBMITTED, seq=2),
        item(Status.CLOSED, seq=3),
        item(Status.WITHDRAWN, seq=4),
    ]
    f = figures(items, NOW, TZ, RULES)
    assert f.completion_rate == Fraction(2, 3)  # submitted + closed of 3 (withdrawn in neither)
    assert f.closeout_rate == Fraction(1, 3)
    only_withdrawn = figures([item(Status.WITHDRAWN)], NOW, TZ, RULES)
    assert only_withdrawn.completion_rate is None and only_withdrawn.closeout_rate is None
    assert format_rate(only_withdrawn.closeout_rate) == "—"


def test_lights_use_status_since_for_staleness() -> None:
    i = item(Status.IN_PROGRESS, deadline=date(2026, 12, 31))
    stale_now = at(2026, 6, 1)  # progress was on May 1: 31 days without activity
    assert figures([i], stale_now, TZ, RULES).yellow == 1
    fresh = figures([i], stale_now, TZ, RULES, status_since={i.id: at(2026, 5, 30)})
    assert fresh.green == 1 and fresh.yellow == 0


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidValue):
        figures([], datetime(2026, 7, 1), TZ, RULES)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (None, "—"),
        (Fraction(0), "0.0%"),
        (Fraction(1), "100.0%"),
        (Fraction(3, 8), "37.5%"),
        (Fraction(1, 3), "33.3%"),
        (Fraction(2, 3), "66.6%"),
        (Fraction(3, 13), "23.0%"),
        (Fraction(2999, 3000), "99.9%"),
        (Fraction(29999, 30000), "99.9%"),
        (0.57, "57.0%"),
        (1.0, "100.0%"),
    ],
)
def test_format_rate_one_decimal_cut_never_a_false_hundred(
    rate: Fraction | float | None, text: str
) -> None:
    assert format_rate(rate) == text


@given(n=st.integers(1, 10_000), k=st.integers(0, 10_000))
def test_format_rate_is_100_only_when_exact(n: int, k: int) -> None:
    k = min(k, n)
    text = format_rate(Fraction(k, n))
    assert text.endswith("%") and len(text.split(".")[1]) == 2  # one decimal and "%"
    assert (text == "100.0%") == (k == n)
    assert float(text[:-1]) <= 100 * k / n  # cut, never rounded up


def test_sum_of_figures_is_the_figures_of_the_union() -> None:
    a = [item(Status.OPEN, seq=1), item(Status.CLOSED, seq=2, driven=at(2026, 7, 2))]
    b = [item(Status.SUBMITTED, seq=1, unit="NB"), item(Status.WITHDRAWN, seq=2, unit="NB")]
    per_unit, total = figures_by_unit(a + b, NOW, TZ, RULES, units=("HZ", "NB", "ZZ"))
    assert list(per_unit) == ["HZ", "NB", "ZZ"]
    assert per_unit["ZZ"] == EMPTY
    assert total == figures(a + b, NOW, TZ, RULES) == per_unit["HZ"] + per_unit["NB"]


def test_parts_leave_zero_out() -> None:
    f = Figures(open=2, closed=1, red=1, green=1)
    assert f.status_parts() == ((Status.OPEN, 2), (Status.CLOSED, 1))
    assert f.light_parts() == ((Light.RED, 1), (Light.GREEN, 1))


@settings(max_examples=200, deadline=None)
@given(items=ledgers(), now=INSTANTS, yellow=st.integers(0, 30), stale=st.integers(1, 60))
def test_every_breakdown_adds_up_to_its_total(
    items: list[Item], now: datetime, yellow: int, stale: int
) -> None:
    # ids are unique per unit only in the generator: make them unique overall
    items = [replace(i, id=f"{i.unit}-{n:03d}") for n, i in enumerate(items, start=1)]
    rules = Rules(yellow_days=yellow, stale_days=stale)
    f = figures(items, now, TZ, rules)
    assert sum(f.by_status().values()) == f.total
    assert f.total + f.withdrawn == len(items)
    assert f.active + f.done == f.total
    assert sum(f.by_light().values()) == f.active
    assert f.red == f.overdue  # red is overdue, nothing else
    assert f.overdue + f.due_soon <= f.active
    assert f.closed_late + f.closed_on_time == f.done
    assert f.long_term <= f.total
    assert f.waiting + f.done == f.finished
    assert all(getattr(f, fl.name) >= 0 for fl in fields(f))
    # every item's light agrees with the counts
    lights = [light(i, now, TZ, rules) for i in items if i.status.is_active]
    assert lights.count(Light.RED) == f.red and lights.count(Light.YELLOW) == f.yellow
    per_unit, total = figures_by_unit(items, now, TZ, rules)
    assert total == f == sum(per_unit.values(), EMPTY)
    if f.total:
        assert f.completion_rate == Fraction(f.finished, f.total)
        assert f.closeout_rate is not None and f.closeout_rate <= f.completion_rate
