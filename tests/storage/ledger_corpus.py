"""A corpus of 台账 laid out the way county and city offices write them (issue 10).

Deterministic: :func:`write_corpus` writes every layout into a directory (a test's tmp dir)
with openpyxl (.xlsx), xlwt (.xls, Excel 97–2003) and python-docx (.docx), and each
:class:`Layout` says what importing it must give: the units (registered beforehand or named by
the import), the items with their categories, measures, owners and deadlines.

Deadlines are given as a date, ``LONG`` (长期坚持) or a wording read relative to the day of
import (``Relative("立行立改")``): tests compute those with the same ``today``.

Run as a script to write the corpus into a folder: ``python tests/storage/ledger_corpus.py DIR``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import xlwt
from openpyxl.utils import get_column_letter

from ledger.calendar import WorkCalendar
from ledger.dates import parse_deadline
from ledger.model import Item
from storage.repo import Store

LONG = "长期坚持"


@dataclass(frozen=True)
class Relative:
    """A deadline wording whose date depends on the day it is read (立行立改, 12月底前 …)."""

    wording: str


Deadline = date | str | Relative


@dataclass(frozen=True)
class M:
    """An expected measure: its text, owner, department and deadline."""

    text: str
    owner: str
    department: str
    deadline: Deadline


@dataclass(frozen=True)
class Expect:
    """An expected item: unit code, category, problem, measures, words its note holds."""

    unit: str
    category: str
    problem: str
    measures: tuple[M, ...]
    note: tuple[str, ...] = ()
    leader: str = ""


@dataclass(frozen=True)
class Layout:
    """One corpus file: how to write it, and what importing it gives.

    ``registered``: units to register before importing (name matching); ``chosen``: the unit
    code a person picks for each name the file gives that matches none (chat buttons); ``unit``:
    the code given for rows naming no unit (the chat caption, the shell's ``--unit``)."""

    name: str
    what: str
    write: Callable[[Path], None]
    items: tuple[Expect, ...]
    registered: tuple[tuple[str, str], ...] = ()
    chosen: tuple[tuple[str, str], ...] = ()
    unit: str | None = None
    new_units: tuple[tuple[str, str], ...] = ()  # (code, name) the import creates
    skipped_rows: tuple[tuple[str, int, str], ...] = ()  # (sheet, row, reason)
    not_imported: tuple[tuple[str, str], ...] = ()  # (header, reason)
    default_category: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _sheet(ws: Any, rows: Sequence[Sequence[object]]) -> None:
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(r, c, value)


def _merge_down(ws: Any, column: int, first: int, last: int) -> None:
    """Merge a column over rows, keeping only the first row's value (as Excel does)."""
    for r in range(first + 1, last + 1):
        ws.cell(r, column).value = None
    ws.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)


def _merge_across(ws: Any, row: int, width: int) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


# --------------------------------------------------------------------------- 1


P1 = "贯彻落实中央八项规定精神不严格，公务接待存在超标准问题"
P2 = "意识形态工作责任制落实不到位，未按要求每半年专题研究"
P3 = "基层党组织“三会一课”制度执行不规范，记录不完整"


