"""Dates in the configured zone and China's working-day calendar (DESIGN §3 "Deadlines").

A day is classified, in this order:

1. a date listed in the config's ``extra_holidays`` / ``extra_workdays`` (source ``config``);
2. a year the ``chinese_calendar`` package knows (2004–2026 for 1.11.0), with 调休 — e.g.
   Saturday 2026-10-10 is a working day (source ``official``);
3. a year the config supplies (its key is present in either mapping, even with an empty set):
   Monday–Friday apart from the listed dates (source ``config``);
4. otherwise Monday–Friday (source ``fallback``): an estimate the UI must label as such
   ("按周一至周五估算"). Counting functions return an ``estimated`` flag for this.

All instants must be timezone-aware (R15); local dates are taken in the given zone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

import chinese_calendar

from ledger.errors import InvalidValue
from ledger.model import require_aware


class DaySource(StrEnum):
    OFFICIAL = "official"  # chinese_calendar's published calendar
    CONFIG = "config"  # config-supplied holidays / 调休 workdays for a year
    FALLBACK = "fallback"  # Monday–Friday estimate


@dataclass(frozen=True)
class WorkdayDate:
    """A date computed over working days; ``estimated`` if any counted day was a fallback."""

    date: date
    estimated: bool


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days; ``estimated`` if any counted day was a fallback."""

    count: int
    estimated: bool


