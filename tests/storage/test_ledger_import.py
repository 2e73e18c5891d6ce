"""storage/ledger_import.py: applying an import plan to the ledgers — create, re-import,
update, unchanged, refusals, all or nothing (on the in-memory store and on files)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ledger.access import Action
from ledger.dates import normalise_item_id
from ledger.errors import NotAllowed
from ledger.model import Person, Role, Status, Unit
from ledger.rules import Rules
from ledger.workflow import SYSTEM_ACTOR_ID, NewEvidence, act, replay
from storage.ledger_import import (
    IMPORT_REASON,
    ImportOutcome,
    ImportRefused,
    apply_plan,
    preview_import,
)
from storage.repo import Store
from storage.xlsx_export import export_ledger
from storage.xlsx_import import ImportErrors, ImportPlan, ImportSummary, IssueCode, ItemDraft
from tests.storage.xlsx_helpers import (
    CATEGORIES,
    NOW,
    SAMPLE,
    TZ,
    book_bytes,
    ledger_sheet,
    plan_of,
    read,
    row,
)

RULES = Rules(categories=CATEGORIES)
INSPECTOR = Person(100, "巡察组", Role.INSPECTOR)


@pytest.fixture(params=["memory", "files"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    s = Store.memory() if request.param == "memory" else Store.open(tmp_path / "data")
    yield s
    s.close()


def apply(store: Store, plan: ImportPlan, **kw: Any) -> ImportOutcome:
    options: dict[str, Any] = {"actor": None, "now": NOW, "rules": RULES}
    return apply_plan(store, plan, **(options | kw))


def sample_plan() -> ImportPlan:
    return plan_of(read(SAMPLE))


def snapshot(store: Store) -> dict[str, Any]:
    """Everything an import may change: units, and every item with its history."""
    return {
        "units": store.registry.list_units(),
        "ledgers": {
            led.unit: [(i, led.events(i.id)) for i in led.items()] for led in store.ledgers()
        },
    }


def export(store: Store) -> bytes:
    units = store.registry.list_units()
    items = {u.code: store.ledger(u.code).items() for u in units}
    return export_ledger(units, items, now=NOW, tz=TZ, rules=RULES)


def edit_cell(data: bytes, sheet: str, item_id: str, column: str, value: object) -> bytes:
    """Change one cell of an exported workbook, as an inspector would in Excel."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    headers = [c.value for c in ws[2]]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 1).value == item_id:
            ws.cell(r, headers.index(column) + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- create


def test_the_sample_creates_units_and_items(store: Store) -> None:
    outcome = apply(store, sample_plan())
    assert (outcome.units_created, outcome.created, outcome.updated, outcome.unchanged) == (
        3,
        18,
        0,
        0,
    )
    assert [(u.code, u.name) for u in store.registry.list_units()] == [
        ("HX", "河西市局党组"),
        ("JB", "江北市局党组"),
        ("SN", "山南县局党组"),
    ]
    jb = store.ledger("JB")
    items = jb.items()
    assert [i.id for i in items] == [f"JB-{n:03d}" for n in range(1, 7)]
    assert [i.source_ref for i in items] == ["1", "2", "3", "4", "5", "6"]
    first = items[0]
    assert first.deadline == date(2026, 11, 1) and first.owner == "赵某"
    assert items[5].long_term and items[5].deadline is None
    # 整改中 → in progress, its note the ledger's words; 未整改 → open, no note
    assert first.status is Status.IN_PROGRESS and first.last_progress is not None
    assert first.last_progress.text == "整改中" and first.last_progress.by == SYSTEM_ACTOR_ID
    assert items[1].status is Status.OPEN and not items[1].progress
    assert [e.action for e in jb.events("JB-001")] == ["create", "progress"]
    assert all(e.by == SYSTEM_ACTOR_ID for e in jb.events("JB-001"))


def test_an_inspector_is_the_actor_of_a_chat_import(store: Store) -> None:
    apply(store, sample_plan(), actor=INSPECTOR)
    events = store.ledger("HX").events("HX-001")
    assert [e.by for e in events] == [INSPECTOR.user_id] * 2
    assert events[0].data["via"] == "chat"


def test_a_row_reported_closed_is_not_closed(store: Store) -> None:
    rows = [row(1, progress="已销号"), row(2, progress="已完成"), row(3, progress="未整改")]
    apply(store, plan_of(read(book_bytes({"JB": ledger_sheet(rows)}))))
    items = store.ledger("JB").items()
    assert [i.status for i in items] == [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.OPEN]
    assert [i.last_progress.text if i.last_progress else None for i in items] == [
        "已销号",
        "已完成",
        None,
    ]
    assert all(i.closed_at is None and i.verification is None for i in items)


def test_contacts_do_not_import(store: Store) -> None:
    contact = Person(5, "联络员", Role.CONTACT, unit="JB")
    with pytest.raises(NotAllowed):
        apply(store, sample_plan(), actor=contact)
    with pytest.raises(NotAllowed):
        preview_import(store, sample_plan(), actor=contact, now=NOW, rules=RULES)
    assert store.registry.list_units() == []


# --------------------------------------------------------------------------- re-import


def test_importing_the_same_file_again_changes_nothing(store: Store) -> None:
    apply(store, sample_plan())
    before = snapshot(store)
    outcome = apply(store, sample_plan(), now=NOW + timedelta(days=3))
    assert (outcome.units_created, outcome.created, outcome.updated, outcome.unchanged) == (
        0,
        0,
        0,
        18,
    )
    assert not outcome.changes_anything
    assert snapshot(store) == before


def test_export_then_import_reproduces_the_same_items(store: Store) -> None:
    apply(store, sample_plan())
    before = snapshot(store)
    plan = plan_of(read(export(store)))
    assert {d.item_id for d in plan.drafts} == {
        i.id for led in store.ledgers() for i in led.items()
    }
    outcome = apply(store, plan)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 18)
    assert snapshot(store) == before


