"""The one read → decide → write transaction on a unit's ledger.

Every change to items goes the same way: open the unit's ledger transaction (one writer at a
time, R6), read through it, let ``ledger/`` decide, stage what was decided, and write the file
once when the block ends (durably, R2). ``decide`` reads through the transaction it is given
and returns a :class:`Decided`: the writes (each an item as it stands after its events, and
those events in order) and the result for the caller. An exception from ``decide`` — a typed
``ledger.errors`` refusal — writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ledger.model import Event, Item
from storage.repo import Store, Transaction

R = TypeVar("R")

Write = tuple[Item, Sequence[Event]]


@dataclass(frozen=True)
class Decided(Generic[R]):
    """What ``decide`` concluded: ``result`` for the caller, ``writes`` to stage in order."""

    result: R
    writes: Sequence[Write] = field(default_factory=tuple)


def change(store: Store, unit: str, decide: Callable[[Transaction], Decided[R]]) -> R:
    """Blocking: read → decide → write on ``unit``'s ledger as one transaction."""
    with store.ledger(unit).transaction() as tx:
        decided = decide(tx)
        for item, events in decided.writes:
            tx.record(item, events)
    return decided.result


__all__ = ["Decided", "Transaction", "Write", "change"]