def require_date(value: object, name: str = "date") -> date:
    """Return ``value`` if it is a ``date`` (a ``datetime`` is refused: it is not a day)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidValue(f"{name} must be a date", field=name, problem="type")
    return value


def local_date(now: datetime, tz: tzinfo) -> date:
    """The calendar date of the instant ``now`` in zone ``tz``. Naive ``now`` is refused."""
    return require_aware(now, "now").astimezone(tz).date()


def days_left(deadline: date, now: datetime, tz: tzinfo) -> int:
    """Calendar days from today (in ``tz``) to ``deadline``: 0 on the deadline day, 1 the day
    before, -1 the first day after (overdue)."""
    return (require_date(deadline, "deadline") - local_date(now, tz)).days


def days_overdue(deadline: date, now: datetime, tz: tzinfo) -> int:
    """Calendar days past ``deadline`` (in ``tz``): 0 up to and on the deadline day, 1 on the
    first overdue day."""
    return max(0, -days_left(deadline, now, tz))


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the month's end (Jan 31 + 1 → Feb 28)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last_day = (first_next - timedelta(days=1)).day
    return date(year, month, min(d.day, last_day))


class WorkCalendar:
    """Working days in China, extended by config for years the package does not know.

    ``extra_holidays`` / ``extra_workdays`` map a year to its dates; every date must belong to
    the year it is filed under and no date may be in both (``InvalidValue`` otherwise). A year
    present as a key in either mapping counts as configured (so ``{2027: set()}`` says "2027 is
    plain Monday–Friday, and that is not an estimate").
    """

    def __init__(
        self,
        tz: tzinfo,
        extra_holidays: Mapping[int, Collection[date]] | None = None,
        extra_workdays: Mapping[int, Collection[date]] | None = None,
    ) -> None:
        self.tz = tz
        self._holidays = self._dates(extra_holidays or {}, "extra_holidays")
        self._workdays = self._dates(extra_workdays or {}, "extra_workdays")
        both = self._holidays & self._workdays
        if both:
            first = min(both)
            raise InvalidValue(
                "date is both holiday and workday", field="extra_workdays", value=first.isoformat()
            )
        self._config_years = frozenset(extra_holidays or {}) | frozenset(extra_workdays or {})
        self._cache: dict[date, tuple[bool, DaySource]] = {}
        self._years: dict[int, tuple[list[int], bool]] = {}

    @staticmethod
    def _dates(by_year: Mapping[int, Collection[date]], name: str) -> frozenset[date]:
        out: set[date] = set()
        for year, days in by_year.items():
            for d in days:
                require_date(d, name)
                if d.year != year:
                    raise InvalidValue(
                        "date filed under another year", field=name, value=d.isoformat()
                    )
                out.add(d)
        return frozenset(out)

    @property
    def configured_years(self) -> frozenset[int]:
        return self._config_years

    def classify(self, d: date) -> tuple[bool, DaySource]:
        """``(is_workday, source)`` for the day ``d`` (see the module docstring for the order)."""
        require_date(d)
        cached = self._cache.get(d)
        if cached is not None:
            return cached
        result: tuple[bool, DaySource]
        if d in self._holidays:
            result = (False, DaySource.CONFIG)
        elif d in self._workdays:
            result = (True, DaySource.CONFIG)
        else:
            try:
                result = (bool(chinese_calendar.is_workday(d)), DaySource.OFFICIAL)
            except NotImplementedError:  # the package has no data for this year
                source = DaySource.CONFIG if d.year in self._config_years else DaySource.FALLBACK
                result = (d.weekday() < 5, source)
        self._cache[d] = result
        return result

    def is_workday(self, d: date) -> bool:
        return self.classify(d)[0]

    def is_estimated(self, d: date) -> bool:
        """True if ``d``'s classification is the Monday–Friday fallback."""
        return self.classify(d)[1] is DaySource.FALLBACK

    def add_workdays(self, start: date, n: int) -> WorkdayDate:
        """The day ``n`` working days after ``start`` (before it if ``n`` < 0).

        ``start`` itself is never counted, so ``add_workdays(d, 0)`` is ``d`` (even on a holiday),
        ``add_workdays(d, 1)`` is the next working day after ``d`` and ``add_workdays(d, -1)`` the
        last one before it. ``estimated`` covers every day stepped over: ``(start, result]``
        forwards, ``[result, start)`` backwards. A result beyond year 9999 raises
        ``InvalidValue(field="n", problem="out_of_range")``.
        """
        require_date(start, "start")
        if not isinstance(n, int):
            raise InvalidValue("n must be an int", field="n", problem="type")
        step = timedelta(days=1 if n >= 0 else -1)
        d, remaining, estimated = start, abs(n), False
        try:
            while remaining:
                d += step
                workday, source = self.classify(d)
                estimated = estimated or source is DaySource.FALLBACK
                if workday:
                    remaining -= 1
        except OverflowError as exc:
            raise InvalidValue("date out of range", field="n", problem="out_of_range") from exc
        return WorkdayDate(d, estimated)

    def workdays_between(self, a: date, b: date) -> WorkdayCount:
        """Working days in the half-open span ``(a, b]``; negative (``-(b, a]``) when ``b < a``.

        Antisymmetric, and the inverse of :meth:`add_workdays` for ``n >= 0``:
        ``workdays_between(d, add_workdays(d, n).date) == n`` with the same ``estimated``.
        """
        require_date(a, "a")
        require_date(b, "b")
        sign, lo, hi = (1, a, b) if a <= b else (-1, b, a)
        if lo == hi:
            return WorkdayCount(0, False)
        # (lo, hi] = the rest of lo's year after lo, whole years between, hi's year up to hi
        lo_prefix, _ = self._year(lo.year)
        count = -lo_prefix[lo.timetuple().tm_yday]
        estimated = False
        first_year = lo.year if lo != date(lo.year, 12, 31) else lo.year + 1
        for year in range(lo.year, hi.year + 1):
            prefix, fallback = self._year(year)
            count += prefix[-1] if year < hi.year else prefix[hi.timetuple().tm_yday]
            estimated = estimated or (fallback and year >= first_year)
        return WorkdayCount(sign * count, estimated)

    def _year(self, year: int) -> tuple[list[int], bool]:
        """``(prefix, fallback)``: ``prefix[i]`` = working days among the year's first ``i``
        days; ``fallback`` if the year's days are Monday–Friday estimates (a year is either
        wholly estimated or not: config dates make their year configured)."""
        cached = self._years.get(year)
        if cached is not None:
            return cached
        day, prefix, fallback = date(year, 1, 1), [0], False
        while day.year == year:
            workday, source = self.classify(day)
            prefix.append(prefix[-1] + workday)
            fallback = fallback or source is DaySource.FALLBACK
            if day == date.max:
                break
            day += timedelta(days=1)
        self._years[year] = (prefix, fallback)
        return prefix, fallback

    def today(self, now: datetime) -> date:
        """The local date of ``now`` in this calendar's zone."""
        return local_date(now, self.tz)


__all__ = [
    "DaySource",
    "WorkCalendar",
    "WorkdayCount",
    "WorkdayDate",
    "add_months",
    "days_left",
    "days_overdue",
    "local_date",
    "require_date",
]