def test_an_export_into_an_empty_store_keeps_the_item_ids(tmp_path: Path) -> None:
    with Store.memory() as first, Store.memory() as second:
        apply(first, sample_plan())
        apply(second, plan_of(read(export(first))))
        for unit in ("JB", "HX", "SN"):
            old, new = first.ledger(unit).items(), second.ledger(unit).items()
            fields = ["id", "category", "problem", "measures", "leader", "department", "owner"]
            fields += ["deadline", "long_term"]
            assert [[getattr(i, f) for f in fields] for i in new] == [
                [getattr(i, f) for f in fields] for i in old
            ]
        # new rows without ids count on past the kept ones
        more = book_bytes({"JB": ledger_sheet([row("新1"), row("JB-020")])})
        apply(second, plan_of(read(more)))
        assert [i.id for i in second.ledger("JB").items()][-2:] == ["JB-020", "JB-021"]


def test_a_changed_deadline_and_text_become_events(store: Store) -> None:
    apply(store, sample_plan())
    data = edit_cell(export(store), "JB", "JB-003", "整改时限", date(2027, 1, 31))
    data = edit_cell(data, "JB", "JB-003", "整改措施", "每月检查一次")
    data = edit_cell(data, "JB", "JB-004", "责任人", "钱某")
    plan = plan_of(read(data))
    preview = preview_import(store, plan, actor=INSPECTOR, now=NOW, rules=RULES)
    assert isinstance(preview, ImportOutcome)
    assert [(u.item_id, u.fields) for u in preview.updates] == [
        ("JB-003", ("deadline", "measures")),
        ("JB-004", ("owner",)),
    ]
    outcome = apply(store, plan, actor=INSPECTOR, source="整改台账_全部_20261126.xlsx")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 2, 16)
    assert outcome.updates == preview.updates
    item = store.ledger("JB").get_item("JB-003")
    assert item is not None and item.deadline == date(2027, 1, 31)
    assert item.measures == "每月检查一次" and item.status is Status.IN_PROGRESS
    events = store.ledger("JB").events("JB-003")
    deadline, edit = events[-2:]
    assert (deadline.action, deadline.by) == ("set_deadline", INSPECTOR.user_id)
    assert deadline.data["old"] == "2026-12-31" and deadline.data["new"] == "2027-01-31"
    assert deadline.data["reason"] == f"{IMPORT_REASON}（整改台账_全部_20261126.xlsx）"
    # …and as a key with its parameters, worded when read (ledger.history)
    assert deadline.data["reason_key"] == "stored.import_reason_file"
    assert deadline.data["reason_params"] == {"file": "整改台账_全部_20261126.xlsx"}
    assert edit.action == "edit"
    assert edit.data == {
        "measures": {
            "old": "开展支部标准化建设，规范“三会一课”记录，上级党组派员列席组织生活会",
            "new": "每月检查一次",
        }
    }
    assert [e.action for e in store.ledger("JB").events("JB-004")][-1] == "edit"
    # and the same file once more changes nothing
    assert apply(store, plan).unchanged == 18