def write_sections(path: Path) -> None:
    """Section rows instead of a category column; the title names the unit; one problem
    merged over three measure rows, each with its own owner and deadline; 1. numbering;
    具体整改措施 / 责任科室 / 整改完成情况 / 佐证材料 and an unknown 督办情况; a spacer and
    footer rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    header = ["序号", "反馈问题", "具体整改措施", "责任领导", "责任科室", "责任人"]
    header += ["整改时限", "整改完成情况", "佐证材料", "督办情况"]
    rows: list[Sequence[object]] = [
        ["中共东岭县局党组关于巡察反馈意见整改落实情况台账"],
        ["填报日期：2026年3月1日"],
        header,
        ["一、贯彻落实党的路线方针政策方面（2个问题）"],
        ["1.", P1, "制定公务接待管理办法，严格执行接待标准", "李局长", "办公室", "赵某"]
        + ["2026年12月底前", "整改中", "会议纪要", "已督办"],
        ["1.", P1, "对2025年以来公务接待逐笔清理，超标准部分个人退赔", "李局长", "财务科"]
        + ["钱某", "立行立改", "整改中"],
        ["1.", P1, "每季度通报公务接待情况", "李局长", "办公室", "孙某"]
        + ["长期坚持，每季度通报一次", "整改中"],
        ["2.", P2, "修订意识形态工作责任制实施细则，每半年专题研究一次", "张书记", "人事科"]
        + ["周某", "12月底前", "未整改"],
        [],
        ["（二）党的建设方面"],
        ["3.", P3, "开展支部标准化建设，规范“三会一课”记录", "张书记", "机关党委", "吴某"]
        + ["2027年1月15日前", "未整改"],
        ["填表人：李某", None, None, None, "联系电话：0571-88886666"],
        ["注：整改时限以党组会议审定为准。"],
    ]
    _sheet(ws, rows)
    _merge_across(ws, 1, len(header))
    _merge_across(ws, 4, len(header))
    _merge_across(ws, 10, len(header))
    for column in (1, 2, 4, 8):
        _merge_down(ws, column, 5, 7)
    wb.save(path)


SECTIONS = Layout(
    "01_分节行无类别列.xlsx",
    "section rows as categories, unit in the title, one problem with three measures, footers",
    write_sections,
    (
        Expect(
            "DL",
            "贯彻落实党的路线方针政策方面",
            P1,
            (
                M("制定公务接待管理办法，严格执行接待标准", "赵某", "办公室", date(2026, 12, 31)),
                M(
                    "对2025年以来公务接待逐笔清理，超标准部分个人退赔",
                    "钱某",
                    "财务科",
                    Relative("立行立改"),
                ),
                M("每季度通报公务接待情况", "孙某", "办公室", LONG),
            ),
            note=("佐证材料：会议纪要", "督办情况：已督办", "每季度通报一次"),
            leader="李局长",
        ),
        Expect(
            "DL",
            "贯彻落实党的路线方针政策方面",
            P2,
            (
                M(
                    "修订意识形态工作责任制实施细则，每半年专题研究一次",
                    "周某",
                    "人事科",
                    Relative("12月底前"),
                ),
            ),
            leader="张书记",
        ),
        Expect(
            "DL",
            "党的建设",
            P3,
            (
                M(
                    "开展支部标准化建设，规范“三会一课”记录",
                    "吴某",
                    "机关党委",
                    date(2027, 1, 15),
                ),
            ),
            leader="张书记",
        ),
    ),
    registered=(("DL", "东岭县局党组"),),
    skipped_rows=(("台账", 2, "text"), ("台账", 12, "footer"), ("台账", 13, "footer")),
    not_imported=(("督办情况", "unknown"),),
)


# --------------------------------------------------------------------------- 2


def write_unit_column(path: Path) -> None:
    """A 单位 column holding names (with and without 中共/党组, full-width, spaced);
    整改举措及时限 with the deadline at the end of each measure; 责任处室; （一） numbering;
    spacer rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    header = ["序号", "单位", "问题类别", "问题描述", "整改举措及时限", "责任处室", "责任人"]
    header += ["完成情况"]
    rows: list[Sequence[object]] = [
        header,
        [
            "（一）",
            "东岭县局 党组",
            "党的建设",
            "党组理论学习中心组学习不经常",
            "制定年度学习计划，每月集中学习一次（2027年6月）",
            "办公室",
            "赵某",
            "整改中",
        ],
        [],
        [
            "（二）",
            "中共西山县局党委",
            "作风建设",
            "督查检查考核过多过频",
            "清理规范督查检查考核事项（2027年第一季度）",
            "督查室",
            "钱某",
            "未整改",
        ],
        [
            "（三）",
            "ＸＸ南湖区局",
            "选人用人方面问题",
            "干部交流轮岗不到位",
            "制定干部交流轮岗办法，，一季度末",
            "人事处",
            "孙某",
            "",
        ],
        [],
    ]
    _sheet(ws, rows)
    wb.save(path)


