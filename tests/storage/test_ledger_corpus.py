"""Real 台账 as offices write them (issue 10): every layout of tests/storage/ledger_corpus.py
imports with the expected units, items, categories, measures and deadlines; every non-empty
cell ends up in an item, in the columns-not-imported list or in a row named as skipped;
re-importing is a no-op; export → import round-trips with the measures."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from ledger.dates import normalise_text, parse_deadline
from ledger.model import Measure, Unit
from ledger.rules import DEFAULT_CATEGORIES, Rules
from storage.ledger_import import (
    ImportOutcome,
    UnresolvedUnits,
    apply_plan,
    preview_import,
    resolve_units,
)
from storage.ledger_sources import docx_sheets, xls_sheets
from storage.repo import Store
from storage.xlsx_export import export_ledger
from storage.xlsx_import import (
    Field,
    ImportErrors,
    ImportPlan,
    ItemDraft,
    _clean_ref,
    header_meaning,
    read_ledger,
)
from tests.storage.ledger_corpus import (
    IMMEDIATE_DAYS,
    LAYOUTS,
    Layout,
    M,
    add_workdays,
    check_item,
    find,
    write_corpus,
)
from tests.storage.xlsx_helpers import SAMPLE, TZ

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday (the e2e harness starts here too)
TODAY = NOW.date()
RULES = Rules(categories=DEFAULT_CATEGORIES)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(params=["memory", "files"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = Store.memory() if request.param == "memory" else Store.open(tmp_path / "data")
    yield s
    s.close()


def read(source: Path | bytes, today: date = TODAY) -> ImportPlan:
    result = read_ledger(
        source if isinstance(source, bytes) else str(source),
        today=today,
        add_workdays=add_workdays,
        categories=DEFAULT_CATEGORIES,
        default_category="其他",
        immediate_days=IMMEDIATE_DAYS,
    )
    assert isinstance(result, ImportPlan), result
    return result


def resolved(store: Store, layout: Layout, plan: ImportPlan) -> ImportPlan:
    found = resolve_units(
        plan, store.registry.list_units(), chosen=dict(layout.chosen), default=layout.unit
    )
    assert isinstance(found, ImportPlan), found
    return found


def import_layout(store: Store, layout: Layout, path: Path) -> tuple[ImportPlan, ImportOutcome]:
    for code, name in layout.registered:
        store.add_unit(Unit(code, name))
    plan = resolved(store, layout, read(path))
    return plan, apply_plan(store, plan, actor=None, now=NOW, rules=RULES)


def test_the_corpus_has_every_layout_the_issue_names() -> None:
    assert len(LAYOUTS) >= 8
    names = [layout.name for layout in LAYOUTS]
    assert {Path(n).suffix for n in names} == {".xlsx", ".xls", ".docx"}
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_each_layout_imports_with_the_expected_items(
    store: Store, corpus: dict[str, Path], layout: Layout
) -> None:
    plan, outcome = import_layout(store, layout, corpus[layout.name])
    assert outcome.created == len(layout.items)
    for expect in layout.items:
        check_item(find(store, expect), expect, TODAY)
    units = {u.code: u.name for u in store.registry.list_units()}
    for code, name in layout.new_units:
        assert units[code] == name
    assert {u.code for u in outcome.units if u.new_unit} == {c for c, _ in layout.new_units}
    summary = plan.summary
    assert [(r.sheet, r.row, r.reason) for r in summary.skipped_rows] == list(layout.skipped_rows)
    assert sorted((c.header, c.reason) for c in summary.not_imported) == sorted(
        layout.not_imported
    )
    assert summary.default_category == layout.default_category
    several = sum(len(e.measures) > 1 for e in layout.items)
    assert summary.several_measures == several


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_reimporting_each_layout_changes_nothing(
    store: Store, corpus: dict[str, Path], layout: Layout
) -> None:
    import_layout(store, layout, corpus[layout.name])
    later = NOW + timedelta(days=9)  # relative wordings (立行立改, 12月底前) must not move
    plan = resolve_units(
        read(corpus[layout.name], later.date()),
        store.registry.list_units(),
        chosen=dict(layout.chosen),
        default=layout.unit,
    )
    assert isinstance(plan, ImportPlan)
    outcome = preview_import(store, plan, actor=None, now=later, rules=RULES)
    assert isinstance(outcome, ImportOutcome), outcome
    assert (outcome.created, outcome.updated, outcome.units_created) == (0, 0, 0)
    assert outcome.unchanged == len(layout.items)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_export_then_import_round_trips_with_measures(
    store: Store, corpus: dict[str, Path], layout: Layout
) -> None:
    import_layout(store, layout, corpus[layout.name])
    units = store.registry.list_units()
    items = {u.code: store.ledger(u.code).items() for u in units}
    data = export_ledger(units, items, now=NOW, tz=TZ, rules=RULES, lang="zh-CN")
    plan = read(data)
    assert sum(max(1, len(d.measure_list)) for d in plan.drafts) == sum(
        max(1, len(i.measure_list)) for v in items.values() for i in v
    )
    outcome = preview_import(store, plan, actor=None, now=NOW, rules=RULES)
    assert isinstance(outcome, ImportOutcome), outcome
    assert (outcome.created, outcome.updated) == (0, 0)
    # and into an empty store: the same items, measure for measure
    fresh = Store.memory()
    try:
        for unit in units:
            fresh.add_unit(unit)
        apply_plan(fresh, plan, actor=None, now=NOW, rules=RULES)
        for unit in units:
            before = {i.id: i for i in items[unit.code]}
            after = {i.id: i for i in fresh.ledger(unit.code).items()}
            assert after.keys() == before.keys()
            for item_id, item in before.items():
                again = after[item_id]
                assert again.measure_list == item.measure_list
                fields = ("problem", "category", "measures", "owner", "department", "note")
                assert [getattr(again, f) for f in fields] == [getattr(item, f) for f in fields]
                assert (again.deadline, again.long_term) == (item.deadline, item.long_term)
    finally:
        fresh.close()


# --------------------------------------------------------------------------- every cell


def raw_cells(path: Path) -> Iterator[tuple[str, int, int, object]]:
    """(sheet, row, column, value) of every non-empty cell, as the file holds it."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and str(cell.value).strip():
                        yield ws.title, cell.row, cell.column - 1, cell.value
        return
    sheets = xls_sheets(data, 10) if path.suffix == ".xls" else docx_sheets(data, 10)
    assert not isinstance(sheets, str)
    for sheet in sheets:
        for r, values in enumerate(sheet.rows, start=1):
            for c, value in enumerate(values):
                if value is not None and str(value).strip():
                    yield sheet.title, r, c, value


