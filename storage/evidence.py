"""Local copies of evidence files (佐证材料), kept next to the ledgers (DESIGN §4, R25).

A copy lands at ``<data>/evidence/<UNIT>/<ITEM>/<sha256[:16]>_<safe name>`` — written
atomically like every ledger file (temp file in the same directory, write, ``fsync``,
``os.replace``, ``fsync`` of the directory, R2), so a crash leaves the old state or the whole
file, never a torn one; the temp file a killed download leaves in the item's folder is removed
at the next locked ``Store.open`` (and reported by ``check`` until then). Directories created
on the way are made durable in their parents.

Names come from users and are never trusted: :func:`safe_name` keeps one path component of
letters (CJK included), digits and a few punctuation marks, so ``../../etc/passwd`` or
``a\\b`` cannot leave the item's folder; unit and item ids must have their canonical shapes.
The content hash in the file name makes the same bytes under the same name land on the same
path (a repeated upload rewrites identical content) and different bytes never collide.

``StoredEvidence.path`` (relative to the data directory, ``/``-separated) is what
``ledger.model.Evidence.stored_path`` records. Blocking: call through ``Store.run``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ledger.model import ITEM_ID_RE, valid_unit_code
from storage.safe import OS_FILE_OPS, FileOps, atomic_write, fsync_dir

EVIDENCE_DIR = "evidence"
HASH_CHARS = 16  # of the sha256 in the file name: 64 bits tell different contents apart
MAX_NAME_CHARS = 80  # of the safe name (the hash prefix comes on top)
# File systems allow 255 *bytes* per name; a Chinese character is 3 in UTF-8. The stored name
# is ``<16 hex>_<safe name>`` and its temp file ``.<that>.<pid>.<8 hex>.tmp`` (≤ 24 more), so
# the safe name gets 255 - 17 - 24 = 214 bytes; 200 leaves room.
MAX_NAME_BYTES = 200
MAX_SHOWN_CHARS = 120  # of the name shown and recorded (Telegram allows 255 characters)
_UNSAFE = re.compile(r"[^\w.\-()（）]+")  # \w is Unicode: 会议记录 stays readable
_DOTS = re.compile(r"\.{2,}")
FALLBACK_NAME = "file"


@dataclass(frozen=True)
class StoredEvidence:
    """A saved copy: ``path`` relative to the data directory, the content's ``sha256`` (hex)
    and ``size``; ``created`` is False when an identical copy was already there."""

    path: str
    sha256: str
    size: int
    created: bool


def safe_name(name: str | None) -> str:
    """One harmless path component for a user-supplied file name.

    NFKC-folded; only the last component of any ``/`` or ``\\`` path is kept; runs of
    characters other than letters, digits, ``_ - . ( )`` and full-width brackets become ``_``;
    runs of dots collapse (no ``..``); leading dots, underscores and spaces go (no hidden
    files). At most :data:`MAX_NAME_CHARS` characters, keeping the extension when it is short.
    Never empty: :data:`FALLBACK_NAME` instead.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = text.replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _DOTS.sub(".", _UNSAFE.sub("_", text)).strip("._ ")
    return _cap(text, MAX_NAME_CHARS, MAX_NAME_BYTES) or FALLBACK_NAME


def shown_name(name: str | None) -> str:
    """The name of an evidence file as shown to users and recorded in the ledger: without
    control and format characters (a NUL, line breaks, and bidi controls such as U+202E that
    would show ``exe.pdf`` as ``fdp.exe``), at most :data:`MAX_SHOWN_CHARS` characters with
    the extension kept. ``""`` when nothing is left (the caller makes one up)."""
    text = "".join(ch for ch in name or "" if unicodedata.category(ch)[0] != "C").strip()
    return _cap(text, MAX_SHOWN_CHARS, 4 * MAX_SHOWN_CHARS)


