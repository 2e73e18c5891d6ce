"""ledger/dates.py: the deadline wording of real 台账 (issue 10) — month, quarter, half-year and
year ends, 立行立改, 长期坚持 with a note, trailing 前/完成, and how each was read."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.dates import (
    RELATIVE_KINDS,
    DeadlineKind,
    explain,
    parse_deadline,
)
from ledger.errors import InvalidValue

TODAY = date(2026, 12, 4)  # a Friday


def weekdays(start: date, n: int) -> tuple[date, bool]:
    d = start
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d, False


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("2026年12月底前", date(2026, 12, 31), DeadlineKind.MONTH_END),
        ("2026年12月底前完成", date(2026, 12, 31), DeadlineKind.MONTH_END),
        ("12月底前", date(2026, 12, 31), DeadlineKind.INFERRED_END),
        ("11月底", date(2027, 11, 30), DeadlineKind.INFERRED_END),  # passed: next year
        ("2027年1月15日前", date(2027, 1, 15), DeadlineKind.DATE),
        ("2027年1月15日之前", date(2027, 1, 15), DeadlineKind.DATE),
        ("2027年6月", date(2027, 6, 30), DeadlineKind.MONTH_END),
        ("2027年6月底", date(2027, 6, 30), DeadlineKind.MONTH_END),
        ("2027年2月", date(2027, 2, 28), DeadlineKind.MONTH_END),
        ("2028年2月底", date(2028, 2, 29), DeadlineKind.MONTH_END),
        ("2027年第一季度", date(2027, 3, 31), DeadlineKind.PERIOD_END),
        ("2027年一季度末", date(2027, 3, 31), DeadlineKind.PERIOD_END),
        ("2027年第3季度", date(2027, 9, 30), DeadlineKind.PERIOD_END),
        ("一季度末", date(2027, 3, 31), DeadlineKind.INFERRED_END),
        ("第四季度", date(2026, 12, 31), DeadlineKind.INFERRED_END),
        ("2027年上半年", date(2027, 6, 30), DeadlineKind.PERIOD_END),
        ("2027年年中", date(2027, 6, 30), DeadlineKind.PERIOD_END),
        ("年中", date(2027, 6, 30), DeadlineKind.INFERRED_END),
        ("2027年下半年", date(2027, 12, 31), DeadlineKind.PERIOD_END),
        ("年底前", date(2026, 12, 31), DeadlineKind.INFERRED_END),
        ("今年底", date(2026, 12, 31), DeadlineKind.INFERRED_END),
        ("明年底", date(2027, 12, 31), DeadlineKind.INFERRED_END),
        ("2026年底", date(2026, 12, 31), DeadlineKind.PERIOD_END),
        ("2026年年底前", date(2026, 12, 31), DeadlineKind.PERIOD_END),
        ("2026 年 12 月 31 日", date(2026, 12, 31), DeadlineKind.DATE),
        ("2026 - 12 - 31", date(2026, 12, 31), DeadlineKind.DATE),
        ("２０２７年６月底前", date(2027, 6, 30), DeadlineKind.MONTH_END),
        ("12月31日前", date(2026, 12, 31), DeadlineKind.MONTH_DAY),
        ("15个工作日内完成", date(2026, 12, 25), DeadlineKind.WORKDAYS),
        ("30日内", date(2027, 1, 3), DeadlineKind.DAYS),
    ],
)
def test_real_wording_reads_as_the_last_day_meant(
    text: str, expected: date, kind: DeadlineKind
) -> None:
    parsed = parse_deadline(text, TODAY, weekdays)
    assert (parsed.deadline, parsed.kind, parsed.long_term) == (expected, kind, False)
    assert explain(text, parsed).endswith(f"→ {expected.isoformat()}")


@pytest.mark.parametrize("text", ["立行立改", "即知即改", "立即整改", " 立行立改 "])
def test_immediate_is_n_working_days_from_today(text: str) -> None:
    parsed = parse_deadline(text, TODAY, weekdays, immediate_days=3)
    assert parsed.deadline == date(2026, 12, 9)  # Fri + 3 working days = Wed
    assert parsed.kind is DeadlineKind.IMMEDIATE
    assert parsed.kind in RELATIVE_KINDS
    ten = parse_deadline(text, TODAY, weekdays)  # the default: 10 working days
    assert ten.deadline == date(2026, 12, 18)


def test_long_term_keeps_what_follows_as_a_note() -> None:
    parsed = parse_deadline("长期坚持，每季度通报一次", TODAY, weekdays)
    assert parsed.long_term and parsed.deadline is None
    assert parsed.kind is DeadlineKind.LONG_TERM
    assert parsed.note == "每季度通报一次"
    assert parse_deadline("长期坚持", TODAY, weekdays).note == ""
    assert parse_deadline("持续推进；每月调度", TODAY, weekdays).note == "每月调度"


def test_explain_a_plain_date_is_the_date() -> None:
    parsed = parse_deadline("2026-12-31", TODAY, weekdays)
    assert explain("2026-12-31", parsed) == "2026-12-31"
    assert explain("12月底前", parse_deadline("12月底前", TODAY, weekdays)) == (
        "12月底前 → 2026-12-31"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2027年13月", "no_such_date"),
        ("2027年0月底", "no_such_date"),
        ("2027年2月30日前", "no_such_date"),
        ("13月底前", "no_such_date"),
        ("2027年第五季度", "format"),
        ("9999年底", "out_of_range"),
        ("尽快", "format"),
        ("前", "format"),
        ("年", "format"),
    ],
)
def test_impossible_wording_is_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        parse_deadline(text, TODAY, weekdays)
    assert exc.value.params["problem"] == problem
    assert exc.value.params["value"] == text


years = st.integers(min_value=1901, max_value=2199)


@given(
    year=years,
    month=st.integers(min_value=1, max_value=12),
    tail=st.sampled_from(["", "底", "底前", "前", "末", "底前完成"]),
)
def test_any_year_month_is_its_last_day(year: int, month: int, tail: str) -> None:
    parsed = parse_deadline(f"{year}年{month}月{tail}", TODAY, weekdays)
    assert parsed.deadline is not None
    assert parsed.deadline.month == month and parsed.deadline.year == year
    assert (parsed.deadline + timedelta(days=1)).day == 1


@given(year=years, quarter=st.sampled_from(list(enumerate("一二三四", start=1))))
def test_any_quarter_ends_on_its_last_day(year: int, quarter: tuple[int, str]) -> None:
    number, word = quarter
    for text in (f"{year}年第{word}季度", f"{year}年{word}季度末", f"{year}年第{number}季度"):
        parsed = parse_deadline(text, TODAY, weekdays)
        assert parsed.deadline is not None
        assert parsed.deadline.month == 3 * number and parsed.deadline.year == year
        assert (parsed.deadline + timedelta(days=1)).day == 1


@given(
    today=st.dates(min_value=date(1950, 1, 1), max_value=date(2190, 12, 31)),
    month=st.integers(min_value=1, max_value=12),
)
def test_a_month_without_year_is_the_next_end_not_before_today(today: date, month: int) -> None:
    parsed = parse_deadline(f"{month}月底前", today, weekdays)
    assert parsed.deadline is not None
    assert today <= parsed.deadline < today + timedelta(days=366)
    assert parsed.deadline.month == month
