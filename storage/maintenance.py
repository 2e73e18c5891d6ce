"""Read-only tools over a data directory: ``check`` (validate every file) and ``backup``
(a consistent snapshot, keeping the newest N). Both run while the bot is running: they take no
lock and never write into the data directory, and since every data file is replaced atomically
each file they read is one whole version of it. (Two files are not read at one instant, so a
snapshot can hold, say, a registry one write newer than a ledger; every file in it is whole.)

``registry.json`` is always read before ``alerts.json``: the bot writes ``alerts.json`` before
it rewrites a schema-1 registry as schema 2 (storage.repo moves the alert log out of the
registry that way) and never deletes it, so a schema-2 registry read first implies an
``alerts.json`` read next — never a snapshot or a check that lost the alert log to a race.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ledger.errors import InvalidValue
from ledger.model import (
    Role,
    event_from_dict,
    item_from_dict,
    make_item_id,
    person_from_dict,
    require_aware,
    split_item_id,
    unit_from_dict,
    valid_unit_code,
)
from storage.errors import CorruptFile, StorageError
from storage.journal import (
    ALERT_JOURNAL_KIND,
    ALERT_JOURNAL_READABLE,
    ALERT_JOURNAL_SCHEMA,
    Journal,
    alert_journal_keys,
)
from storage.layout import Layout
from storage.lock import DirLock
from storage.marks import KIND as MARKS_KIND
from storage.marks import SCHEMA as MARKS_SCHEMA
from storage.marks import UpdateMarks
from storage.records import alert_from_dict, alert_group_from_dict, invite_from_dict
from storage.safe import (
    Document,
    UnusableDocument,
    document_meta,
    fsync_dir,
    parse_document,
    schema_version,
    temp_files,
    temp_name,
)

MAX_LINES_PER_FILE = 20  # a file broken everywhere should not bury the others' lines
MAX_WARNING_LINES = 20  # stray temp files listed one by one; the rest are counted


# =========================================================================== check


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in one file (path relative to the data directory)."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found. ``text`` is the human report; ``ok`` is true when there is
    nothing wrong (a fresh, empty data directory is ok). ``warnings`` are things worth
    knowing that lose no data and do not make the report fail: temp files of an interrupted
    write (or of one in progress, as check runs beside the bot), which the bot removes when
    it next starts. ``str(report)`` is ``report.text``."""

    data_dir: Path
    files: int  # files examined: the registry and alert log (if present), every ledger file
    ledgers: int
    items: int
    events: int
    problems: tuple[Problem, ...]
    alert_log: bool = False  # alerts.json was examined
    alerts: int = 0  # alert records, in alerts.json or (not yet moved) in registry.json
    warnings: tuple[Problem, ...] = ()  # the first MAX_WARNING_LINES stray temp files
    temp_files: int = 0  # stray temp files in all
    # Ledger files of units the registry does not name: what the write order (ledger first,
    # then the registry) leaves while a unit is being created or after a kill in between. Not
    # damage: adding the unit again adopts the file.
    unregistered: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def text(self) -> str:
        """One line per problem, then one ``warning: <file>: …`` line per warning, then a
        summary line; with neither, a single plain line.

        Examples: ``all 5 files OK (1 registry, 1 alert log, 3 ledgers, 1,204 items, 6,020
        events, 310 alert records)``; ``all 2 files OK (registry and alert log only; no ledgers
        yet)``; ``no ledgers yet: data holds no registry and no ledger files``.
        """
        lines = [str(p) for p in self.problems]
        lines += [f"warning: {w}" for w in self.unregistered]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.temp_files > len(self.warnings):
            more = self.temp_files - len(self.warnings)
            lines.append(f"warning: … and {_count(more, 'more temp file')}")
        lines.append(self._summary())
        return "\n".join(lines)

    def _summary(self) -> str:
        if self.problems:
            bad = len({p.file for p in self.problems})
            n = len(self.problems)
            return (
                f"{n} problem{'s' if n != 1 else ''} in {bad} of {max(self.files, bad)} "
                f"file{'s' if max(self.files, bad) != 1 else ''}"
            )
        if self.files == 0:
            return f"no ledgers yet: {self.data_dir} holds no registry and no ledger files"
        registry = self.files - self.ledgers - self.alert_log > 0
        if self.ledgers == 0:
            names = [
                n for n, there in (("registry", registry), ("alert log", self.alert_log)) if there
            ]
            return (
                f"all {_count(self.files, 'file')} OK ({' and '.join(names)} only; no ledgers yet)"
            )
        parts = [
            *(["1 registry"] if registry else []),
            *(["1 alert log"] if self.alert_log else []),
            _count(self.ledgers, "ledger"),
            _count(self.items, "item"),
            _count(self.events, "event"),
            _count(self.alerts, "alert record"),
        ]
        return f"all {_count(self.files, 'file')} OK ({', '.join(parts)})"

    def __str__(self) -> str:
        return self.text


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class _Findings:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._per_file: dict[str, int] = {}

    def add(self, file: str, message: str) -> None:
        seen = self._per_file.get(file, 0) + 1
        self._per_file[file] = seen
        if seen <= MAX_LINES_PER_FILE:
            self.problems.append(Problem(file, message))
        elif seen == MAX_LINES_PER_FILE + 1:
            self.problems.append(Problem(file, "… more problems not listed"))


