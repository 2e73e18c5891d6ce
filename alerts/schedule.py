"""When sweeps and digests are due, on the bot's clock (DESIGN §6). Pure: every function takes
the instant it reasons about; nothing here reads a clock or touches storage.

Why a schedule of its own next to APScheduler: the JobQueue's triggers fire on real time,
but what is due is decided on ``services.clock`` (the sandbox moves it with ``/clock``, tests
with a ``FakeClock``). The jobs are only wake-ups; each asks this module whether a sweep or a
digest is due *now* on the bot clock, so a wake-up that is late, doubled or missing changes
nothing but the moment a due sweep happens.

Quiet hours (``[alerts] quiet = true``): an instant is *allowed* when its local date is a
working day (China's calendar with 调休, :class:`ledger.calendar.WorkCalendar`) and its local
time is within ``work_hours`` (start inclusive, end exclusive). Whatever falls outside is
deferred to :meth:`Schedule.next_allowed`: the start of work hours on the same working day if
it is still ahead, else on the next working day. With ``quiet = false`` every instant is
allowed.

Sweeps are scheduled at each of ``sweep_times`` on every day when ``quiet = false`` and on
working days when ``quiet = true``, each deferred as above (its *effective* instant). A sweep
is due when an effective instant has passed since the last sweep (:meth:`sweep_due`); the
item alerts it sends depend only on the day (``ledger.alerts`` sends the current step), so
one sweep after any gap catches everything up, coalesced (R8).

Digests have periods: the daily digest one per working day at ``daily_digest_time``, the
weekly one per ISO week on ``weekly_digest_day`` at ``weekly_digest_time``; each period's
*due* instant is deferred like a sweep — except that a weekly digest whose deferral would
leave its week (the digest day is a holiday at the end of the week) goes out on the week's
last working day before it instead (a Friday holiday: Thursday).

``ledger.alerts`` keys a digest by the period it covers (the working day, the ISO week), so a
digest whose due instant fell inside downtime (or a moved clock) is still its period's own:
:meth:`due_digests` sends the latest period of each kind whose due instant has passed and which
was not served yet — once, at the next allowed instant, for the period it covers (:meth:`covers`
gives its days). Several missed periods of one kind collapse into the latest; the earlier ones
count as served. A catch-up that falls outside work hours or on a non-working day is deferred
to the next allowed instant, never dropped: the period stays unserved until a sweep sends it.

All instants returned are timezone-aware UTC; local times are built in the configured zone
(a local time that does not exist on a DST spring-forward day maps to the instant one hour
later, an ambiguous one to its first occurrence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from ledger.calendar import WorkCalendar
from ledger.model import require_aware

DigestKind = Literal["daily", "weekly"]
DIGEST_KINDS: tuple[DigestKind, ...] = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)
# A non-working stretch is at most a few weeks even with config holidays; these bounds only
# guard the loops against a calendar with no working day at all.
_LOOKBACK_DAYS = 40
_HORIZON_DAYS = 800


@dataclass(frozen=True)
class Period:
    """One digest period: ``label`` is the working day (``YYYY-MM-DD``) or the ISO week
    (``YYYY-Www``); ``due`` the effective instant its digest is due (UTC)."""

    kind: DigestKind
    label: str
    due: datetime


@dataclass(frozen=True)
class Schedule:
    """The alert timetable from config (see the module docstring)."""

    tz: tzinfo
    calendar: WorkCalendar
    sweep_times: tuple[time, ...] = (time(9, 0),)
    daily_digest_time: time = time(17, 30)
    weekly_digest_day: str = "fri"
    weekly_digest_time: time = time(17, 30)
    quiet: bool = True
    work_hours: tuple[time, time] = (time(8, 30), time(18, 0))

    def __post_init__(self) -> None:
        if not self.sweep_times:
            raise ValueError("at least one sweep time is needed")
        if self.weekly_digest_day not in WEEKDAYS:
            raise ValueError(f"weekly_digest_day must be one of {WEEKDAYS}")
        if not self.work_hours[0] < self.work_hours[1]:
            raise ValueError("work hours must start before they end")

    # ------------------------------------------------------------------ instants

    def at(self, day: date, clock_time: time) -> datetime:
        """``clock_time`` on ``day`` in the configured zone, as a UTC instant."""
        return datetime.combine(day, clock_time, tzinfo=self.tz).astimezone(UTC)

    def local(self, instant: datetime) -> datetime:
        return require_aware(instant, "instant").astimezone(self.tz)

    def allowed(self, instant: datetime) -> bool:
        """May an alert be sent at ``instant``? Always with ``quiet = false``."""
        if not self.quiet:
            require_aware(instant, "instant")
            return True
        local = self.local(instant)
        start, end = self.work_hours
        return self.calendar.is_workday(local.date()) and start <= local.time() < end

    def next_allowed(self, instant: datetime) -> datetime:
        """``instant`` if allowed, else the next start of work hours on a working day."""
        if self.allowed(instant):
            return instant.astimezone(UTC)
        local = self.local(instant)
        day = local.date()
        start = self.work_hours[0]
        if self.calendar.is_workday(day) and local.time() < start:
            return self.at(day, start)
        for _ in range(_HORIZON_DAYS):
            day += _DAY
            if self.calendar.is_workday(day):
                return self.at(day, start)
        raise RuntimeError(f"no working day within {_HORIZON_DAYS} days of {day}")

    # ------------------------------------------------------------------ sweeps

    def _sweep_day(self, day: date) -> bool:
        return not self.quiet or self.calendar.is_workday(day)

    def next_sweep_after(self, instant: datetime) -> datetime:
        """The first effective sweep instant strictly after ``instant``."""
        day = self.local(instant).date() - timedelta(days=_LOOKBACK_DAYS)
        times = sorted(self.sweep_times)
        for _ in range(_HORIZON_DAYS):
            if self._sweep_day(day):
                for clock_time in times:
                    # Effective instants grow with (day, time): the first one past is the next.
                    effective = self.next_allowed(self.at(day, clock_time))
                    if effective > instant:
                        return effective
            day += _DAY
        raise RuntimeError(f"no sweep instant within {_HORIZON_DAYS} days of {instant}")

    def sweep_due(self, last_sweep: datetime | None, now: datetime) -> bool:
        """Has a scheduled sweep come due since ``last_sweep``? ``None`` (never swept): yes
        if ``now`` is allowed."""
        if last_sweep is None:
            return self.allowed(now)
        return self.next_sweep_after(last_sweep) <= now

    # ------------------------------------------------------------------ digests

    def key(self, kind: DigestKind, instant: datetime) -> str:
        """What ``ledger.alerts`` keys a digest sent at ``instant`` by: the local date, or
        the local ISO week."""
        day = self.local(instant).date()
        if kind == "daily":
            return day.isoformat()
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"

    def _daily(self, day: date) -> Period:
        due = self.next_allowed(self.at(day, self.daily_digest_time))
        return Period("daily", day.isoformat(), due)

    def _weekly(self, monday: date) -> Period:
        day = monday + timedelta(days=WEEKDAYS.index(self.weekly_digest_day))
        year, week, _ = monday.isocalendar()
        label = f"{year}-W{week:02d}"
        due = self.next_allowed(self.at(day, self.weekly_digest_time))
        if self.quiet and self.key("weekly", due) != label:
            # Deferring would leave the week (a Friday holiday): the week's last working day
            # before the digest day takes it instead, so every week keeps its own digest.
            earlier = [
                monday + timedelta(days=n)
                for n in range((day - monday).days)
                if self.calendar.is_workday(monday + timedelta(days=n))
            ]
            if earlier:
                due = self.next_allowed(self.at(earlier[-1], self.weekly_digest_time))
        return Period("weekly", label, due)

    def _period_days(self, kind: DigestKind, around: date) -> tuple[date, timedelta]:
        """The period start at or before ``around`` and the step between periods."""
        if kind == "weekly":
            return around - timedelta(days=around.weekday()), timedelta(days=7)
        return around, _DAY

    def _period(self, kind: DigestKind, start: date) -> Period | None:
        """The period starting on ``start``; ``None`` for a day off (daily) or a week without
        any working day (春节: nobody worked, nothing to report)."""
        if kind == "weekly":
            week = (start + timedelta(days=n) for n in range(7))
            return self._weekly(start) if any(map(self.calendar.is_workday, week)) else None
        return self._daily(start) if self.calendar.is_workday(start) else None

    def latest_period(self, kind: DigestKind, now: datetime) -> Period | None:
        """The latest period of ``kind`` whose due instant is at or before ``now``."""
        start, step = self._period_days(kind, self.local(now).date() + _DAY)
        for _ in range(_LOOKBACK_DAYS if kind == "daily" else 8):
            period = self._period(kind, start)
            if period is not None and period.due <= now:
                return period
            start -= step
        return None

    def next_period(self, period: Period) -> Period:
        """The period after ``period``."""
        if period.kind == "weekly":
            year, week = period.label.split("-W")
            day = date.fromisocalendar(int(year), int(week), 1)
            step = timedelta(days=7)
        else:
            day, step = date.fromisoformat(period.label), _DAY
        for _ in range(_HORIZON_DAYS):
            day += step
            following = self._period(period.kind, day)
            if following is not None:
                return following
        raise RuntimeError(f"no working day within {_HORIZON_DAYS} days of {period.label}")

    def next_digest_after(self, kind: DigestKind, instant: datetime) -> datetime:
        """When the next digest of ``kind`` is due after ``instant`` (for display)."""
        period = self.latest_period(kind, instant)
        following = (
            self.next_period(period) if period is not None else self._first_period(kind, instant)
        )
        while following.due <= instant:
            following = self.next_period(following)
        return following.due

    def _first_period(self, kind: DigestKind, instant: datetime) -> Period:
        start, step = self._period_days(kind, self.local(instant).date())
        for _ in range(_HORIZON_DAYS):
            period = self._period(kind, start)
            if period is not None:
                return period
            start += step
        raise RuntimeError(f"no {kind} digest period within {_HORIZON_DAYS} days")

    def due_digests(self, now: datetime, served: Mapping[str, str]) -> dict[DigestKind, Period]:
        """The digests to send in a sweep at ``now`` (see the module docstring): per kind the
        latest period due by ``now`` and not served yet. ``served`` maps a kind to the ISO
        ``due`` instant of the last period already served. Nothing outside allowed time."""
        if not self.allowed(now):
            return {}
        due: dict[DigestKind, Period] = {}
        for kind in DIGEST_KINDS:
            period = self.latest_period(kind, now)
            if period is None:
                continue
            last = served.get(kind)
            if last is not None and datetime.fromisoformat(last) >= period.due:
                continue
            due[kind] = period
        return due

    def covers(self, period: Period) -> tuple[date, date]:
        """The first and last day ``period`` reports on: the working day of a daily digest; a
        weekly one's Monday up to the day its digest is due (the digest day, or the working
        day before a holiday that took it), never past the week's Sunday."""
        if period.kind == "daily":
            day = date.fromisoformat(period.label)
            return day, day
        year, week = period.label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        end = min(self.local(period.due).date(), monday + timedelta(days=6))
        return monday, max(end, monday)


__all__ = ["DIGEST_KINDS", "WEEKDAYS", "DigestKind", "Period", "Schedule"]
