"""Writing the 整改台账 as a workbook, and the per-unit figures behind it (DESIGN §7).

:func:`export_ledger` gives a 汇总 sheet, then one sheet per unit — titled with the unit code,
a merged title row (``中共<name>巡察反馈问题整改台账``, which
:func:`storage.xlsx_import.read_ledger` reads the name back from), the 台账 columns in their
standard order and then 状态, 预警灯 (a coloured cell), 超期天数, 最新进展, 佐证数量, 签字背书
(who and when), 核验 (result, who, when, note), 销号时间 — and, when there are any, a last sheet
listing withdrawn items apart (已撤销事项: who withdrew them, when, why). The 汇总 has every
status part of 台账总数 (未整改 · 整改中 · 待签字 · 待核验 · 已销号 · 长期坚持), 超期, 已撤销 and
the two rates, all from ``ledger.figures`` (the one definition every view uses).

Made to print (:func:`print_setup`): A4 landscape, fit to one page wide (as many tall as it
takes), title and header rows repeated on every page, page numbers. Long text wraps and every
row's height is written (:func:`row_height`) so that the whole text shows in Excel, WPS and
LibreOffice alike. Every word in a cell is in the export's language: states, lights and
verification results are never written as the program's English names in a Chinese sheet.

Re-importing the file reproduces each item's 台账 fields; its 序号 is the item id, so the
importer's ``item_id`` matches the existing item; the 汇总 and 已撤销事项 sheets carry no 台账
header and are skipped by the importer.

Text from users is written as text, never as a formula (a progress note ``=HYPERLINK(…)``
stays a string), and characters Excel cannot hold (control characters) are dropped.

Figures: the 汇总 sheet writes each unit's ``ledger.figures.Figures`` (the one definition every
view uses) and their 合计; :class:`UnitStats` carries the same figures with a unit's code and
name for the /stats chart (handlers/charts.py). Each item row has 逾期完成天数 (days late, for an
item closed after its deadline).
"""

from __future__ import annotations

import functools
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ledger.calendar import days_overdue, local_date
from ledger.figures import Figures, add_up, days_late, figures, figures_by_unit
from ledger.light import item_id_key, light
from ledger.model import Item, Light, Status, Unit
from ledger.rules import Rules
from locales import Catalog
from storage.xlsx_import import Field

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import NamedStyle

# openpyxl is imported when a workbook is written, not with the bot (which imports this module
# for /stats' figures): with numpy, which it imports, ~0.3 s and ~25 MB of every start.

LANGS = ("zh-CN", "en")

