"""Reading an uploaded 台账 in a child process with a memory and a time limit (R32).

``storage.xlsx_guard`` and the caps of ``storage.xlsx_import`` refuse the hostile files we
know of before a parser sees them; this is the net under them for the ones we do not: a
43 KB .docx of 4.9 million empty paragraphs is inside every cap, and python-docx took 139 s
and 1.7 GB for it in the bot's own process. :func:`read_ledger_limited` runs ``read_ledger``
(the whole read: .xlsx, .xls, .docx → rows → a plan) in a child process whose address space
may grow by the budget and no more (``RLIMIT_AS`` = what it maps at its start + the budget)
and which is killed once the wall-time limit has passed; either way the answer is one
``TOO_COMPLEX`` issue naming the limit (``what`` = ``memory`` or ``time``), and the
caller's process never holds the parse.

Decision — how the child is made. A small *parse server* (``python -c … serve``, started
once, on first use, by the process that reads) imports the readers and, for each file, forks
a child that sets its limits, reads, sends its outcome and exits. So every file gets a fresh
single-threaded process (nothing a previous read left behind counts against the next one's
limit; the threaded bot itself never forks) for the cost of a fork (~10 ms) rather than an
interpreter start with openpyxl (~1.3 s). ``multiprocessing``'s forkserver would do the same
but re-imports the parent's ``__main__`` (bot.py, with all of PTB) in every child. One file
is read at a time per process (a lock): reading is CPU-bound, and the machine's other work
goes on meanwhile. A caller with a single thread (``bot.py import``) forks the child itself
and starts no server. The server ends when its parent does (its job pipe closes); a child
orphaned by a killed parent still stops at its CPU-time limit.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from dataclasses import astuple, dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ledger.calendar import WorkCalendar
from storage.xlsx_import import ImportErrors, ImportIssue, ImportPlan, IssueCode, read_ledger

log = logging.getLogger(__name__)

DEFAULT_MEMORY_MB = 512
DEFAULT_SECONDS = 60
START_SECONDS = 60.0  # for the server to start and a child to report (a first start, loaded)
EXIT_SECONDS = 10.0  # for the server to report a finished or killed child
_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ParseLimits:
    """How much one file's read may take: address space in MB and wall time in seconds."""

    memory_mb: int = DEFAULT_MEMORY_MB
    seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class CalendarDays:
    """``read_ledger``'s ``add_workdays`` over a :class:`WorkCalendar`, in a form that can be
    sent to the child process (a lambda cannot)."""

    calendar: WorkCalendar

    def __call__(self, start: date, n: int) -> tuple[date, bool]:
        day, estimated = astuple(self.calendar.add_workdays(start, n))
        return day, estimated


def over_limit(what: str, limits: ParseLimits) -> ImportErrors:
    """The one issue for a read stopped at a limit (``what``: ``memory`` or ``time``)."""
    limit = limits.memory_mb if what == "memory" else round(limits.seconds)
    return ImportErrors(
        (ImportIssue(IssueCode.TOO_COMPLEX, params={"what": what, "limit": limit}),)
    )


# --------------------------------------------------------------------------- the server side


def serve(jobs_fd: int, results_fd: int) -> None:
    """The parse server's loop: for each job, fork a child (:func:`_child`), wait for it and
    report its exit; end when the job pipe closes (the parent is gone)."""
    jobs = Connection(jobs_fd, writable=False)
    results = Connection(results_fd, readable=False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bot's to handle
    while True:
        try:
            job = jobs.recv_bytes()
        except (EOFError, OSError):
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child ends in os._exit
            code = 1
            try:
                _child(job, results)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        results.send(("exit", status))


def _child(job: bytes, results: Connection) -> None:
    """In the forked child: say who we are, cap memory and CPU, read, send the outcome."""
    results.send(("pid", os.getpid()))
    source, options, memory_bytes, seconds = pickle.loads(job)
    # The budget is on top of what the process already maps (the readers, or for a fork of
    # ``bot.py import`` the whole shell), so the same file gets the same room either way.
    base = _vm_bytes("VmSize")
    try:
        import resource

        limit = base + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(seconds) + 5  # a backstop: an orphaned child stops by itself
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ImportError, ValueError, OSError):  # no rlimits here: the wall time still holds
        log.warning("could not limit the parse's memory")
    try:
        result = read_ledger(source, **options)
        outcome: tuple[str, Any] = ("ok", result)
        if _unreadable(result) and (_vm_bytes("VmPeak") - base) * 2 >= memory_bytes:
            # lxml reports an allocation refused by RLIMIT_AS as a syntax error ("unknown
            # error"): a file refused as unreadable after using half the limit or more ran
            # out of memory, it was not (only) damaged.
            outcome = ("memory", None)
    except MemoryError:
        outcome = ("memory", None)
    except OSError as exc:  # the path cannot be opened: the caller says so
        outcome = ("oserror", (exc.errno, exc.strerror, exc.filename))
    except Exception as exc:  # a bug, not the file: raised again in the caller
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    try:
        results.send(outcome)
    except MemoryError:
        results.send(("memory", None))


def _unreadable(result: ImportPlan | ImportErrors) -> bool:
    return isinstance(result, ImportErrors) and any(
        i.code is IssueCode.NOT_XLSX for i in result.issues
    )


