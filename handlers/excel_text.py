"""The words of a 台账 import: problems found, the preview, the result (chat and shell alike).

Everything returns ``Html`` built through ``Catalog.t`` (every file-borne string escaped, R24);
the shell prints it through ``handlers.common.to_plain``. Each ``IssueCode`` of
storage/xlsx_import.py has its own message (``excel.issue.<code>[_<variant>]``) and a place
(sheet, row, column) in front of it. Lists stay under Telegram's 4096 characters whatever the
file holds: at most :data:`ISSUE_LINES` problems (fewer if they are long) then a count, at most
:data:`UNIT_LINES` units and :data:`UPDATE_LINES` changed items, values clipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from app.imports import (
    ISSUE_SHOW_LIMIT,
    ImportErrors,
    ImportIssue,
    ImportOutcome,
    ImportPlan,
    IssueCode,
    SkippedSheet,
)
from handlers.render import day_text, one_line
from locales import Catalog, Html

ISSUE_LINES = ISSUE_SHOW_LIMIT  # 20
UNIT_LINES = 15
UPDATE_LINES = 10
VALUE_MAX = 60  # characters of a cell's text quoted in a message
TEXT_BUDGET = 3600  # characters of a whole message (Telegram allows 4096)
SKIPPED_MAX = 10


def size_text(size: int) -> str:
    """Bytes for people: ``20.0 MB``, ``512 KB``."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


def clip(value: object, limit: int = VALUE_MAX) -> str:
    """A cell's text (or number) on one line, clipped with "…" (``render.one_line``)."""
    return one_line(str(value), limit)


def _join(catalog: Catalog, lang: str, values: Iterable[object]) -> str:
    return catalog.plain(lang, "excel.list_sep").join(clip(v, 30) for v in values)


def _field(catalog: Catalog, lang: str, name: object) -> str:
    key = f"excel.field.{name}"
    return catalog.plain(lang, key) if catalog.has(key) else clip(name, 30)


# --------------------------------------------------------------------------- issues


def _issue_key(issue: ImportIssue) -> str:
    """``excel.issue.<code>`` plus the variant some codes have."""
    p = issue.params
    code = issue.code
    if code is IssueCode.TOO_BIG:
        return f"excel.issue.too_big_{p.get('what', 'file')}"
    if code is IssueCode.NOT_XLSX:
        return f"excel.issue.not_xlsx_{p.get('reason', 'damaged')}"
    if code is IssueCode.TOO_COMPLEX:
        return f"excel.issue.too_complex_{p.get('what', 'cells')}"
    if code is IssueCode.BAD_UNIT:
        return "excel.issue.bad_unit_cell" if issue.row else "excel.issue.bad_unit_sheet"
    if code is IssueCode.BAD_DATE:
        return f"excel.issue.bad_date_{p.get('problem', 'format')}"
    if code is IssueCode.INVALID and p.get("item_id"):
        return "excel.issue.invalid_item"
    return f"excel.issue.{code}"


def issue_text(catalog: Catalog, lang: str, issue: ImportIssue) -> Html:
    """One problem: where it is, then what is wrong (``• 工作表“JB”第 5 行“整改时限”列：…``)."""
    p: Mapping[str, Any] = issue.params
    values: dict[str, Any] = {
        name: clip(value) for name, value in p.items() if isinstance(value, str | int)
    }
    values.update(
        size=size_text(int(p.get("size", 0))),
        limit=size_text(int(p.get("limit", 0)))
        if issue.code is IssueCode.TOO_BIG
        else p.get("limit", ""),
        field=_field(catalog, lang, p.get("field", "")),
        aliases=_join(catalog, lang, p.get("aliases", ())),
        allowed=_join(catalog, lang, p.get("allowed", ())),
        skipped=_join(catalog, lang, p.get("skipped", ())) or "—",
        fields=_join(catalog, lang, (_field(catalog, lang, f) for f in p.get("fields", ()))),
        status=catalog.plain(lang, f"status.{p.get('status', 'open')}"),
        problem=catalog.plain(
            lang,
            f"excel.problem.{p.get('problem')}"
            if catalog.has(f"excel.problem.{p.get('problem')}")
            else "excel.problem.other",
        ),
    )
    key = _issue_key(issue)
    if not catalog.has(key):  # a code this module does not know yet: say what we can
        key = "excel.issue.invalid"
    what = catalog.t(lang, key, **values)
    sheet = clip(issue.sheet, 40) if issue.sheet else None
    column = clip(issue.column, 30) if issue.column else None
    if sheet and issue.row and column:
        where = catalog.t(
            lang, "excel.where.sheet_row_column", sheet=sheet, row=issue.row, column=column
        )
    elif sheet and issue.row:
        where = catalog.t(lang, "excel.where.sheet_row", sheet=sheet, row=issue.row)
    elif sheet and column:
        where = catalog.t(lang, "excel.where.sheet_column", sheet=sheet, column=column)
    elif sheet:
        where = catalog.t(lang, "excel.where.sheet", sheet=sheet)
    else:
        where = catalog.t(lang, "excel.where.file")
    return catalog.t(lang, "excel.issue.line", where=where, what=what)