def haystack(draft: ItemDraft) -> str:
    measures: tuple[Measure, ...] = draft.measure_list
    parts = [
        draft.source_ref,
        draft.unit_name,
        draft.category,
        draft.problem,
        draft.measures,
        draft.leader,
        draft.department,
        draft.owner,
        draft.progress,
        draft.note,
        *(m.wording for m in measures),
    ]
    return normalise_text("\n".join(parts))


def deadlines_of(draft: ItemDraft) -> set[date | None]:
    found: set[date | None] = {draft.deadline}
    found.update(m.deadline for m in draft.measure_list)
    return found


def accounted(plan: ImportPlan, sheet: str, row: int, header: str, value: object) -> bool:
    summary = plan.summary
    if any(s.title == sheet for s in summary.skipped_sheets):
        return True
    named = {(r.sheet, r.row) for r in (*summary.skipped_rows, *summary.structure_rows)}
    if (sheet, row) in named:
        return True
    if any(c.header == header and c.reason == "derived" for c in summary.not_imported):
        return True
    drafts = [d for d in plan.drafts if d.sheet == sheet and row in d.measure_rows]
    for draft in drafts:
        if header_meaning(header)[0] is Field.DEADLINE:
            if isinstance(value, datetime | date):
                day = value.date() if isinstance(value, datetime) else value
                if day in deadlines_of(draft):
                    return True
            else:
                parsed = parse_deadline(
                    str(value), TODAY, add_workdays, immediate_days=IMMEDIATE_DAYS
                )
                if parsed.long_term or parsed.deadline in deadlines_of(draft):
                    return True
        text = normalise_text(
            str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        )
        if text in haystack(draft) or _clean_ref(text) == draft.source_ref.split("·")[-1]:
            return True
    return False


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_every_non_empty_cell_is_imported_listed_or_named_skipped(
    corpus: dict[str, Path], layout: Layout
) -> None:
    path = corpus[layout.name]
    plan = read(path)
    headers: dict[tuple[str, int], str] = {}
    for r in plan.summary.structure_rows:
        if r.reason == "header":
            headers[(r.sheet, r.row)] = r.text
    cells = list(raw_cells(path))
    assert cells
    header_rows = sorted(k for k in headers)
    texts_by_header: dict[tuple[str, int], dict[int, str]] = {}
    for sheet, row, column, value in cells:
        if (sheet, row) in headers:
            texts_by_header.setdefault((sheet, row), {})[column] = str(value).strip()
    missing = []
    for sheet, row, column, value in cells:
        above = [k for k in header_rows if k[0] == sheet and k[1] <= row]
        header = texts_by_header.get(above[-1], {}).get(column, "") if above else ""
        if not accounted(plan, sheet, row, header, value):
            missing.append((sheet, row, column, value))
    assert missing == []


