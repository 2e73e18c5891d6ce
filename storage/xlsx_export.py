"""Writing the 整改台账 as a workbook, and the per-unit figures behind it (DESIGN §7).

:func:`export_ledger` gives one sheet per unit — titled with the unit code, a merged title row
(``中共<name>巡察反馈问题整改台账``, which :func:`storage.xlsx_import.read_ledger` reads the
name back from), the 台账 columns in their standard order and then 状态, 预警灯 (a coloured
cell), 超期天数, 最新进展, 佐证数量, 签字背书, 核验, 销号时间 — after a 汇总 sheet of per-unit
counts and rates. Every sheet has a frozen header, an autofilter, the title and header rows
repeated on every printed page, landscape fit-to-width printing and column widths that fit
Chinese text. Re-importing the file reproduces each item's 台账 fields; its 序号 is the item
id, so the importer's ``item_id`` matches the existing item.

Text from users is written as text, never as a formula (a progress note ``=HYPERLINK(…)``
stays a string), and characters Excel cannot hold (control characters) are dropped.

Figures (:class:`UnitStats`, also drawn by storage/charts.py), at ``now`` in zone ``tz``:

- ``total``: items not withdrawn;
- ``closed``: 已销号 plus 长期坚持 items closed into monitoring;
- ``overdue``: the red light — past the deadline while open or in progress;
- ``in_progress``: everything else still active (open, in progress, waiting for review);
- 整改完成率 = closed ÷ total;
- 销号率 = closed ÷ items that were due: closed items plus the other items whose deadline has
  passed (long-term items count only once closed). It asks "of what should be done by now,
  how much is closed" — 100 % while nothing is late. Both rates are None when the divisor
  is 0 (written as "—").
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from ledger.calendar import days_overdue, local_date
from ledger.light import item_id_key, light
from ledger.model import Item, Light, Status, Unit
from ledger.rules import Rules
from storage.xlsx_import import COLUMN_BY_FIELD, Field

LANGS = ("zh-CN", "en")

# (key, zh-CN label, en label, widest column in characters, wrap text)
# The 台账 columns take their labels from storage.xlsx_import.LEDGER_COLUMNS, so that what is
# written is what the importer reads.
_LEDGER_KEYS: tuple[tuple[Field, int, bool], ...] = (
    (Field.REF, 10, False),
    (Field.CATEGORY, 14, False),
    (Field.PROBLEM, 50, True),
    (Field.MEASURES, 50, True),
    (Field.LEADER, 12, False),
    (Field.DEPARTMENT, 16, False),
    (Field.OWNER, 12, False),
    (Field.DEADLINE, 12, False),
)
ITEM_COLUMNS: tuple[tuple[str, str, str, int, bool], ...] = (
    *(
        (str(f), COLUMN_BY_FIELD[f].zh, COLUMN_BY_FIELD[f].en, width, wrap)
        for f, width, wrap in _LEDGER_KEYS
    ),
    ("status", "状态", "Status", 10, False),
    ("light", "预警灯", "Light", 8, False),
    ("overdue_days", "超期天数", "Days overdue", 8, False),
    ("last_progress", "最新进展", "Latest progress", 40, True),
    ("evidence", "佐证数量", "Evidence", 8, False),
    ("endorsement", "签字背书", "Endorsed", 16, False),
    ("verification", "核验", "Verified", 24, False),
    ("closed_at", "销号时间", "Closed", 16, False),
)
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "单位代码", "Unit code"),
    ("name", "单位名称", "Unit name"),
    ("total", "问题总数", "Items"),
    ("closed", "已销号", "Closed"),
    ("in_progress", "整改中", "In progress"),
    ("overdue", "超期", "Overdue"),
    ("completion_rate", "整改完成率", "Completion rate"),
    ("closeout_rate", "销号率", "Close-out rate"),
)
WORDS: Mapping[str, tuple[str, str]] = {  # key → (zh-CN, en)
    "summary_sheet": ("汇总", "Summary"),
    "summary_title": ("巡察整改汇总（截至 {date}）", "Rectification summary as of {date}"),
    "unit_title": ("中共{name}巡察反馈问题整改台账", "{name} — inspection rectification ledger"),
    "total": ("合计", "Total"),
    "long_term": ("长期坚持", "long-term"),
    "none": ("—", "—"),
    "status.open": ("未整改", "Not started"),
    "status.in_progress": ("整改中", "In progress"),
    "status.submitted": ("待签字", "Awaiting endorsement"),
    "status.endorsed": ("待核验", "Awaiting verification"),
    "status.closed": ("已销号", "Closed"),
    "status.monitoring": ("长期坚持", "Ongoing (long-term)"),
    "status.withdrawn": ("已撤销", "Withdrawn"),
    "light.red": ("红", "red"),
    "light.yellow": ("黄", "yellow"),
    "light.green": ("绿", "green"),
    "light.closed": ("已销号", "closed"),
    "verification.approved": ("通过", "approved"),
    "verification.rejected": ("退回", "rejected"),
}
LIGHT_FILLS: Mapping[Light, str] = {  # ARGB-less hex, as openpyxl wants
    Light.RED: "F8696B",
    Light.YELLOW: "FFEB84",
    Light.GREEN: "63BE7B",
    Light.CLOSED: "D9D9D9",
}
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center")


def _styles() -> list[NamedStyle]:
    """The workbook's named styles: assigning a registered style by name is several times
    faster than setting font, border and alignment on each of 10⁵ cells."""
    styles = [
        NamedStyle("zgt_title", font=Font(bold=True, size=14), alignment=_CENTER),
        NamedStyle(
            "zgt_header",
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDEBF7"),
            border=_BORDER,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        NamedStyle("zgt_text", border=_BORDER, alignment=_TOP),
        NamedStyle(
            "zgt_wrap", border=_BORDER, alignment=Alignment(wrap_text=True, vertical="top")
        ),
        NamedStyle("zgt_date", border=_BORDER, alignment=_TOP, number_format="yyyy-mm-dd"),
        NamedStyle(
            "zgt_datetime", border=_BORDER, alignment=_TOP, number_format="yyyy-mm-dd hh:mm"
        ),
        NamedStyle("zgt_percent", border=_BORDER, number_format="0.0%"),
        NamedStyle("zgt_total", font=Font(bold=True), border=_BORDER),
        NamedStyle(
            "zgt_total_percent", font=Font(bold=True), border=_BORDER, number_format="0.0%"
        ),
    ]
    styles += [
        NamedStyle(
            f"zgt_light_{lit}",
            fill=PatternFill("solid", fgColor=color),
            border=_BORDER,
            alignment=_CENTER,
        )
        for lit, color in LIGHT_FILLS.items()
    ]
    return styles


def word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class UnitStats:
    """A unit's counts at one moment (definitions in the module docstring)."""

    code: str
    name: str
    total: int
    closed: int
    in_progress: int
    overdue: int
    due: int  # closed + not closed with a passed deadline: the 销号率 divisor

    @property
    def completion_rate(self) -> float | None:
        """整改完成率 = closed ÷ total."""
        return self.closed / self.total if self.total else None

    @property
    def closeout_rate(self) -> float | None:
        """销号率 = closed ÷ items due by now."""
        return self.closed / self.due if self.due else None


