"""Each unit's figures, kept per ledger so /units reads 200 small results, not 20,000 items.

The figures of a ledger at ``now`` (``ledger.figures.figures``, the one definition) depend on
its items and on ``now`` only through the local date of ``now`` (overdue, due soon and the
lights are counted in days), so they are computed once per committed state of the ledger and
day (``storage.repo.Ledger.derived``): a write to a unit recomputes that unit's figures on the
next read, a new day every unit's. Nothing is stored on disk, so nothing can disagree with the
ledger after a crash or a restore. ``tests/app/test_overview.py`` compares them with
``ledger.figures.figures`` over random ledgers and random writes.

:func:`province` is the /units view of all of it: every unit with its figures, the units that
need attention first (:func:`attention_key`), and the total. It is kept while no unit's
figures and no unit changed (checked on every read against the per-ledger memos above, which
costs a look-up per unit and no counting), so a /units page costs the rows it shows, not a
sort and a sum over the whole province each time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from app.services import Services
from ledger.calendar import local_date
from ledger.figures import Figures, add_up, figures
from ledger.model import Item, Unit
from storage.repo import Ledger, Store

T = TypeVar("T")


def _memo(services: Services, now: datetime) -> tuple[Hashable, Callable[[list[Item]], Figures]]:
    """The memo key of a ledger's figures at ``now`` and how they are computed: built once
    per read of many ledgers (the key's local date and zone name cost more than the look-up)."""
    tz, rules = services.config.tz, services.rules
    key = ("figures", local_date(now, tz), str(tz), rules)
    return key, lambda items: figures(items, now, tz, rules)


def ledger_figures(services: Services, ledger: Ledger, now: datetime) -> Figures:
    """``figures(ledger.items(), now, tz, rules)`` (no ``status_since``), memoised per
    committed ledger state and local day."""
    return ledger.derived(*_memo(services, now))


def unit_figures(services: Services, code: str, now: datetime) -> Figures:
    """The figures of unit ``code``'s ledger at ``now`` (``UnknownUnit`` for no such unit)."""
    return ledger_figures(services, services.store.ledger(code), now)


def units_figures(services: Services, codes: Iterable[str], now: datetime) -> list[Figures]:
    """:func:`unit_figures` of each code, in order."""
    key, compute = _memo(services, now)
    store = services.store
    return [store.ledger(code).derived(key, compute) for code in codes]


def total_figures(services: Services, now: datetime) -> Figures:
    """The sum of every unit's figures (the figures of all items, ``ledger.figures``)."""
    key, compute = _memo(services, now)
    return add_up(ledger.derived(key, compute) for ledger in services.store.ledgers())


def warm(services: Services, now: datetime) -> None:
    """Compute every unit's figures of the day and their :func:`province` now (after the
    start-up sweep), so the first /units of the day does not pay for all of them. Blocking:
    call it on a worker thread."""
    key, compute = _memo(services, now)
    for ledger in services.store.ledgers():
        ledger.derived(key, compute)
    province(services, now)


def attention_key(unit: Unit, f: Figures) -> tuple[int, int, int, str]:
    """The order of /units: the units that need attention first — most 超期 (🔴), then most
    🟡 (due soon or gone quiet), then most 未销号 — and among equals by unit code, so a unit
    with nothing open comes last and the order is the same on every page."""
    return (-f.red, -f.yellow, -f.active, unit.code)


@dataclass(frozen=True, eq=False)
class Province:
    """Every unit and its figures in :func:`attention_key` order, and their total
    (``ledger.figures``: the sum of the units' figures is the figures of all items)."""

    units: tuple[Unit, ...]
    figures: tuple[Figures, ...]  # figures[i] belongs to units[i]
    total: Figures
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def derived(self, key: Hashable, compute: Callable[[Province], T]) -> T:
        """``compute(self)``, once per ``key`` for this state of the province (e.g. the
        lines of one language): the same contract as ``Ledger.derived``."""
        try:
            return cast(T, self._memo[key])
        except KeyError:
            value = compute(self)
            self._memo[key] = value
            return value


# The last province drawn per store, with what it was drawn from (the registry's units and
# each unit's figures object, which its ledger memo keeps while nothing changes).
_PROVINCES: weakref.WeakKeyDictionary[Store, tuple[Hashable, Province]] = (
    weakref.WeakKeyDictionary()
)
_PROVINCES_LOCK = threading.Lock()


def province(services: Services, now: datetime) -> Province:
    """Every unit's figures at ``now``, needing-attention first, and the total. Rebuilt only
    when a unit was added or changed, a unit's ledger was written (``Ledger.version``) or the
    day changed (the figures' memo key)."""
    store = services.store
    units = tuple(store.registry.list_units())
    ledgers = [store.ledger(u.code) for u in units]
    key, compute = _memo(services, now)
    # What the province is drawn from: the registry's units, the day (and zone and rules) the
    # figures are counted for, and each ledger's committed state. Comparing version tokens is
    # a look-up per unit, cheaper than reading each ledger's figures memo.
    source = (units, key, tuple(ledger.version() for ledger in ledgers))
    with _PROVINCES_LOCK:
        kept = _PROVINCES.get(store)
    # Tuples compare element by element, identity first: unchanged tokens compare at once.
    if kept is not None and kept[0] == source:
        return kept[1]
    per_unit = tuple(ledger.derived(key, compute) for ledger in ledgers)
    order = sorted(range(len(units)), key=lambda i: attention_key(units[i], per_unit[i]))
    drawn = Province(
        units=tuple(units[i] for i in order),
        figures=tuple(per_unit[i] for i in order),
        total=add_up(per_unit),
    )
    with _PROVINCES_LOCK:
        _PROVINCES[store] = (source, drawn)
    return drawn


__all__ = [
    "Province",
    "attention_key",
    "ledger_figures",
    "province",
    "total_figures",
    "unit_figures",
    "units_figures",
    "warm",
]
