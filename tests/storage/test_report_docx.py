"""The 整改情况报告 (.docx): its sections, its numbers (exactly ``ledger.figures``), the
survey's comments only in an inspector's copy, placeholders for the unit, the annex table and
the official formatting (A4, fonts by East Asian name with fallbacks, page-number field)."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Pt

from app.clock import FakeClock
from app.report import report_bytes, unit_report
from app.services import Services
from config import Config
from ledger.figures import figures, format_rate
from ledger.model import Status
from locales import Catalog
from storage.repo import Store
from storage.report_docx import chinese_numeral
from tests.storage.report_world import COMMENTS, NOW, TZ, UNIT, build

HEADINGS = (
    "一、基本情况",
    "二、整改完成情况",
    "三、未完成事项及原因",
    "四、下一步措施",
    "五、回头看情况",
    "六、满意度测评情况",
)


@pytest.fixture(scope="module")
def services() -> Services:
    store = Store.memory()
    build(store)
    from pathlib import Path

    return Services.create(Config(path=Path("config.toml")), store, FakeClock(NOW), Catalog.load())


def open_report(services: Services, *, comments: bool = True, lang: str = "zh-CN"):
    return Document(io.BytesIO(report_bytes(services, UNIT, lang, comments=comments)))


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_sections_in_order_and_the_title(services: Services) -> None:
    doc = open_report(services)
    lines = texts(doc)
    positions = [lines.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    unit = services.store.registry.get_unit(UNIT)
    assert unit is not None
    assert f"中共{unit.name}关于{unit.round}反馈意见整改情况的报告" in lines
    assert "（截至2026年3月2日）" in lines
    assert "附件" in lines and f"{unit.name}巡察反馈问题整改台账" in lines
    assert any("2025年12月20日反馈问题" in line for line in lines)  # the milestone's feedback


def test_the_figures_are_the_figures_function_s(services: Services) -> None:
    items = services.store.ledger(UNIT).items()
    f = figures(items, NOW, TZ, services.rules)
    assert f.total and f.overdue and f.done and f.monitoring  # a ledger worth reporting
    parts = "、".join(
        f"{services.catalog.plain('zh-CN', f'status.{s}')} {n} 项" for s, n in f.status_parts()
    )
    expected = (
        f"截至2026年3月2日，台账共 {f.total} 项：{parts}；超期 {f.overdue} 项，逾期完成 "
        f"{f.closed_late} 项。整改完成率 {format_rate(f.completion_rate)}，销号率 "
        f"{format_rate(f.closeout_rate)}。"
    )
    lines = texts(open_report(services))
    assert expected in lines
    assert "已销号 2 项、长期坚持 1 项" in expected  # as /unit shows them: apart
    assert unit_report(services, UNIT, NOW, comments=False).figures == f
    # 基本情况: the items by category add up to the total.
    basic = lines[lines.index(HEADINGS[0]) + 1]
    counted = [int(n) for n in re.findall(r"方面 (\d+) 项", basic)]
    assert sum(counted) == f.total and f"反馈问题 {f.total} 项" in basic


def test_each_category_lists_its_closed_items_with_measures_and_evidence(
    services: Services,
) -> None:
    items = [i for i in services.store.ledger(UNIT).items() if i.status is not Status.WITHDRAWN]
    lines = texts(open_report(services))
    start, end = lines.index(HEADINGS[1]), lines.index(HEADINGS[2])
    section = lines[start:end]
    categories = list(
        dict.fromkeys(c for c in services.rules.categories if any(i.category == c for i in items))
    )
    for n, category in enumerate(categories, start=1):
        mine = [i for i in items if i.category == category]
        closed = [i for i in mine if i.status in (Status.CLOSED, Status.MONITORING)]
        head = (
            f"（{chinese_numeral(n)}）{category}方面（共 {len(mine)} 项，已销号 {len(closed)} 项）"
        )
        assert head in section, head
        for item in closed:
            line = next(s for s in section if item.id in s)
            assert f"佐证材料 {len(item.evidence)} 份" in line
            assert item.measures.rstrip("。") in line


def test_unfinished_items_with_latest_progress_and_places_for_the_unit(
    services: Services,
) -> None:
    doc = open_report(services)
    lines = texts(doc)
    section = lines[lines.index(HEADINGS[2]) : lines.index(HEADINGS[3])]
    content = unit_report(services, UNIT, NOW, comments=False)
    assert content.unfinished
    for entry in content.unfinished:
        line = next(s for s in section if entry.item.id in s)
        assert (
            ("长期坚持" in line)
            if entry.long_term
            else (f"已超期 {entry.days_overdue} 天" in line)
        )
        if entry.item.last_progress is not None:
            assert entry.item.last_progress.text.rstrip("。")[:20] in line
    marked = [
        r.text
        for p in doc.paragraphs
        for r in p.runs
        if r.font.highlight_color == WD_COLOR_INDEX.YELLOW
    ]
    assert "【请单位填写未完成原因及下一步整改计划】" in marked
    assert any("长效机制" in m for m in marked) and "【主送机关】" in marked


def test_lookback_and_survey_results_and_comments_only_for_inspectors(
    services: Services,
) -> None:
    lines = texts(open_report(services))
    lookback = lines[lines.index(HEADINGS[4]) + 1]
    assert "抽查已销号事项 3 项" in lookback and "通过 2 项，发现反弹 1 项" in lookback
    assert any("巩固措施定到位未到位" in s and "长效制度尚未建立" in s for s in lines)
    survey = lines[lines.index(HEADINGS[5]) + 1]
    assert "收回有效答卷 3 份" in survey and "满意率" in survey
    assert all(any(c in s for s in lines) for c in COMMENTS)
    leader_copy = texts(open_report(services, comments=False))
    assert not any(c in s for c in COMMENTS for s in leader_copy)
    assert "收回有效答卷 3 份" in leader_copy[leader_copy.index(HEADINGS[5]) + 1]


def test_the_annex_table_is_the_ledger(services: Services) -> None:
    doc = open_report(services)
    [table] = doc.tables
    ids = [row.cells[1].text for row in table.rows[1:]]
    kept = [i.id for i in services.store.ledger(UNIT).items() if i.status is not Status.WITHDRAWN]
    assert ids == kept
    assert table.rows[0].cells[3].text == "问题描述"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    annex = doc.sections[1]
    assert annex.page_width > annex.page_height  # landscape


def test_official_formatting(services: Services) -> None:
    doc = open_report(services)
    first = doc.sections[0]
    size = (round(first.page_width.mm), round(first.page_height.mm))
    assert size == (210, 297)  # A4 (lengths are stored in twips)
    assert round(first.top_margin.mm) == 37 and round(first.left_margin.mm) == 28

    def east_asian(run) -> str:
        return run._element.rPr.rFonts.get(qn("w:eastAsia"))

    title = next(p for p in doc.paragraphs if p.text.endswith("整改情况的报告"))
    assert east_asian(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)
    body = next(p for p in doc.paragraphs if p.text.startswith("本轮巡察"))
    assert east_asian(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    heading = next(p for p in doc.paragraphs if p.text == HEADINGS[0])
    assert east_asian(heading.runs[0]) == "黑体"
    footer = first.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    fonts = next(
        r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")
    ).blob.decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert '<w:font w:name="黑体"><w:altName w:val="SimHei"/>' in fonts


def test_english_report(services: Services) -> None:
    lines = texts(open_report(services, lang="en"))
    assert "1. Overview" in lines and "6. Satisfaction survey" in lines
    assert any(line.startswith("As of 2026-03-02") for line in lines)


def test_chinese_numerals() -> None:
    assert [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 35)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
    ]
