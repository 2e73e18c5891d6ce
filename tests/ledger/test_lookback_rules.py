"""ledger.lookback: the sample, the three checks, the note a failed check needs."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidValue, MissingReason
from ledger.lookback import (
    Check,
    LookbackInProgress,
    LookbackStep,
    NothingToLookBack,
    Verdict,
    failed_checks,
    lookback_from_dict,
    lookback_to_dict,
    mark,
    pick_sample,
    ready,
    record_finding,
    start_lookback,
)
from ledger.model import Status
from tests.ledger.factories import at, drive, track

P, F, NA = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE


def closed_items(n: int = 6) -> list:
    return [drive(track(seq=i), Status.CLOSED, at(2026, 5, 2)).item for i in range(1, n + 1)]


def start(items=None, proposed=(), size=3, existing=()):
    return start_lookback(
        "HZ",
        closed_items() if items is None else items,
        proposed=proposed,
        size=size,
        by=1,
        now=at(2026, 11, 2),
        cohort="2026-11-02",
        existing=existing,
    )


def test_the_sample_takes_the_sweeps_proposals_first_then_a_stable_draw() -> None:
    items = [*closed_items(), track(seq=9).item]  # an open item is never sampled
    first = pick_sample("HZ", items, ["HZ-005", "HZ-009", "HZ-404"], 3, "2026-11-02")
    assert first[0] == "HZ-005" and len(first) == 3 and "HZ-009" not in first
    assert first == pick_sample("HZ", items[::-1], ["HZ-005"], 3, "2026-11-02")
    assert len(pick_sample("HZ", items, [], 0, "x")) == 1  # at least one
    assert len(pick_sample("HZ", items, ["HZ-001", "HZ-002", "HZ-003", "HZ-004"], 3, "x")) == 4


def test_checks_then_a_finding_and_a_failed_check_needs_a_note() -> None:
    record = start()
    item = record.sample[0]
    record = mark(record, item, Check.RECTIFIED, F)
    record = mark(record, item, Check.RECTIFIED, P)  # changed mind
    record = mark(record, item, Check.MEASURES, F)
    assert not ready(record, item)
    with pytest.raises(LookbackStep):
        record_finding(record, item, "", by=1, now=at(2026, 11, 2))
    record = mark(record, item, Check.MEETING, NA)
    assert ready(record, item) and failed_checks(record, item) == (Check.MEASURES,)
    with pytest.raises(MissingReason):
        record_finding(record, item, "  ", by=1, now=at(2026, 11, 2))
    record = record_finding(record, item, "制度未修订", by=1, now=at(2026, 11, 2))
    finding = record.finding(item)
    assert finding is not None and finding.failed == (Check.MEASURES,)
    assert record.rebounded == (item,) and record.next_item == record.sample[1]
    with pytest.raises(LookbackStep):
        mark(record, item, Check.RECTIFIED, P)  # recorded: no more presses
    with pytest.raises(InvalidValue):
        mark(record, record.sample[1], Check.RECTIFIED, NA)
    with pytest.raises(LookbackStep):
        mark(record, "HZ-404", Check.RECTIFIED, P)


def test_a_passed_item_needs_no_note_and_the_record_finishes() -> None:
    record = start(size=1)
    [item] = record.sample
    for check in Check:
        record = mark(record, item, check, P)
    record = record_finding(record, item, "", by=1, now=at(2026, 11, 2))
    assert record.done and record.rebounded == () and record.marks == {}
    assert lookback_from_dict(lookback_to_dict(record)) == record


def test_one_record_in_progress_per_unit_and_something_to_check() -> None:
    record = start()
    with pytest.raises(LookbackInProgress):
        start(existing=[record])
    with pytest.raises(NothingToLookBack):
        start(items=[track(seq=1).item])
    half = mark(record, record.sample[0], Check.RECTIFIED, F)
    assert lookback_from_dict(lookback_to_dict(half)) == half
