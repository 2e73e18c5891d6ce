"""storage/xlsx_import.py: layouts it understands, and every kind of refusal with its place."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from ledger.model import Status
from ledger.rules import DEFAULT_CATEGORIES
from storage.xlsx_import import (
    LEDGER_COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    MAX_SHEETS,
    ImportIssue,
    IssueCode,
    status_hint,
    unit_name_from_title,
)
from tests.storage.xlsx_helpers import (
    HEADER,
    SAMPLE,
    book_bytes,
    errors_of,
    ledger_sheet,
    plan_of,
    read,
    row,
)

# --------------------------------------------------------------------------- the sample


@pytest.fixture
def sample() -> Path:
    return SAMPLE


def test_sample_imports_three_units_of_six(sample: Path) -> None:
    plan = plan_of(read(sample))
    assert [(u.code, u.name) for u in plan.units] == [
        ("JB", "江北市局党组"),
        ("HX", "河西市局党组"),
        ("SN", "山南县局党组"),
    ]
    assert [(c.code, c.items, c.long_term) for c in plan.summary.units] == [
        ("JB", 6, 1),
        ("HX", 6, 1),
        ("SN", 6, 1),
    ]
    assert plan.summary.items == 18
    assert plan.summary.long_term == 3
    assert plan.summary.earliest_deadline == date(2026, 11, 1)
    assert plan.summary.latest_deadline == date(2027, 3, 15)
    first = plan.drafts[0]
    assert (first.unit, first.source_ref, first.category, first.leader) == (
        "JB",
        "1",
        "党的领导",
        "李某某",
    )
    assert first.deadline == date(2026, 11, 1)
    assert first.status_hint is Status.IN_PROGRESS
    assert (first.sheet, first.row) == ("JB 江北市局党组", 3)
    long_term = [d for d in plan.drafts if d.long_term]
    assert [d.source_ref for d in long_term] == ["6", "6", "6"]
    assert all(d.deadline is None for d in long_term)


def test_sample_imports_with_the_default_categories(sample: Path) -> None:
    plan = plan_of(read(sample, categories=DEFAULT_CATEGORIES))
    assert {d.category for d in plan.drafts} >= {"作风建设"}


def test_a_category_outside_the_configured_list_is_refused_with_the_list(sample: Path) -> None:
    narrow = tuple(c for c in DEFAULT_CATEGORIES if c != "作风建设")
    errors = errors_of(read(sample, categories=narrow))
    assert {(i.sheet, i.row) for i in errors.issues} == {
        ("HX 河西市局党组", 7),
        ("HX 河西市局党组", 8),
        ("SN 山南县局党组", 5),
        ("SN 山南县局党组", 6),
    }
    issue = errors.issues[0]
    assert issue.code is IssueCode.BAD_CATEGORY
    assert (issue.column, issue.column_letter) == ("问题类别", "B")
    assert issue.params["value"] == "作风建设"
    assert issue.params["allowed"] == list(narrow)


# --------------------------------------------------------------------------- layouts


def test_header_below_row_one_under_merged_title_and_notes() -> None:
    rows: list[Sequence[object]] = [
        ["中共江北市局党组巡察反馈问题整改台账"],
        ["填报单位：江北市局", None, None, None, None, None, None, "填报日期：2026-11-20"],
        [],
        HEADER,
        row(1),
        row(2, deadline="2027年1月15日"),
    ]
    data = book_bytes({"JB": rows}, merges={"JB": ["A1:J1", "A2:G2"]})
    plan = plan_of(read(data))
    assert [(u.code, u.name) for u in plan.units] == [("JB", "江北市局党组")]
    assert [(d.source_ref, d.row, d.deadline) for d in plan.drafts] == [
        ("1", 5, date(2026, 12, 31)),
        ("2", 6, date(2027, 1, 15)),
    ]


def test_columns_in_any_order_with_aliases_and_decorated_headers() -> None:
    header = ["完成时限", "责任人", "存在问题", "问题类型", "编号", "分管领导", "整改举措"]
    header += ["牵头部门", "整改 进展", "备注（选填）", "其他列"]
    data = book_bytes(
        {
            "HX": [
                ["中共河西市局党组巡察反馈问题整改台账"],
                header,
                ["2027-02-01", "吴某", "公务接待管理不严格", "其他", 7, "刘某某", "完善办法"]
                + ["财务科", "已完成", "见附件", "忽略"],
            ]
        }
    )
    draft = plan_of(read(data)).drafts[0]
    assert draft.unit == "HX"
    assert draft.source_ref == "7"
    assert draft.category == "其他"
    assert draft.problem == "公务接待管理不严格"
    assert draft.measures == "完善办法"
    assert (draft.leader, draft.department, draft.owner) == ("刘某某", "财务科", "吴某")
    assert draft.deadline == date(2027, 2, 1)
    assert draft.progress == "已完成"
    assert draft.status_hint is Status.CLOSED
    # an unrecognised column is kept in the note, never dropped (issue 10)
    assert draft.note == "见附件\n其他列：忽略"


def test_header_text_is_normalised() -> None:
    header = [" 序 号 ", "问题\n类别", "问题描述*", "整改措施", "责任领导", "责任部门", "责任人"]
    header += ["整改时限（年月日）"]
    data = book_bytes({"JB": [header, row(1)[:8]]})
    plan = plan_of(read(data))
    assert plan.drafts[0].deadline == date(2026, 12, 31)
    assert plan.units[0].name == "JB"  # no title row: the code is the name


def test_unit_column_variant() -> None:
    header = ["被巡察单位", *HEADER]
    rows = [
        header,
        ["JB 江北市局党组", *row(1)],
        ["hx", *row(1)],  # same 序号 in another unit is fine; codes are upper-cased
        ["JB", *row(2)],
    ]
    plan = plan_of(read(book_bytes({"Sheet1": rows})))
    assert [(u.code, u.name) for u in plan.units] == [("JB", "江北市局党组"), ("HX", "HX")]
    assert [(d.unit, d.source_ref) for d in plan.drafts] == [("JB", "1"), ("HX", "1"), ("JB", "2")]
    assert [(c.code, c.items) for c in plan.summary.units] == [("JB", 2), ("HX", 1)]


def test_sheet_title_code_and_name() -> None:
    data = book_bytes({"sn 山南县局党组": ledger_sheet([row(1)], title=None)})
    plan = plan_of(read(data))
    assert [(u.code, u.name) for u in plan.units] == [("SN", "山南县局党组")]


def test_deadline_forms_in_cells() -> None:
    rows = [
        row(1, deadline=datetime.combine(date(2027, 1, 5), time(0))),
        row(2, deadline="２０２７－０１－０６"),
        row(3, deadline="3月1日"),
        row(4, deadline="15个工作日"),
        row(5, deadline="30天"),
        row(6, deadline="长期坚持"),
        row(7, deadline=" 长期 "),
        row(8, deadline=date(2027, 1, 8)),
    ]
    plan = plan_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    got = [(d.deadline, d.long_term, d.workdays_estimated) for d in plan.drafts]
    assert got == [
        (date(2027, 1, 5), False, False),
        (date(2027, 1, 6), False, False),
        (date(2027, 3, 1), False, False),
        (date(2026, 12, 17), False, True),  # 15 Mon–Fri days from Thu 2026-11-26
        (date(2026, 12, 26), False, False),
        (None, True, False),
        (None, True, False),
        (date(2027, 1, 8), False, False),
    ]
    assert plan.summary.workdays_estimated == 1
    assert plan.summary.long_term == 2
    # counted from today: a later re-import of the same text must not move the deadline
    assert [d.deadline_relative for d in plan.drafts] == [False, False, True, True, True] + [
        False,
        False,
        False,
    ]


def test_numbers_and_refs_as_text() -> None:
    rows = [row(1.0, owner=12345), row("  A-01 ")]
    plan = plan_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    assert [d.source_ref for d in plan.drafts] == ["1", "A-01"]
    assert plan.drafts[0].owner == "12345"
    assert plan.drafts[0].item_id is None


def test_ref_that_is_an_item_id_of_the_unit_is_kept_as_item_id() -> None:
    rows = [row("JB-001"), row("hx-2"), row("jb-7")]
    plan = plan_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    assert [(d.source_ref, d.item_id) for d in plan.drafts] == [
        ("JB-001", "JB-001"),
        ("hx-2", None),  # another unit's id is only a reference here
        ("jb-7", "JB-007"),
    ]


def test_blank_and_numbered_template_rows_are_skipped() -> None:
    rows = [row(1), [2], [None] * 10, [3, None, "  "], row(4)]
    plan = plan_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    assert [d.source_ref for d in plan.drafts] == ["1", "4"]
    assert [d.row for d in plan.drafts] == [3, 7]


def test_vertically_merged_cells_fill_the_rows_they_span() -> None:
    rows = [
        row(1, category="党的建设", leader="李某某"),
        row(2, category=None, leader=None),
        row(3, category=None, leader="王某某"),
        row(4, category="其他"),
    ]
    data = book_bytes({"JB": ledger_sheet(rows)}, merges={"JB": ["A1:J1", "B3:B5", "E3:E4"]})
    drafts = plan_of(read(data)).drafts
    assert [d.category for d in drafts] == ["党的建设", "党的建设", "党的建设", "其他"]
    assert [d.leader for d in drafts] == ["李某某", "李某某", "王某某", "李某某"]


def test_sheets_without_a_header_are_skipped_and_listed() -> None:
    data = book_bytes(
        {
            "填表说明": [["请按模板填写"], ["序号请勿重复"]],
            "JB": ledger_sheet([row(1)]),
            "空表": [],
        }
    )
    plan = plan_of(read(data))
    assert [(s.title, s.reason) for s in plan.summary.skipped_sheets] == [
        ("填表说明", "no_header"),
        ("空表", "empty"),
    ]
    assert len(plan.drafts) == 1


def test_hidden_sheets_are_skipped(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "hidden.xlsx"
    path.write_bytes(book_bytes({"JB": ledger_sheet([row(1)]), "OLD": ledger_sheet([row(1)])}))
    wb = load_workbook(path)
    wb["OLD"].sheet_state = "hidden"
    wb.save(path)
    plan = plan_of(read(path))
    assert [u.code for u in plan.units] == ["JB"]
    assert [(s.title, s.reason) for s in plan.summary.skipped_sheets] == [("OLD", "hidden")]


def test_a_path_and_bytes_give_the_same_plan(tmp_path: Path) -> None:
    data = book_bytes({"JB": ledger_sheet([row(1), row(2)])})
    path = tmp_path / "台账.xlsx"
    path.write_bytes(data)
    assert read(path) == read(data)


def test_status_hint() -> None:
    assert status_hint("") is Status.OPEN
    assert status_hint("未整改") is Status.OPEN
    assert status_hint(" 已完成 ") is Status.CLOSED
    assert status_hint("已销号") is Status.CLOSED
    assert status_hint("整改中") is Status.IN_PROGRESS
    assert status_hint("已召开专题会议，正在修订制度") is Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("中共江北市局党组巡察反馈问题整改台账", "江北市局党组"),
        ("江北市局党组巡察整改台账", "江北市局党组"),
        ("中共河西市局党组关于巡察反馈意见整改落实情况的台账", "河西市局党组"),
        ("山南县局党组巡察反馈问题整改清单", "山南县局党组"),
        ("江北市局党组 — inspection rectification ledger", "江北市局党组"),
        ("填报日期：2026-11-20", None),
        ("整改台账", None),
    ],
)
def test_unit_name_from_title(title: str, name: str | None) -> None:
    assert unit_name_from_title(title) == name


# --------------------------------------------------------------------------- refusals


def only(issues: tuple[ImportIssue, ...]) -> ImportIssue:
    assert len(issues) == 1, issues
    return issues[0]


def test_one_bad_row_among_good_ones_yields_only_errors() -> None:
    rows = [row(1), row(2), row(3, deadline="2026-02-30"), row(4)]
    result = read(book_bytes({"JB": ledger_sheet(rows)}))
    issue = only(errors_of(result).issues)
    assert issue == ImportIssue(
        IssueCode.BAD_DATE,
        "JB",
        5,
        "整改时限",
        "H",
        {
            "field": "deadline",
            "value": "2026-02-30",
            "example": "2026-12-31",
            "problem": "no_such_date",
        },
    )


def test_every_problem_of_every_row_is_collected_in_order() -> None:
    rows = [
        row(1, category="作风问题"),  # bad category
        row(2, problem=None),  # missing problem
        row(None, problem="无序号的问题"),  # no 序号: numbered by its place, not refused
        row(4, deadline="下个月"),  # bad date
        row(5, deadline=None),  # missing deadline
        row(1),  # duplicate 序号
        row(7, deadline=3.5),  # a number is not a date
        row(8, measures="很长" * 1001),  # too long
    ]
    issues = errors_of(read(book_bytes({"JB": ledger_sheet(rows)}))).issues
    got = [(i.code, i.row, i.column, i.column_letter) for i in issues]
    assert got == [
        (IssueCode.BAD_CATEGORY, 3, "问题类别", "B"),
        (IssueCode.MISSING, 4, "问题描述", "C"),
        (IssueCode.BAD_DATE, 6, "整改时限", "H"),
        (IssueCode.MISSING, 7, "整改时限", "H"),
        (IssueCode.DUPLICATE_REF, 8, "序号", "A"),
        (IssueCode.BAD_DATE, 9, "整改时限", "H"),
        (IssueCode.TOO_LONG, 10, "整改措施", "D"),
    ]
    by_code = {i.code: i.params for i in issues}
    assert by_code[IssueCode.BAD_CATEGORY]["value"] == "作风问题"
    assert by_code[IssueCode.MISSING]["field"] in {"problem", "source_ref", "deadline"}
    assert by_code[IssueCode.DUPLICATE_REF] == {
        "field": "source_ref",
        "value": "1",
        "first_sheet": "JB",
        "first_row": 3,
    }
    assert issues[5].params["value"] == "3.5"
    assert by_code[IssueCode.TOO_LONG] == {"field": "measures", "length": 2002, "limit": 2000}
    assert issues[2].params["problem"] == "format"


def test_errors_report_the_header_text_found_in_the_file() -> None:
    header = [
        "编号",
        "类别",
        "反馈问题",
        "整改举措",
        "分管领导",
        "责任单位",
        "具体责任人",
        "完成时限",
    ]
    data = book_bytes({"JB": [header, ["1", "党的建设", "问题", "", "", "", "", "明年"]]})
    issue = only(errors_of(read(data)).issues)
    assert (issue.code, issue.column, issue.column_letter) == (IssueCode.BAD_DATE, "完成时限", "H")


def test_missing_required_columns_are_named_with_their_aliases() -> None:
    # 序号 and 问题类别 are optional now (issue 10); without a 时限 column the file is refused
    # naming it, together with the row problems found in the same pass
    header = ["问题描述", "责任人", "问题类别", "整改措施"]
    rows = [["台账"], header, ["问题", "赵某", "作风问题", ""]]
    issues = errors_of(read(book_bytes({"JB": rows})))
    got = [(i.code, i.sheet, i.row, i.column) for i in issues.issues]
    assert got == [
        (IssueCode.MISSING_COLUMN, "JB", 2, "整改时限"),
        (IssueCode.BAD_CATEGORY, "JB", 3, "问题类别"),
    ]
    assert issues.issues[0].params["aliases"] == ["完成时限", "整改期限", "时限", "完成时间"]


def test_a_second_column_of_a_field_is_kept_in_the_note() -> None:
    header = [*HEADER, "存在问题"]
    plan = plan_of(read(book_bytes({"JB": [header, [*row(1), "x"]]})))
    assert plan.drafts[0].problem == "问题"
    assert plan.drafts[0].note == "存在问题：x"
    (column,) = plan.summary.not_imported
    assert (column.header, column.reason, column.fields) == ("存在问题", "duplicate", ("problem",))


def test_sheet_title_that_is_not_a_unit_code_leaves_the_unit_to_its_name() -> None:
    plan = plan_of(read(book_bytes({"江北": ledger_sheet([row(1)])})))
    assert plan.units == ()
    assert [(d.unit, d.unit_name) for d in plan.drafts] == [("", "江北市局党组")]
    assert plan.summary.unit_names == ("江北市局党组",)


def test_unit_cells_with_names_or_nothing_are_left_to_resolve() -> None:
    rows = [["单位", *HEADER], ["江北", *row(1)], [None, *row(2)], ["JB", *row(3)]]
    plan = plan_of(read(book_bytes({"Sheet1": rows})))
    got = [(d.unit, d.unit_name, d.source_ref) for d in plan.drafts]
    assert got == [("", "江北", "1"), ("", "", "2"), ("JB", "", "3")]
    assert plan.summary.unit_names == ("江北", "")


def test_duplicate_ref_across_sheets_of_the_same_unit() -> None:
    data = book_bytes({"JB": ledger_sheet([row(1)]), "jb (2)": ledger_sheet([row(1)])})
    # "jb (2)": the code is the first word, upper-cased → JB again
    issue = only(errors_of(read(data)).issues)
    assert issue.code is IssueCode.DUPLICATE_REF
    assert (issue.sheet, issue.row) == ("jb (2)", 3)
    assert (issue.params["first_sheet"], issue.params["first_row"]) == ("JB", 3)


def test_no_ledger_sheet_at_all() -> None:
    data = book_bytes({"说明": [["这不是台账"]], "Sheet2": []})
    issue = only(errors_of(read(data)).issues)
    assert issue.code is IssueCode.NO_LEDGER
    assert issue.params == {"skipped": ["说明", "Sheet2"]}


def test_head_shows_twenty_then_a_count() -> None:
    rows = [row(n, category="不存在") for n in range(1, 31)]
    errors = errors_of(read(book_bytes({"JB": ledger_sheet(rows)})))
    shown, more = errors.head()
    assert len(shown) == 20 and more == 10
    assert [i.row for i in shown] == list(range(3, 23))


def test_column_table_has_unique_names() -> None:
    names = [n for c in LEDGER_COLUMNS for n in (c.zh, c.en, *c.aliases)]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------- default limits


def test_a_province_sized_workbook_is_within_the_default_limits() -> None:
    """201 unit sheets and 10,050 rows (over the first release's 200 sheets / 5000 rows)."""
    wb = Workbook(write_only=True)
    for u in range(201):
        ws = wb.create_sheet(f"U{u:03d}")
        ws.append(HEADER)
        for n in range(1, 51):
            ws.append(row(n))
    out = io.BytesIO()
    wb.save(out)
    plan = plan_of(read(out.getvalue()))
    assert len(plan.units) == 201 and len(plan.drafts) == 10_050


def test_sheets_over_the_default_cap_are_refused() -> None:
    wb = Workbook(write_only=True)
    for u in range(MAX_SHEETS + 1):
        wb.create_sheet(f"S{u}")
    out = io.BytesIO()
    wb.save(out)
    issue = only(errors_of(read(out.getvalue())).issues)
    assert issue == ImportIssue(
        IssueCode.TOO_MANY_SHEETS, params={"count": MAX_SHEETS + 1, "limit": MAX_SHEETS}
    )
    assert (MAX_SHEETS, MAX_ROWS, MAX_BYTES) == (1000, 100_000, 20_000_000)
