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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from defusedxml import DefusedXmlException

from ledger.dates import (
    DEFAULT_IMMEDIATE_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    RELATIVE_KINDS,
    AddWorkdays,
    DeadlineKind,
    explain,
    normalise_item_id,
    normalise_text,
    parse_deadline,
)
from ledger.errors import InvalidValue
from ledger.model import Measure, Status, Unit, valid_unit_code
from ledger.workflow import measure_summary
from storage import xlsx_guard
from storage.ledger_sources import (
    SheetData,
    UnreadableSource,
    docx_sheets,
    xls_sheets,
    xlsx_sheet,
)

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
HEADER_SCAN_ROWS = 20
HEADER_MAX = 20  # characters of a header cell ("整改措施完成情况" is 8; a problem is longer)
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
    PARTNER = "partner"  # 配合单位: kept in the department as "（配合：…）"
    EVIDENCE = "evidence"  # 佐证材料 as the 台账 lists it: kept in the note


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
    Column(Field.REF, "序号", "No.", ("问题编号", "编号", "问题序号", "id")),
    Column(Field.CATEGORY, "问题类别", "Category", ("类别", "问题类型", "问题分类")),
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
    Column(Field.PARTNER, "配合单位", "Partners", ("配合部门", "协办单位")),
    Column(Field.EVIDENCE, "佐证材料", "Evidence list", ("佐证资料", "证明材料")),
)
COLUMN_BY_FIELD: Mapping[Field, Column] = {c.field: c for c in LEDGER_COLUMNS}
REQUIRED = tuple(c.field for c in LEDGER_COLUMNS if c.required)
READINGS_KEPT = 8  # how many "12月底前 → 2026-12-31" readings a preview shows

_OPEN_WORDS = frozenset({"未整改", "未完成", "未开始", "尚未整改", "尚未完成", "未启动"})
_DONE_WORDS = frozenset({"已完成", "已整改", "已销号", "已办结", "完成", "整改完成", "已完成整改"})
# stripped repeatedly from the end of a ledger title to leave the unit's name
_TITLE_SUFFIXES: tuple[str, ...] = ("台账", "清单", "一览表", "表", "整改", "问题", "反馈", "意见")
_TITLE_SUFFIXES += ("巡察", "巡视", "工作", "落实", "情况", "的", "关于")
_TITLE_EN = re.compile(r"(?P<name>.+?)\s*[-—–]+\s*inspection rectification ledger", re.I)
_BRACKETED = re.compile(r"[(\[（【].*?[)\]）】]")


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
    # the unit's name when the file names it but gives no code (``unit`` is then ""):
    # storage.ledger_import.resolve_units matches it with a registered unit
    unit_name: str = ""
    measure_list: tuple[Measure, ...] = ()  # several measures (one row each); () for one
    category_default: bool = False  # the file gave no category: the configured default
    # the category is the file's own heading (``……方面``), not a configured one: the import
    # allows it for this item
    category_own: bool = False
    measure_rows: tuple[int, ...] = ()  # every row this problem was read from


