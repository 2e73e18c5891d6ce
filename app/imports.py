"""Importing a 台账: what a plan would change, and applying it (DESIGN §7).

Thin on purpose: reading a workbook is ``storage.xlsx_import``'s and meeting a plan with the
ledgers is ``storage.ledger_import``'s; here the chat and the shell get the same use-case,
on the services' clock and rules. ``actor`` is the importing inspector, or ``None`` for the
shell import. Both are blocking.

The plan, its refusals and its outcome (``storage.xlsx_import``, ``storage.ledger_import``)
are re-exported here as the use-case's vocabulary, with the workbook size limit (``MAX_BYTES``,
R25), so the chat names them without importing ``storage``.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.services import Services
from ledger.calendar import local_date
from ledger.model import Person
from storage.ledger_import import (
    ImportOutcome,
    ImportRefused,
    UnresolvedUnits,
    apply_plan,
    preview_import,
    resolve_units,
)
from storage.parse_worker import CalendarDays, ParseLimits, read_ledger_limited
from storage.xlsx_import import (
    ISSUE_SHOW_LIMIT,
    MAX_BYTES,
    ImportErrors,
    ImportIssue,
    ImportPlan,
    IssueCode,
    SkippedSheet,
)


def read_workbook(services: Services, source: bytes | str) -> ImportPlan | ImportErrors:
    """``read_ledger`` (.xlsx, .xls, .docx) with today's date in the configured zone, the
    working-day calendar, the configured categories, default category and 立行立改 days — in
    a child process within ``[workflow] import_memory_mb`` and ``import_seconds``
    (``storage.parse_worker``; over either, one ``TOO_COMPLEX`` issue naming the limit).
    Blocking: call it on a worker thread."""
    today = local_date(services.clock.now(), services.config.tz)
    workflow = services.config.workflow
    limits = ParseLimits(memory_mb=workflow.import_memory_mb, seconds=workflow.import_seconds)
    return read_ledger_limited(
        source,
        limits=limits,
        today=today,
        add_workdays=CalendarDays(services.calendar),
        categories=tuple(services.rules.categories),
        default_category=workflow.default_category,
        immediate_days=workflow.immediate_days,
    )


def resolve(
    services: Services,
    plan: ImportPlan,
    *,
    chosen: Mapping[str, str] | None = None,
    default: str | None = None,
) -> ImportPlan | UnresolvedUnits:
    """Give every row the file names by a unit name (or by none) a unit code: a registered
    unit whose name matches, ``chosen`` (name → code), else ``default`` (the caption's or
    ``--unit``'s); what is left comes back as ``UnresolvedUnits`` to ask about."""
    registered = services.store.registry.list_units()
    return resolve_units(plan, registered, chosen=chosen, default=default)


def preview(
    services: Services, plan: ImportPlan, actor: Person | None
) -> ImportOutcome | ImportErrors:
    """What importing ``plan`` would do now, or the rows it would refuse. Reads only."""
    return preview_import(
        services.store, plan, actor=actor, now=services.clock.now(), rules=services.rules
    )


def import_plan(
    services: Services, plan: ImportPlan, actor: Person | None, source: str = ""
) -> ImportOutcome:
    """Apply ``plan`` as a whole (``source``: the file's name, kept in the history of what it
    changed). ``ImportRefused`` — nothing written — if the ledgers changed since the preview
    so that a row no longer applies."""
    return apply_plan(
        services.store,
        plan,
        actor=actor,
        now=services.clock.now(),
        rules=services.rules,
        source=source,
    )


__all__ = [
    "ISSUE_SHOW_LIMIT",
    "MAX_BYTES",
    "ImportErrors",
    "ImportIssue",
    "ImportOutcome",
    "ImportPlan",
    "ImportRefused",
    "IssueCode",
    "SkippedSheet",
    "UnresolvedUnits",
    "import_plan",
    "preview",
    "read_workbook",
    "resolve",
]
