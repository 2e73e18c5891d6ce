"""Verified stamps: the ledger bytes already decoded record by record, so a start need not
decode them again (issue 14: 4 of the 5 s of a 100k-item start were this check).

Every ledger is checked record by record before it is used (R3, R29: a damaged record is
found, the ledger set aside read-only and the inspectors told). The check is a pure function
of the file's bytes, so its result can be remembered against them: ``<data>/verified.json``
maps each unit to the *fingerprint* (length, CRC-32; ``storage.safe.fingerprint``) of the last
bytes of its ledger known to decode — bytes this process checked, or wrote itself (a commit
encodes only records that decode). At open a ledger whose file has that fingerprint now is
trusted without decoding a record (or even parsing the file: ``storage.repo.Ledger`` parses it
on first use); any other file — edited by hand, restored, copied, written by a run that died
before its stamp was saved — is checked in full, exactly as without stamps.

Why the bytes and not the file's inode, size and mtime: an edit in place keeps the inode,
can keep the size and can put the mtime back (``touch -d``); a checksum of the bytes is
fooled by none of that, and costs ~80 ms for a province's 150 MB (read + CRC, measured), a
fraction of the 2.4 s the parse alone took. CRC-32 misses a change only by a 1-in-2**32
coincidence (and no burst of up to 32 bits); a stamp can therefore only be *stale* — then
the file is checked, never wrongly trusted.

When stamps are written (one small durable write each time, never on the write path of a
ledger, so writes cost what they did): at open, when a ledger was checked; every five minutes
while the bot runs and at a clean ``close``, with every ledger's last committed bytes
(``Store.save_stamps``). A crash between a ledger write and the next stamp leaves an old
fingerprint, so that ledger is checked at the next start (not trusted). The file is
derived data: missing, unreadable or of another version it reads as "nothing verified"
(every ledger is checked; nothing is lost), and backups do not carry it.
Bump :data:`VERSION` whenever the record decoders (``ledger.model``) accept less than before,
so that bytes verified by an older, laxer build are checked again.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from storage.safe import OS_FILE_OPS, FileOps, Fingerprint, atomic_write

log = logging.getLogger(__name__)

KIND = "verified-ledgers"
VERSION = 1


class VerifiedStamps:
    """The stamps of one data directory (``Layout.verified``); the read-only opener reads them
    and never writes."""

    def __init__(
        self,
        path: Path,
        stamps: dict[str, Fingerprint],
        *,
        read_only: bool = False,
        file_ops: FileOps = OS_FILE_OPS,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.file_ops = file_ops
        self._stamps = dict(stamps)
        self._saved = dict(stamps)

    @classmethod
    def load(
        cls, path: Path, *, read_only: bool = False, file_ops: FileOps = OS_FILE_OPS
    ) -> VerifiedStamps:
        """The stamps in ``path``; none when it is missing or unusable (then every ledger is
        checked, the safe side)."""
        return cls(path, _read(path), read_only=read_only, file_ops=file_ops)

    def trusts(self, unit: str, printed: Fingerprint | None) -> bool:
        """Whether ``unit``'s ledger bytes with fingerprint ``printed`` were verified."""
        return printed is not None and self._stamps.get(unit) == printed

    def get(self, unit: str) -> Fingerprint | None:
        return self._stamps.get(unit)

    def record(self, unit: str, printed: Fingerprint | None) -> None:
        """``unit``'s ledger bytes with ``printed`` decode (``None``: nothing of it is)."""
        if printed is None:
            self._stamps.pop(unit, None)
        else:
            self._stamps[unit] = printed

    def save(self) -> bool:
        """Write the stamps if they changed (one durable write); ``True`` if written. A failure
        is logged, not raised: the stamps only save time, and a stale file is never trusted."""
        if self.read_only or self._stamps == self._saved:
            return False
        doc = {
            "kind": KIND,
            "version": VERSION,
            "ledgers": {unit: list(self._stamps[unit]) for unit in sorted(self._stamps)},
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            atomic_write(self.path, data, self.file_ops)
        except OSError as exc:
            log.warning(
                "could not save %s (the next start checks every ledger): %s", self.path, exc
            )
            return False
        self._saved = dict(self._stamps)
        return True


def _read(path: Path) -> dict[str, Fingerprint]:
    try:
        raw: Any = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s (every ledger is checked): %s", path, exc)
        return {}
    if not isinstance(raw, dict) or raw.get("kind") != KIND or raw.get("version") != VERSION:
        return {}
    ledgers = raw.get("ledgers")
    if not isinstance(ledgers, dict):
        return {}
    stamps: dict[str, Fingerprint] = {}
    for unit, value in ledgers.items():
        if (
            isinstance(unit, str)
            and isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            stamps[unit] = (value[0], value[1])
    return stamps


__all__ = ["KIND", "VERSION", "VerifiedStamps"]
