"""storage/xlsx_export.py: the workbook's shape, the light fills, the summary figures, and the
round trip through the importer."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from ledger.figures import figures
from ledger.model import (
    Endorsement,
    Evidence,
    Item,
    Light,
    ProgressNote,
    Status,
    Unit,
    Verification,
)
from ledger.rules import Rules
from locales import Catalog
from storage.xlsx_export import (
    ITEM_COLUMNS,
    LEDGER_FIELD_COLUMNS,
    LIGHT_FILLS,
    LINE_HEIGHT,
    WITHDRAWN_COLUMNS,
    UnitStats,
    Withdrawal,
    display_width,
    export_ledger,
    headers,
    row_height,
    total_stats,
    unit_stats,
    weekly_closed,
)
from storage.xlsx_import import REQUIRED, Field, ImportPlan, header_meaning
from tests.storage.xlsx_helpers import CATEGORIES, NOW, TZ, make_item, plan_of, read

RULES = Rules(categories=CATEGORIES)
JB = Unit("JB", "江北市局党组")
HX = Unit("HX", "河西市局党组")
HEADERS = headers("column", (c[0] for c in ITEM_COLUMNS), "zh-CN")


def col(name: str) -> int:
    return HEADERS.index(name) + 1


def ledger() -> dict[str, list[Item]]:
    """JB: one of each light and a long-term item; HX: one closed, one withdrawn."""
    evidence = Evidence("f1", "佐证.pdf", 10, "0" * 64, NOW - timedelta(days=2), 11)
    return {
        "JB": [
            make_item(seq=1, deadline=date(2026, 11, 20)),  # overdue → red
            make_item(seq=2, deadline=date(2026, 11, 30)),  # due within 7 days → yellow
            make_item(
                seq=3,
                problem="很长的问题描述，" * 12,
                deadline=date(2027, 3, 1),
                progress=(ProgressNote(NOW - timedelta(days=1), 11, "已召开专题会议"),),
            ),  # green
            make_item(
                seq=4,
                status=Status.CLOSED,
                deadline=date(2026, 11, 10),
                evidence=(evidence,),
                endorsement=Endorsement(12, NOW - timedelta(days=2)),
                verification=Verification(1, NOW - timedelta(days=1), "approved", "材料齐全"),
                closed_at=NOW - timedelta(days=1),
            ),
            make_item(seq=5, deadline=None, long_term=True, category="全面从严治党"),
            make_item(seq=10, problem='=HYPERLINK("http://x")\x07', measures="多行\n措施"),
        ],
        "HX": [
            make_item("HX", 1, status=Status.CLOSED, closed_at=NOW - timedelta(days=9)),
            make_item("HX", 2, status=Status.WITHDRAWN, withdrawn_reason="重复"),
        ],
    }


WITHDRAWN_AT = NOW - timedelta(days=4)


@pytest.fixture(scope="module")
def exported() -> bytes:
    return export_ledger(
        [JB, HX],
        ledger(),
        now=NOW,
        tz=TZ,
        rules=RULES,
        names={12: "王书记", 7: "巡察组张三"},
        withdrawals={"HX-002": Withdrawal(7, WITHDRAWN_AT)},
    )


@pytest.fixture(scope="module")
def wb(exported: bytes) -> Any:
    return load_workbook(io.BytesIO(exported))


def test_sheets_summary_first_then_units_then_the_withdrawn(wb: Any) -> None:
    assert wb.sheetnames == ["汇总", "JB", "HX", "已撤销事项"]


def test_unit_sheet_shape(wb: Any) -> None:
    ws = wb["JB"]
    assert ws["A1"].value == "中共江北市局党组巡察反馈问题整改台账"
    assert "A1:R1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == HEADERS
    assert HEADERS[:8] == ["序号", "问题类别", "问题描述", "整改措施", "责任领导", "责任部门"] + [
        "责任人",
        "整改时限",
    ]
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref == "A2:R8"
    assert ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape"
    assert [ws.cell(r, 1).value for r in range(3, 9)] == [
        f"JB-{n:03d}" for n in (1, 2, 3, 4, 5, 10)
    ]


def test_light_fills_and_labels(wb: Any) -> None:
    ws = wb["JB"]
    light = col("预警灯")
    fills = [ws.cell(r, light).fill.fgColor.rgb[-6:] for r in range(3, 8)]
    assert fills == [
        LIGHT_FILLS[Light.RED],
        LIGHT_FILLS[Light.YELLOW],
        LIGHT_FILLS[Light.GREEN],
        LIGHT_FILLS[Light.CLOSED],
        LIGHT_FILLS[Light.GREEN],
    ]
    assert [ws.cell(r, light).value for r in range(3, 8)] == ["红", "黄", "绿", "已销号", "绿"]
    assert ws.cell(3, col("超期天数")).value == 6
    assert ws.cell(4, col("超期天数")).value is None


def test_cells_are_typed(wb: Any) -> None:
    ws = wb["JB"]
    deadline = ws.cell(3, col("整改时限"))
    assert deadline.value == datetime(2026, 11, 20)  # noqa: DTZ001 - Excel dates are naive
    assert deadline.number_format == 'yyyy"年"m"月"d"日"'
    assert ws.cell(7, col("整改时限")).value == "长期坚持"
    assert ws.cell(3, col("状态")).value == "整改中"
    assert ws.cell(6, col("状态")).value == "已销号"
    assert ws.cell(5, col("最新进展")).value == "2026年11月25日 已召开专题会议"
    assert ws.cell(6, col("佐证数量")).value == 1
    # who endorsed and who verified, with the dates (names from the registry; else the id)
    assert ws.cell(6, col("签字背书")).value == "王书记\n2026年11月24日"
    assert ws.cell(6, col("核验")).value == "通过 · ID 1\n2026年11月25日\n材料齐全"
    closed = ws.cell(6, col("销号时间"))
    assert closed.value == datetime(2026, 11, 25)  # noqa: DTZ001 - a local date
    assert closed.number_format == 'yyyy"年"m"月"d"日"'


def test_user_text_is_never_a_formula(wb: Any) -> None:
    cell = wb["JB"].cell(8, col("问题描述"))
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x")'  # the control character is dropped


def test_withdrawn_items_are_listed_apart(wb: Any) -> None:
    assert [wb["HX"].cell(r, 1).value for r in (3, 4)] == ["HX-001", None]
    ws = wb["已撤销事项"]
    assert ws["A1"].value == "已撤销事项（不计入台账总数与各项比率）"
    assert [c.value for c in ws[2]] == [
        "撤销事项编号",
        "所属单位",
        "事项内容",
        "撤销理由",
        "撤销人及时间",
    ]
    assert [c.value for c in ws[3]] == [
        "HX-002",
        "河西市局党组（HX）",
        "问题2：党内组织生活不规范",
        "重复",
        "巡察组张三\n2026年11月22日",
    ]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    nothing = export_ledger([JB], ledger(), now=NOW, tz=TZ, rules=RULES)
    assert load_workbook(io.BytesIO(nothing)).sheetnames == ["汇总", "JB"]


def test_column_widths_count_chinese_as_two(wb: Any) -> None:
    ws = wb["JB"]
    assert ws.column_dimensions["C"].width == 30 + 2  # long problem text: capped, wrapped
    assert ws.column_dimensions["E"].width == 8 + 2  # 责任领导 = 4 CJK characters
    assert ws.column_dimensions["A"].width == 6 + 2  # "JB-001"
    assert display_width("江北 JB") == 7
    assert display_width("ＡＢ") == 4  # full-width
    assert display_width("短\n很长的一行") == 10


def test_summary_sheet(wb: Any) -> None:
    ws = wb["汇总"]
    assert ws["A1"].value == "巡察整改汇总（截至 2026年11月26日）"
    assert [c.value for c in ws[2]] == [
        "单位代码",
        "单位名称",
        "台账总数",
        "未整改",
        "整改中",
        "待签字",
        "待核验",
        "已销号",
        "长期坚持",
        "超期",
        "逾期完成",
        "已撤销",
        "整改完成率",
        "销号率",
    ]
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_row=5)]
    # The numbers are ledger.figures': JB 6 items, 5 in progress and 1 closed, 1 overdue.
    jb = figures(ledger()["JB"], NOW, TZ, RULES)
    assert values[0] == [
        "JB",
        "江北市局党组",
        jb.total,
        jb.open,
        jb.in_progress,
        jb.submitted,
        jb.endorsed,
        jb.closed,
        jb.monitoring,
        jb.overdue,
        jb.closed_late,
        jb.withdrawn,
        0.166,  # 1/6 cut, never rounded up
        0.166,
    ]
    # JB-004 was closed 15 days after its deadline: 逾期完成 1
    assert values[0][2:12] == [6, 0, 5, 0, 0, 1, 0, 1, 1, 0]
    assert values[1] == ["HX", "河西市局党组", 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1]
    assert values[2] == [None, "合计", 7, 0, 5, 0, 0, 2, 0, 1, 1, 1, 0.285, 0.285]
    for row in values:  # the status parts add up to 台账总数, the units to 合计
        assert sum(row[3:9]) == row[2]
    assert ws.cell(3, 13).number_format == "0.0%"
    assert ws.freeze_panes == "C3"
    assert ws.auto_filter.ref == "A2:N4"  # the units, not the 合计 line
    assert ws.print_title_rows == "$1:$2"


def test_unit_stats_are_the_ledger_figures() -> None:
    items = [*ledger()["JB"], make_item(seq=11, status=Status.WITHDRAWN)]
    stats = unit_stats(JB, items, now=NOW, tz=TZ, rules=RULES)
    assert stats == UnitStats("JB", "江北市局党组", figures(items, NOW, TZ, RULES))
    assert stats.figures.withdrawn == 1 and stats.figures.total == 6
    assert total_stats([stats, stats]).figures.total == 12


def test_days_late_column() -> None:
    data = export_ledger([JB], ledger(), now=NOW, tz=TZ, rules=RULES)
    ws = load_workbook(io.BytesIO(data))["JB"]
    assert ws.cell(6, col("逾期完成天数")).value == 15  # JB-004: deadline 11-10, closed 11-25
    assert ws.cell(3, col("逾期完成天数")).value is None  # not closed


def test_weekly_closed_counts_by_local_monday() -> None:
    closed = [
        make_item(seq=n, status=Status.CLOSED, closed_at=NOW - timedelta(days=d))
        for n, d in enumerate((0, 1, 3, 7, 8, 30, 100), start=1)
    ]
    late_sunday = make_item(
        seq=9, status=Status.CLOSED, closed_at=datetime(2026, 11, 22, 16, 30, tzinfo=TZ)
    )
    reopened = make_item(seq=10, status=Status.IN_PROGRESS, closed_at=None)
    weeks = weekly_closed([*closed, late_sunday, reopened], now=NOW, tz=TZ, weeks=6)
    assert [d for d, _ in weeks] == [date(2026, 10, 19) + timedelta(weeks=k) for k in range(6)]
    assert [n for _, n in weeks] == [0, 1, 0, 0, 3, 3]


def test_english_labels() -> None:
    data = export_ledger([JB], ledger(), now=NOW, tz=TZ, rules=RULES, lang="en")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "JB"]
    ws = wb["JB"]
    assert ws["A1"].value == "江北市局党组 — inspection rectification ledger"
    assert [c.value for c in ws[2]][:8] == [
        "No.",
        "Category",
        "Problem",
        "Measures",
        "Leader",
        "Department",
        "Owner",
        "Deadline",
    ]
    assert [c.value for c in wb["Summary"][2]][:3] == ["Unit code", "Unit name", "Items"]
    assert ws.cell(7, col("整改时限")).value == "long-term"
    assert ws.cell(3, col("预警灯")).value == "red"
    with pytest.raises(ValueError):
        export_ledger([JB], {}, now=NOW, tz=TZ, rules=RULES, lang="fr")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_column_words_come_from_the_locales_and_the_importer_knows_them(lang: str) -> None:
    """The headers are locales/*/export.toml words (issue 13, move 6): each 台账 field column's
    word is what the importer reads as that field; the withdrawn sheet's lack the required
    ones (问题描述, 整改时限), so a re-import skips that sheet."""
    catalog = Catalog.load()
    keys = [c[0] for c in ITEM_COLUMNS]
    words = headers("column", keys, lang)
    assert words == [catalog.raw(lang, f"export.column.{k}") for k in keys]
    for key, text in zip(keys, words, strict=True):
        if key in LEDGER_FIELD_COLUMNS:
            assert header_meaning(text) == (Field(key), ()), text
    withdrawn = headers("withdrawn_column", (c[0] for c in WITHDRAWN_COLUMNS), lang)
    read_as = {header_meaning(text)[0] for text in withdrawn}
    assert not read_as & set(REQUIRED), read_as


def test_a_unit_without_items_gets_an_empty_sheet() -> None:
    data = export_ledger([JB], {}, now=NOW, tz=TZ, rules=RULES)
    wb = load_workbook(io.BytesIO(data))
    assert wb["JB"].max_row == 2
    assert wb["汇总"]["M3"].value == "—"


# --------------------------------------------------------------------------- round trip


def ledger_fields(item: Item) -> tuple[object, ...]:
    return (
        item.unit,
        item.id,
        item.category,
        item.problem,
        item.measures,
        item.leader,
        item.department,
        item.owner,
        item.deadline,
        item.long_term,
    )


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_round_trip_reproduces_the_ledger_fields(lang: str) -> None:
    items = ledger()
    data = export_ledger([JB, HX], items, now=NOW, tz=TZ, rules=RULES, lang=lang)
    plan = plan_of(read(data))
    assert [(u.code, u.name) for u in plan.units] == [("JB", JB.name), ("HX", HX.name)]
    skipped = [s.title for s in plan.summary.skipped_sheets]
    assert skipped == (["Summary", "Withdrawn"] if lang == "en" else ["汇总", "已撤销事项"])
    expected = [
        ledger_fields(i)
        for unit in ("JB", "HX")
        for i in items[unit]
        if i.status is not Status.WITHDRAWN
    ]
    got = [
        (
            d.unit,
            d.item_id,
            d.category,
            d.problem,
            d.measures,
            d.leader,
            d.department,
            d.owner,
            d.deadline,
            d.long_term,
        )
        for d in plan.drafts
    ]
    expected[5] = (*expected[5][:3], '=HYPERLINK("http://x")', *expected[5][4:])  # \x07 dropped
    assert got == expected
    assert all(d.source_ref == d.item_id for d in plan.drafts)
    long_term = [d for d in plan.drafts if d.long_term]
    assert [d.item_id for d in long_term] == ["JB-005"]


def test_round_trip_keeps_the_light_fills_on_reexport() -> None:
    """Export, import, rebuild items from the drafts, export again: same 台账 and lights."""
    items = ledger()["JB"]
    first = export_ledger([JB], {"JB": items}, now=NOW, tz=TZ, rules=RULES)
    plan = read(first)
    assert isinstance(plan, ImportPlan)
    by_id = {i.id: i for i in items}
    rebuilt = [
        replace(by_id[d.item_id], problem=d.problem, deadline=d.deadline, long_term=d.long_term)
        for d in plan.drafts
        if d.item_id
    ]
    second = export_ledger([JB], {"JB": rebuilt}, now=NOW, tz=TZ, rules=RULES)
    a, b = (load_workbook(io.BytesIO(x))["JB"] for x in (first, second))
    light = col("预警灯")
    assert [a.cell(r, light).fill.fgColor.rgb for r in range(3, 9)] == [
        b.cell(r, light).fill.fgColor.rgb for r in range(3, 9)
    ]
    assert [[c.value for c in r] for r in a.iter_rows(min_row=3, max_col=8)] == [
        [c.value for c in r] for r in b.iter_rows(min_row=3, max_col=8)
    ]


def test_today_is_taken_in_the_zone() -> None:
    # 2026-11-26 01:00 in Shanghai is still 11-25 in UTC: the deadline day counts in Shanghai
    late = make_item(deadline=date(2026, 11, 25))
    early = datetime(2026, 11, 26, 1, 0, tzinfo=TZ)
    data = export_ledger([JB], {"JB": [late]}, now=early, tz=TZ, rules=RULES)
    assert load_workbook(io.BytesIO(data))["JB"].cell(3, col("超期天数")).value == 1


# --------------------------------------------------------------------------- printing


ENGLISH_STATE_WORDS = re.compile(
    r"\b(open|in_progress|submitted|endorsed|closed|monitoring|withdrawn|reopened|"
    r"approved|rejected|red|yellow|green|long[-_ ]term)\b",
    re.IGNORECASE,
)


def every_state() -> dict[str, list[Item]]:
    """One item in each status, with a verification of each result (reopened included)."""
    at = NOW - timedelta(days=1)
    return {
        "JB": [
            make_item(seq=n, status=status, deadline=date(2026, 11, 20 + n))
            for n, status in enumerate(Status, start=1)
        ]
        + [
            make_item(seq=20 + n, verification=Verification(1, at, result, "说明"))
            for n, result in enumerate(("approved", "rejected", "reopened", "odd"))
        ]
        + [make_item(seq=30, long_term=True, deadline=None, status=Status.MONITORING)]
    }


def test_no_cell_of_a_chinese_export_holds_an_english_state_word() -> None:
    data = export_ledger([JB], every_state(), now=NOW, tz=TZ, rules=RULES)
    wb = load_workbook(io.BytesIO(data))
    cells = [
        (ws.title, cell.coordinate, cell.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert len(wb.worksheets) == 3 and len(cells) > 100
    english = [c for c in cells if ENGLISH_STATE_WORDS.search(c[2])]
    assert english == []
    statuses = {wb["JB"].cell(r, col("状态")).value for r in range(3, wb["JB"].max_row + 1)}
    assert statuses == {"未整改", "整改中", "待签字", "待核验", "已销号", "长期坚持"}
    verified = [wb["JB"].cell(r, col("核验")).value for r in range(3, wb["JB"].max_row + 1)]
    assert {v.split(" · ")[0] for v in verified if v} == {"通过", "退回", "重新打开", "核验"}


def test_print_settings_of_every_sheet(wb: Any) -> None:
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9, ws.title  # A4
        assert setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)  # one page wide, any tall
        assert ws.print_title_rows == "$1:$2"
        assert ws.print_options.horizontalCentered is True


def test_long_cells_wrap_and_their_rows_are_tall_enough(wb: Any) -> None:
    ws = wb["JB"]
    problem = ws.cell(5, col("问题描述"))  # "很长的问题描述，" × 12: 96 characters
    assert problem.alignment.wrap_text is True
    assert ws.cell(3, col("整改措施")).alignment.wrap_text is True
    width = ws.column_dimensions["C"].width  # 32 characters, CJK counting 2
    lines = -(-display_width(problem.value) // (int(width) - 1))
    assert lines == 7
    assert ws.row_dimensions[5].height == lines * LINE_HEIGHT + 3
    # a one-line row is still written (LibreOffice and WPS do not grow rows themselves)
    assert ws.row_dimensions[3].height == LINE_HEIGHT + 3
    # a two-line cell (its own line break) gets two lines
    assert ws.row_dimensions[8].height == 2 * LINE_HEIGHT + 3
    assert all(ws.row_dimensions[r].height is not None for r in range(2, ws.max_row + 1))


def test_row_height_rules() -> None:
    assert row_height(["短"], [10]) == LINE_HEIGHT + 3
    assert row_height(["一" * 9], [10]) == 2 * LINE_HEIGHT + 3  # 18 columns in 9
    assert row_height(["a\nb\nc", 12345, date(2026, 1, 1)], [10, 2, 2]) == 3 * LINE_HEIGHT + 3
    assert row_height(["长" * 100_000], [10]) == 409  # Excel's largest