@dataclass(frozen=True)
class SkippedSheet:
    title: str
    reason: str  # "empty" | "no_header" | "hidden"


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not an item, named in the preview: ``reason`` is ``footer`` (填表人,
    联系电话, 注：…), ``hidden``, ``numbered`` (a 序号 and nothing else) or ``text`` (one
    text that is neither a title, a section nor a 填报单位 line)."""

    sheet: str
    row: int
    reason: str
    text: str  # the row's text, clipped


@dataclass(frozen=True)
class NotImported:
    """A column whose values are not imported as a field: ``unknown`` and ``ambiguous`` and
    ``duplicate`` ones are kept in each item's note ("header：value"); ``derived`` ones (what
    an export computes: 状态, 预警灯 …) are not kept."""

    header: str
    reason: str  # "unknown" | "ambiguous" | "duplicate" | "derived"
    fields: tuple[str, ...]  # the fields an ambiguous header could mean
    sheet: str


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
    skipped_rows: tuple[SkippedRow, ...] = ()
    not_imported: tuple[NotImported, ...] = ()
    readings: tuple[str, ...] = ()  # how deadline texts were read, a sample
    categories: tuple[str, ...] = ()  # in the order found
    default_category: int = 0  # items given the default category
    measures: int = 0  # measures of all items (an item without a list counts one)
    several_measures: int = 0  # items with more than one measure
    unit_names: tuple[str, ...] = ()  # names without a code, to resolve ("" = none given)
    own_categories: tuple[str, ...] = ()  # the file's own headings used as categories
    # rows read as structure, not items: ``reason`` header | title | section | unit
    structure_rows: tuple[SkippedRow, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    units: tuple[Unit, ...]
    drafts: tuple[ItemDraft, ...]
    summary: ImportSummary


class _TooManyRows(Exception):
    def __init__(self, sheet: str, row: int) -> None:
        super().__init__(sheet, row)
        self.sheet, self.row = sheet, row


def xml_is_defused() -> bool:
    """True when openpyxl parses through defusedxml (installed, not switched off by the
    ``OPENPYXL_DEFUSEDXML`` environment variable) and not through lxml (which openpyxl
    prefers whenever it is importable; ``storage/__init__.py`` switches that off)."""
    import openpyxl  # on first use (see read_ledger)

    return bool(openpyxl.DEFUSEDXML) and not openpyxl.LXML


def read_ledger(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    today: date,
    add_workdays: AddWorkdays,
    categories: Sequence[str],
    default_category: str = "",
    immediate_days: int = DEFAULT_IMMEDIATE_DAYS,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_sheets: int = MAX_SHEETS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> ImportPlan | ImportErrors:
    """Read a 台账 — .xlsx, .xls (Excel 97–2003, WPS) or the tables of a .docx 整改方案 — (see
    the module docstring for the layout, codes and limits).

    ``today`` is the local date relative deadlines count from; ``add_workdays`` is
    ``ledger.dates.AddWorkdays``; ``categories`` the allowed 问题类别, ``default_category``
    the one rows get when the file gives none ("" = the last allowed); ``immediate_days``
    the working days of 立行立改. Raises only if defusedxml is missing (RuntimeError) or the
    path cannot be opened (OSError).
    """
    if not xml_is_defused():
        raise RuntimeError("defusedxml is required to read uploaded workbooks safely")
    data = _read_capped(path_or_bytes, max_bytes)
    if isinstance(data, ImportIssue):
        return ImportErrors((data,))
    reader = _Reader(
        today,
        add_workdays,
        tuple(categories),
        max_rows,
        default_category,
        immediate_days,
    )
    if data[:8] == OLE_MAGIC:  # .xls, or a password-protected .xlsx
        sheets = xls_sheets(data, max_sheets)
        if isinstance(sheets, str):
            return ImportErrors((_sheets_problem(sheets, max_sheets),))
        return _read_all(reader, sheets, max_rows)
    problem = check_upload(data, max_unpacked_bytes)
    if problem is not None:
        return ImportErrors((problem,))
    if _is_docx(data):
        too_big = _docx_too_big(data)
        if too_big is not None:
            return ImportErrors((too_big,))
        tables = docx_sheets(data, max_sheets)
        if isinstance(tables, str):
            return ImportErrors((_sheets_problem(tables, max_sheets),))
        return _read_all(reader, tables, max_rows)
    refusal = xlsx_guard.scan(data)  # before openpyxl: bounded time and memory (R32)
    if refusal is not None:
        return ImportErrors((_too_complex(refusal),))
    # openpyxl (with numpy, which it imports) is imported on first use, not with the bot:
    # ~0.3 s and ~25 MB of every start (issue 14).
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:  # the parse process's limit (storage.parse_worker)
        raise
    except Exception as exc:  # hostile bytes can fail anywhere inside openpyxl
        return ImportErrors((_unreadable(exc),))
    try:
        worksheets = list(wb.worksheets)
        if len(worksheets) > max_sheets:
            return ImportErrors(
                (
                    ImportIssue(
                        IssueCode.TOO_MANY_SHEETS,
                        params={"count": len(worksheets), "limit": max_sheets},
                    ),
                )
            )
        return _read_all(reader, (xlsx_sheet(wb, ws) for ws in worksheets), max_rows)
    finally:
        wb.close()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_all(
    reader: _Reader, sheets: Iterable[SheetData], max_rows: int
) -> ImportPlan | ImportErrors:
    try:
        for sheet in sheets:
            reader.read_sheet(sheet)
    except _TooManyRows as stop:
        issue = ImportIssue(
            IssueCode.TOO_MANY_ROWS, stop.sheet, stop.row, params={"limit": max_rows}
        )
        return ImportErrors((issue,))
    except UnreadableSource as exc:  # damaged content surfaces while rows are streamed
        return ImportErrors((_unreadable(exc.__cause__ or exc),))
    return reader.result()


def _sheets_problem(reason: str, max_sheets: int) -> ImportIssue:
    if reason == "too_many_sheets":
        return ImportIssue(
            IssueCode.TOO_MANY_SHEETS, params={"count": max_sheets + 1, "limit": max_sheets}
        )
    return _not_xlsx(reason)


MAX_DOCX_XML_BYTES = 30_000_000  # python-docx parses the whole body at once: keep it bounded


def _docx_too_big(data: bytes) -> ImportIssue | None:
    """A Word body too large to parse whole (a 台账 annex is a few hundred KB)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        size = zf.getinfo("word/document.xml").file_size
    return _too_big(size, MAX_DOCX_XML_BYTES, "unpacked") if size > MAX_DOCX_XML_BYTES else None


