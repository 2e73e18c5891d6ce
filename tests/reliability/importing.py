"""A writer creating units the way an import does (``Store.add_unit`` and its first item), in
a thread beside the test, for the tests that take snapshots or run ``check`` meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ledger.model import Unit
from storage import Store
from tests.storage.storage_helpers import add_item


@dataclass
class Importing:
    """The running writer: ``created`` holds the codes of the units it has finished."""

    thread: threading.Thread
    created: list[str] = field(default_factory=list)

    def alive(self) -> bool:
        return self.thread.is_alive()


@contextmanager
def units_being_created(data: Path, limit: int) -> Iterator[Importing]:
    """Create units ``U000``, ``U001`` … (each with one item) in ``data`` until ``limit`` or
    the block ends; the writer is stopped and joined when it does."""
    stop = threading.Event()
    created: list[str] = []

    def importer() -> None:
        with Store.open(data) as store:
            n = 0
            while not stop.is_set() and n < limit:
                code = f"U{n:03d}"
                store.add_unit(Unit(code, f"单位{n}"))
                add_item(store, unit=code)
                created.append(code)
                n += 1

    writer = threading.Thread(target=importer)
    writer.start()
    try:
        yield Importing(writer, created)
    finally:
        stop.set()
        writer.join(timeout=60)
