"""Importing a 台账: what a plan would change, and applying it (DESIGN §7).

Thin on purpose: reading a workbook is ``storage.xlsx_import``'s and meeting a plan with the
ledgers is ``storage.ledger_import``'s; here the chat and the shell get the same use-case,
on the services' clock and rules. ``actor`` is the importing inspector, or ``None`` for the
shell import. Both are blocking.
"""

from __future__ import annotations

from dataclasses import astuple

from app.services import Services
from ledger.calendar import local_date
from ledger.model import Person
from storage.ledger_import import ImportOutcome, apply_plan, preview_import
from storage.xlsx_import import ImportErrors, ImportPlan, read_ledger


def read_workbook(services: Services, source: bytes | str) -> ImportPlan | ImportErrors:
    """``read_ledger`` with today's date in the configured zone, the working-day calendar and
    the configured categories. Blocking: call it on a worker thread."""
    today = local_date(services.clock.now(), services.config.tz)
    calendar = services.calendar
    return read_ledger(
        source,
        today=today,
        add_workdays=lambda start, n: astuple(calendar.add_workdays(start, n)),
        categories=services.rules.categories,
    )


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


__all__ = ["import_plan", "preview", "read_workbook"]