UNIT_COLUMN = Layout(
    "02_单位列写名称.xlsx",
    "a 单位 column with names, 整改举措及时限 with embedded deadlines, （一） numbering",
    write_unit_column,
    (
        Expect(
            "DL",
            "党的建设",
            "党组理论学习中心组学习不经常",
            (
                M(
                    "制定年度学习计划，每月集中学习一次（2027年6月）",
                    "赵某",
                    "办公室",
                    date(2027, 6, 30),
                ),
            ),
        ),
        Expect(
            "XS",
            "作风建设",
            "督查检查考核过多过频",
            (
                M(
                    "清理规范督查检查考核事项（2027年第一季度）",
                    "钱某",
                    "督查室",
                    date(2027, 3, 31),
                ),
            ),
        ),
        Expect(
            "NH",
            "选人用人方面问题",
            "干部交流轮岗不到位",
            (M("制定干部交流轮岗办法，，一季度末", "孙某", "人事处", Relative("一季度末")),),
        ),
    ),
    registered=(("DL", "东岭县局党组"), ("XS", "西山县局党委")),
    chosen=(("ＸＸ南湖区局", "NH"),),
    new_units=(("NH", "ＸＸ南湖区局"),),
)


# --------------------------------------------------------------------------- 3


def write_unit_line(path: Path) -> None:
    """A 填报单位 line above the header; no category at all; 问题1 numbering; 牵头单位 +
    配合单位; an Excel date with a time; a text date with spaces; a hidden row and a hidden
    备注 column; a footer in two cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整改台账"
    header = ["问题序号", "存在问题", "整改措施", "牵头单位", "配合单位", "责任人", "完成时限"]
    header += ["备注"]
    rows: list[Sequence[object]] = [
        ["巡察反馈问题整改台账"],
        ["填报单位：南湖区局党组（盖章）"],
        header,
        [
            "问题1",
            "财务报销审核不严，存在白条入账",
            "全面清理财务票据，完善报销审核流程",
            "财务科",
            "纪检组",
            "王某",
            "2027年第一季度",
            "已清理三个月票据",
        ],
        [
            "问题2",
            "固定资产账实不符",
            "开展资产清查，建立资产台账",
            "办公室",
            None,
            "冯某",
            datetime(2026, 9, 30, 17, 30),  # noqa: DTZ001 - an Excel cell is naive
            None,
        ],
        [
            "问题3",
            "政府采购程序不规范",
            "修订采购管理办法",
            "办公室",
            None,
            "陈某",
            "2026 年 12 月 31 日",
            None,
        ],
        ["问题4", "（已撤销的问题，隐藏）", "—", "办公室", None, "陈某", "2026-06-30", None],
        ["联系人：王某", None, None, "联系电话：0571-12345678"],
    ]
    _sheet(ws, rows)
    ws.row_dimensions[7].hidden = True
    ws.column_dimensions[get_column_letter(8)].hidden = True
    wb.save(path)


UNIT_LINE = Layout(
    "03_填报单位行无类别.xlsx",
    "填报单位 line, no category (default), 牵头/配合单位, Excel date with time, hidden row/column",
    write_unit_line,
    (
        Expect(
            "NH",
            "其他",
            "财务报销审核不严，存在白条入账",
            (
                M(
                    "全面清理财务票据，完善报销审核流程",
                    "王某",
                    "财务科（配合：纪检组）",
                    date(2027, 3, 31),
                ),
            ),
            note=("已清理三个月票据",),
        ),
        Expect(
            "NH",
            "其他",
            "固定资产账实不符",
            (M("开展资产清查，建立资产台账", "冯某", "办公室", date(2026, 9, 30)),),
        ),
        Expect(
            "NH",
            "其他",
            "政府采购程序不规范",
            (M("修订采购管理办法", "陈某", "办公室", date(2026, 12, 31)),),
        ),
    ),
    chosen=(("南湖区局党组", "NH"),),
    new_units=(("NH", "南湖区局党组"),),
    skipped_rows=(("整改台账", 7, "hidden"), ("整改台账", 8, "footer")),
    default_category=3,
)


# --------------------------------------------------------------------------- 4


def write_two_tables(path: Path) -> None:
    """Two tables on one sheet, each under its own title naming a unit; 1-1 numbering;
    牵头领导 / 牵头部门 / 时间节点 / 落实情况; half-year, mid-year and year-end wording."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总台账"
    header = ["编号", "问题类别", "问题内容", "整改措施", "牵头领导", "牵头部门", "责任人"]
    header += ["时间节点", "落实情况"]
    rows: list[Sequence[object]] = [
        ["中共北岭镇党委巡察反馈意见整改台账"],
        header,
        [
            "1-1",
            "党的领导",
            "村级重大事项“四议两公开”执行不到位",
            "规范村级议事程序",
            "刘镇长",
            "党政办",
            "郑某",
            "2027年上半年",
            "推进中",
        ],
        [
            "1-2",
            "作风建设",
            "惠民资金发放公示不及时",
            "建立惠民资金公示制度",
            "刘镇长",
            "财政所",
            "韩某",
            "年底前",
            "",
        ],
        [],
        ["中共南岭镇党委巡察反馈意见整改台账"],
        header,
        [
            "1-1",
            "党的建设",
            "软弱涣散村党组织整顿不彻底",
            "逐村制定整顿方案",
            "杨书记",
            "组织办",
            "朱某",
            "年中",
            "",
        ],
        [
            "2-1",
            "全面从严治党",
            "村干部廉政风险排查不全面",
            "开展廉政风险排查",
            "杨书记",
            "纪委",
            "秦某",
            "2026年底",
            "",
        ],
    ]
    _sheet(ws, rows)
    _merge_across(ws, 1, len(header))
    _merge_across(ws, 6, len(header))
    wb.save(path)


