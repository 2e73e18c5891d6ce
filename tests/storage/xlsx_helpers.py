"""Builders shared by the spreadsheet and chart tests (imported as ``tests.storage.xlsx_helpers``).

Workbooks are built with openpyxl in memory or tmp_path (no binary fixtures), the clock is
fixed, and working days are Monday–Friday."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from ledger.model import Item, Status
from ledger.rules import DEFAULT_CATEGORIES
from storage.xlsx_import import ImportErrors, ImportPlan, read_ledger

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
TODAY = date(2026, 11, 26)
# The typical ledger of DESIGN §7 (docs/ARCHITECTURE.md §7), one sheet per unit, kept in the
# repository so that a clean clone tests against it.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "ledger-sample.xlsx"
HEADER = ["序号", "问题类别", "问题描述", "整改措施", "责任领导", "责任部门", "责任人", "整改时限"]
HEADER += ["完成情况", "备注"]

Rows = Sequence[Sequence[object]]


def weekdays(start: date, n: int) -> tuple[date, bool]:
    d = start
    while n:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d, True


def row(
    ref: object = 1, category: object = "党的建设", problem: object = "问题", **kw: object
) -> list:
    """A standard 10-column data row; keywords override by English field name."""
    values = {
        "measures": "措施",
        "leader": "李某某",
        "department": "办公室",
        "owner": "赵某",
        "deadline": date(2026, 12, 31),
        "progress": "整改中",
        "note": None,
    }
    values.update(kw)
    return [ref, category, problem, *values.values()]


def book_bytes(
    sheets: Mapping[str, Rows], *, merges: Mapping[str, Sequence[str]] | None = None
) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for values in rows:
            ws.append(list(values))
        for ref in (merges or {}).get(title, ()):
            ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


JB_TITLE = "中共江北市局党组巡察反馈问题整改台账"


def ledger_sheet(rows: Rows, *, title: str | None = JB_TITLE) -> list:
    """A title row (optional), the header, then ``rows``."""
    return [*([[title]] if title else []), HEADER, *rows]


def patch_zip(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """Rewrite one member of a zip (to forge what openpyxl would never write)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == member:
                content = change(content)
            dst.writestr(info.filename, content)
    return out.getvalue()


CATEGORIES = DEFAULT_CATEGORIES  # includes 作风建设, which the sample uses


def read(source: Any, **kw: Any) -> ImportPlan | ImportErrors:
    """read_ledger with today, Mon–Fri working days and ``CATEGORIES`` unless overridden."""
    options: dict[str, Any] = {"today": TODAY, "add_workdays": weekdays, "categories": CATEGORIES}
    options.update(kw)
    return read_ledger(source, **options)


def plan_of(result: ImportPlan | ImportErrors) -> ImportPlan:
    assert isinstance(result, ImportPlan), result
    return result


def errors_of(result: ImportPlan | ImportErrors) -> ImportErrors:
    assert isinstance(result, ImportErrors), result
    return result


def make_item(unit: str = "JB", seq: int = 1, **kw: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"{unit}-{seq:03d}",
        "unit": unit,
        "category": "党的建设",
        "problem": f"问题{seq}：党内组织生活不规范",
        "created_at": NOW - timedelta(days=3),
        "leader": "李某某",
        "department": "办公室",
        "owner": "赵某",
        "measures": "规范“三会一课”记录",
        "deadline": date(2027, 3, 1),
        "status": Status.IN_PROGRESS,
    }
    values.update(kw)
    return Item(**values)
