"""R6: writes to one ledger are serialised; no update is lost. 500 concurrent read-modify-write
updates through the real write path, from threads and from asyncio tasks (asyncio.to_thread
via Store.run): all 500 are present, each item's events numbered 1..n. The updates go to ten
items of one ledger, so they race both on the same item and on the same file."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from ledger.model import ProgressNote, Status
from storage import Store
from tests.storage.storage_helpers import T0, add_item, make_event

N = 500
ITEMS = 10


def _target(n: int) -> str:
    return f"HZ-{n % ITEMS + 1:03d}"


def _progress(store: Store, n: int) -> None:
    """One update: read the item, append a note, append the matching event — in one tx."""
    item_id = _target(n)
    with store.ledger("HZ").transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None
        note = ProgressNote(at=T0 + timedelta(seconds=n), by=11, text=f"进展 {n}")
        tx.put(replace(item, status=Status.IN_PROGRESS, progress=(*item.progress, note)))
        tx.append(replace(make_event(item_id, tx.next_event_seq(item_id)), data={"n": n}))


def _assert_all_present(store: Store) -> None:
    ledger = store.ledger("HZ")
    seen: list[int] = []
    for item in ledger.items():
        from_notes = sorted(int(p.text.split()[1]) for p in item.progress)
        events = ledger.events(item.id)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert sorted(e.data["n"] for e in events[1:]) == from_notes
        assert all(_target(n) == item.id for n in from_notes)
        seen += from_notes
    assert sorted(seen) == list(range(N))


def _check_on_disk_too(store: Store) -> None:
    if store.layout is not None:
        with Store.open(store.layout.root, lock=False) as reader:
            _assert_all_present(reader)


def test_threads(store: Store) -> None:
    for _ in range(ITEMS):
        add_item(store)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda n: _progress(store, n), range(N)))
    _assert_all_present(store)
    _check_on_disk_too(store)


async def test_asyncio_tasks(store: Store) -> None:
    for _ in range(ITEMS):
        add_item(store)
    await asyncio.gather(*(store.run(_progress, store, n) for n in range(N)))
    _assert_all_present(store)
    _check_on_disk_too(store)


def test_concurrent_allocations_are_distinct(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(lambda n: add_item(store, problem=f"问题 {n}").id, range(N)))
    assert sorted(ids) == [f"HZ-{k:03d}" for k in range(1, N + 1)]
    assert len(store.ledger("HZ")) == N
    assert store.ledger("HZ").next_item_id == f"HZ-{N + 1:03d}"
