"""Routing of plain phrases (pure: no bot)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.phrases import Route, closest, next_week, route, this_week
from ledger.dates import item_ids_in, normalise_item_id

MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


# What people typed in the sandbox and what the issue lists, with the route each must take:
# (text, kind, item, action, text after the verb). ``None`` item/action: not part of it.
PHRASES: list[tuple[str, str, str | None, str | None, str]] = [
    # lists
    ("还有哪些没整改", "open", None, None, ""),
    ("  还有哪些没整改？？ ", "open", None, None, ""),
    ("未销号", "open", None, None, ""),
    ("我的事项", "open", None, None, ""),
    ("还有几项没完成", "open", None, None, ""),
    ("还有几项没完成？", "open", None, None, ""),
    ("还剩几项", "open", None, None, ""),
    ("未完成的事项", "open", None, None, ""),
    ("没整改的", "open", None, None, ""),
    ("超期", "overdue", None, None, ""),
    ("逾期", "overdue", None, None, ""),
    ("有没有超期的", "overdue", None, None, ""),
    ("哪些过期了", "overdue", None, None, ""),
    ("临期", "due", None, None, ""),
    ("快到期", "due", None, None, ""),
    ("本周到期", "due", None, None, ""),
    ("下周到期", "due", None, None, ""),
    ("30天内到期", "due", None, None, ""),
    # what waits for me
    ("待签字", "sign", None, None, ""),
    ("等待签字的", "sign", None, None, ""),
    ("需要签字的事项", "sign", None, None, ""),
    ("待我签字", "todo", None, None, ""),
    ("待核验", "verify", None, None, ""),
    ("需要核验的", "verify", None, None, ""),
    ("待办", "todo", None, None, ""),
    ("我的待办", "todo", None, None, ""),
    ("待我处理", "todo", None, None, ""),
    # greetings and help
    ("你好", "hello", None, None, ""),
    ("您好！", "hello", None, None, ""),
    ("在吗", "hello", None, None, ""),
    ("hello", "hello", None, None, ""),
    ("帮助", "help", None, None, ""),
    ("怎么用", "help", None, None, ""),
    ("菜单", "help", None, None, ""),
    ("各单位", "units", None, None, ""),
    # an item
    ("HZ-007", "card", "HZ-007", None, ""),
    ("hz-7", "card", "hz-7", None, ""),
    ("ＨＺ－００７", "card", "ＨＺ－００７", None, ""),
    ("HZ-004 什么时候到期？", "card", "HZ-004", None, ""),
    ("HZ-004 销号了吗", "card", "HZ-004", None, ""),
    ("HZ-003 的会议纪要", "card", "HZ-003", None, ""),
    ("HZ-007 历史", "history", "HZ-007", None, ""),
    ("HZ-007 整改记录", "history", "HZ-007", None, ""),
    ("HZ-003 佐证", "evidence", "HZ-003", None, ""),
    ("HZ-003 佐证材料", "evidence", "HZ-003", None, ""),
    # progress notes
    ("HZ-004 已完成 召开了专题会", "note", "HZ-004", None, "已完成 召开了专题会"),
    ("HZ-004 召开专题会议研究整改", "note", "HZ-004", None, "召开专题会议研究整改"),
    ("HZ-004：已完成制度修订", "note", "HZ-004", None, "已完成制度修订"),
    ("HZ-007 进展 已召开专题会议", "note", "HZ-007", None, "已召开专题会议"),
    ("hz-7 整改进展：完成台账梳理", "note", "hz-7", None, "完成台账梳理"),
    # workflow verbs, either order
    ("HZ-006 申请销号", "act", "HZ-006", "submit", ""),
    ("申请销号 HZ-006", "act", "HZ-006", "submit", ""),
    ("HZ-006申请销号", "act", "HZ-006", "submit", ""),
    ("hz-6 提交", "act", "hz-6", "submit", ""),
    ("HZ-006 签字", "act", "HZ-006", "endorse", ""),
    ("签字 HZ-006", "act", "HZ-006", "endorse", ""),
    ("HZ-006签字背书", "act", "HZ-006", "endorse", ""),
    ("HZ-006 同意", "act", "HZ-006", "agree", ""),
    ("HZ-006 核验通过", "act", "HZ-006", "approve", ""),
    ("核验通过 HZ-006", "act", "HZ-006", "approve", ""),
    ("HZ-006 销号 经核查整改到位", "act", "HZ-006", "approve", "经核查整改到位"),
    ("HZ-006 退回 材料不全", "act", "HZ-006", "reject", "材料不全"),
    ("HZ-006 驳回：缺少会议记录", "act", "HZ-006", "reject", "缺少会议记录"),
    ("HZ-006 催办", "act", "HZ-006", "urge", ""),
    ("HZ-006 催办 请本周报送进展", "act", "HZ-006", "urge", "请本周报送进展"),
    ("HZ-006 撤销 已合并到HZ-001", "act", "HZ-006", "withdraw", "已合并到HZ-001"),
    ("HZ-006 重新打开 回头看发现反弹", "act", "HZ-006", "reopen", "回头看发现反弹"),
    (
        "HZ-006 调整时限 2026-12-31 跨部门协调",
        "act",
        "HZ-006",
        "set_deadline",
        "2026-12-31 跨部门协调",
    ),
    ("HZ-006 申请延期", "act", "HZ-006", "extend", ""),
    # a verb alone: what waits, or how to say it
    ("签字", "act", None, "endorse", ""),
    ("申请销号", "act", None, "submit", ""),
    ("催办", "act", None, "urge", ""),
    # a unit code first
    ("HZ 超期", "overdue", None, None, ""),
    ("hz 未销号", "open", None, None, ""),
]


def test_the_table_is_long_enough() -> None:
    assert len(PHRASES) >= 60


@pytest.mark.parametrize(("text", "kind", "item", "action", "rest"), PHRASES)
def test_phrases_route(
    text: str, kind: str, item: str | None, action: str | None, rest: str
) -> None:
    found = route(text, MONDAY, 7)
    assert found is not None, text
    typed = normalise_item_id(found.item) if found.item is not None else None
    expected = normalise_item_id(item) if item is not None else None
    assert (found.kind, typed, found.action) == (kind, expected, action)
    assert found.text == rest


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


@pytest.mark.parametrize(
    "text", ["", "今天天气怎么样", "HZ", "HZ-0", "x" * 100, "HZ 你好", "submitted HZ-1", "谢谢"]
)
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
        "hello",
        "todo",
        "sign",
        "verify",
        "evidence",
        "note",
        "act",
    }


@pytest.mark.parametrize(
    ("text", "kinds", "first"),
    [
        ("签", ("open", "overdue", "sign", "help"), "sign"),
        ("超时了", ("open", "overdue", "due", "help"), "overdue"),
        ("到期时间", ("open", "overdue", "due", "help"), "due"),
        ("核验一下", ("verify", "units", "overdue"), "verify"),
        ("", ("open", "overdue", "due", "todo"), "open"),
    ],
)
def test_the_closest_phrases_are_offered_first(
    text: str, kinds: tuple[str, ...], first: str
) -> None:
    picked = closest(text, kinds)
    assert picked[0] == first and len(picked) == 3 and len(set(picked)) == 3


@pytest.mark.parametrize(
    ("caption", "found"),
    [
        ("HZ-003 的会议纪要", ["HZ-003"]),
        ("这是HZ-003的会议纪要", ["HZ-003"]),
        ("会议纪要（ｈｚ－３）", ["HZ-003"]),
        ("HZ003", ["HZ-003"]),
        ("会议纪要HZ003", []),  # glued without a dash: could be a file name
        ("HZ-001、HZ-004 的照片", ["HZ-001", "HZ-004"]),
        ("XHZ-001", ["XHZ-001"]),
        ("AHZ-1001A", []),
        ("", []),
    ],
)
def test_item_ids_inside_a_sentence(caption: str, found: list[str]) -> None:
    assert item_ids_in(caption) == found
