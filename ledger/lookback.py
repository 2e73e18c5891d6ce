"""回头看: the inspection office goes back to a unit and checks a sample of closed items.

For each sampled item the inspector answers the three checks of 回头看
(看反馈问题是否改到位、看巩固措施是否定到位、看专题民主生活会是否开到位):

- ``rectified`` 改到位 — pass / fail
- ``measures`` 巩固措施定到位 — pass / fail
- ``meeting`` 民主生活会开到位 — pass / fail / not applicable (not every problem needed one)

and adds a note. An item with a failed check has rebounded (反弹): the note is required, and
the caller reopens the item through the workflow with it as the reason.

The sample (:func:`pick_sample`): closed and monitoring items of the unit; the items the
sweep has proposed for 回头看 (``ledger.alerts`` lookback alerts already due) come first, the
rest ranked by ``ledger.alerts.lookback_sample``'s hash with the record's start date as the
cohort — deterministic, so the same start picks the same items. Size: ``lookback_sample`` from
config, at least 1.

A record is in progress until every sampled item has a finding; one record per unit is in
progress at a time. Verdicts given before the finding (the buttons) are kept in ``marks`` so
nothing is lost between presses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ledger.alerts import lookback_sample
from ledger.errors import InvalidValue, LedgerError, MissingReason
from ledger.model import Item, Status, require_aware

NOTE_MAX = 500


class Check(StrEnum):
    RECTIFIED = "rectified"  # 改到位
    MEASURES = "measures"  # 巩固措施定到位
    MEETING = "meeting"  # 民主生活会开到位


CHECKS: tuple[Check, ...] = (Check.RECTIFIED, Check.MEASURES, Check.MEETING)


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"  # only for the 民主生活会 check


class LookbackInProgress(LedgerError):
    key = "lookback.error.in_progress"


class NothingToLookBack(LedgerError):
    key = "lookback.error.no_closed_items"


class LookbackStep(LedgerError):
    """A press or note that does not fit the record (item not sampled, already recorded,
    checks missing)."""

    key = "lookback.error.step"


@dataclass(frozen=True)
class Finding:
    item_id: str
    verdicts: Mapping[Check, Verdict]
    note: str
    by: int
    at: datetime

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in CHECKS if self.verdicts.get(c) is Verdict.FAIL)

    @property
    def passed(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Lookback:
    id: str  # "1", "2" … per unit
    unit: str
    started_at: datetime
    started_by: int
    sample: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    marks: Mapping[str, Mapping[Check, Verdict]] = field(default_factory=dict)

    def finding(self, item_id: str) -> Finding | None:
        return next((f for f in self.findings if f.item_id == item_id), None)

    @property
    def done(self) -> bool:
        return len(self.findings) == len(self.sample)

    @property
    def next_item(self) -> str | None:
        """The first sampled item without a finding."""
        return next((i for i in self.sample if self.finding(i) is None), None)

    @property
    def rebounded(self) -> tuple[str, ...]:
        return tuple(f.item_id for f in self.findings if not f.passed)


def lookback_candidates(items: Iterable[Item]) -> list[Item]:
    """Items a 回头看 can sample: closed (and 长期坚持 monitoring) ones."""
    return [i for i in items if i.status in (Status.CLOSED, Status.MONITORING)]


def pick_sample(
    unit: str, items: Iterable[Item], proposed: Sequence[str], size: int, cohort: str
) -> tuple[str, ...]:
    """The ids to check: ``proposed`` candidates first (the sweep's proposals, in their
    order), then the hashed ranking of the other candidates; ``max(size, 1)`` in all (more
    when the sweep proposed more)."""
    candidates = lookback_candidates(items)
    by_id = {i.id: i for i in candidates}
    first = [p for p in dict.fromkeys(proposed) if p in by_id]
    rest = [i for i in candidates if i.id not in first]
    wanted = max(size, 1)
    more = lookback_sample(unit, cohort, rest, max(0, wanted - len(first)))
    return (*first, *(i.id for i in more))


def start_lookback(
    unit: str,
    items: Iterable[Item],
    *,
    proposed: Sequence[str],
    size: int,
    by: int,
    now: datetime,
    cohort: str,
    existing: Sequence[Lookback] = (),
) -> Lookback:
    """A new 回头看 of ``unit``. Raises ``LookbackInProgress`` while one is unfinished and
    ``NothingToLookBack`` when the unit has no closed item."""
    require_aware(now, "now")
    for record in existing:
        if not record.done:
            raise LookbackInProgress(unit=unit, started_at=record.started_at)
    sample = pick_sample(unit, items, proposed, size, cohort)
    if not sample:
        raise NothingToLookBack(unit=unit)
    return Lookback(str(len(existing) + 1), unit, now, by, sample)


def mark(record: Lookback, item_id: str, check: Check, verdict: Verdict) -> Lookback:
    """Record one button press: ``verdict`` for ``check`` of ``item_id`` (changeable until
    the item's finding is recorded)."""
    if item_id not in record.sample or record.finding(item_id) is not None:
        raise LookbackStep(item_id=item_id)
    if verdict is Verdict.NOT_APPLICABLE and check is not Check.MEETING:
        raise InvalidValue("only the meeting check may be not applicable", field="verdict")
    marks = {k: dict(v) for k, v in record.marks.items()}
    marks.setdefault(item_id, {})[check] = verdict
    return replace(record, marks=marks)


def ready(record: Lookback, item_id: str) -> bool:
    """Whether every check of ``item_id`` has a verdict."""
    given = record.marks.get(item_id, {})
    return all(c in given for c in CHECKS)


def failed_checks(record: Lookback, item_id: str) -> tuple[Check, ...]:
    given = record.marks.get(item_id, {})
    return tuple(c for c in CHECKS if given.get(c) is Verdict.FAIL)


def record_finding(
    record: Lookback, item_id: str, note: str, *, by: int, now: datetime
) -> Lookback:
    """The item's finding from its marks and ``note``. Raises ``LookbackStep`` when a check
    has no verdict yet or the item is done, ``MissingReason`` when a check failed and the note
    is empty (it becomes the reason the item is reopened), ``InvalidValue`` for a note over
    :data:`NOTE_MAX` characters."""
    require_aware(now, "now")
    if item_id not in record.sample or record.finding(item_id) is not None:
        raise LookbackStep(item_id=item_id)
    if not ready(record, item_id):
        raise LookbackStep(item_id=item_id)
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise InvalidValue("note too long", field="note", problem="too_long", max=NOTE_MAX)
    if failed_checks(record, item_id) and not note:
        raise MissingReason(item_id=item_id, action="reopen")
    verdicts = dict(record.marks[item_id])
    finding = Finding(item_id, verdicts, note, by, now)
    marks = {k: v for k, v in record.marks.items() if k != item_id}
    return replace(record, findings=(*record.findings, finding), marks=marks)


def latest(records: Sequence[Lookback]) -> Lookback | None:
    return max(records, key=lambda r: r.started_at, default=None)


# --------------------------------------------------------------------------- codec


def lookback_to_dict(record: Lookback) -> dict[str, Any]:
    return {
        "id": record.id,
        "unit": record.unit,
        "started_at": require_aware(record.started_at).isoformat(),
        "started_by": record.started_by,
        "sample": list(record.sample),
        "findings": [
            {
                "item_id": f.item_id,
                "verdicts": {str(c): str(v) for c, v in f.verdicts.items()},
                "note": f.note,
                "by": f.by,
                "at": require_aware(f.at).isoformat(),
            }
            for f in record.findings
        ],
        "marks": {
            item: {str(c): str(v) for c, v in given.items()}
            for item, given in record.marks.items()
        },
    }


def lookback_from_dict(d: dict[str, Any]) -> Lookback:
    return Lookback(
        id=str(d["id"]),
        unit=str(d["unit"]),
        started_at=require_aware(datetime.fromisoformat(d["started_at"])),
        started_by=int(d["started_by"]),
        sample=tuple(str(i) for i in d["sample"]),
        findings=tuple(
            Finding(
                item_id=str(f["item_id"]),
                verdicts={Check(c): Verdict(v) for c, v in f["verdicts"].items()},
                note=str(f.get("note", "")),
                by=int(f["by"]),
                at=require_aware(datetime.fromisoformat(f["at"])),
            )
            for f in d.get("findings", [])
        ),
        marks={
            str(item): {Check(c): Verdict(v) for c, v in given.items()}
            for item, given in d.get("marks", {}).items()
        },
    )