def test_a_relative_deadline_does_not_move_on_reimport(store: Store) -> None:
    data = book_bytes({"JB": ledger_sheet([row(1, deadline="15个工作日")])})
    apply(store, plan_of(read(data)))
    first = store.ledger("JB").get_item("JB-001")
    assert first is not None
    later = plan_of(read(data, today=date(2026, 12, 7)))
    assert later.drafts[0].deadline != first.deadline  # counted from another day
    outcome = apply(store, later)
    assert (outcome.updated, outcome.unchanged) == (0, 1)
    assert store.ledger("JB").get_item("JB-001") == first


def test_a_long_term_row_and_back(store: Store) -> None:
    apply(store, sample_plan())
    data = edit_cell(export(store), "SN", "SN-006", "整改时限", date(2027, 6, 30))
    apply(store, plan_of(read(data)))
    item = store.ledger("SN").get_item("SN-006")
    assert item is not None and item.deadline == date(2027, 6, 30) and not item.long_term
    event = store.ledger("SN").events("SN-006")[-1]
    assert (event.data["old_long_term"], event.data["new_long_term"]) == (True, False)


# --------------------------------------------------------------------------- refusals


def close(store: Store, item_id: str) -> None:
    """Drive an item to 已销号 through the real workflow."""
    unit = item_id.split("-")[0]
    contact = Person(7, "联络员", Role.CONTACT, unit=unit)
    leader = Person(8, "书记", Role.LEADER, unit=unit)
    with store.ledger(unit).transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None
        steps: list[tuple[Person, Action, dict[str, Any]]] = [
            (contact, Action.ADD_EVIDENCE, {"evidence": NewEvidence("f", "a.pdf", 1, "a" * 64)}),
            (contact, Action.SUBMIT, {}),
            (leader, Action.ENDORSE, {}),
            (INSPECTOR, Action.APPROVE, {}),
        ]
        if item.status is Status.OPEN:
            steps.insert(0, (contact, Action.PROGRESS, {"text": "已整改"}))
        for actor, action, kw in steps:
            item, event = act(
                item, actor, action, now=NOW, rules=RULES, seq=tx.next_event_seq(item_id), **kw
            )
            tx.put(item)
            tx.append(event)


def test_a_file_changing_a_closed_item_changes_nothing_at_all(store: Store) -> None:
    apply(store, sample_plan())
    close(store, "HX-002")
    data = edit_cell(export(store), "HX", "HX-002", "整改时限", date(2027, 5, 1))
    data = edit_cell(data, "JB", "JB-001", "责任人", "孙某")  # a good change in another unit
    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("NEW")  # and a new unit
    for values in ledger_sheet([row(1)], title=None):
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    plan = plan_of(read(out.getvalue()))
    before = snapshot(store)

    preview = preview_import(store, plan, actor=None, now=NOW, rules=RULES)
    assert isinstance(preview, ImportErrors)
    with pytest.raises(ImportRefused) as refused:
        apply(store, plan)
    assert refused.value.errors == preview
    (issue,) = preview.issues
    assert (issue.code, issue.sheet, issue.column) == (IssueCode.LOCKED, "HX", "整改时限")
    assert issue.row is not None and issue.row > 2
    assert issue.params == {"item_id": "HX-002", "status": "closed", "fields": ["deadline"]}
    assert snapshot(store) == before


def test_two_rows_for_one_item_are_a_conflict(store: Store) -> None:
    apply(store, sample_plan())
    rows = [row("JB-002", problem="甲"), row(2, problem="乙"), row("jb-7"), row("JB-007")]
    plan = plan_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    errors = preview_import(store, plan, actor=None, now=NOW, rules=RULES)
    assert isinstance(errors, ImportErrors)
    assert [(i.code, i.row, i.column, i.params) for i in errors.issues] == [
        (
            IssueCode.CONFLICT,
            4,
            "序号",
            {"item_id": "JB-002", "first_sheet": "JB", "first_row": 3},
        ),
        (
            IssueCode.CONFLICT,
            6,
            "序号",
            {"item_id": "JB-007", "first_sheet": "JB", "first_row": 5},
        ),
    ]


