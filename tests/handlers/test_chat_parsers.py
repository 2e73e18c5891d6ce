"""The small parsers of the chat handlers never raise and only accept what they should (R27)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.buttons import parse
from handlers.people import parse_newunit, parse_role
from handlers.queries import due_spec, parse_days, unit_code
from handlers.start import parse_language
from ledger.model import Role


def test_newunit_arguments() -> None:
    assert parse_newunit(["hz", "杭州市局党组", "第一轮"]) == ("HZ", "杭州市局党组", "第一轮")
    assert parse_newunit(["HZ", "杭州", "市局党组"]) == ("HZ", "杭州 市局党组", "")
    assert parse_newunit(["HZ", "第一轮"]) == ("HZ", "第一轮", "")  # a name is required first
    assert parse_newunit(["ＮＢ", "宁波", "2026年第2批"]) == ("NB", "宁波", "2026年第2批")
    assert parse_newunit(["HZ"]) is None


def test_small_words() -> None:
    assert parse_role("联络员") is Role.CONTACT and parse_role("Leader") is Role.LEADER
    assert parse_role("inspector") is None
    assert parse_language("中文") == "zh-CN" and parse_language("EN") == "en"
    assert parse_language("fr") is None
    assert parse_days("７") == 7 and parse_days("0") is None and parse_days("367") is None
    assert unit_code("ｈｚ") == "HZ" and unit_code("1HZ") is None and unit_code("") is None
    assert due_spec("HZ", ("20260302", "20260309")) is not None
    assert due_spec("HZ", ("20260309", "20260302")) is None  # backwards
    assert due_spec("HZ", ("20260302", "20280302")) is None  # longer than a year


@given(st.lists(st.text(max_size=30), max_size=6))
def test_newunit_parser_never_raises(args: list[str]) -> None:
    parsed = parse_newunit(args)
    assert parsed is None or len(parsed) == 3


@given(st.text(max_size=80))
def test_word_parsers_never_raise(text: str) -> None:
    parse_role(text)
    parse_language(text)
    days = parse_days(text)
    assert days is None or 1 <= days <= 366
    code = unit_code(text)
    assert code is None or code.isupper() or code.isalnum()
    found = parse(text)
    assert found is None or all(found.args) or found.args == ()


@given(st.text(max_size=10), st.lists(st.text(max_size=12), max_size=3))
def test_due_buttons_never_raise(scope: str, args: list[str]) -> None:
    spec = due_spec(scope, tuple(args))
    assert spec is None or (spec.start is not None and spec.end is not None)