def _is_docx(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "word/document.xml" in zf.namelist()


def check_upload(data: bytes, max_unpacked: int) -> ImportIssue | None:
    """The one guard every zip-based upload (.xlsx, .docx) passes before a parser sees it:
    the zip directory (member count, unpacked size) and the kind of document; an .xlsx's
    sheets are then streamed by ``storage.xlsx_guard`` before openpyxl parses them."""
    return _check_zip(data, max_unpacked)


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
    if data[:8] == OLE_MAGIC:  # OLE2: .xls, or an encrypted .xlsx
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
    if "[Content_Types].xml" not in names or not any(
        n.startswith("xl/") or n == "word/document.xml" for n in names
    ):
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
    s = re.sub(r"^附件\s*\d*\s*[:：]?\s*", "", normalise_text(title))
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
    unknown: list[int]  # columns no meaning was found for
    ambiguous: dict[int, tuple[Field, ...]]  # columns two meanings tie for
    derived: list[int]  # columns an export computes (状态, 预警灯 …)


# --------------------------------------------------------------------------- headers by meaning

# A header is known by the longest of these words it contains (after _norm_header); a header
# that equals one of them counts as longer than any containment. Two fields tying for the
# longest word make the column ambiguous: it is not imported as a field (its values go to the
# note) and the preview says so.
_MEANINGS: tuple[tuple[Field, tuple[str, ...]], ...] = (
    (Field.REF, ("序号", "编号", "问题编号", "问题序号", "序")),
    (Field.CATEGORY, ("问题类别", "类别", "问题类型", "问题分类", "问题方面", "方面", "类型")),
    (
        Field.PROBLEM,
        ("问题描述", "问题内容", "存在问题", "反馈问题", "问题表现", "主要问题", "具体问题"),
    ),
    (Field.PROBLEM, ("问题",)),
    (Field.MEASURES, ("整改措施", "整改举措", "措施", "举措", "整改任务", "整改目标")),
    (Field.LEADER, ("责任领导", "分管领导", "牵头领导", "领导")),
    (
        Field.DEPARTMENT,
        ("责任部门", "责任单位", "牵头单位", "牵头部门", "牵头科室", "科室", "处室", "部门"),
    ),
    (Field.DEPARTMENT, ("股室", "责任科室", "责任处室")),
    (Field.PARTNER, ("配合单位", "配合部门", "配合科室", "协办单位", "配合")),
    (Field.OWNER, ("责任人", "具体责任人", "联系人", "经办人")),
    (
        Field.DEADLINE,
        ("整改时限", "完成时限", "整改期限", "时限", "完成时间", "期限", "时间节点"),
    ),
    (
        Field.PROGRESS,
        ("完成情况", "整改进展", "整改情况", "进展情况", "落实情况", "整改进度", "进展"),
    ),
    (Field.EVIDENCE, ("佐证材料", "佐证", "证明材料", "支撑材料", "佐证资料")),
    (Field.NOTE, ("备注",)),
    (Field.UNIT, ("单位", "被巡察单位", "单位名称", "单位代码")),
)
_EXACT_BONUS = 100


def header_meaning(value: object) -> tuple[Field | None, tuple[Field, ...]]:
    """(the field a header cell means, or None; the fields tied for it when ambiguous)."""
    key = _norm_header(value)
    if key is None or key in _DERIVED_KEYS:
        return None, ()
    exact = _ALIASES.get(key)
    if exact is not None:
        return exact, ()
    best: dict[Field, int] = {}
    for found, words in _MEANINGS:
        for word in words:
            if word in key:
                best[found] = max(best.get(found, 0), len(word))
    if not best:
        return None, ()
    top = max(best.values())
    winners = tuple(f for f, n in best.items() if n == top)
    if len(winners) > 1:
        return None, winners
    return winners[0], ()


# Columns an export of this bot adds after the 台账 fields (状态, 预警灯 …): computed from the
# ledger, so a re-imported export does not import them (listed as not imported, not noted).
# tests/storage/test_ledger_corpus.py checks every export column is a field or one of these.
DERIVED_HEADERS: tuple[str, ...] = (
    "状态",
    "预警灯",
    "超期天数",
    "逾期完成天数",
    "最新进展",
    "佐证数量",
    "签字背书",
    "核验",
    "销号时间",
    "status",
    "light",
    "days overdue",
    "days closed late",
    "latest progress",
    "evidence",
    "endorsed",
    "verified",
    "closed",
)
_DERIVED_KEYS = frozenset(k for h in DERIVED_HEADERS if (k := _norm_header(h)) is not None)

# Rows that are not items
_SECTION = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十]+[部分类])\s*"
)
_SECTION_COUNT = re.compile(r"[（(]\s*(?:共\s*)?\d+\s*(?:个|项|条)?\s*问题?\s*[)）]\s*$")
_FOOTER = re.compile(
    r"^(?:(?:填表人|填报人|制表人|审核人|联系人|联系电话|电话|填报日期|填表日期|日期|单位负责人"
    r"|主要负责人|负责人|签字|签发|制表|审核|填表说明|说明)\s*[:：]|注\s*[:：\d]|[(（]?盖章[)）]?)"
)
_UNIT_LINE = re.compile(
    r"^(?:填报单位|报送单位|被巡察单位|单位名称|单位)\s*[:：]\s*(?P<name>[^\s:：]+)"
)
_DEFAULT_SHEET = re.compile(r"^\s*(?:sheet|工作表)\s*\d*\s*$", re.I)  # "Sheet1": not a code
_UNIT_SUFFIXES = ("党组", "党委", "党支部", "党总支", "党工委", "党组织", "委员会")


