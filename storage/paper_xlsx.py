"""The export's 回头看与满意度测评 sheet: one row per unit that had a 满意度测评 or a 回头看,
with the latest of each — counts and 满意率 (no comments: the export is also the unit's
own), the 回头看's sample, passed and rebounded items with their failed checks.

``paper_sheet(rows, say)`` returns what ``storage.xlsx_export.export_ledger(extra=…)``
calls with the workbook; words come from the caller (``say(key, **params)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any

from ledger.figures import format_rate
from ledger.lookback import CHECKS, Lookback
from ledger.model import Unit
from ledger.survey import Survey, result

Say = Callable[..., str]
_COLUMNS = (
    ("unit", 22),
    ("survey_period", 24),
    ("respondents", 8),
    ("satisfied", 8),
    ("basic", 10),
    ("unsatisfied", 8),
    ("rate", 10),
    ("lookback_date", 12),
    ("sampled", 8),
    ("passed", 8),
    ("rebounded", 8),
    ("rebound_items", 48),
)


@dataclass(frozen=True)
class PaperRow:
    unit: Unit
    survey: Survey | None
    lookback: Lookback | None


def paper_sheet(
    rows: Sequence[PaperRow], say: Say, tz: tzinfo, lang: str = "zh-CN"
) -> Callable[[Any], None] | None:
    """The sheet writer, or ``None`` when no unit had either (no sheet then)."""
    shown = [r for r in rows if r.survey is not None or r.lookback is not None]
    if not shown:
        return None

    def day(d: date) -> str:
        if lang == "zh-CN":
            return say("report.date", year=d.year, month=d.month, day=d.day)
        return say("report.date", year=d.year, month=f"{d.month:02d}", day=f"{d.day:02d}")

    def write(wb: Any) -> None:
        # openpyxl on first use, not with the bot (storage.xlsx_import.read_ledger says why).
        from openpyxl.styles import Alignment, Font

        ws = wb.create_sheet(say("paper.xlsx.sheet"))
        bold = Font(bold=True)
        for col, (key, width) in enumerate(_COLUMNS, start=1):
            cell = ws.cell(row=1, column=col, value=say(f"paper.xlsx.{key}"))
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[cell.column_letter].width = width
        for n, row in enumerate(shown, start=2):
            values: list[object] = [f"{row.unit.name}（{row.unit.code}）"]
            if row.survey is not None:
                outcome = result(row.survey)
                # closes_at is the first instant after the last day
                last_day = (row.survey.closes_at - timedelta(seconds=1)).astimezone(tz).date()
                opened = row.survey.opened_at.astimezone(tz).date()
                values += [
                    say("paper.xlsx.period", start=day(opened), end=day(last_day)),
                    outcome.respondents,
                    outcome.overall.satisfied,
                    outcome.overall.basic,
                    outcome.overall.unsatisfied,
                    format_rate(outcome.overall.rate),
                ]
            else:
                values += ["—", None, None, None, None, "—"]
            record = row.lookback
            if record is not None:
                rebounds = [
                    say(
                        "paper.xlsx.rebound",
                        item_id=f.item_id,
                        checks=say("paper.sep").join(
                            say(f"paper.check.{c}") for c in CHECKS if c in f.failed
                        ),
                    )
                    for f in record.findings
                    if not f.passed
                ]
                values += [
                    day(record.started_at.astimezone(tz).date()),
                    len(record.sample),
                    sum(1 for f in record.findings if f.passed),
                    len(record.rebounded),
                    "；".join(rebounds) or "—",
                ]
            else:
                values += ["—", None, None, None, "—"]
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=n, column=col, value=value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    return write