def check(data_dir: str | os.PathLike[str]) -> CheckReport:
    """Validate every file of a data directory without writing anything.

    Checks that each file parses, has this build's schema version and the right kind, that
    every record decodes, that item ids match their ledger's unit and document number and stay
    below the stored next number, that every event belongs to an item of its ledger and each
    item's events are numbered 1..n, that registry and alert-log keys are unique, and that the
    files agree: every registered unit has a ledger file and vice versa, and a schema-2
    registry has its ``alerts.json`` (a schema-1 registry still holding the alert log is not a
    problem: the bot moves it at its next start). A missing or empty data directory is not a
    problem: the report says there are no ledgers yet. Temp files of durable writes in any of
    the data's write folders (``Layout.write_dirs``, evidence folders included) are warnings,
    and so is a ledger file of a unit the registry does not name: a unit is created ledger
    first, registry second, so that is a creation in progress (a check beside an import) or
    one cut short by a kill — never damage (``CheckReport.unregistered``).
    """
    layout = Layout(Path(data_dir))
    found = _Findings()
    files = ledgers = items = events = alerts = 0
    units: set[str] | None = None
    registry: Document | None = None
    if layout.registry.is_file():  # before alerts.json: see the module docstring
        files += 1
        units, registry = _check_registry(layout, found)
        if registry is not None:
            alerts = len(registry.get("alerts", {}))
    alert_log = layout.alerts.is_file()
    if alert_log:
        files += 1
        alerts = _check_alert_log(layout, found)
    elif (
        registry is not None
        and document_meta(registry).get("schema") == schema_version("registry")
        and "alerts" not in registry
    ):
        found.add("alerts.json", "missing, but registry.json keeps the alert log there")
    if layout.updates.is_file():
        files += 1
        _check_update_marks(layout, found)
    ledger_files = layout.ledger_files()
    unregistered: list[Problem] = []
    if not layout.registry.is_file() and ledger_files:
        found.add(
            "registry.json",
            f"missing, but ledgers/ holds {_count(len(ledger_files), 'ledger file')}",
        )
    for code, path in ledger_files.items():
        files += 1
        ledgers += 1
        counts = _check_ledger(layout, code, path, found)
        items += counts[0]
        events += counts[1]
        if units is not None and code not in units:
            unregistered.append(
                Problem(
                    _rel(layout, path),
                    f"unit {code} is not registered (yet): a unit being created, or one whose "
                    "creation was interrupted; adding the unit again adopts this file",
                )
            )
    for code in sorted(units or ()):
        if code not in ledger_files:
            found.add(f"ledgers/{code}.json", f"missing, but unit {code} is registered")
    if layout.ledgers_dir.is_dir():
        for stray in sorted(layout.ledgers_dir.glob("*.json")):
            if not valid_unit_code(stray.stem):
                found.add(_rel(layout, stray), "not a ledger name (unit codes look like HZ)")
    strays = [path for directory in layout.write_dirs() for path in temp_files(directory)]
    return CheckReport(
        layout.root,
        files,
        ledgers,
        items,
        events,
        tuple(found.problems),
        alert_log=alert_log,
        alerts=alerts,
        warnings=tuple(_temp_warning(layout, path) for path in strays[:MAX_WARNING_LINES]),
        temp_files=len(strays),
        unregistered=tuple(unregistered),
    )


