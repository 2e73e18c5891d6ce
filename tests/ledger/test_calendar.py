"""Working days with 调休, config-supplied years, the Mon–Fri fallback flag, local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.calendar import (
    DaySource,
    WorkCalendar,
    WorkdayCount,
    WorkdayDate,
    add_months,
    days_left,
    days_overdue,
    local_date,
)
from ledger.errors import InvalidValue
from tests.ledger.factories import TZ

CAL = WorkCalendar(TZ)


def test_tiaoxiu_saturday_is_a_workday_and_the_holiday_week_is_not() -> None:
    # 2026 National Day: Oct 1-7 off, Saturday Oct 10 worked (调休), per chinesecalendar 1.11.0
    assert date(2026, 10, 10).weekday() == 5
    assert CAL.classify(date(2026, 10, 10)) == (True, DaySource.OFFICIAL)
    assert CAL.classify(date(2026, 10, 5)) == (False, DaySource.OFFICIAL)  # a Monday, off
    assert not CAL.is_workday(date(2026, 10, 11))  # plain Sunday
    assert not CAL.is_workday(date(2026, 9, 25))  # Friday, 中秋节


def test_add_workdays_across_national_day() -> None:
    assert CAL.add_workdays(date(2026, 9, 30), 1) == WorkdayDate(date(2026, 10, 8), False)
    assert CAL.add_workdays(date(2026, 10, 9), 1) == WorkdayDate(date(2026, 10, 10), False)
    assert CAL.add_workdays(date(2026, 10, 9), 2) == WorkdayDate(date(2026, 10, 12), False)
    assert CAL.add_workdays(date(2026, 10, 8), -1) == WorkdayDate(date(2026, 9, 30), False)
    assert CAL.add_workdays(date(2026, 10, 3), 0) == WorkdayDate(date(2026, 10, 3), False)
    assert CAL.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == WorkdayCount(4, False)
    assert CAL.workdays_between(date(2026, 10, 12), date(2026, 9, 30)) == WorkdayCount(-4, False)
    assert CAL.workdays_between(date(2026, 10, 1), date(2026, 10, 1)) == WorkdayCount(0, False)


def test_2027_without_config_is_a_monday_to_friday_estimate() -> None:
    new_year = date(2027, 1, 1)  # a Friday; the package does not know 2027
    assert CAL.classify(new_year) == (True, DaySource.FALLBACK)
    assert CAL.is_estimated(new_year)
    assert not CAL.is_workday(date(2027, 1, 2))
    assert CAL.add_workdays(date(2026, 12, 31), 1) == WorkdayDate(new_year, True)
    assert CAL.workdays_between(date(2026, 12, 30), date(2026, 12, 31)).estimated is False
    assert CAL.workdays_between(date(2026, 12, 30), date(2027, 1, 4)) == WorkdayCount(3, True)


def test_2027_with_config_supplied_holidays_and_tiaoxiu_workdays() -> None:
    cal = WorkCalendar(
        TZ,
        extra_holidays={2027: {date(2027, 1, 1)}},
        extra_workdays={2027: {date(2027, 1, 9)}},  # a Saturday made a workday
    )
    assert cal.classify(date(2027, 1, 1)) == (False, DaySource.CONFIG)
    assert cal.classify(date(2027, 1, 9)) == (True, DaySource.CONFIG)
    assert cal.classify(date(2027, 1, 4)) == (True, DaySource.CONFIG)  # rest of year: Mon–Fri
    assert cal.classify(date(2027, 1, 10)) == (False, DaySource.CONFIG)
    assert cal.add_workdays(date(2026, 12, 31), 1) == WorkdayDate(date(2027, 1, 4), False)
    assert cal.workdays_between(date(2027, 1, 8), date(2027, 1, 11)) == WorkdayCount(2, False)
    assert cal.classify(date(2028, 1, 3)) == (True, DaySource.FALLBACK)
    assert cal.configured_years == {2027}


def test_config_can_correct_a_known_year() -> None:
    cal = WorkCalendar(TZ, extra_holidays={2026: [date(2026, 10, 10)]})
    assert cal.classify(date(2026, 10, 10)) == (False, DaySource.CONFIG)
    assert cal.classify(date(2026, 10, 9)) == (True, DaySource.OFFICIAL)


@pytest.mark.parametrize(
    ("holidays", "workdays"),
    [
        ({2027: {date(2028, 1, 1)}}, {}),  # filed under the wrong year
        ({2027: {date(2027, 1, 1)}}, {2027: {date(2027, 1, 1)}}),  # both
        ({2027: {datetime(2027, 1, 1, tzinfo=UTC)}}, {}),  # not a date
    ],
)
def test_bad_config_is_refused(holidays: dict, workdays: dict) -> None:
    with pytest.raises(InvalidValue):
        WorkCalendar(TZ, extra_holidays=holidays, extra_workdays=workdays)


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 30)),
    n=st.integers(min_value=0, max_value=40),
)
def test_workdays_between_inverts_add_workdays(start: date, n: int) -> None:
    result = CAL.add_workdays(start, n)
    count = CAL.workdays_between(start, result.date)
    assert count == WorkdayCount(n, result.estimated)
    assert CAL.workdays_between(result.date, start).count == -n
    if n:
        assert CAL.is_workday(result.date)
    assert result.estimated == (n > 0 and result.date.year > 2026)


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 30)),
    k=st.integers(min_value=1, max_value=40),
)
def test_negative_n_is_the_kth_working_day_before(start: date, k: int) -> None:
    result = CAL.add_workdays(start, -k)
    assert result.date < start and CAL.is_workday(result.date)
    day_before_start = start - timedelta(days=1)
    # k working days in [result, start)
    span = CAL.workdays_between(result.date - timedelta(days=1), day_before_start)
    assert span == WorkdayCount(k, result.estimated)
    assert result.estimated == (day_before_start.year > 2026)


def test_local_date_and_days_left_count_in_the_configured_zone() -> None:
    late_utc = datetime(2026, 5, 1, 16, 30, tzinfo=UTC)  # 00:30 on May 2 in Shanghai
    assert local_date(late_utc, TZ) == date(2026, 5, 2)
    assert local_date(late_utc, ZoneInfo("UTC")) == date(2026, 5, 1)
    assert days_left(date(2026, 5, 1), late_utc, TZ) == -1
    assert days_left(date(2026, 5, 1), late_utc, ZoneInfo("UTC")) == 0
    assert days_overdue(date(2026, 5, 1), late_utc, TZ) == 1
    assert days_overdue(date(2026, 5, 3), late_utc, TZ) == 0
    assert CAL.today(late_utc) == date(2026, 5, 2)


def test_naive_instants_and_datetime_deadlines_are_refused() -> None:
    naive = datetime(2026, 5, 1, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(InvalidValue):
        local_date(naive, TZ)
    with pytest.raises(InvalidValue):
        days_left(date(2026, 5, 1), naive, TZ)
    with pytest.raises(InvalidValue):
        days_left(datetime(2026, 5, 1, tzinfo=TZ), datetime(2026, 5, 1, tzinfo=TZ), TZ)
    with pytest.raises(InvalidValue):
        CAL.is_workday(datetime(2026, 5, 1, tzinfo=TZ))


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 3, 1), -3) == date(2025, 12, 1)


def test_far_dates_overflow_cleanly() -> None:
    with pytest.raises(InvalidValue):
        CAL.add_workdays(date.max - timedelta(days=2), 5)


CONFIGURED = WorkCalendar(
    TZ, extra_holidays={2027: {date(2027, 1, 1), date(2027, 2, 10)}}, extra_workdays={2027: set()}
)


@settings(max_examples=200, deadline=None)
@given(
    a=st.dates(min_value=date(2025, 11, 1), max_value=date(2029, 2, 1)),
    b=st.dates(min_value=date(2025, 11, 1), max_value=date(2029, 2, 1)),
    configured=st.booleans(),
)
def test_workdays_between_matches_counting_day_by_day(a: date, b: date, configured: bool) -> None:
    cal = CONFIGURED if configured else CAL
    lo, hi = min(a, b), max(a, b)
    days = [lo + timedelta(days=i) for i in range(1, (hi - lo).days + 1)]
    expected = sum(cal.is_workday(d) for d in days)
    estimated = any(cal.is_estimated(d) for d in days)
    sign = 1 if a <= b else -1
    assert cal.workdays_between(a, b) == WorkdayCount(sign * expected, estimated)
