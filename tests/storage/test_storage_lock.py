"""R5: one process per data directory. A second opener — another process, or the same one —
fails at once with "data directory in use by PID <pid>"; read-only openers are not blocked;
the lock goes away with its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import DataDirInUse, Store
from storage.lock import DirLock

ROOT = Path(__file__).resolve().parents[2]

SECOND_OPENER = """
import sys
from storage import DataDirInUse, Store
try:
    Store.open(sys.argv[1])
except DataDirInUse as err:
    print(err)
    sys.exit(3)
print("opened")
"""


def _open_in_another_process(data_dir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", SECOND_OPENER, str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return proc, time.monotonic() - start


def test_second_process_fails_fast_naming_the_holder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir):
        proc, elapsed = _open_in_another_process(data_dir)
        assert proc.returncode == 3, proc.stderr
        assert proc.stdout.strip() == f"data directory in use by PID {os.getpid()}"
        assert elapsed < 5
        assert (data_dir / ".lock").read_text().strip() == str(os.getpid())
    proc, _ = _open_in_another_process(data_dir)  # released on close
    assert proc.stdout.strip() == "opened", proc.stderr


def test_second_open_in_the_same_process_fails_too(tmp_path: Path) -> None:
    with Store.open(tmp_path) as first:
        with pytest.raises(DataDirInUse) as err:
            Store.open(tmp_path)
        assert err.value.pid == os.getpid()
        assert str(err.value) == f"data directory in use by PID {os.getpid()}"
        with Store.open(tmp_path, lock=False) as reader:  # read-only tools still work
            assert reader.registry.list_units() == first.registry.list_units()


def test_lock_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from storage import Store; s = Store.open(sys.argv[1]); "
            "print('held', flush=True); sys.stdin.read()",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirInUse, match=f"PID {holder.pid}$"):
            Store.open(tmp_path)
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs
        holder.wait()
    with Store.open(tmp_path):
        pass


def test_unreadable_pid_still_refuses(tmp_path: Path) -> None:
    lock = DirLock(tmp_path)
    lock.acquire()
    try:
        os.truncate(tmp_path / ".lock", 0)  # as if caught between truncate and write
        with pytest.raises(DataDirInUse, match="PID unknown"):
            DirLock(tmp_path).acquire()
    finally:
        lock.release()
    lock.release()  # idempotent