def _check_update_marks(layout: Layout, found: _Findings) -> None:
    """``updates.jsonl`` parses (a torn last line is not a problem: the bot cuts it)."""
    try:
        UpdateMarks(
            Journal(layout.updates, kind=MARKS_KIND, schema=MARKS_SCHEMA, read_only=True)
        ).load()
    except CorruptFile as exc:
        found.add(_rel(layout, layout.updates), exc.reason)


def _temp_warning(layout: Layout, path: Path) -> Problem:
    """Not a problem: the data files themselves are whole either way (R1)."""
    return Problem(
        _rel(layout, path),
        "temp file of an interrupted write (or of one in progress); "
        "the bot removes it when it next starts",
    )


def _rel(layout: Layout, path: Path) -> str:
    return path.relative_to(layout.root).as_posix()


def _read(
    layout: Layout, path: Path, found: _Findings, kind: str, **expect: Any
) -> Document | None:
    try:
        return parse_document(path.read_bytes(), kind=kind, expect=expect)
    except (OSError, UnusableDocument) as exc:
        found.add(_rel(layout, path), str(exc))
        return None


def _decodes(
    file: str, found: _Findings, what: str, decode: Callable[[dict[str, Any]], Any], raw: Any
) -> Any:
    try:
        return decode(raw)
    except Exception as exc:  # any failure to decode is the finding itself
        found.add(file, f"{what} does not decode ({exc!r})")
        return None


def _check_registry(layout: Layout, found: _Findings) -> tuple[set[str] | None, Document | None]:
    """Validate registry.json; return the registered unit codes and the document (both
    ``None`` if unreadable)."""
    file = "registry.json"
    doc = _read(layout, layout.registry, found, "registry")
    if doc is None:
        return None, None
    units: set[str] = set()
    for doc_id, raw in doc.get("units", {}).items():
        unit = _decodes(file, found, f"unit record {doc_id}", unit_from_dict, raw)
        if unit is None:
            continue
        if unit.code in units:
            found.add(file, f"unit {unit.code} is registered twice")
        units.add(unit.code)
    for doc_id, raw in doc.get("people", {}).items():
        person = _decodes(file, found, f"person record {doc_id}", person_from_dict, raw)
        if person is None:
            continue
        if str(person.user_id) != doc_id:
            found.add(file, f"person {person.user_id} is stored as record {doc_id}")
        if person.unit is not None and person.unit not in units:
            found.add(file, f"person {person.user_id} belongs to unknown unit {person.unit}")
    hashes: set[str] = set()
    for doc_id, raw in doc.get("invites", {}).items():
        invite = _decodes(file, found, f"invite record {doc_id}", invite_from_dict, raw)
        if invite is None:
            continue
        if invite.code_hash in hashes:
            found.add(file, f"invite record {doc_id} repeats another invite's code")
        hashes.add(invite.code_hash)
        if invite.role is not Role.INSPECTOR and invite.unit not in units:
            found.add(file, f"invite record {doc_id} is for unknown unit {invite.unit}")
    _check_alert_records(file, doc, found)  # a schema-1 registry's alert log, not moved yet
    meta_keys: set[str] = set()
    for doc_id, raw in doc.get("meta", {}).items():
        key = raw.get("key")
        if not isinstance(key, str) or "value" not in raw:
            found.add(file, f"meta record {doc_id} has no key/value")
        elif key in meta_keys:
            found.add(file, f"meta key {key!r} appears twice")
        else:
            meta_keys.add(key)
    return units, doc


