"""R34: every shell command and start-up failure ends in one clear line, no traceback, no temp
file left: a data file replaced by a directory, one the process may not read, deeply nested
JSON in a data file, a full disk during import, backup and export."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import bot
from ledger.model import Unit
from storage.repo import Store
from storage.safe import OS_FILE_OPS, temp_files
from tests.storage.storage_helpers import add_item

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "ledger-sample.xlsx"
COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "backup": ["backup"],
    "export": ["export", "-o", "out.xlsx"],
    "sweep": ["sweep", "--dry-run"],
    "import": ["import", str(SAMPLE), "--yes"],
    "run": ["run"],
}


def _data(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text('[bot]\ndata_dir = "data"\n', encoding="utf-8")
    with Store.open(tmp_path / "data") as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    return tmp_path / "data"


def _directory(data: Path) -> None:
    (data / "registry.json").unlink()
    (data / "registry.json").mkdir()


def _nested(data: Path) -> None:
    (data / "alerts.json").write_text('{"alerts": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _nested_ledger(data: Path) -> None:
    (data / "ledgers" / "HZ.json").write_text("[" * 100_000 + "]" * 100_000)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "registry is a directory": _directory,
    "nested JSON alert log": _nested,
    "nested JSON ledger": _nested_ledger,
}


def _leftovers(data: Path) -> list[Path]:
    dirs = [data, data / "ledgers", data / "backups", data.parent]
    return [p for d in dirs for p in temp_files(d)]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_data_file_ends_every_command_in_one_line(
    tmp_path: Path, damage: str, command: str
) -> None:
    data = _data(tmp_path)
    DAMAGE[damage](data)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached: the data stops it first
    }
    done = subprocess.run(
        # the operator's English words are checked (the shell speaks Chinese by default)
        [sys.executable, str(ROOT / "bot.py"), "--config", str(tmp_path / "config.toml")]
        + ["--lang", "en"]
        + COMMANDS[command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=str(tmp_path),
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if " INFO " not in line]
    if command == "check":
        assert errors == [] and done.stdout.strip().splitlines()[-1].startswith("1 problem")
    elif command == "backup" and damage != "registry is a directory":
        assert len(errors) == 1 and "fails `check`" in errors[0]
    else:
        assert len(errors) == 1, done.stderr
        assert errors[0].startswith("error: ") and str(data) in errors[0]
    assert not _leftovers(data)


def _main(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``bot.main`` in this process (so a test can break the system calls), run in
    ``tmp_path``; returns the exit status and what reached stderr."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        status = bot.main(["--config", str(tmp_path / "config.toml"), *args])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    return status, captured.err


def _deny_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading ``ledgers/HZ.json`` fails as mode 000 does for anyone but root (tests run as
    root here, which mode 000 does not stop)."""
    real = Path.open

    def guarded(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "HZ.json" and self.parent.name == "ledgers":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)


@pytest.mark.parametrize("command", ["backup", "export", "sweep", "import"])
def test_a_data_file_without_permission_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    data = _data(tmp_path)
    _deny_ledger(monkeypatch)
    status, err = _main(tmp_path, capsys, *COMMANDS[command])
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "HZ.json" in lines[0] and "Permission denied" in lines[0], err
    assert not _leftovers(data)


@contextlib.contextmanager
def _full_disk_ctx() -> Iterator[None]:
    """Every durable write (``atomic_write``) fails with ENOSPC once its temp file exists."""
    real = OS_FILE_OPS.write, OS_FILE_OPS.writev

    def enospc(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    object.__setattr__(OS_FILE_OPS, "write", enospc)
    object.__setattr__(OS_FILE_OPS, "writev", enospc)  # a ledger's pieces (storage.safe)
    try:
        yield
    finally:
        object.__setattr__(OS_FILE_OPS, "write", real[0])
        object.__setattr__(OS_FILE_OPS, "writev", real[1])


def test_a_full_disk_during_import_is_one_line_and_leaves_no_temp_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data(tmp_path)
    before = {p: p.read_bytes() for p in (data / "ledgers").iterdir()}
    with _full_disk_ctx():
        status, err = _main(tmp_path, capsys, *COMMANDS["import"])
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert not _leftovers(data)
    assert {p: p.read_bytes() for p in (data / "ledgers").iterdir()} == before


def test_a_full_disk_during_export_is_one_line_and_leaves_no_temp_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data(tmp_path)
    with _full_disk_ctx():
        status, err = _main(tmp_path, capsys, *COMMANDS["export"])
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert not (tmp_path / "out.xlsx").exists() and not _leftovers(data)


def test_a_full_disk_during_backup_is_one_line_and_leaves_no_temp_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data(tmp_path)
    real = tarfile.TarFile.addfile
    calls = {"n": 0}

    def addfile(self: tarfile.TarFile, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "addfile", addfile)
    status, err = _main(tmp_path, capsys, *COMMANDS["backup"])
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert not list((data / "backups").iterdir())  # no snapshot, no temp file
