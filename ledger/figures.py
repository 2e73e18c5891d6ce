"""The figures of a ledger (DESIGN §3): ONE definition, used by every view.

:func:`figures` counts any set of items at ``now``; :func:`figures_by_unit` gives each unit's
and the total. The banner, /units, /unit, /stats, the export's 汇总 sheet, the digests,
``sweep --dry-run`` and the sandbox all take their numbers from here, and write rates with
:func:`format_rate`. Definitions, in the words of the office (``today`` = the date of ``now``
in the configured zone):

- 撤销 ``withdrawn``: items withdrawn (撤销) — shown apart, in no other figure and in
  neither rate.
- 台账总数 ``total``: every item that is not withdrawn. It is split by status, and the parts
  add up to it: 未整改 ``open`` + 整改中 ``in_progress`` + 待签字 ``submitted`` + 待核验
  ``endorsed`` + 已销号 ``closed`` + 长期坚持 ``monitoring`` (a long-term item closed into
  standing monitoring).
- 未销号 ``active``: open + in_progress + submitted + endorsed (still to be closed).
- 已销号（含长期坚持）``done``: closed + monitoring.
- 长期坚持事项 ``long_term``: items marked long-term (no deadline), whatever their status; a
  part of the total, not a status of its own. They are never overdue or due soon.
- 超期 ``overdue``: not closed by the deadline — a not-withdrawn item whose deadline has
  passed (today is after it) and that is not closed, whatever its open status (未整改, 整改中,
  待签字, 待核验). A part of 未销号.
- 7 天内到期 ``due_soon``: not closed, deadline today or within ``rules.yellow_days`` days
  (7 by default). Never overlaps 超期.
- 预警灯 ``red`` + ``yellow`` + ``green`` = 未销号: red = 超期; yellow = due soon, or an
  open / in-progress item without activity for ``rules.stale_days`` days (``ledger.light``);
  green = the rest. Closed and monitoring items have no light.
- 逾期完成 ``closed_late``: of the closed ones (closed + monitoring), those closed after their
  deadline (the local date of 销号 is after the deadline in force when closed); days late =
  that date − deadline (:func:`days_late`). ``closed_on_time`` = done − closed_late.
- 整改完成率 ``completion_rate`` = items whose rectification is finished — the unit has applied
  for close-out or beyond: 待签字 + 待核验 + 已销号 + 长期坚持 — ÷ 台账总数.
- 销号率 ``closeout_rate`` = 已销号 + 长期坚持 (closed by the inspectors) ÷ 台账总数.
  Both rates are ``None`` (written "—") when the total is 0.

:func:`format_rate` is the one way a rate is written: one decimal, cut and never rounded up,
so 2,999 of 3,000 reads 99.9% and only an exact whole reads 100.0%.
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, tzinfo
from fractions import Fraction
from typing import Any

from ledger.calendar import local_date
from ledger.light import light
from ledger.model import Item, Light, Status, require_aware
from ledger.rules import Rules

# The status parts of 台账总数, in the order every view lists them.
STATUS_PARTS: tuple[Status, ...] = (
    Status.OPEN,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
    Status.ENDORSED,
    Status.CLOSED,
    Status.MONITORING,
)
# The lights of 未销号 items, in the order every view lists them.
LIGHT_PARTS: tuple[Light, ...] = (Light.RED, Light.YELLOW, Light.GREEN)
_DONE = (Status.CLOSED, Status.MONITORING)
_FINISHED = (Status.SUBMITTED, Status.ENDORSED, Status.CLOSED, Status.MONITORING)


@dataclass(frozen=True)
class Figures:
    """The counts of a set of items at one moment (definitions in the module docstring).

    Plain integers, so ``a + b`` is the figures of both sets (the 合计 line)."""

    open: int = 0
    in_progress: int = 0
    submitted: int = 0
    endorsed: int = 0
    closed: int = 0
    monitoring: int = 0
    withdrawn: int = 0
    long_term: int = 0
    overdue: int = 0
    due_soon: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    closed_late: int = 0

    # -- totals -------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """台账总数: every item not withdrawn (the sum of the status parts)."""
        return sum(self.by_status().values())

    @property
    def active(self) -> int:
        """未销号: open + in_progress + submitted + endorsed."""
        return self.open + self.in_progress + self.submitted + self.endorsed

    @property
    def done(self) -> int:
        """已销号 including 长期坚持 (closed into monitoring)."""
        return self.closed + self.monitoring

    @property
    def finished(self) -> int:
        """整改完成 (the 整改完成率 numerator): submitted + endorsed + closed + monitoring."""
        return self.submitted + self.endorsed + self.done

    @property
    def waiting(self) -> int:
        """待签字 + 待核验: waiting for the leader or the inspectors."""
        return self.submitted + self.endorsed

    @property
    def closed_on_time(self) -> int:
        """按期销号: done − closed_late."""
        return self.done - self.closed_late

    @property
    def not_overdue(self) -> int:
        """未销号 and not 超期 (the "整改中" bar of /stats)."""
        return self.active - self.overdue

    # -- rates --------------------------------------------------------------------------

    @property
    def completion_rate(self) -> Fraction | None:
        """整改完成率 = finished ÷ total; ``None`` when the total is 0."""
        return Fraction(self.finished, self.total) if self.total else None

    @property
    def closeout_rate(self) -> Fraction | None:
        """销号率 = done ÷ total; ``None`` when the total is 0."""
        return Fraction(self.done, self.total) if self.total else None

    # -- breakdowns (each adds up to its total) -------------------------------------------

    def by_status(self) -> dict[Status, int]:
        """Status → count, every status of :data:`STATUS_PARTS` (adds up to ``total``)."""
        return {s: getattr(self, str(s)) for s in STATUS_PARTS}

    def by_light(self) -> dict[Light, int]:
        """Light → count of 未销号 items (adds up to ``active``)."""
        return {lit: getattr(self, str(lit)) for lit in LIGHT_PARTS}

    def status_parts(self) -> tuple[tuple[Status, int], ...]:
        """The non-zero status parts in list order: what a line shows (zero parts left out)."""
        return tuple((s, n) for s, n in self.by_status().items() if n)

    def light_parts(self) -> tuple[tuple[Light, int], ...]:
        """The non-zero lights in list order (zero parts left out)."""
        return tuple((lit, n) for lit, n in self.by_light().items() if n)

    def to_dict(self) -> dict[str, int]:
        """The stored counts (JSON-compatible), e.g. inside a digest's details."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Figures:
        """Back from :meth:`to_dict`; unknown keys are ignored and missing ones are 0 (a
        digest recorded by an older version still renders)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in raw.items() if k in names})

    def __add__(self, other: Figures) -> Figures:
        if not isinstance(other, Figures):
            return NotImplemented
        return Figures(*(getattr(self, n) + getattr(other, n) for n in _FIELDS))


EMPTY = Figures()
_FIELDS = tuple(f.name for f in fields(Figures))
# A Figures' counts as a tuple, in field order (one C call instead of fifteen getattr).
_COUNTS = operator.attrgetter(*_FIELDS)


def add_up(parts: Iterable[Figures]) -> Figures:
    """The sum of ``parts`` (``sum(parts, EMPTY)``), added field by field at once: a
    province's 200 units are added up each time one of them is written."""
    columns = list(zip(*map(_COUNTS, parts), strict=True))
    return Figures(*map(sum, columns)) if columns else EMPTY