def normalise_unit_name(name: str) -> str:
    """A unit name for matching: NFKC, no spaces, no leading 中共, no trailing 党组/党委/
    党支部 …: ``中共东岭县局党组`` and ``东岭县局`` match."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    s = s.removeprefix("中共")
    changed = True
    while changed:
        changed = False
        for suffix in _UNIT_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, changed = s[: -len(suffix)], True
    return s


def section_category(text: str) -> str | None:
    """The category a section row names (``一、贯彻落实党的路线方针政策方面（3个问题）`` →
    ``贯彻落实党的路线方针政策方面``), or None if ``text`` is not a section row."""
    s = normalise_text(text)
    m = _SECTION.match(s)
    if m is None and not (s.endswith(("方面", "方面问题")) or _SECTION_COUNT.search(s)):
        return None
    body = s[m.end() :] if m else s
    body = _SECTION_COUNT.sub("", body).strip(" ：:")
    if not body or len(body) > 80:
        return None
    return body


def _deadline_in_text(text: str) -> str | None:
    """The 时限 written at the end of a measure (``……（2026年12月底前）``, ``……，12月底前``)."""
    s = normalise_text(text)
    m = re.search(r"[(（]([^()（）]{2,20})[)）]\s*[。.]?$", s)
    if m:
        return m[1]
    m = re.search(r"[,，;；。\s]([^,，;；。\s]{2,20})[。.]?$", s)
    return m[1] if m else None


@dataclass
class _Table:
    sheet: str
    header_row: int
    columns: dict[Field, int]
    texts: dict[int, str]  # column index → header text as found (every non-empty header)
    noted: dict[int, str]  # unrecognised columns: values go to the note as "header：value"
    unit_code: str | None  # from the sheet title (None: a 单位 column or a name decides)
    unit_name: str  # from a title or 填报单位 line above the table
    embedded_deadline: bool  # no 时限 column: the measure column's header says 时限
    category: str = ""  # the current section row's


@dataclass
class _Problem:
    """An item being read: its first row and each measure row."""

    table: _Table
    row: int
    ref: str
    unit: str  # code, or "" when a name decides
    unit_name: str
    category: str
    category_default: bool
    problem: str
    leader: str
    progress: str
    notes: list[str]
    measures: list[tuple[int, str, str, str, object]]  # row, text, owner, department, 时限
    unit_cell: str = ""  # the 单位 cell as written (a change of unit is a new problem)


class _Reader:
    """Accumulates drafts and issues over the sheets of one file."""

    def __init__(
        self,
        today: date,
        add_workdays: AddWorkdays,
        categories: tuple[str, ...],
        max_rows: int,
        default_category: str,
        immediate_days: int,
    ) -> None:
        self.today = today
        self.add_workdays = add_workdays
        self.categories = categories
        self.category_set = frozenset(categories)
        self.max_rows = max_rows
        self.default_category = default_category or (categories[-1] if categories else "")
        self.immediate_days = immediate_days
        self.issues: list[ImportIssue] = []
        self.drafts: list[ItemDraft] = []
        self.units: dict[str, str] = {}  # code → name (first non-empty name wins)
        self.refs: dict[tuple[str, str], tuple[str, int, str]] = {}
        self.skipped: list[SkippedSheet] = []
        self.skipped_rows: list[SkippedRow] = []
        self.structure_rows: list[SkippedRow] = []  # headers, titles, sections, unit lines
        self.not_imported: dict[tuple[str, str], NotImported] = {}
        self.readings: list[str] = []  # how deadlines were read
        self.data_rows = 0
        self.problem_counter: Counter[str] = Counter()

    # ---------------------------------------------------------------- per sheet

    def read_sheet(self, sheet: SheetData) -> None:
        title = sheet.title
        if not sheet.visible:
            self.skipped.append(SkippedSheet(title, "hidden"))
            return
        rows = enumerate(sheet.rows, start=1)
        table: _Table | None = None
        above: list[tuple[int, list[tuple[int, str]]]] = []  # rows above the first header
        pending: list[str] = []  # a title row between tables names the next one's unit
        anchors: dict[tuple[int, int], object] = {}
        current: _Problem | None = None
        blank_run = 0
        for row_no, raw in rows:
            if table is None and row_no > HEADER_SCAN_ROWS:
                break
            values = _fill(raw, row_no, sheet.merges, anchors)
            texts = [(i, t) for i, v in enumerate(values) if (t := _text(v))]
            if not texts:
                blank_run += 1
                if blank_run >= BLANK_RUN_LIMIT:
                    break
                continue
            blank_run = 0
            if table is None:
                header = self._header(title, row_no, values)
                if header is None:
                    above.append((row_no, texts))
                    continue
                lines: list[str] = []
                for at, cells in above:
                    line = " ".join(dict.fromkeys(t for _, t in cells))
                    if self._unit_line(line) or self._is_title(line):
                        self._structure(title, at, "title", cells)
                        lines.append(line)
                    else:
                        self._skip(title, at, "text", cells)
                self._structure(title, row_no, "header", texts)
                table = self._start_table(sheet, header, lines)
                continue
            if row_no in sheet.hidden_rows:
                self._finish(current)
                current = None
                self._skip(title, row_no, "hidden", texts)
                continue
            header = self._header(title, row_no, values)
            if header is not None:  # another table on this sheet
                self._finish(current)
                current = None
                self._structure(title, row_no, "header", texts)
                table = self._start_table(sheet, header, pending)
                pending = []
                continue
            distinct = {t for _, t in texts}
            only_measure = all(i == table.columns.get(Field.MEASURES) for i, _ in texts)
            if len(distinct) == 1 and not (only_measure and current is not None):
                line = next(iter(distinct))
                in_item = all(
                    i in (table.columns.get(Field.PROBLEM), table.columns.get(Field.MEASURES))
                    for i, _ in texts
                )
                kind = self._loose_line(table, line, in_item)
                if kind is not None:
                    if kind in ("title", "section", "unit"):
                        self._finish(current)
                        current = None
                        self._structure(title, row_no, kind, texts)
                        if kind != "section":
                            pending.append(line)
                    else:
                        self._skip(title, row_no, kind, texts)
                    continue
            problem_at = table.columns.get(Field.PROBLEM)
            if all(i != problem_at for i, _ in texts) and _FOOTER.match(texts[0][1]):
                self._finish(current)  # 填表人：…  联系电话：… in several cells
                current = None
                self._skip(title, row_no, "footer", texts)
                continue
            only_ref = all(i == table.columns.get(Field.REF) for i, _ in texts)
            if only_ref:  # a numbered empty template row
                self._skip(title, row_no, "numbered", texts)
                continue
            self.data_rows += 1
            if self.data_rows > self.max_rows:
                raise _TooManyRows(title, row_no)
            current = self._data_row(table, row_no, values, current)
        self._finish(current)
        if table is None:
            self.skipped.append(SkippedSheet(title, "no_header" if above else "empty"))
        for line in pending:  # a title or 填报单位 line after the last table: named, not lost
            self.skipped_rows.append(SkippedRow(title, 0, "text", line[:60]))

    def _header(self, sheet: str, row_no: int, values: Sequence[object]) -> _Header | None:
        columns: dict[Field, int] = {}
        texts: dict[int, str] = {}
        duplicates: list[tuple[Field, int]] = []
        unknown: list[int] = []
        ambiguous: dict[int, tuple[Field, ...]] = {}
        derived: list[int] = []
        for index, value in enumerate(values):
            text = _text(value)
            if not text:
                continue
            if not isinstance(value, str) or len(text) > HEADER_MAX:
                return None  # a number, a date or a sentence: a data row, not a header
            texts[index] = text
            found, tied = header_meaning(value)
            if found is None:
                key = _norm_header(value)
                if key in _DERIVED_KEYS:
                    derived.append(index)
                elif tied:
                    ambiguous[index] = tied
                else:
                    unknown.append(index)
            elif found in columns:
                duplicates.append((found, index))
            else:
                columns[found] = index
        if Field.PROBLEM not in columns or len(columns) < 3:
            return None
        return _Header(row_no, columns, texts, duplicates, unknown, ambiguous, derived)

    def _start_table(self, sheet: SheetData, header: _Header, above: list[str]) -> _Table:
        title = sheet.title
        code: str | None = None
        name = ""
        for text in above:
            name = name or self._unit_line(text) or unit_name_from_title(text) or ""
        if (
            Field.UNIT not in header.columns
            and sheet.code_title
            and not _DEFAULT_SHEET.match(title)
        ):
            parsed = _unit_from(title)
            if parsed is not None:
                code = parsed[0]
                name = parsed[1] or name
                self._add_unit(code, name)
        noted: dict[int, str] = {}
        for index in header.unknown:
            noted[index] = header.texts[index]
            self._not_imported(title, header.texts[index], "unknown")
        for index, tied in header.ambiguous.items():
            noted[index] = header.texts[index]
            self._not_imported(title, header.texts[index], "ambiguous", tied)
        for found, index in header.duplicates:
            noted[index] = header.texts[index]
            self._not_imported(title, header.texts[index], "duplicate", (found,))
        for index in header.derived:
            self._not_imported(title, header.texts[index], "derived")
        measure_header = header.texts.get(header.columns.get(Field.MEASURES, -1), "")
        embedded = Field.DEADLINE not in header.columns and any(
            w in measure_header for w in ("时限", "时间", "期限")
        )
        if Field.DEADLINE not in header.columns and not embedded:
            column = COLUMN_BY_FIELD[Field.DEADLINE]
            self.issues.append(
                ImportIssue(
                    IssueCode.MISSING_COLUMN,
                    title,
                    header.row,
                    column.zh,
                    params={
                        "field": str(Field.DEADLINE),
                        "header": column.zh,
                        "aliases": list(column.aliases),
                    },
                )
            )
        return _Table(
            title,
            header.row,
            dict(header.columns),
            dict(header.texts),
            noted,
            code,
            name,
            embedded,
        )

    def _not_imported(
        self, sheet: str, header: str, reason: str, fields: tuple[Field, ...] = ()
    ) -> None:
        key = (header, reason)
        if key not in self.not_imported:
            self.not_imported[key] = NotImported(
                header, reason, tuple(str(f) for f in fields), sheet
            )

    def _unit_line(self, text: str) -> str | None:
        m = _UNIT_LINE.match(normalise_text(text))
        return _BRACKETED.sub("", m["name"]).strip() or None if m else None

    @staticmethod
    def _is_title(line: str) -> bool:
        s = normalise_text(line)
        return unit_name_from_title(s) is not None or s.endswith(("台账", "清单", "一览表"))

    def _structure(self, sheet: str, row: int, kind: str, texts: list[tuple[int, str]]) -> None:
        shown = " ".join(dict.fromkeys(t for _, t in texts))
        self.structure_rows.append(SkippedRow(sheet, row, kind, shown[:60]))

    def _loose_line(self, table: _Table, line: str, in_item_column: bool) -> str | None:
        """What a row holding one text is: ``title`` | ``section`` | ``unit`` | ``footer`` |
        ``text`` (skipped, named), or None when it is an item's text after all."""
        s = normalise_text(line)
        if self._unit_line(s):
            return "unit"
        if _FOOTER.match(s):
            return "footer"
        if self._is_title(s):
            return "title"
        category = section_category(s)
        if category is not None:
            table.category = self._category(category)
            return "section"
        return None if in_item_column else "text"

    def _category(self, text: str) -> str:
        """A section's category: a configured one it names (``党的建设方面`` → ``党的建设``),
        else its own words."""
        if text in self.category_set:
            return text
        for configured in sorted(self.categories, key=len, reverse=True):
            if configured in text and configured != self.default_category:
                return configured
        return text

    def _skip(self, sheet: str, row: int, reason: str, texts: list[tuple[int, str]]) -> None:
        shown = " ".join(dict.fromkeys(t for _, t in texts))
        self.skipped_rows.append(SkippedRow(sheet, row, reason, shown[:60]))

    def _add_unit(self, code: str, name: str) -> None:
        if not self.units.get(code):
            self.units[code] = name

    # ---------------------------------------------------------------- per row

    def _data_row(
        self, table: _Table, row: int, values: Sequence[object], current: _Problem | None
    ) -> _Problem | None:
        def cell(f: Field) -> object:
            index = table.columns.get(f)
            if index is None or index >= len(values):
                return None
            value = values[index]
            return None if isinstance(value, str) and not value.strip() else value

        def text(f: Field) -> str:
            return _text(cell(f))

        ref = _clean_ref(text(Field.REF))
        problem = text(Field.PROBLEM)
        measure = (text(Field.MEASURES), text(Field.OWNER), self._department(table, values))
        deadline = cell(Field.DEADLINE)
        if table.embedded_deadline and measure[0]:
            deadline = _deadline_in_text(measure[0])
        notes = self._notes(table, values)
        same = current is not None and current.table is table
        if same and current is not None:
            unit_cell = text(Field.UNIT)
            same_unit = not unit_cell or unit_cell == current.unit_cell
            continues = same_unit and (
                (not problem and not ref)
                or (problem == current.problem and ref in ("", current.ref))
            )
            if continues:
                current.measures.append((row, *measure, deadline))
                for note in notes:
                    if note not in current.notes:
                        current.notes.append(note)
                return current
        self._finish(current)
        if not problem:
            self._issue(table, row, IssueCode.MISSING, Field.PROBLEM)
            return None
        unit, unit_name = table.unit_code or "", table.unit_name
        if Field.UNIT in table.columns:
            raw_unit = text(Field.UNIT)
            parsed = _unit_from(raw_unit) if raw_unit else None
            if parsed is not None:
                unit, unit_name = parsed
                self._add_unit(unit, unit_name)
            elif raw_unit:
                unit, unit_name = "", raw_unit
        category_text = text(Field.CATEGORY)
        category, by_default = category_text, False
        if not category:
            category = table.category
        if not category:
            category, by_default = self.default_category, True
        elif category_text and not self._category_ok(category_text):
            self._issue(
                table,
                row,
                IssueCode.BAD_CATEGORY,
                Field.CATEGORY,
                value=category_text,
                allowed=list(self.categories),
            )
        return _Problem(
            table,
            row,
            ref,
            unit,
            unit_name,
            category,
            by_default,
            problem,
            text(Field.LEADER),
            text(Field.PROGRESS),
            notes,
            [(row, *measure, deadline)],
            text(Field.UNIT),
        )

    def _category_ok(self, text: str) -> bool:
        """A category column's value: a configured category, or a heading the way 巡察
        feedback names them (``……方面``); anything else is likely a typo and refused."""
        return text in self.category_set or normalise_text(text).endswith(("方面", "方面问题"))

    def _department(self, table: _Table, values: Sequence[object]) -> str:
        index = table.columns.get(Field.DEPARTMENT)
        lead = _text(values[index]) if index is not None and index < len(values) else ""
        index = table.columns.get(Field.PARTNER)
        partner = _text(values[index]) if index is not None and index < len(values) else ""
        if partner:
            return f"{lead}（配合：{partner}）" if lead else f"配合：{partner}"
        return lead

    def _notes(self, table: _Table, values: Sequence[object]) -> list[str]:
        notes: list[str] = []
        for f in (Field.NOTE, Field.EVIDENCE):
            index = table.columns.get(f)
            if index is not None and index < len(values) and (t := _text(values[index])):
                notes.append(t if f is Field.NOTE else f"{table.texts[index]}：{t}")
        for index, header in table.noted.items():
            if index < len(values) and (t := _text(values[index])):
                notes.append(f"{header}：{t}")
        return notes

    def _issue(self, table: _Table, row: int, code: IssueCode, f: Field, **params: Any) -> None:
        from openpyxl.utils import get_column_letter  # on first use (see read_ledger)

        index = table.columns.get(f)
        self.issues.append(
            ImportIssue(
                code,
                table.sheet,
                row,
                table.texts.get(index) if index is not None else COLUMN_BY_FIELD[f].zh,
                get_column_letter(index + 1) if index is not None else None,
                {"field": str(f), **params},
            )
        )

    def _finish(self, p: _Problem | None) -> None:
        """Check a whole problem (every measure row read) and make its draft."""
        if p is None:
            return
        before = len(self.issues)
        table = p.table
        for f, value in ((Field.PROBLEM, p.problem), (Field.LEADER, p.leader)):
            if len(value) > MAX_TEXT:
                self._issue(table, p.row, IssueCode.TOO_LONG, f, length=len(value), limit=MAX_TEXT)
        measures: list[Measure] = []
        notes = list(p.notes)
        deadline_cells = 0
        any_estimated = any_relative = False
        for row, text, owner, department, raw in p.measures:
            for f, value in ((Field.MEASURES, text), (Field.OWNER, owner)):
                if len(value) > MAX_TEXT:
                    self._issue(
                        table, row, IssueCode.TOO_LONG, f, length=len(value), limit=MAX_TEXT
                    )
            due: date | None = None
            long_term = False
            wording = ""
            if raw is not None and _text(raw):
                deadline_cells += 1
                try:
                    due, long_term, estimated, relative, wording, note = self._deadline(raw)
                except InvalidValue as exc:
                    params = {k: exc.params[k] for k in ("value", "example", "problem")}
                    self._issue(table, row, IssueCode.BAD_DATE, Field.DEADLINE, **params)
                    continue
                if note and note not in notes:
                    notes.append(note)
                any_estimated = any_estimated or estimated
                any_relative = any_relative or relative
            measures.append(Measure(text, owner, department, due, long_term, wording))
        if not deadline_cells and (Field.DEADLINE in table.columns or table.embedded_deadline):
            self._issue(table, p.row, IssueCode.MISSING, Field.DEADLINE)
        unit = p.unit
        ref = p.ref
        key_unit = unit or f"name:{p.unit_name}"
        if not ref:
            self.problem_counter[key_unit] += 1
            ref = f"#{self.problem_counter[key_unit]}"  # no 序号: the problem's place
        first = self.refs.setdefault((key_unit, ref), (table.sheet, p.row, p.category))
        if first[:2] != (table.sheet, p.row):
            qualified = f"{p.category}·{ref}"
            # numbering that starts again under each section row (一、… 1 2 3, 二、… 1 2)
            restarted = first[2] != p.category and table.category == p.category
            if restarted and (key_unit, qualified) not in self.refs:
                self.refs[(key_unit, qualified)] = (table.sheet, p.row, p.category)
                ref = qualified
            else:
                self._issue(
                    table,
                    p.row,
                    IssueCode.DUPLICATE_REF,
                    Field.REF,
                    value=ref,
                    first_sheet=first[0],
                    first_row=first[1],
                )
        if len(self.issues) > before:
            return
        if len(measures) == 1:
            only = measures[0]
            fields: dict[str, Any] = {
                "measures": only.text,
                "owner": only.owner,
                "department": only.department,
                "deadline": only.deadline,
                "long_term": only.long_term,
            }
            measure_list: tuple[Measure, ...] = ()
        else:
            fields = measure_summary(measures)
            measure_list = tuple(measures)
        note = "\n".join(notes)
        if len(note) > MAX_TEXT * 4:
            note = note[: MAX_TEXT * 4]
        item_id = normalise_item_id(ref)
        self.drafts.append(
            ItemDraft(
                unit=unit,
                source_ref=ref,
                category=p.category,
                problem=p.problem,
                deadline=fields["deadline"],
                long_term=bool(fields["long_term"]),
                measures=fields["measures"],
                leader=p.leader,
                department=fields["department"],
                owner=fields["owner"],
                progress=p.progress,
                note=note,
                status_hint=status_hint(p.progress),
                item_id=item_id if unit and item_id and item_id.startswith(unit + "-") else None,
                workdays_estimated=any_estimated,
                deadline_relative=any_relative,
                sheet=table.sheet,
                row=p.row,
                unit_name=p.unit_name,
                measure_list=measure_list,
                category_default=p.category_default,
                category_own=p.category not in self.category_set,
                measure_rows=tuple(r for r, *_ in p.measures),
            )
        )

    def _deadline(self, value: object) -> tuple[date | None, bool, bool, bool, str, str]:
        """(deadline, long_term, estimated, relative to today, wording kept, note)."""
        if isinstance(value, date):
            # A date cell is checked like a typed date: 1900–2200 (a serial typed into a
            # date-formatted cell can land in year 9999 or 1900-01-00).
            day = value.date() if isinstance(value, datetime) else value
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise InvalidValue(
                    f"bad deadline: {day.isoformat()} (out_of_range)",
                    field="deadline",
                    value=day.isoformat(),
                    example=f"{self.today.year}-12-31",
                    problem="out_of_range",
                )
            return day, False, False, False, "", ""
        if isinstance(value, str):
            parsed = parse_deadline(
                value, self.today, self.add_workdays, immediate_days=self.immediate_days
            )
            relative = parsed.kind in RELATIVE_KINDS
            plain = parsed.kind in (DeadlineKind.DATE, DeadlineKind.LONG_TERM)
            wording = "" if plain else normalise_text(value)
            reading = explain(value, parsed)
            iso = parsed.deadline.isoformat() if parsed.deadline is not None else None
            shown = parsed.deadline is not None and normalise_text(value) != iso
            if shown and len(self.readings) < READINGS_KEPT and reading not in self.readings:
                self.readings.append(reading)
            return (
                parsed.deadline,
                parsed.long_term,
                parsed.workdays_estimated,
                relative,
                wording,
                parsed.note,
            )
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
        units = tuple(Unit(code, name or code) for code, name in self.units.items())
        return make_plan(
            units,
            tuple(self.drafts),
            skipped_sheets=tuple(self.skipped),
            skipped_rows=tuple(self.skipped_rows),
            not_imported=tuple(self.not_imported.values()),
            readings=tuple(self.readings),
            structure_rows=tuple(self.structure_rows),
        )


