"""Repositories over the crash-safe storages: the only code that knows about TinyDB documents.
Everything else speaks ledger.model types (and the two registry records in storage.records).

``Store`` owns a data directory (DESIGN §4, storage.layout): the directory lock,
``registry.json``, the alert log ``alerts.json`` (reached through the registry's alert
methods, but its own file, so a sweep's ~90,000 records are not rewritten by every small
registry write) and one ``ledgers/<UNIT>.json`` per unit. ``Store.memory()`` is the in-memory
twin with the same API, for fast tests.

How writes work, and why not through TinyDB's Table methods: TinyDB rewrites the whole file on
every Table operation, so a transaction of "put item, append event, bump the counter" would
be three full rewrites and not atomic. Instead each write builds the next document
copy-on-write (new dicts for the changed tables; unchanged records are shared, never mutated)
and hands it to the storage once. The files keep TinyDB's layout, so
``TinyDB(path, storage=SafeJSONStorage, kind="ledger")`` opens them for ad-hoc queries.

Concurrency: writes to one ledger are serialised by that ledger's lock (R6), registry writes by
the registry's lock, alert-log writes by the alert log's own lock; each reads the latest state
inside its lock, so no update is lost. Reads take no lock: they see the last committed
document, which is never mutated. Every write is durable before its call returns; from async
code call through ``await store.run(fn, ...)`` so the fsync happens on a worker thread, not
the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

from ledger.errors import InvalidValue, UnknownUnit
from ledger.invites import would_move
from ledger.model import (
    Event,
    Item,
    Person,
    Role,
    Unit,
    event_from_dict,
    item_from_dict,
    make_item_id,
    person_from_dict,
    require_aware,
    split_item_id,
    to_dict,
    unit_from_dict,
)
from storage.errors import (
    AlreadyExists,
    ChangedOnDisk,
    CorruptFile,
    DamagedLedger,
    EventOutOfOrder,
    InviteRejected,
    MissingFile,
    ReadOnlyStore,
    StorageError,
)
from storage.journal import (
    ALERT_JOURNAL_KIND,
    ALERT_JOURNAL_READABLE,
    ALERT_JOURNAL_SCHEMA,
    Journal,
    MemoryJournal,
    alert_journal_moves,
    alert_journal_records,
    encode_line,
)
from storage.layout import Layout
from storage.lock import DirLock
from storage.marks import KIND as MARKS_KIND
from storage.marks import SCHEMA as MARKS_SCHEMA
from storage.marks import UpdateMarks
from storage.records import (
    AlertMove,
    AlertRecord,
    Invite,
    alert_to_dict,
    copy_json,
    hash_invite_code,
    invite_from_dict,
    invite_to_dict,
)
from storage.safe import (
    META_ID,
    META_TABLE,
    OS_FILE_OPS,
    Document,
    DocumentStorage,
    FileOps,
    Fingerprint,
    MemoryDocumentStorage,
    SafeJSONStorage,
    document_meta,
    fingerprint,
    fsync_dir,
    new_document,
    quarantine,
    remove_temp_files,
    schema_version,
)
from storage.stamps import VerifiedStamps

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

LEDGER = "ledger"
REGISTRY = "registry"
ITEMS = "items"
EVENTS = "events"
UNITS = "units"
PEOPLE = "people"
INVITES = "invites"
ALERTS = "alerts"
META = "meta"
# Where update de-duplication marks lived before storage.marks (a registry meta value).
LEGACY_MARKS_META = "dedupe.updates"
# How many bytes of ledger files may be held parsed at once (``_Resident``): ~4× that in
# memory. 8 MB is ~5,000 items (the ledgers of ~50 units of 100), so the units people are
# working in stay parsed (a dropped one is parsed again in ~10 ms), while a 100k-item
# province's restart by day (every ledger read once by the start-up sweep and for the day's
# figures) peaks at ~225 MB: 16 MB cost it 34 MB more (bench/startup.py).
RESIDENT_BYTES = 8 * 1024 * 1024
# How often a running bot saves its verified stamps (storage.stamps): a kill then leaves at
# most the ledgers written in the last few minutes to be checked at the next start, not every
# ledger written since the bot started.
STAMP_SECONDS = 300.0


def _jsonable(record: dict[str, Any], what: str) -> dict[str, Any]:
    """``record`` exactly as it will read back from disk (tuples become lists, keys strings).

    Normalising each new record here keeps the cached document equal to the file, and makes
    the in-memory twin refuse what the file would refuse.
    """
    try:
        result: dict[str, Any] = json.loads(
            json.dumps(record, ensure_ascii=False, allow_nan=False)
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON-compatible: {exc}") from exc
    return result


def _corrupt(storage: DocumentStorage, what: str, exc: Exception) -> CorruptFile:
    return CorruptFile(Path(storage.name), f"{what} does not decode ({exc!r})")


# =========================================================================== ledgers


class _LedgerView:
    """Derived, cached facts about one committed ledger document (never about a staged one).

    ``doc`` is the document they were derived from and ``fingerprint`` that of its bytes
    (``None``: the empty ledger of a unit whose file does not exist yet); the view is rebuilt
    when the storage's document is a different object. ``decoded`` fills lazily; Items are
    immutable, so sharing them between callers is safe. The event index is built on first
    use: the day's figures and most lists read items only (it was a third of a start-up's
    re-reading of every ledger).
    """

    def __init__(
        self,
        doc: Document,
        fingerprint: Fingerprint | None,
        next_seq: int,
        *,
        name: str,
        bad_events: frozenset[str] = frozenset(),
        index: tuple[int, dict[str, list[str]]] | None = None,
        decoded: dict[str, Item] | None = None,
    ) -> None:
        self.doc = doc
        self.fingerprint = fingerprint
        self.next_seq = next_seq
        self.decoded: dict[str, Item] = {} if decoded is None else decoded  # doc id -> Item
        self._name = name
        self._bad_events = bad_events
        self._index = index

    @property
    def last_event_id(self) -> int:
        return self._events()[0]

    @property
    def events_by_item(self) -> dict[str, list[str]]:
        """Item id -> event doc ids in seq order."""
        return self._events()[1]

    def _events(self) -> tuple[int, dict[str, list[str]]]:
        index = self._index
        if index is None:  # two threads may both build it; either result is the same
            index = self._index = self._build_index()
        return index

    def _build_index(self) -> tuple[int, dict[str, list[str]]]:
        by_item: dict[str, list[tuple[int, str]]] = {}
        last = 0
        for doc_id, raw in self.doc.get(EVENTS, {}).items():
            item_id, seq = raw.get("item_id"), raw.get("seq")
            if doc_id in self._bad_events:
                last = max(last, int(doc_id))
                continue
            if not isinstance(item_id, str) or not isinstance(seq, int):
                raise CorruptFile(Path(self._name), f"event record {doc_id} has no item_id/seq")
            by_item.setdefault(item_id, []).append((seq, doc_id))
            last = max(last, int(doc_id))
        return last, {k: [d for _, d in sorted(v)] for k, v in by_item.items()}


_NO_STATE: Fingerprint = (-1, -1)  # no committed state has this fingerprint


@dataclass
class _Memo:
    """``Ledger.derived``'s values for the committed state whose bytes have ``fingerprint``.

    Kept by the ledger, not by its view: the parsed document may be dropped to save memory
    (``_Resident``) while the values computed from it stay true until the next commit."""

    fingerprint: Fingerprint | None
    values: dict[Hashable, Any] = field(default_factory=dict)
    token: object = field(default_factory=object)  # Ledger.version


class _Resident:
    """Which ledgers hold their parsed document in memory, least recently used first, and
    the bound on their total size (bytes of their files).

    A parsed ledger takes ~4× its file in memory (more with its decoded items and encoded
    records), and a province is ~150 MB of ledger files: holding every one made the bot's
    memory grow with the whole province (1.1 GB at 100k items). Past the bound the least
    recently read ledger drops its document (``Ledger._evict``); its next read parses the file
    again (~3 ms for a 100-item ledger), verified only if the file is not the one last seen.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._sizes: OrderedDict[Ledger, int] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def touch(self, ledger: Ledger, size: int) -> None:
        """``ledger`` was just read (its document, of ``size`` bytes, is in memory)."""
        victims: list[Ledger] = []
        with self._lock:
            old = self._sizes.pop(ledger, None)
            self._total += size - (old or 0)
            self._sizes[ledger] = size
            while self._total > self.budget and len(self._sizes) > 1:
                victim, held = self._sizes.popitem(last=False)
                self._total -= held
                victims.append(victim)
        for victim in victims:
            # One in a transaction keeps its document (it is tracked again on its next read).
            victim._evict()

    def resident(self) -> list[str]:
        """The units whose document is tracked as in memory, least recently used first."""
        with self._lock:
            return [ledger.unit for ledger in self._sizes]


