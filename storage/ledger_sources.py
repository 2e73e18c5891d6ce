"""The file kinds a 台账 arrives in, each read into the same rows (storage.xlsx_import).

- .xlsx: openpyxl in read-only mode (values only, formulas never evaluated); vertical merges
  and hidden rows are picked out of the sheet's XML with patterns (read-only worksheets do not
  expose them, and a second full XML parse would double the import time; markup cannot hide
  in cell text, where ``<`` is escaped).
- .xls (Excel 97–2003, WPS "save as xls"): xlrd with formatting information (merged cells,
  hidden rows and sheets); dates are converted with the workbook's date mode.
- .docx: python-docx; every table of the document is a "sheet" named ``表N`` (a 整改方案
  whose annex is the 台账 table: the tables without a 台账 header are skipped as sheets
  without one). Word repeats a vertically merged cell's value in python-docx's cells, and a
  paragraph just above a table (its title) is given as the table's first row.

Every reader raises :class:`UnreadableSource` (the parser's error chained) for content its
parser fails on, and returns a reason string (``too_many_sheets``, ``damaged``,
``xls_or_encrypted``) for a file it refuses before reading rows.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_COLUMNS = 64
_MERGE_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']"
    rb"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})[\"']"
)
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*>")
_ROW_NUMBER = re.compile(rb"\br\s*=\s*[\"']([0-9]{1,7})[\"']")
_HIDDEN = re.compile(rb"\bhidden\s*=\s*[\"'](?:1|true)[\"']")


class UnreadableSource(Exception):
    """A parser failed on the file's content (the cause is chained): a bad file, not a bug
    here — only calls into the parsers are wrapped."""


@dataclass
class SheetData:
    """One sheet (or Word table) as rows of values: what every file kind is read into.

    ``merges``: column index → (first, last) 1-based rows of vertical merges (their value
    fills the rows they span); ``hidden_rows``: rows the author hid."""

    title: str
    rows: Iterator[tuple[object, ...]]
    visible: bool = True
    merges: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    code_title: bool = True  # a sheet's title may be a unit code (not a Word table's)


# --------------------------------------------------------------------------- .xlsx


def _guarded(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except MemoryError:  # the parse process's limit (storage.parse_worker)
            raise
        except Exception as exc:  # any parser failure on hostile XML
            raise UnreadableSource from exc
        yield values


def xlsx_sheet(wb: Any, ws: Any) -> SheetData:
    """A read-only openpyxl worksheet as rows (merges and hidden rows from its XML)."""
    title = str(ws.title)
    if getattr(ws, "sheet_state", "visible") != "visible":
        return SheetData(title, iter(()), visible=False)
    merges, hidden = _scan_xlsx(wb, ws)
    ws.reset_dimensions()  # never trust the declared size: it may hide rows
    rows = _guarded(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS))
    return SheetData(title, rows, merges=merges, hidden_rows=frozenset(hidden))


def _scan_xlsx(wb: Any, ws: Any) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    merges: dict[int, list[tuple[int, int]]] = {}
    hidden: set[int] = set()
    if path is None or archive is None:
        return merges, hidden
    # openpyxl on first use, not with the bot (storage.xlsx_import.read_ledger says why).
    from openpyxl.utils import range_boundaries

    tail = b""
    try:
        with archive.open(path) as src:
            while chunk := src.read(1 << 20):
                buffer = tail + chunk
                end = 0
                for m in _MERGE_CELL.finditer(buffer):
                    end = max(end, m.end())
                    min_col, min_row, _max_col, max_row = range_boundaries(m[1].decode())
                    if max_row > min_row and min_col <= MAX_COLUMNS:
                        merges.setdefault(min_col - 1, []).append((min_row, max_row))
                for m in _ROW_TAG.finditer(buffer):
                    end = max(end, m.end())
                    tag = m[0]
                    if _HIDDEN.search(tag) and (number := _ROW_NUMBER.search(tag)):
                        hidden.add(int(number[1]))
                tail = buffer[max(end, len(buffer) - 256) :]
    # zipfile: CRC/inflate errors; RuntimeError covers unsupported versions and encryption
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, RuntimeError) as exc:
        raise UnreadableSource from exc
    return merges, hidden


# --------------------------------------------------------------------------- .xls


def xls_sheets(data: bytes, max_sheets: int) -> list[SheetData] | str:
    """The sheets of an Excel 97–2003 workbook, or why it is refused."""
    import xlrd  # imported here: only .xls uploads need it

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except MemoryError:  # the parse process's limit (storage.parse_worker)
        raise
    except Exception:  # an encrypted .xlsx is OLE too; xlrd refuses both the same way
        return "xls_or_encrypted"
    try:
        if book.nsheets > max_sheets:
            return "too_many_sheets"
        sheets: list[SheetData] = []
        for index in range(book.nsheets):
            try:
                sh = book.sheet_by_index(index)
            except MemoryError:  # the parse process's limit (storage.parse_worker)
                raise
            except Exception as exc:
                raise UnreadableSource from exc
            sheets.append(_xls_sheet(book, sh))
        return sheets
    finally:
        book.release_resources()


def _xls_sheet(book: Any, sh: Any) -> SheetData:
    import xlrd

    merges: dict[int, list[tuple[int, int]]] = {}
    for rlo, rhi, clo, _chi in sh.merged_cells:  # 0-based, hi exclusive
        if rhi - rlo > 1 and clo < MAX_COLUMNS:
            merges.setdefault(clo, []).append((rlo + 1, rhi))
    hidden = frozenset(r + 1 for r, info in sh.rowinfo_map.items() if info.hidden)

    def value(cell: Any) -> object:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                # a naive wall-clock value, as openpyxl gives for .xlsx cells
                return datetime(*xlrd.xldate_as_tuple(cell.value, book.datemode))  # noqa: DTZ001
            except Exception:  # a date number out of range: keep the number
                return cell.value
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        return cell.value

    rows = (tuple(value(c) for c in sh.row(r)[:MAX_COLUMNS]) for r in range(sh.nrows))
    return SheetData(
        str(sh.name),
        rows,
        visible=sh.visibility == 0,
        merges=merges,
        hidden_rows=hidden,
    )


# --------------------------------------------------------------------------- .docx


def docx_sheets(data: bytes, max_sheets: int) -> list[SheetData] | str:
    """Each table of a Word document as a sheet ``表1``, ``表2`` …, the paragraph above it
    (a title such as ``附件：……整改台账``) given as its first row."""
    import docx  # python-docx: imported here, only .docx uploads need it
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:  # the parse process's limit (storage.parse_worker)
        raise
    except Exception:  # no readable Word document inside the zip
        return "not_workbook"
    try:
        blocks = list(document.iter_inner_content())
    except MemoryError:  # the parse process's limit (storage.parse_worker)
        raise
    except Exception as exc:
        raise UnreadableSource from exc
    tables = [b for b in blocks if isinstance(b, Table)]
    if len(tables) > max_sheets:
        return "too_many_sheets"
    sheets: list[SheetData] = []
    titles: list[str] = []
    number = 0
    for block in blocks:
        if isinstance(block, Paragraph):
            if block.text.strip():
                titles = [*titles[-2:], block.text.strip()]
            continue
        number += 1
        sheets.append(SheetData(f"表{number}", _docx_rows(block, titles), code_title=False))
        titles = []
    return sheets


def _docx_rows(table: Any, titles: list[str]) -> Iterator[tuple[object, ...]]:
    for title in titles:
        yield (title,)
    try:
        for row in table.rows:
            seen: set[int] = set()
            values: list[object] = []
            for cell in row.cells[:MAX_COLUMNS]:
                # a horizontally merged cell comes back once per grid column: keep it once
                key = id(cell._tc)
                values.append(None if key in seen else cell.text.strip() or None)
                seen.add(key)
            yield tuple(values)
    except MemoryError:  # the parse process's limit (storage.parse_worker)
        raise
    except Exception as exc:
        raise UnreadableSource from exc


__all__ = ["SheetData", "UnreadableSource", "docx_sheets", "xls_sheets", "xlsx_sheet"]
