"""storage/evidence.py: names that cannot escape the item's folder, the durable write (R2's call
order), identical content landing once, and paths from records never followed elsewhere."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.evidence import (
    FALLBACK_NAME,
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    discard_evidence,
    relative_path,
    resolve,
    safe_name,
    save_evidence,
)
from storage.safe import is_temp_file
from tests.storage.storage_helpers import Recorder

SHA = "ab" * 32


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.mark.parametrize(
    ("given_name", "safe"),
    [
        ("会议记录.pdf", "会议记录.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/absolute/path.doc", "path.doc"),
        ("..", FALLBACK_NAME),
        ("", FALLBACK_NAME),
        (None, FALLBACK_NAME),
        (".hidden", "hidden"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("整改 报告 (终稿).docx", "整改_报告_(终稿).docx"),
        ("ＡＢＣ１２３.PDF", "ABC123.PDF"),
        ("x...pdf", "x.pdf"),
        ("<script>&.txt", "script_.txt"),
        ("a|b:c*d?.zip", "a_b_c_d_.zip"),
    ],
)
def test_safe_names(given_name: str | None, safe: str) -> None:
    assert safe_name(given_name) == safe


def test_long_names_keep_their_extension() -> None:
    name = safe_name("长" * 200 + ".pdf")
    # Capped by bytes (a Chinese character is 3), so the stored name fits the file system.
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".pdf")
    assert len(name.encode("utf-8")) > MAX_NAME_BYTES - 4
    assert len(safe_name("x" * 500)) == MAX_NAME_CHARS


@given(st.text(max_size=300))
def test_any_name_is_one_harmless_component(name: str) -> None:
    safe = safe_name(name)
    assert safe and len(safe) <= MAX_NAME_CHARS
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert ".." not in safe and not safe.startswith(".")
    path = relative_path("HZ", "HZ-007", SHA, name)
    assert path == f"evidence/HZ/HZ-007/{SHA[:16]}_{safe}"
    assert resolve(Path("/data"), path) is not None


@pytest.mark.parametrize(
    ("unit", "item_id", "sha"),
    [
        ("hz", "hz-007", SHA),
        ("HZ", "NB-007", SHA),
        ("HZ", "HZ-7", SHA),
        ("HZ", "HZ-007/..", SHA),
        ("../x", "HZ-007", SHA),
        ("HZ", "HZ-007", "short"),
        ("HZ", "HZ-007", "AB" * 32),
    ],
)
def test_malformed_ids_and_hashes_are_refused(unit: str, item_id: str, sha: str) -> None:
    with pytest.raises(ValueError):
        relative_path(unit, item_id, sha, "a.pdf")


@pytest.mark.parametrize(
    "relative",
    [
        "../registry.json",
        "evidence/../registry.json",
        "evidence/HZ/HZ-001/../../../registry.json",
        "/etc/passwd",
        "ledgers/HZ.json",
        "evidence/HZ/HZ-001",
        "evidence",
        "",
    ],
)
def test_records_pointing_elsewhere_are_not_followed(tmp_path: Path, relative: str) -> None:
    assert resolve(tmp_path, relative) is None
    assert discard_evidence(tmp_path, relative) is False


def test_a_copy_is_written_durably_in_the_items_folder(tmp_path: Path, recorder: Recorder) -> None:
    data = b"%PDF-1.4 content"
    stored = save_evidence(tmp_path, "HZ", "HZ-001", "会议记录.pdf", data, recorder.ops())
    digest = hashlib.sha256(data).hexdigest()
    assert stored.path == f"evidence/HZ/HZ-001/{digest[:16]}_会议记录.pdf"
    assert (stored.sha256, stored.size, stored.created) == (digest, len(data), True)
    target = tmp_path / stored.path
    assert target.read_bytes() == data
    calls = [name for name, _ in recorder.calls]
    # Each new directory (evidence/, HZ/, HZ-001/) is made durable in its parent, top-down;
    # then the file is written R2's way: temp, write, fsync, close, rename, fsync the folder.
    assert calls == [
        *["open", "fsync", "close"] * 3,
        *["open", "write", "fsync", "close", "replace", "open", "fsync", "close"],
    ]
    synced = [where for name, where in recorder.calls if name == "open"]
    assert synced[:3] == [str(tmp_path), str(tmp_path / "evidence"), str(tmp_path / "evidence/HZ")]
    assert synced[-1] == str(target.parent)
    writes = [where for name, where in recorder.calls if name == "write"]
    assert len(writes) == 1 and is_temp_file(Path(writes[0]))
    replaced = [where for name, where in recorder.calls if name == "replace"]
    assert replaced == [f"{writes[0]} -> {target}"]
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_identical_content_lands_once_and_different_content_apart(tmp_path: Path) -> None:
    first = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"one")
    again = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"one")
    other = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"two")
    assert again.path == first.path and again.created is False
    assert other.path != first.path and other.created is True
    assert len(list((tmp_path / "evidence" / "HZ" / "HZ-001").iterdir())) == 2


def test_a_damaged_copy_is_replaced(tmp_path: Path) -> None:
    stored = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"good bytes")
    (tmp_path / stored.path).write_bytes(b"bad bytes!")  # same size, other content
    again = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"good bytes")
    assert again.created is True
    assert (tmp_path / stored.path).read_bytes() == b"good bytes"


def test_a_failed_write_leaves_no_file(tmp_path: Path, recorder: Recorder) -> None:
    recorder.fail["replace"] = OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"data", recorder.ops())
    folder = tmp_path / "evidence" / "HZ" / "HZ-001"
    assert list(folder.iterdir()) == []


def test_discard_removes_only_that_copy(tmp_path: Path) -> None:
    kept = save_evidence(tmp_path, "HZ", "HZ-001", "a.pdf", b"keep")
    gone = save_evidence(tmp_path, "HZ", "HZ-001", "b.pdf", b"drop")
    assert discard_evidence(tmp_path, gone.path) is True
    assert discard_evidence(tmp_path, gone.path) is False
    assert (tmp_path / kept.path).is_file() and not (tmp_path / gone.path).exists()
