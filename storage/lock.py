"""One process per data directory (R5, R31): an exclusive ``fcntl.flock`` on the data
directory itself.

The lock is on the directory, not on a file in it: a lock file can be deleted (or replaced)
under a running bot, and the next opener would then lock a new file and write beside it — two
writers, the bot overwriting an import from memory. A directory cannot be swapped under an
open descriptor that way. ``<data>/.lock`` remains only to tell a second opener the holder's
PID; it is opened without following symbolic links (``O_NOFOLLOW``), so a ``.lock`` replaced by
a symlink is removed and recreated, never written through to its target.

The kernel drops a ``flock`` when its holder exits for any reason, ``kill -9`` included, so a
stale lock never blocks a restart. Acquiring never waits: a second opener fails at once with
``DataDirInUse``. ``flock`` locks belong to the open file description, so a second ``DirLock``
in the same process conflicts too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from storage.errors import DataDirInUse, StorageError

LOCK_NAME = ".lock"
_PID_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW


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
        """Lock the directory and write our PID into ``.lock``, or raise ``DataDirInUse``
        naming the holder's PID (``None`` if ``.lock`` is gone or unreadable)."""
        if self._fd is not None:
            raise StorageError(f"{self.data_dir} is already locked by this DirLock")
        fd = os.open(self.data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirInUse(self.data_dir, _read_pid(self.path)) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            _write_pid(self.path, f"{os.getpid()}\n")
        except BaseException:
            os.close(fd)  # closing also releases the flock
            raise
        self._fd = fd

    def release(self) -> None:
        """Empty ``.lock`` (so it names no one) and drop the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            _write_pid(self.path, "")
        os.close(fd)


def _open_pid_file(path: Path) -> int:
    """``.lock`` opened for writing, never through a symbolic link: one found there is
    removed (the link, not its target) and a plain file created."""
    try:
        return os.open(path, _PID_FLAGS, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
    os.unlink(path)
    return os.open(path, _PID_FLAGS | os.O_EXCL, 0o644)


def _write_pid(path: Path, text: str) -> None:
    fd = _open_pid_file(path)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
    finally:
        os.close(fd)


def _read_pid(path: Path) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(fd)
    return int(text) if text.isdigit() else None
