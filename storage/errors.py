"""Typed storage failures. ``str(err)`` is one plain line an operator can act on; the
attributes carry the same facts for code (bot.py turns them into an exit message).

Lookups that simply find nothing return ``None``; an unregistered unit raises
``ledger.errors.UnknownUnit`` (a domain error the handlers already word for users). Everything
here is about the data directory itself, or about a caller breaking a storage contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.model import Person
    from storage.records import Invite


class StorageError(Exception):
    """Base of every storage failure."""


class CorruptFile(StorageError):
    """A data file exists but cannot be trusted: 0 bytes, not JSON, not the expected shape,
    an unknown schema version, or a record that does not decode.

    The file is never modified. ``quarantined`` is the copy put in ``<data>/quarantine/``, or
    ``None`` when the opener was read-only (``check``, ``backup``, ``export`` never write) or
    the damage was found in a single record after the file had parsed.
    """

    def __init__(self, path: Path, reason: str, quarantined: Path | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.quarantined = quarantined
        where = f"; a copy was saved as {quarantined}" if quarantined else ""
        super().__init__(
            f"{self.path}: {reason}. The file was left untouched{where}. "
            "Restore it from a backup or repair it, then start again."
        )


class DamagedLedger(StorageError):
    """A write to a ledger quarantined at open because a record in it does not decode (R29).

    The ledger stays readable (without the damaged records) and is never written until the
    file is repaired or restored and the bot restarted. ``unit`` names it; ``damage`` is the
    first damaged record found.
    """

    def __init__(self, unit: str, damage: CorruptFile) -> None:
        self.unit = unit
        self.damage = damage
        super().__init__(
            f"ledger {unit} is read-only: {damage.path.name}: {damage.reason}; repair or "
            "restore the file, then restart"
        )


class MissingFile(StorageError):
    """A file the other files say must exist is gone (e.g. a registered unit's ledger).

    Starting a new empty file in its place would silently reuse item ids and lose history, so
    the store refuses to open instead.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DataDirInUse(StorageError):
    """Another process holds the data directory lock (R5). ``pid`` is ``None`` when the lock
    file could not be read (e.g. the holder was between truncating and writing it)."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.data_dir = Path(data_dir)
        self.pid = pid
        super().__init__(f"data directory in use by PID {pid if pid is not None else 'unknown'}")


class UnreadableFile(StorageError):
    """A data file exists but cannot be opened or read (a directory in its place, no
    permission, an I/O error). Nothing is written; the message names the file and the cause."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = Path(path)
        self.error = error
        super().__init__(f"{self.path}: cannot read it: {error.strerror or error}")


class ChangedOnDisk(StorageError):
    """A data file is not the version this process last read or wrote: another writer got in
    (a removed lock, a hand edit, a second program). The write is refused rather than replacing
    their version with ours from memory (R31); the next read takes the file as it is now."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__(
            f"{self.path}: changed on disk by someone else since the bot read it; not "
            "overwritten (is another program writing the data directory?)"
        )


class ReadOnlyStore(StorageError):
    """A write was attempted through a store opened with ``lock=False`` (read-only tools)."""


class StoreClosed(StorageError):
    """A write was attempted after ``Store.close()``; the directory lock is already released,
    so writing could race the next owner."""


class AlreadyExists(StorageError):
    """Adding something whose key is taken (a unit code, an invite code)."""


class EventOutOfOrder(StorageError):
    """An appended event's ``seq`` is not the item's next number (1..n without gaps).

    Usually two writers computed the next event from the same stale read: do the
    read-modify-write inside one ``Ledger.transaction()`` and use ``tx.next_event_seq``.
    """


class InviteRejected(StorageError):
    """An invite code cannot be redeemed. ``reason`` is ``"unknown"``, ``"used"``,
    ``"expired"`` or ``"move"`` (the redeemer is bound elsewhere and has not confirmed leaving:
    ``current`` is their binding now); ``invite`` is the stored record when there is one (so a
    caller can see, say, that the same user already redeemed it)."""

    def __init__(
        self, reason: str, invite: Invite | None = None, current: Person | None = None
    ) -> None:
        self.reason = reason
        self.invite = invite
        self.current = current
        super().__init__(f"invite {reason}")