class Ledger:
    """One unit's ledger: items (keyed by their number, ``HZ-007`` -> document ``7``) and the
    append-only event history. Obtain it from ``Store.ledger(unit)``.

    Reads return the last committed state and never block. Writes go through
    ``transaction()``; ``allocate_item_id()`` is a one-line transaction.

    The document is parsed on first use, not when the store opens, and may be dropped again
    to bound memory (``resident``, see ``_Resident``). Every record of a document is decoded
    once before it is used (``verify``), unless its bytes are ones already verified:
    ``verified`` (the fingerprint of the file's bytes as checked at an earlier start, from the
    store's verified stamps) or those this ledger last committed (a commit encodes only
    records that decode). ``on_damage`` is told of damage found after the store opened.
    """

    def __init__(
        self,
        unit: str,
        storage: DocumentStorage,
        *,
        verified: Fingerprint | None = None,
        resident: _Resident | None = None,
        on_damage: Callable[[Ledger, CorruptFile], None] | None = None,
    ) -> None:
        self.unit = unit
        self._storage = storage
        self._write_lock = threading.Lock()
        self._writer: int | None = None  # thread id inside transaction(), to refuse nesting
        self._view: _LedgerView | None = None
        self._empty = new_document(LEDGER, unit=unit, next_seq=1)
        self._verified = verified
        self._resident = resident
        self._on_damage = on_damage
        self._memo = _Memo(_NO_STATE)
        # Set by ``verify()`` when a record does not decode (R29): the ledger is then read-only
        # and reads skip the damaged records instead of failing every caller.
        self.damage: CorruptFile | None = None
        self._bad_items: frozenset[str] = frozenset()
        self._bad_events: frozenset[str] = frozenset()

    @property
    def verified(self) -> Fingerprint | None:
        """The fingerprint of the last bytes of this ledger known to decode record by record
        (what the store's verified stamp records for it), or ``None``."""
        return self._verified

    def __repr__(self) -> str:
        return f"Ledger({self.unit!r}, {self._storage.name!r})"

    # ------------------------------------------------------------------ reads

    def get_item(self, item_id: str) -> Item | None:
        """The item with exactly this id, or ``None`` — also for a malformed id or another
        unit's id (so callers cannot tell "elsewhere" from "nowhere", R22)."""
        return self._item(self._current(), item_id)

    def items(self) -> list[Item]:
        """Every item, in id order (withdrawn ones included; items are never deleted); a
        damaged ledger's undecodable records are left out."""
        return self._items_of(self._current())

    def events(self, item_id: str) -> list[Event]:
        """The item's history, oldest first (``seq`` 1..n); ``[]`` for an unknown item."""
        view = self._current()
        return [self._decode_event(view, e) for e in view.events_by_item.get(item_id, [])]

    def events_newest_first(self, item_id: str) -> Iterator[Event]:
        """The item's history newest first, each event decoded only when reached (a caller
        that needs the last status change stops after one or two)."""
        view = self._current()
        for doc_id in reversed(view.events_by_item.get(item_id, [])):
            yield self._decode_event(view, doc_id)

    def derived(self, key: Hashable, compute: Callable[[list[Item]], T]) -> T:
        """``compute(self.items())``, computed at most once per committed state of the ledger.

        Derived data kept current on write (DESIGN §4): the memo belongs to the committed
        state (the fingerprint of its bytes), and every commit starts a new one, so a value can
        never outlive the items it was computed from, and a write to one unit recomputes only
        that unit's values. A hit does not need the parsed document: it survives the document
        being dropped to save memory. ``key`` names what is computed and every input besides
        the items (e.g. the day, the rules); ``compute`` must be a pure function of the items
        and the key. Two threads asking at once may both compute; either result is the same.
        """
        memo = self._memo
        if memo.fingerprint is not None and memo.fingerprint == self._storage.fingerprint:
            try:
                return cast(T, memo.values[key])
            except KeyError:
                pass
        view = self._current()
        memo = self._memo_of(view)
        try:
            return cast(T, memo.values[key])
        except KeyError:
            pass
        value = compute(self._items_of(view))
        memo.values[key] = value
        return value

    def version(self) -> object:
        """A token of the committed state: the same object until the ledger is written (or
        found changed on disk) again, a new one after — also across its parsed document being
        dropped and read back, and without parsing it when the state is known. Holding it
        keeps nothing of the ledger alive; a caller compares it with ``is`` to know that the
        items it saw are still current."""
        memo = self._memo
        if memo.fingerprint is not None and memo.fingerprint == self._storage.fingerprint:
            return memo.token
        return self._memo_of(self._current()).token

    def _memo_of(self, view: _LedgerView) -> _Memo:
        """The memo of ``view``'s committed state (a new one when the state is new)."""
        memo = self._memo
        if memo.fingerprint != view.fingerprint:
            memo = self._memo = _Memo(view.fingerprint)
        return memo

    def verify(self) -> CorruptFile | None:
        """Decode every record now; return the first damaged one (``None`` if all decode).

        A ledger whose file parses but holds a record that does not decode is quarantined in
        place (R29): from then on it refuses writes (``DamagedLedger``) and its reads leave the
        damaged records out, so one unit's damage never stops the other units' alerts and
        answers, nor the readable part of its own. Damage of the whole file (not JSON, wrong
        schema, a bad ``next_seq``) still raises ``CorruptFile`` here: nothing is readable.
        """
        doc, printed = self._storage.state()
        if doc is None:
            return None
        return self._check(doc, printed)

    def _check(self, doc: Document, printed: Fingerprint | None) -> CorruptFile | None:
        """``verify`` of ``doc`` (whose bytes have ``printed``): a clean one becomes the
        verified state, a damaged one sets the ledger aside (see ``verify``)."""
        found: list[CorruptFile] = []
        bad_items: set[str] = set()
        bad_events: set[str] = set()
        for doc_id, raw in doc.get(ITEMS, {}).items():
            try:
                item = item_from_dict(raw)
                if item.id != make_item_id(self.unit, int(doc_id)):
                    raise ValueError(f"holds item {item.id}")
            except Exception as exc:  # any failure to decode means a damaged record
                bad_items.add(doc_id)
                found.append(_corrupt(self._storage, f"item record {doc_id}", exc))
        for doc_id, raw in doc.get(EVENTS, {}).items():
            try:
                event_from_dict(raw)
            except Exception as exc:  # any failure to decode means a damaged record
                bad_events.add(doc_id)
                found.append(_corrupt(self._storage, f"event record {doc_id}", exc))
        if not found:
            if self.damage is None:
                self._verified = printed
            return None
        self._bad_items = frozenset(bad_items)
        self._bad_events = frozenset(bad_events)
        first = self.damage is None
        self.damage = found[0]
        self._view = None
        self._memo = _Memo(_NO_STATE)
        if first and self._on_damage is not None:
            self._on_damage(self, self.damage)
        return self.damage

    def __len__(self) -> int:
        """Number of items."""
        return len(self._current().doc.get(ITEMS, {}))

    @property
    def next_item_id(self) -> str:
        """The id the next allocation will return (a peek; allocating is a write)."""
        return make_item_id(self.unit, self._current().next_seq)

    # ------------------------------------------------------------------ writes

    def allocate_item_id(self) -> str:
        """Reserve the next item id durably and return it. Ids are never reused, even if no
        item is ever written under this one. Inside a transaction use ``tx.new_item_id()``."""
        with self.transaction() as tx:
            return tx.new_item_id()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Read-modify-write several items and append events; the ledger file is written once,
        when the ``with`` block ends without an exception, and is durable before the block
        returns. An exception discards every staged change and is re-raised.

        Transactions on one ledger run one at a time (other threads wait); opening one inside
        another on the same ledger and thread raises ``StorageError`` instead of deadlocking.
        """
        if self.damage is not None:
            raise DamagedLedger(self.unit, self.damage)
        me = threading.get_ident()
        if self._writer == me:
            raise StorageError(f"nested transaction on ledger {self.unit}")
        with self._write_lock:
            self._writer = me
            tx = Transaction(self, self._current())
            try:
                yield tx
                tx._commit()
            finally:
                tx._over = True
                self._writer = None

    # ------------------------------------------------------------------ internals

    def _current(self) -> _LedgerView:
        doc, printed = self._storage.state()
        if doc is None:
            doc = self._empty
        view = self._view
        if view is None or view.doc is not doc:
            if printed is not None and printed != self._verified and self.damage is None:
                # Bytes never verified here: a file changed since its stamp, or under the bot
                # while its document was dropped (R31: taken as it is, never overwritten).
                if self._verified is not None:
                    log.warning("ledger %s changed on disk; checking every record", self.unit)
                self._check(doc, printed)
            view = self._build_view(doc, printed)
            self._view = view
        if self._resident is not None and printed is not None:
            self._resident.touch(self, printed[0])
        return view

    def _evict(self) -> bool:
        """Drop the parsed document to free memory (``_Resident``); the memo stays. Not while
        a transaction is open, nor for a damaged ledger (its damage map belongs to it)."""
        if self.damage is not None or not self._write_lock.acquire(blocking=False):
            return False
        try:
            if not self._storage.forget():
                return False
            self._view = None
            return True
        finally:
            self._write_lock.release()

    def _items_of(self, view: _LedgerView) -> list[Item]:
        ids = sorted(view.doc.get(ITEMS, {}), key=int)
        return [self._decode_item(view, doc_id) for doc_id in ids if doc_id not in self._bad_items]

    def _build_view(self, doc: Document, printed: Fingerprint | None) -> _LedgerView:
        next_seq = document_meta(doc).get("next_seq")
        if not isinstance(next_seq, int) or next_seq < 1:
            raise CorruptFile(Path(self._storage.name), f"_meta next_seq is {next_seq!r}")
        return _LedgerView(
            doc, printed, next_seq, name=self._storage.name, bad_events=self._bad_events
        )

    def _item(self, view: _LedgerView, item_id: str) -> Item | None:
        try:
            unit, seq = split_item_id(item_id)
        except InvalidValue:
            return None
        if (
            unit != self.unit
            or str(seq) not in view.doc.get(ITEMS, {})
            or str(seq) in self._bad_items
        ):
            return None
        item = self._decode_item(view, str(seq))
        return item if item.id == item_id else None

    def _decode_item(self, view: _LedgerView, doc_id: str) -> Item:
        item = view.decoded.get(doc_id)
        if item is None:
            try:
                item = item_from_dict(view.doc[ITEMS][doc_id])
            except Exception as exc:  # any failure to decode means a damaged record
                raise _corrupt(self._storage, f"item record {doc_id}", exc) from exc
            view.decoded[doc_id] = item
        return item

    def _decode_event(self, view: _LedgerView, doc_id: str) -> Event:
        raw = view.doc[EVENTS][doc_id]
        try:
            # Deep-copy ``data``: Event is frozen but its dict is not, and callers must not be
            # able to change the committed document through it.
            return event_from_dict({**raw, "data": copy_json(raw.get("data", {}))})
        except Exception as exc:  # any failure to decode means a damaged record
            raise _corrupt(self._storage, f"event record {doc_id}", exc) from exc


class Transaction:
    """Staged changes to one ledger; see ``Ledger.transaction()``. Reads through the
    transaction see its own staged changes. Not usable after its ``with`` block."""

    def __init__(self, ledger: Ledger, base: _LedgerView) -> None:
        self.unit = ledger.unit
        self._ledger = ledger
        self._base = base
        self._next_seq = base.next_seq
        self._items: dict[str, tuple[Item, dict[str, Any]]] = {}  # doc id -> (item, record)
        self._events: list[tuple[Event, dict[str, Any]]] = []
        self._event_counts: dict[str, int] = {}
        self._dirty = False
        self._over = False

    def get_item(self, item_id: str) -> Item | None:
        """As ``Ledger.get_item``, including items put in this transaction."""
        self._check_open()
        staged = self._staged_item(item_id)
        return staged if staged is not None else self._ledger._item(self._base, item_id)

    def items(self) -> list[Item]:
        """Every item in id order, staged versions included."""
        self._check_open()
        merged = {int(d): self._ledger._decode_item(self._base, d) for d in self._base_ids()}
        merged.update({int(d): item for d, (item, _) in self._items.items()})
        return [merged[k] for k in sorted(merged)]

    def events(self, item_id: str) -> list[Event]:
        """The item's history including events appended in this transaction."""
        self._check_open()
        committed = [
            self._ledger._decode_event(self._base, doc_id)
            for doc_id in self._base.events_by_item.get(item_id, [])
        ]
        return committed + [e for e, _ in self._events if e.item_id == item_id]

    def next_event_seq(self, item_id: str) -> int:
        """The ``seq`` the item's next event must carry."""
        self._check_open()
        return self._event_count(item_id) + 1

    def new_item_seq(self) -> int:
        """Allocate the next item number (``7`` for ``HZ-007``; what
        ``ledger.workflow.create_item`` takes). It is consumed when the transaction commits,
        even if no item is put under it, and not if the transaction fails."""
        self._check_open()
        seq = self._next_seq
        self._next_seq += 1
        self._dirty = True
        return seq

    def new_item_id(self) -> str:
        """``new_item_seq()`` as an id (``HZ-007``)."""
        return make_item_id(self.unit, self.new_item_seq())

    def put(self, item: Item) -> None:
        """Insert or replace ``item``. Its id must belong to this unit. Putting an id the
        counter has not reached yet (e.g. an import keeping its own numbers) moves the counter
        past it, so ids are still never reused.

        Raises ``ValueError`` for another unit's item and ``InvalidValue`` for values the codec
        refuses (naive datetimes).
        """
        self._check_open()
        unit, seq = split_item_id(item.id)
        if unit != self.unit or item.unit != self.unit:
            raise ValueError(f"item {item.id} (unit {item.unit}) is not in ledger {self.unit}")
        record = _jsonable(to_dict(item), f"item {item.id}")
        self._items[str(seq)] = (item, record)
        self._next_seq = max(self._next_seq, seq + 1)
        self._dirty = True

    def append(self, event: Event) -> None:
        """Append ``event`` to its item's history. The item must exist (committed or put in
        this transaction) and ``event.seq`` must be ``next_event_seq(item_id)``; otherwise
        ``ValueError`` / ``EventOutOfOrder`` and nothing is staged."""
        self._check_open()
        if self.get_item(event.item_id) is None:
            raise ValueError(f"event for {event.item_id}, which is not in ledger {self.unit}")
        expected = self._event_count(event.item_id) + 1
        if event.seq != expected:
            raise EventOutOfOrder(
                f"event {event.seq} for {event.item_id} in ledger {self.unit}; expected {expected}"
            )
        record = _jsonable(to_dict(event), f"event {event.item_id}#{event.seq}")
        self._events.append((event, record))
        self._event_counts[event.item_id] = expected
        self._dirty = True

    def record(self, item: Item, events: Iterable[Event]) -> None:
        """Put ``item`` as it stands after ``events`` and append them, in order: the one write
        of a decided change (``app.transaction``, the import)."""
        self.put(item)
        for event in events:
            self.append(event)

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._over:
            raise StorageError(f"transaction on ledger {self.unit} is over")

    def _base_ids(self) -> list[str]:
        return list(self._base.doc.get(ITEMS, {}))

    def _staged_item(self, item_id: str) -> Item | None:
        for item, _ in self._items.values():
            if item.id == item_id:
                return item
        return None

    def _event_count(self, item_id: str) -> int:
        count = self._event_counts.get(item_id)
        if count is None:
            count = len(self._base.events_by_item.get(item_id, []))
        return count

    def _commit(self) -> None:
        if not self._dirty:
            return
        base = self._base
        doc = base.doc
        items = dict(doc.get(ITEMS, {}))
        for doc_id, (_, record) in self._items.items():
            items[doc_id] = record
        events = dict(doc.get(EVENTS, {}))
        by_item = dict(base.events_by_item)
        last = base.last_event_id
        appended: list[str] = []
        for event, record in self._events:
            last += 1
            events[str(last)] = record
            appended.append(str(last))
            by_item[event.item_id] = [*by_item.get(event.item_id, []), str(last)]
        meta = {**document_meta(doc), "next_seq": self._next_seq}
        new_doc: Document = {**doc, META_TABLE: {META_ID: meta}, ITEMS: items, EVENTS: events}
        # Only these records are new or replaced: the storage encodes just them (R20).
        self._ledger._storage.write(new_doc, changed={ITEMS: list(self._items), EVENTS: appended})
        # Carry the derived facts forward instead of rebuilding them from 5,000 events.
        decoded = {k: v for k, v in base.decoded.items() if k not in self._items}
        ledger = self._ledger
        printed = ledger._storage.fingerprint
        # What was committed is verified: the base was, and each new record was encoded from
        # a value that decodes (a damaged ledger refuses transactions).
        ledger._verified = printed
        ledger._view = _LedgerView(
            new_doc,
            printed,
            self._next_seq,
            name=ledger._storage.name,
            bad_events=ledger._bad_events,
            index=(last, by_item),
            decoded=decoded,
        )
        if ledger._resident is not None and printed is not None:
            ledger._resident.touch(ledger, printed[0])


