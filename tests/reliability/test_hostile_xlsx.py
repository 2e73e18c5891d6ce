"""R32: a hostile workbook inside every size cap is refused within bounded time and memory.

Each file is generated here (a real ledger whose sheet XML is replaced), written to disk, and
read by ``read_ledger`` — the single entry point of every import — in a child process that
reports its wall time and peak RSS. Bounds: 30 s and 400 MB per file; each must be refused by
the pre-scan (``storage.xlsx_guard``) with the cap it hit, before openpyxl parses it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from storage import xlsx_guard
from storage.xlsx_import import ImportErrors, IssueCode
from tests.storage.xlsx_helpers import HEADER, book_bytes, ledger_sheet, patch_zip, read, row

ROOT = Path(__file__).resolve().parents[2]
SHEET = "xl/worksheets/sheet1.xml"
MAX_SECONDS = 30
MAX_MB = 400

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)

CHILD = """
import json, sys, time
from datetime import date
from storage.xlsx_import import ImportErrors, read_ledger
from ledger.rules import DEFAULT_CATEGORIES
started = time.perf_counter()
result = read_ledger(
    sys.argv[1], today=date(2026, 3, 2), add_workdays=lambda d, n: (d, False),
    categories=DEFAULT_CATEGORIES,
)
elapsed = time.perf_counter() - started
# VmHWM: this process image's peak RSS (ru_maxrss would include the forked parent's).
with open("/proc/self/status") as status:
    peak_kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
peak_mb = peak_kb / 1024
issues = [
    {"code": str(i.code), "sheet": i.sheet, "row": i.row, **dict(i.params)}
    for i in (result.issues if isinstance(result, ImportErrors) else ())
]
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "issues": issues}))
"""


def _header_rows() -> bytes:
    """The real sheet's first rows (title, header, one item) as openpyxl wrote them."""
    data = book_bytes({"JB": ledger_sheet([row(1)])})
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    start = xml.index(b"<sheetData>") + len(b"<sheetData>")
    end = xml.index(b"</sheetData>")
    return xml[start:end]


def _sheet(body: Iterator[bytes], tail: bytes = b"") -> bytes:
    return (
        HEAD
        + b"<sheetData>"
        + _header_rows()
        + b"".join(body)
        + b"</sheetData>"
        + tail
        + (b"</worksheet>")
    )


def wide_row(cells: int = 2_000_000) -> bytes:
    return _sheet(iter([b'<row r="4">', b"<c><v>1</v></c>" * cells, b"</row>"]))


def many_merges(merges: int = 200_000, rows: int = 20_000) -> bytes:
    body = (f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'.encode() for r in range(4, rows))
    cells = b"".join(
        f'<mergeCell ref="B{4 + i % rows}:C{4 + i % rows}"/>'.encode() for i in range(merges)
    )
    return _sheet(body, b'<mergeCells count="%d">' % merges + cells + b"</mergeCells>")


def blank_padding(rows: int = 1_000_000) -> bytes:
    return _sheet(f'<row r="{r}"><c r="A{r}" s="0"/></row>'.encode() for r in range(4, rows))


def row_jump() -> bytes:
    return _sheet(iter([b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>']))


def _book(sheet_xml: bytes) -> bytes:
    good = book_bytes({"JB": ledger_sheet([row(1)])})
    return patch_zip(good, SHEET, lambda _: sheet_xml)


def _read_in_child(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS * 4,  # the bound is asserted below; this only stops a runaway
        cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (wide_row, "row_cells"),
        (many_merges, "merged"),
        (blank_padding, "blank_rows"),
        (row_jump, "blank_rows"),
    ],
    ids=["2M-cell row", "200k merges x 20k rows", "1M blank rows", "row 1,048,576"],
)
def test_a_hostile_workbook_is_refused_within_30_s_and_400_mb(
    tmp_path: Path, make: object, what: str
) -> None:
    assert callable(make)
    data = _book(make())
    assert len(data) < 20_000_000  # inside the download cap
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    result = _read_in_child(path)
    assert result["issues"] and len(result["issues"]) == 1  # type: ignore[arg-type]
    issue = result["issues"][0]  # type: ignore[index]
    assert issue["code"] == "too_complex" and issue["what"] == what
    assert issue["sheet"] == "JB"
    assert float(result["seconds"]) <= MAX_SECONDS  # type: ignore[arg-type]
    assert float(result["peak_mb"]) <= MAX_MB  # type: ignore[arg-type]


def test_a_real_ledger_passes_the_pre_scan() -> None:
    data = book_bytes({"JB": ledger_sheet([row(n) for n in range(1, 200)])})
    assert xlsx_guard.scan(data) is None
    sample = (ROOT / "tests" / "data" / "ledger-sample.xlsx").read_bytes()
    assert xlsx_guard.scan(sample) is None


def test_each_cap_is_named_with_its_limit() -> None:
    refusal = xlsx_guard.scan(_book(wide_row(1_001)))
    assert refusal == xlsx_guard.Refusal("row_cells", 1_000, "JB", 4)
    assert xlsx_guard.scan(_book(wide_row(1_000))) is None
    assert xlsx_guard.scan(_book(many_merges(101, 50)), max_merged=100) == xlsx_guard.Refusal(
        "merged", 100, "JB", None
    )
    cells = xlsx_guard.scan(_book(blank_padding(200)), max_cells=100)
    assert cells is not None and cells.what == "cells"
    assert HEADER  # the header the generated sheets keep


@pytest.mark.parametrize(
    "day",
    [date(2300, 1, 1), date(2201, 1, 1), datetime(9999, 12, 31)],  # noqa: DTZ001 (Excel cells are naive)
)
def test_a_date_cell_outside_1900_2200_is_refused_with_its_row(day: date) -> None:
    data = book_bytes({"JB": ledger_sheet([row(1), row(2, deadline=day)])})
    result = read(data)
    assert isinstance(result, ImportErrors), result
    (issue,) = result.issues
    assert issue.code is IssueCode.BAD_DATE and issue.params["problem"] == "out_of_range"
    assert issue.sheet == "JB" and issue.row == 4  # title, header, row 1, then this one