# The columns by key; their headers are words of locales/*/export.toml (``export.column.<key>``,
# ``export.summary_column.<key>``, ``export.withdrawn_column.<key>``), like the sheet names and
# state words. The 台账 columns' words are the importer's standard headers
# (storage.xlsx_import.LEDGER_COLUMNS), so that what is written is what the importer reads
# (tests/storage/test_xlsx_export.py holds the two together).
_LEDGER_KEYS: tuple[tuple[Field, int, bool], ...] = (
    (Field.REF, 8, False),
    (Field.CATEGORY, 10, True),
    (Field.PROBLEM, 30, True),
    (Field.MEASURES, 30, True),
    (Field.LEADER, 8, True),
    (Field.DEPARTMENT, 10, True),
    (Field.OWNER, 8, True),
    (Field.DEADLINE, 14, True),
)
# (key, widest column in characters, wrap text). Widths are the most a column may take, in
# Excel characters (a CJK character counts 2): together about 215, which "fit to one page
# wide" prints on A4 landscape at ~65 % — small but readable; longer text wraps and the row
# grows (see :func:`row_height`).
ITEM_COLUMNS: tuple[tuple[str, int, bool], ...] = (
    *((str(f), width, wrap) for f, width, wrap in _LEDGER_KEYS),
    ("status", 8, True),
    ("light", 6, False),
    ("overdue_days", 6, False),
    ("days_late", 6, False),
    ("last_progress", 24, True),
    ("evidence", 6, False),
    ("endorsement", 14, True),
    ("verification", 16, True),
    ("closed_at", 14, False),
    (str(Field.NOTE), 30, True),
)
LEDGER_FIELD_COLUMNS = tuple(str(f) for f, _, _ in _LEDGER_KEYS) + (str(Field.NOTE),)
"""The item columns that are 台账 fields (re-imported); the others are computed."""
# An item with several measures is written as one row per measure (its own 整改措施, 责任部门,
# 责任人 and 整改时限); the other columns are merged down over those rows, as offices write
# them, and a re-import reads them back as one item with the same measures.
_MEASURE_COLUMNS = tuple(
    [c[0] for c in ITEM_COLUMNS].index(str(f))
    for f in (Field.MEASURES, Field.DEPARTMENT, Field.OWNER, Field.DEADLINE)
)
# (key, width). Headers the importer does not know, so re-importing an export never reads
# this sheet as a ledger (see storage.xlsx_import: a sheet without a 台账 header is skipped).
WITHDRAWN_COLUMNS: tuple[tuple[str, int], ...] = (
    ("item_id", 10),
    ("unit", 14),
    ("problem", 40),
    ("reason", 30),
    ("by", 24),
)
# The 汇总 sheet: every status part of 台账总数, then 超期 and 撤销, then the rates — the numbers
# come from ledger.figures (the one definition every view uses).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "total",
    "open",
    "in_progress",
    "submitted",
    "endorsed",
    "closed",
    "monitoring",
    "overdue",
    "closed_late",
    "withdrawn",
    "completion_rate",
    "closeout_rate",
)
_SUMMARY_WIDTHS = (10, 24, 9, 8, 8, 8, 8, 8, 9, 6, 8, 8, 11, 9)
LIGHT_FILLS: Mapping[Light, str] = {  # ARGB-less hex, as openpyxl wants
    Light.RED: "F8696B",
    Light.YELLOW: "FFEB84",
    Light.GREEN: "63BE7B",
    Light.CLOSED: "D9D9D9",
}
DATE_FORMATS = {"zh-CN": 'yyyy"年"m"月"d"日"', "en": "yyyy-mm-dd"}
DATETIME_FORMATS = {"zh-CN": 'yyyy"年"m"月"d"日" hh:mm', "en": "yyyy-mm-dd hh:mm"}


