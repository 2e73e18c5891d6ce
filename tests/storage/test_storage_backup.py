"""storage.maintenance.backup: a whole snapshot under a temp name then renamed, restorable,
made while the bot writes, keeping the newest N."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.errors import InvalidValue
from ledger.model import Unit
from storage import AlertRecord, Store, backup, check, list_backups
from tests.storage.storage_helpers import T0, add_item, make_legacy

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        store.add_unit(Unit("NB", "宁波"))
        add_item(store)
        add_item(store, unit="NB")
        store.registry.put_alert(AlertRecord("HZ-001:overdue:2026-05-01:0@11", "sent"))
    (data_dir / "evidence" / "HZ-001").mkdir(parents=True)
    (data_dir / "evidence" / "HZ-001" / "佐证1.pdf").write_bytes(b"%PDF-1.4 evidence")
    return data_dir


def _restore(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def test_snapshot_is_complete_and_restorable(populated: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    archive = backup(populated, dest, keep=3, now=NOW)
    assert archive == dest / "backup-20260501T020000Z.tar.gz"
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())  # type: ignore[union-attr]
    assert names == [
        "MANIFEST.json",
        "alerts.json",
        "alerts.jsonl",  # the alert log's journal (empty after the clean close: compacted)
        "evidence/HZ-001/佐证1.pdf",
        "ledgers/HZ.json",
        "ledgers/NB.json",
        "registry.json",
    ]
    assert manifest["created_at"] == NOW.isoformat()
    for name in ("registry.json", "alerts.json", "alerts.jsonl"):
        content = (populated / name).read_bytes()
        assert manifest["files"][name] == {
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    restored = tmp_path / "restored"
    _restore(archive, restored)
    assert check(restored).ok
    with Store.open(restored) as store:
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001"]
        assert [r.key for r in store.registry.list_alerts("sent")] == [
            "HZ-001:overdue:2026-05-01:0@11"
        ]
    assert sorted(p.name for p in dest.iterdir()) == [archive.name]  # no temp file left


def test_snapshot_of_a_directory_not_yet_moved_restores_and_moves(
    populated: Path, tmp_path: Path
) -> None:
    """A data directory whose registry still holds the alert log (written before alerts.json
    existed) backs up as it is; the restored copy moves the log at its first locked open."""
    make_legacy(populated)
    archive = backup(populated, tmp_path / "b", keep=1, now=NOW)
    with tarfile.open(archive) as tar:
        assert "alerts.json" not in tar.getnames()
    restored = tmp_path / "restored"
    _restore(archive, restored)
    with Store.open(restored) as store:
        assert [r.key for r in store.registry.list_alerts()] == ["HZ-001:overdue:2026-05-01:0@11"]
    assert (restored / "alerts.json").is_file()
    assert check(restored).ok


def test_backup_excludes_its_own_directory_lock_and_quarantine(populated: Path) -> None:
    (populated / "quarantine").mkdir()
    (populated / "quarantine" / "HZ.json.x").write_text("junk")
    dest = populated / "backups"  # the default place: inside the data directory
    backup(populated, dest, keep=2, now=NOW)
    second = backup(populated, dest, keep=2, now=NOW + timedelta(days=1))
    with tarfile.open(second) as tar:
        names = tar.getnames()
    assert not any(n.startswith(("backups", "quarantine", ".lock")) for n in names)


def test_keeps_the_newest_n(populated: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    (dest).mkdir()
    (dest / "notes.txt").write_text("not ours")
    made = [backup(populated, dest, keep=3, now=NOW + timedelta(days=d)) for d in range(5)]
    assert list_backups(dest) == made[-3:]
    assert (dest / "notes.txt").exists()


def test_same_second_gets_a_new_name(populated: Path, tmp_path: Path) -> None:
    first = backup(populated, tmp_path / "b", keep=5, now=NOW)
    second = backup(populated, tmp_path / "b", keep=5, now=NOW)
    assert second.name == "backup-20260501T020000Z-1.tar.gz"
    assert list_backups(tmp_path / "b") == [first, second]


def test_the_new_snapshot_survives_a_clock_moved_back(populated: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b"
    backup(populated, dest, keep=1, now=NOW)
    older = backup(populated, dest, keep=1, now=NOW - timedelta(days=30))
    assert list_backups(dest) == [older]


def test_arguments(populated: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep"):
        backup(populated, tmp_path / "b", keep=0, now=NOW)
    with pytest.raises(InvalidValue, match="timezone-aware"):
        backup(populated, tmp_path / "b", keep=1, now=datetime(2026, 5, 1))  # noqa: DTZ001
    with pytest.raises(FileNotFoundError):
        backup(tmp_path / "nowhere", tmp_path / "b", keep=1, now=NOW)


def test_temp_files_of_dead_backups_are_removed(populated: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b"
    dest.mkdir()
    dead = dest / ".backup-20260101T000000Z.tar.gz.999999999.0123abcd.tmp"
    alive = dest / f".backup-20260101T000000Z.tar.gz.{os.getpid()}.0123abcd.tmp"
    dead.write_bytes(b"partial")
    alive.write_bytes(b"in progress")
    backup(populated, dest, keep=1, now=NOW)
    assert not dead.exists()
    assert alive.exists()


def test_backup_while_the_bot_writes(populated: Path, tmp_path: Path) -> None:
    """Every file in every snapshot is whole, although a writer keeps replacing the ledger
    and the alert log."""
    stop = threading.Event()
    writes = 0
    with Store.open(populated) as store:

        def write() -> None:
            nonlocal writes
            while not stop.is_set():
                add_item(store, t=T0, problem="并发写入" * 200)
                store.registry.put_alert(AlertRecord(f"k{writes}", "sent"))
                writes += 1

        writer = threading.Thread(target=write)
        writer.start()
        archives: list[Path] = []
        try:
            # Interleave for real: keep snapshotting until the writer has replaced the ledger
            # many times during the run (bounded by the test timeout, not by a clock).
            while len(archives) < 5 or writes < 20:
                archives.append(
                    backup(
                        populated,
                        tmp_path / "b",
                        keep=100,
                        now=NOW + timedelta(minutes=len(archives)),
                    )
                )
        finally:
            stop.set()
            writer.join()
    for archive in archives:
        restored = tmp_path / archive.name
        _restore(archive, restored)
        report = check(restored)
        assert report.ok, report.text