# --------------------------------------------------------------------------- units


def test_an_unmatched_name_is_asked_about_never_an_error(corpus: dict[str, Path]) -> None:
    plan = read(corpus["02_单位列写名称.xlsx"])
    registered = [Unit("DL", "东岭县局党组"), Unit("XS", "西山县局党委")]
    unresolved = resolve_units(plan, registered)
    assert isinstance(unresolved, UnresolvedUnits)
    assert [(n.name, n.items, n.proposed) for n in unresolved.names] == [
        ("ＸＸ南湖区局", 1, "U01")
    ]
    picked = resolve_units(plan, registered, chosen={"ＸＸ南湖区局": "XS"})
    assert isinstance(picked, ImportPlan)
    assert [d.unit for d in picked.drafts] == ["DL", "XS", "XS"]


@pytest.mark.parametrize(
    "name", ["东岭县局党组", "中共东岭县局党组", "东岭县局", "东岭县局 党委", "东岭县局党支部"]
)
def test_unit_names_match_with_or_without_party_words(name: str) -> None:
    plan = read(corpus_bytes_with_unit(name))
    found = resolve_units(plan, [Unit("DL", "东岭县局党组"), Unit("XS", "西山县局")])
    assert isinstance(found, ImportPlan)
    assert [d.unit for d in found.drafts] == ["DL"]


def corpus_bytes_with_unit(name: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位", "问题描述", "整改措施", "整改时限"])
    ws.append([name, "问题", "措施", "2026-12-31"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the sample


def test_the_standard_sample_still_imports_unchanged(store: Store) -> None:
    plan = read(SAMPLE)
    assert [u.code for u in plan.units] == ["JB", "HX", "SN"]
    assert len(plan.drafts) == 18
    assert all(d.measure_list == () and d.note == "" for d in plan.drafts)
    assert plan.summary.not_imported == () and plan.summary.skipped_rows == ()
    assert plan.summary.default_category == 0
    apply_plan(store, plan, actor=None, now=NOW, rules=RULES)
    item = store.ledger("JB").get_item("JB-006")
    assert item is not None and item.long_term and item.category == "全面从严治党"
    assert item.measure_list == () and item.note == ""


def test_one_pass_reports_structure_and_row_problems_together() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "JB"
    ws.append(["序号", "问题描述", "整改措施", "责任人"])  # no 时限 column
    ws.append([1, None, "措施", "赵某"])  # no problem
    ws.append([2, "问题", "措施", "钱某"])
    out = io.BytesIO()
    wb.save(out)
    result = read_ledger(
        out.getvalue(), today=TODAY, add_workdays=add_workdays, categories=DEFAULT_CATEGORIES
    )
    assert isinstance(result, ImportErrors)
    assert [(i.code.value, i.row) for i in result.issues] == [
        ("missing_column", 1),
        ("missing", 2),
    ]


def test_impossible_dates_are_refused_with_the_row_named() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "JB"
    ws.append(["序号", "问题描述", "整改措施", "整改时限"])
    ws.append([1, "问题一", "措施", "2027年2月30日前"])
    ws.append([2, "问题二", "措施", "2027年13月底"])
    out = io.BytesIO()
    wb.save(out)
    result = read_ledger(
        out.getvalue(), today=TODAY, add_workdays=add_workdays, categories=DEFAULT_CATEGORIES
    )
    assert isinstance(result, ImportErrors)
    got = [(i.code.value, i.sheet, i.row, i.column, i.params["problem"]) for i in result.issues]
    assert got == [
        ("bad_date", "JB", 2, "整改时限", "no_such_date"),
        ("bad_date", "JB", 3, "整改时限", "no_such_date"),
    ]


def test_every_export_column_is_a_field_or_known_as_computed() -> None:
    # else a re-imported export would copy 状态, 预警灯 … into every item's note
    from storage.xlsx_export import ITEM_COLUMNS, headers
    from storage.xlsx_import import _DERIVED_KEYS, _norm_header

    for lang in ("zh-CN", "en"):
        for header in headers("column", (c[0] for c in ITEM_COLUMNS), lang):
            found, tied = header_meaning(header)
            assert found is not None or _norm_header(header) in _DERIVED_KEYS, header
            assert tied == ()


def test_measure_expectations_are_well_formed() -> None:
    # guards the corpus itself: every layout names at least one item, each with a measure
    for layout in LAYOUTS:
        assert layout.items
        assert all(isinstance(m, M) for e in layout.items for m in e.measures)
