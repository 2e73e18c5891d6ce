"""The alert timetable on the bot clock: quiet hours with China's calendar (调休), sweep instants,
digest periods and their deferral (alerts.schedule)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.schedule import Schedule
from ledger.calendar import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar(TZ)


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def sched(**kw: object) -> Schedule:
    return Schedule(TZ, CAL, **kw)  # type: ignore[arg-type]


QUIET = sched()
LOUD = sched(quiet=False)


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("instant", "allowed"),
    [
        (at(2026, 3, 2, 8, 29), False),  # Monday before work
        (at(2026, 3, 2, 8, 30), True),  # start is inclusive
        (at(2026, 3, 2, 17, 59), True),
        (at(2026, 3, 2, 18, 0), False),  # end is exclusive
        (at(2026, 3, 7, 10), False),  # Saturday
        (at(2026, 2, 14, 10), True),  # Saturday 调休: a working day
        (at(2026, 4, 6, 10), False),  # Monday, 清明 holiday
        (at(2026, 10, 1, 10), False),  # 国庆
    ],
)
def test_allowed_follows_work_hours_and_the_official_calendar(
    instant: datetime, allowed: bool
) -> None:
    assert QUIET.allowed(instant) is allowed
    assert LOUD.allowed(instant) is True


def test_next_allowed_is_the_next_start_of_work_on_a_working_day() -> None:
    assert QUIET.next_allowed(at(2026, 3, 2, 7)) == at(2026, 3, 2, 8, 30)
    assert QUIET.next_allowed(at(2026, 3, 2, 18)) == at(2026, 3, 3, 8, 30)
    assert QUIET.next_allowed(at(2026, 3, 6, 19)) == at(2026, 3, 9, 8, 30)  # Friday → Monday
    assert QUIET.next_allowed(at(2026, 4, 3, 18, 30)) == at(2026, 4, 7, 8, 30)  # over 清明
    assert QUIET.next_allowed(at(2026, 2, 13, 20)) == at(2026, 2, 14, 8, 30)  # to the 调休 Sat
    assert QUIET.next_allowed(at(2026, 3, 2, 10)) == at(2026, 3, 2, 10)
    assert QUIET.next_allowed(at(2026, 3, 2, 10)).tzinfo is UTC


# --------------------------------------------------------------------------- sweeps


def test_sweeps_run_on_working_days_when_quiet_and_every_day_otherwise() -> None:
    friday = at(2026, 3, 6, 9)
    assert QUIET.next_sweep_after(friday) == at(2026, 3, 9, 9)
    assert LOUD.next_sweep_after(friday) == at(2026, 3, 7, 9)
    assert QUIET.next_sweep_after(at(2026, 2, 13, 9)) == at(2026, 2, 14, 9)  # 调休 Saturday
    assert QUIET.next_sweep_after(at(2026, 9, 30, 9)) == at(2026, 10, 8, 9)  # over 国庆


def test_sweep_times_outside_work_hours_are_deferred_into_them() -> None:
    early = sched(sweep_times=(time(7, 0), time(19, 0)))
    assert early.next_sweep_after(at(2026, 3, 2, 6)) == at(2026, 3, 2, 8, 30)
    assert early.next_sweep_after(at(2026, 3, 2, 8, 30)) == at(2026, 3, 3, 8, 30)
    loud = sched(sweep_times=(time(7, 0), time(19, 0)), quiet=False)
    assert loud.next_sweep_after(at(2026, 3, 2, 8, 30)) == at(2026, 3, 2, 19)


def test_a_sweep_is_due_once_a_scheduled_instant_has_passed() -> None:
    last = at(2026, 3, 2, 9)
    assert not QUIET.sweep_due(last, at(2026, 3, 2, 17))
    assert not QUIET.sweep_due(last, at(2026, 3, 3, 8, 59))
    assert QUIET.sweep_due(last, at(2026, 3, 3, 9))
    assert QUIET.sweep_due(last, at(2026, 6, 3, 9))  # any gap: due, once
    assert QUIET.sweep_due(None, at(2026, 3, 3, 9))
    assert not QUIET.sweep_due(None, at(2026, 3, 7, 9))  # never swept, but Saturday


# --------------------------------------------------------------------------- digests


# Every digest up to the week before 2026-03-02 (a Monday) served; 2026-02-28 (Saturday) is a
# 调休 working day.
SERVED = {
    "daily": at(2026, 2, 28, 17, 30).isoformat(),
    "weekly": at(2026, 2, 27, 17, 30).isoformat(),
}


def test_the_daily_digest_is_due_at_its_time_on_working_days_once() -> None:
    assert QUIET.due_digests(at(2026, 3, 2, 17, 29), SERVED) == {}
    due = QUIET.due_digests(at(2026, 3, 2, 17, 30), SERVED)
    assert set(due) == {"daily"} and due["daily"].label == "2026-03-02"
    served = {**SERVED, "daily": due["daily"].due.isoformat()}
    assert QUIET.due_digests(at(2026, 3, 2, 17, 45), served) == {}
    assert QUIET.due_digests(at(2026, 3, 3, 9), served) == {}  # next morning: nothing new


def test_a_daily_digest_missed_in_downtime_goes_out_at_the_next_allowed_time_for_its_day() -> None:
    # Down from Monday noon to Tuesday 10:00: Monday's 17:30 digest goes out at 10:00, for
    # Monday; Tuesday's own goes at 17:30.
    due = QUIET.due_digests(at(2026, 3, 3, 10), SERVED)
    assert set(due) == {"daily"} and due["daily"].label == "2026-03-02"
    assert QUIET.covers(due["daily"]) == (date(2026, 3, 2), date(2026, 3, 2))
    served = {**SERVED, "daily": due["daily"].due.isoformat()}
    assert QUIET.due_digests(at(2026, 3, 3, 17, 29), served) == {}
    assert QUIET.due_digests(at(2026, 3, 3, 17, 30), served)["daily"].label == "2026-03-03"


def test_missed_digests_of_one_kind_collapse_into_the_latest() -> None:
    # Down for 30 days from Friday 2026-03-06 noon: one daily (the last working day's) and one
    # weekly (last week's), at the next allowed instant; a Sunday restart sends nothing.
    assert QUIET.due_digests(at(2026, 4, 5, 12), SERVED) == {}  # Sunday: quiet
    due = QUIET.due_digests(at(2026, 4, 7, 8, 30), SERVED)  # Tuesday (Monday is 清明)
    assert due["daily"].label == "2026-04-03"
    assert due["weekly"].label == "2026-W14"
    assert QUIET.covers(due["weekly"]) == (date(2026, 3, 30), date(2026, 4, 3))


def test_a_daily_digest_outside_work_hours_goes_out_next_working_morning() -> None:
    late = sched(daily_digest_time=time(20, 0))
    assert late.due_digests(at(2026, 3, 6, 20, 30), SERVED) == {}  # quiet: Friday evening
    due = late.due_digests(at(2026, 3, 9, 8, 30), SERVED)  # Monday morning
    assert due["daily"].label == "2026-03-06" and due["daily"].due == at(2026, 3, 9, 8, 30)
    loud = sched(daily_digest_time=time(20, 0), quiet=False)
    assert loud.due_digests(at(2026, 3, 6, 20, 0), SERVED)["daily"].label == "2026-03-06"


def test_the_weekly_digest_is_due_on_its_day_and_once_a_week() -> None:
    assert "weekly" not in QUIET.due_digests(at(2026, 3, 5, 17, 30), SERVED)
    due = QUIET.due_digests(at(2026, 3, 6, 17, 30), SERVED)
    assert due["weekly"].label == "2026-W10"
    assert QUIET.covers(due["weekly"]) == (date(2026, 3, 2), date(2026, 3, 6))
    served: dict[str, str] = {k: p.due.isoformat() for k, p in due.items()}
    assert QUIET.due_digests(at(2026, 3, 9, 9), served) == {}


def test_a_friday_weekly_digest_missed_goes_out_on_monday_morning() -> None:
    due = QUIET.due_digests(at(2026, 3, 9, 8, 30), SERVED)  # down from Friday noon
    assert due["weekly"].label == "2026-W10" and due["daily"].label == "2026-03-06"
    assert QUIET.covers(due["weekly"]) == (date(2026, 3, 2), date(2026, 3, 6))


def test_a_holiday_friday_moves_the_weekly_digest_to_thursday() -> None:
    # 2026-06-19 is 端午 (Friday): deferring would leave the week, so Thursday takes it.
    served = {"weekly": at(2026, 6, 12, 17, 30).isoformat()}
    due = QUIET.due_digests(at(2026, 6, 18, 17, 30), served)
    assert due["weekly"].label == "2026-W25"
    assert QUIET.covers(due["weekly"]) == (date(2026, 6, 15), date(2026, 6, 18))
    assert QUIET.next_digest_after("weekly", at(2026, 6, 15, 9)) == at(2026, 6, 18, 17, 30)


def test_a_week_without_working_days_has_no_weekly_digest() -> None:
    # 2026-W08 (春节, Feb 16–22) has no working day: no digest reports on it.
    served = {"weekly": at(2026, 2, 13, 17, 30).isoformat()}  # W07 served
    assert "weekly" not in QUIET.due_digests(at(2026, 2, 24, 8, 30), served)
    assert QUIET.due_digests(at(2026, 2, 27, 17, 30), served)["weekly"].label == "2026-W09"


def test_next_digest_times_for_display() -> None:
    now = at(2026, 3, 2, 9)
    assert QUIET.next_digest_after("daily", now) == at(2026, 3, 2, 17, 30)
    assert QUIET.next_digest_after("daily", at(2026, 3, 6, 18)) == at(2026, 3, 9, 17, 30)
    assert QUIET.next_digest_after("weekly", now) == at(2026, 3, 6, 17, 30)


# --------------------------------------------------------------------------- DST zones


def test_local_times_in_a_dst_zone_are_one_instant_each() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    schedule = Schedule(berlin, WorkCalendar(berlin), quiet=False)
    # 2026-03-29 02:30 does not exist: the instant an hour later; 2026-10-25 02:30 happens
    # twice: the first one.
    assert schedule.at(date(2026, 3, 29), time(2, 30)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert schedule.at(date(2026, 10, 25), time(2, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # daily sweeps at 09:00 local across both changes: one per day, always 09:00 local
    instant = datetime(2026, 3, 27, 12, tzinfo=berlin)
    seen = []
    for _ in range(4):
        instant = schedule.next_sweep_after(instant)
        seen.append(instant.astimezone(berlin))
    assert [(s.day, s.hour) for s in seen] == [(28, 9), (29, 9), (30, 9), (31, 9)]
    assert seen[1].astimezone(UTC) - seen[0].astimezone(UTC) == timedelta(hours=23)


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(ValueError):
        sched(sweep_times=())
    with pytest.raises(ValueError):
        sched(weekly_digest_day="friday")
    with pytest.raises(ValueError):
        sched(work_hours=(time(18), time(8)))
