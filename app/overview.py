"""Each unit's figures, kept per ledger so /units reads 200 small results, not 20,000 items.

The figures of a ledger at ``now`` (``ledger.figures.figures``, the one definition) depend on
its items and on ``now`` only through the local date of ``now`` (overdue, due soon and the
lights are counted in days), so they are computed once per committed state of the ledger and
day (``storage.repo.Ledger.derived``): a write to a unit recomputes that unit's figures on the
next read, a new day every unit's. Nothing is stored on disk, so nothing can disagree with the
ledger after a crash or a restore. ``tests/app/test_overview.py`` compares them with
``ledger.figures.figures`` over random ledgers and random writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.services import Services
from ledger.calendar import local_date
from ledger.figures import EMPTY, Figures, figures
from storage.repo import Ledger


def ledger_figures(services: Services, ledger: Ledger, now: datetime) -> Figures:
    """``figures(ledger.items(), now, tz, rules)`` (no ``status_since``), memoised per
    committed ledger state and local day."""
    tz, rules = services.config.tz, services.rules
    key = ("figures", local_date(now, tz), str(tz), rules)
    return ledger.derived(key, lambda items: figures(items, now, tz, rules))


def unit_figures(services: Services, code: str, now: datetime) -> Figures:
    """The figures of unit ``code``'s ledger at ``now`` (``UnknownUnit`` for no such unit)."""
    return ledger_figures(services, services.store.ledger(code), now)


def units_figures(services: Services, codes: Iterable[str], now: datetime) -> list[Figures]:
    """:func:`unit_figures` of each code, in order."""
    return [unit_figures(services, code, now) for code in codes]


def total_figures(services: Services, now: datetime) -> Figures:
    """The sum of every unit's figures (the figures of all items, ``ledger.figures``)."""
    return sum(
        (ledger_figures(services, ledger, now) for ledger in services.store.ledgers()), EMPTY
    )


def warm(services: Services, now: datetime) -> None:
    """Compute every unit's figures of the day now (after the start-up sweep), so the first
    /units of the day does not pay for all of them. Blocking: call it on a worker thread."""
    for ledger in services.store.ledgers():
        ledger_figures(services, ledger, now)


__all__ = ["ledger_figures", "total_figures", "unit_figures", "units_figures", "warm"]
