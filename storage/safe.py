"""Crash-safe TinyDB storages (RELIABILITY R1–R4).

TinyDB's stock ``JSONStorage`` rewrites its file in place, so a ``kill -9`` mid-write leaves
half a JSON document, and it reads a 0-byte file as an empty database. The storages here:

* write a whole new file next to the old one and swap it in (``atomic_write``): temp file in
  the same directory, write, ``fsync``, ``os.replace``, ``fsync`` of the directory. A reader or
  a crash sees the old file or the new one, never a mix (R1); ``write()`` returns only once the
  new state is on disk (R2).
* refuse to read a file they cannot trust: 0 bytes, not UTF-8 JSON, not TinyDB's
  ``{table: {doc_id: record}}`` shape, no ``_meta`` table, an unknown schema version or the
  wrong kind of document raise ``CorruptFile``. The file is never modified; the locked owner
  also puts a byte-for-byte copy in ``<data>/quarantine/`` (R3). A *missing* file is an empty
  database (``read()`` returns ``None``, TinyDB's contract).
* keep the last parsed document in memory. TinyDB re-reads the storage on every operation and
  re-parsing a 2 MB ledger per query is too slow; this is safe because every write reaches the
  disk before it returns (write-through, no deferred flush — R4 forbids CachingMiddleware) and
  one process owns the directory (storage.lock). The owner may drop it (``forget``) to bound
  memory; the next read parses the file again. Each document is kept with the *fingerprint*
  (length, CRC-32) of the bytes it was parsed from or written as, which storage.stamps and
  the ledgers' memos of derived data key on.

Every document carries ``_meta`` → ``"1"`` → ``{"schema": <version>, "kind": ...}``; the
version is per kind (``schema_version``: 1, except the registry's 2 since the alert log moved
to ``alerts.json``). ``write()`` stamps it when missing, so even plain ``TinyDB(path,
storage=SafeJSONStorage, kind="x")`` produces files this module reads back, and refuses to
write any version but the current one (an older one is only ever read, to be migrated).

The cached document is shared with callers and must be treated as read-only. TinyDB's own
Table write methods mutate the document they read in place, so when a ``write()`` fails the
cache is dropped and the next ``read()`` re-parses the file, which is then the only truth. The
repositories (storage.repo) go further and build every new state copy-on-write (changed records
are new objects, unchanged ones are shared and never mutated); they open storages with
``copy_on_write=True``, which lets a write re-encode only the records that changed
(``FragmentSerializer``) — the difference between ~90 ms and ~15 ms for a 3 MB ledger (R20).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import secrets
import threading
import zlib
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage.errors import ChangedOnDisk, CorruptFile, ReadOnlyStore, StoreClosed, UnreadableFile

SCHEMA_VERSION = 1
# Kinds whose layout changed since version 1: kind -> (the version written, the versions read).
# registry 2: the alert log moved out of registry.json into alerts.json. A version-1 registry
# is still read (storage.repo migrates it on the first locked open), while a build that only
# knows version 1 refuses a version-2 registry instead of reading it as "no alert sent yet"
# and sending every due alert again.
# alerts 2: a snapshot may hold group rows (many keys, one state and data; storage.repo's
# _AlertTable._snapshot); a build that only knows version 1 would read them as damaged rows
# and forget what was sent, so it refuses the file instead.
SCHEMA_VERSIONS: dict[str, tuple[int, frozenset[int]]] = {
    "registry": (2, frozenset({1, 2})),
    "alerts": (2, frozenset({1, 2})),
}
META_TABLE = "_meta"
META_ID = "1"

# TinyDB's on-disk layout: table name -> document id (a decimal string) -> record.
Document = dict[str, dict[str, dict[str, Any]]]
# What a stored document's bytes are: (length, CRC-32). Two byte strings with the same
# fingerprint are taken to be the same bytes (storage.repo's verified stamps rely on it).
Fingerprint = tuple[int, int]

_DOC_ID_RE = re.compile(r"^-?\d+$")
_TEMP_RE = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")


def schema_version(kind: str) -> int:
    """The schema version this build writes for documents of ``kind``."""
    return SCHEMA_VERSIONS.get(kind, (SCHEMA_VERSION, frozenset()))[0]


def readable_versions(kind: str) -> frozenset[int]:
    """The schema versions this build reads for documents of ``kind`` (the written one and
    any older one it knows how to migrate)."""
    return SCHEMA_VERSIONS.get(kind, (SCHEMA_VERSION, frozenset({SCHEMA_VERSION})))[1]


def new_document(kind: str, **meta: Any) -> Document:
    """An empty document of ``kind`` with the current schema version and extra ``meta``."""
    return {META_TABLE: {META_ID: {"schema": schema_version(kind), "kind": kind, **meta}}}


# One thread for fingerprints taken beside a write's fsync (DocumentStorage.write). A
# forked child gets its own (the parent's thread does not exist there: a write would wait
# forever for it).
def _printer() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fingerprint")


_PRINTER = _printer()
# Bytes up to which a write takes its fingerprint itself (~0.1 ms at 256 KB), not on _PRINTER.
PRINT_INLINE = 256 * 1024


def _new_printer_after_fork() -> None:
    global _PRINTER
    _PRINTER = _printer()


os.register_at_fork(after_in_child=_new_printer_after_fork)


def fingerprint(data: bytes | Sequence[bytes]) -> Fingerprint:
    """``(len(data), crc32(data))``: ~0.5 ms per MB, so every ledger read and write can afford
    it. CRC-32 finds every burst error up to 32 bits and any other change but 1 in 2**32.
    ``data`` may be pieces (``FragmentSerializer``): the print of their concatenation, taken
    piece by piece (``crc32(piece, running)``), with no join."""
    if isinstance(data, bytes):
        return (len(data), zlib.crc32(data))
    size = crc = 0
    for piece in data:
        size += len(piece)
        crc = zlib.crc32(piece, crc)
    return (size, crc)


def document_meta(doc: Document) -> dict[str, Any]:
    """The ``_meta`` record of a document that passed ``parse_document``."""
    return doc[META_TABLE][META_ID]


# --------------------------------------------------------------------------- durable writes


@dataclass(frozen=True)
class FileOps:
    """The os calls a durable write makes. Injectable so a test can record their order (R2)
    or make one of them fail; production uses ``OS_FILE_OPS``."""

    open: Callable[[str, int, int], int] = os.open
    write: Callable[[int, bytes], int] = os.write
    writev: Callable[[int, Sequence[bytes | memoryview]], int] = os.writev
    fsync: Callable[[int], None] = os.fsync
    close: Callable[[int], None] = os.close
    replace: Callable[[str, str], None] = os.replace
    unlink: Callable[[str], None] = os.unlink


OS_FILE_OPS = FileOps()


def temp_name(path: Path) -> Path:
    """A fresh hidden temp file next to ``path`` (same directory, hence same file system, so
    ``os.replace`` is an atomic rename)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def is_temp_file(path: Path) -> bool:
    """True for a temp file ``atomic_write`` may have left behind when killed."""
    return bool(_TEMP_RE.match(path.name))