def _fill(
    raw: tuple[object, ...],
    row_no: int,
    merges: dict[int, list[tuple[int, int]]],
    anchors: dict[tuple[int, int], object],
) -> list[object]:
    """The row's values with vertically merged cells filled from their first row."""
    values = list(raw[:MAX_COLUMNS])
    for index, spans in merges.items():
        for first, last in spans:
            if row_no == first:
                anchors[(index, first)] = values[index] if index < len(values) else None
            elif first < row_no <= last:
                current = values[index] if index < len(values) else None
                if current is None or (isinstance(current, str) and not current.strip()):
                    while len(values) <= index:
                        values.append(None)
                    values[index] = anchors.get((index, first))
    return values


_REF_PREFIX = re.compile(r"^(?:问题|第)\s*")
_REF_SUFFIX = re.compile(r"[.、．。:：]+$")


def _clean_ref(ref: str) -> str:
    """序号 as a key: ``1.`` / ``1、`` → ``1``; ``问题1`` → ``1``; ``（一）`` and ``1-2`` kept."""
    s = _REF_SUFFIX.sub("", normalise_text(ref))
    if re.fullmatch(r"(?:问题|第)\s*\d+\s*(?:项|个|条)?", s):
        s = re.sub(r"\D", "", s)
    return s


def make_plan(
    units: tuple[Unit, ...],
    drafts: tuple[ItemDraft, ...],
    *,
    skipped_sheets: tuple[SkippedSheet, ...] = (),
    skipped_rows: tuple[SkippedRow, ...] = (),
    not_imported: tuple[NotImported, ...] = (),
    readings: tuple[str, ...] = (),
    structure_rows: tuple[SkippedRow, ...] = (),
) -> ImportPlan:
    """An ``ImportPlan`` of these drafts, with its summary."""
    per_unit = Counter(d.unit for d in drafts)
    long_per_unit = Counter(d.unit for d in drafts if d.long_term)
    deadlines = [d.deadline for d in drafts if d.deadline is not None]
    unit_names = tuple(dict.fromkeys(d.unit_name for d in drafts if not d.unit))
    summary = ImportSummary(
        units=tuple(
            UnitCount(u.code, u.name, per_unit[u.code], long_per_unit[u.code]) for u in units
        ),
        items=len(drafts),
        long_term=sum(long_per_unit.values()),
        earliest_deadline=min(deadlines, default=None),
        latest_deadline=max(deadlines, default=None),
        workdays_estimated=sum(d.workdays_estimated for d in drafts),
        skipped_sheets=skipped_sheets,
        skipped_rows=skipped_rows,
        not_imported=not_imported,
        readings=readings,
        categories=tuple(dict.fromkeys(d.category for d in drafts)),
        default_category=sum(d.category_default for d in drafts),
        measures=sum(max(1, len(d.measure_list)) for d in drafts),
        several_measures=sum(len(d.measure_list) > 1 for d in drafts),
        unit_names=unit_names,
        own_categories=tuple(dict.fromkeys(d.category for d in drafts if d.category_own)),
        structure_rows=structure_rows,
    )
    return ImportPlan(units, drafts, summary)


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