def test_a_value_the_ledger_refuses_is_an_issue(store: Store) -> None:
    plan = sample_plan()
    narrow = Rules(categories=("党的建设",))  # the config changed between read and apply
    errors = preview_import(store, plan, actor=None, now=NOW, rules=narrow)
    assert isinstance(errors, ImportErrors)
    first = errors.issues[0]
    assert (first.code, first.sheet, first.row, first.column) == (
        IssueCode.INVALID,
        "JB 江北市局党组",
        3,
        "问题类别",
    )
    assert first.params == {
        "item_id": None,
        "field": "category",
        "problem": "unknown",
        "value": "党的领导",
    }
    with pytest.raises(ImportRefused):
        apply(store, plan, rules=narrow)
    assert store.registry.list_units() == []


def test_the_preview_says_what_apply_does_and_writes_nothing(store: Store) -> None:
    store.add_unit(Unit("JB", "江北"))
    before = snapshot(store)
    preview = preview_import(store, sample_plan(), actor=None, now=NOW, rules=RULES)
    assert snapshot(store) == before
    assert isinstance(preview, ImportOutcome)
    assert [(u.code, u.name, u.new_unit, u.created) for u in preview.units] == [
        ("JB", "江北", False, 6),
        ("HX", "河西市局党组", True, 6),
        ("SN", "山南县局党组", True, 6),
    ]
    assert apply(store, sample_plan()) == preview


# --------------------------------------------------------------------------- failures


def test_a_write_failure_leaves_each_ledger_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(store, sample_plan())
    data = export(store)
    for unit in ("HX", "JB", "SN"):
        data = edit_cell(data, unit, f"{unit}-001", "责任人", "新责任人")
    before = {led.unit: led.events(f"{led.unit}-001") for led in store.ledgers()}
    failing = store.ledger("JB")._storage

    def refuse(doc: object, changed: object = None) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, "write", refuse)
    with pytest.raises(OSError):
        apply(store, plan_of(read(data)))
    monkeypatch.undo()
    after = {led.unit: led.events(f"{led.unit}-001") for led in store.ledgers()}
    assert after["JB"] == before["JB"]
    for unit in ("HX", "SN"):  # written before the failure, or not at all — never half
        grew = after[unit][len(before[unit]) :]
        assert after[unit][: len(before[unit])] == before[unit]
        assert [e.action for e in grew] in ([], ["edit"])
    # importing again completes what is missing, without duplicates
    outcome = apply(store, plan_of(read(data)))
    assert outcome.created == 0 and outcome.updated + outcome.unchanged == 18
    assert all(led.get_item(f"{led.unit}-001").owner == "新责任人" for led in store.ledgers())  # type: ignore[union-attr]


# --------------------------------------------------------------------------- scale


@pytest.mark.parametrize(
    "per_unit", [25, pytest.param(50, marks=pytest.mark.slow, id="10050-rows")]
)
def test_a_province_export_reimports_unchanged(per_unit: int) -> None:
    """201 units × 25 rows (5,025; ×50 = 10,050 in make test-slow): over the first release's
    caps of 200 sheets and 5,000 rows. tests/storage/test_xlsx_import.py reads 10,050 rows
    with the default caps."""
    units = [Unit(f"U{n:03d}", f"第{n}市局党组") for n in range(1, 202)]
    rows = [row(k, deadline=date(2027, 1, 1) + timedelta(days=k)) for k in range(1, per_unit + 1)]
    sheet = ledger_sheet(rows, title=None)
    with Store.memory() as store:
        data = book_bytes({u.code: sheet for u in units})
        first = apply(store, plan_of(read(data)))
        assert (first.units_created, first.created) == (201, 201 * per_unit)
        again = apply(store, plan_of(read(export(store))))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 201 * per_unit)


# --------------------------------------------------------------------------- properties (R27)

REFS = st.sampled_from(["1", "2", "3", "JB-001", "JB-002", "jb-9", "HX-001", "7"])
TEXTS = st.sampled_from(["问题甲", "问题乙", " 问题甲 ", "多行\r\n文本", "a\x07b"])
BROKEN: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [{"problem": ""}, {"problem": "x" * 4001}, {"category": "不存在"}]
)


