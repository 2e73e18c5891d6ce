"""R30: a backup is a state the bot can start from, taken under the write discipline and
verified read-only; rotation never removes the newest good snapshot; restore checks first and
refuses while the bot runs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.model import Unit
from storage.errors import DataDirInUse
from storage.maintenance import (
    RestoreRefused,
    backup,
    check,
    is_damaged_snapshot,
    list_backups,
    restore,
)
from storage.repo import Store
from tests.reliability.importing import units_being_created
from tests.storage.storage_helpers import add_item

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def test_backups_taken_during_an_import_restore_and_start(tmp_path: Path) -> None:
    """A writer creates units (ledger first, then the registry, as an import does) and fills
    them while snapshots are taken: every snapshot checks clean, restores and opens."""
    data = tmp_path / "data"
    Store.open(data).close()
    # Evidence makes a snapshot's listing slow: the window in which the old backup, listing
    # ledgers before reading the registry, took registered units without their ledgers.
    for k in range(1500):
        folder = data / "evidence" / "ZZ" / f"ZZ-{k % 50 + 1:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"佐证{k}.pdf").write_bytes(b"%PDF-1.4")
    dest = tmp_path / "backups"
    snapshots: list[Path] = []
    with units_being_created(data, 400) as importing:
        for i in range(10):
            snapshots.append(backup(data, dest, keep=100, now=NOW + timedelta(seconds=i)))
    created = importing.created
    assert len(created) > 0
    for i, snapshot in enumerate(snapshots):
        assert not is_damaged_snapshot(snapshot), snapshot
        target = tmp_path / f"restored-{i}"
        done = restore(snapshot, target, now=NOW)
        assert done.report.ok, done.report.text
        with Store.open(target) as store:  # the bot can start from it
            units = store.registry.list_units()
            assert [ledger.unit for ledger in store.ledgers()] == sorted(u.code for u in units)
            assert all(len(ledger) <= 1 for ledger in store.ledgers())


def _damage(data: Path) -> None:
    path = data / "ledgers" / "HZ.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["items"]["1"]["status"] = 42
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_two_backups_of_damaged_data_keep_the_good_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    dest = tmp_path / "backups"
    good = backup(data, dest, keep=2, now=NOW)
    assert not is_damaged_snapshot(good)
    _damage(data)
    bad = [backup(data, dest, keep=2, now=NOW + timedelta(days=d)) for d in (1, 2, 3)]
    assert all(is_damaged_snapshot(p) for p in bad)
    assert list_backups(dest) == [good, bad[1], bad[2]]  # newest two + the newest good
    # The good one is what restore takes; a damaged one is refused, nothing replaced.
    with pytest.raises(RestoreRefused, match="fails check"):
        restore(bad[2], data, now=NOW)
    assert not list(data.glob("replaced-*"))
    done = restore(good, data, now=NOW + timedelta(days=4))
    assert done.report.ok and done.replaced is not None
    assert (done.replaced / "ledgers" / "HZ.json").is_file()  # the damaged data is kept aside
    with Store.open(data) as store:
        assert store.damaged() == {}
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001"]


def test_restore_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州"))
    snapshot = backup(data, tmp_path / "b", keep=1, now=NOW)
    before = (data / "registry.json").read_bytes()
    with Store.open(data), pytest.raises(DataDirInUse):
        restore(snapshot, data, now=NOW)
    assert (data / "registry.json").read_bytes() == before
    assert not list(data.glob("replaced-*"))


def test_restore_command_refuses_a_running_bot_and_restores_a_stopped_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ndata_dir = "data"\n', encoding="utf-8")
    snapshot = backup(data, tmp_path / "b", keep=1, now=NOW)
    with Store.open(data) as store:
        add_item(store)  # a change after the snapshot

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )

    with Store.open(data):
        refused = run("restore", str(snapshot))
    assert refused.returncode == 1
    assert "请先停止机器人" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    done = run("restore", str(snapshot))
    assert done.returncode == 0, done.stderr
    assert "已从 " in done.stdout and "个文件完好" in done.stdout
    with Store.open(data) as store:
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001"]
    assert check(data).ok


def test_backup_command_says_when_the_data_fails_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ndata_dir = "data"\n[backup]\nkeep = 1\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(ROOT / "bot.py"), "--config", str(config), "backup"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert first.returncode == 0
    _damage(data)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert second.returncode == 1
    assert "数据未通过检查" in second.stderr and "最近一份完好的备份仍保留" in second.stderr
    assert len(list_backups(data / "backups")) == 2