def _check_alert_log(layout: Layout, found: _Findings) -> int:
    """Validate alerts.json and its journal alerts.jsonl; return how many alert records the
    log holds (0 if unreadable)."""
    doc = _read(layout, layout.alerts, found, "alerts")
    count = 0 if doc is None else _check_alert_records("alerts.json", doc, found)
    if doc is None or not layout.alerts_journal.is_file():
        return count
    journal = Journal(
        layout.alerts_journal,
        kind=ALERT_JOURNAL_KIND,
        schema=ALERT_JOURNAL_SCHEMA,
        readable=ALERT_JOURNAL_READABLE,
        read_only=True,
    )
    try:
        entries = journal.load() or []
    except CorruptFile as exc:
        found.add(_rel(layout, layout.alerts_journal), exc.reason)
        return count
    if journal.header.get("base") != document_meta(doc).get("generation", 0):
        return count  # already folded into alerts.json (the bot replaces it at its start)
    known = {k for r in doc.get("alerts", {}).values() for k in _row_keys(r)}
    for number, entry in enumerate(entries, start=2):
        keys = alert_journal_keys(entry)
        if keys is None:
            found.add(_rel(layout, layout.alerts_journal), f"line {number} is not an alert record")
            continue
        for key in keys:
            if key not in known:
                known.add(key)
                count += 1
    return count


def _check_alert_records(file: str, doc: Document, found: _Findings) -> int:
    """Every row of ``doc``'s ``alerts`` table decodes — a record, or a group of records
    (alerts schema 2: ``keys`` with one state and data) — and no key appears twice; returns
    the number of records."""
    keys: set[str] = set()
    count = 0
    for doc_id, raw in doc.get("alerts", {}).items():
        if isinstance(raw, dict) and "keys" in raw:
            group = raw["keys"]
            count += len(group) if isinstance(group, list) else 1
            what = f"alert group {doc_id}"
            alerts = _decodes(file, found, what, alert_group_from_dict, raw) or []
        else:
            count += 1
            alert = _decodes(file, found, f"alert record {doc_id}", alert_from_dict, raw)
            alerts = [] if alert is None else [alert]
        for alert in alerts:
            if alert.key in keys:
                found.add(file, f"alert key {alert.key!r} appears twice")
            keys.add(alert.key)
    return count


def _row_keys(raw: Any) -> list[Any]:
    """The keys a row of the alert snapshot names (a record's one, a group's many)."""
    if not isinstance(raw, dict):
        return []
    group = raw.get("keys")
    return list(group) if isinstance(group, list) else [raw.get("key")]


