"""Benchmark of the spreadsheet layer: export and re-import of a province-sized ledger.

Prints JSON: seconds to export and to read back 200 units × 50 items (10,000 rows), the file
size, and the time to render the /stats chart for the same units. The floors, in the same run:
plain openpyxl writing the same number of sheets, rows and cells in ``write_only`` mode, and
reading every cell of the exported file in ``read_only`` mode. Target (ours: the issue names
none): export and import each ≤ 3× their floor.

    python bench/xlsx.py [--units 200] [--items 50]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Before openpyxl: storage makes openpyxl parse through defusedxml, not lxml (the import
# refuses to read otherwise), and openpyxl decides that when it is first imported.
import storage  # noqa: F401, I001

from openpyxl import Workbook, load_workbook

from bench._world import emit, figure
from handlers.charts import render_stats_png
from ledger.model import Item, ProgressNote, Status, Unit
from ledger.rules import Rules
from storage.xlsx_export import export_ledger, unit_stats, weekly_closed
from storage.xlsx_import import ImportPlan, read_ledger

UNITS = 200
ITEMS = 50
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED)


def make_ledger(
    rules: Rules, n_units: int = UNITS, n_items: int = ITEMS
) -> tuple[list[Unit], dict[str, list[Item]]]:
    units = [Unit(f"U{i:03d}", f"第{i}市局党组") for i in range(1, n_units + 1)]
    items: dict[str, list[Item]] = {}
    for unit in units:
        rows = []
        for k in range(1, n_items + 1):
            status = STATUSES[k % len(STATUSES)]
            created = NOW - timedelta(days=90)
            rows.append(
                Item(
                    id=f"{unit.code}-{k:03d}",
                    unit=unit.code,
                    category=rules.categories[k % len(rules.categories)],
                    problem="党内组织生活不规范，“三会一课”记录不全，批评与自我批评流于形式",
                    created_at=created,
                    leader="张某某",
                    department="机关党委",
                    owner="陈某",
                    measures="开展支部标准化建设，规范“三会一课”记录，上级党组派员列席组织生活会",
                    deadline=None if k % 10 == 0 else date(2026, 9, 1) + timedelta(days=3 * k),
                    long_term=k % 10 == 0,
                    status=status,
                    progress=(ProgressNote(created + timedelta(days=k), 1, "已召开专题会议"),),
                    closed_at=NOW - timedelta(days=k) if status is Status.CLOSED else None,
                )
            )
        items[unit.code] = rows
    return units, items


def floor_write(units: list[Unit], items: dict[str, list[Item]], columns: int) -> float:
    """Plain openpyxl, write_only: one sheet per unit, one row of ``columns`` cells per item."""
    started = time.perf_counter()
    book = Workbook(write_only=True)
    for unit in units:
        sheet = book.create_sheet(unit.code)
        sheet.append([f"列{c}" for c in range(columns)])
        for item in items[unit.code]:
            row = [item.id, item.category, item.problem, item.leader, item.department]
            row += [item.owner, item.measures, str(item.deadline), str(item.status)]
            sheet.append((row * 2)[:columns])
    book.save(io.BytesIO())
    return time.perf_counter() - started


def floor_read(data: bytes) -> tuple[float, int]:
    """Plain openpyxl, read_only: every cell value of ``data``; returns (seconds, columns)."""
    started = time.perf_counter()
    book = load_workbook(io.BytesIO(data), read_only=True)
    width = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            width = max(width, len(row))
    book.close()
    return time.perf_counter() - started, width


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=UNITS)
    parser.add_argument("--items", type=int, default=ITEMS)
    args = parser.parse_args()
    rules = Rules()
    units, items = make_ledger(rules, args.units, args.items)

    t0 = time.perf_counter()
    data = export_ledger(units, items, now=NOW, tz=TZ, rules=rules)
    export_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    plan = read_ledger(
        data,
        today=NOW.date(),
        add_workdays=lambda d, n: (d + timedelta(days=n), True),
        categories=rules.categories,
        max_rows=args.units * args.items,
        max_sheets=args.units + 1,
    )
    import_s = time.perf_counter() - t0
    if not isinstance(plan, ImportPlan) or len(plan.drafts) != args.units * args.items:
        raise SystemExit(f"re-import failed: {plan!r:.500}")

    t0 = time.perf_counter()
    stats = [unit_stats(u, items[u.code], now=NOW, tz=TZ, rules=rules) for u in units]
    every_item = [i for rows in items.values() for i in rows]
    png = render_stats_png(
        stats, weekly_closed(every_item, now=NOW, tz=TZ), title="巡察整改统计", lang="zh-CN"
    )
    chart_s = time.perf_counter() - t0
    read_floor, columns = floor_read(data)
    write_floor = floor_write(units, items, columns)
    emit(
        "xlsx",
        {"units": args.units, "items": args.units * args.items},
        [
            figure(
                "xlsx export",
                export_s,
                unit="s",
                floor=write_floor,
                target="≤ 3× floor",
                ok=export_s <= 3 * write_floor,
            ),
            figure(
                "xlsx import",
                import_s,
                unit="s",
                floor=read_floor,
                target="≤ 3× floor",
                ok=import_s <= 3 * read_floor,
            ),
        ],
        xlsx_bytes=len(data),
        chart_s=round(chart_s, 3),
        png_bytes=len(png),
    )


if __name__ == "__main__":
    main()