# =========================================================================== registry


@dataclass
class _Index:
    records: dict[str, dict[str, Any]]  # the table object the index was built from
    ids: dict[str, str]  # key -> doc id
    last_id: int


class _KeyedTables:
    """One document of tables keyed by a string field, behind one storage and one write lock:
    what the registry and the alert log share.

    Each write is one durable write of the storage, done under the lock after reading the
    latest state, so concurrent writers lose nothing; reads take no lock.
    """

    def __init__(self, storage: DocumentStorage, kind: str) -> None:
        self._storage = storage
        self._lock = threading.RLock()
        self._indexes: dict[str, _Index] = {}
        self._decoded: dict[str, tuple[dict[str, dict[str, Any]], tuple[Any, ...]]] = {}
        self._empty = new_document(kind)

    def _doc(self) -> Document:
        doc = self._storage.read()
        return self._empty if doc is None else doc

    def _commit(self, doc: Document, tables: dict[str, dict[str, dict[str, Any]]]) -> None:
        self._storage.write({**doc, **tables})

    # A record without its key: ``_index`` raises (registry) or skips it (the alert log).
    _skip_keyless = False

    def _index(self, doc: Document, table: str, key_field: str) -> _Index:
        """Key -> doc id for a table keyed by a string field, cached per table object (tables
        are replaced, never mutated, so identity tells whether the index is current)."""
        records = doc.get(table, {})
        index = self._indexes.get(table)
        if index is None or index.records is not records:
            ids: dict[str, str] = {}
            for doc_id, record in records.items():
                key = record.get(key_field)
                if not isinstance(key, str) and self._skip_keyless:
                    continue
                if not isinstance(key, str):
                    raise CorruptFile(
                        Path(self._storage.name), f"{table} record {doc_id} has no {key_field}"
                    )
                ids[key] = doc_id
            index = _Index(records, ids, max((int(d) for d in records), default=0))
            self._indexes[table] = index
        return index

    def _put_keyed(
        self, doc: Document, table: str, key_field: str, key: str, record: dict[str, Any]
    ) -> None:
        self._put_keyed_many(doc, table, key_field, [(key, _jsonable(record, table))])

    def _put_keyed_many(
        self,
        doc: Document,
        table: str,
        key_field: str,
        batch: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Upsert records (already normalised) by key in one write; keep the index current."""
        index = self._index(doc, table, key_field)
        records = dict(index.records)
        ids = dict(index.ids)
        last = index.last_id
        for key, record in batch:
            doc_id = ids.get(key)
            if doc_id is None:
                last += 1
                doc_id = ids[key] = str(last)
            records[doc_id] = record
        self._commit(doc, {table: records})
        self._indexes[table] = _Index(records, ids, last)

    def _decoded_table(
        self,
        table: str,
        decode: Callable[[dict[str, Any]], T],
        order: Callable[[T], Any],
    ) -> tuple[T, ...]:
        """Every record of ``table`` decoded and sorted by ``order``, kept per table object
        (tables are replaced, never mutated, on every write): a card names people without
        decoding the whole registry each time. The records are immutable values."""
        doc = self._doc()
        records = doc.get(table, {})
        hit = self._decoded.get(table)
        if hit is not None and hit[0] is records:
            return cast(tuple[T, ...], hit[1])
        values = tuple(sorted((self._decode(decode, doc, table, d) for d in records), key=order))
        self._decoded[table] = (records, values)
        return values

    def _decode(
        self, decode: Callable[[dict[str, Any]], T], doc: Document, table: str, doc_id: str
    ) -> T:
        try:
            return decode(doc[table][doc_id])
        except Exception as exc:  # any failure to decode means a damaged record
            raise _corrupt(self._storage, f"{table} record {doc_id}", exc) from exc


JOURNAL_KIND = ALERT_JOURNAL_KIND
JOURNAL_SCHEMA = ALERT_JOURNAL_SCHEMA
# Compact (rewrite alerts.json, empty the journal) once the journal holds this many records
# and at least COMPACT_FACTOR times as many as the log: the rewrite's cost, proportional to
# the records kept, is then spread over at least that many appended records, and a start-up
# replays at most that many. A delivery writes its record three times (pending, sending,
# sent): at 4× a province's first sweep (~300,000 records, ~900,000 appended) does not stop
# to rewrite the whole log in the middle of its deliveries.
COMPACT_MIN_LINES = 20_000
COMPACT_FACTOR = 4


class _AlertTable:
    """The alert log behind ``Registry``'s alert methods: ``alerts.json`` (a snapshot, TinyDB
    layout) plus ``alerts.jsonl`` (a journal of every record written since, ``storage.journal``).

    A write appends its records to the journal and fsyncs it: its cost is the size of the
    records written, not of the log (R33). Every record is held in memory, built at open from
    the snapshot with the journal replayed over it, as two maps in first-put order: key ->
    state and key -> data (data objects shared by the records of one message and never
    mutated). No per-record object is kept: at 300,000 records a dict per record was ~70 MB
    and most of a first sweep's bookkeeping; an ``AlertRecord`` is made when one is read.
    *Compaction* writes the whole log as a new snapshot with a ``generation`` one higher (in
    its ``_meta``) and then starts an empty journal whose header names that generation as its
    ``base``; a journal whose ``base`` is not the snapshot's generation was already folded in
    (a crash between the two writes) and is ignored, and replaced by the locked owner.
    Compaction runs when the journal is long (:data:`COMPACT_MIN_LINES`, :data:`COMPACT_FACTOR`)
    and when records are dropped by the retention (:meth:`drop`,
    ``alerts.log.AlertLog.prune``).

    One write is one journal line (schema 2, ``storage.journal.alert_journal_records``): the
    batch ``{"records": [...]}`` encoded by one ``json.dumps`` — a sweep's wave of 2,400
    records costs one encoding call, not 2,400 — and a torn line loses the whole write,
    never part of it. A schema-1 journal (one record per line) is read as it is and
    rewritten in schema 2 (a compaction) before anything is appended to it.

    A stored record that does not decode (R29) reads as ``uncertain`` with data
    ``{"damaged": True}`` (never resent; the sweep tells the inspectors once) and is written
    back as it was found until something replaces it; one without a key is left out.

    Read-only openers of a not yet migrated data directory point it at the registry's storage
    (its ``alerts`` table holds the log) with no journal; writes are refused there anyway.
    """

    def __init__(self, storage: DocumentStorage, journal: Journal | None = None) -> None:
        self._storage = storage
        self._journal = journal
        self._lock = threading.RLock()
        self._loaded = False
        self._state: dict[str, str] = {}  # key -> state, in first-put order
        self._data: dict[str, dict[str, Any]] = {}  # key -> data (shared; never mutated)
        self._bad: dict[str, dict[str, Any]] = {}  # key -> a raw record that does not decode
        # State -> the keys in it (insertion-ordered), kept current on every change, so a
        # sweep finds its handful of pending / sending / uncertain records among 300,000
        # without reading them all.
        self._by_state: dict[str, dict[str, None]] = {}
        self._damaged = 0  # records without a key, left out at load
        self._generation = 0
        self._journal_records = 0  # records in the journal (lines may hold many)
        # alerts.json without its alert table (its _meta): what a snapshot writes around
        # the records, so the storage need not keep the parsed file (``_release``).
        self._head: dict[str, Any] | None = None
        self._upgrade = False  # the journal is in an older schema: compact before appending

    # ------------------------------------------------------------------ reads

    def get(self, key: str) -> AlertRecord | None:
        """One record, its ``data`` the caller's own copy."""
        self._ensure()
        state = self._state.get(key)
        return None if state is None else AlertRecord(key, state, copy_json(self._data[key]))

    def peek(self, key: str) -> AlertRecord | None:
        """One record, shared (read-only; see ``records``)."""
        self._ensure()
        state = self._state.get(key)
        return None if state is None else AlertRecord(key, state, self._data[key])

    def records(self, state: str | None) -> list[AlertRecord]:
        """Every record (in ``state``), oldest first; their ``data`` is shared (read-only).
        One damaged record must not silence every alert (R29): it reads as ``uncertain``."""
        self._ensure()
        data = self._data
        if state is None:
            return [AlertRecord(k, s, data[k]) for k, s in self._state.items()]
        # Through the state index (``recover`` looks for a handful among 300,000), in the
        # order the records entered the state.
        return [AlertRecord(k, state, data[k]) for k in self.keys_in(state)]

    def keys_in(self, state: str) -> list[str]:
        """The keys of the records in ``state`` (a damaged record's state is ``uncertain``),
        without decoding any record."""
        self._ensure()
        if state in _SCANNED_STATES:
            return [k for k, s in self._state.items() if s == state]
        return list(self._by_state.get(state, {}))

    def all_keys(self) -> list[str]:
        """Every key, in first-put order."""
        self._ensure()
        return list(self._state)

    def state_of(self, key: str) -> str | None:
        """The state of ``key``'s record as ``records`` would read it; ``None`` if there is
        no record."""
        self._ensure()
        return self._state.get(key)

    def states_of(self, keys: Iterable[str]) -> list[str | None]:
        """The state of each of ``keys`` (``None``: no record), in their order."""
        self._ensure()
        get = self._state.get
        return [get(k) for k in keys]

    def states(self) -> dict[str, str]:
        """Key -> state of every record."""
        self._ensure()
        return dict(self._state)

    def damaged(self) -> int:
        """How many stored records do not decode (each read as ``uncertain`` or left out)."""
        self._ensure()
        return self._damaged + len(self._bad)

    # ------------------------------------------------------------------ writes

    def put_many(
        self, batch: list[tuple[str, dict[str, Any]]], lines: bytes | None = None
    ) -> None:
        """Store ``batch`` (key -> raw record); ``lines``: the batch already encoded as
        journal line(s)."""
        with self._lock:
            self._ensure()
            if not self._journaled():
                for key, raw in batch:
                    self._set(key, raw)
                self._write_whole()
                return
            self._append(batch, lines)
            for key, raw in batch:
                self._set(key, raw)
            self._journal_records += len(batch)
            self._maybe_compact()

    def move(self, moves: list[tuple[list[str], str, dict[str, Any], bool]], line: bytes) -> None:
        """Apply ``moves`` (``storage.journal.alert_journal_moves``) in one write; ``line``:
        their journal line. Applied to the records in memory exactly as a replay of ``line``
        applies it (:meth:`_apply`)."""
        with self._lock:
            self._ensure()
            if not self._journaled():
                self._apply(moves)
                self._write_whole()
                return
            self._append([], line)
            self._journal_records += self._apply(moves)
            self._maybe_compact()

    def swap(self, key: str, expect_state: str | None, new: dict[str, Any]) -> bool:
        with self._lock:
            self._ensure()
            bad = self._bad.get(key)
            current = bad.get("state") if bad is not None else self._state.get(key)
            if current != expect_state:
                return False
            if not self._journaled():
                self._set(key, new)
                self._write_whole()
                return True
            self._append([(key, new)])
            self._set(key, new)
            self._journal_records += 1
            return True

    def drop(self, keys: Iterable[str]) -> int:
        """Forget ``keys`` (the retention's choice) and compact; returns how many went."""
        with self._lock:
            self._ensure()
            states = self._state
            gone = [k for k in dict.fromkeys(keys) if k in states]
            if not gone:
                return 0
            for key in gone:
                state = states.pop(key)
                self._data.pop(key)
                self._bad.pop(key, None)
                self._by_state.get(state, {}).pop(key, None)
            self._compact()
            return len(gone)

    def compact(self) -> None:
        """Write the whole log as a new snapshot and start an empty journal."""
        with self._lock:
            self._ensure()
            self._compact()

    # ------------------------------------------------------------------ internals

    def _set(self, key: str, raw: dict[str, Any]) -> None:
        """Hold ``raw`` as ``key``'s record (a raw record that would not decode as
        ``uncertain``, kept as it is for the next snapshot)."""
        if _decodes(raw):
            if self._bad:
                self._bad.pop(key, None)
            self._put(key, raw["state"], raw.get("data", {}))
        else:
            self._bad[key] = raw
            self._put(key, "uncertain", {"damaged": True})

    def _put(self, key: str, state: str, data: dict[str, Any]) -> None:
        by_state = self._by_state
        old = self._state.get(key)
        if old is not None and old not in _SCANNED_STATES:
            by_state[old].pop(key, None)
        if state not in _SCANNED_STATES:
            # (re-)entered now: the index keeps the order records entered a state
            keys = by_state.get(state)
            if keys is None:
                keys = by_state[state] = {}
            keys[key] = None
        self._state[key] = state
        self._data[key] = data

    def _apply(self, moves: list[tuple[list[str], str, dict[str, Any], bool]]) -> int:
        """Apply ``moves`` to the records in memory, in order (a merge reads the record as
        the earlier moves of the same line left it); returns how many keys were moved.

        A first sweep moves each of 300,000 keys three times, so a move is done with bulk
        dict operations where it can be: the states in one ``update``, the index by the
        (one or two) states the keys leave."""
        moved = 0
        states, data_of, by_state = self._state, self._data, self._by_state
        for keys, state, data, merge in moves:
            moved += len(keys)
            if self._bad:
                for key in keys:  # rare: a damaged record among them (its data is elsewhere)
                    self._apply_one(key, state, data, merge)
                continue
            olds = set(map(states.get, keys))
            for old in olds:
                left = by_state.get(old) if old is not None else None
                if left:
                    pop = left.pop
                    for key in keys:
                        pop(key, None)
            if state not in _SCANNED_STATES:
                # (re-)entered now: the index keeps the order records entered a state
                index = by_state.get(state)
                if index is None:
                    index = by_state[state] = {}
                index.update(dict.fromkeys(keys))
            if not merge:
                data_of.update(dict.fromkeys(keys, data))
            elif not data:
                data_of.update((k, data) for k in keys if k not in data_of)
            else:
                data_of.update(zip(keys, _merged(map(data_of.get, keys), data), strict=True))
            states.update(dict.fromkeys(keys, state))
        return moved

    def _apply_one(self, key: str, state: str, data: dict[str, Any], merge: bool) -> None:
        kept: Any = self._data.get(key)
        bad = self._bad.pop(key, None)
        if bad is not None:
            kept = bad.get("data")
        new = data
        if merge and isinstance(kept, dict) and kept is not data:
            new = {**kept, **data} if data else kept
        self._put(key, state, new)

    def _ensure(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self._state, self._data, self._bad, self._by_state = {}, {}, {}, {}
                self._load()
                self._loaded = True
                if self._upgrade:
                    self._compact()  # an older schema's journal: rewrite before appending

    def _load(self) -> None:
        doc = self._storage.read()
        table = {} if doc is None else doc.get(ALERTS, {})
        generation = 0 if doc is None else document_meta(doc).get("generation", 0)
        self._generation = generation if isinstance(generation, int) else 0
        self._head = {k: v for k, v in (doc or {}).items() if k != ALERTS}
        self._damaged = 0
        # Records of one message have equal, flat data (the same ``at`` and ``message_id``):
        # read back, 300,000 records would otherwise hold 300,000 data objects.
        shared: dict[tuple[Any, ...], dict[str, Any]] = {}
        for doc_id in sorted(table, key=int):
            self._load_row(table[doc_id], shared)
        del table, doc
        self._release()
        journal = self._journal
        if journal is not None:
            entries = journal.load()
            self._journal_records = 0
            if entries is not None and journal.header.get("base") == self._generation:
                for number, entry in enumerate(entries, start=2):
                    moves = alert_journal_moves(entry)
                    if moves is not None:
                        self._journal_records += self._apply(moves)
                        continue
                    batch = alert_journal_records(entry)
                    keys = [r.get("key") if isinstance(r, dict) else None for r in batch or ()]
                    if batch is None or not all(isinstance(key, str) for key in keys):
                        raise CorruptFile(journal.path, f"line {number} is not an alert record")
                    for key, raw in zip(keys, batch, strict=True):
                        self._set(cast(str, key), raw)
                    self._journal_records += len(batch)
                self._upgrade = (
                    not journal.read_only
                    and journal.found_schema != journal.schema
                    and not self._storage.read_only
                )
            elif entries is not None and not journal.read_only:
                # Folded into the snapshot already (a crash right after a compaction).
                journal.header["base"] = self._generation
                journal.rewrite([])
            journal.header["base"] = self._generation

    def _load_row(
        self, raw: dict[str, Any], shared: dict[tuple[Any, ...], dict[str, Any]]
    ) -> None:
        """Hold one row of a snapshot: a record (``key``) or a group of records with one
        state and data (``keys``, written by :meth:`_snapshot`)."""
        key = raw.get("key")
        if isinstance(key, str):
            if _decodes(raw):
                self._put(key, raw["state"], _shared_data(raw.get("data", {}), shared))
            else:
                self._set(key, raw)
            return
        keys = raw.get("keys")
        if not isinstance(keys, list) or not keys:
            self._damaged += 1  # neither a record nor a group: nothing to read a key from
            return
        state, data = raw.get("state"), raw.get("data", {})
        named = [k for k in keys if isinstance(k, str)]
        self._damaged += len(keys) - len(named)
        if not (isinstance(state, str) and isinstance(data, dict)):
            for key in named:  # each reads as a damaged record (uncertain), kept as found
                self._set(key, {"key": key, "state": state, "data": data})
        elif state in _SCANNED_STATES and self._state.keys().isdisjoint(named):
            # The common case (a group of sent records): no index to keep, two C-level updates.
            self._state.update(dict.fromkeys(named, state))
            self._data.update(dict.fromkeys(named, data))
        else:
            for key in named:
                self._put(key, state, data)

    def _journaled(self) -> bool:
        """Whether writes append to the journal: not for the in-memory twin and read-only
        openers, whose every write is a whole snapshot (:meth:`_write_whole`)."""
        return self._journal is not None and not self._storage.read_only

    def _append(self, batch: list[tuple[str, dict[str, Any]]], lines: bytes | None = None) -> None:
        """Append ``lines`` (or ``batch`` encoded) to the journal. When the log changed on disk
        under us (R31: ``ChangedOnDisk``) nothing is written and the records in memory are
        dropped, so the next access reads the log as it is now."""
        assert self._journal is not None
        try:
            if lines is None:
                self._journal.append(record for _, record in batch)
            else:
                self._journal.append_encoded(lines)
        except ChangedOnDisk:
            self._loaded = False
            raise

    def _write_whole(self) -> None:
        """The snapshot path (refused read-only): the records in memory, already changed,
        written whole; if that fails, memory is dropped so the next access rereads the log."""
        try:
            self._snapshot()
        except Exception:
            self._loaded = False
            raise

    def _maybe_compact(self) -> None:
        journal = self._journal
        if journal is not None and self._journal_records >= max(
            COMPACT_MIN_LINES, COMPACT_FACTOR * len(self._state)
        ):
            self._compact()

    def _compact(self) -> None:
        try:
            if self._journal is not None and not self._storage.read_only:
                # Before the snapshot: lines someone else appended must not be folded away.
                self._journal.check_unchanged()
            self._generation += 1
            self._snapshot()
            if self._journal is not None:
                self._journal.header["base"] = self._generation
                self._journal.rewrite([])
                self._journal_records = 0
                self._upgrade = False
        except ChangedOnDisk:  # as in _append: read the log as it is next time
            self._loaded = False
            raise

    def _snapshot(self) -> None:
        """Write every record as ``alerts.json``.

        Consecutive records with the same state and the same data object (the records of
        one message, moved together) are written as one group row ``{"state", "data",
        "keys": [...]}``, in their order: a province's first sweep leaves 300,000 records in
        ~2,000 groups, so the file holds each key once and little else, and reading it back
        makes no object per record (alerts schema 2; schema-1 files, one row per record,
        are read as they are). A lone record and a damaged one are written as a record."""
        head = self._head
        meta = {**(document_meta(head) if head else new_document(ALERTS)[META_TABLE][META_ID])}
        meta["generation"] = self._generation
        if self._storage.kind == ALERTS:
            meta["schema"] = schema_version(ALERTS)
        data, bad = self._data, self._bad
        rows: list[dict[str, Any]] = []
        group: list[str] | None = None
        last_state: str | None = None
        last_data: dict[str, Any] | None = None
        for key, state in self._state.items():
            raw = bad.get(key) if bad else None
            if raw is not None:
                rows.append(raw)
                group = None
                continue
            value = data[key]
            if group is not None and value is last_data and state == last_state:
                group.append(key)
                continue
            group, last_state, last_data = [key], state, value
            rows.append({"state": state, "data": value, "keys": group})
        table = {
            str(n): {"key": row["keys"][0], "state": row["state"], "data": row["data"]}
            if len(row.get("keys", ())) == 1
            else row
            for n, row in enumerate(rows, start=1)
        }
        rest = {k: v for k, v in (head or {}).items() if k not in (META_TABLE, ALERTS)}
        self._storage.write({META_TABLE: {META_ID: meta}, **rest, ALERTS: table})
        self._head = {META_TABLE: {META_ID: meta}, **rest}
        del table, rows
        self._release()

    def _release(self) -> None:
        """Let the storage drop its parsed copy of alerts.json: every record is held here,
        so its table would only add a second copy of 300,000 records. A later snapshot is
        built from the records and :attr:`_head`."""
        if self._storage.kind == ALERTS and not self._storage.read_only:
            self._storage.forget()


def _merged(kept: Iterable[dict[str, Any] | None], data: dict[str, Any]) -> list[dict[str, Any]]:
    """``data`` merged over each of ``kept`` (``None``: no record yet, ``data`` as it is).
    Keys whose data was one object (a message's records share theirs) share the merged one
    too: a province's 300,000 records hold a few thousand data objects. (``made`` holds each
    old object, so its id is not reused while merging.)"""
    made: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for old in kept:
        if old is None or old is data:
            out.append(data)
            continue
        hit = made.get(id(old))
        if hit is None:
            hit = made[id(old)] = (old, {**old, **data})
        out.append(hit[1])
    return out


def _shared_data(data: Any, shared: dict[tuple[Any, ...], dict[str, Any]]) -> dict[str, Any]:
    """The one data object of all records with equal, flat ``data``."""
    if not data:
        return cast(dict[str, Any], data)
    try:
        return shared.setdefault(tuple(data.items()), data)
    except TypeError:  # a value that is a list or an object: kept as it is
        return cast(dict[str, Any], data)


# States the alert log does not index (``_AlertTable.keys_in`` scans for them): nearly
# every record ends ``sent``, and nobody asks for all of them but a test or a check; an
# index of 300,000 sent keys would be ~30 MB for nothing.
_SCANNED_STATES = frozenset({"sent"})


def _decodes(raw: dict[str, Any]) -> bool:
    """Whether ``storage.records.alert_from_dict`` would decode ``raw`` (string key and
    state, object data), checked without copying its data."""
    return (
        isinstance(raw.get("state"), str)
        and isinstance(raw.get("key"), str)
        and isinstance(raw.get("data", {}), dict)
    )


class Registry(_KeyedTables):
    """Units, people, invites and free meta values (``registry.json``), and the alert log
    (``alerts.json``: same methods as ever, its own file and lock).

    Each write method is one durable write of one file — the registry, or for the alert
    methods the alert log — done under that file's lock after reading the latest state, so
    concurrent writers lose nothing. Units are added with ``Store.add_unit`` (which also
    creates the unit's ledger file).
    """

    def __init__(
        self,
        storage: DocumentStorage,
        alert_storage: DocumentStorage,
        alert_journal: Journal | None = None,
    ) -> None:
        super().__init__(storage, REGISTRY)
        self._alerts = _AlertTable(alert_storage, alert_journal)

    # ------------------------------------------------------------------ units

    def get_unit(self, code: str) -> Unit | None:
        doc = self._doc()
        doc_id = self._index(doc, UNITS, "code").ids.get(code)
        return None if doc_id is None else self._decode(unit_from_dict, doc, UNITS, doc_id)

    def list_units(self) -> list[Unit]:
        """Every unit, sorted by code."""
        units = self._decoded_table(UNITS, unit_from_dict, lambda u: u.code)
        return list(units)

    def _insert_unit(self, unit: Unit) -> None:
        """Store.add_unit's registry half (the ledger file must exist already)."""
        with self._lock:
            doc = self._doc()
            if self._index(doc, UNITS, "code").ids.get(unit.code) is not None:
                raise AlreadyExists(f"unit {unit.code} already exists")
            self._put_keyed(doc, UNITS, "code", unit.code, to_dict(unit))

    # ------------------------------------------------------------------ people

    def get_person(self, user_id: int) -> Person | None:
        doc = self._doc()
        if str(user_id) not in doc.get(PEOPLE, {}):
            return None
        return self._decode(person_from_dict, doc, PEOPLE, str(user_id))

    def list_people(self, *, unit: str | None = None, role: Role | None = None) -> list[Person]:
        """People sorted by user id, optionally only one unit's and/or one role's."""
        people = self._decoded_table(PEOPLE, person_from_dict, lambda p: p.user_id)
        return [
            p
            for p in people
            if (unit is None or p.unit == unit) and (role is None or p.role is role)
        ]

    def upsert_person(self, person: Person) -> None:
        """Insert or replace the person with ``person.user_id``. ``UnknownUnit`` if their unit
        is not registered."""
        with self._lock:
            doc = self._doc()
            self._require_unit(doc, person.unit)
            people = {**doc.get(PEOPLE, {}), str(person.user_id): self._person_record(person)}
            self._commit(doc, {PEOPLE: people})

    def remove_person(self, user_id: int) -> bool:
        """Forget a person; ``False`` if there was no such person (nothing is written)."""
        with self._lock:
            doc = self._doc()
            people = dict(doc.get(PEOPLE, {}))
            if people.pop(str(user_id), None) is None:
                return False
            self._commit(doc, {PEOPLE: people})
            return True

    # ------------------------------------------------------------------ invites

    def add_invite(
        self,
        code: str,
        *,
        role: Role,
        unit: str | None,
        created_by: int,
        now: datetime,
        expires_at: datetime,
    ) -> Invite:
        """Store an invite under the SHA-256 of ``code`` (the code itself is not kept).

        Generating the code (≥ 128 random bits) and checking its format are the caller's job.
        ``unit`` must be ``None`` for inspectors and a registered unit otherwise
        (``InvalidValue`` / ``UnknownUnit``); a code already stored raises ``AlreadyExists``.
        """
        require_aware(now, "now")
        require_aware(expires_at, "expires_at")
        if (role is Role.INSPECTOR) != (unit is None):
            raise InvalidValue("inspector invites have no unit; others need one", field="unit")
        invite = Invite(hash_invite_code(code), role, unit, created_by, now, expires_at)
        with self._lock:
            doc = self._doc()
            self._require_unit(doc, unit)
            if self._index(doc, INVITES, "code_hash").ids.get(invite.code_hash) is not None:
                raise AlreadyExists("invite code already exists")
            self._put_keyed(doc, INVITES, "code_hash", invite.code_hash, invite_to_dict(invite))
        return invite

    def get_invite(self, code: str) -> Invite | None:
        """The invite for a (plain) code, or ``None``."""
        doc = self._doc()
        doc_id = self._index(doc, INVITES, "code_hash").ids.get(hash_invite_code(code))
        return None if doc_id is None else self._decode(invite_from_dict, doc, INVITES, doc_id)

    def list_invites(self) -> list[Invite]:
        """Every invite, newest first."""
        doc = self._doc()
        invites = [self._decode(invite_from_dict, doc, INVITES, d) for d in doc.get(INVITES, {})]
        return sorted(invites, key=lambda i: i.created_at, reverse=True)

    def redeem_invite(
        self,
        code: str,
        *,
        user_id: int,
        name: str,
        now: datetime,
        language: str | None = None,
        move_from: tuple[str, Role] | None = None,
    ) -> tuple[Invite, Person]:
        """Use an invite once, atomically: mark it used by ``user_id`` at ``now`` and bind that
        user as a Person with the invite's role and unit, in one registry write.

        An existing Person record for ``user_id`` is replaced (role, unit, name), keeping their
        ``language`` unless one is given and resetting ``reachable``; whether that is allowed
        (e.g. an inspector redeeming a contact invite) is the caller's decision, made before.
        A user bound to another unit or role (``ledger.invites.would_move``) is moved only if
        ``move_from`` names the (unit, role) they are leaving — the binding they confirmed to
        leave — and the invite then records it (``moved_from``); otherwise ``InviteRejected``
        ``"move"`` with their current binding, and the invite stays usable.
        Raises ``InviteRejected`` with reason ``"unknown"``, ``"used"`` (also for the same
        user: single use) or ``"expired"`` (from ``expires_at`` on); nothing is written then.
        """
        require_aware(now, "now")
        code_hash = hash_invite_code(code)
        with self._lock:
            doc = self._doc()
            doc_id = self._index(doc, INVITES, "code_hash").ids.get(code_hash)
            if doc_id is None:
                raise InviteRejected("unknown")
            invite = self._decode(invite_from_dict, doc, INVITES, doc_id)
            if invite.used:
                raise InviteRejected("used", invite)
            if invite.expired(now):
                raise InviteRejected("expired", invite)
            old = self.get_person(user_id)
            moved: tuple[str, Role] | None = None
            if old is not None and would_move(old, invite.role, invite.unit):
                assert old.unit is not None  # would_move: bound to a unit
                if move_from != (old.unit, old.role):
                    raise InviteRejected("move", invite, current=old)
                moved = (old.unit, old.role)
            used = replace(invite, used_by=user_id, used_at=now, moved_from=moved)
            person = Person(
                user_id=user_id,
                name=name,
                role=invite.role,
                unit=invite.unit,
                language=language if language is not None else (old.language if old else None),
            )
            self._require_unit(doc, person.unit)
            invites = {**doc[INVITES], doc_id: _jsonable(invite_to_dict(used), "invite")}
            people = {**doc.get(PEOPLE, {}), str(user_id): self._person_record(person)}
            self._commit(doc, {INVITES: invites, PEOPLE: people})
        return used, person

    # ------------------------------------------------------------------ alert log

    def get_alert(self, key: str) -> AlertRecord | None:
        return self._alerts.get(key)

    def peek_alert(self, key: str) -> AlertRecord | None:
        """``get_alert`` without the copy: the shared record ``list_alerts`` hands out (read
        its ``data``, never change it) — for the sweep's state moves, 3 per delivery."""
        return self._alerts.peek(key)

    def list_alerts(self, state: str | None = None) -> list[AlertRecord]:
        """Alert records: all, in the order they were first put, or those in ``state``, in
        the order they entered it (found through an index, not by reading every record).
        The records are shared between callers (a sweep reads 100,000 of them, decoded once
        per stored record): read their ``data``, never change it (``get_alert`` gives a copy).
        """
        return self._alerts.records(state)

    def put_alert(self, record: AlertRecord) -> None:
        """Insert or replace the record with ``record.key``; ``data`` must be JSON-compatible
        (``ValueError`` otherwise, nothing written)."""
        self.put_alerts([record])

    def put_alerts(self, records: Iterable[AlertRecord]) -> None:
        """``put_alert`` for many records in one alert-log write (a sweep's worth). Later
        records with the same key win."""
        # The batch is encoded once, by one call: its JSON text is both what is kept in
        # memory (parsed back, exactly as it will read from disk) and its journal line.
        batch = list(records)
        keys: list[str] = []
        plain: list[dict[str, Any]] = []
        for record in batch:
            if not record.key or not record.state:
                raise ValueError("an alert record needs a non-empty key and state")
            keys.append(record.key)
            plain.append(alert_to_dict(record))
        if not keys:
            return
        try:
            text, line = encode_line({"records": plain})
        except (TypeError, ValueError):
            for record in batch:
                self._alert_line(record)  # names the record that is not JSON-compatible
            raise ValueError("an alert record is not JSON-compatible") from None
        raws: list[dict[str, Any]] = json.loads(text)["records"]
        self._alerts.put_many(list(zip(keys, raws, strict=True)), line)

    def move_alerts(self, moves: Iterable[AlertMove]) -> None:
        """Move many records in one alert-log write (``storage.records.AlertMove``): one
        journal line naming the keys, however many there are. A key without a record gets
        one with the move's data. ``ValueError`` (nothing written) for an empty key or
        state, or data JSON cannot hold."""
        plain: list[dict[str, Any]] = []
        parsed: list[tuple[list[str], str, Any, bool]] = []
        for move in moves:
            keys = list(move.keys)
            if not move.state or not all(isinstance(k, str) and k for k in keys):
                raise ValueError("an alert move needs non-empty keys and a state")
            if keys:
                plain.append(
                    {"keys": keys, "state": move.state, "data": move.data, "merge": move.merge}
                )
                parsed.append((keys, move.state, move.data, bool(move.merge)))
        if not plain:
            return
        try:
            _, line = encode_line({"moves": plain})
            # What memory holds is what a replay of the line reads: the keys and states as
            # given (checked above), the data as JSON reads it back (small: one per move).
            datas = json.loads(encode_line([m[2] for m in parsed])[0])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"alert move data is not JSON-compatible: {exc}") from exc
        self._alerts.move(
            [(k, st, data, merge) for (k, st, _, merge), data in zip(parsed, datas, strict=True)],
            line,
        )

    def alert_keys(self, state: str) -> list[str]:
        """The keys of the alert records in ``state`` (a damaged record is ``uncertain``),
        from the state index: no record is read."""
        return self._alerts.keys_in(state)

    def alert_keys_starting(self, prefix: str) -> list[str]:
        """The keys of the alert records whose key starts with ``prefix`` (a scan of the keys
        alone: ~20 ms for 300,000)."""
        return [k for k in self._alerts.all_keys() if k.startswith(prefix)]

    def alert_state(self, key: str) -> str | None:
        """The state of ``key``'s alert record (``None``: no record), without decoding it."""
        return self._alerts.state_of(key)

    def alert_states_of(self, keys: Iterable[str]) -> list[str | None]:
        """``alert_state`` of each of ``keys``, in their order, in one call (a sweep asks
        about 300,000)."""
        return self._alerts.states_of(keys)

    def alert_states(self) -> dict[str, str]:
        """Delivery key -> state of every alert record, without decoding their data (what a
        sweep needs to know what was already sent)."""
        return self._alerts.states()

    def drop_alerts(self, keys: Iterable[str]) -> int:
        """Forget these alert records (the alert log's retention, ``alerts.log``) and compact
        the log; returns how many were dropped."""
        return self._alerts.drop(keys)

    def swap_alert(self, key: str, expect_state: str | None, record: AlertRecord) -> bool:
        """Compare-and-set: store ``record`` (whose key must be ``key``) only if the current
        state is ``expect_state`` (``None``: no record yet). Returns whether it was stored.
        Lets a sender claim ``pending -> sending`` exactly once across concurrent sweeps."""
        if record.key != key:
            raise ValueError(f"record key {record.key!r} is not {key!r}")
        return self._alerts.swap(key, expect_state, self._alert_record(record))

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A value stored with ``set_meta``, or ``default``. Returns a copy."""
        doc = self._doc()
        doc_id = self._index(doc, META, "key").ids.get(key)
        return default if doc_id is None else copy.deepcopy(doc[META][doc_id].get("value"))

    def set_meta(self, key: str, value: Any) -> None:
        """Store any JSON-compatible ``value`` under ``key`` (``ValueError`` otherwise)."""
        record = _jsonable({"key": key, "value": value}, f"meta {key!r}")
        with self._lock:
            doc = self._doc()
            self._put_keyed_many(doc, META, "key", [(key, record)])

    def update_meta(self, key: str, change: Callable[[Any], T]) -> T:
        """Read-modify-write one meta value atomically: ``change(current or None)`` runs under
        the registry's lock and its result is stored (one durable write) and returned. An
        exception from ``change`` writes nothing and propagates (a check-then-write that
        concurrent writers cannot interleave, e.g. "answer once")."""
        with self._lock:
            doc = self._doc()
            doc_id = self._index(doc, META, "key").ids.get(key)
            current = None if doc_id is None else copy.deepcopy(doc[META][doc_id].get("value"))
            value = change(current)
            record = _jsonable({"key": key, "value": value}, f"meta {key!r}")
            self._put_keyed_many(doc, META, "key", [(key, record)])
            return value

    # ------------------------------------------------------------------ internals

    def _require_unit(self, doc: Document, unit: str | None) -> None:
        if unit is not None and self._index(doc, UNITS, "code").ids.get(unit) is None:
            raise UnknownUnit(f"no unit {unit!r}", unit=unit)

    @staticmethod
    def _person_record(person: Person) -> dict[str, Any]:
        return _jsonable(to_dict(person), f"person {person.user_id}")

    @staticmethod
    def _alert_line(record: AlertRecord) -> tuple[dict[str, Any], bytes]:
        """The stored form of ``record`` and its journal line, from one encoding."""
        if not record.key or not record.state:
            raise ValueError("an alert record needs a non-empty key and state")
        try:
            text, line = encode_line(alert_to_dict(record))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"alert {record.key!r} is not JSON-compatible: {exc}") from exc
        raw: dict[str, Any] = json.loads(text)
        return raw, line

    @staticmethod
    def _alert_record(record: AlertRecord) -> dict[str, Any]:
        if not record.key or not record.state:
            raise ValueError("an alert record needs a non-empty key and state")
        return _jsonable(alert_to_dict(record), f"alert {record.key!r}")


# =========================================================================== the store


class Store:
    """A data directory (or its in-memory twin): the registry plus one ledger per unit.

    Open with ``Store.open(data_dir)`` (or ``Store.memory()``) and ``close()`` when done, or use
    it as a context manager. Safe to share between threads; from async code call blocking
    methods through ``await store.run(fn, *args)``.
    """

    def __init__(
        self,
        *,
        registry_storage: DocumentStorage,
        alert_storage: DocumentStorage,
        ledger_storage: Callable[[str], DocumentStorage],
        layout: Layout | None = None,
        marks: UpdateMarks | None = None,
        alert_journal: Journal | None = None,
        lock: DirLock | None = None,
        read_only: bool = False,
        resident_bytes: int | None = None,
        stamps: VerifiedStamps | None = None,
    ) -> None:
        """Internal: use ``open()`` or ``memory()``."""
        self.layout = layout
        self.read_only = read_only
        self._resident = None if resident_bytes is None else _Resident(resident_bytes)
        self._stamps = stamps
        self._stamp_lock = threading.Lock()
        self._stamp_stop = threading.Event()
        self._stamp_thread: threading.Thread | None = None
        self.registry = Registry(registry_storage, alert_storage, alert_journal)
        self._alert_journal = alert_journal
        if marks is None:
            marks = UpdateMarks(MemoryJournal(kind=MARKS_KIND, schema=MARKS_SCHEMA))
        self.update_marks = marks
        self._registry_storage = registry_storage
        self._alert_storage = alert_storage
        self._ledger_storage = ledger_storage
        self._lock = lock
        self._ledgers: dict[str, Ledger] = {}
        self._closed = False

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        lock: bool = True,
        file_ops: FileOps = OS_FILE_OPS,
        resident_bytes: int | None = None,
        stamp_seconds: float = STAMP_SECONDS,
    ) -> Store:
        """Open a data directory, creating it (and an empty registry) if needed.

        ``lock=True`` (the bot, ``import``): take the directory lock first — another holder
        raises ``DataDirInUse`` at once — and remove temp files a killed writer left behind
        (``storage.safe.temp_name`` names only) in the root, ``ledgers/``, ``quarantine/`` and
        every ``evidence/<UNIT>/<ITEM>/`` (``Layout.write_dirs``).
        ``lock=False`` (``check``, ``backup``, ``export``): read-only; nothing is created,
        locked, quarantined or written, and writes raise ``ReadOnlyStore``. A missing
        directory then reads as empty.

        Every registered unit's ledger is checked now, so a damaged file stops the start-up:
        ``CorruptFile`` names the first one (the locked opener quarantines a copy),
        ``MissingFile`` a registered unit whose ledger is gone, a registry that is gone while
        ledgers remain, or an ``alerts.json`` that is gone while the registry says the alert
        log lives there. A ledger whose bytes are the ones its verified stamp names
        (``storage.stamps``) is trusted unparsed — it is parsed on first use; any other is
        parsed and decoded record by record, and a damaged record sets that ledger aside
        read-only (R29). At most ``resident_bytes`` (default :data:`RESIDENT_BYTES`) of ledger
        files are held parsed at once (``_Resident``). The locked opener saves the stamps
        every ``stamp_seconds`` (a daemon thread) and at ``close``. ``file_ops`` is the
        durable-write test seam (R2).

        The alert log moved out of ``registry.json`` into ``alerts.json`` (registry schema 2).
        The locked opener of an older directory moves it (see ``_move_alert_log``); a
        read-only opener moves nothing and reads the log wherever it is.
        """
        layout = Layout(Path(data_dir))
        dir_lock: DirLock | None = None
        if lock:
            _make_dir(layout.root, file_ops)
            dir_lock = DirLock(layout.root)
            dir_lock.acquire()
        try:
            if lock:
                # Every folder a durable write uses, evidence folders included: a download
                # killed mid-write leaves its temp file beside the item's other evidence.
                for directory in layout.write_dirs():
                    for removed in remove_temp_files(directory):
                        log.info("removed %s, left by an interrupted write", removed)
                _make_dir(layout.ledgers_dir, file_ops)
            quarantine_dir = layout.quarantine_dir if lock else None
            marks = UpdateMarks(
                Journal(
                    layout.updates,
                    kind=MARKS_KIND,
                    schema=MARKS_SCHEMA,
                    read_only=not lock,
                    quarantine_dir=quarantine_dir,
                    file_ops=file_ops,
                )
            )
            # Every write of recorded state waits, just before its commit point, for the
            # update marks written before it to be durable (R18; storage.marks).
            barrier = marks.sync

            def ledger_storage(unit: str) -> DocumentStorage:
                storage = SafeJSONStorage(
                    layout.ledger(unit),
                    kind=LEDGER,
                    expect={"unit": unit},
                    read_only=not lock,
                    copy_on_write=True,
                    quarantine_dir=quarantine_dir,
                    file_ops=file_ops,
                )
                storage.barrier = barrier
                return storage

            # The alert snapshot is written whole at a compaction, renumbered: re-encoding
            # only changed records (copy-on-write) would save nothing there and hold every
            # record's encoded bytes in memory (~40 MB for 300,000 records).
            registry_storage, alert_storage = (
                SafeJSONStorage(
                    path,
                    kind=kind,
                    read_only=not lock,
                    copy_on_write=kind == REGISTRY,
                    quarantine_dir=quarantine_dir,
                    file_ops=file_ops,
                )
                for path, kind in ((layout.registry, REGISTRY), (layout.alerts, ALERTS))
            )
            alert_storage.compact = True
            registry_storage.barrier = alert_storage.barrier = barrier
            if registry_storage.read() is None:
                orphans = layout.ledger_files()
                if orphans:
                    raise MissingFile(
                        layout.registry,
                        f"the registry is missing but ledgers/ holds {len(orphans)} ledger "
                        f"file(s) ({', '.join(orphans)}); restore registry.json from a backup",
                    )
                if lock:
                    # The alert log first: a schema-2 registry says alerts.json exists.
                    if alert_storage.read() is None:
                        alert_storage.write(new_document(ALERTS))
                    registry_storage.write(new_document(REGISTRY))
            alert_source = _move_alert_log(layout, registry_storage, alert_storage)
            alert_journal = (
                Journal(
                    layout.alerts_journal,
                    kind=JOURNAL_KIND,
                    schema=JOURNAL_SCHEMA,
                    readable=ALERT_JOURNAL_READABLE,
                    read_only=not lock,
                    quarantine_dir=quarantine_dir,
                    file_ops=file_ops,
                )
                if alert_source is alert_storage
                else None
            )
            if alert_journal is not None:
                alert_journal.barrier = barrier
            store = cls(
                registry_storage=registry_storage,
                alert_storage=alert_source,
                ledger_storage=ledger_storage,
                marks=marks,
                alert_journal=alert_journal,
                layout=layout,
                lock=dir_lock,
                read_only=not lock,
                resident_bytes=RESIDENT_BYTES if resident_bytes is None else resident_bytes,
                stamps=VerifiedStamps.load(layout.verified, read_only=not lock, file_ops=file_ops),
            )
            store._load_ledgers()
            damaged_alerts = store.registry._alerts.damaged()
            if damaged_alerts:
                copy = store._quarantine_copy(alert_storage)
                log.error(
                    "alerts.json holds %d damaged record(s): each is treated as sent "
                    "(uncertain, never resent) and the inspectors are told%s",
                    damaged_alerts,
                    f"; a copy was saved as {copy}" if copy else "",
                )
            store._load_marks()
            if store._stamps is not None:
                store._stamps.save()  # derived data: written after every data file's own move
            store._start_stamping(stamp_seconds)
        except BaseException:
            if dir_lock is not None:
                dir_lock.release()
            raise
        return store

    @classmethod
    def memory(cls) -> Store:
        """The in-memory twin: same API and contracts, no files, no lock."""

        def ledger_storage(unit: str) -> DocumentStorage:
            return MemoryDocumentStorage(kind=LEDGER, expect={"unit": unit}, copy_on_write=True)

        registry_storage = MemoryDocumentStorage(kind=REGISTRY, copy_on_write=True)
        registry_storage.write(new_document(REGISTRY))
        alert_storage = MemoryDocumentStorage(kind=ALERTS)
        alert_storage.write(new_document(ALERTS))
        return cls(
            registry_storage=registry_storage,
            alert_storage=alert_storage,
            alert_journal=MemoryJournal(
                kind=JOURNAL_KIND, schema=JOURNAL_SCHEMA, readable=ALERT_JOURNAL_READABLE
            ),
            ledger_storage=ledger_storage,
        )

    # ------------------------------------------------------------------ ledgers

    def ledger(self, unit: str) -> Ledger:
        """The ledger of a registered unit; ``UnknownUnit`` otherwise."""
        ledger = self._ledgers.get(unit)
        if ledger is None:
            raise UnknownUnit(f"no unit {unit!r}", unit=unit)
        return ledger

    def ledgers(self) -> list[Ledger]:
        """Every unit's ledger, sorted by unit code."""
        return [self._ledgers[code] for code in sorted(self._ledgers)]

    def damaged(self) -> dict[str, CorruptFile]:
        """Unit code -> the first damaged record of each ledger quarantined at open (R29)."""
        return {
            code: ledger.damage
            for code, ledger in sorted(self._ledgers.items())
            if ledger.damage is not None
        }

    def add_unit(self, unit: Unit) -> Ledger:
        """Register a unit and create its empty ledger file; ``AlreadyExists`` if the code is
        taken. The ledger file is written first: a crash in between leaves an unregistered
        ledger file, which a later ``add_unit`` of the same code adopts (a registered unit
        without a ledger would refuse to open)."""
        if self.read_only:
            raise ReadOnlyStore("the store is open read-only")
        with self.registry._lock:
            if self.registry.get_unit(unit.code) is not None:
                raise AlreadyExists(f"unit {unit.code} already exists")
            storage = self._ledger_storage(unit.code)
            if storage.read() is None:
                storage.write(new_document(LEDGER, unit=unit.code, next_seq=1))
            ledger = self._new_ledger(unit.code, storage)
            self.registry._insert_unit(unit)
            self._ledgers[unit.code] = ledger
        return ledger

    # ------------------------------------------------------------------ lifecycle

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call on a worker thread (``asyncio.to_thread``), so a durable
        write's fsync never blocks the event loop. Context variables are propagated."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def close(self) -> None:
        """Refuse further writes and release the directory lock. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stamp_stop.set()
        if self._stamp_thread is not None:
            self._stamp_thread.join()
        journal = self._alert_journal
        if journal is not None and journal.lines and not self.read_only:
            # A clean stop folds the journal into alerts.json: what older tools and a
            # restore read whole is then complete, and the next start replays nothing.
            try:
                self.registry._alerts.compact()
            except (StorageError, OSError):
                log.exception("could not compact the alert log at close (the journal keeps it)")
        self._registry_storage.close()
        self._alert_storage.close()
        if self._alert_journal is not None:
            self._alert_journal.close()
        self.update_marks.journal.close()
        for ledger in self._ledgers.values():
            ledger._storage.close()
        self.save_stamps()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _load_marks(self) -> None:
        """Read the update marks (damage stops the start-up, R3). A data directory from
        before ``updates.jsonl`` kept them in the registry's meta: the locked opener starts
        the journal from them, once."""
        if self.update_marks.load() or self.read_only:
            return
        legacy = self.registry.get_meta(LEGACY_MARKS_META, [])
        if isinstance(legacy, list) and legacy:
            self.update_marks.seed(k for k in legacy if isinstance(k, str))

    def resident(self) -> list[str]:
        """The units whose ledger is held parsed now, least recently read first (``[]`` for
        the in-memory twin, which holds every ledger)."""
        return [] if self._resident is None else self._resident.resident()

    def _new_ledger(
        self, unit: str, storage: DocumentStorage, verified: Fingerprint | None = None
    ) -> Ledger:
        return Ledger(
            unit,
            storage,
            verified=verified,
            resident=self._resident,
            on_damage=self._damage_found,
        )

    def _damage_found(self, ledger: Ledger, damage: CorruptFile) -> None:
        """A ledger's record does not decode (R29): keep a copy of the file and say so."""
        copy = self._quarantine_copy(ledger._storage)
        log.error(
            "ledger %s is damaged and read-only until repaired (%s)%s",
            ledger.unit,
            damage.reason,
            f"; a copy was saved as {copy}" if copy else "",
        )

    def _load_ledgers(self) -> None:
        """Open every registered unit's ledger: trusted unparsed when its verified stamp
        names its bytes, else parsed and checked now (``Ledger.verify``), and stamped (saved
        by ``open`` once the data files are in order)."""
        stamps = self._stamps
        for unit in self.registry.list_units():
            storage = self._ledger_storage(unit.code)
            printed = _file_fingerprint(storage)
            if printed is None and storage.read() is None:
                path = self.layout.ledger(unit.code) if self.layout else Path(storage.name)
                raise MissingFile(
                    path,
                    f"unit {unit.code} is registered but its ledger file is missing; restore "
                    "it from a backup (a new empty ledger would reuse item ids)",
                )
            trusted = stamps is not None and stamps.trusts(unit.code, printed)
            ledger = self._new_ledger(unit.code, storage, printed if trusted else None)
            self._ledgers[unit.code] = ledger
            if not trusted and ledger.verify() is None:
                ledger._current()  # held parsed as any ledger just read (``_Resident``)
            if stamps is not None:
                stamps.record(unit.code, ledger.verified)

    def save_stamps(self) -> bool:
        """Stamp each ledger's last verified bytes (those it committed last), so the next
        start trusts every ledger written so far; one small durable write, only if a stamp
        changed. Returns whether it wrote. (Every ``stamp_seconds`` and at ``close``.)"""
        stamps = self._stamps
        if stamps is None or self.read_only:
            return False
        with self._stamp_lock:
            for code, ledger in list(self._ledgers.items()):
                stamps.record(code, ledger.verified)
            return stamps.save()

    def _start_stamping(self, every: float) -> None:
        if self._stamps is None or self.read_only or every <= 0:
            return

        def loop() -> None:
            while not self._stamp_stop.wait(every):
                try:
                    self.save_stamps()
                except Exception:  # never let the saver die: the stamps only save time
                    log.exception("could not save the verified stamps")

        self._stamp_thread = threading.Thread(target=loop, name="zgt-stamps", daemon=True)
        self._stamp_thread.start()

    def _quarantine_copy(self, storage: DocumentStorage) -> Path | None:
        """The locked opener keeps a byte-for-byte copy of a damaged ledger (as for R3)."""
        if self.read_only or self.layout is None or not isinstance(storage, SafeJSONStorage):
            return None
        try:
            return quarantine(storage.path, storage.path.read_bytes(), self.layout.quarantine_dir)
        except OSError as exc:
            log.warning("could not copy %s to quarantine: %s", storage.path, exc)
            return None