def _check_ledger(layout: Layout, unit: str, path: Path, found: _Findings) -> tuple[int, int]:
    """Validate one ledger file; return (items, events) counted."""
    file = _rel(layout, path)
    doc = _read(layout, path, found, "ledger", unit=unit)
    if doc is None:
        return 0, 0
    next_seq = document_meta(doc).get("next_seq")
    if not isinstance(next_seq, int) or isinstance(next_seq, bool) or next_seq < 1:
        found.add(file, f"_meta next_seq is {next_seq!r}, expected a number ≥ 1")
        next_seq = None
    item_ids: set[str] = set()
    raw_items = doc.get("items", {})
    for doc_id, raw in raw_items.items():
        # Known ids: the record's own and the one its number implies, so that one damaged
        # item record is one line, not one more for each of its events.
        item_ids.add(make_item_id(unit, int(doc_id)))
        if isinstance(raw.get("id"), str):
            item_ids.add(raw["id"])
        item = _decodes(file, found, f"item record {doc_id}", item_from_dict, raw)
        if item is None:
            continue
        try:
            id_unit, seq = split_item_id(item.id)
        except InvalidValue:
            found.add(file, f"item record {doc_id} has a malformed id {item.id!r}")
            continue
        if id_unit != unit or item.unit != unit:
            found.add(file, f"item {item.id} (unit {item.unit}) does not belong to unit {unit}")
        if str(seq) != doc_id:
            found.add(file, f"item {item.id} is stored as record {doc_id}")
        if next_seq is not None and seq >= next_seq:
            found.add(
                file, f"item {item.id} is not below the next number {next_seq} (ids could repeat)"
            )
    numbers: dict[str, list[int]] = {}
    raw_events = doc.get("events", {})
    for doc_id, raw in raw_events.items():
        event = _decodes(file, found, f"event record {doc_id}", event_from_dict, raw)
        if event is None:
            continue
        if event.item_id not in item_ids:
            found.add(file, f"event record {doc_id} is for {event.item_id}, not in this ledger")
            continue
        numbers.setdefault(event.item_id, []).append(event.seq)
    for item_id, seqs in sorted(numbers.items()):
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            found.add(
                file,
                f"{item_id} events are numbered {sorted(seqs)}, expected 1..{len(seqs)}",
            )
    return len(raw_items), len(raw_events)


# =========================================================================== backup

BACKUP_PREFIX = "backup-"
BACKUP_SUFFIX = ".tar.gz"
# A snapshot whose data failed ``check`` carries it in its name, so rotation (and an operator
# choosing what to restore) can tell it from a good one without opening it.
DAMAGED_MARK = ".damaged"
_BACKUP_RE = re.compile(r"^backup-(\d{8}T\d{6}Z)(?:-(\d+))?(\.damaged)?\.tar\.gz$")
_BACKUP_TEMP_RE = re.compile(r"^\.backup-.+\.tar\.gz\.(\d+)\.[0-9a-f]{8}\.tmp$")


def is_damaged_snapshot(path: Path) -> bool:
    """True for a snapshot ``backup`` took of data that failed ``check`` (see its name)."""
    m = _BACKUP_RE.match(path.name)
    return bool(m and m.group(3))


def list_backups(dest_dir: str | os.PathLike[str]) -> list[Path]:
    """Backups made by ``backup`` in ``dest_dir``, oldest first (by the time in their name);
    damaged ones (``is_damaged_snapshot``) included."""
    dest = Path(dest_dir)
    if not dest.is_dir():
        return []
    found: list[tuple[str, int, Path]] = []
    for entry in dest.iterdir():
        m = _BACKUP_RE.match(entry.name)
        if m and entry.is_file():
            found.append((m.group(1), int(m.group(2) or 0), entry))
    return [p for _, _, p in sorted(found)]