def _vm_bytes(field: str) -> int:
    """This process's address space now (``VmSize``) or at its peak (``VmPeak``) — what
    ``RLIMIT_AS`` caps; 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


# --------------------------------------------------------------------------- the caller side


class _Server:
    """The parse server of this process, started on first use and again after a failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.jobs: Connection | None = None
        self.results: Connection | None = None

    def ensure(self) -> tuple[Connection, Connection]:
        if self.process is not None and self.process.poll() is None:
            assert self.jobs is not None and self.results is not None
            return self.jobs, self.results
        self.stop()
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        code = (
            f"import sys; sys.path.insert(0, {str(_ROOT)!r}); "
            "from storage.parse_worker import serve; "
            f"serve({jobs_r}, {results_w})"
        )
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code], pass_fds=(jobs_r, results_w), close_fds=True
            )
        finally:
            os.close(jobs_r)
            os.close(results_w)
        self.jobs = Connection(jobs_w, readable=False)
        self.results = Connection(results_r, writable=False)
        return self.jobs, self.results

    def stop(self) -> None:
        for conn in (self.jobs, self.results):
            if conn is not None:
                conn.close()
        self.jobs = self.results = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        self.process = None


_SERVER = _Server()


def read_ledger_limited(
    source: str | os.PathLike[str] | bytes, *, limits: ParseLimits, **options: Any
) -> ImportPlan | ImportErrors:
    """``read_ledger(source, **options)`` in a child process under ``limits``: its outcome,
    or a ``TOO_COMPLEX`` issue (``what`` = ``memory`` / ``time``) when the child ran out of
    address space, died, or ran past the time limit (it is killed then). ``OSError`` as
    ``read_ledger``'s for a path that cannot be opened. Blocking: call it on a worker thread.
    ``options`` must pickle (``add_workdays`` as :class:`CalendarDays`, not a lambda)."""
    if not hasattr(os, "fork"):  # no fork (not Linux/macOS): read here, without the limits
        return read_ledger(source, **options)
    path_or_bytes = os.fspath(source) if isinstance(source, os.PathLike) else source
    job = pickle.dumps(
        (path_or_bytes, options, limits.memory_mb * 1024 * 1024, limits.seconds),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    if threading.active_count() == 1:  # the shell: nothing to fork around, fork here
        kind, value = _run_forked(job, limits)
    else:
        with _SERVER.lock:
            kind, value = _run(job, limits)
    if kind == "ok":
        result: ImportPlan | ImportErrors = value
        return result
    if kind == "oserror":
        errno, strerror, filename = value
        raise OSError(errno, strerror, filename)
    if kind == "error":
        raise RuntimeError(f"reading the ledger failed in the parse process: {value}")
    log.warning("a ledger file was refused: its read hit the %s limit", kind)
    return over_limit(kind, limits)


def _run(job: bytes, limits: ParseLimits) -> tuple[str, Any]:
    """Send ``job`` to the server and wait for its child under ``limits``: ``("ok", plan)``,
    ``("oserror"|"error", …)``, ``("time", None)`` or ``("memory", None)``."""
    jobs, results = _SERVER.ensure()
    try:
        jobs.send_bytes(job)
        if not results.poll(START_SECONDS):
            raise OSError("the parse server did not start a child")
        tag, pid = results.recv()
        if tag != "pid":
            raise OSError(f"the parse server said {tag!r} instead of a child")
        if not results.poll(limits.seconds):
            os.kill(pid, signal.SIGKILL)
            _await_exit(results)
            return "time", None
        tag, value = results.recv()
        if tag == "exit":  # died without a word: RLIMIT_AS inside C code, most likely
            return "memory", None
        _await_exit(results)
        return ("memory", None) if tag == "memory" else (tag, value)
    except (EOFError, OSError, pickle.UnpicklingError) as exc:
        log.warning("the parse server failed (%s); it is started again for the next file", exc)
        _SERVER.stop()
        return "memory", None


def _run_forked(job: bytes, limits: ParseLimits) -> tuple[str, Any]:
    """:func:`_run` for a single-threaded caller (``bot.py import``): fork the child here,
    saving the server's start (an interpreter and the readers, ~1.3 s)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends in os._exit
        os.close(read_fd)
        code = 1
        try:
            _child(job, Connection(write_fd, readable=False))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    results = Connection(read_fd, writable=False)
    try:
        results.recv()  # ("pid", pid)
        if not results.poll(limits.seconds):
            os.kill(pid, signal.SIGKILL)
            return "time", None
        tag, value = results.recv()
        return ("memory", None) if tag == "memory" else (tag, value)
    except (EOFError, OSError, pickle.UnpicklingError):
        return "memory", None  # died without a word: RLIMIT_AS inside C code, most likely
    finally:
        results.close()
        os.waitpid(pid, 0)


def _await_exit(results: Connection) -> None:
    if not results.poll(EXIT_SECONDS):
        raise OSError("the parse server did not report its child's exit")
    tag, _ = results.recv()
    if tag != "exit":
        raise OSError(f"the parse server said {tag!r} instead of an exit")


__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_SECONDS",
    "CalendarDays",
    "ParseLimits",
    "over_limit",
    "read_ledger_limited",
    "serve",
]