TWO_TABLES = Layout(
    "04_一表两个单位.xlsx",
    "two tables on one sheet under titles naming two units, 1-1 numbering",
    write_two_tables,
    (
        Expect(
            "BL",
            "党的领导",
            "村级重大事项“四议两公开”执行不到位",
            (M("规范村级议事程序", "郑某", "党政办", date(2027, 6, 30)),),
            leader="刘镇长",
        ),
        Expect(
            "BL",
            "作风建设",
            "惠民资金发放公示不及时",
            (M("建立惠民资金公示制度", "韩某", "财政所", Relative("年底前")),),
            leader="刘镇长",
        ),
        Expect(
            "NL",
            "党的建设",
            "软弱涣散村党组织整顿不彻底",
            (M("逐村制定整顿方案", "朱某", "组织办", Relative("年中")),),
            leader="杨书记",
        ),
        Expect(
            "NL",
            "全面从严治党",
            "村干部廉政风险排查不全面",
            (M("开展廉政风险排查", "秦某", "纪委", date(2026, 12, 31)),),
            leader="杨书记",
        ),
    ),
    registered=(("BL", "北岭镇党委"),),
    chosen=(("南岭镇党委", "NL"),),
    new_units=(("NL", "南岭镇党委"),),
)


# --------------------------------------------------------------------------- 5