def backup(
    data_dir: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    keep: int,
    *,
    now: datetime,
) -> Path:
    """Write a verified snapshot of the data directory; keep the newest ``keep`` and the
    newest good one (R30).

    The snapshot is ``<dest_dir>/backup-<now, UTC, YYYYmmddTHHMMSSZ>.tar.gz`` (``-1``, ``-2``…
    appended if that name is taken), holding ``registry.json``, ``alerts.json``, the ledgers,
    the ``evidence/`` tree if any, and ``MANIFEST.json`` (time, size and SHA-256 of each file).
    Paths inside are relative to the data directory, so extracting it into an empty directory
    gives a data directory back (``restore`` does that, checked).

    Taken under the write discipline: the registry is read first and exactly the ledgers it
    registers are taken after it. The bot writes a new unit's ledger before registering it, so
    every unit the snapshot's registry names has its ledger in the snapshot, even while units
    are being created (a ledger written after the registry was read belongs to a unit this
    snapshot does not know yet, and is left out). Each file is read through one open
    descriptor: files are replaced atomically, so each is one whole version.

    Verified before it counts: the written archive is read back, every file compared with the
    manifest, and ``check`` run on its data files in a scratch directory. A snapshot of data
    that fails is kept but named ``backup-<time>.damaged.tar.gz`` (``is_damaged_snapshot``) —
    the caller says so — and rotation never removes the newest good snapshot for it: the newest
    ``keep`` snapshots are kept, plus the newest good one if it is older than those.

    Written under a temp name, fsynced and renamed, so a backup that exists is complete.
    ``now`` must be timezone-aware; ``keep`` ≥ 1. The snapshot just written is always kept.
    Temp files of killed backups are removed. Nothing in ``data_dir`` is written;
    ``dest_dir`` may lie inside it (the default ``<data>/backups``) — it is not part of the
    snapshot. Raises ``FileNotFoundError`` if ``data_dir`` does not exist.
    """
    require_aware(now, "now")
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    layout = Layout(Path(data_dir))
    if not layout.root.is_dir():
        raise FileNotFoundError(f"no data directory at {layout.root}")
    dest = Path(dest_dir)
    if not dest.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        fsync_dir(dest.parent)
    stem = f"{BACKUP_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    tmp = temp_name(dest / f"{stem}{BACKUP_SUFFIX}")
    try:
        with tmp.open("xb") as raw:
            _write_snapshot(raw, layout, now)
            raw.flush()
            os.fsync(raw.fileno())
        report = verify_snapshot(tmp)
        target = _free_name(dest, stem, damaged=not report.ok)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(dest)
    _prune(dest, keep, target)
    return target


class SnapshotUnusable(StorageError):
    """A snapshot cannot be read back whole (not a backup archive, a file differing from its
    manifest)."""


def verify_snapshot(archive: str | os.PathLike[str]) -> CheckReport:
    """Read ``archive`` back and ``check`` its data, touching nothing else.

    Every member must match the manifest's size and SHA-256 (else ``SnapshotUnusable``); the
    data files (not evidence) are extracted into a scratch directory next to the archive,
    checked read-only there, and removed. Returns the check report (paths relative to it).
    """
    path = Path(archive)
    try:
        with (
            tarfile.open(path, "r:gz") as tar,
            tempfile.TemporaryDirectory(prefix=".verify-", dir=path.parent) as scratch,
        ):
            _extract_checked(tar, Path(scratch), data_only=True)
            return check(scratch)
    except (tarfile.TarError, EOFError, zlib.error, json.JSONDecodeError, KeyError) as exc:
        raise SnapshotUnusable(f"{path}: not a readable backup ({exc})") from None


def _extract_checked(tar: tarfile.TarFile, into: Path, *, data_only: bool) -> None:
    """Extract the members the manifest lists into ``into`` (evidence too unless
    ``data_only``), verifying each against it."""
    member = tar.extractfile("MANIFEST.json")
    if member is None:
        raise KeyError("MANIFEST.json")
    manifest = json.loads(member.read())
    files: dict[str, dict[str, Any]] = manifest["files"]
    for name, facts in files.items():
        if data_only and not name.endswith((".json", ".jsonl")):
            continue
        if name.startswith("/") or ".." in Path(name).parts:
            raise SnapshotUnusable(f"{name}: not a path inside a data directory")
        source = tar.extractfile(name)
        if source is None:
            raise KeyError(name)
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with target.open("xb") as out:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != facts.get("size") or digest.hexdigest() != facts.get("sha256"):
            raise SnapshotUnusable(f"{name}: differs from the snapshot's manifest")


