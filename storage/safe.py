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
from operator import itemgetter
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
SCHEMA_VERSIONS: dict[str, tuple[int, frozenset[int]]] = {"registry": (2, frozenset({1, 2}))}
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


def _new_printer_after_fork() -> None:
    global _PRINTER
    _PRINTER = _printer()


os.register_at_fork(after_in_child=_new_printer_after_fork)


def fingerprint(data: bytes) -> Fingerprint:
    """``(len(data), crc32(data))``: ~0.5 ms per MB, so every ledger read and write can afford
    it. CRC-32 finds every burst error up to 32 bits and any other change but 1 in 2**32."""
    return (len(data), zlib.crc32(data))


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


def atomic_write(
    path: Path, data: bytes, ops: FileOps = OS_FILE_OPS, *, mode: int = 0o600
) -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves either the old
    file or the new one, and the new one is durable when this returns. ``mode``: the new
    file's permissions (before the umask); data files are the owner's alone.

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
            offset = 0
            while offset < len(data):
                # os.write may write less than asked (signals, pipes); loop until all is out.
                offset += ops.write(fd, data[offset:])
            ops.fsync(fd)
        finally:
            ops.close(fd)
        ops.replace(str(tmp), str(path))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            ops.unlink(str(tmp))
        raise
    fsync_dir(path.parent, ops)


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


_Fragments = dict[str, dict[str, tuple[dict[str, Any], bytes]]]


class FragmentSerializer:
    """Serialises documents written copy-on-write, re-encoding only the records that changed.

    Encoding a 3 MB ledger takes ~40 ms here, most of a write's budget (R20), while a
    transaction changes a handful of records. Under the copy-on-write contract a record object
    that was written once is never mutated, so its encoded bytes can be reused whenever the
    same object (``is``, not ``==``) appears again. The output is byte-identical to
    ``serialize(doc)``. Records seen for the first time are shape-checked as they are encoded.
    """

    def __init__(self) -> None:
        self._cache: _Fragments = {}

    def encode(
        self, doc: Document, changed: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[bytes, _Fragments]:
        """``(payload, fragments)``; pass ``fragments`` to ``commit`` once the write is
        durable (a failed write must not teach the cache anything).

        ``changed`` (table -> doc ids, in the order they were set in ``doc``) is the writer's
        word that in those tables only these records were added or replaced since the last
        committed write, every other record being the same object: such a table is then
        encoded without visiting its unchanged records (a 1,000-item ledger's write went from
        ~7 ms of encoding to well under one). A table whose ids do not add up is encoded the
        full way."""
        if not isinstance(doc, dict):
            raise UnusableDocument("the document is not an object")
        fragments: _Fragments = {}
        out: list[bytes] = [b"{"]
        for table, records in doc.items():
            if not isinstance(records, dict):
                raise UnusableDocument(f"table {table!r} is not an object")
            old = self._cache.get(table, {})
            hint = None if changed is None else changed.get(table)
            new = self._patched(table, records, old, hint) if hint is not None else None
            if new is None:
                new = {}
                for doc_id, record in records.items():
                    hit = old.get(doc_id)
                    new[doc_id] = (
                        hit
                        if hit is not None and hit[0] is record
                        else self._entry(table, doc_id, record)
                    )
            fragments[table] = new
            if len(out) > 1:
                out.append(b", ")
            out.append(_dump(table) + b": {")
            out.append(b", ".join(map(itemgetter(1), new.values())))
            out.append(b"}")
        out.append(b"}")
        return b"".join(out), fragments

    def _patched(
        self,
        table: str,
        records: dict[str, dict[str, Any]],
        old: dict[str, tuple[dict[str, Any], bytes]],
        hint: Sequence[str],
    ) -> dict[str, tuple[dict[str, Any], bytes]] | None:
        """The cached table with the ``hint`` records re-encoded, or ``None`` when the ids
        show the hint does not describe ``records`` (then the full way is taken)."""
        if not old and records and not hint:
            return None
        new = dict(old)
        for doc_id in hint:
            record = records.get(doc_id)
            if record is None:
                return None
            new[doc_id] = self._entry(table, doc_id, record)
        # Same ids (a C-level set comparison, no record visited): the hint adds up.
        return new if new.keys() == records.keys() else None

    @staticmethod
    def _entry(table: str, doc_id: Any, record: Any) -> tuple[dict[str, Any], bytes]:
        if not isinstance(doc_id, str) or not _DOC_ID_RE.match(doc_id):
            raise UnusableDocument(f"table {table!r} has a non-numeric id {doc_id!r}")
        if not isinstance(record, dict):
            raise UnusableDocument(f"record {table}/{doc_id} is not an object")
        return (record, _dump(doc_id) + b": " + _dump(record))

    def commit(self, fragments: _Fragments) -> None:
        self._cache = fragments

    def forget(self) -> None:
        self._cache = {}


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
    def _store(self, doc: Document, data: bytes) -> None:
        """Make ``data`` (the serialised ``doc``) the stored state, durably."""

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
                if self._serializer is None:
                    check_shape(data)
                    payload, fragments = serialize(data, compact=self.compact), None
                else:
                    payload, fragments = self._serializer.encode(data, changed)
            except UnusableDocument as exc:
                raise ValueError(f"refusing to write {self.name}: {exc}") from exc
            # The fingerprint (a CRC over the bytes, ~0.5 ms per MB, the GIL released) is
            # taken on a helper thread while this one waits for the disk (fsync).
            printing = _PRINTER.submit(fingerprint, payload)
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
            printed = printing.result()
            self._entry = (data, printed)
            self._fingerprint = printed
            if self._serializer is not None and fragments is not None:
                self._serializer.commit(fragments)

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

    def _store(self, doc: Document, data: bytes) -> None:
        """Refuse (``ChangedOnDisk``) when the file is not the one last read or written here:
        someone else wrote it, and writing our state over it would lose what they wrote (R31).
        The caller's ``write`` then drops the cache, so the next read takes the file as it is.
        """
        if not self.read_only:
            now = FileIdentity.at(self.path)
            if now != self._seen:
                raise ChangedOnDisk(self.path)
        atomic_write(self.path, data, self.file_ops)
        self._seen = FileIdentity.at(self.path)


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

    def _store(self, doc: Document, data: bytes) -> None:
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
