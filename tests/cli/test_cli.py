"""The shell commands an operator runs: check, backup, and a bad config (exit codes, words)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]


def bot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def config_in(tmp_path: Path, text: str = "[backup]\nkeep = 2\n") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_on_a_fresh_data_directory_says_so_plainly(tmp_path: Path) -> None:
    result = bot(config_in(tmp_path), "check")
    assert result.returncode == 0
    assert "no ledgers yet" in result.stdout


def test_check_reports_a_damaged_ledger_and_fails(tmp_path: Path) -> None:
    from ledger.model import Unit

    with Store.open(tmp_path / "data") as store:
        store.add_unit(Unit("HZ", "杭州市局党组"))
    (tmp_path / "data" / "ledgers" / "HZ.json").write_bytes(b"")
    result = bot(config_in(tmp_path), "check")
    assert result.returncode == 1
    assert "HZ.json" in result.stdout


def test_backup_writes_a_snapshot_and_keeps_the_newest(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    assert bot(config, "backup").returncode == 1  # nothing to back up yet
    Store.open(tmp_path / "data").close()
    for _ in range(3):
        result = bot(config, "backup")
        assert result.returncode == 0, result.stderr
        assert "backup written:" in result.stdout
    snapshots = sorted((tmp_path / "data" / "backups").glob("backup-*.tar.gz"))
    assert len(snapshots) == 2


def test_a_missing_data_directory_is_named_by_backup(tmp_path: Path) -> None:
    result = bot(config_in(tmp_path), "backup")
    assert result.returncode == 1
    assert f"no data directory at {tmp_path / 'data'}" in result.stderr


def test_bad_config_stops_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = bot(config_in(tmp_path, "[alerts]\nstale_days = -3\n"), "check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "[alerts] stale_days = -3: expected a whole number ≥ 1" in lines[0]
