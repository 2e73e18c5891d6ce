"""Reading a 整改台账 workbook into an import plan — all or nothing (DESIGN §7).

:func:`read_ledger` is a pure function of the file (plus ``today`` and the working-day
calendar for relative deadlines such as ``15个工作日``): it touches no storage. It returns
either an :class:`ImportPlan` (every row good) or :class:`ImportErrors` (every problem found,
as data; the chat layer words them through locales/ and shows at most 20 then a count).
The caller applies a plan with its repositories: a draft whose ``item_id`` names an existing
item of its unit is that item (a re-imported export); otherwise ``(unit, source_ref)``
matches an earlier import of the same row, so importing twice does not duplicate.

The layout it understands
-------------------------
- One sheet per unit, titled with the unit code (``JB``, or ``JB 江北市局党组``); the unit's
  name comes from a title above the header (``中共江北市局党组巡察反馈问题整改台账`` →
  ``江北市局党组``), else it is the code. Or a 单位 column holding the code in every row (then
  the name is the text after the code in that cell, e.g. ``JB 江北市局党组``, else the code).
- The header row is found by its text within the first 15 rows (rows above it — merged
  titles, dates, notes — are skipped); columns are in any order, known by the names and
  aliases in :data:`LEDGER_COLUMNS` (whitespace, full-width forms, a trailing ``*`` and a
  bracketed note such as ``（必填）`` are ignored; unknown columns are ignored). A sheet with
  no header there is skipped and listed in the plan (an instructions sheet, the 汇总 of an
  export); a workbook with no ledger sheet at all is an error.
- Required in every row: 序号 (kept as ``source_ref``), 问题类别 (one of ``categories``:
  anything else is refused, naming the allowed ones — a silent "其他" would hide typos),
  问题描述 and 整改时限: an Excel date, text in a form of
  :func:`ledger.dates.parse_deadline`, or 长期坚持.
- A row whose every column but 序号 is empty is skipped (templates number empty rows); a
  sheet ends after 1000 empty rows in a row (trailing formatting). Vertically merged cells
  (a 问题类别 or 责任领导 spanning several rows) give their value to every row they span.
- 完成情况 (optional) gives ``status_hint``: empty, 未整改, 未完成, 未开始 → ``open``;
  已完成, 已整改, 已销号, 已办结, 完成, 整改完成 → ``closed`` (a hint only: closing goes
  through the workflow and is the caller's decision); any other text → ``in_progress``. The
  text itself is kept in ``progress``.

Hostile files
-------------
The size is checked before anything is read; then the zip directory (member count and
unpacked size, which zipfile enforces while inflating); then openpyxl opens it with
``read_only=True, data_only=True`` — formulas are never evaluated, a formula cell reads as
the value Excel cached for it (none: the cell is empty) — and parses XML through defusedxml
(entity expansion and external references are refused; see :func:`xml_is_defused`). Sheets
and data rows are capped. Whatever the bytes, the result is an ``ImportErrors``, never an
exception; only a path that cannot be opened (OSError) or a missing defusedxml (a
deployment fault) raise. A sheet with a header but no rows still names its unit.

Issue codes (``ImportIssue.code``) and their ``params``
-------------------------------------------------------
====================  ===============================================================
``too_big``           ``size``, ``limit`` (bytes), ``what``: ``file`` | ``unpacked``
``not_xlsx``          ``reason``: ``not_zip`` | ``xls_or_encrypted`` (an OLE file: old
                      .xls or a password-protected workbook) | ``not_workbook`` (a zip,
                      but not a spreadsheet) | ``unsafe_xml`` | ``damaged``
``too_many_sheets``   ``count``, ``limit``
``too_many_rows``     ``limit`` (data rows in the whole workbook); sheet and row where hit
``no_ledger``         ``skipped``: the titles of the sheets that had no header
``missing_column``    ``field``, ``header`` (the standard name), ``aliases``; the sheet and
                      row of the header
``duplicate_column``  ``field``, ``first_column`` (header text of the other one)
``bad_unit``          ``value``: the sheet title (no row), or a 单位 cell (+ ``field``)
``missing``           ``field``: a required cell is empty
``bad_date``          ``field``, ``value``, ``example``, ``problem`` (as parse_deadline's
                      ``InvalidValue``: ``format`` | ``no_such_date`` | ``out_of_range``)
``bad_category``      ``field``, ``value``, ``allowed`` (list)
``duplicate_ref``     ``field``, ``value``, ``first_sheet``, ``first_row``: the same 序号
                      twice in one unit
``too_long``          ``field``, ``length``, ``limit`` (characters)
====================  ===============================================================

Three more come from applying a plan to the ledger (``storage.ledger_import``), with the sheet
and row of the draft:

====================  ===============================================================
``conflict``          ``item_id``, ``first_sheet``, ``first_row``: two rows are the same
                      item (by item id or by 序号)
``locked``            ``item_id``, ``status``, ``fields`` (list of Field values): the row
                      changes an item that is closed or withdrawn
``invalid``           ``item_id`` (or None), ``field``, ``problem``, ``value``: the ledger
                      refused a value (``ledger.errors.InvalidValue``)
====================  ===============================================================

``field`` is a :class:`Field` value (``source_ref``, ``category``, ``problem``,
``deadline`` …). Every issue names ``sheet``, ``row`` (1-based, as Excel shows it),
``column`` (the header text as found in the file; the standard name for a missing column)
and ``column_letter`` where they apply.
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter, range_boundaries

from ledger.dates import (
    AddWorkdays,
    DeadlineKind,
    normalise_item_id,
    normalise_text,
    parse_deadline,
)
from ledger.errors import InvalidValue
from ledger.model import Status, Unit, valid_unit_code
from storage import xlsx_guard

log = logging.getLogger(__name__)

# Defaults sized so that a whole province's export re-imports (hundreds of units, tens of
# thousands of rows: 200 units × 50 rows export to 1.1 MB, unpacking to 11 MB) while a
# hostile file still meets a cap on every axis.
MAX_BYTES = 20_000_000  # Telegram lets a bot download at most 20 MB
MAX_UNPACKED_BYTES = 250_000_000  # 100,000 exported rows unpack to ~110 MB
MAX_MEMBERS = 5_000  # Excel writes ~3 parts per sheet
MAX_ROWS = 100_000  # data rows in the whole workbook
MAX_SHEETS = 1000
MAX_TEXT = 2000  # characters in one cell
HEADER_SCAN_ROWS = 15
MAX_COLUMNS = 64
BLANK_RUN_LIMIT = 1000
ISSUE_SHOW_LIMIT = 20


class Field(StrEnum):
    """The 台账 columns the importer knows; values are ``ItemDraft`` attribute names."""

    REF = "source_ref"
    CATEGORY = "category"
    PROBLEM = "problem"
    MEASURES = "measures"
    LEADER = "leader"
    DEPARTMENT = "department"
    OWNER = "owner"
    DEADLINE = "deadline"
    PROGRESS = "progress"
    NOTE = "note"
    UNIT = "unit"


@dataclass(frozen=True)
class Column:
    """A 台账 column: its standard Chinese header, its English label (exports in ``en``) and
    the other names it goes by."""

    field: Field
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False


LEDGER_COLUMNS: tuple[Column, ...] = (
    Column(Field.REF, "序号", "No.", ("问题编号", "编号", "问题序号", "id"), True),
    Column(Field.CATEGORY, "问题类别", "Category", ("类别", "问题类型", "问题分类"), True),
    Column(
        Field.PROBLEM, "问题描述", "Problem", ("问题内容", "存在问题", "反馈问题", "问题"), True
    ),
    Column(Field.MEASURES, "整改措施", "Measures", ("整改举措",)),
    Column(Field.LEADER, "责任领导", "Leader", ("分管领导", "牵头领导")),
    Column(Field.DEPARTMENT, "责任部门", "Department", ("责任单位", "牵头部门")),
    Column(Field.OWNER, "责任人", "Owner", ("具体责任人",)),
    Column(
        Field.DEADLINE, "整改时限", "Deadline", ("完成时限", "整改期限", "时限", "完成时间"), True
    ),
    Column(Field.PROGRESS, "完成情况", "Progress", ("整改进展", "整改情况", "进展情况")),
    Column(Field.NOTE, "备注", "Note", ()),
    Column(Field.UNIT, "单位", "Unit", ("被巡察单位", "单位代码", "责任单位代码")),
)
COLUMN_BY_FIELD: Mapping[Field, Column] = {c.field: c for c in LEDGER_COLUMNS}
REQUIRED = tuple(c.field for c in LEDGER_COLUMNS if c.required)

_RELATIVE_KINDS = frozenset({DeadlineKind.WORKDAYS, DeadlineKind.DAYS, DeadlineKind.MONTH_DAY})
_OPEN_WORDS = frozenset({"未整改", "未完成", "未开始", "尚未整改", "尚未完成", "未启动"})
_DONE_WORDS = frozenset({"已完成", "已整改", "已销号", "已办结", "完成", "整改完成", "已完成整改"})
# stripped repeatedly from the end of a ledger title to leave the unit's name
_TITLE_SUFFIXES: tuple[str, ...] = ("台账", "清单", "一览表", "表", "整改", "问题", "反馈", "意见")
_TITLE_SUFFIXES += ("巡察", "巡视", "工作", "落实", "情况", "的", "关于")
_TITLE_EN = re.compile(r"(?P<name>.+?)\s*[-—–]+\s*inspection rectification ledger", re.I)
_BRACKETED = re.compile(r"[(\[（【].*?[)\]）】]")
_MERGE_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']"
    rb"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})[\"']"
)


class IssueCode(StrEnum):
    TOO_BIG = "too_big"
    NOT_XLSX = "not_xlsx"
    TOO_MANY_SHEETS = "too_many_sheets"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_COMPLEX = "too_complex"  # storage.xlsx_guard: a cap of the pre-scan (R32)
    NO_LEDGER = "no_ledger"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    BAD_UNIT = "bad_unit"
    MISSING = "missing"
    BAD_DATE = "bad_date"
    BAD_CATEGORY = "bad_category"
    DUPLICATE_REF = "duplicate_ref"
    TOO_LONG = "too_long"
    # from applying a plan to the ledger (storage.ledger_import)
    CONFLICT = "conflict"
    LOCKED = "locked"
    INVALID = "invalid"


@dataclass(frozen=True)
class ImportIssue:
    """One thing wrong with the file, as data (worded by the chat layer)."""

    code: IssueCode
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # header text as found in the file
    column_letter: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportErrors:
    """The file was refused; nothing is to be applied. ``issues`` in sheet and row order."""

    issues: tuple[ImportIssue, ...]

    def head(self, limit: int = ISSUE_SHOW_LIMIT) -> tuple[tuple[ImportIssue, ...], int]:
        """The first ``limit`` issues and how many more there are."""
        return self.issues[:limit], max(0, len(self.issues) - limit)


@dataclass(frozen=True)
class ItemDraft:
    """One good row: the 台账 fields of an item to create or update."""

    unit: str
    source_ref: str  # the 序号 as text (1 → "1")
    category: str
    problem: str
    deadline: date | None  # None exactly when long_term
    long_term: bool = False
    measures: str = ""
    leader: str = ""
    department: str = ""
    owner: str = ""
    progress: str = ""  # 完成情况 as written
    note: str = ""  # 备注
    status_hint: Status = Status.OPEN  # open | in_progress | closed, from 完成情况
    item_id: str | None = None  # the 序号 when it is an id of this unit (a re-imported export)
    workdays_estimated: bool = False  # "N个工作日" counted Monday–Friday for unknown years
    # The deadline was counted from ``today`` (N个工作日, N天, 12月31日 without a year): it
    # means something for a new item, but re-importing the row later must not move it.
    deadline_relative: bool = False
    sheet: str = ""
    row: int = 0


@dataclass(frozen=True)
class SkippedSheet:
    title: str
    reason: str  # "empty" | "no_header" | "hidden"


@dataclass(frozen=True)
class UnitCount:
    code: str
    name: str
    items: int
    long_term: int


@dataclass(frozen=True)
class ImportSummary:
    """What the preview shows before the inspector confirms."""

    units: tuple[UnitCount, ...]
    items: int
    long_term: int
    earliest_deadline: date | None
    latest_deadline: date | None
    workdays_estimated: int  # drafts whose deadline is a Monday–Friday estimate
    skipped_sheets: tuple[SkippedSheet, ...]


@dataclass(frozen=True)
class ImportPlan:
    units: tuple[Unit, ...]
    drafts: tuple[ItemDraft, ...]
    summary: ImportSummary


class _TooManyRows(Exception):
    def __init__(self, sheet: str, row: int) -> None:
        super().__init__(sheet, row)
        self.sheet, self.row = sheet, row


class _Unreadable(Exception):
    """openpyxl or zipfile failed on the file's content (the cause is chained): a bad file,
    not a bug here — only calls into them are wrapped, so our own errors still surface."""


def _guarded(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # any parser failure on hostile XML
            raise _Unreadable from exc
        yield values


def xml_is_defused() -> bool:
    """True when openpyxl parses through defusedxml (installed, not switched off by the
    ``OPENPYXL_DEFUSEDXML`` environment variable) and not through lxml (which openpyxl
    prefers whenever it is importable; ``storage/__init__.py`` switches that off)."""
    return bool(openpyxl.DEFUSEDXML) and not openpyxl.LXML


def read_ledger(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    today: date,
    add_workdays: AddWorkdays,
    categories: Sequence[str],
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_sheets: int = MAX_SHEETS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> ImportPlan | ImportErrors:
    """Read a 台账 workbook (see the module docstring for the layout, codes and limits).

    ``today`` is the local date relative deadlines count from; ``add_workdays`` is
    ``ledger.dates.AddWorkdays``; ``categories`` the allowed 问题类别. Raises only if
    defusedxml is missing (RuntimeError) or the path cannot be opened (OSError).
    """
    if not xml_is_defused():
        raise RuntimeError("defusedxml is required to read uploaded workbooks safely")
    data = _read_capped(path_or_bytes, max_bytes)
    if isinstance(data, ImportIssue):
        return ImportErrors((data,))
    problem = _check_zip(data, max_unpacked_bytes)
    if problem is not None:
        return ImportErrors((problem,))
    refusal = xlsx_guard.scan(data)  # before openpyxl: bounded time and memory (R32)
    if refusal is not None:
        return ImportErrors((_too_complex(refusal),))
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # hostile bytes can fail anywhere inside openpyxl
        return ImportErrors((_unreadable(exc),))
    try:
        sheets = list(wb.worksheets)
        if len(sheets) > max_sheets:
            return ImportErrors(
                (
                    ImportIssue(
                        IssueCode.TOO_MANY_SHEETS,
                        params={"count": len(sheets), "limit": max_sheets},
                    ),
                )
            )
        reader = _Reader(today, add_workdays, tuple(categories), max_rows, wb)
        try:
            for ws in sheets:
                reader.read_sheet(ws)
        except _TooManyRows as stop:
            issue = ImportIssue(
                IssueCode.TOO_MANY_ROWS, stop.sheet, stop.row, params={"limit": max_rows}
            )
            return ImportErrors((issue,))
        except _Unreadable as exc:  # damaged sheet XML surfaces while rows are streamed
            assert exc.__cause__ is not None
            return ImportErrors((_unreadable(exc.__cause__),))
    finally:
        wb.close()
    return reader.result()


# --------------------------------------------------------------------------- file checks


def _read_capped(source: str | os.PathLike[str] | bytes, limit: int) -> bytes | ImportIssue:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        size = len(data)
    else:
        size = os.stat(source).st_size
        if size > limit:
            return _too_big(size, limit, "file")
        with open(source, "rb") as fh:
            data = fh.read(limit + 1)
        size = len(data)
    if size > limit:
        return _too_big(size, limit, "file")
    return data


def _too_big(size: int, limit: int, what: str) -> ImportIssue:
    return ImportIssue(IssueCode.TOO_BIG, params={"size": size, "limit": limit, "what": what})


def _too_complex(refusal: xlsx_guard.Refusal) -> ImportIssue:
    return ImportIssue(
        IssueCode.TOO_COMPLEX,
        refusal.sheet,
        refusal.row,
        params={"what": refusal.what, "limit": refusal.limit},
    )


def _not_xlsx(reason: str) -> ImportIssue:
    return ImportIssue(IssueCode.NOT_XLSX, params={"reason": reason})


def _check_zip(data: bytes, max_unpacked: int) -> ImportIssue | None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: .xls, or an encrypted .xlsx
        return _not_xlsx("xls_or_encrypted")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    # RuntimeError: NotImplementedError for a zip version or compression zipfile lacks
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError):
        return _not_xlsx("not_zip")
    if len(infos) > MAX_MEMBERS:
        return _not_xlsx("damaged")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_unpacked:
        return _too_big(unpacked, max_unpacked, "unpacked")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return _not_xlsx("not_workbook")
    return None


def _unreadable(exc: BaseException) -> ImportIssue:
    log.info("workbook refused as unreadable", exc_info=exc)
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:  # openpyxl wraps parser errors
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return _not_xlsx("unsafe_xml")
    # a zip without a workbook part: openpyxl says so with one of these
    if isinstance(exc, KeyError | OSError) or type(exc).__name__ == "InvalidFileException":
        return _not_xlsx("not_workbook")
    return _not_xlsx("damaged")


# --------------------------------------------------------------------------- cells


def _norm_header(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    s = unicodedata.normalize("NFKC", value)
    s = _BRACKETED.sub("", s)
    s = re.sub(r"\s+", "", s).strip("*").lower()
    return s or None


_ALIASES: Mapping[str, Field] = {
    key: column.field
    for column in LEDGER_COLUMNS
    for name in (column.zh, column.en, *column.aliases)
    if (key := _norm_header(name)) is not None
}


def _text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _unit_from(text: str) -> tuple[str, str] | None:
    """``"JB"`` / ``"jb 江北市局党组"`` → (code, name or ""); None if not a unit code."""
    parts = normalise_text(text).split(" ", 1)
    code = parts[0].upper()
    if not valid_unit_code(code):
        return None
    return code, parts[1].strip() if len(parts) > 1 else ""


def unit_name_from_title(title: str) -> str | None:
    """The unit's name in a ledger title: ``中共江北市局党组巡察反馈问题整改台账`` →
    ``江北市局党组``; ``江北市局党组 — inspection rectification ledger`` likewise. None if
    ``title`` does not look like a ledger title."""
    s = normalise_text(title)
    if m := _TITLE_EN.fullmatch(s):
        return m["name"].strip() or None
    if not s.endswith(("台账", "清单", "一览表")):
        return None
    s = s.removeprefix("中共")
    stripped = True
    while stripped:
        stripped = False
        for suffix in _TITLE_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, stripped = s[: -len(suffix)], True
    s = s.strip()
    return s if s and not s.endswith(_TITLE_SUFFIXES) and len(s) <= 60 else None


def status_hint(progress: str) -> Status:
    """完成情况 text → open | in_progress | closed (see the module docstring)."""
    s = normalise_text(progress)
    if not s or s in _OPEN_WORDS:
        return Status.OPEN
    if s in _DONE_WORDS:
        return Status.CLOSED
    return Status.IN_PROGRESS


# --------------------------------------------------------------------------- reading


@dataclass
class _Header:
    row: int
    columns: dict[Field, int]  # field → 0-based column index
    texts: dict[int, str]  # column index → header text as found
    duplicates: list[tuple[Field, int]]  # a second column for a field already found


class _Reader:
    """Accumulates drafts and issues over the sheets of one workbook."""

    def __init__(
        self,
        today: date,
        add_workdays: AddWorkdays,
        categories: tuple[str, ...],
        max_rows: int,
        wb: Any,
    ) -> None:
        self.today = today
        self.add_workdays = add_workdays
        self.categories = categories
        self.category_set = frozenset(categories)
        self.max_rows = max_rows
        self.wb = wb
        self.issues: list[ImportIssue] = []
        self.drafts: list[ItemDraft] = []
        self.units: dict[str, str] = {}  # code → name (first non-empty name wins)
        self.refs: dict[tuple[str, str], tuple[str, int]] = {}
        self.skipped: list[SkippedSheet] = []
        self.data_rows = 0

    # ---------------------------------------------------------------- per sheet

    def read_sheet(self, ws: Any) -> None:
        title = str(ws.title)
        if getattr(ws, "sheet_state", "visible") != "visible":
            self.skipped.append(SkippedSheet(title, "hidden"))
            return
        ws.reset_dimensions()  # never trust the declared size: it may hide rows
        rows = _guarded(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS))
        header, above = self._find_header(rows)
        if header is None:
            self.skipped.append(SkippedSheet(title, "no_header" if above else "empty"))
            return
        sheet_unit = self._sheet_unit(title, header, above)
        if not self._check_columns(title, header, sheet_unit is not None):
            return
        merges = self._vertical_merges(ws, header.row)
        anchors: dict[tuple[int, int], object] = {}
        blank_run = 0
        for row_no, values in enumerate(rows, start=header.row + 1):
            cells = self._cells(values, header, row_no, merges, anchors)
            if all(cells[f] is None for f in cells if f is not Field.REF):
                blank_run += 1
                if blank_run >= BLANK_RUN_LIMIT:
                    break
                continue
            blank_run = 0
            self.data_rows += 1
            if self.data_rows > self.max_rows:
                raise _TooManyRows(title, row_no)
            self._read_row(title, row_no, cells, header, sheet_unit)

    def _find_header(self, rows: Iterator[tuple[object, ...]]) -> tuple[_Header | None, list[str]]:
        above: list[str] = []  # text cells above the header, in reading order
        for row_no in range(1, HEADER_SCAN_ROWS + 1):
            values = next(rows, None)
            if values is None:
                break
            columns: dict[Field, int] = {}
            texts: dict[int, str] = {}
            duplicates: list[tuple[Field, int]] = []
            for index, value in enumerate(values):
                key = _norm_header(value)
                found = _ALIASES.get(key) if key else None
                if found is None:
                    continue
                texts[index] = str(value).strip()
                if found in columns:
                    duplicates.append((found, index))
                else:
                    columns[found] = index
            if Field.PROBLEM in columns and len(columns) >= 3:
                return _Header(row_no, columns, texts, duplicates), above
            above.extend(text for v in values if (text := _text(v)))
        return None, above

    def _sheet_unit(self, title: str, header: _Header, above: list[str]) -> str | None:
        """The unit of every row of this sheet, or None when a 单位 column decides."""
        if Field.UNIT in header.columns:
            return None
        parsed = _unit_from(title)
        if parsed is None:
            self.issues.append(ImportIssue(IssueCode.BAD_UNIT, title, params={"value": title}))
            return ""
        code, name = parsed
        if not name:
            name = next((n for t in above if (n := unit_name_from_title(t))), "")
        self._add_unit(code, name)
        return code

    def _add_unit(self, code: str, name: str) -> None:
        if not self.units.get(code):
            self.units[code] = name

    def _check_columns(self, title: str, header: _Header, has_unit: bool) -> bool:
        ok = True
        for found, index in header.duplicates:
            first = header.texts[header.columns[found]]
            self.issues.append(
                ImportIssue(
                    IssueCode.DUPLICATE_COLUMN,
                    title,
                    header.row,
                    header.texts[index],
                    get_column_letter(index + 1),
                    {"field": str(found), "first_column": first},
                )
            )
            ok = False
        needed = list(REQUIRED) if has_unit else [*REQUIRED, Field.UNIT]
        for missing in needed:
            if missing in header.columns:
                continue
            column = COLUMN_BY_FIELD[missing]
            self.issues.append(
                ImportIssue(
                    IssueCode.MISSING_COLUMN,
                    title,
                    header.row,
                    column.zh,
                    params={
                        "field": str(missing),
                        "header": column.zh,
                        "aliases": list(column.aliases),
                    },
                )
            )
            ok = False
        return ok

    def _vertical_merges(self, ws: Any, header_row: int) -> dict[int, list[tuple[int, int]]]:
        """Column index → (first row, last row) of each vertical merge below the header.

        Read-only worksheets do not expose merged ranges, so the ``<mergeCell ref=…>``
        elements are picked out of the sheet's XML with a pattern: a second full XML parse
        would double the import time. Markup cannot hide in cell text (``<`` is escaped
        there), and a forged element could only make a value repeat down a column."""
        path = getattr(ws, "_worksheet_path", None)
        archive = getattr(self.wb, "_archive", None)
        merges: dict[int, list[tuple[int, int]]] = {}
        if path is None or archive is None:
            return merges
        tail = b""
        try:
            with archive.open(path) as src:
                while chunk := src.read(1 << 20):
                    buffer = tail + chunk
                    end = 0
                    for m in _MERGE_CELL.finditer(buffer):
                        end = m.end()
                        min_col, min_row, _max_col, max_row = range_boundaries(m[1].decode())
                        if max_row > min_row and min_row > header_row and min_col <= MAX_COLUMNS:
                            merges.setdefault(min_col - 1, []).append((min_row, max_row))
                    tail = buffer[max(end, len(buffer) - 256) :]
        # zipfile: CRC/inflate errors; RuntimeError covers unsupported versions and encryption
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, RuntimeError) as exc:
            raise _Unreadable from exc
        return merges

    def _cells(
        self,
        values: tuple[object, ...],
        header: _Header,
        row_no: int,
        merges: dict[int, list[tuple[int, int]]],
        anchors: dict[tuple[int, int], object],
    ) -> dict[Field, object]:
        cells: dict[Field, object] = {}
        for found, index in header.columns.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and not value.strip():
                value = None
            spans = merges.get(index)
            if spans:
                for first, last in spans:
                    if row_no == first:
                        anchors[(index, first)] = value
                    elif first < row_no <= last and value is None:
                        value = anchors.get((index, first))
            cells[found] = value
        return cells

    # ---------------------------------------------------------------- per row

    def _read_row(
        self,
        sheet: str,
        row: int,
        cells: dict[Field, object],
        header: _Header,
        sheet_unit: str | None,
    ) -> None:
        before = len(self.issues)

        def issue(code: IssueCode, f: Field, **params: Any) -> None:
            index = header.columns.get(f)
            self.issues.append(
                ImportIssue(
                    code,
                    sheet,
                    row,
                    header.texts.get(index) if index is not None else COLUMN_BY_FIELD[f].zh,
                    get_column_letter(index + 1) if index is not None else None,
                    {"field": str(f), **params},
                )
            )

        texts: dict[Field, str] = {}
        for f in header.columns:
            if f is Field.DEADLINE:
                continue
            texts[f] = text = _text(cells[f])
            if len(text) > MAX_TEXT:
                issue(IssueCode.TOO_LONG, f, length=len(text), limit=MAX_TEXT)
        for f in (Field.REF, Field.CATEGORY, Field.PROBLEM, Field.DEADLINE):
            if cells.get(f) is None:
                issue(IssueCode.MISSING, f)

        unit = sheet_unit
        if unit is None:  # a 单位 column
            raw = texts.get(Field.UNIT, "")
            parsed = _unit_from(raw) if raw else None
            if not raw:
                issue(IssueCode.MISSING, Field.UNIT)
            elif parsed is None:
                issue(IssueCode.BAD_UNIT, Field.UNIT, value=raw)
            else:
                unit = parsed[0]
                self._add_unit(parsed[0], parsed[1])

        category = texts.get(Field.CATEGORY, "")
        if category and category not in self.category_set:
            issue(
                IssueCode.BAD_CATEGORY,
                Field.CATEGORY,
                value=category,
                allowed=list(self.categories),
            )

        deadline: date | None = None
        long_term = estimated = relative = False
        raw_deadline = cells.get(Field.DEADLINE)
        if raw_deadline is not None:
            try:
                deadline, long_term, estimated, relative = self._deadline(raw_deadline)
            except InvalidValue as exc:
                params = {k: exc.params[k] for k in ("value", "example", "problem")}
                issue(IssueCode.BAD_DATE, Field.DEADLINE, **params)

        ref = texts.get(Field.REF, "")
        if ref and unit is not None:
            first = self.refs.setdefault((unit, ref), (sheet, row))
            if first != (sheet, row):
                issue(
                    IssueCode.DUPLICATE_REF,
                    Field.REF,
                    value=ref,
                    first_sheet=first[0],
                    first_row=first[1],
                )

        if len(self.issues) > before or not unit:
            return
        item_id = normalise_item_id(ref)
        progress = texts.get(Field.PROGRESS, "")
        self.drafts.append(
            ItemDraft(
                unit=unit,
                source_ref=ref,
                category=category,
                problem=texts[Field.PROBLEM],
                deadline=deadline,
                long_term=long_term,
                measures=texts.get(Field.MEASURES, ""),
                leader=texts.get(Field.LEADER, ""),
                department=texts.get(Field.DEPARTMENT, ""),
                owner=texts.get(Field.OWNER, ""),
                progress=progress,
                note=texts.get(Field.NOTE, ""),
                status_hint=status_hint(progress),
                item_id=item_id if item_id and item_id.startswith(unit + "-") else None,
                workdays_estimated=estimated,
                deadline_relative=relative,
                sheet=sheet,
                row=row,
            )
        )

    def _deadline(self, value: object) -> tuple[date | None, bool, bool, bool]:
        """(deadline, long_term, workdays_estimated, relative to today)."""
        if isinstance(value, datetime):
            return value.date(), False, False, False
        if isinstance(value, date):
            return value, False, False, False
        if isinstance(value, str):
            parsed = parse_deadline(value, self.today, self.add_workdays)
            relative = parsed.kind in _RELATIVE_KINDS
            return parsed.deadline, parsed.long_term, parsed.workdays_estimated, relative
        text = _text(value)
        raise InvalidValue(
            "not a date",
            field=str(Field.DEADLINE),
            value=text,
            example=f"{self.today.year}-12-31",
            problem="format",
        )

    # ---------------------------------------------------------------- result

    def result(self) -> ImportPlan | ImportErrors:
        if self.issues:
            return ImportErrors(tuple(self.issues))
        if not self.drafts and not self.units:
            skipped = [s.title for s in self.skipped]
            return ImportErrors((ImportIssue(IssueCode.NO_LEDGER, params={"skipped": skipped}),))
        per_unit = Counter(d.unit for d in self.drafts)
        long_per_unit = Counter(d.unit for d in self.drafts if d.long_term)
        units = tuple(Unit(code, name or code) for code, name in self.units.items())
        deadlines = [d.deadline for d in self.drafts if d.deadline is not None]
        summary = ImportSummary(
            units=tuple(
                UnitCount(u.code, u.name, per_unit[u.code], long_per_unit[u.code]) for u in units
            ),
            items=len(self.drafts),
            long_term=sum(long_per_unit.values()),
            earliest_deadline=min(deadlines, default=None),
            latest_deadline=max(deadlines, default=None),
            workdays_estimated=sum(d.workdays_estimated for d in self.drafts),
            skipped_sheets=tuple(self.skipped),
        )
        return ImportPlan(units, tuple(self.drafts), summary)


__all__ = [
    "COLUMN_BY_FIELD",
    "LEDGER_COLUMNS",
    "Column",
    "Field",
    "ImportErrors",
    "ImportIssue",
    "ImportPlan",
    "ImportSummary",
    "IssueCode",
    "ItemDraft",
    "SkippedSheet",
    "UnitCount",
    "read_ledger",
    "status_hint",
    "unit_name_from_title",
    "xml_is_defused",
]
