"""ledger/dates.py: every accepted deadline form, strict refusals, and item id normalisation."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.dates import (
    MAX_YEAR,
    MIN_YEAR,
    DeadlineKind,
    ParsedDate,
    normalise_item_id,
    parse_deadline,
)
from ledger.errors import InvalidValue

TODAY = date(2026, 11, 26)  # a Thursday


def weekdays(start: date, n: int) -> tuple[date, bool]:
    """Stand-in for WorkCalendar.add_workdays: Monday–Friday, always 'estimated'."""
    d = start
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d, True


def official(start: date, n: int) -> tuple[date, bool]:
    day, _ = weekdays(start, n)
    return day, False


def parse(text: str, today: date = TODAY) -> ParsedDate:
    return parse_deadline(text, today, weekdays)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-31",
        "2026/12/31",
        "2026.12.31",
        "2026年12月31日",
        "2026年12月31号",
        "2026年12月31",
        "2026 年 12 月 31 日",
        "12月31日",
        "２０２６－１２－３１",
        "２０２６／１２／３１",
        "２０２６．１２．３１",
        "２０２６年１２月３１日",
        "  2026-12-31\t",
        "\u30002026-12-31\u3000",  # ideographic spaces
        "2026 - 12 - 31",
        "2026–12–31",
    ],
)
def test_date_forms(text: str) -> None:
    parsed = parse(text)
    assert parsed.deadline == date(2026, 12, 31)
    assert not parsed.long_term
    assert not parsed.workdays_estimated


def test_single_digit_month_and_day() -> None:
    assert parse("2027-3-1").deadline == date(2027, 3, 1)
    assert parse("2027/03/01").deadline == date(2027, 3, 1)
    assert parse("2027年3月1日").kind is DeadlineKind.DATE


def test_month_day_is_this_year_or_next() -> None:
    assert parse("11月26日").deadline == date(2026, 11, 26)  # today has not passed
    assert parse("11月25日").deadline == date(2027, 11, 25)  # yesterday → next year
    assert parse("3月1日").deadline == date(2027, 3, 1)
    assert parse("12月1日").kind is DeadlineKind.MONTH_DAY
    # Feb 29 is the next one that exists, and only this year or next
    assert parse("2月29日", date(2027, 3, 1)).deadline == date(2028, 2, 29)
    with pytest.raises(InvalidValue) as exc:
        parse("2月29日", date(2025, 3, 1))
    assert exc.value.params["problem"] == "no_such_date"


@pytest.mark.parametrize(
    "text", ["15个工作日", "15 个工作日", "１５个工作日", "15工作日", "15个工作日内"]
)
def test_working_days_use_the_callable_and_carry_its_flag(text: str) -> None:
    parsed = parse_deadline(text, TODAY, weekdays)
    assert parsed.deadline == date(2026, 12, 17)  # 15 Mon–Fri days after Thu 26 Nov
    assert parsed.kind is DeadlineKind.WORKDAYS
    assert parsed.workdays_estimated
    assert not parse_deadline(text, TODAY, official).workdays_estimated


def test_working_days_callable_failure_is_invalid_value() -> None:
    def broken(start: date, n: int) -> tuple[date, bool]:
        raise OverflowError

    with pytest.raises(InvalidValue) as exc:
        parse_deadline("5个工作日", TODAY, broken)
    assert exc.value.params["problem"] == "out_of_range"


@pytest.mark.parametrize("text", ["30天", "30日内", "30天内", "30天以内", "30 天", "30个自然日"])
def test_calendar_days(text: str) -> None:
    parsed = parse(text)
    assert parsed.deadline == date(2026, 12, 26)
    assert parsed.kind is DeadlineKind.DAYS


@pytest.mark.parametrize("text", ["长期坚持", "长期", " 长期坚持 ", "long-term", "Long term"])
def test_long_term(text: str) -> None:
    parsed = parse(text)
    assert parsed.long_term
    assert parsed.deadline is None
    assert parsed.kind is DeadlineKind.LONG_TERM


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-02-30", "no_such_date"),
        ("2026-13-01", "no_such_date"),
        ("13月1日", "no_such_date"),
        ("2月30日", "no_such_date"),
        ("", "empty"),
        ("   ", "empty"),
        ("garbage", "format"),
        ("2026-12/31", "format"),  # mixed separators
        ("30日", "format"),  # the 30th, or 30 days? refused
        ("明天", "format"),
        ("2026-12-31 extra", "format"),
        ("0天", "out_of_range"),
        ("0个工作日", "out_of_range"),
        ("99999天", "out_of_range"),
        ("1899-12-31", "out_of_range"),
        ("9999-12-31", "out_of_range"),
    ],
)
def test_refusals_carry_field_value_example(text: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        parse_deadline(text, TODAY, weekdays, field="整改时限")
    params = exc.value.params
    assert params["field"] == "整改时限"
    assert params["value"] == text
    assert params["problem"] == problem
    assert parse(params["example"]).deadline is not None  # the example is itself accepted


def test_past_dates_are_the_callers_business() -> None:
    assert parse("2020-01-01").deadline == date(2020, 1, 1)


STYLES = [
    "{d.year}-{d.month:02d}-{d.day:02d}",
    "{d.year}-{d.month}-{d.day}",
    "{d.year}/{d.month:02d}/{d.day:02d}",
    "{d.year}.{d.month}.{d.day}",
    "{d.year}年{d.month}月{d.day}日",
    "{d.year}年{d.month:02d}月{d.day:02d}日",
]
dates = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(d=dates, style=st.sampled_from(STYLES), wide=st.booleans(), pad=st.sampled_from(["", " "]))
def test_any_date_in_any_style_parses_back(d: date, style: str, wide: bool, pad: str) -> None:
    text = style.format(d=d)
    text = pad + (fullwidth(text) if wide else text) + pad
    assert parse_deadline(text, TODAY, weekdays) == ParsedDate(d)


@given(d=st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR - 1, 12, 31)))
def test_month_day_lands_within_a_year_on_or_after_today(d: date) -> None:
    if (d.month, d.day) == (2, 29):
        return
    parsed = parse_deadline(f"{d.month}月{d.day}日", d - timedelta(days=1), weekdays)
    assert parsed.deadline == d


@given(text=st.text(max_size=40), today=dates)
def test_any_text_returns_or_raises_invalid_value_only(text: str, today: date) -> None:
    try:
        parsed = parse_deadline(text, today, weekdays)
    except InvalidValue as exc:
        assert exc.params["value"] == text
        return
    assert parsed.long_term == (parsed.deadline is None)


@given(
    text=st.from_regex(r"\A[0-9０-９ 年月日号天个工作内以之长期坚持./\-－]{0,16}\Z"),
    today=dates,
)
def test_date_like_text_returns_or_raises_invalid_value_only(text: str, today: date) -> None:
    with contextlib.suppress(InvalidValue):
        parse_deadline(text, today, weekdays)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HZ-007", "HZ-007"),
        ("hz-7", "HZ-007"),
        ("ＨＺ－００７", "HZ-007"),
        (" HZ-007 ", "HZ-007"),
        ("HZ_007", "HZ-007"),
        ("HZ 7", "HZ-007"),
        ("HZ - 7", "HZ-007"),
        ("HZ007", "HZ-007"),
        ("hz0007", "HZ-007"),
        ("HZ-1234", "HZ-1234"),
        ("A1-7", "A1-007"),
        ("A1007", "A-1007"),  # no separator: the code is the leading letters
        ("HZ-0", None),
        ("HZ-", None),
        ("-007", None),
        ("7", None),
        ("HZ--7", None),
        ("1HZ-7", None),
        ("HZ-7-1", None),
        ("ABCDEFGHIJK-1", None),  # codes are at most 10 characters
        ("", None),
        ("x" * 100, None),
    ],
)
def test_normalise_item_id(text: str, expected: str | None) -> None:
    assert normalise_item_id(text) == expected


@given(code=st.from_regex(r"\A[A-Z][A-Z0-9]{0,9}\Z"), seq=st.integers(1, 999_999))
def test_canonical_ids_are_fixed_points(code: str, seq: int) -> None:
    canonical = f"{code}-{seq:03d}"
    assert normalise_item_id(canonical) == canonical
    assert normalise_item_id(canonical.lower()) == canonical


@given(text=st.text(max_size=50))
def test_normalise_item_id_never_raises(text: str) -> None:
    result = normalise_item_id(text)
    assert result is None or normalise_item_id(result) == result