def write_no_unit(path: Path) -> None:
    """No unit anywhere (the caption or ``--unit`` decides); 1、 numbering; a date typed as
    text; 责任部门 / 完成时限."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows: list[Sequence[object]] = [
        ["序号", "问题描述", "整改措施", "责任部门", "责任人", "完成时限"],
        [
            "1、",
            "信访件办理不及时",
            "建立信访件办理台账，逐件跟踪",
            "信访办",
            "林某",
            "2026-12-31",
        ],
        ["2、", "档案管理不规范", "开展档案专项整理", "办公室", "何某", "2026 年 11 月 30 日"],
    ]
    _sheet(ws, rows)
    wb.save(path)


NO_UNIT = Layout(
    "05_无单位.xlsx",
    "no unit in the file: the caption or --unit names it; 1、 numbering; a typed date",
    write_no_unit,
    (
        Expect(
            "DL",
            "其他",
            "信访件办理不及时",
            (M("建立信访件办理台账，逐件跟踪", "林某", "信访办", date(2026, 12, 31)),),
        ),
        Expect(
            "DL",
            "其他",
            "档案管理不规范",
            (M("开展档案专项整理", "何某", "办公室", date(2026, 11, 30)),),
        ),
    ),
    registered=(("DL", "东岭县局党组"),),
    unit="DL",
    default_category=2,
)


# --------------------------------------------------------------------------- 6


def write_xls(path: Path) -> None:
    """Excel 97–2003 (.xls): the sheet titled with the unit code and name, a problem merged
    over two measure rows, Excel date cells, a hidden row."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("XS 西山县局党委")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    header = ["序号", "问题类别", "问题描述", "整改措施", "责任领导", "责任部门", "责任人"]
    header += ["整改时限", "完成情况"]
    ws.write_merge(0, 0, 0, len(header) - 1, "中共西山县局党委巡察反馈问题整改台账")
    for c, text in enumerate(header):
        ws.write(1, c, text)
    ws.write_merge(2, 3, 0, 0, 1)
    ws.write_merge(2, 3, 1, 1, "选人用人")
    ws.write_merge(2, 3, 2, 2, "干部档案审核不严")
    ws.write_merge(2, 3, 4, 4, "王部长")
    for r, (measure, dept, owner, due) in enumerate(
        [
            ("开展干部档案专项审核", "组织部", "许某", date(2026, 10, 31)),
            ("建立档案审核责任追究制度", "组织部", "何某", date(2027, 2, 28)),
        ],
        start=2,
    ):
        ws.write(r, 3, measure)
        ws.write(r, 5, dept)
        ws.write(r, 6, owner)
        ws.write(r, 7, due, dates)
    ws.write(2, 8, "整改中")
    ws.write(4, 0, 2)
    ws.write(4, 1, "作风建设")
    ws.write(4, 2, "会议文件过多")
    ws.write(4, 3, "精简会议文件")
    ws.write(4, 4, "王部长")
    ws.write(4, 5, "办公室")
    ws.write(4, 6, "吕某")
    ws.write(4, 7, "长期坚持")
    ws.write(5, 0, 3)
    ws.write(5, 2, "隐藏的草稿行")
    ws.row(5).hidden = True
    wb.save(str(path))


XLS = Layout(
    "06_旧版格式.xls",
    "Excel 97–2003 .xls: code in the sheet title, a merged problem with two measures",
    write_xls,
    (
        Expect(
            "XS",
            "选人用人",
            "干部档案审核不严",
            (
                M("开展干部档案专项审核", "许某", "组织部", date(2026, 10, 31)),
                M("建立档案审核责任追究制度", "何某", "组织部", date(2027, 2, 28)),
            ),
            leader="王部长",
        ),
        Expect(
            "XS",
            "作风建设",
            "会议文件过多",
            (M("精简会议文件", "吕某", "办公室", LONG),),
            leader="王部长",
        ),
    ),
    new_units=(("XS", "西山县局党委"),),
    skipped_rows=(("XS 西山县局党委", 6, "hidden"),),
)


# --------------------------------------------------------------------------- 7