def issues_text(
    catalog: Catalog, lang: str, errors: ImportErrors, *, file_name: str, head: str
) -> Html:
    """``head`` (``excel.import.refused_head`` or ``excel.result.refused_head``), at most
    :data:`ISSUE_LINES` problems — fewer if long ones would not fit — then "另有 N 处问题"."""
    shown, _ = errors.head(ISSUE_LINES)
    lines = [catalog.t(lang, head, file=clip(file_name), count=len(errors.issues))]
    used = len(lines[0])
    kept = 0
    for issue in shown:
        line = issue_text(catalog, lang, issue)
        if used + len(line) > TEXT_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
        kept += 1
    more = len(errors.issues) - kept
    if more:
        lines.append(catalog.t(lang, "excel.import.more", count=more))
    lines.append(catalog.t(lang, "excel.import.fix_hint"))
    return Html("\n".join(lines))


# --------------------------------------------------------------------------- preview / result


def _skipped(catalog: Catalog, lang: str, sheets: Sequence[SkippedSheet]) -> str:
    named = [
        catalog.plain(lang, f"excel.preview.skipped_{s.reason}", title=clip(s.title, 30))
        for s in sheets[:SKIPPED_MAX]
    ]
    if len(sheets) > SKIPPED_MAX:
        named.append("…")
    return catalog.plain(lang, "excel.list_sep").join(named)


def _unit_categories(catalog: Catalog, lang: str, plan: ImportPlan, code: str) -> Html | None:
    """A unit's categories and how many problems each, when the file holds several units
    (with one unit the file-wide line says it all)."""
    found = Counter(d.category for d in plan.drafts if d.unit == code)
    if not found:
        return None
    sep = catalog.plain(lang, "excel.list_sep")
    shown = sep.join(
        catalog.plain(lang, "intake.preview.unit_category", category=clip(c, 20), count=n)
        for c, n in found.most_common(UNIT_LINES)
    )
    more = len(found) - UNIT_LINES
    if more > 0:
        shown += catalog.plain(lang, "intake.preview.unit_categories_more", count=more)
    return catalog.t(lang, "intake.preview.unit_categories", categories=shown)


def _counts(
    catalog: Catalog, lang: str, outcome: ImportOutcome, plan: ImportPlan | None = None
) -> list[Html]:
    lines = [
        catalog.t(
            lang,
            "excel.preview.totals",
            units=len(outcome.units),
            rows=sum(u.rows for u in outcome.units),
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        )
    ]
    if outcome.units_created:
        lines.append(catalog.t(lang, "excel.preview.new_units", count=outcome.units_created))
    for unit in outcome.units[:UNIT_LINES]:
        lines.append(
            catalog.t(
                lang,
                "excel.preview.unit_line",
                code=unit.code,
                name=clip(unit.name, 30),
                new=catalog.plain(lang, "excel.preview.new_mark") if unit.new_unit else "",
                rows=unit.rows,
                created=unit.created,
                updated=unit.updated,
                unchanged=unit.unchanged,
            )
        )
        if plan is not None and len(outcome.units) > 1:
            categories = _unit_categories(catalog, lang, plan, unit.code)
            if categories is not None:
                lines.append(categories)
    if len(outcome.units) > UNIT_LINES:
        lines.append(
            catalog.t(lang, "excel.preview.more_units", count=len(outcome.units) - UNIT_LINES)
        )
    return lines


def preview_text(
    catalog: Catalog,
    lang: str,
    plan: ImportPlan,
    outcome: ImportOutcome,
    *,
    file_name: str,
    minutes: int,
    question: bool = True,
) -> Html:
    """The 确认导入 preview: units with names and counts (new / updated / unchanged), the
    deadline range, long-term and estimated deadlines, the items a re-import changes, skipped
    sheets; then the question (unless ``question`` is false) or "nothing to import"."""
    summary = plan.summary
    lines = [
        catalog.t(lang, "excel.preview.title", file=clip(file_name)),
        *_counts(catalog, lang, outcome, plan),
    ]
    if summary.earliest_deadline is not None and summary.latest_deadline is not None:
        lines.append(
            catalog.t(
                lang,
                "excel.preview.deadlines",
                first=day_text(catalog, lang, summary.earliest_deadline),
                last=day_text(catalog, lang, summary.latest_deadline),
            )
        )
    elif summary.items:
        lines.append(catalog.t(lang, "excel.preview.no_deadlines"))
    if summary.long_term:
        lines.append(catalog.t(lang, "excel.preview.long_term", count=summary.long_term))
    if summary.workdays_estimated:
        lines.append(catalog.t(lang, "excel.preview.estimated", count=summary.workdays_estimated))
    if outcome.updates:
        lines.append(catalog.t(lang, "excel.preview.updates_head"))
        for update in outcome.updates[:UPDATE_LINES]:
            fields = _join(catalog, lang, (_field(catalog, lang, f) for f in update.fields))
            lines.append(
                catalog.t(
                    lang,
                    "excel.preview.update_line",
                    item_id=update.item_id,
                    sheet=clip(update.sheet, 30),
                    row=update.row,
                    fields=fields,
                )
            )
        if len(outcome.updates) > UPDATE_LINES:
            lines.append(
                catalog.t(
                    lang, "excel.preview.more_updates", count=len(outcome.updates) - UPDATE_LINES
                )
            )
    if summary.skipped_sheets:
        lines.append(
            catalog.t(
                lang,
                "excel.preview.skipped",
                sheets=_skipped(catalog, lang, summary.skipped_sheets),
            )
        )
    lines.extend(intake_lines(catalog, lang, plan))
    if not outcome.changes_anything:
        lines.append(catalog.t(lang, "excel.preview.nothing"))
        return Html("\n".join(lines))
    if outcome.created and any(d.progress for d in plan.drafts):
        lines.append(catalog.t(lang, "excel.preview.status_note"))
    if question:
        lines.append(catalog.t(lang, "excel.preview.confirm", minutes=minutes))
    return Html("\n".join(lines))


