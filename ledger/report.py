"""整改情况报告: what the report says, decided from the ledger as of one moment (pure).

:func:`report_content` gathers, for one unit at ``now``:

- 基本情况: the round, the feedback date (反馈日期, from the unit's milestone when set), the
  items by category (台账总数 split by 问题类别, withdrawn items left out);
- 整改完成情况: the unit's :class:`ledger.figures.Figures` — the same function every view
  takes its numbers from, so the report equals /unit at the same instant — and per category
  the items closed (已销号, and 长期坚持 items closed into monitoring) with their measures and
  evidence count;
- 未完成事项及原因: items overdue (``ledger.figures.is_overdue``) and long-term items, each with
  its latest progress;
- the latest 回头看 record and 满意度测评 result (comments only when ``comments`` is true: an
  inspector's copy; a unit leader's draft carries counts and 满意率 only);
- the 台账 (every item not withdrawn, in id order) for the annex.

Rendering is storage.report_docx's; words are the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from ledger.calendar import local_date
from ledger.figures import Figures, figures, is_overdue
from ledger.light import item_id_key
from ledger.lookback import Lookback
from ledger.model import Item, Status, Unit, require_aware
from ledger.rules import Rules
from ledger.survey import Result, Survey, result

_DONE = (Status.CLOSED, Status.MONITORING)


@dataclass(frozen=True)
class CategorySection:
    """One 问题类别: how many items, and those closed (with measures and evidence)."""

    category: str
    total: int
    closed: tuple[Item, ...]

    @property
    def remaining(self) -> int:
        return self.total - len(self.closed)


@dataclass(frozen=True)
class Unfinished:
    """An item still to be done: overdue (``days_overdue``) or long-term (长期坚持)."""

    item: Item
    days_overdue: int | None

    @property
    def long_term(self) -> bool:
        return self.item.long_term


@dataclass(frozen=True)
class SurveySummary:
    result: Result
    opened_at: datetime
    closes_at: datetime
    open: bool


@dataclass(frozen=True)
class ReportContent:
    unit: Unit
    now: datetime
    tz: tzinfo
    as_of: date
    feedback: date | None
    figures: Figures
    categories: tuple[CategorySection, ...]
    unfinished: tuple[Unfinished, ...]
    ledger: tuple[Item, ...]
    lookback: Lookback | None
    survey: SurveySummary | None
    comments: bool

    @property
    def by_category(self) -> tuple[tuple[str, int], ...]:
        return tuple((c.category, c.total) for c in self.categories)


def category_order(items: Iterable[Item], configured: Sequence[str]) -> list[str]:
    """Categories present among ``items``: configured ones in configured order, then others
    alphabetically."""
    present = {i.category for i in items}
    first = [c for c in configured if c in present]
    return [*first, *sorted(present - set(first))]


def report_content(
    unit: Unit,
    items: Iterable[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    feedback: date | None = None,
    lookback: Lookback | None = None,
    survey: Survey | None = None,
    comments: bool = False,
) -> ReportContent:
    """The report of ``unit`` at ``now`` (see the module docstring). ``survey`` results lose
    their comments unless ``comments``."""
    require_aware(now, "now")
    today = local_date(now, tz)
    every = list(items)
    kept = sorted(
        (i for i in every if i.status is not Status.WITHDRAWN), key=lambda i: item_id_key(i.id)
    )
    sections = []
    for category in category_order(kept, rules.categories):
        mine = [i for i in kept if i.category == category]
        closed = tuple(i for i in mine if i.status in _DONE)
        sections.append(CategorySection(category, len(mine), closed))
    unfinished = [
        Unfinished(i, (today - i.deadline).days if i.deadline else None)
        for i in kept
        if is_overdue(i, today)
    ]
    unfinished += [Unfinished(i, None) for i in kept if i.long_term]
    summary = None
    if survey is not None:
        outcome = result(survey)
        if not comments:
            outcome = Result(outcome.respondents, outcome.categories, outcome.overall, ())
        summary = SurveySummary(outcome, survey.opened_at, survey.closes_at, survey.is_open(now))
    return ReportContent(
        unit=unit,
        now=now,
        tz=tz,
        as_of=today,
        feedback=feedback,
        figures=figures(every, now, tz, rules),
        categories=tuple(sections),
        unfinished=tuple(unfinished),
        ledger=tuple(kept),
        lookback=lookback,
        survey=summary,
        comments=comments,
    )
