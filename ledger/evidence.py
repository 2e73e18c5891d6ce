"""Which files are accepted as evidence (佐证材料), decided before anything is downloaded (R25).

A photo is always accepted; a document only when its extension (lower case, without the dot)
is one of the allowed types. Either is refused when its size is over the limit, counted in
decimal megabytes: with ``max_mb = 20``, 20,000,000 bytes pass and 20,000,001 do not. A size
Telegram does not state is checked again on the downloaded bytes. The same file (Telegram's
unique id) is attached to an item once.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from ledger.model import Evidence, Item

MB = 1_000_000  # evidence_max_mb counts decimal megabytes: 20 MB is 20,000,000 bytes


class Refusal(StrEnum):
    TYPE = "type"
    SIZE = "size"


def too_big(size: int | None, max_mb: int) -> bool:
    """Whether ``size`` bytes exceed ``max_mb`` (an unknown size is not yet too big)."""
    return size is not None and size > max_mb * MB


def refusal(
    extension: str, size: int | None, *, photo: bool, allowed: Collection[str], max_mb: int
) -> Refusal | None:
    """Why a file is refused before download — its type first, then its size — or ``None``."""
    if not photo and extension not in allowed:
        return Refusal.TYPE
    if too_big(size, max_mb):
        return Refusal.SIZE
    return None


def attached(item: Item, file_unique_id: str) -> Evidence | None:
    """The evidence record of ``item`` that is this very file, if it is attached already."""
    if not file_unique_id:
        return None
    for old in item.evidence:
        if old.file_unique_id == file_unique_id:
            return old
    return None


__all__ = ["MB", "Refusal", "attached", "refusal", "too_big"]