def _cap(text: str, chars: int, size: int) -> str:
    """``text`` cut to ``chars`` characters and ``size`` UTF-8 bytes, keeping a short
    extension (≤ 10 characters) whole."""

    def fits(t: str) -> bool:
        return len(t) <= chars and len(t.encode("utf-8")) <= size

    if fits(text):
        return text
    stem, dot, ext = text.rpartition(".")
    tail = "." + ext if dot and stem and 0 < len(ext) <= 10 else ""
    head = stem if tail else text
    while head and not fits(head + tail):
        head = head[:-1]
    head = head.rstrip("._ ")
    return head + tail if head else tail.lstrip(".")


def relative_path(unit: str, item_id: str, sha256: str, name: str | None) -> str:
    """``evidence/<UNIT>/<ITEM>/<hash>_<safe name>``; ``ValueError`` for a malformed unit
    code, item id (or one of another unit) or hash."""
    if not valid_unit_code(unit):
        raise ValueError(f"bad unit code {unit!r}")
    match = ITEM_ID_RE.match(item_id)
    if match is None or match.group(1) != unit or match.group(0) != item_id:
        raise ValueError(f"bad item id {item_id!r} for unit {unit}")
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    return f"{EVIDENCE_DIR}/{unit}/{item_id}/{sha256[:HASH_CHARS]}_{safe_name(name)}"


def resolve(root: Path, relative: str) -> Path | None:
    """The absolute path of a stored copy, or ``None`` if ``relative`` does not point inside
    ``<root>/evidence`` (a damaged or hostile record is never followed elsewhere)."""
    parts = PurePosixPath(relative).parts
    if len(parts) != 4 or parts[0] != EVIDENCE_DIR or any(p in ("", ".", "..") for p in parts):
        return None
    base = (root / EVIDENCE_DIR).resolve()
    path = (root / Path(*parts)).resolve()
    return path if path.is_relative_to(base) and path != base else None


def save_evidence(
    root: Path,
    unit: str,
    item_id: str,
    name: str | None,
    data: bytes,
    ops: FileOps = OS_FILE_OPS,
) -> StoredEvidence:
    """Write ``data`` as the evidence copy of ``item_id`` under data directory ``root``,
    durably, and return where it went. An identical file already in place is left alone
    (``created=False``); anything else at that path is replaced atomically."""
    digest = hashlib.sha256(data).hexdigest()
    relative = relative_path(unit, item_id, digest, name)
    target = resolve(root, relative)
    if target is None:  # cannot happen for a path built above; refuse rather than guess
        raise ValueError(f"evidence path {relative!r} escapes {root}")
    if target.is_file() and target.stat().st_size == len(data) and _sha256(target) == digest:
        return StoredEvidence(relative, digest, len(data), created=False)
    _make_dirs(root, target.parent, ops)
    atomic_write(target, data, ops)
    return StoredEvidence(relative, digest, len(data), created=True)


def discard_evidence(root: Path, relative: str, ops: FileOps = OS_FILE_OPS) -> bool:
    """Remove a copy that no ledger record refers to (a refused or failed upload); returns
    whether a file was removed. Paths outside ``<root>/evidence`` are never touched."""
    target = resolve(root, relative)
    if target is None or not target.is_file():
        return False
    ops.unlink(str(target))
    fsync_dir(target.parent, ops)
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _make_dirs(root: Path, directory: Path, ops: FileOps) -> None:
    """Create ``directory`` (inside ``root``) and any missing parents, each made durable in
    its own parent, top-down."""
    missing: list[Path] = []
    current = directory
    while not current.is_dir():
        missing.append(current)
        if current == root or current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        fsync_dir(path.parent, ops)


__all__ = [
    "EVIDENCE_DIR",
    "HASH_CHARS",
    "MAX_NAME_CHARS",
    "StoredEvidence",
    "discard_evidence",
    "relative_path",
    "resolve",
    "safe_name",
    "shown_name",
    "save_evidence",
]