def days_late(item: Item, tz: tzinfo) -> int | None:
    """逾期完成: days from the deadline to the local date of 销号 (``closed_at`` in ``tz``) for a
    closed or monitoring item closed after its deadline; ``None`` when it was closed on time,
    is not closed, or has no deadline (long-term)."""
    if item.status not in _DONE or item.closed_at is None:
        return None
    if item.long_term or item.deadline is None:
        return None
    late = (local_date(item.closed_at, tz) - item.deadline).days
    return late if late > 0 else None


def is_overdue(item: Item, today: date) -> bool:
    """超期: not withdrawn, not closed, not long-term, and ``today`` is after the deadline."""
    return (
        item.status.is_active
        and not item.long_term
        and item.deadline is not None
        and today > item.deadline
    )


def is_due_soon(item: Item, today: date, rules: Rules) -> bool:
    """7 天内到期: not closed, deadline from today up to ``rules.yellow_days`` days ahead."""
    return (
        item.status.is_active
        and not item.long_term
        and item.deadline is not None
        and 0 <= (item.deadline - today).days <= rules.yellow_days
    )


def figures(
    items: Iterable[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    status_since: Mapping[str, datetime] | None = None,
) -> Figures:
    """The figures of ``items`` at ``now`` (zone ``tz``); see the module docstring.

    ``status_since`` (item id → when it entered its status, ``ledger.workflow.status_since``)
    only moves the "no activity" yellow; without it the last progress, evidence, endorsement,
    verification or closing counts. Naive ``now`` is refused."""
    require_aware(now, "now")
    today = local_date(now, tz)
    since = status_since or {}
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        status = item.status
        if status is Status.WITHDRAWN:
            counts["withdrawn"] += 1
            continue
        counts[str(status)] += 1
        if item.long_term:
            counts["long_term"] += 1
        if status in _DONE:
            if days_late(item, tz) is not None:
                counts["closed_late"] += 1
            continue
        if is_overdue(item, today):
            counts["overdue"] += 1
        elif is_due_soon(item, today, rules):
            counts["due_soon"] += 1
        lit = light(item, now, tz, rules, status_since=since.get(item.id))
        counts[str(lit)] += 1
    return Figures(**counts)


def figures_by_unit(
    items: Iterable[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    units: Iterable[str] = (),
    status_since: Mapping[str, datetime] | None = None,
) -> tuple[dict[str, Figures], Figures]:
    """Each unit's figures (by ``item.unit``, units sorted by code; every code in ``units``
    is present even without items) and the total of all units (their sum)."""
    by_unit: dict[str, list[Item]] = {code: [] for code in units}
    for item in items:
        by_unit.setdefault(item.unit, []).append(item)
    per_unit = {
        code: figures(by_unit[code], now, tz, rules, status_since=status_since)
        for code in sorted(by_unit)
    }
    return per_unit, add_up(per_unit.values())


def format_rate(rate: Fraction | float | None) -> str:
    """A rate as every view writes it: one decimal, cut (never rounded up), ``None`` → "—".

    ``Fraction(3, 8)`` → "37.5%", ``Fraction(1, 3)`` → "33.3%", ``Fraction(2, 3)`` → "66.6%",
    ``Fraction(2999, 3000)`` → "99.9%" (never a false 100%), 1 → "100.0%", 0 → "0.0%". A float
    is first rounded to 6 places so 0.57 does not read 56.9%."""
    if rate is None:
        return "—"
    if isinstance(rate, Fraction):
        tenths = math.floor(rate * 1000)
    else:
        tenths = math.floor(round(rate * 1000, 6))
    return f"{tenths // 10}.{tenths % 10}%"


__all__ = [
    "EMPTY",
    "LIGHT_PARTS",
    "STATUS_PARTS",
    "Figures",
    "add_up",
    "days_late",
    "figures",
    "figures_by_unit",
    "format_rate",
    "is_due_soon",
    "is_overdue",
]