_CLOSED = (Status.CLOSED, Status.MONITORING)


def unit_stats(
    unit: Unit, items: Iterable[Item], *, now: datetime, tz: tzinfo, rules: Rules
) -> UnitStats:
    """Count ``items`` of ``unit`` at ``now`` (withdrawn items are left out)."""
    today = local_date(now, tz)
    total = closed = overdue = due = 0
    for item in items:
        if item.status is Status.WITHDRAWN:
            continue
        total += 1
        if item.status in _CLOSED:
            closed += 1
            due += 1
            continue
        if item.deadline is not None and not item.long_term and item.deadline < today:
            due += 1
        if light(item, now, tz, rules) is Light.RED:
            overdue += 1
    return UnitStats(unit.code, unit.name, total, closed, total - closed - overdue, overdue, due)


def total_stats(rows: Sequence[UnitStats], name: str = "") -> UnitStats:
    """The sum of ``rows`` (the 合计 line)."""
    return UnitStats(
        "",
        name,
        sum(r.total for r in rows),
        sum(r.closed for r in rows),
        sum(r.in_progress for r in rows),
        sum(r.overdue for r in rows),
        sum(r.due for r in rows),
    )


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


def export_ledger(
    units: Sequence[Unit],
    items_by_unit: Mapping[str, Sequence[Item]],
    *,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    lang: str = "zh-CN",
    include_withdrawn: bool = False,
) -> bytes:
    """The ledger of ``units`` as .xlsx bytes (layout in the module docstring).

    ``items_by_unit`` maps a unit code to its items (a unit without an entry gets an empty
    sheet); items are written in id order. Withdrawn items are left out unless
    ``include_withdrawn``. ``now`` must be aware; dates and times are shown in ``tz``.
    ``lang`` is ``zh-CN`` or ``en`` (labels only: the ledger's own text is never translated).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    today = local_date(now, tz)
    wb = Workbook()
    for style in _styles():
        wb.add_named_style(style)
    summary = wb.active
    summary.title = word("summary_sheet", lang)
    stats: list[UnitStats] = []
    for unit in units:
        items = sorted(
            (
                i
                for i in items_by_unit.get(unit.code, ())
                if include_withdrawn or i.status is not Status.WITHDRAWN
            ),
            key=lambda i: item_id_key(i.id),
        )
        stats.append(unit_stats(unit, items, now=now, tz=tz, rules=rules))
        _unit_sheet(wb.create_sheet(unit.code), unit, items, now, tz, rules, lang)
    _summary_sheet(summary, stats, today, lang)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _unit_sheet(
    ws: Any,
    unit: Unit,
    items: Sequence[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    lang: str,
) -> None:
    en = lang == "en"
    headers = [c[2] if en else c[1] for c in ITEM_COLUMNS]
    rows = [_item_row(item, now, tz, rules, lang) for item in items]
    _title(ws, word("unit_title", lang).format(name=unit.name), len(headers))
    _header(ws, headers)
    light_col = [c[0] for c in ITEM_COLUMNS].index("light") + 1
    styles = ["zgt_wrap" if c[4] else "zgt_text" for c in ITEM_COLUMNS]
    for r, (values, lit) in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            style = f"zgt_light_{lit}" if c == light_col and lit is not None else styles[c - 1]
            _put(ws, r, c, value, style)
    _finish(
        ws,
        len(headers),
        len(rows) + 2,
        [[headers[i], *(row[0][i] for row in rows)] for i in range(len(headers))],
        [c[3] for c in ITEM_COLUMNS],
        freeze="B3",
    )


def _item_row(
    item: Item, now: datetime, tz: tzinfo, rules: Rules, lang: str
) -> tuple[list[object], Light | None]:
    lit = None if item.status is Status.WITHDRAWN else light(item, now, tz, rules)
    deadline: object = word("long_term", lang) if item.long_term else item.deadline
    overdue: object = None
    if item.deadline is not None and item.status.is_active:
        overdue = days_overdue(item.deadline, now, tz) or None
    last = item.last_progress
    progress = f"{local_date(last.at, tz).isoformat()} {last.text}" if last else None
    verification = None
    if item.verification is not None:
        v = item.verification
        label = (
            word(f"verification.{v.result}", lang)
            if f"verification.{v.result}" in WORDS
            else v.result
        )
        verification = " ".join(
            x for x in (label, _local(v.at, tz).strftime("%Y-%m-%d"), v.note) if x
        )
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
        progress,
        len(item.evidence),
        _local(item.endorsement.at, tz) if item.endorsement else None,
        verification,
        _local(item.closed_at, tz) if item.closed_at else None,
    ]
    return values, lit


def _summary_sheet(ws: Any, stats: Sequence[UnitStats], today: date, lang: str) -> None:
    en = lang == "en"
    headers = [c[2] if en else c[1] for c in SUMMARY_COLUMNS]
    _title(ws, word("summary_title", lang).format(date=today.isoformat()), len(headers))
    _header(ws, headers)
    none = word("none", lang)
    rows = [*stats, total_stats(stats, word("total", lang))]
    table: list[list[object]] = []
    for r, s in enumerate(rows, start=3):
        values: list[object] = [
            s.code,
            s.name,
            s.total,
            s.closed,
            s.in_progress,
            s.overdue,
            s.completion_rate,
            s.closeout_rate,
        ]
        table.append(values)
        is_total = s is rows[-1]
        for c, value in enumerate(values, start=1):
            if c >= 7 and value is not None:
                style = "zgt_total_percent" if is_total else "zgt_percent"
            else:
                style = "zgt_total" if is_total else "zgt_text"
            _put(ws, r, c, none if value is None and c > 2 else value, style)
    widths = [12, 30, 10, 10, 10, 10, 12, 12]
    columns = [
        [headers[i], *(("100.0%" if i >= 6 else row[i]) for row in table)] for i in range(8)
    ]
    # the autofilter covers the units, not the 合计 line under them
    _finish(ws, len(headers), len(rows) + 1, columns, widths, freeze="C3")


# --------------------------------------------------------------------------- cells


def _put(ws: Any, row: int, col: int, value: object, style: str) -> None:
    """Write one cell with a named style (dates and times get their own)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
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


def _finish(
    ws: Any,
    ncols: int,
    last_row: int,
    columns: Sequence[Sequence[object]],
    caps: Sequence[int],
    *,
    freeze: str,
) -> None:
    for index, (values, cap) in enumerate(zip(columns, caps, strict=True), start=1):
        widest = max((display_width(v) for v in values), default=4)
        ws.column_dimensions[get_column_letter(index)].width = min(max(widest, 4), cap) + 2
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A2:{get_column_letter(ncols)}{max(last_row, 2)}"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def display_width(value: object) -> int:
    """Columns a value needs: East Asian wide and full-width characters count 2; for text
    with line breaks, the longest line."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
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
    "LIGHT_FILLS",
    "SUMMARY_COLUMNS",
    "WORDS",
    "UnitStats",
    "display_width",
    "export_ledger",
    "total_stats",
    "unit_stats",
    "weekly_closed",
    "word",
]