def _free_name(dest: Path, stem: str, *, damaged: bool = False) -> Path:
    """The first free ``stem``, ``stem-1``… (free: taken neither good nor damaged)."""
    mark = DAMAGED_MARK if damaged else ""
    n = 0
    while True:
        base = stem if n == 0 else f"{stem}-{n}"
        taken = (dest / f"{base}{m}{BACKUP_SUFFIX}" for m in ("", DAMAGED_MARK))
        if not any(p.exists() for p in taken):
            return dest / f"{base}{mark}{BACKUP_SUFFIX}"
        n += 1


def _registered_ledgers(layout: Layout, registry: bytes | None) -> list[Path]:
    """The ledger files the registry read for this snapshot names; every ledger file if it
    cannot be read (the snapshot is then marked damaged anyway, and holds all there is)."""
    if registry is None:
        return list(layout.ledger_files().values())
    try:
        doc = parse_document(registry, kind="registry")
        codes = sorted({str(raw.get("code")) for raw in doc.get("units", {}).values()})
    except (UnusableDocument, RecursionError, AttributeError):
        return list(layout.ledger_files().values())
    return [layout.ledger(code) for code in codes if valid_unit_code(code)]


def _snapshot_files(layout: Layout, registry: bytes | None) -> list[Path]:
    # Read in this order, the alert log after the registry (see the module docstring), then
    # the ledgers that registry names; a file that does not exist when its turn comes is
    # skipped then (the check of the snapshot then says what is missing).
    # The alert journal before alerts.json: a compaction in between leaves a journal whose
    # base is not the snapshot's generation, which is ignored — the newer alerts.json holds it.
    files = [layout.alerts_journal, layout.alerts]
    files.extend(_registered_ledgers(layout, registry))
    if layout.evidence_dir.is_dir():
        files.extend(
            p
            for p in sorted(layout.evidence_dir.rglob("*"))
            if p.is_file() and not p.is_symlink() and not p.name.endswith(".tmp")
        )
    return files


class _Hashing(io.RawIOBase):
    """A raw reader that hashes what passes through it (tarfile reads the member from it),
    and ends at ``limit`` bytes: the size the member is stored with. A journal appended to
    while it is copied grows past that size, and a buffered read ahead of tarfile would hash
    bytes the member does not hold (the manifest would then not match the snapshot)."""

    def __init__(self, source: io.BufferedReader, limit: int) -> None:
        self.source = source
        self.left = limit
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self.left]
        n = self.source.readinto(view) if len(view) else 0
        self.left -= n
        self.sha256.update(view[:n])
        return n


def _write_snapshot(raw: IO[bytes], layout: Layout, now: datetime) -> None:
    manifest: dict[str, Any] = {"created_at": now.isoformat(), "files": {}}
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        # The registry first, read once: what it registers decides which ledgers are taken.
        try:
            registry: bytes | None = layout.registry.read_bytes()
        except FileNotFoundError:
            registry = None
        if registry is not None:
            info = tarfile.TarInfo("registry.json")
            st = layout.registry.stat()
            info.size, info.mtime, info.mode = len(registry), int(st.st_mtime), 0o600
            tar.addfile(info, io.BytesIO(registry))
            manifest["files"]["registry.json"] = {
                "size": len(registry),
                "sha256": hashlib.sha256(registry).hexdigest(),
            }
        for path in _snapshot_files(layout, registry):
            name = _rel(layout, path)
            try:
                source = path.open("rb")
            except FileNotFoundError:
                # No registry or alert log (yet), or an evidence temp file renamed away.
                continue
            with source:
                info = tarfile.TarInfo(name)
                st = os.fstat(source.fileno())
                info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
                hashing = _Hashing(source, st.st_size)
                tar.addfile(info, io.BufferedReader(hashing))
            manifest["files"][name] = {"size": st.st_size, "sha256": hashing.sha256.hexdigest()}
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        info = tarfile.TarInfo("MANIFEST.json")
        info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
        tar.addfile(info, io.BytesIO(data))


