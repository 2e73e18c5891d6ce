"""The cyclic garbage collector around bulk work (issue 14).

A province's data is millions of small, acyclic objects (parsed JSON documents, alert
records). Python's cyclic collector rescans all of them on every full collection, and bulk
work that allocates hundreds of thousands of objects (a first sweep records ~900,000 alert
moves at 100k items) triggers several: measured at 30k items, 45% of a first sweep (9.2 s
with the collector, 5.0 s without). Reference counting frees everything acyclic either way,
so pausing only the *cyclic* collector for the length of one blocking step costs no memory
that matters and loses nothing; a cycle made meanwhile is collected after.

- :func:`collector_paused` — for one blocking step (a sweep's decide-and-record, one wave's
  outcomes). Nested and concurrent uses are counted: the collector is enabled again when
  the last one ends, and only if it was enabled when the first began.
- :func:`freeze_loaded` — after start-up: what was loaded is long-lived, so it moves to the
  collector's permanent generation and is never rescanned (``gc.freeze``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the ``with`` block (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def paused(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run with the cyclic collector paused."""

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with collector_paused():
            return fn(*args, **kwargs)

    return run


def freeze_loaded() -> None:
    """Move every object alive now to the permanent generation: later collections never
    rescan what start-up loaded. No collection first: it would cost a full scan of what
    was just loaded (~1 s at 100k items) to find the few cycles start-up leaves."""
    gc.freeze()


__all__ = ["collector_paused", "freeze_loaded", "paused"]
