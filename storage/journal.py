"""Append-only journals: files that grow with time without being rewritten on every write
(DESIGN §4, R33). The alert log (``alerts.jsonl``) and the update de-duplication marks
(``updates.jsonl``) are journals.

Format: JSON lines, UTF-8. The first line is the header ``{"kind": ..., "schema": N}``; every
other line is one entry (any JSON value; the owner gives it meaning). A write appends whole
lines with one ``os.write`` on an ``O_APPEND`` descriptor, then ``fsync`` — durable before it
returns (R2), and it costs the size of the new lines, not of the file. (An owner may append
without the ``fsync`` and ``sync`` later, where its entry protects nothing a power cut could
lose: ``append_encoded(sync=False)``.) A compaction
(``rewrite``) replaces the file whole through ``storage.safe.atomic_write`` (temp file, fsync,
rename, directory fsync), so a crash leaves the old journal or the new one.

Crash safety (R1, R3):

* A process killed mid-append leaves a last line without its ``\\n``: a *torn tail*. It was
  never acknowledged, so it is ignored when read, and the locked owner cuts it off before it
  appends again (else the next entry would be glued to it). Only the tail can be torn: every
  acknowledged line ends in ``\\n``.
* Someone else changed the file (R31: a hand edit, a program ignoring the directory lock):
  before every append and rewrite the journal compares the file's inode, size and mtime with
  what this process last read or wrote, and refuses (``ChangedOnDisk``) on any difference —
  appending our lines to their file, or compacting ours over theirs, would mix or lose
  entries. The owner then takes the file as it is (``load`` again) before writing.
* Anything else that does not parse — a bad line before the last one, a complete last line
  that is not JSON, a 0-byte file, a missing or unknown header — is damage: ``CorruptFile``,
  never read as empty; the locked owner saves a byte-for-byte copy in ``quarantine/``
  and nothing overwrites the file.

``MemoryJournal`` is the in-memory twin with the same contract.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from storage.errors import ChangedOnDisk, CorruptFile, ReadOnlyStore, StoreClosed
from storage.safe import OS_FILE_OPS, FileIdentity, FileOps, atomic_write, fsync_dir, quarantine

log = logging.getLogger(__name__)

# The alert log's journal (storage.repo._AlertTable); named here so check and backup agree.
# Schema 2 adds batch lines (``{"records": [...]}``: one write's records on one line, see
# alert_journal_records); schema 1 journals (one record per line) are still read, and the
# owner rewrites one in schema 2 before it appends (storage.repo._AlertTable).
ALERT_JOURNAL_KIND = "alert-journal"
ALERT_JOURNAL_SCHEMA = 2
ALERT_JOURNAL_READABLE = (1, 2)


def alert_journal_records(entry: Any) -> list[Any] | None:
    """The alert records one journal line holds: a batch line's list, or the line itself
    as a one-record list; ``None`` for a move line (:func:`alert_journal_moves`) and for a
    line that is none of these (damage)."""
    if not isinstance(entry, dict) or "moves" in entry:
        return None
    if "records" in entry and "key" not in entry:
        records = entry["records"]
        return records if isinstance(records, list) else None
    return [entry]


def alert_journal_moves(entry: Any) -> list[tuple[list[str], str, dict[str, Any], bool]] | None:
    """A move line's moves (``{"moves": [{"keys": [...], "state": s, "data": {...},
    "merge": bool}, ...]}``, ``storage.records.AlertMove``) as ``(keys, state, data,
    merge)``; ``None`` if ``entry`` is not a well-formed move line."""
    if not isinstance(entry, dict) or not isinstance(entry.get("moves"), list):
        return None
    out: list[tuple[list[str], str, dict[str, Any], bool]] = []
    for move in entry["moves"]:
        if not isinstance(move, dict):
            return None
        keys, state, data = move.get("keys"), move.get("state"), move.get("data", {})
        if (
            not isinstance(keys, list)
            or not all(isinstance(k, str) and k for k in keys)
            or not isinstance(state, str)
            or not state
            or not isinstance(data, dict)
        ):
            return None
        out.append((keys, state, data, bool(move.get("merge", True))))
    return out


def alert_journal_keys(entry: Any) -> list[str] | None:
    """The keys one alert-journal line writes (a record, a batch or a move line); ``None``
    for a line that is none of these (damage)."""
    moves = alert_journal_moves(entry)
    if moves is not None:
        return [k for keys, _, _, _ in moves for k in keys]
    records = alert_journal_records(entry)
    if records is None:
        return None
    keys = [r.get("key") if isinstance(r, dict) else None for r in records]
    return keys if all(isinstance(k, str) for k in keys) else None  # type: ignore[return-value]


def encode_line(value: Any) -> tuple[str, bytes]:
    """``value``'s JSON text and the journal line of it (``ValueError``/``TypeError`` for
    values JSON cannot hold)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text, text.encode("utf-8") + b"\n"


