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
    assert result.stdout == f"还没有台账：{tmp_path / 'data'} 中既没有登记簿，也没有台账文件\n"
    english = bot(config_in(tmp_path), "--lang", "en", "check")
    assert english.stdout.startswith("no ledgers yet")


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
        assert result.stdout.startswith("已备份：") and "backup-" in result.stdout
    snapshots = sorted((tmp_path / "data" / "backups").glob("backup-*.tar.gz"))
    assert len(snapshots) == 2


def test_a_missing_data_directory_is_named_by_backup(tmp_path: Path) -> None:
    result = bot(config_in(tmp_path), "backup")
    assert result.returncode == 1
    assert result.stderr == f"无法备份：{tmp_path / 'data'} 下没有数据目录\n"
    english = bot(config_in(tmp_path), "backup", "--lang", "en")
    assert f"no data directory at {tmp_path / 'data'}" in english.stderr


def test_bad_config_stops_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = bot(config_in(tmp_path, "[alerts]\nstale_days = -3\n"), "check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "[alerts] stale_days = -3: expected a whole number ≥ 1" in lines[0]


def test_help_explains_every_command_in_one_language(tmp_path: Path) -> None:
    import cli

    chinese = bot(config_in(tmp_path), "--help")
    assert chinese.returncode == 0
    english = bot(config_in(tmp_path), "--lang", "en", "--help")
    for command in ("run", "sandbox", *cli.COMMANDS):
        zh_line = next(
            line for line in chinese.stdout.splitlines() if line.startswith(f"  {command} ")
        )
        en_line = next(
            line for line in english.stdout.splitlines() if line.startswith(f"  {command} ")
        )
        assert len(zh_line.split(None, 1)[1]) > 8 and len(en_line.split(None, 1)[1]) > 8
    assert "命令：" in chinese.stdout and "commands:" not in chinese.stdout
    assert "配置文件" in chinese.stdout and "config file" in english.stdout
    assert "存入数据目录的 exports/" in chinese.stdout


def test_sweep_dry_run_says_why_it_would_send_nothing(tmp_path: Path) -> None:
    from ledger.model import Person, Role, Unit

    config = config_in(tmp_path, '[bot]\ndata_dir = "data"\n')
    Store.open(tmp_path / "data").close()
    empty = bot(config, "sweep", "--dry-run")
    assert empty.returncode == 0, empty.stderr
    assert "为什么不会发送：" in empty.stdout
    assert "没有配置巡察组" in empty.stdout and "还没有单位" in empty.stdout
    assert "没有人绑定单位" in empty.stdout
    with Store.open(tmp_path / "data") as store:
        store.add_unit(Unit("HZ", "杭州市局党组"))
        store.registry.upsert_person(Person(2001, "王联络", Role.CONTACT, unit="HZ"))
    config = config_in(tmp_path, '[bot]\ndata_dir = "data"\ninspectors = [100]\n')
    staffed = bot(config, "sweep", "--dry-run")
    assert "没有配置巡察组" not in staffed.stdout and "没有人绑定单位" not in staffed.stdout
    assert "台账中还没有事项" in staffed.stdout
    english = bot(config, "--lang", "en", "sweep", "--dry-run")
    assert "Why nothing would be sent:" in english.stdout and "为什么" not in english.stdout
    assert bot(config, "sweep").stderr.startswith("提醒推送在机器人运行时进行")
