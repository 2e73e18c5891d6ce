"""Update de-duplication marks (R18): which Telegram updates were already taken in, kept in
their own journal (``<data>/updates.jsonl``, ``storage.journal``) rather than in
``registry.json``, so that remembering one update appends one short line and fsyncs it
instead of rewriting and fsyncing the whole registry (issue 14: that rewrite was the whole
fixed cost of a trivial reply).

Two ways to remember an update. ``persist`` appends the key's line and fsyncs it before it
returns: durable against a killed process and a power cut alike. ``write_now`` appends the
line without the fsync, from the event loop (one ``write`` of a few dozen bytes): the line is
in the file when it returns, so a killed bot still knows the update after its restart.
``sync`` makes such lines durable. What keeps R18 against a power cut for an update that
records something is the store's *barrier*: ``Store.open`` makes ``sync`` the barrier of
every ledger, registry and alert-log write (``storage.safe.DocumentStorage.barrier``), which
calls it just before its commit point (the rename, or a journal append), so no state change
reaches the disk before the marks written before it are durable (handlers.dedupe).

Retention: the newest :data:`KEEP` marks. Telegram re-delivers an update only until the bot's
next ``getUpdates`` acknowledges it (and webhooks retry for minutes), so a repeat can only
concern the last few updates; 500 is far more than one poll returns (100). The journal is
compacted to the newest ``KEEP`` marks once it holds :data:`COMPACT_AT` lines, so it stays a
few tens of kilobytes whatever the bot's age.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable

from storage.errors import ChangedOnDisk, CorruptFile
from storage.journal import Journal

log = logging.getLogger(__name__)

KIND = "update-marks"
SCHEMA = 1
KEEP = 500
COMPACT_AT = 4 * KEEP


class UpdateMarks:
    """The newest :data:`KEEP` update keys, in memory and in the journal.

    ``check_and_remember`` is the non-blocking half (event loop): it says whether a key was
    seen and remembers it in memory at once, so a second copy arriving while the first is
    being written is stopped too. ``persist`` is the blocking half (worker thread): the key
    is durable when it returns.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._order: deque[str] = deque(maxlen=KEEP)
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        # Held around each ``sync``: a barrier that finds one in flight waits for it (and then
        # has nothing left to do) instead of starting a second fsync.
        self._sync_lock = threading.Lock()
        self._written = False  # the journal file exists: an append never has to create it

    def load(self) -> bool:
        """Read the journal (``CorruptFile`` if damaged); ``False`` if there is none yet."""
        entries = self.journal.load()
        if entries is None:
            return False
        self._written = True
        for number, key in enumerate(entries, start=2):
            if not isinstance(key, str):
                raise CorruptFile(self.journal.path, f"line {number} is not an update key")
            self._remember(key)
        return True

    def seed(self, keys: Iterable[str]) -> None:
        """Start the journal from marks kept elsewhere (the registry's old ``dedupe.updates``
        meta value): written whole, once."""
        for key in keys:
            self._remember(key)
        self.journal.rewrite(list(self._order))
        self._written = True

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._order)

    def keys(self) -> list[str]:
        """The remembered keys, oldest first."""
        return list(self._order)

    def check_and_remember(self, key: str) -> bool:
        """``True`` if ``key`` was seen before; otherwise remember it (memory only) and
        return ``False``; follow with ``persist(key)``."""
        with self._lock:
            if key in self._keys:
                return True
            self._remember(key)
            return False

    def write_now(self, key: str) -> bool:
        """Append ``key``'s line without waiting for the disk (no fsync; start :meth:`sync`
        after): the non-blocking way, for any update — the store's barrier makes the line
        durable before anything the update writes is committed. ``False`` when that
        cannot be done at once — another write holds the journal, the file does not exist yet,
        a compaction is due, or someone changed the file (R31) — and nothing was written:
        the caller then calls :meth:`persist`."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if not self._written or self.journal.lines + 1 >= COMPACT_AT:
                return False
            try:
                self.journal.append([key], sync=False)
            except ChangedOnDisk:
                return False  # persist merges with the file as it is
            return True
        finally:
            self._lock.release()

    @property
    def unsynced(self) -> bool:
        """Whether a line :meth:`write_now` wrote may not be durable yet."""
        return self.journal.unsynced

    def sync(self) -> None:
        """Blocking: return once every line :meth:`write_now` wrote before this call is
        durable — at once when it already is, after the fsync in flight when one is, else
        after one fsync of its own. The store's barrier (see the module docstring); raises
        ``OSError`` when the fsync fails (the write waiting on it then fails too)."""
        with self._sync_lock:
            self.journal.sync()

    def persist(self, key: str) -> None:
        """Make ``key`` durable (one appended line); compact when the journal is long. If
        someone else changed the journal (R31, ``ChangedOnDisk``), their marks are read and
        kept with ours, and both are written whole: a mark is never lost either way."""
        with self._lock:
            try:
                if self.journal.lines + 1 >= COMPACT_AT:
                    self.journal.rewrite(list(self._order))
                else:
                    self.journal.append([key])
                self._written = True
            except ChangedOnDisk:
                path = self.journal.path
                log.warning("%s changed on disk under the bot: merged, not overwritten", path)
                ours = list(self._order)
                self._order.clear()
                self._keys.clear()
                for theirs in self.journal.load() or []:
                    if isinstance(theirs, str):
                        self._remember(theirs)
                for mine in ours:
                    if mine not in self._keys:
                        self._remember(mine)
                self.journal.rewrite(list(self._order))
                self._written = True

    def _remember(self, key: str) -> None:
        if len(self._order) == self._order.maxlen:
            self._keys.discard(self._order[0])
        self._order.append(key)
        self._keys.add(key)


__all__ = ["COMPACT_AT", "KEEP", "UpdateMarks"]