@st.composite
def drafts(draw: st.DrawFn) -> ItemDraft:
    unit = draw(st.sampled_from(["JB", "HX"]))
    ref = draw(REFS)
    item_id = normalise_item_id(ref)  # as the reader keeps it
    long_term = draw(st.booleans())
    return ItemDraft(
        unit=unit,
        source_ref=ref,
        category=draw(st.sampled_from(["党的建设", "其他"])),
        problem=draw(TEXTS),
        deadline=None if long_term else draw(st.dates(date(2026, 1, 1), date(2027, 12, 31))),
        long_term=long_term,
        owner=draw(st.sampled_from(["", "赵某", "钱某"])),
        progress=draw(st.sampled_from(["", "整改中", "已销号"])),
        status_hint=draw(st.sampled_from([Status.OPEN, Status.IN_PROGRESS, Status.CLOSED])),
        item_id=item_id if item_id and item_id.startswith(unit + "-") else None,
        deadline_relative=draw(st.booleans()),
        sheet=unit,
        row=draw(st.integers(3, 30)),
    )


@st.composite
def plans(draw: st.DrawFn, unique: bool = False) -> ImportPlan:
    """Up to 8 drafts of two units; ``unique``: one draft per 序号 and unit, as the reader
    guarantees (otherwise repeated 序号 are likely, which the import must refuse too)."""
    key = (lambda d: (d.unit, d.source_ref)) if unique else (lambda d: id(d))
    chosen = draw(st.lists(drafts(), max_size=8, unique_by=key))
    if chosen and draw(st.integers(0, 3)) == 0:  # now and then, a value the ledger refuses
        at = draw(st.integers(0, len(chosen) - 1))
        chosen[at] = replace(chosen[at], **draw(BROKEN))
    codes = sorted({d.unit for d in chosen} | set(draw(st.sets(st.sampled_from(["JB", "NEW"])))))
    summary = ImportSummary((), len(chosen), 0, None, None, 0, ())
    return ImportPlan(tuple(Unit(c, f"{c}单位") for c in codes), tuple(chosen), summary)


@st.composite
def edited(draw: st.DrawFn, plan: ImportPlan) -> list[ItemDraft]:
    """Some of ``plan``'s rows again, some with a new owner, problem or deadline (a file
    edited after an export)."""
    rows = []
    for draft in plan.drafts:
        if draw(st.booleans()):
            rows.append(replace(draft, **draw(EDITS)))
    return rows


EDITS: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"owner": "孙某"},
        {"problem": "改过的问题"},
        {"deadline": date(2028, 1, 1), "long_term": False},
        {"deadline": None, "long_term": True},
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=plans(unique=True), extra=plans(), close_one=st.booleans(), data=st.data())
def test_any_plan_applies_whole_or_not_at_all_and_twice_is_once(
    first: ImportPlan, extra: ImportPlan, close_one: bool, data: st.DataObject
) -> None:
    drafts_again = data.draw(edited(first), label="first's rows again") + list(extra.drafts)
    units = {u.code: u for u in (*first.units, *extra.units)}
    second = replace(extra, units=tuple(units.values()), drafts=tuple(drafts_again))
    with Store.memory() as store:
        with contextlib.suppress(ImportRefused):
            apply(store, first)
        if close_one and store.registry.get_unit("JB") and len(store.ledger("JB")):
            close(store, store.ledger("JB").items()[0].id)
        before = snapshot(store)
        preview = preview_import(store, second, actor=None, now=NOW, rules=RULES)
        try:
            outcome = apply(store, second)
        except ImportRefused as refused:
            event("refused: " + ", ".join(sorted({str(i.code) for i in refused.errors.issues})))
            assert refused.errors == preview
            assert snapshot(store) == before  # nothing at all was written
            return
        event(f"applied: {bool(outcome.created)} created, {bool(outcome.updated)} updated")
        assert outcome == preview
        after = snapshot(store)
        again = apply(store, second)
        assert not again.changes_anything
        assert again.unchanged == sum(u.rows for u in again.units)
        assert snapshot(store) == after
        for led in store.ledgers():  # every history still replays to its item
            for item in led.items():
                assert replay(led.events(item.id)) == item