def _styles(lang: str = "zh-CN") -> list[NamedStyle]:
    """The workbook's named styles: assigning a registered style by name is several times
    faster than setting font, border and alignment on each of 10⁵ cells. Dates read the way
    the rest of the sheet writes them (``2026年3月2日`` in Chinese)."""
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(vertical="top")
    center = Alignment(horizontal="center", vertical="center")
    styles = [
        NamedStyle("zgt_title", font=Font(bold=True, size=14), alignment=center),
        NamedStyle(
            "zgt_header",
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDEBF7"),
            border=border,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        NamedStyle("zgt_text", border=border, alignment=top),
        NamedStyle("zgt_wrap", border=border, alignment=Alignment(wrap_text=True, vertical="top")),
        NamedStyle("zgt_date", border=border, alignment=top, number_format=DATE_FORMATS[lang]),
        NamedStyle(
            "zgt_datetime", border=border, alignment=top, number_format=DATETIME_FORMATS[lang]
        ),
        NamedStyle("zgt_percent", border=border, number_format="0.0%"),
        NamedStyle("zgt_total", font=Font(bold=True), border=border),
        NamedStyle("zgt_total_percent", font=Font(bold=True), border=border, number_format="0.0%"),
    ]
    styles += [
        NamedStyle(
            f"zgt_light_{lit}",
            fill=PatternFill("solid", fgColor=color),
            border=border,
            alignment=center,
        )
        for lit, color in LIGHT_FILLS.items()
    ]
    return styles


@functools.cache
def _catalog() -> Catalog:
    return Catalog.load()


def word(key: str, lang: str) -> str:
    """The export's word ``key`` in ``lang`` (``locales/*/export.toml``), as a template: the
    caller fills its fields (``{name}``, ``{date}`` …)."""
    return _catalog().raw(lang, f"export.{key}")


def has_word(key: str) -> bool:
    return _catalog().has(f"export.{key}")


def headers(table: str, keys: Iterable[str], lang: str) -> list[str]:
    """The header words of a sheet's columns: ``export.<table>.<key>`` in ``lang``, where
    ``table`` is ``column`` (a unit's items), ``summary_column`` or ``withdrawn_column``."""
    return [word(f"{table}.{key}", lang) for key in keys]


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class UnitStats:
    """A unit's figures at one moment (``ledger.figures``), with its code and name."""

    code: str
    name: str
    figures: Figures


_CLOSED = (Status.CLOSED, Status.MONITORING)


def unit_stats(
    unit: Unit, items: Iterable[Item], *, now: datetime, tz: tzinfo, rules: Rules
) -> UnitStats:
    """The figures of ``unit``'s ``items`` at ``now`` (pass all of them, withdrawn too: they
    are counted apart)."""
    return UnitStats(unit.code, unit.name, figures(items, now, tz, rules))


def total_stats(rows: Sequence[UnitStats], name: str = "") -> UnitStats:
    """The sum of ``rows`` (the 合计 line)."""
    return UnitStats("", name, add_up(r.figures for r in rows))


def weekly_closed(
    items: Iterable[Item], *, now: datetime, tz: tzinfo, weeks: int = 8
) -> tuple[tuple[date, int], ...]:
    """Items closed (销号, incl. into monitoring) per week, oldest first: ``weeks`` pairs of
    (Monday of the week in ``tz``, count), the last being the current week."""
    this_monday = local_date(now, tz) - timedelta(days=local_date(now, tz).weekday())
    mondays = [this_monday - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(mondays, 0)
    for item in items:
        if item.status in _CLOSED and item.closed_at is not None:
            day = local_date(item.closed_at, tz)
            monday = day - timedelta(days=day.weekday())
            if monday in counts:
                counts[monday] += 1
    return tuple(counts.items())


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class Withdrawal:
    """Who withdrew an item and when (from its history: the item keeps only the reason)."""

    by: int
    at: datetime


def export_ledger(
    units: Sequence[Unit],
    items_by_unit: Mapping[str, Sequence[Item]],
    *,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    lang: str = "zh-CN",
    names: Mapping[int, str] | None = None,
    withdrawals: Mapping[str, Withdrawal] | None = None,
    extra: Callable[[Workbook], None] | None = None,
) -> bytes:
    """The ledger of ``units`` as .xlsx bytes (layout in the module docstring).

    ``items_by_unit`` maps a unit code to its items (a unit without an entry gets an empty
    sheet); items are written in id order. Withdrawn items are not on the unit sheets: they
    are listed apart on a last sheet (已撤销事项, only when there are some), with who withdrew
    them and when where ``withdrawals`` says. ``names`` turns the user ids of endorsements,
    verifications and withdrawals into names (an id without a name is written ``ID 123``).
    ``now`` must be aware; dates and times are shown in ``tz``. ``lang`` is ``zh-CN`` or
    ``en`` (labels only: the ledger's own text is never translated). ``extra(workbook)``
    adds sheets of other features last (storage.paper_xlsx: 回头看与满意度测评).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    today = local_date(now, tz)
    people = _Names(names or {}, lang)
    from openpyxl import Workbook

    wb = Workbook()
    for style in _styles(lang):
        wb.add_named_style(style)
    summary = wb.active
    summary.title = word("summary_sheet", lang)
    withdrawn: list[Item] = []
    every: list[Item] = []
    for unit in units:
        items = sorted(items_by_unit.get(unit.code, ()), key=lambda i: item_id_key(i.id))
        every += items
        withdrawn += [i for i in items if i.status is Status.WITHDRAWN]
        shown = [i for i in items if i.status is not Status.WITHDRAWN]
        _unit_sheet(wb.create_sheet(unit.code), unit, shown, now, tz, rules, lang, people)
    per_unit, total = figures_by_unit(every, now, tz, rules, units=[u.code for u in units])
    _summary_sheet(summary, units, per_unit, total, today, lang)
    if withdrawn:
        names_of_units = {u.code: u.name for u in units}
        _withdrawn_sheet(
            wb.create_sheet(word("withdrawn_sheet", lang)),
            withdrawn,
            names_of_units,
            withdrawals or {},
            tz,
            lang,
            people,
        )
    if extra is not None:
        extra(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _Names:
    names: Mapping[int, str]
    lang: str

    def __call__(self, user_id: int) -> str:
        name = self.names.get(user_id, "").strip()
        return name or f"ID {user_id}"


def date_word(day: date, lang: str) -> str:
    """``2026年3月2日`` (zh-CN) / ``2026-03-02`` (en): dates inside a text cell."""
    return word("date", lang).format(year=day.year, month=day.month, day=day.day)


def _unit_sheet(
    ws: Any,
    unit: Unit,
    items: Sequence[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    lang: str,
    names: _Names,
) -> None:
    names_of = headers("column", (c[0] for c in ITEM_COLUMNS), lang)
    rows: list[tuple[list[object], Light | None]] = []
    spans: list[tuple[int, int]] = []  # first and last sheet row of a several-measure item
    for item in items:
        values, lit = _item_row(item, now, tz, rules, lang, names)
        if len(item.measure_list) < 2:
            rows.append((values, lit))
            continue
        first = len(rows) + 3
        for index, measure in enumerate(item.measure_list):
            own: list[object] = list(values) if index == 0 else [None] * len(values)
            deadline: object = measure.wording or measure.deadline
            if measure.long_term and not measure.wording:
                deadline = word("long_term", lang)
            for column, value in zip(
                _MEASURE_COLUMNS,
                (measure.text, measure.department, measure.owner, deadline),
                strict=True,
            ):
                own[column] = value
            rows.append((own, lit))
        spans.append((first, len(rows) + 2))
    _title(ws, word("unit_title", lang).format(name=unit.name), len(names_of))
    _header(ws, names_of)
    light_col = [c[0] for c in ITEM_COLUMNS].index("light") + 1
    styles = ["zgt_wrap" if c[2] else "zgt_text" for c in ITEM_COLUMNS]
    for r, (values, lit) in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            style = f"zgt_light_{lit}" if c == light_col and lit is not None else styles[c - 1]
            _put(ws, r, c, value, style)
    for first, last in spans:
        for c in range(1, len(names_of) + 1):
            if c - 1 not in _MEASURE_COLUMNS:
                ws.merge_cells(start_row=first, start_column=c, end_row=last, end_column=c)
    _finish(
        ws,
        len(names_of),
        len(rows) + 2,
        [[names_of[i], *(row[0][i] for row in rows)] for i in range(len(names_of))],
        [c[1] for c in ITEM_COLUMNS],
        freeze="B3",
    )


def _item_row(
    item: Item, now: datetime, tz: tzinfo, rules: Rules, lang: str, names: _Names
) -> tuple[list[object], Light | None]:
    lit = None if item.status is Status.WITHDRAWN else light(item, now, tz, rules)
    deadline: object = word("long_term", lang) if item.long_term else item.deadline
    overdue: object = None
    if item.deadline is not None and item.status.is_active:
        overdue = days_overdue(item.deadline, now, tz) or None
    last = item.last_progress
    progress = f"{date_word(local_date(last.at, tz), lang)} {last.text}" if last else None
    endorsement = None
    if item.endorsement is not None:
        e = item.endorsement
        endorsement = f"{names(e.by)}\n{date_word(local_date(e.at, tz), lang)}"
    verification = None
    if item.verification is not None:
        v = item.verification
        key = f"verification.{v.result}"
        label = word(key, lang) if has_word(key) else word("verification.other", lang)
        when = date_word(local_date(v.at, tz), lang)
        verification = "\n".join(x for x in (f"{label} · {names(v.by)}", when, v.note) if x)
    values: list[object] = [
        item.id,
        item.category,
        item.problem,
        item.measures,
        item.leader,
        item.department,
        item.owner,
        deadline,
        word(f"status.{item.status}", lang),
        word(f"light.{lit}", lang) if lit is not None else None,
        overdue,
        days_late(item, tz),
        progress,
        len(item.evidence),
        endorsement,
        verification,
        local_date(item.closed_at, tz) if item.closed_at else None,
        item.note or None,
    ]
    return values, lit


def _summary_sheet(
    ws: Any,
    units: Sequence[Unit],
    per_unit: Mapping[str, Figures],
    total: Figures,
    today: date,
    lang: str,
) -> None:
    names_of = headers("summary_column", SUMMARY_COLUMNS, lang)
    _title(ws, word("summary_title", lang).format(date=date_word(today, lang)), len(names_of))
    _header(ws, names_of)
    none = word("none", lang)
    rows: list[tuple[str | None, str, Figures]] = [
        (u.code, u.name, per_unit.get(u.code, Figures())) for u in units
    ]
    rows.append((None, word("total", lang), total))
    table: list[list[object]] = []
    rates = len(SUMMARY_COLUMNS) - 2  # the two rate columns come last
    for r, (code, name, f) in enumerate(rows, start=3):
        values: list[object] = [
            code,
            name,
            f.total,
            f.open,
            f.in_progress,
            f.submitted,
            f.endorsed,
            f.closed,
            f.monitoring,
            f.overdue,
            f.closed_late,
            f.withdrawn,
            _cut(f.completion_rate),
            _cut(f.closeout_rate),
        ]
        table.append(values)
        is_total = r == len(rows) + 2
        for c, value in enumerate(values, start=1):
            if c > rates and value is not None:
                style = "zgt_total_percent" if is_total else "zgt_percent"
            else:
                style = "zgt_total" if is_total else "zgt_text"
            _put(ws, r, c, none if value is None and c > 2 else value, style)
    columns = [
        [names_of[i], *(("100.0%" if i >= rates else row[i]) for row in table)]
        for i in range(len(names_of))
    ]
    # the autofilter covers the units, not the 合计 line under them
    _finish(ws, len(names_of), len(rows) + 1, columns, _SUMMARY_WIDTHS, freeze="C3")


def _cut(rate: Fraction | None) -> float | None:
    """A rate as a cell value: cut to 0.1 % like ``ledger.figures.format_rate`` (Excel's
    0.0% format would round 99.95 % up to a false 100.0 %)."""
    return None if rate is None else math.floor(rate * 1000) / 1000


def _withdrawn_sheet(
    ws: Any,
    items: Sequence[Item],
    unit_names: Mapping[str, str],
    withdrawals: Mapping[str, Withdrawal],
    tz: tzinfo,
    lang: str,
    names: _Names,
) -> None:
    names_of = headers("withdrawn_column", (c[0] for c in WITHDRAWN_COLUMNS), lang)
    _title(ws, word("withdrawn_title", lang), len(names_of))
    _header(ws, names_of)
    table: list[list[object]] = []
    for r, item in enumerate(items, start=3):
        done = withdrawals.get(item.id)
        by = f"{names(done.by)}\n{date_word(local_date(done.at, tz), lang)}" if done else None
        values: list[object] = [
            item.id,
            f"{unit_names.get(item.unit, item.unit)}（{item.unit}）",
            item.problem,
            item.withdrawn_reason or None,
            by,
        ]
        table.append(values)
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value, "zgt_text" if c == 1 else "zgt_wrap")
    _finish(
        ws,
        len(names_of),
        len(items) + 2,
        [[names_of[i], *(row[i] for row in table)] for i in range(len(names_of))],
        [c[1] for c in WITHDRAWN_COLUMNS],
        freeze="B3",
    )


# --------------------------------------------------------------------------- cells


@functools.cache
def _illegal_characters() -> re.Pattern[str]:
    """openpyxl's pattern of the characters a cell cannot hold (imported on first use)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE


def _put(ws: Any, row: int, col: int, value: object, style: str) -> None:
    """Write one cell with a named style (dates and times get their own)."""
    if isinstance(value, str):
        value = _illegal_characters().sub("", value)
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with "=" stays text, never a formula
    elif isinstance(value, datetime):
        style = "zgt_datetime"
    elif isinstance(value, date):
        style = "zgt_date"
    cell.style = style


def _title(ws: Any, text: str, width: int) -> None:
    _put(ws, 1, 1, text, "zgt_title")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 28


def _header(ws: Any, headers: Sequence[str]) -> None:
    for c, text in enumerate(headers, start=1):
        _put(ws, 2, c, text, "zgt_header")


LINE_HEIGHT = 15.0  # points per line of 11 pt text: Excel 14.4–15, WPS 15.6, LibreOffice 14.3
ROW_PADDING = 3.0
MAX_ROW_HEIGHT = 409.0  # Excel's largest row height


def row_height(values: Sequence[object], widths: Sequence[float]) -> float:
    """The height in points a row needs for every wrapped value to show in full: each
    value's lines (its own line breaks, each wrapped at the column's width in characters,
    CJK counting 2), times :data:`LINE_HEIGHT`, for the tallest cell.

    Set explicitly because only Excel grows rows to fit wrapped text on opening, and only
    when it recalculates them; WPS and LibreOffice keep the default one-line height of a
    row written by openpyxl, so the rest of a long problem description would be hidden."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if value is None or isinstance(value, (int, float, date)):
            continue
        room = max(int(width) - 1, 1)  # the cell's padding takes about a character
        needed = sum(
            max(1, math.ceil(display_width(line) / room)) for line in str(value).split("\n")
        )
        lines = max(lines, needed)
    return min(lines * LINE_HEIGHT + ROW_PADDING, MAX_ROW_HEIGHT)


def _finish(
    ws: Any,
    ncols: int,
    last_row: int,
    columns: Sequence[Sequence[object]],
    caps: Sequence[int],
    *,
    freeze: str,
) -> None:
    from openpyxl.utils import get_column_letter

    widths: list[float] = []
    for index, (values, cap) in enumerate(zip(columns, caps, strict=True), start=1):
        widest = max((display_width(v) for v in values), default=4)
        width = min(max(widest, 4), cap) + 2
        widths.append(width)
        ws.column_dimensions[get_column_letter(index)].width = width
    # Row 2 is the header; rows 3… the data (``columns[i][0]`` is the header text).
    for offset in range(len(columns[0]) if columns else 0):
        row = [column[offset] for column in columns]
        ws.row_dimensions[2 + offset].height = row_height(row, widths)
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A2:{get_column_letter(ncols)}{max(last_row, 2)}"
    print_setup(ws)


def print_setup(ws: Any) -> None:
    """A4 landscape, every column on one page wide (as many pages tall as it takes), the
    title and header rows on every page, narrow margins, centred, page numbers below."""
    from openpyxl.worksheet.page import PageMargins

    ws.print_title_rows = "1:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"


def display_width(value: object) -> int:
    """Columns a value needs: East Asian wide and full-width characters count 2; for text
    with line breaks, the longest line."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 20
    if isinstance(value, date):
        return 14  # 2026年12月31日
    text = str(value)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.splitlines() or [""]
        ),
        default=0,
    )


def _local(at: datetime, tz: tzinfo) -> datetime:
    """An instant as a naive local datetime: Excel cells have no time zone."""
    return at.astimezone(tz).replace(tzinfo=None, microsecond=0)


__all__ = [
    "ITEM_COLUMNS",
    "LEDGER_FIELD_COLUMNS",
    "LIGHT_FILLS",
    "SUMMARY_COLUMNS",
    "WITHDRAWN_COLUMNS",
    "UnitStats",
    "Withdrawal",
    "date_word",
    "display_width",
    "export_ledger",
    "headers",
    "print_setup",
    "row_height",
    "total_stats",
    "unit_stats",
    "weekly_closed",
    "word",
]
