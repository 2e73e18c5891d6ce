"""handlers.render and the drawing functions of queries/people, without a bot: dates, clipping,
paging, cards, error wording — and R24: hostile text in every field renders as valid Telegram
HTML within 4096 characters (property test against the emulator's own HTML validator)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import User

from app.clock import FakeClock
from app.services import Services
from config import BotConfig, Config, WorkflowConfig
from handlers.common import Who, word_error
from handlers.people import people_page, units_page
from handlers.queries import ALL, ListSpec, draw_card, draw_history, draw_list, format_rate
from handlers.render import (
    EDIT_VALUE_MAX,
    Names,
    Words,
    card_keyboard,
    clip,
    format_date,
    format_datetime,
    history_line,
    item_card,
    paginate,
    paging_row,
    utf16_len,
    view_item,
    visible_len,
)
from ledger.access import Action
from ledger.errors import (
    AlreadyDone,
    InconsistentEvent,
    InvalidTransition,
    InvalidValue,
    LedgerError,
    MissingEvidence,
    MissingReason,
    NotAllowed,
    UnknownItem,
    UnknownUnit,
)
from ledger.light import order_key
from ledger.model import (
    Endorsement,
    Event,
    Evidence,
    Item,
    Light,
    Measure,
    Person,
    ProgressNote,
    Role,
    Status,
    Unit,
    Verification,
)
from ledger.workflow import EDITABLE_FIELDS, act, status_since
from locales import Catalog
from sandbox.htmlcheck import check_html, parse_html

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
CATALOG = Catalog.load()
LIMIT = 4096


def services(page_size: int = 10, endorsement: bool = True) -> Services:
    from storage.repo import Store

    config = Config(
        path=Path("test.toml"),
        bot=BotConfig(inspectors=(100,)),
        workflow=WorkflowConfig(page_size=page_size, endorsement_required=endorsement),
    )
    return Services.create(config, Store.memory(), FakeClock(NOW), CATALOG)


def who(svc: Services, person: Person | None, lang: str = "zh-CN") -> Who:
    user_id = person.user_id if person else 1
    return Who(svc, User(user_id, "someone", is_bot=False), person, lang)


def words(lang: str = "zh-CN") -> Words:
    return Words(CATALOG, lang, TZ, NOW)


def item(**kw: object) -> Item:
    base = Item(
        id="HZ-007",
        unit="HZ",
        category="党的建设",
        problem="问题",
        created_at=NOW - timedelta(days=1),
        deadline=date(2026, 12, 31),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def assert_sendable(text: str) -> None:
    """Valid Telegram HTML (strict, as the emulator checks) and within the length limit."""
    check_html(text)
    plain = parse_html(text).text
    assert 1 <= utf16_len(plain) <= LIMIT, utf16_len(plain)


# --------------------------------------------------------------------------- dates


def test_dates_in_both_languages() -> None:
    assert format_date(words(), date(2026, 12, 31)) == "2026年12月31日（周四）"
    assert format_date(words("en"), date(2026, 12, 31)) == "2026-12-31 (Thu)"
    assert format_date(words("en"), date(2026, 3, 2)) == "2026-03-02 (Mon)"
    late = datetime(2026, 3, 1, 17, 5, tzinfo=UTC)  # already Monday in Shanghai
    assert format_datetime(words(), late) == "2026年3月2日（周一） 01:05"
    assert format_datetime(words("en"), late) == "2026-03-02 (Mon) 01:05"


# --------------------------------------------------------------------------- clip and pages


def test_clip_counts_utf16_units_and_never_splits_a_character() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 4) == "abc…"
    emoji = "😀" * 10  # 20 UTF-16 units
    clipped = clip(emoji, 7)
    assert clipped == "😀😀😀…" and utf16_len(clipped) == 7
    assert clip("a  b", 10) == "a  b"


@given(st.text(max_size=300), st.integers(min_value=2, max_value=200))
def test_clip_property(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert utf16_len(out) <= max(limit, 0) or out == text
    assert out == text or (out.endswith("…") and text.startswith(out[:-1].rstrip()))


def test_paginate_by_count_and_by_size() -> None:
    lines = [f"line {i}" for i in range(25)]
    assert [len(p) for p in paginate(lines, 10)] == [10, 10, 5]
    big = ["x" * 1500] * 5
    assert [len(p) for p in paginate(big, 10, budget=3400)] == [2, 2, 1]
    assert [len(p) for p in paginate(["y" * 5000, "z"], 10)] == [1, 1]
    assert paginate([], 10) == [range(0, 0)]


def test_paging_row() -> None:
    row = paging_row("open", "HZ", 2, 5)
    assert [b.text for b in row] == ["«", "‹", "2/5", "›", "»"]
    assert [b.callback_data for b in row] == [
        "page:open:HZ:1",
        "page:open:HZ:1",
        "page:open:HZ:2",
        "page:open:HZ:3",
        "page:open:HZ:5",
    ]
    assert [b.text for b in paging_row("open", "HZ", 1, 2)] == ["·", "·", "1/2", "›", "»"]


def test_format_rate() -> None:
    # the one rule of ledger.figures.format_rate: one decimal, cut, 100.0% only when exact
    assert format_rate(None) == "—"
    assert format_rate(0.375) == "37.5%"
    assert format_rate(1 / 3) == "33.3%"
    assert format_rate(1.0) == "100.0%"
    assert format_rate(0.0) == "0.0%"
    assert format_rate(2999 / 3000) == "99.9%"  # never rounded up to 100%
    assert format_rate(0.57) == "57.0%"
    assert format_rate(2 / 3) == "66.6%"


# --------------------------------------------------------------------------- lights


def test_history_is_read_only_when_it_can_change_the_light() -> None:
    svc = services()
    reads: list[int] = []
    idle = item(created_at=NOW - timedelta(days=30), status=Status.IN_PROGRESS)
    moved = Event(
        "HZ-007", 2, NOW - timedelta(days=1), 5, "reject", Status.SUBMITTED, Status.IN_PROGRESS
    )
    created = Event("HZ-007", 1, idle.created_at, 100, "create", None, Status.OPEN)

    def history() -> list[Event]:
        reads.append(1)
        return [created, moved]

    view = view_item(idle, NOW, TZ, svc.rules, history)
    assert reads == [1] and view.light is Light.GREEN  # sent back yesterday: not idle
    fresh = item(created_at=NOW - timedelta(days=1))
    assert view_item(fresh, NOW, TZ, svc.rules, history).light is Light.GREEN
    soon = item(created_at=NOW - timedelta(days=30), deadline=date(2026, 3, 4))
    assert view_item(soon, NOW, TZ, svc.rules, history).light is Light.YELLOW
    assert reads == [1]


statuses = st.sampled_from(list(Status))
instants = st.integers(min_value=0, max_value=90 * 24).map(lambda h: NOW - timedelta(hours=h))


@given(
    status=statuses,
    created=instants,
    changed=instants,
    deadline=st.none() | st.dates(date(2026, 1, 1), date(2026, 6, 30)),
)
def test_lazy_light_equals_the_light_with_status_since(
    status: Status, created: datetime, changed: datetime, deadline: date | None
) -> None:
    rules = services().rules
    it = item(status=status, created_at=created, deadline=deadline, long_term=deadline is None)
    events = [
        Event(it.id, 1, created, 100, "create", None, Status.OPEN),
        Event(it.id, 2, max(created, changed), 5, "progress", Status.OPEN, status),
    ]
    since = status_since(events)
    view = view_item(it, NOW, TZ, rules, lambda: events)
    assert view.sort_key == order_key(it, NOW, TZ, rules, status_since=since)


# --------------------------------------------------------------------------- the card


def test_card_states() -> None:
    svc = services()
    names = Names(svc, words())
    full = item(
        status=Status.CLOSED,
        evidence=(Evidence("f", "a.pdf", 1, "0" * 64, NOW, 5),) * 2,
        endorsement=Endorsement(6, NOW - timedelta(hours=2)),
        verification=Verification(100, NOW - timedelta(hours=1), "approved", "很好"),
        closed_at=NOW - timedelta(hours=1),
        progress=(ProgressNote(NOW - timedelta(days=1), 5, "已整改"),),
    )
    text = item_card(words(), view_item(full, NOW, TZ, svc.rules), svc.rules, names, "杭州")
    assert text.startswith("✅ · <b>HZ-007</b> · 已销号")
    assert "<b>佐证材料：</b>2 份" in text
    assert "核验通过 · 巡察组（100） · 2026年3月2日（周一） 08:00；备注：很好" in text
    assert "<b>销号时间：</b>2026年3月2日（周一） 08:00" in text
    assert "原用户（5）：已整改（共 1 条）" in text
    # one label, no brackets inside brackets (issue 12's cosmetic list)
    assert "整改时限：</b>2026年" in text and "整改时限：</b>整改时限" not in text
    assert "签字背书：</b>已签字 · " in text and "（周一） 06:00）" not in text
    withdrawn = item(status=Status.WITHDRAWN, withdrawn_reason="重复")
    text = item_card(words(), view_item(withdrawn, NOW, TZ, svc.rules), svc.rules, names, None)
    assert text.startswith("⚪ · <b>HZ-007</b> · 已撤销")
    assert "<b>撤销理由：</b>重复" in text and "<b>单位：</b>—（HZ）" in text
    off = services(endorsement=False)
    waiting = item(status=Status.ENDORSED)
    text = item_card(words("en"), view_item(waiting, NOW, TZ, off.rules), off.rules, names, "X")
    assert "not required in this inspection" in text and "waiting for the inspectors" in text


def test_a_card_lists_each_measure_with_its_owner_and_deadline() -> None:
    svc = services()
    names = Names(svc, words())
    several = item(
        measures="1. 制定办法\n2. 逐笔清理\n3. 每季度通报",
        measure_list=(
            Measure("制定办法", "赵某", "办公室", date(2026, 12, 31)),
            Measure("逐笔清理", "钱某", "财务科", date(2026, 3, 16), wording="立行立改"),
            Measure("每季度通报", "", "办公室", None, long_term=True),
        ),
        note="佐证材料：会议纪要\n督办情况：已督办",
    )
    text = item_card(words(), view_item(several, NOW, TZ, svc.rules), svc.rules, names, "杭州")
    assert "<b>整改措施（3 条）：</b>" in text
    assert "1. 制定办法（赵某，2026年12月31日（周四））" in text
    assert "2. 逐笔清理（钱某，立行立改 2026年3月16日（周一））" in text
    assert "3. 每季度通报（长期坚持）" in text
    assert "<b>备注：</b>佐证材料：会议纪要\n督办情况：已督办" in text
    assert_sendable(text)
    many = replace(several, measure_list=(Measure("长" * 500, "某" * 50, "", NOW.date()),) * 50)
    huge = replace(many, problem="问" * 5000, note="备" * 5000, measures="措" * 5000)
    assert_sendable(item_card(words(), view_item(huge, NOW, TZ, svc.rules), svc.rules, names, "x"))
    one = item(measures="制定办法")  # one measure: shown as before
    text = item_card(words(), view_item(one, NOW, TZ, svc.rules), svc.rules, names, "杭州")
    assert "<b>整改措施：</b>制定办法" in text and "备注" not in text


def test_card_keyboard_offers_only_enabled_and_allowed_actions() -> None:
    svc = services()
    contact = Person(5, "联络员", Role.CONTACT, unit="HZ")
    it = item(status=Status.IN_PROGRESS)
    labels = {Action.PROGRESS: "action.progress", Action.SUBMIT: "action.submit"}
    board = card_keyboard(words(), it, contact, svc.rules, labels)
    assert [[b.text for b in row] for row in board.inline_keyboard] == [
        ["报送进展", "申请销号"],
        ["📜 整改记录"],
    ]
    board = card_keyboard(words(), it, contact, svc.rules, {})
    assert [[b.callback_data for b in row] for row in board.inline_keyboard] == [["hist:HZ-007"]]


# --------------------------------------------------------------------------- history


def history_of_an_imported_row(svc: Services) -> Item:
    """HZ-007 as a re-imported ledger leaves it: a new deadline, then changed 台账 text
    (events made by ledger.workflow, as storage.ledger_import makes them)."""
    actor = Person(100, "巡察组", Role.INSPECTOR)
    original = item(problem="旧问题 <b>A&B</b>", measures="", owner="张三")
    svc.store.add_unit(Unit("HZ", "杭州"))
    changes = {
        "problem": "新问题" + "很长的描述" * 40,
        "measures": "召开专题会议",
        "owner": "李四",
    }
    with svc.store.ledger("HZ").transaction() as tx:
        current, first = act(
            original,
            actor,
            Action.SET_DEADLINE,
            now=NOW,
            rules=svc.rules,
            seq=1,
            deadline=date(2027, 6, 30),
            reason="涉及跨部门协调",
        )
        current, second = act(
            current, actor, Action.EDIT, now=NOW, rules=svc.rules, seq=2, changes=changes
        )
        current, third = act(
            current,
            actor,
            Action.SET_DEADLINE,
            now=NOW,
            rules=svc.rules,
            seq=3,
            long_term=True,
            reason="需长期坚持",
        )
        tx.put(current)
        for event in (first, second, third):
            tx.append(event)
    return current


def test_history_shows_what_an_edit_and_a_deadline_change_changed() -> None:
    svc = services()
    current = history_of_an_imported_row(svc)
    inspector = who(svc, Person(100, "巡察组", Role.INSPECTOR))
    text = draw_history(inspector, current, 1).text
    assert_sendable(text)
    lines = text.splitlines()
    deadline = lines.index("　　整改时限：2026年12月31日（周四） → 2027年6月30日（周三）")
    assert lines[deadline + 1] == "　　理由：涉及跨部门协调"
    assert "　　整改时限：2027年6月30日（周三） → 长期坚持" in lines
    assert "　　理由：需长期坚持" in lines
    # The edit: one line per changed field, old → new, escaped, long values clipped.
    problem = next(line for line in lines if line.startswith("　　问题描述："))
    old, new = problem.removeprefix("　　问题描述：").split(" → ")
    assert old == "旧问题 &lt;b&gt;A&amp;B&lt;/b&gt;"
    assert new.startswith("新问题很长的描述") and new.endswith("…")
    assert utf16_len(new) == EDIT_VALUE_MAX
    assert "　　整改措施：— → 召开专题会议" in lines  # was empty
    assert "　　责任人：张三 → 李四" in lines
    english = draw_history(who(svc, Person(100, "i", Role.INSPECTOR), "en"), current, 1).text
    assert_sendable(english)
    assert "deadline: 2026-12-31 (Thu) → 2027-06-30 (Wed)" in english
    assert "reason: 涉及跨部门协调" in english
    assert "person responsible: 张三 → 李四" in english


def test_history_details_of_damaged_events_never_raise() -> None:
    svc = services()
    names = Names(svc, words())
    odd = Event("HZ-007", 1, NOW, 100, "edit", Status.OPEN, Status.OPEN, {"x": {"old": 1}})
    assert history_line(words(), odd, names).endswith("\n　　x：— → —")
    bare = Event("HZ-007", 2, NOW, 100, "set_deadline", Status.OPEN, Status.OPEN, {})
    assert history_line(words(), bare, names).endswith("\n　　整改时限：— → —")
    flood = {f"<{n}>" * 500: {"old": "a", "new": "b"} for n in range(1000)}
    many = Event("HZ-007", 3, NOW, 100, "edit", Status.OPEN, Status.OPEN, flood)
    text = history_line(words(), many, names)
    assert text.count("\n") == len(EDITABLE_FIELDS)
    assert visible_len(text) < 1000 and "&lt;0&gt;" in text


# --------------------------------------------------------------------------- error wording


CONTACT = Person(5, "联络员", Role.CONTACT, unit="HZ")


@pytest.mark.parametrize(
    ("error", "context", "expected"),
    [
        (UnknownItem(item_id="HZ-009"), {}, "未找到事项 HZ-009。"),
        (UnknownUnit(unit="XX"), {}, "未找到单位 XX。"),
        (NotAllowed(action="approve", role="contact"), {}, "联络员不能核验销号。"),
        (
            NotAllowed(action="reject", role="leader", status="endorsed"),
            {"item_id": "HZ-001"},
            "事项 HZ-001 当前为“待核验”，主要负责人不能退回。",
        ),
        (
            InvalidTransition(action="submit", status="open"),
            {"item_id": "HZ-001"},
            "事项 HZ-001 当前状态为“未整改”，不能执行“申请销号”。",
        ),
        (
            InvalidTransition(action="submit", status="open"),
            {},
            "事项 该事项 当前状态为“未整改”，不能执行“申请销号”。",
        ),
        (
            AlreadyDone(action="endorse", status="endorsed", by=100, at=NOW),
            {"item_id": "HZ-001"},
            "事项 HZ-001 已由 巡察组（100） 于 2026年3月2日（周一） 09:00 签字背书。",
        ),
        (
            AlreadyDone(action="submit", status="submitted", by=None, at=None),
            {"item_id": "HZ-001"},
            "事项 HZ-001 当前为“待签字”，无需再次申请销号。",
        ),
        (MissingEvidence(item_id="HZ-001"), {}, "事项 HZ-001 还没有佐证材料"),
        (MissingReason(action="reject"), {}, "请写明理由，例如：佐证材料不完整，请补充会议记录"),
        (
            InvalidValue(field="text", problem="too_long", max=2000),
            {},
            "输入有误：内容太长（最多 2000 字）",
        ),
        (
            InvalidValue(field="deadline", problem="no_such_date", value="2026-02-30"),
            {},
            "输入有误：没有这一天：2026-02-30",
        ),
        (InvalidValue("naive"), {}, "输入有误：输入不正确"),
        (
            InconsistentEvent(item_id="HZ-001", seq=3, problem="seq"),
            {},
            "事项 HZ-001 的记录不完整",
        ),
        (LedgerError(), {}, "操作未能完成，请稍后再试。"),
    ],
)
def test_errors_are_worded_with_their_context(
    error: LedgerError, context: dict[str, object], expected: str
) -> None:
    text = word_error(who(services(), CONTACT), error, **context)
    assert expected in text
    assert "…" not in text


def test_every_action_has_words() -> None:
    """History lines and card buttons name every action (a new Action needs its words)."""
    for action in Action:
        for lang in ("zh-CN", "en"):
            assert CATALOG.has(f"action.{action.value}"), action
            assert CATALOG.plain(lang, f"action.{action.value}").strip()


def test_errors_in_english() -> None:
    text = word_error(who(services(), CONTACT, "en"), NotAllowed(action="approve", role="contact"))
    assert text == "As Unit contact, you cannot verify and close."


# --------------------------------------------------------------------------- R24 property


hostile = st.text(alphabet=st.sampled_from(list("<>&\"'ab 中文😀\n/;#")), max_size=60)
long_hostile = st.text(
    alphabet=st.sampled_from(list("<>&\"'ab 中文😀\n")), min_size=0, max_size=4000
)


@st.composite
def hostile_items(draw: st.DrawFn, seq: int) -> Item:
    status = draw(statuses)
    deadline = draw(st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    by = draw(st.sampled_from([0, 5, 6, 100, 4242]))
    at = NOW - timedelta(hours=draw(st.integers(0, 5000)))
    return Item(
        id=f"HZ-{seq:03d}",
        unit="HZ",
        category=draw(hostile),
        problem=draw(long_hostile),
        created_at=at,
        leader=draw(hostile),
        department=draw(hostile),
        owner=draw(hostile),
        measures=draw(long_hostile),
        deadline=deadline,
        long_term=deadline is None,
        status=status,
        progress=tuple(
            ProgressNote(at, by, draw(long_hostile)) for _ in range(draw(st.integers(0, 2)))
        ),
        evidence=tuple(
            Evidence("f", draw(hostile), 1, "0" * 64, at, by)
            for _ in range(draw(st.integers(0, 2)))
        ),
        endorsement=Endorsement(by, at) if draw(st.booleans()) else None,
        verification=Verification(
            by, at, draw(st.sampled_from(["approved", "rejected", "reopened"])), draw(long_hostile)
        )
        if draw(st.booleans())
        else None,
        closed_at=at if not status.is_active else None,
        withdrawn_reason=draw(long_hostile),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), lang=st.sampled_from(["zh-CN", "en"]))
def test_hostile_text_everywhere_renders_valid_html_within_the_limit(
    data: st.DataObject, lang: str
) -> None:
    svc = services(page_size=data.draw(st.integers(3, 30)))
    store = svc.store
    store.add_unit(Unit("HZ", data.draw(hostile).strip() or "x", data.draw(hostile)))
    for user_id, role in ((5, Role.CONTACT), (6, Role.LEADER), (100, Role.INSPECTOR)):
        name = data.draw(hostile) or "n"
        store.registry.upsert_person(
            Person(user_id, name, role, unit=None if role is Role.INSPECTOR else "HZ")
        )
    items = [data.draw(hostile_items(n)) for n in range(1, data.draw(st.integers(1, 14)))]
    with store.ledger("HZ").transaction() as tx:
        for it in items:
            tx.put(it)
            for seq in range(1, data.draw(st.integers(1, 4))):
                tx.append(
                    Event(
                        it.id,
                        seq,
                        it.created_at,
                        data.draw(st.sampled_from([0, 5, 100, 77])),
                        data.draw(st.sampled_from([a.value for a in Action] + ["odd"])),
                        data.draw(st.none() | statuses),
                        data.draw(statuses),
                        {
                            "text": data.draw(long_hostile),
                            "name": data.draw(hostile),
                            "old": "2026-01-01",
                            "new": data.draw(st.sampled_from(["2026-02-01", "bad", None])),
                            "problem": {"old": data.draw(hostile), "new": data.draw(hostile)},
                        },
                    )
                )
    contact = who(svc, store.registry.get_person(5), lang)
    inspector = who(svc, Person(100, "i", Role.INSPECTOR), lang)
    actions: dict[Action, str] = {a: f"action.{a.value}" for a in Action if a is not Action.CREATE}
    for viewer in (contact, inspector):
        for it in items:
            card = draw_card(viewer, it, actions)
            assert_sendable(card.text)
            for page in (1, 99):
                assert_sendable(draw_history(viewer, it, page).text)
        for kind in ("open", "overdue", "unit"):
            if kind == "unit" and viewer is contact:
                continue
            spec = ListSpec(kind, "HZ")
            for page in range(1, 4):
                drawn = draw_list(viewer, spec, page)
                assert_sendable(drawn.text)
        due = ListSpec(
            "due", ALL if viewer is inspector else "HZ", date(2025, 1, 1), date(2027, 12, 31)
        )
        assert_sendable(draw_list(viewer, due, 1).text)
    for page in (1, 2):
        drawn_units = units_page(inspector, (), ALL, page)
        drawn_people = people_page(inspector, (), ALL, page)
        assert drawn_units is not None and drawn_people is not None
        assert_sendable(drawn_units.text)
        assert_sendable(drawn_people.text)


def test_a_keyed_reason_is_shown_in_the_readers_language_and_old_text_as_stored() -> None:
    from handlers.render import reason_text

    catalog = Catalog.load()
    data = {
        "reason": "台账导入更新（a.xlsx）",
        "reason_key": "stored.import_reason_file",
        "reason_params": {"file": "a.xlsx"},
    }
    en = Words(catalog, "en", TZ, NOW)
    zh = Words(catalog, "zh-CN", TZ, NOW)
    assert reason_text(en, data) == "Updated by a ledger import (a.xlsx)"
    assert reason_text(zh, data) == "台账导入更新（a.xlsx）"
    assert reason_text(en, {"reason": "台账导入更新（old.xlsx）"}) == "台账导入更新（old.xlsx）"
    damaged = {**data, "reason_params": {"wrong": "x"}}
    assert reason_text(en, damaged) == "台账导入更新（a.xlsx）"
    assert reason_text(en, {**data, "reason_key": "stored.unknown"}) == "台账导入更新（a.xlsx）"