ARROW = " → "  # between the wording and the date in a reading (ledger.dates.explain)
SAMPLE_LINES = 5  # readings, skipped rows shown in a preview (then a count)


def reading_text(catalog: Catalog, lang: str, reading: str) -> str:
    """How the importer read a deadline, for people: the importer keeps ``12月底前 →
    2026-12-31`` (``ledger.dates.explain``, ISO for machines); the date after the arrow is
    written as every other date of the reply (``12月底前 → 2026年12月31日``)."""
    wording, arrow, iso = reading.rpartition(ARROW)
    if not arrow:
        return reading
    try:
        day = date.fromisoformat(iso.strip())
    except ValueError:
        return reading
    return f"{wording}{arrow}{day_text(catalog, lang, day)}"


def intake_lines(catalog: Catalog, lang: str, plan: ImportPlan) -> list[Html]:
    """What the preview says about how the file was read (issue 10): categories found (and
    the default given), how deadline texts were read, measures per problem, columns not
    imported, rows skipped."""
    summary = plan.summary
    sep = catalog.plain(lang, "excel.list_sep")
    lines: list[Html] = []
    if summary.categories:
        shown = sep.join(clip(c, 30) for c in summary.categories[:UNIT_LINES])
        lines.append(catalog.t(lang, "intake.preview.categories", categories=shown))
    if summary.own_categories:
        shown = sep.join(clip(c, 30) for c in summary.own_categories[:UNIT_LINES])
        lines.append(catalog.t(lang, "intake.preview.own_categories", categories=shown))
    if summary.default_category:
        default = next((d.category for d in plan.drafts if d.category_default), "")
        lines.append(
            catalog.t(
                lang,
                "intake.preview.default_category",
                count=summary.default_category,
                category=clip(default, 30),
            )
        )
    if summary.readings:
        shown = sep.join(
            clip(reading_text(catalog, lang, r), 40) for r in summary.readings[:SAMPLE_LINES]
        )
        lines.append(catalog.t(lang, "intake.preview.readings", readings=shown))
    if summary.several_measures:
        lines.append(
            catalog.t(
                lang,
                "intake.preview.measures",
                measures=summary.measures,
                several=summary.several_measures,
            )
        )
    if summary.not_imported:
        columns = sep.join(
            catalog.plain(
                lang,
                f"intake.preview.not_imported_{c.reason}",
                header=clip(c.header, 30),
                fields=catalog.plain(lang, "intake.preview.or").join(
                    _field(catalog, lang, f) for f in c.fields
                ),
            )
            for c in summary.not_imported[:UNIT_LINES]
        )
        lines.append(catalog.t(lang, "intake.preview.not_imported", columns=columns))
    if summary.skipped_rows:
        rows = sep.join(
            catalog.plain(
                lang,
                "intake.preview.skipped_row",
                sheet=clip(r.sheet, 20),
                row=r.row,
                reason=catalog.plain(lang, f"intake.preview.reason_{r.reason}"),
                text=clip(r.text, 30),
            )
            for r in summary.skipped_rows[:SAMPLE_LINES]
        )
        lines.append(catalog.t(lang, "intake.preview.skipped_rows", rows=rows))
        more = len(summary.skipped_rows) - SAMPLE_LINES
        if more > 0:
            lines.append(catalog.t(lang, "intake.preview.more_rows", count=more))
    return lines


def result_text(catalog: Catalog, lang: str, outcome: ImportOutcome, *, file_name: str) -> Html:
    """What a confirmed import did; for each unit it created, the next step (invite its
    contact and leader)."""
    lines = [
        catalog.t(lang, "excel.result.done", file=clip(file_name)),
        catalog.t(
            lang,
            "excel.result.counts",
            units=outcome.units_created,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        ),
    ]
    for unit in [u for u in outcome.units if u.new_unit][:UNIT_LINES]:
        lines.append(
            catalog.t(lang, "intake.result.invite", code=unit.code, name=clip(unit.name, 30))
        )
    lines.append(catalog.t(lang, "excel.result.next"))
    return Html("\n".join(lines))


__all__ = [
    "ISSUE_LINES",
    "clip",
    "intake_lines",
    "issue_text",
    "issues_text",
    "preview_text",
    "result_text",
    "size_text",
]
