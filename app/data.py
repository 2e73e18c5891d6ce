"""A data directory for the callers that do not import storage (the sandbox): open it, name
its failures, register units and bind their people, and read back the evidence copies it
keeps.

The sandbox opens, seeds and replays its own demo data directory through these doors
(docs/ARCHITECTURE.md §2: sandbox → app → storage). Items are not written here: they go
through :mod:`app.transaction` and :mod:`app.actions` like every change.

The alert jobs' daily backup and the shell commands' stores open here too: ``Store`` (open one
with ``Store.open``), ``backup`` and ``is_damaged_snapshot`` (``storage.maintenance``) are
re-exported so callers above ``app`` never import ``storage``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ledger.model import Evidence, Person, Role, Unit
from storage.errors import StorageError
from storage.maintenance import backup, is_damaged_snapshot
from storage.repo import Store

DataError = StorageError
"""Why a data directory cannot be used: another process holds it, a damaged file … (each
failure a subclass, worded by its message)."""


def open_data(path: Path) -> Store:
    """Blocking: the store of the data directory at ``path`` (created when missing), held by
    this process until closed; ``DataError`` when it cannot be used."""
    return Store.open(path)


def add_unit(store: Store, unit: Unit) -> None:
    """Blocking: register ``unit`` with an empty ledger (``DataError`` if it exists)."""
    store.add_unit(unit)


def bind(store: Store, person: Person) -> None:
    """Blocking: bind ``person`` — a contact or a leader of a registered unit — in the
    registry, as an accepted invite does. Inspectors come from config alone (R21): binding
    one here is refused with ``ValueError``, as is a unit nobody registered."""
    if person.role not in (Role.CONTACT, Role.LEADER) or person.unit is None:
        raise ValueError(f"only a unit's contact or leader is bound, not {person!r}")
    if store.registry.get_unit(person.unit) is None:
        raise ValueError(f"unit {person.unit} is not registered")
    store.registry.upsert_person(person)


def data_root(store: Store) -> Path | None:
    """The directory the store keeps its files in (``None`` for the in-memory store)."""
    return store.layout.root if store.layout is not None else None


def kept_evidence(store: Store) -> Iterator[tuple[Evidence, bytes | None]]:
    """Blocking: every evidence recorded in the ledgers, with the copy kept in the data
    directory (``None`` when there is none or it cannot be read)."""
    root = data_root(store)
    for ledger in store.ledgers():
        for item in ledger.items():
            for evidence in item.evidence:
                content = None
                if root is not None and evidence.stored_path:
                    with contextlib.suppress(OSError):
                        content = (root / evidence.stored_path).read_bytes()
                yield evidence, content


__all__ = [
    "DataError",
    "Store",
    "add_unit",
    "backup",
    "bind",
    "data_root",
    "is_damaged_snapshot",
    "kept_evidence",
    "open_data",
]