def _line(value: Any) -> bytes:
    return encode_line(value)[1]


class Journal:
    """One journal file (see the module docstring). ``kind`` and ``schema`` are checked
    against the header; ``read_only`` openers never write, cut or quarantine anything.

    Not thread-safe by itself: the owner serialises ``append``/``rewrite`` (one lock each).
    """

    def __init__(
        self,
        path: Path,
        *,
        kind: str,
        schema: int,
        read_only: bool = False,
        quarantine_dir: Path | None = None,
        file_ops: FileOps = OS_FILE_OPS,
        header: dict[str, Any] | None = None,
        readable: tuple[int, ...] | None = None,
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        self.schema = schema
        # The schemas ``load`` accepts (older ones a newer build still reads); what the file
        # said is in ``found_schema`` after a load. Writes always use ``schema``.
        self.readable = readable or (schema,)
        self.found_schema: int | None = None
        # Extra header fields the owner sets before writing (e.g. the alert log's ``base``);
        # after ``load`` they hold what the file's header says.
        self.header: dict[str, Any] = dict(header or {})
        self.read_only = read_only
        self.quarantine_dir = quarantine_dir
        self.file_ops = file_ops
        self.lines = 0  # entries in the file now (after load/append/rewrite)
        self._closed = False
        self._damage: CorruptFile | None = None
        self._lock = threading.Lock()
        # What the file was when this process last read or wrote it (R31); None: there was
        # none. ``load`` sets it, every append and rewrite checks and renews it.
        self._seen: FileIdentity | None = None
        # Appends written without fsync, and how many of them ``sync`` has made durable.
        self._unsynced = 0
        self._synced = 0
        # Called before every append's write and every rewrite's rename: see
        # ``storage.safe.DocumentStorage.barrier`` (the alert log's journal waits for the
        # update marks to be durable; the marks' own journal has none).
        self.barrier: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> list[Any] | None:
        """Every entry, oldest first; ``None`` if the file does not exist. ``CorruptFile`` if
        it is damaged (see the module docstring). The locked owner cuts a torn tail off."""
        if self._damage is not None:
            raise self._damage
        try:
            with self.path.open("rb") as fh:
                seen = FileIdentity.of(os.fstat(fh.fileno()))
                data = fh.read()
        except FileNotFoundError:
            self._seen = None
            return None
        self._seen = seen
        try:
            entries, good = self._parse(data)
        except ValueError as exc:
            copy = None
            if self.quarantine_dir is not None and not self.read_only:
                copy = quarantine(self.path, data, self.quarantine_dir, self.file_ops)
            self._damage = CorruptFile(self.path, str(exc), quarantined=copy)
            raise self._damage from exc
        if good < len(data) and not self.read_only:
            self._cut(good)
        self.lines = len(entries)
        return entries

    def append(self, entries: Iterable[Any], *, sync: bool = True) -> None:
        """Add ``entries`` durably at the end (creating the file if missing). Values must be
        JSON-compatible (``ValueError`` otherwise, nothing written). ``sync=False``: see
        :meth:`append_encoded`."""
        payload = b"".join(_line(e) for e in entries)
        if sync:
            self.append_encoded(payload)
        else:
            self.append_encoded(payload, sync=False)

    def append_encoded(self, payload: bytes, *, sync: bool = True) -> None:
        """``append`` of entries the caller already encoded as :func:`encode_line` does (one
        JSON text per line): a writer that needed the JSON text anyway encodes once.

        ``sync=False`` writes the lines without the ``fsync``: they are in the file when this
        returns — a killed process cannot lose them — but only :meth:`sync` (or any later
        synced append or rewrite) makes them survive a power cut. For an owner whose entry
        protects nothing before a later barrier makes it durable (update marks: storage.marks)."""
        if not payload:
            return
        if self.barrier is not None:
            self.barrier()
        with self._lock:
            self._check_writable()
            self._check_unchanged()
            if self._seen is None:  # unchanged, and there was none: no file yet
                atomic_write(self.path, self._header() + payload, self.file_ops)
                self._seen = FileIdentity.at(self.path)
            else:
                ops = self.file_ops
                fd = ops.open(str(self.path), os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC, 0)
                try:
                    offset = 0
                    while offset < len(payload):
                        offset += ops.write(fd, payload[offset:])
                    if sync:
                        ops.fsync(fd)
                    else:
                        self._unsynced += 1
                    self._seen = FileIdentity.of(os.fstat(fd))
                finally:
                    ops.close(fd)
            self.lines += payload.count(b"\n")

    @property
    def unsynced(self) -> bool:
        """Whether lines appended with ``sync=False`` may not be durable yet (no ``sync``
        since; a counter read, no system call)."""
        return self._synced < self._unsynced

    def sync(self) -> None:
        """Make every line appended with ``sync=False`` before this call durable (one
        ``fsync``; nothing when there are none). Appends are not held up meanwhile: the
        ``fsync`` runs outside the journal's lock."""
        with self._lock:
            target = self._unsynced
            if self._synced >= target or self._closed:
                return
            ops = self.file_ops
            try:
                fd = ops.open(str(self.path), os.O_RDONLY | os.O_CLOEXEC, 0)
            except FileNotFoundError:
                return
        try:
            ops.fsync(fd)  # flushes the file's data whichever descriptor wrote it
        finally:
            ops.close(fd)
        with self._lock:
            self._synced = max(self._synced, target)

    def rewrite(self, entries: Iterable[Any]) -> None:
        """Replace the whole journal with ``entries`` (compaction), atomically and durably."""
        lines = [_line(e) for e in entries]
        with self._lock:
            self._check_writable()
            self._check_unchanged()
            atomic_write(
                self.path,
                self._header() + b"".join(lines),
                self.file_ops,
                before_replace=self.barrier,
            )
            self._seen = FileIdentity.at(self.path)
            self.lines = len(lines)

    def close(self) -> None:
        """No more writes; lines appended without fsync are made durable first."""
        try:
            self.sync()
        except OSError:
            log.exception("could not fsync %s at close", self.path)
        self._closed = True

    # ------------------------------------------------------------------ internals

    def _header(self) -> bytes:
        return _line({**self.header, "kind": self.kind, "schema": self.schema})

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStore(f"{self.path} is open read-only")
        if self._closed:
            raise StoreClosed(f"{self.path} is closed")
        if self._damage is not None:
            raise self._damage  # never write over a damaged journal (R3)

    def check_unchanged(self) -> None:
        """``ChangedOnDisk`` unless the file is the one this process last read or wrote (an
        owner about to write something else that depends on it calls this first)."""
        with self._lock:
            self._check_unchanged()

    def _check_unchanged(self) -> None:
        """``ChangedOnDisk`` unless the file is the one this process last read or wrote."""
        if FileIdentity.at(self.path) != self._seen:
            raise ChangedOnDisk(self.path)

    def _parse(self, data: bytes) -> tuple[list[Any], int]:
        """``(entries, length of the trusted prefix)``; ``ValueError`` saying what is wrong."""
        if not data:
            raise ValueError("the file is empty (0 bytes)")
        end = data.rfind(b"\n") + 1  # what follows the last newline is a torn tail
        lines = data[:end].split(b"\n")[:-1]
        if not lines:
            raise ValueError("it has no header line (a write was cut before the first line)")
        try:
            header = json.loads(lines[0])
        except ValueError as exc:
            raise ValueError(f"its header is not JSON ({exc})") from exc
        if not isinstance(header, dict) or header.get("kind") != self.kind:
            raise ValueError(f"it is not a {self.kind!r} journal (header {lines[0][:80]!r})")
        if header.get("schema") not in self.readable:
            raise ValueError(
                f"unknown schema version {header.get('schema')!r} (this build reads "
                f"version {' and '.join(str(n) for n in self.readable)})"
            )
        self.found_schema = header["schema"]
        self.header = {k: v for k, v in header.items() if k not in ("kind", "schema")}
        entries: list[Any] = []
        for number, raw in enumerate(lines[1:], start=2):
            try:
                entries.append(json.loads(raw))
            except ValueError as exc:
                raise ValueError(f"line {number} is not JSON ({exc})") from exc
        return entries, end

    def _cut(self, length: int) -> None:
        """Drop a torn tail (an append that never returned): truncate to ``length``."""
        fd = self.file_ops.open(str(self.path), os.O_WRONLY | os.O_CLOEXEC, 0)
        try:
            os.ftruncate(fd, length)
            self.file_ops.fsync(fd)
            self._seen = FileIdentity.of(os.fstat(fd))
        finally:
            self.file_ops.close(fd)


class MemoryJournal(Journal):
    """The in-memory twin: same contract, nothing on disk (``writes`` counts appends and
    rewrites; ``data`` holds what the file would)."""

    def __init__(
        self,
        *,
        kind: str,
        schema: int,
        header: dict[str, Any] | None = None,
        readable: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(
            Path(f"memory:{kind}"), kind=kind, schema=schema, header=header, readable=readable
        )
        self.data: bytes | None = None
        self.writes = 0

    @property
    def name(self) -> str:
        return f"memory:{self.kind}"

    def exists(self) -> bool:
        return self.data is not None

    def load(self) -> list[Any] | None:
        if self.data is None:
            return None
        entries, _ = self._parse(self.data)
        self.lines = len(entries)
        return entries

    def append(self, entries: Iterable[Any], *, sync: bool = True) -> None:
        self.append_encoded(b"".join(_line(e) for e in entries))

    def append_encoded(self, payload: bytes, *, sync: bool = True) -> None:
        if payload:
            self._check_writable()
            self.data = (self.data or self._header()) + payload
            self.lines += payload.count(b"\n")
            self.writes += 1

    def sync(self) -> None:
        pass  # nothing on disk

    def rewrite(self, entries: Iterable[Any]) -> None:
        lines = [_line(e) for e in entries]
        self._check_writable()
        self.data = self._header() + b"".join(lines)
        self.lines = len(lines)
        self.writes += 1


def remove_durably(path: Path, ops: FileOps = OS_FILE_OPS) -> None:
    """Delete ``path`` (if present) and make the removal durable."""
    with contextlib.suppress(FileNotFoundError):
        ops.unlink(str(path))
        fsync_dir(path.parent, ops)


__all__ = [
    "ALERT_JOURNAL_KIND",
    "ALERT_JOURNAL_READABLE",
    "ALERT_JOURNAL_SCHEMA",
    "alert_journal_keys",
    "alert_journal_moves",
    "alert_journal_records",
    "Journal",
    "MemoryJournal",
    "remove_durably",
]
