"""The warning light: red / yellow / green / closed, in the configured zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ledger.errors import InvalidValue
from ledger.light import idle_days, item_id_key, last_activity, light, order_key
from ledger.model import Light, Status
from ledger.rules import Rules
from ledger.workflow import Action
from tests.ledger.factories import CONTACT, RULES, TZ, at, drive, evidence, track

DEADLINE = date(2026, 6, 30)


def lit(status: Status, now: datetime, *, long_term: bool = False, rules: Rules = RULES) -> Light:
    # all driving happens on May 1, so staleness only matters where a test wants it
    t = drive(track(long_term=long_term), status, at(2026, 5, 1))
    return light(t.item, now, TZ, rules)


@pytest.mark.parametrize(
    "status", [Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED]
)
def test_red_from_the_first_day_after_the_deadline(status: Status) -> None:
    assert lit(status, at(2026, 6, 30, 23, 59)) is Light.YELLOW  # the deadline day itself
    assert lit(status, at(2026, 7, 1, 0, 0)) is Light.RED


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.ENDORSED])
def test_waiting_for_review_is_red_once_late_and_green_before(status: Status) -> None:
    # overdue means not closed by the deadline: applying for close-out does not stop it
    assert lit(status, at(2026, 8, 1)) is Light.RED
    assert lit(status, at(2026, 5, 2)) is Light.GREEN


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_finished_items_are_closed(status: Status) -> None:
    assert lit(status, at(2027, 1, 1)) is Light.CLOSED


def test_monitoring_is_closed_and_long_term_is_never_red() -> None:
    assert lit(Status.MONITORING, at(2030, 1, 1), long_term=True) is Light.CLOSED
    t = drive(track(long_term=True), Status.IN_PROGRESS, at(2026, 5, 1))
    assert light(t.item, at(2026, 5, 14), TZ, RULES) is Light.GREEN
    assert light(t.item, at(2026, 5, 15), TZ, RULES) is Light.YELLOW  # stale, not late


def test_yellow_exactly_yellow_days_before_the_deadline() -> None:
    never_stale = Rules(stale_days=365)
    assert lit(Status.OPEN, at(2026, 6, 22), rules=never_stale) is Light.GREEN  # 8 days left
    assert lit(Status.OPEN, at(2026, 6, 23), rules=never_stale) is Light.YELLOW  # 7 days left
    short = Rules(yellow_days=3, stale_days=365)
    assert lit(Status.OPEN, at(2026, 6, 23), rules=short) is Light.GREEN


def test_yellow_after_stale_days_without_activity_and_activity_resets_it() -> None:
    t = drive(track(deadline=date(2026, 12, 31)), Status.IN_PROGRESS, at(2026, 5, 1))
    assert light(t.item, at(2026, 5, 14, 23), TZ, RULES) is Light.GREEN  # 13 days
    assert light(t.item, at(2026, 5, 15), TZ, RULES) is Light.YELLOW  # 14 days
    t.do(CONTACT, Action.ADD_EVIDENCE, at(2026, 5, 10), evidence=evidence())
    assert light(t.item, at(2026, 5, 15), TZ, RULES) is Light.GREEN
    assert idle_days(t.item, at(2026, 5, 15), TZ) == 5
    # a later status change the caller knows about counts as activity too
    since = at(2026, 5, 20)
    assert last_activity(t.item, since) == since
    assert light(t.item, at(2026, 5, 30), TZ, RULES, status_since=since) is Light.GREEN


def test_open_item_goes_stale_from_creation() -> None:
    t = track(deadline=date(2026, 12, 31))
    assert light(t.item, at(2026, 5, 15), TZ, RULES) is Light.YELLOW


def test_deadline_counts_in_the_configured_zone() -> None:
    t = track(deadline=DEADLINE)
    t.do(CONTACT, Action.PROGRESS, at(2026, 6, 30), text="x")
    instant = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)  # July 1, 00:30 in Shanghai
    assert light(t.item, instant, TZ, RULES) is Light.RED
    assert light(t.item, instant, ZoneInfo("UTC"), RULES) is Light.YELLOW


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidValue):
        light(track().item, datetime(2026, 5, 1), TZ, RULES)  # noqa: DTZ001


def test_order_key_red_yellow_green_then_deadline_then_id() -> None:
    now = at(2026, 6, 25)
    red = drive(track(seq=5, deadline=date(2026, 6, 1)), Status.IN_PROGRESS, now).item
    yellow_late = replace(track(seq=3, deadline=date(2026, 6, 29)).item, progress=red.progress)
    yellow_early = replace(yellow_late, id="HZ-004", deadline=date(2026, 6, 28))
    green = drive(track(seq=1000, deadline=date(2026, 12, 1)), Status.IN_PROGRESS, now).item
    green_999 = replace(green, id="HZ-999")
    long_term = drive(track(seq=2, long_term=True), Status.IN_PROGRESS, now).item
    closed = drive(track(seq=1), Status.CLOSED, now).item
    items = [closed, long_term, green, green_999, yellow_late, yellow_early, red]
    ordered = sorted(items, key=lambda i: order_key(i, now, TZ, RULES))
    assert [i.id for i in ordered] == [
        "HZ-005",
        "HZ-004",
        "HZ-003",
        "HZ-999",
        "HZ-1000",
        "HZ-002",
        "HZ-001",
    ]
    assert item_id_key("HZ-010") < item_id_key("HZ-100") < item_id_key("HZ-1000")
    assert item_id_key("garbage") == ("garbage", -1)
