"""A streaming pre-scan of an uploaded .xlsx before openpyxl parses it (R32).

Small files inside every size cap can still exhaust the parser: one row of 4 million cells
(234 KB zipped) made openpyxl use 1.9 GB; 200,000 merged ranges took minutes; a row numbered
1,048,576 after row 1 makes openpyxl's read-only mode yield a million empty rows. This module
reads each worksheet's XML once with a streaming parser (defusedxml's ``iterparse``: no DTDs,
no entities), keeps nothing but counters, and stops at the first cap it meets:

============  ===============================================================================
what          counted
============  ===============================================================================
row_cells     ``<c>`` elements in one ``<row>`` (a ledger has ~20 columns; 64 are read)
cells         ``<c>`` elements in the whole workbook
merged        ``<mergeCell>`` elements in the whole workbook
blank_rows    rows without a value, plus the rows a jump in ``r=`` numbers skips (openpyxl
              yields each of them as an empty row)
============  ===============================================================================

``scan(data)`` returns ``None`` for a workbook inside every cap, else a ``Refusal`` naming the
cap, its limit and where it was hit. It never raises for hostile content: XML it cannot parse
is left for the reader to refuse as damaged.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

MAX_ROW_CELLS = 1_000
MAX_CELLS = 2_500_000  # 100,000 rows (MAX_ROWS) of ~20 columns, with room
MAX_MERGED = 20_000
MAX_BLANK_ROWS = 50_000

_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


@dataclass(frozen=True)
class Refusal:
    """The first cap a workbook hit: ``what`` (``row_cells``, ``cells``, ``merged``,
    ``blank_rows``), its ``limit``, the sheet (its title when the workbook names it, else the
    part's name) and the row (``None`` if not one row)."""

    what: str
    limit: int
    sheet: str
    row: int | None


@dataclass
class _Count:
    cells: int = 0
    merged: int = 0
    blank: int = 0


class _Stop(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


def scan(
    data: bytes,
    *,
    max_row_cells: int = MAX_ROW_CELLS,
    max_cells: int = MAX_CELLS,
    max_merged: int = MAX_MERGED,
    max_blank_rows: int = MAX_BLANK_ROWS,
) -> Refusal | None:
    """Stream every worksheet of the .xlsx ``data``; the first cap hit, or ``None``."""
    caps = (max_row_cells, max_cells, max_merged, max_blank_rows)
    count = _Count()
    titles: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            titles = _titles(zf)
            for name in sorted(n for n in zf.namelist() if _SHEET.match(n)):
                with zf.open(name) as fh:
                    _scan_sheet(fh, name, count, caps)
    except _Stop as stop:
        part = stop.refusal.sheet
        title = titles.get(part, part.rpartition("/")[2].removesuffix(".xml"))
        return Refusal(stop.refusal.what, stop.refusal.limit, title, stop.refusal.row)
    # Not ours to word: the reader refuses a damaged or unsafe file with its own message.
    except (
        zipfile.BadZipFile,
        zlib.error,
        ParseError,
        DefusedXmlException,
        OSError,
        EOFError,
        KeyError,
        RuntimeError,
        ValueError,
    ):
        return None
    return None


_RELS = "xl/_rels/workbook.xml.rels"
_SMALL = 5_000_000  # workbook.xml and its rels: a few KB in a real file


def _titles(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet title, from workbook.xml and its rels (empty if unreadable)."""
    try:
        if (
            zf.getinfo("xl/workbook.xml").file_size > _SMALL
            or zf.getinfo(_RELS).file_size > _SMALL
        ):
            return {}
        targets: dict[str, str] = {}
        with zf.open(_RELS) as fh:
            for _, elem in iterparse(fh, forbid_dtd=True):
                if _local(elem.tag) == "Relationship" and elem.get("Id") and elem.get("Target"):
                    target = str(elem.get("Target")).lstrip("/")
                    targets[str(elem.get("Id"))] = (
                        target if target.startswith("xl/") else f"xl/{target}"
                    )
        titles: dict[str, str] = {}
        with zf.open("xl/workbook.xml") as fh:
            for _, elem in iterparse(fh, forbid_dtd=True):
                if _local(elem.tag) != "sheet":
                    continue
                rid = next((v for k, v in elem.attrib.items() if _local(k) == "id"), None)
                if rid in targets and elem.get("name"):
                    titles[targets[rid]] = str(elem.get("name"))
        return titles
    except (KeyError, ParseError, DefusedXmlException, zipfile.BadZipFile, zlib.error, OSError):
        return {}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _scan_sheet(
    fh: IO[bytes],
    part: str,
    count: _Count,
    caps: tuple[int, int, int, int],
) -> None:
    max_row_cells, max_cells, max_merged, max_blank = caps
    row_no = 0  # the current row's number (r=, else one after the last)
    row_cells = 0
    row_has_value = False
    parent = None  # sheetData / mergeCells: cleared as we go, so memory stays flat
    for event, elem in iterparse(fh, events=("start", "end"), forbid_dtd=True):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "row":
                number = _int(elem.get("r"))
                previous = row_no
                row_no = number if number is not None and number > previous else previous + 1
                count.blank += row_no - previous - 1  # rows skipped: read as empty rows
                if count.blank > max_blank:
                    raise _Stop(Refusal("blank_rows", max_blank, part, row_no))
                row_cells = 0
                row_has_value = False
            elif tag == "c":
                row_cells += 1
                count.cells += 1
                if row_cells > max_row_cells:
                    raise _Stop(Refusal("row_cells", max_row_cells, part, row_no or None))
                if count.cells > max_cells:
                    raise _Stop(Refusal("cells", max_cells, part, row_no or None))
            elif tag == "mergeCell":
                count.merged += 1
                if count.merged > max_merged:
                    raise _Stop(Refusal("merged", max_merged, part, None))
            elif tag in ("sheetData", "mergeCells"):
                parent = elem
            continue
        if tag in ("v", "t") and elem.text and elem.text.strip():
            row_has_value = True
        elif tag == "row":
            if not row_has_value:
                count.blank += 1
                if count.blank > max_blank:
                    raise _Stop(Refusal("blank_rows", max_blank, part, row_no))
            if parent is not None:
                parent.clear()
        elif tag == "mergeCell" and parent is not None and count.merged % 1000 == 0:
            parent.clear()
        elif tag == "c":
            elem.clear()


def _int(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 9:
        return None
    return int(text)
