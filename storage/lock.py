"""One process per data directory (R5): an exclusive ``fcntl.flock`` on ``<data>/.lock``.

The kernel drops a ``flock`` when its holder exits for any reason, ``kill -9`` included, so a
stale lock file never blocks a restart; the PID written into it is only for the message a
second opener shows. Acquiring never waits: a second opener fails at once with
``DataDirInUse``. ``flock`` locks belong to the open file, so a second ``DirLock`` in the same
process conflicts too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from storage.errors import DataDirInUse, StorageError

LOCK_NAME = ".lock"


class DirLock:
    """The lock on one data directory. ``acquire()`` once, ``release()`` once (idempotent)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write our PID into the lock file, or raise ``DataDirInUse``
        naming the holder's PID. The file is opened without truncation: until we hold the
        lock its content is the holder's PID."""
        if self._fd is not None:
            raise StorageError(f"{self.path} is already held by this DirLock")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise DataDirInUse(self.data_dir, pid) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)  # closing also releases the flock
            raise
        self._fd = fd

    def release(self) -> None:
        """Empty the lock file (so it names no one) and drop the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
