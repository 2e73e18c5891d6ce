"""handlers/excel_text.py: every import problem has its own words in both languages, file
text is escaped (R24), and no list outgrows a Telegram message whatever the file holds."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest

from handlers.common import to_plain
from handlers.excel_text import issue_text, issues_text, preview_text
from locales import LANGUAGES, Catalog
from storage.ledger_import import ImportOutcome, ItemUpdate, UnitOutcome
from storage.xlsx_import import (
    ImportErrors,
    ImportIssue,
    ImportPlan,
    ImportSummary,
    IssueCode,
    SkippedSheet,
)
from tests.storage.xlsx_helpers import SAMPLE, plan_of, read

CATALOG = Catalog.load()
LIMIT = 4096

# One issue of every code and variant, with the params storage/xlsx_import.py documents.
EVERY_ISSUE = [
    ImportIssue(
        IssueCode.TOO_BIG, params={"size": 25_000_000, "limit": 20_000_000, "what": "file"}
    ),
    ImportIssue(IssueCode.TOO_BIG, params={"size": 3 * 10**8, "limit": 10**8, "what": "unpacked"}),
    *(
        ImportIssue(IssueCode.NOT_XLSX, params={"reason": reason})
        for reason in ("not_zip", "xls_or_encrypted", "not_workbook", "unsafe_xml", "damaged")
    ),
    ImportIssue(IssueCode.TOO_MANY_SHEETS, params={"count": 1001, "limit": 1000}),
    ImportIssue(IssueCode.TOO_MANY_ROWS, "JB", 100_003, params={"limit": 100_000}),
    ImportIssue(IssueCode.NO_LEDGER, params={"skipped": ["说明", "Sheet2"]}),
    ImportIssue(
        IssueCode.MISSING_COLUMN,
        "JB",
        2,
        "整改时限",
        params={"field": "deadline", "header": "整改时限", "aliases": ["完成时限", "时限"]},
    ),
    ImportIssue(
        IssueCode.DUPLICATE_COLUMN,
        "JB",
        2,
        "问题内容",
        "F",
        {"field": "problem", "first_column": "问题描述"},
    ),
    ImportIssue(IssueCode.BAD_UNIT, "说明书", params={"value": "说明书"}),
    ImportIssue(IssueCode.BAD_UNIT, "全部", 5, "单位", "A", {"field": "unit", "value": "江北"}),
    ImportIssue(IssueCode.MISSING, "JB", 5, "问题描述", "C", {"field": "problem"}),
    *(
        ImportIssue(
            IssueCode.BAD_DATE,
            "JB",
            5,
            "整改时限",
            "H",
            {"field": "deadline", "value": "x", "example": "2026-12-31", "problem": problem},
        )
        for problem in ("format", "no_such_date", "out_of_range", "empty")
    ),
    ImportIssue(
        IssueCode.BAD_CATEGORY,
        "JB",
        5,
        "问题类别",
        "B",
        {"field": "category", "value": "纪律", "allowed": ["党的建设", "其他"]},
    ),
    ImportIssue(
        IssueCode.DUPLICATE_REF,
        "JB",
        6,
        "序号",
        "A",
        {"field": "source_ref", "value": "3", "first_sheet": "JB", "first_row": 5},
    ),
    ImportIssue(
        IssueCode.TOO_LONG,
        "JB",
        5,
        "整改措施",
        "D",
        {"field": "measures", "length": 2100, "limit": 2000},
    ),
    ImportIssue(
        IssueCode.CONFLICT,
        "JB",
        6,
        "序号",
        params={"item_id": "JB-002", "first_sheet": "JB", "first_row": 4},
    ),
    ImportIssue(
        IssueCode.LOCKED,
        "JB",
        6,
        "整改时限",
        params={"item_id": "JB-002", "status": "closed", "fields": ["deadline", "owner"]},
    ),
    *(
        ImportIssue(
            IssueCode.INVALID,
            "JB",
            6,
            "问题类别",
            params={"item_id": item_id, "field": "category", "problem": "unknown", "value": "x"},
        )
        for item_id in (None, "JB-002")
    ),
    *(
        ImportIssue(IssueCode.TOO_COMPLEX, "JB", row, params={"what": what, "limit": 1000})
        for what, row in (("row_cells", 4), ("cells", 9), ("merged", None), ("blank_rows", 7))
    ),
]


def test_every_code_is_in_the_table() -> None:
    assert {i.code for i in EVERY_ISSUE} == set(IssueCode)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "issue", EVERY_ISSUE, ids=lambda i: f"{i.code}-{sorted(i.params.items())}"
)
def test_every_issue_has_its_own_words(
    lang: str, issue: ImportIssue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="locales"):
        text = issue_text(CATALOG, lang, issue)
    assert not caplog.records, caplog.text  # every placeholder had a value
    assert "…" not in text
    plain = to_plain(text)
    assert plain.startswith("• ")
    if issue.sheet:
        assert issue.sheet in plain
    if issue.row:
        assert str(issue.row) in plain
    if issue.column:
        assert issue.column in plain


def test_a_closed_item_is_named_with_its_status_and_fields() -> None:
    locked = next(i for i in EVERY_ISSUE if i.code is IssueCode.LOCKED)
    assert to_plain(issue_text(CATALOG, "zh-CN", locked)) == (
        "• 工作表“JB”第 6 行“整改时限”列：事项 JB-002 当前为“已销号”，不能通过导入修改"
        "（整改时限、责任人）"
    )
    assert "is “Closed” and cannot be changed by an import (Deadline, Owner)" in to_plain(
        issue_text(CATALOG, "en", locked)
    )


def test_file_text_is_escaped() -> None:
    issue = ImportIssue(
        IssueCode.BAD_DATE,
        "<b>&",
        3,
        "<i>",
        params={"field": "deadline", "value": "<script>", "example": "2026", "problem": "format"},
    )
    text = issue_text(CATALOG, "zh-CN", issue)
    assert "<b>" not in text and "<script>" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_long_problems_never_outgrow_a_message(lang: str) -> None:
    huge = "长" * 2000
    issues = tuple(
        ImportIssue(
            IssueCode.BAD_CATEGORY,
            "很长的工作表名称" * 4,
            n,
            huge,
            params={"field": "category", "value": huge, "allowed": [huge] * 10},
        )
        for n in range(3, 40)
    )
    text = issues_text(
        CATALOG, lang, ImportErrors(issues), file_name=huge, head="excel.import.refused_head"
    )
    assert len(to_plain(text)) < LIMIT
    assert "37" in to_plain(text).splitlines()[0]  # the count is of every problem


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_province_preview_fits_a_message(lang: str) -> None:
    units = tuple(
        UnitOutcome(f"U{n:03d}", "很长的单位名称" * 6, True, 50, 0, 0) for n in range(300)
    )
    updates = tuple(
        ItemUpdate(f"U001-{n:03d}", ("deadline", "owner"), "U001", n) for n in range(99)
    )
    skipped = tuple(SkippedSheet(f"说明{n}" * 10, "no_header") for n in range(40))
    summary = ImportSummary((), 15_000, 10, date(2026, 1, 1), date(2027, 1, 1), 3, skipped)
    plan = ImportPlan((), (), summary)
    text = preview_text(
        CATALOG, lang, plan, ImportOutcome(units, updates), file_name="x.xlsx", minutes=30
    )
    assert len(to_plain(text)) < LIMIT


def test_the_sample_preview_in_english() -> None:
    plan = plan_of(read(SAMPLE))
    units = tuple(UnitOutcome(u.code, u.name, True, 6, 0, 0) for u in plan.units)
    text = to_plain(
        preview_text(
            CATALOG, "en", plan, ImportOutcome(units, ()), file_name="sample.xlsx", minutes=30
        )
    )
    assert "3 unit(s), 18 item(s): 18 new, 0 updated, 0 unchanged." in text
    assert "• JB 江北市局党组 (new unit): 6 item(s) (6 new, 0 updated, 0 unchanged)" in text
    assert text.endswith("Import it? (valid for 30 minutes)")


def test_a_preview_of_several_units_names_each_units_categories() -> None:
    """Issue 10: the preview says per unit which categories were found, and how many problems
    each; the counts add up to the unit's rows."""
    plan = plan_of(read(SAMPLE))
    units = tuple(UnitOutcome(u.code, u.name, True, 6, 0, 0) for u in plan.units)
    text = to_plain(
        preview_text(
            CATALOG, "zh-CN", plan, ImportOutcome(units, ()), file_name="sample.xlsx", minutes=30
        )
    )
    lines = text.splitlines()
    for unit in units:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"• {unit.code} "))
        shown = lines[at + 1]
        assert shown.startswith("　问题类别：")
        counts = [int(n) for n in re.findall(r" (\d+) 项", shown)]
        assert sum(counts) == unit.rows
        for draft in plan.drafts:
            if draft.unit == unit.code:
                assert draft.category in shown
    assert "　问题类别：全面从严治党 3 项、党的建设 2 项、党的领导 1 项" in lines