def write_docx(path: Path) -> None:
    """A .docx 整改方案 whose annex is the 台账 table: an unrelated table first (领导小组),
    the annex title above the 台账, a section row merged across, a problem merged down over
    two measures, 即知即改."""
    document = docx.Document()
    document.add_heading("中共东岭县局党组关于巡察反馈意见的整改方案", level=1)
    document.add_paragraph("为切实抓好县委第三巡察组反馈意见的整改落实，制定本方案。")
    document.add_paragraph("一、成立整改工作领导小组")
    group = document.add_table(rows=2, cols=2)
    group.cell(0, 0).text, group.cell(0, 1).text = "组长", "张书记"
    group.cell(1, 0).text, group.cell(1, 1).text = "副组长", "李局长"
    document.add_paragraph("附件：东岭县局党组巡察反馈意见整改落实情况台账")
    header = ["序号", "问题", "整改措施", "责任单位", "责任人", "完成时限"]
    table = document.add_table(rows=5, cols=len(header))
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    section = table.cell(1, 0).merge(table.cell(1, len(header) - 1))
    section.text = "一、全面从严治党方面"
    table.cell(2, 0).text = "1"
    table.cell(2, 1).text = "廉政风险防控机制不健全"
    table.cell(2, 2).text = "梳理岗位廉政风险点"
    table.cell(2, 3).text = "纪检组"
    table.cell(2, 4).text = "宋某"
    table.cell(2, 5).text = "即知即改"
    table.cell(3, 2).text = "制定廉政风险防控手册"
    table.cell(3, 3).text = "纪检组"
    table.cell(3, 4).text = "唐某"
    table.cell(3, 5).text = "2026年12月底前"
    table.cell(2, 0).merge(table.cell(3, 0))
    table.cell(2, 1).merge(table.cell(3, 1))
    table.cell(4, 0).text = "2"
    table.cell(4, 1).text = "警示教育针对性不强"
    table.cell(4, 2).text = "每年开展两次警示教育"
    table.cell(4, 3).text = "机关党委"
    table.cell(4, 4).text = "冯某"
    table.cell(4, 5).text = "长期坚持"
    document.add_paragraph("二、工作要求：各责任单位要……")
    document.save(str(path))


DOCX = Layout(
    "07_整改方案附件.docx",
    "a Word 整改方案 whose annex table is the 台账 (section row, merged problem, 即知即改)",
    write_docx,
    (
        Expect(
            "DL",
            "全面从严治党",
            "廉政风险防控机制不健全",
            (
                M("梳理岗位廉政风险点", "宋某", "纪检组", Relative("即知即改")),
                M("制定廉政风险防控手册", "唐某", "纪检组", date(2026, 12, 31)),
            ),
        ),
        Expect(
            "DL",
            "全面从严治党",
            "警示教育针对性不强",
            (M("每年开展两次警示教育", "冯某", "机关党委", LONG),),
        ),
    ),
    registered=(("DL", "东岭县局党组"),),
)


# --------------------------------------------------------------------------- 8


def write_merged_measures(path: Path) -> None:
    """Sheets titled with unit codes, a category column merged down with 序号 and 问题 over
    three measure rows; 责任科室 and 责任处室 both present (the second kept in the note); an
    ambiguous 整改措施完成情况 column; a hidden unknown column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "JB 江北市局党组"
    header = ["序号", "问题类别", "问题描述", "整改措施", "责任领导", "责任科室", "责任处室"]
    header += ["责任人", "整改时限", "整改措施完成情况", "督办意见"]
    rows: list[Sequence[object]] = [
        ["中共江北市局党组巡察反馈问题整改台账"],
        header,
        [
            1,
            "全面从严治党",
            "“三重一大”决策程序不规范",
            "修订党组议事规则",
            "李某某",
            "办公室",
            "综合处",
            "赵某",
            date(2027, 6, 30),
            "已起草",
            "急",
        ],
        [
            1,
            "全面从严治党",
            "“三重一大”决策程序不规范",
            "建立“三重一大”事项清单",
            "李某某",
            "办公室",
            None,
            "钱某",
            datetime(2026, 12, 31, 9, 0),  # noqa: DTZ001 - an Excel cell is naive
            None,
            None,
        ],
        [
            1,
            "全面从严治党",
            "“三重一大”决策程序不规范",
            "党组会议纪要全程留痕",
            "李某某",
            "办公室",
            None,
            "孙某",
            "长期坚持",
            None,
            None,
        ],
        [
            2,
            "作风建设",
            "公车使用登记不完整",
            "规范派车单，每月公示",
            "张某某",
            "办公室",
            None,
            "周某",
            date(2027, 3, 31),
            None,
            None,
        ],
    ]
    _sheet(ws, rows)
    _merge_across(ws, 1, len(header))
    for column in (1, 2, 3, 5):
        _merge_down(ws, column, 3, 5)
    ws.column_dimensions[get_column_letter(11)].hidden = True
    wb.save(path)


MERGED = Layout(
    "08_多条措施合并单元格.xlsx",
    "code-titled sheet, category column, a problem merged over three measures, duplicate "
    "and ambiguous columns, a hidden unknown column",
    write_merged_measures,
    (
        Expect(
            "JB",
            "全面从严治党",
            "“三重一大”决策程序不规范",
            (
                M("修订党组议事规则", "赵某", "办公室", date(2027, 6, 30)),
                M("建立“三重一大”事项清单", "钱某", "办公室", date(2026, 12, 31)),
                M("党组会议纪要全程留痕", "孙某", "办公室", LONG),
            ),
            note=("责任处室：综合处", "整改措施完成情况：已起草", "督办意见：急"),
            leader="李某某",
        ),
        Expect(
            "JB",
            "作风建设",
            "公车使用登记不完整",
            (M("规范派车单，每月公示", "周某", "办公室", date(2027, 3, 31)),),
            leader="张某某",
        ),
    ),
    new_units=(("JB", "江北市局党组"),),
    not_imported=(
        ("责任处室", "duplicate"),
        ("整改措施完成情况", "ambiguous"),
        ("督办意见", "unknown"),
    ),
)


# --------------------------------------------------------------------------- checks

IMMEDIATE_DAYS = 10  # [workflow] immediate_days, the default
CALENDAR = WorkCalendar(ZoneInfo("Asia/Shanghai"))


def add_workdays(start: date, n: int) -> tuple[date, bool]:
    """The default config's working-day calendar (chinese-calendar)."""
    day, estimated = astuple(CALENDAR.add_workdays(start, n))
    return day, estimated


