"""Routing of plain phrases (pure: no bot)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.phrases import Route, next_week, route, this_week

MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("还有哪些没整改", "open"),
        ("  还有哪些没整改？？ ", "open"),
        ("未销号", "open"),
        ("我的事项", "open"),
        ("超期", "overdue"),
        ("逾期", "overdue"),
        ("临期", "due"),
        ("快到期", "due"),
        ("本周到期", "due"),
        ("下周到期", "due"),
        ("HZ-007", "card"),
        ("hz-7", "card"),
        ("ＨＺ－００７", "card"),
        ("HZ-007 历史", "history"),
        ("帮助", "help"),
        ("各单位", "units"),
    ],
)
def test_phrases_route(text: str, kind: str) -> None:
    found = route(text, MONDAY, 7)
    assert found is not None and found.kind == kind


def test_windows() -> None:
    assert route("临期", MONDAY, 7) == Route("due", window=(MONDAY, date(2026, 3, 9)))
    assert route("本周到期", MONDAY, 7) == Route("due", window=(MONDAY, SUNDAY))
    assert route("本周到期", SUNDAY, 7) == Route("due", window=(SUNDAY, SUNDAY))
    assert route("下周到期", SUNDAY, 7) == Route(
        "due", window=(date(2026, 3, 9), date(2026, 3, 15))
    )
    assert route("30天内到期", MONDAY, 7) == Route("due", window=(MONDAY, date(2026, 4, 1)))
    assert this_week(date(2026, 3, 4)) == (date(2026, 3, 4), SUNDAY)
    assert next_week(date(2026, 3, 4)) == (date(2026, 3, 9), date(2026, 3, 15))


def test_a_leading_unit_code() -> None:
    assert route("NB 超期", MONDAY, 7) == Route("overdue", unit="NB")
    assert route("hz 未销号", MONDAY, 7) == Route("open", unit="hz")
    assert route("HZ超期", MONDAY, 7) == Route("overdue", unit="HZ")
    assert route("overdue", MONDAY, 7) == Route("overdue")
    assert route("due soon", MONDAY, 7) == Route("due", window=(MONDAY, date(2026, 3, 9)))


@pytest.mark.parametrize("text", ["", "你好", "HZ", "HZ-0", "提交 HZ-007", "x" * 100, "HZ 你好"])
def test_other_text_is_no_phrase(text: str) -> None:
    assert route(text, MONDAY, 7) is None


@given(st.text(max_size=80))
def test_routing_never_raises(text: str) -> None:
    found = route(text, MONDAY, 7)
    assert found is None or found.kind in {
        "open",
        "overdue",
        "due",
        "card",
        "history",
        "units",
        "help",
    }