def fsync_dir(directory: Path, ops: FileOps = OS_FILE_OPS) -> None:
    """Make a rename or a new entry in ``directory`` durable."""
    fd = ops.open(str(directory), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, 0)
    try:
        ops.fsync(fd)
    finally:
        ops.close(fd)


# At most this many buffers per ``writev`` call (POSIX's IOV_MAX; Linux: 1024).
IOV_MAX = min(os.sysconf("SC_IOV_MAX"), 1024) if hasattr(os, "sysconf") else 16


def atomic_write(
    path: Path,
    data: bytes | Sequence[bytes],
    ops: FileOps = OS_FILE_OPS,
    *,
    mode: int = 0o600,
    before_replace: Callable[[], None] | None = None,
) -> FileIdentity:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves either the old
    file or the new one, and the new one is durable when this returns. ``data``: the bytes,
    or pieces to write one after another (with ``writev``, never joined into one object: a
    1.6 MB ledger's join was ~0.8 ms of its write). ``mode``: the new file's permissions
    (before the umask); data files are the owner's alone. Returns the new file's identity.
    ``before_replace``: called once the new bytes are durable in the temp file, just before
    the rename (the commit point); if it raises, the write is abandoned like any failure
    before the rename (the store's update marks use it, R18: see ``DocumentStorage.barrier``).

    Order (R2): create a temp file in the same directory, write all bytes, ``fsync`` it, close
    it, ``os.replace`` it over ``path``, ``fsync`` the directory. Raw descriptors are used, so
    there is no user-space buffer to flush before the ``fsync``. On failure before the rename
    the temp file is removed and ``path`` is untouched; a failure of the final directory
    ``fsync`` is raised although the rename has happened (the new file is in place but not
    known to be durable, so the write is not acknowledged).
    """
    tmp = temp_name(path)
    fd = ops.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            if isinstance(data, bytes):
                offset = 0
                while offset < len(data):
                    # os.write may write less than asked (signals, pipes); loop until all is out.
                    offset += ops.write(fd, data[offset:])
            else:
                _write_pieces(fd, data, ops)
            ops.fsync(fd)
            # The identity the file keeps through the rename (same inode, size and mtime).
            written = FileIdentity.of(os.fstat(fd))
        finally:
            ops.close(fd)
        if before_replace is not None:
            before_replace()
        ops.replace(str(tmp), str(path))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            ops.unlink(str(tmp))
        raise
    fsync_dir(path.parent, ops)
    return written


def _write_pieces(fd: int, pieces: Sequence[bytes], ops: FileOps) -> None:
    """Write ``pieces`` in order, ``IOV_MAX`` at a time, finishing any the kernel took only
    part of (``writev`` may write less than asked, like ``write``)."""
    todo: list[bytes | memoryview] = list(pieces)
    at = 0
    while at < len(todo):
        done = ops.writev(fd, todo[at : at + IOV_MAX])
        while at < len(todo) and done >= len(todo[at]):
            done -= len(todo[at])
            at += 1
        if done:
            todo[at] = memoryview(todo[at])[done:]


def write_output(path: Path, data: bytes) -> None:
    """Write a file handed to people (an exported 台账, a report) the way data files are
    written: a reader never sees half of it. Readable as the umask allows, like any file the
    operator makes. ``OSError`` as the system gives it."""
    atomic_write(path, data, mode=0o666)


def temp_files(directory: Path) -> list[Path]:
    """The temp files of ``atomic_write`` in ``directory`` (sorted; none if it is missing):
    left by a killed writer, or — seen by anyone but the lock's owner — a write in progress.
    Names only ``temp_name`` makes match (``.<name>.<pid>.<8 hex>.tmp``)."""
    try:
        with os.scandir(directory) as entries:
            found = [
                Path(e.path)
                for e in entries
                if is_temp_file(Path(e.name)) and e.is_file(follow_symlinks=False)
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found)


def remove_temp_files(directory: Path) -> list[Path]:
    """Delete temp files a killed writer left in ``directory``; return what was removed.

    Only for the owner of the directory lock: a running writer's temp file must not vanish.
    """
    removed: list[Path] = []
    for path in temp_files(directory):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


# --------------------------------------------------------------------------- parsing


class UnusableDocument(ValueError):
    """Why bytes are not a trustworthy document; the text completes "<file>: ..."."""


def check_shape(doc: Any) -> None:
    """Raise ``UnusableDocument`` unless ``doc`` has TinyDB's ``{table: {id: record}}`` shape
    with integer document ids."""
    if not isinstance(doc, dict):
        raise UnusableDocument(f"the top level is a JSON {type(doc).__name__}, not an object")
    for table, records in doc.items():
        if not isinstance(records, dict):
            raise UnusableDocument(f"table {table!r} is not an object")
        for doc_id, record in records.items():
            if not _DOC_ID_RE.match(doc_id):
                raise UnusableDocument(f"table {table!r} has a non-numeric id {doc_id!r}")
            if not isinstance(record, dict):
                raise UnusableDocument(f"record {table}/{doc_id} is not an object")


def check_meta(
    doc: Document, *, kind: str, expect: Mapping[str, Any] | None = None, writing: bool = False
) -> None:
    """Raise ``UnusableDocument`` unless ``doc`` is of ``kind``, carries a schema version this
    build reads (``writing``: exactly the version it writes) and its meta has every ``expect``
    value (e.g. the ledger's unit)."""
    meta = doc.get(META_TABLE, {}).get(META_ID)
    if meta is None:
        raise UnusableDocument("it has no schema version (no _meta table)")
    if meta.get("kind") != kind:
        raise UnusableDocument(f"it holds a {meta.get('kind')!r} document, expected {kind!r}")
    version = meta.get("schema")
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or version not in readable_versions(kind)
    ):
        known = sorted(readable_versions(kind))
        reads = f"version {known[0]}" if len(known) == 1 else f"versions {known[0]}–{known[-1]}"
        raise UnusableDocument(f"unknown schema version {version!r} (this build reads {reads})")
    if writing and version != schema_version(kind):
        raise UnusableDocument(
            f"schema version {version!r} is not the one this build writes ({schema_version(kind)})"
        )
    for key, value in (expect or {}).items():
        if meta.get(key) != value:
            raise UnusableDocument(f"its _meta {key} is {meta.get(key)!r}, expected {value!r}")


def parse_document(data: bytes, *, kind: str, expect: Mapping[str, Any] | None = None) -> Document:
    """Bytes of a file -> a validated document, or ``UnusableDocument`` saying what is wrong.

    Never returns an empty document for empty input: 0 bytes is damage, not "no data".
    """
    if not data:
        raise UnusableDocument("the file is empty (0 bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableDocument(f"it is not UTF-8 text (bad byte at offset {exc.start})") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableDocument(
            f"it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError:
        # No file this program writes nests deeper than a few levels (R34).
        raise UnusableDocument("its JSON is nested too deeply to be a data file") from None
    check_shape(doc)
    check_meta(doc, kind=kind, expect=expect)
    return doc


def serialize(doc: Document, *, compact: bool = False) -> bytes:
    """A document -> the bytes written to disk. ``allow_nan=False``: NaN is not JSON and would
    make the file unreadable to strict parsers. ``compact``: no space after ``,`` and ``:``
    (the alert snapshot: 300,000 small records, 6% smaller)."""
    separators = (",", ":") if compact else None
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=separators)
    return text.encode("utf-8")


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


# Records per chunk of a table's encoded bytes (``_Table``): a changed record costs the join
# of its chunk (~64 × a few hundred bytes), and a 7,000-record ledger is ~110 chunks, one
# ``writev`` call.
CHUNK = 64
_SEP = b", "


class _Table:
    """One table's encoded records: doc id -> (record, bytes), the ids in chunks of at most
    ``CHUNK`` in document order, and each chunk's fragments joined once (``b", "``)."""

    __slots__ = ("entries", "where", "chunks", "joined", "head")

    def __init__(self, head: bytes) -> None:
        self.head = head  # ``"<table>": {``
        self.entries: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.where: dict[str, int] = {}  # doc id -> chunk number
        self.chunks: list[list[str]] = []
        self.joined: list[bytes] = []

    def add(self, doc_id: str, entry: tuple[dict[str, Any], bytes]) -> int:
        """Append a new id at the end; returns its chunk number (to be re-joined)."""
        if not self.chunks or len(self.chunks[-1]) >= CHUNK:
            self.chunks.append([])
            self.joined.append(b"")
        self.chunks[-1].append(doc_id)
        number = len(self.chunks) - 1
        self.where[doc_id] = number
        self.entries[doc_id] = entry
        return number

    def join(self, number: int) -> None:
        entries = self.entries
        self.joined[number] = _SEP.join([entries[i][1] for i in self.chunks[number]])

    def pieces(self, out: list[bytes]) -> None:
        out.append(self.head)
        for n, joined in enumerate(self.joined):
            if n:
                out.append(_SEP)
            out.append(joined)
        out.append(b"}")


class FragmentSerializer:
    """Serialises documents written copy-on-write, re-encoding only the records that changed.

    Encoding a 3 MB ledger takes ~40 ms here, most of a write's budget (R20), while a
    transaction changes a handful of records. Under the copy-on-write contract a record object
    that was written once is never mutated, so its encoded bytes can be reused whenever the
    same object (``is``, not ``==``) appears again. Records seen for the first time are
    shape-checked as they are encoded.

    The output is a list of pieces whose concatenation is byte-identical to
    ``serialize(doc)``, never joined into one object: each table's records are held in
    chunks of ``CHUNK`` already joined, so a write of one changed item re-joins one chunk
    and hands ~200 pieces to ``writev`` (``atomic_write``) instead of copying 1.6 MB twice.

    The cache is updated in place as a document is encoded (copying it per write was ~0.4 ms
    of a 1,000-item ledger's): it then describes the last *encoded* document, which is only
    right once that write succeeded. So ``commit()`` says it did; an ``encode`` after an
    uncommitted one (the write failed or was never made) starts from an empty cache.
    """

    def __init__(self) -> None:
        self._tables: dict[str, _Table] = {}
        self._pending = False

    def encode(
        self, doc: Document, changed: Mapping[str, Sequence[str]] | None = None
    ) -> list[bytes]:
        """The pieces of ``doc``'s bytes; call ``commit`` once the write is durable (a
        failed write must not teach the cache anything).

        ``changed`` (table -> doc ids, in the order they were set in ``doc``) is the writer's
        word that in those tables only these records were added or replaced since the last
        committed write, every other record being the same object: such a table is then
        encoded without visiting its unchanged records (a 1,000-item ledger's write went from
        ~7 ms of encoding to well under one). A table whose ids do not add up is encoded the
        full way."""
        if self._pending:
            self._tables = {}
        self._pending = True
        if not isinstance(doc, dict):
            raise UnusableDocument("the document is not an object")
        tables: dict[str, _Table] = {}
        out: list[bytes] = [b"{"]
        for table, records in doc.items():
            if not isinstance(records, dict):
                raise UnusableDocument(f"table {table!r} is not an object")
            head = (_SEP if len(out) > 1 else b"") + _dump(table) + b": {"
            old = self._tables.get(table)
            hint = None if changed is None else changed.get(table)
            new = None
            if old is not None and hint is not None:
                old.head = head
                new = self._patched(table, records, old, hint)
            if new is None:
                new = self._full(table, records, head, old)
            tables[table] = new
            new.pieces(out)
        out.append(b"}")
        self._tables = tables
        return out

    def _patched(
        self, table: str, records: dict[str, dict[str, Any]], old: _Table, hint: Sequence[str]
    ) -> _Table | None:
        """``old`` with the ``hint`` records re-encoded (in place), or ``None`` when the ids
        show the hint does not describe ``records`` (then the full way is taken)."""
        if not old.entries and records and not hint:
            return None
        dirty: set[int] = set()
        for doc_id in hint:
            record = records.get(doc_id)
            if record is None:
                return None
            entry = self._entry(table, doc_id, record)
            number = old.where.get(doc_id)
            if number is None:
                dirty.add(old.add(doc_id, entry))
            else:
                old.entries[doc_id] = entry
                dirty.add(number)
        # Same ids (a C-level set comparison, no record visited): the hint adds up.
        if old.entries.keys() != records.keys():
            return None
        for number in dirty:
            old.join(number)
        return old

    def _full(
        self, table: str, records: dict[str, dict[str, Any]], head: bytes, old: _Table | None
    ) -> _Table:
        """Every record of ``table``, reusing the bytes of those ``old`` holds unchanged."""
        known = old.entries if old is not None else {}
        new = _Table(head)
        for doc_id, record in records.items():
            hit = known.get(doc_id)
            if hit is None or hit[0] is not record:
                hit = self._entry(table, doc_id, record)
            new.add(doc_id, hit)
        for number in range(len(new.chunks)):
            new.join(number)
        return new

    @staticmethod
    def _entry(table: str, doc_id: Any, record: Any) -> tuple[dict[str, Any], bytes]:
        if not isinstance(doc_id, str) or not _DOC_ID_RE.match(doc_id):
            raise UnusableDocument(f"table {table!r} has a non-numeric id {doc_id!r}")
        if not isinstance(record, dict):
            raise UnusableDocument(f"record {table}/{doc_id} is not an object")
        return (record, _dump(doc_id) + b": " + _dump(record))

    def commit(self) -> None:
        """The last encoded document was written: the cache describes the file."""
        self._pending = False

    def forget(self) -> None:
        self._tables = {}
        self._pending = False


# --------------------------------------------------------------------------- storages


class DocumentStorage(Storage):
    """What the file storage and its in-memory twin share: the write-through cache, the
    ``_meta`` stamp, read-only and closed states.

    ``kind`` names the document type (``"ledger"``, ``"registry"``, ``"alerts"``); ``expect``
    are meta values the document must carry (a ledger's ``unit``), also stamped into new
    documents.
    ``copy_on_write=True`` is a promise by the caller that no record object passed to
    ``write()`` or returned by ``read()`` is ever mutated; the storage then reuses the encoded
    bytes of records it has written before. Plain TinyDB Table use must leave it ``False``.
    """

    def __init__(
        self,
        *,
        kind: str,
        expect: Mapping[str, Any] | None = None,
        read_only: bool = False,
        copy_on_write: bool = False,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.copy_on_write = copy_on_write
        self._serializer = FragmentSerializer() if copy_on_write else None
        # Written without spaces between tokens (``serialize(compact=True)``); only for a
        # storage without copy-on-write, whose writes encode the whole document anyway.
        self.compact = False
        self.expect: dict[str, Any] = dict(expect or {})
        self.read_only = read_only
        # Called by every write just before its commit point (the rename), on the writing
        # thread; may block, and if it raises the write fails with nothing changed. The store
        # sets it to its update marks' ``sync`` (storage.marks, R18): no state change reaches
        # the disk before the marks of the updates that may have caused it are durable.
        self.barrier: Callable[[], None] | None = None
        # The cached document and the fingerprint of the bytes it was parsed from or written
        # as, one tuple so a lock-free reader never pairs a document with another's print.
        self._entry: tuple[Document, Fingerprint | None] | None = None
        # The fingerprint of the stored bytes as last loaded or written: kept when the cached
        # document is dropped (``forget``), so memos of derived data outlive the document.
        self._fingerprint: Fingerprint | None = None
        self._closed = False
        self._damage: CorruptFile | None = None
        # Serialises loading and writing; readers of an already cached document never wait.
        self._lock = threading.Lock()

    @property
    @abstractmethod
    def name(self) -> str:
        """What error messages call this storage (the file path, or ``memory:<kind>``)."""

    @abstractmethod
    def _load(self) -> tuple[Document, Fingerprint | None] | None:
        """Parse the stored document (and fingerprint its bytes); ``None`` when there is none
        yet."""

    @abstractmethod
    def _store(self, doc: Document, data: bytes | list[bytes]) -> None:
        """Make ``data`` (the serialised ``doc``, or its pieces) the stored state, durably."""

    def read(self) -> Document | None:
        """The current document, or ``None`` for a database that does not exist yet.

        Raises ``CorruptFile`` (every time, not just once) if the stored bytes are unusable.
        The returned document is shared: do not mutate it.
        """
        return self.state()[0]

    def state(self) -> tuple[Document | None, Fingerprint | None]:
        """``read()`` and the fingerprint of the bytes that document was parsed from or
        written as (``None`` when there is no document, or the storage has no bytes)."""
        entry = self._entry
        if entry is not None:
            return entry
        with self._lock:
            if self._damage is not None:
                raise self._damage
            if self._entry is None:
                loaded = self._load()
                if loaded is None:
                    return None, None
                self._entry = loaded
                self._fingerprint = loaded[1]
            return self._entry

    @property
    def fingerprint(self) -> Fingerprint | None:
        """The fingerprint of the stored bytes as last loaded or written by this storage,
        also after ``forget``; ``None`` before the first load or write."""
        return self._fingerprint

    @property
    def cached(self) -> bool:
        """Whether a parsed document is held in memory now."""
        return self._entry is not None

    def forget(self) -> bool:
        """Drop the cached document (and the serializer's encoded records) to free memory;
        the next read parses the stored bytes again. Only a storage that can read its
        document back does it (a file, not the in-memory twin); returns whether it did."""
        return False

    def write(self, data: Document, changed: Mapping[str, Sequence[str]] | None = None) -> None:
        """Make ``data`` the stored state; returns only when it is durable.

        Stamps ``_meta`` if ``data`` has none. Refuses (``ValueError``) a document this storage
        would not read back, and refuses to write over a file found damaged. After the call
        the storage owns ``data`` as its cache: do not mutate it. ``changed``: see
        ``FragmentSerializer.encode`` (only with ``copy_on_write``; ignored otherwise).
        """
        if self.read_only:
            raise ReadOnlyStore(f"{self.name} is open read-only")
        if self._closed:
            raise StoreClosed(f"{self.name} is closed")
        if META_TABLE not in data:
            data = {**new_document(self.kind, **self.expect), **data}
        with self._lock:
            if self._damage is not None:
                # Never overwrite a file that was found damaged (R3), even if asked to.
                raise self._damage
            try:
                check_meta(data, kind=self.kind, expect=self.expect, writing=True)
                payload: bytes | list[bytes]
                if self._serializer is None:
                    check_shape(data)
                    payload = serialize(data, compact=self.compact)
                else:
                    payload = self._serializer.encode(data, changed)
            except UnusableDocument as exc:
                raise ValueError(f"refusing to write {self.name}: {exc}") from exc
            # The fingerprint (a CRC over the bytes, ~0.5 ms per MB, the GIL released) of a
            # large file is taken on a helper thread while this one writes and waits for the
            # disk (fsync); a small one's costs less than waking that thread.
            size = len(payload) if isinstance(payload, bytes) else sum(map(len, payload))
            printing = _PRINTER.submit(fingerprint, payload) if size > PRINT_INLINE else None
            try:
                self._store(data, payload)
            except BaseException:
                # The cache may no longer match the disk (TinyDB may have mutated it, or the
                # rename happened but the directory fsync failed): re-read on next access.
                self._entry = None
                self._fingerprint = None
                if self._serializer is not None:
                    self._serializer.forget()
                raise
            printed = fingerprint(payload) if printing is None else printing.result()
            self._entry = (data, printed)
            self._fingerprint = printed
            if self._serializer is not None:
                self._serializer.commit()

    def close(self) -> None:
        """Refuse further writes; reads of the cached state keep working."""
        self._closed = True


class SafeJSONStorage(DocumentStorage):
    """A JSON file written atomically and durably (see the module docstring).

    ``quarantine_dir``: where a damaged file's copy goes; ``None`` (read-only openers) means no
    copy is made, so reading never writes anything. ``file_ops`` is the test seam for R2.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        kind: str,
        expect: Mapping[str, Any] | None = None,
        read_only: bool = False,
        copy_on_write: bool = False,
        quarantine_dir: Path | None = None,
        file_ops: FileOps = OS_FILE_OPS,
    ) -> None:
        super().__init__(
            kind=kind, expect=expect, read_only=read_only, copy_on_write=copy_on_write
        )
        self.path = Path(path)
        self.quarantine_dir = quarantine_dir
        self.file_ops = file_ops
        # What the file was when we last read or wrote it (R31): ``None`` = there was none.
        self._seen: FileIdentity | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    def forget(self) -> bool:
        with self._lock:
            self._entry = None
            if self._serializer is not None:
                self._serializer.forget()
        return True

    def _load(self) -> tuple[Document, Fingerprint | None] | None:
        try:
            with self.path.open("rb") as fh:
                self._seen = FileIdentity.of(os.fstat(fh.fileno()))
                data = fh.read()
        except FileNotFoundError:
            self._seen = None
            return None
        except OSError as exc:  # a directory in its place, mode 000, an I/O error (R34)
            raise UnreadableFile(self.path, exc) from None
        try:
            return parse_document(data, kind=self.kind, expect=self.expect), fingerprint(data)
        except UnusableDocument as exc:
            copy = None
            if self.quarantine_dir is not None and not self.read_only:
                copy = quarantine(self.path, data, self.quarantine_dir, self.file_ops)
            self._damage = CorruptFile(self.path, str(exc), quarantined=copy)
            raise self._damage from exc

    def _store(self, doc: Document, data: bytes | list[bytes]) -> None:
        """Refuse (``ChangedOnDisk``) when the file is not the one last read or written here:
        someone else wrote it, and writing our state over it would lose what they wrote (R31).
        The caller's ``write`` then drops the cache, so the next read takes the file as it is.
        """
        if not self.read_only:
            now = FileIdentity.at(self.path)
            if now != self._seen:
                raise ChangedOnDisk(self.path)
        self._seen = atomic_write(self.path, data, self.file_ops, before_replace=self.barrier)


@dataclass(frozen=True)
class FileIdentity:
    """Which version of a file is on disk: inode, size and modification time. Every durable
    write makes a new inode (``os.replace``), so an identity that changed means another
    writer."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns)

    @classmethod
    def at(cls, path: Path) -> FileIdentity | None:
        try:
            return cls.of(os.stat(path))
        except FileNotFoundError:
            return None


class MemoryDocumentStorage(DocumentStorage):
    """The in-memory twin: same contract, nothing on disk. Records reach it already
    normalised to JSON types by the repositories, so it behaves like a file read back."""

    def __init__(
        self,
        *,
        kind: str,
        expect: Mapping[str, Any] | None = None,
        read_only: bool = False,
        copy_on_write: bool = False,
    ) -> None:
        super().__init__(
            kind=kind, expect=expect, read_only=read_only, copy_on_write=copy_on_write
        )
        self.writes = 0  # how many writes reached the "disk"; tests count commits with it

    @property
    def name(self) -> str:
        return f"memory:{self.kind}" + "".join(f":{v}" for v in self.expect.values())

    def _load(self) -> tuple[Document, Fingerprint | None] | None:
        return None  # nothing stored yet (a stored document is always cached)

    def _store(self, doc: Document, data: bytes | list[bytes]) -> None:
        if self.barrier is not None:
            self.barrier()
        self.writes += 1


def quarantine(path: Path, data: bytes, quarantine_dir: Path, ops: FileOps = OS_FILE_OPS) -> Path:
    """Save ``data`` (the damaged bytes of ``path``) as ``<quarantine_dir>/<name>.<time>.<hash>``.

    ``<time>`` is the damaged file's modification time in UTC (when it was last written, which
    is as close to the damage as we can know, and needs no clock); ``<hash>`` is a prefix of
    the bytes' SHA-256. Opening the same damaged file again therefore finds its copy already
    there and adds nothing. The original is only read, never touched.
    """
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    digest = hashlib.sha256(data).hexdigest()[:12]
    target = quarantine_dir / f"{path.name}.{mtime:%Y%m%dT%H%M%SZ}.{digest}"
    if target.exists():
        return target
    created = not quarantine_dir.exists()
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    if created:
        fsync_dir(quarantine_dir.parent, ops)
    atomic_write(target, data, ops)
    return target