def expected_deadline(deadline: Deadline, today: date) -> tuple[date | None, bool]:
    """What an expected deadline is when read on ``today``."""
    if deadline == LONG:
        return None, True
    if isinstance(deadline, Relative):
        parsed = parse_deadline(
            deadline.wording, today, add_workdays, immediate_days=IMMEDIATE_DAYS
        )
        return parsed.deadline, parsed.long_term
    assert isinstance(deadline, date)
    return deadline, False


def find(store: Store, expect: Expect) -> Item:
    """The one item of ``expect``'s unit with its problem."""
    items = [i for i in store.ledger(expect.unit).items() if i.problem == expect.problem]
    assert len(items) == 1, (expect.unit, expect.problem, store.ledger(expect.unit).items())
    return items[0]


def check_item(item: Item, expect: Expect, today: date) -> None:
    """``item`` is what ``expect`` says, relative wordings read on ``today``."""
    assert item.category == expect.category
    assert item.leader == expect.leader
    for word in expect.note:
        assert word in item.note, (word, item.note)
    if len(expect.measures) == 1:
        (m,) = expect.measures
        assert item.measure_list == ()
        assert (item.measures, item.owner, item.department) == (m.text, m.owner, m.department)
        assert (item.deadline, item.long_term) == expected_deadline(m.deadline, today)
        return
    got = [(m.text, m.owner, m.department, m.deadline, m.long_term) for m in item.measure_list]
    want = [
        (m.text, m.owner, m.department, *expected_deadline(m.deadline, today))
        for m in expect.measures
    ]
    assert got == want
    for stored, m in zip(item.measure_list, expect.measures, strict=True):
        if isinstance(m.deadline, Relative):
            assert stored.wording == m.deadline.wording  # shown as written (立行立改)
    dated = [d for d, _ in (expected_deadline(m.deadline, today) for m in expect.measures) if d]
    assert item.deadline == max(dated)  # the latest dated measure
    assert not item.long_term
    assert item.measures.splitlines() == [
        f"{n}. {m.text}" for n, m in enumerate(expect.measures, 1)
    ]


LAYOUTS: tuple[Layout, ...] = (
    SECTIONS,
    UNIT_COLUMN,
    UNIT_LINE,
    TWO_TABLES,
    NO_UNIT,
    XLS,
    DOCX,
    MERGED,
)


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every layout into ``folder``; file name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for layout in LAYOUTS:
        path = folder / layout.name
        layout.write(path)
        paths[layout.name] = path
    return paths


if __name__ == "__main__":  # pragma: no cover - a convenience for people
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name in write_corpus(target):
        print(target / name)  # noqa: T201