def _move_alert_log(
    layout: Layout, registry: DocumentStorage, alerts: DocumentStorage
) -> DocumentStorage:
    """Finish moving the alert log out of the registry; return the storage it is read from.

    A schema-1 registry holds the log in its ``alerts`` table. The locked opener moves it in
    two durable writes: first ``alerts.json`` with the table's records exactly as they are (same
    document ids, so the same order), then the registry without the table, as schema 2. A crash
    after the first write leaves both; the next open then takes ``alerts.json`` as it is —
    it already holds the whole table, and the log may have been written since — and only
    drops the registry's copy. Each record is therefore in exactly one place once the registry
    is rewritten, and in at least one place at every moment in between.

    The read-only opener writes nothing: it reads ``alerts.json`` if it exists, else the
    registry's table. A schema-2 registry without ``alerts.json`` raises ``MissingFile``
    (starting with an empty log would send every due alert again).
    """
    doc = registry.read()
    if doc is None:  # a read-only opener of a directory without a registry
        return alerts
    moved = alerts.read()  # CorruptFile here stops the move before anything is written
    if document_meta(doc).get("schema") == schema_version(REGISTRY) and ALERTS not in doc:
        if moved is None:
            raise MissingFile(
                layout.alerts,
                "registry.json keeps the alert log in alerts.json, which is missing; restore "
                "alerts.json from a backup (an empty alert log would send every due alert "
                "again)",
            )
        return alerts
    if registry.read_only:
        return registry if moved is None else alerts
    table = doc.get(ALERTS, {})
    if moved is None:
        alerts.write({**new_document(ALERTS), ALERTS: table})
        log.info("moved the alert log (%d records) from registry.json to alerts.json", len(table))
    elif table:
        log.info(
            "finishing an alert-log move cut short: alerts.json (%d records) kept, the "
            "registry's copy (%d records) dropped",
            len(moved.get(ALERTS, {})),
            len(table),
        )
    meta = {**document_meta(doc), "schema": schema_version(REGISTRY)}
    rest = {name: records for name, records in doc.items() if name not in (META_TABLE, ALERTS)}
    registry.write({META_TABLE: {META_ID: meta}, **rest})
    return alerts


def _file_fingerprint(storage: DocumentStorage) -> Fingerprint | None:
    """The fingerprint of a ledger file's bytes now; ``None`` when it cannot be read (the
    storage's own read then says why, or that it is missing)."""
    if not isinstance(storage, SafeJSONStorage):
        return None
    try:
        return fingerprint(storage.path.read_bytes())
    except OSError:
        return None


def _make_dir(directory: Path, ops: FileOps) -> None:
    """Create ``directory`` if missing and make its entry in the parent durable."""
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    fsync_dir(directory.parent, ops)
