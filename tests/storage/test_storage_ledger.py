"""Ledger repository contract, on both twins (memory and json)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from ledger.errors import InvalidValue, UnknownUnit
from ledger.model import ProgressNote, Unit
from storage import (
    AlreadyExists,
    EventOutOfOrder,
    ReadOnlyStore,
    StorageError,
    Store,
    StoreClosed,
)
from storage.safe import MemoryDocumentStorage, SafeJSONStorage
from tests.storage.storage_helpers import T0, TZ, Recorder, add_item, make_event, make_item


def test_add_unit_creates_an_empty_ledger(store: Store) -> None:
    ledger = store.add_unit(Unit("SH", "上海"))
    assert store.ledger("SH") is ledger
    assert ledger.items() == []
    assert len(ledger) == 0
    assert ledger.next_item_id == "SH-001"
    assert [lg.unit for lg in store.ledgers()] == ["HZ", "NB", "SH"]


def test_add_unit_twice_is_refused(store: Store) -> None:
    with pytest.raises(AlreadyExists):
        store.add_unit(Unit("HZ", "again"))


def test_unknown_unit(store: Store) -> None:
    with pytest.raises(UnknownUnit):
        store.ledger("XX")


def test_put_get_roundtrip_and_ids_are_sequential(store: Store) -> None:
    a = add_item(store, deadline=None, measures="建立台账", leader="张三")
    b = add_item(store)
    assert (a.id, b.id) == ("HZ-001", "HZ-002")
    assert store.ledger("HZ").get_item("HZ-001") == a
    assert store.ledger("HZ").items() == [a, b]
    assert store.ledger("HZ").events("HZ-001") == [make_event("HZ-001", 1)]


def test_get_item_is_none_for_missing_malformed_or_other_units_ids(store: Store) -> None:
    add_item(store)
    add_item(store, unit="NB")
    hz = store.ledger("HZ")
    for item_id in ("HZ-002", "NB-001", "HZ-1", "HZ-0001", "garbage", ""):
        assert hz.get_item(item_id) is None, item_id
    assert hz.events("NB-001") == []


def test_items_are_in_numeric_order_beyond_999(store: Store) -> None:
    with store.ledger("HZ").transaction() as tx:
        for item_id in ("HZ-1000", "HZ-999", "HZ-010", "HZ-002"):
            tx.put(make_item(item_id))
    ids = [i.id for i in store.ledger("HZ").items()]
    assert ids == ["HZ-002", "HZ-010", "HZ-999", "HZ-1000"]
    assert store.ledger("HZ").next_item_id == "HZ-1001"  # the counter moved past HZ-1000


def test_allocated_ids_are_never_reused(store: Store) -> None:
    ledger = store.ledger("HZ")
    assert ledger.allocate_item_id() == "HZ-001"  # allocated, no item written
    assert add_item(store).id == "HZ-002"
    with ledger.transaction() as tx:
        assert tx.new_item_seq() == 3
        assert tx.new_item_id() == "HZ-004"
    assert ledger.next_item_id == "HZ-005"


def test_failed_transaction_consumes_nothing(store: Store) -> None:
    ledger = store.ledger("HZ")
    add_item(store)
    with pytest.raises(RuntimeError), ledger.transaction() as tx:
        new_id = tx.new_item_id()
        tx.put(make_item(new_id))
        tx.put(replace(make_item("HZ-001"), problem="changed"))
        raise RuntimeError("handler failed")
    assert [i.id for i in ledger.items()] == ["HZ-001"]
    assert ledger.get_item("HZ-001") == make_item("HZ-001")
    assert ledger.next_item_id == "HZ-002"


def test_transaction_reads_see_staged_changes(store: Store) -> None:
    add_item(store)
    ledger = store.ledger("HZ")
    with ledger.transaction() as tx:
        changed = replace(make_item("HZ-001"), problem="改")
        tx.put(changed)
        assert tx.get_item("HZ-001") == changed
        assert ledger.get_item("HZ-001") == make_item("HZ-001")  # not committed yet
        assert tx.next_event_seq("HZ-001") == 2
        tx.append(make_event("HZ-001", 2))
        assert tx.next_event_seq("HZ-001") == 3
        assert [e.seq for e in tx.events("HZ-001")] == [1, 2]
        new_id = tx.new_item_id()
        tx.put(make_item(new_id))
        assert [i.id for i in tx.items()] == ["HZ-001", "HZ-002"]
    assert ledger.get_item("HZ-001") == changed
    assert [e.seq for e in ledger.events("HZ-001")] == [1, 2]


def test_event_numbering_is_enforced(store: Store) -> None:
    add_item(store)
    with store.ledger("HZ").transaction() as tx:
        with pytest.raises(EventOutOfOrder):
            tx.append(make_event("HZ-001", 1))  # HZ-001 already has event 1
        with pytest.raises(EventOutOfOrder):
            tx.append(make_event("HZ-001", 3))
        with pytest.raises(ValueError, match="not in ledger"):
            tx.append(make_event("HZ-009", 1))
        tx.append(make_event("HZ-001", 2))
    assert [e.seq for e in store.ledger("HZ").events("HZ-001")] == [1, 2]


def test_put_refuses_another_units_item_and_naive_datetimes(store: Store) -> None:
    with store.ledger("HZ").transaction() as tx:
        with pytest.raises(ValueError, match="not in ledger HZ"):
            tx.put(make_item("NB-001"))
        with pytest.raises(ValueError, match="not in ledger HZ"):
            tx.put(replace(make_item("HZ-001"), unit="NB"))
        with pytest.raises(InvalidValue):
            tx.put(make_item("HZ-001", t=datetime(2026, 5, 1)))  # noqa: DTZ001 - on purpose
    assert store.ledger("HZ").items() == []


def test_nested_transaction_on_one_ledger_is_refused(store: Store) -> None:
    ledger = store.ledger("HZ")
    with ledger.transaction(), pytest.raises(StorageError, match="nested"):
        ledger.allocate_item_id()
    with ledger.transaction(), store.ledger("NB").transaction() as other:  # other ledgers: fine
        other.new_item_id()
    assert store.ledger("NB").next_item_id == "NB-002"


def test_transaction_is_unusable_after_its_block(store: Store) -> None:
    with store.ledger("HZ").transaction() as tx:
        pass
    with pytest.raises(StorageError, match="over"):
        tx.new_item_id()


def test_event_data_returned_is_a_copy(store: Store) -> None:
    with store.ledger("HZ").transaction() as tx:
        tx.put(make_item("HZ-001"))
        tx.append(make_event("HZ-001", 1, files=["a"], nested={"k": [1]}))
    event = store.ledger("HZ").events("HZ-001")[0]
    event.data["files"].append("b")
    event.data["nested"]["k"].append(2)
    assert store.ledger("HZ").events("HZ-001")[0].data == {"files": ["a"], "nested": {"k": [1]}}


def test_event_data_is_stored_as_json_reads_it_back(store: Store) -> None:
    with store.ledger("HZ").transaction() as tx:
        tx.put(make_item("HZ-001"))
        tx.append(make_event("HZ-001", 1, pair=(1, 2), when=T0))
    assert store.ledger("HZ").events("HZ-001")[0].data == {
        "pair": [1, 2],
        "when": T0.isoformat(),
    }


def test_one_write_per_transaction_in_memory() -> None:
    store = Store.memory()
    ledger = store.add_unit(Unit("HZ", "杭州"))
    storage = ledger._storage
    assert isinstance(storage, MemoryDocumentStorage)
    before = storage.writes
    with ledger.transaction() as tx:
        for _ in range(3):
            item = make_item(tx.new_item_id())
            tx.put(item)
            tx.append(make_event(item.id, 1))
    assert storage.writes == before + 1
    with ledger.transaction():
        pass  # nothing staged: nothing written
    assert storage.writes == before + 1


def test_one_write_per_transaction_on_disk(data_dir: Path, recorder: Recorder) -> None:
    with Store.open(data_dir, file_ops=recorder.ops()) as store:
        store.add_unit(Unit("HZ", "杭州"))
        recorder.calls.clear()
        with store.ledger("HZ").transaction() as tx:
            for _ in range(3):
                item = make_item(tx.new_item_id())
                tx.put(item)
                tx.append(make_event(item.id, 1))
        replaces = [c for c in recorder.calls if c[0] == "replace"]
        assert len(replaces) == 1
        assert replaces[0][1].endswith(str(data_dir / "ledgers" / "HZ.json"))


def test_everything_survives_a_reopen(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        note = ProgressNote(at=T0, by=11, text="已制定方案")
        item = add_item(store, progress=(note,))
        store.ledger("HZ").allocate_item_id()  # HZ-002 reserved, never written
    with Store.open(data_dir) as store:
        ledger = store.ledger("HZ")
        assert ledger.items() == [item]
        assert ledger.events(item.id) == [make_event(item.id, 1)]
        assert ledger.get_item(item.id).progress[0].at.utcoffset() == TZ.utcoffset(T0)  # type: ignore[union-attr]
        assert ledger.allocate_item_id() == "HZ-003"


def test_read_only_store_sees_data_and_refuses_writes(data_dir: Path) -> None:
    with Store.open(data_dir) as owner:
        owner.add_unit(Unit("HZ", "杭州"))
        add_item(owner)
        reader = Store.open(data_dir, lock=False)  # while the owner runs
        assert [i.id for i in reader.ledger("HZ").items()] == ["HZ-001"]
        with pytest.raises(ReadOnlyStore):
            reader.ledger("HZ").allocate_item_id()
        with pytest.raises(ReadOnlyStore):
            reader.add_unit(Unit("SH", "上海"))
        with pytest.raises(ReadOnlyStore):
            reader.registry.set_meta("k", 1)
        reader.close()


def test_read_only_open_of_a_missing_dir_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "nothing", lock=False) as store:
        assert store.registry.list_units() == []
    assert not (tmp_path / "nothing").exists()


def test_closed_store_refuses_writes(store: Store) -> None:
    ledger = store.ledger("HZ")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosed):
        ledger.allocate_item_id()
    with pytest.raises(StoreClosed):
        store.registry.set_meta("k", 1)


def test_storages_in_use_are_the_safe_ones(data_dir: Path) -> None:
    """R4: the real store writes through SafeJSONStorage only, and no middleware wraps it."""
    with Store.open(data_dir) as store:
        ledger = store.add_unit(Unit("HZ", "杭州"))
        assert type(ledger._storage) is SafeJSONStorage
        assert type(store.registry._storage) is SafeJSONStorage


async def test_async_facade_runs_off_the_event_loop(store: Store) -> None:
    import threading

    loop_thread = threading.get_ident()
    seen: list[int] = []

    def write() -> str:
        seen.append(threading.get_ident())
        return add_item(store).id

    assert await store.run(write) == "HZ-001"
    assert seen and seen[0] != loop_thread
    item = await store.run(store.ledger("HZ").get_item, "HZ-001")
    assert item is not None and item.id == "HZ-001"


def test_events_newest_first_is_the_history_reversed_and_read_lazily(store: Store) -> None:
    add_item(store)
    with store.ledger("HZ").transaction() as tx:
        tx.append(make_event("HZ-001", 2))
        tx.append(make_event("HZ-001", 3))
    ledger = store.ledger("HZ")
    assert list(ledger.events_newest_first("HZ-001")) == ledger.events("HZ-001")[::-1]
    assert next(ledger.events_newest_first("HZ-001")).seq == 3
    assert list(ledger.events_newest_first("HZ-999")) == []