def _prune(dest: Path, keep: int, just_written: Path) -> None:
    """Keep the newest ``keep`` snapshots (the one just written always among them) and the
    newest good one, wherever it is in that order; remove the rest."""
    ordered = list_backups(dest)
    backups = [p for p in ordered if p != just_written]
    keepers = {just_written, *backups[max(0, len(backups) - (keep - 1)) :]}
    # The one just written is the newest in fact (even with a clock moved back); if it is
    # damaged, the newest good one by name stays too.
    good = [p for p in ordered if not is_damaged_snapshot(p)]
    if is_damaged_snapshot(just_written) and good:
        keepers.add(good[-1])
    for old in backups:
        if old in keepers:
            continue
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    for entry in dest.iterdir():
        m = _BACKUP_TEMP_RE.match(entry.name)
        if m and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# =========================================================================== restore


class RestoreRefused(StorageError):
    """``restore`` will not put this snapshot back (damaged, unreadable, or not a backup)."""


@dataclass(frozen=True)
class Restored:
    """What ``restore`` did: the snapshot put back, where the replaced files were moved (kept
    until the operator deletes them) and the check of the restored directory."""

    snapshot: Path
    replaced: Path | None
    report: CheckReport


# The parts of a data directory a snapshot holds, swapped in this order: the registry last,
# so an interrupted restore never leaves a registry naming ledgers that are not there yet.
_RESTORED = ("evidence", "ledgers", "alerts.jsonl", "alerts.json", "registry.json")


def restore(
    snapshot: str | os.PathLike[str], data_dir: str | os.PathLike[str], *, now: datetime
) -> Restored:
    """Put a snapshot back as the data directory, checked before and after (R30).

    Refuses (``RestoreRefused``) a snapshot that cannot be read whole or whose data fails
    ``check``, and (``DataDirInUse``) while the bot or an import holds the data directory:
    the lock is taken for the whole swap. The snapshot is extracted and verified inside the
    data directory first (same file system), then the current registry, alert log, ledgers
    and evidence are moved into ``replaced-<now>/`` in the data directory — nothing is
    deleted — and the snapshot's files renamed into place, the registry last. ``backups/``,
    ``quarantine/`` and the lock are left as they are.
    """
    require_aware(now, "now")
    archive = Path(snapshot)
    if not archive.is_file():
        raise RestoreRefused(f"{archive}: no such snapshot")
    layout = Layout(Path(data_dir))
    if not layout.root.is_dir():
        layout.root.mkdir(parents=True)
    dir_lock = DirLock(layout.root)
    dir_lock.acquire()
    try:
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=layout.root) as scratch:
            staged = Path(scratch)
            try:
                with tarfile.open(archive, "r:gz") as tar:
                    _extract_checked(tar, staged, data_only=False)
            except (tarfile.TarError, EOFError, zlib.error, json.JSONDecodeError, KeyError) as exc:
                raise RestoreRefused(f"{archive}: not a readable backup ({exc})") from None
            except SnapshotUnusable as exc:
                raise RestoreRefused(str(exc)) from None
            before = check(staged)
            if not before.ok:
                first = before.problems[0]
                raise RestoreRefused(
                    f"{archive.name}: its data fails check ({len(before.problems)} "
                    f"problem(s), first: {first}); not restored"
                )
            replaced = layout.root / f"replaced-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            moved_any = False
            for name in _RESTORED:
                current = layout.root / name
                if current.exists():
                    replaced.mkdir(exist_ok=True)
                    os.replace(current, replaced / name)
                    moved_any = True
            for name in _RESTORED:
                incoming = staged / name
                if incoming.exists():
                    os.replace(incoming, layout.root / name)
            fsync_dir(layout.root)
    finally:
        dir_lock.release()
    return Restored(archive, replaced if moved_any else None, check(layout.root))


__all__ = [
    "CheckReport",
    "Problem",
    "RestoreRefused",
    "Restored",
    "SnapshotUnusable",
    "backup",
    "check",
    "is_damaged_snapshot",
    "list_backups",
    "restore",
    "verify_snapshot",
]
