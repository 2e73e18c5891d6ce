"""R2: a write is durable before it is acknowledged — temp file in the same directory, write,
fsync, close, os.replace, fsync of the directory — and a failure on the way leaves the old
file whole. Also: the incremental encoder writes exactly what json.dumps would, and stock
TinyDB can open our files."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import TinyDB

from ledger.model import Unit
from storage import AlertRecord, Store, safe
from storage.safe import (
    FileOps,
    FragmentSerializer,
    SafeJSONStorage,
    atomic_write,
    is_temp_file,
    new_document,
    serialize,
)
from tests.storage.storage_helpers import Recorder, add_item, make_event


def _names(recorder: Recorder, target: Path) -> list[str]:
    """The recorded calls, with paths abstracted to tmp / target / dir."""
    out = []
    for call, where in recorder.calls:
        if call == "replace":
            src, dst = where.split(" -> ")
            assert Path(src).parent == target.parent, "temp file must be in the same directory"
            assert is_temp_file(Path(src))
            assert dst == str(target)
            out.append("replace(tmp->target)")
            continue
        kind = (
            "dir" if where == str(target.parent) else "tmp" if is_temp_file(Path(where)) else where
        )
        out.append(f"{call}({kind})")
    return out


def test_call_order(tmp_path: Path, recorder: Recorder) -> None:
    target = tmp_path / "x.json"
    atomic_write(target, b'{"a": 1}', recorder.ops())
    assert _names(recorder, target) == [
        "open(tmp)",
        "write(tmp)",
        "fsync(tmp)",
        "close(tmp)",
        "replace(tmp->target)",
        "open(dir)",
        "fsync(dir)",
        "close(dir)",
    ]
    assert target.read_bytes() == b'{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_partial_writes_are_completed(tmp_path: Path) -> None:
    def dribble(fd: int, data: bytes) -> int:
        return os.write(fd, data[:3])  # the kernel may accept less than asked

    target = tmp_path / "x.json"
    atomic_write(target, b"0123456789" * 5, FileOps(write=dribble))
    assert target.read_bytes() == b"0123456789" * 5


@pytest.mark.parametrize("failing", ["write", "fsync", "close", "replace"])
def test_failure_before_the_rename_leaves_the_old_file(
    tmp_path: Path, recorder: Recorder, failing: str
) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    recorder.fail[failing] = OSError(28, "No space left on device")
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, b"new", recorder.ops())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # temp file removed
    assert ("replace" in [c for c, _ in recorder.calls]) == (failing == "replace")


def test_store_write_path_is_the_durable_one(tmp_path: Path, recorder: Recorder) -> None:
    """The ledger write of a real transaction makes the R2 calls, in order."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir, file_ops=recorder.ops()) as store:
        store.add_unit(Unit("HZ", "杭州"))
        recorder.calls.clear()
        add_item(store)
        # Durable when the call returns (close then saves the verified stamps, storage.stamps).
        target = data_dir / "ledgers" / "HZ.json"
        assert _names(recorder, target) == [
            "open(tmp)",
            "writev(tmp)",  # the encoded pieces, not joined (FragmentSerializer)
            "fsync(tmp)",
            "close(tmp)",
            "replace(tmp->target)",
            "open(dir)",
            "fsync(dir)",
            "close(dir)",
        ]


def test_alert_log_write_path_is_the_durable_one(tmp_path: Path, recorder: Recorder) -> None:
    """An alert-log write appends to alerts.jsonl and fsyncs it before returning (the first
    one creates the journal through the R2 sequence); it touches nothing else — not
    registry.json, and not alerts.json, which only a compaction rewrites (R33)."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir, file_ops=recorder.ops()) as store:
        recorder.calls.clear()
        store.registry.put_alerts([AlertRecord("k1", "pending"), AlertRecord("k2", "pending")])
        assert store.registry.swap_alert("k1", "pending", AlertRecord("k1", "sending"))
        calls = _names(recorder, data_dir / "alerts.jsonl")
    target = str(data_dir / "alerts.jsonl")
    assert [c.replace(target, "target") for c in calls] == [
        "open(tmp)",
        "write(tmp)",
        "fsync(tmp)",
        "close(tmp)",
        "replace(tmp->target)",
        "open(dir)",
        "fsync(dir)",
        "close(dir)",
        "open(target)",
        "write(target)",
        "fsync(target)",
        "close(target)",
    ]


def test_failed_directory_fsync_is_not_acknowledged_and_the_cache_rereads(
    tmp_path: Path,
) -> None:
    """The rename happened but is not known durable: the write raises, and the storage
    re-reads the file (the only truth) instead of trusting its cache."""
    path = tmp_path / "l.json"
    storage = SafeJSONStorage(path, kind="ledger")
    storage.write(new_document("ledger", n=1))
    fsyncs = 0

    def fsync(fd: int) -> None:
        nonlocal fsyncs
        fsyncs += 1
        if fsyncs == 2:  # the first is the temp file's, the second the directory's
            raise OSError(5, "I/O error")
        os.fsync(fd)

    storage.file_ops = FileOps(fsync=fsync)
    with pytest.raises(OSError, match="I/O"):
        storage.write(new_document("ledger", n=2))
    assert not storage.cached
    assert storage.read() == new_document("ledger", n=2)


def test_write_refuses_documents_it_could_not_read_back(tmp_path: Path) -> None:
    storage = SafeJSONStorage(tmp_path / "l.json", kind="ledger", copy_on_write=True)
    with pytest.raises(ValueError, match="schema"):
        storage.write({"_meta": {"1": {"schema": 99, "kind": "ledger"}}})
    with pytest.raises(ValueError, match="non-numeric"):
        storage.write({**new_document("ledger"), "items": {"x": {}}})
    assert not (tmp_path / "l.json").exists()


def test_stock_tinydb_opens_our_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    db = TinyDB(data_dir / "ledgers" / "HZ.json", storage=SafeJSONStorage, kind="ledger")
    assert [doc["id"] for doc in db.table("items").all()] == ["HZ-001"]
    # and TinyDB's own writes through our storage stay readable
    db.table("notes").insert({"text": "ad hoc"})
    db.close()
    again = SafeJSONStorage(data_dir / "ledgers" / "HZ.json", kind="ledger").read()
    assert again is not None and again["notes"] == {"1": {"text": "ad hoc"}}


# ------------------------------------------------------------------ incremental encoder

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_records = st.dictionaries(
    st.integers(0, 30).map(str),
    st.dictionaries(st.text(max_size=4), _json, max_size=3),
    max_size=6,
)
_docs = st.dictionaries(st.sampled_from(["_meta", "items", "events", "x"]), _records, max_size=4)


@settings(max_examples=150, deadline=None)
@given(first=_docs, second=_docs)
def test_fragment_encoder_equals_json_dumps(first: dict[str, Any], second: dict[str, Any]) -> None:
    enc = FragmentSerializer()
    payload = b"".join(enc.encode(first))
    assert payload == serialize(first)
    enc.commit()
    # copy-on-write successor: some records shared with ``first``, others new
    merged = {t: {**first.get(t, {}), **recs} for t, recs in second.items()}
    payload = b"".join(enc.encode(merged))
    assert payload == serialize(merged)
    assert json.loads(payload) == merged


@settings(max_examples=150, deadline=None)
@given(first=_docs, second=_docs)
def test_fragment_encoder_with_the_changed_records_named_equals_json_dumps(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    """A writer naming what it added or replaced (``changed``, as a ledger transaction does)
    gets the same bytes as a full encoding; a ``changed`` that does not add up (a record
    removed, an id not in the table) falls back to the full way instead of writing a wrong
    file."""
    for chunk in (2, safe.CHUNK):  # records per joined chunk: boundaries crossed, or not
        with patch.object(safe, "CHUNK", chunk):
            enc = FragmentSerializer()
            b"".join(enc.encode(first))
            enc.commit()
            merged = {t: {**first.get(t, {}), **recs} for t, recs in second.items()}
            changed = {t: list(recs) for t, recs in second.items()}
            assert b"".join(enc.encode(merged, changed)) == serialize(merged)
            enc.commit()
            shrunk = {t: dict(list(recs.items())[1:]) for t, recs in merged.items()}
            assert b"".join(enc.encode(shrunk, {t: [] for t in shrunk})) == serialize(shrunk)
            assert b"".join(enc.encode(merged, {t: ["999"] for t in merged})) == serialize(merged)


@settings(max_examples=100, deadline=None)
@given(first=_docs, second=_docs, third=_docs)
def test_an_encoding_whose_write_failed_teaches_the_encoder_nothing(
    first: dict[str, Any], second: dict[str, Any], third: dict[str, Any]
) -> None:
    """The encoder updates its cache as it encodes; a write that then fails (no ``commit``)
    must not leave it describing a file that was never written: the next writer's
    ``changed`` is relative to the last committed document, and its bytes are still exactly
    ``json.dumps``."""
    with patch.object(safe, "CHUNK", 2):
        enc = FragmentSerializer()
        enc.encode(first)
        enc.commit()
        failed = {t: {**first.get(t, {}), **recs} for t, recs in second.items()}
        enc.encode(failed, {t: list(recs) for t, recs in second.items()})  # never committed
        after = {t: {**first.get(t, {}), **recs} for t, recs in third.items()}
        changed = {t: list(recs) for t, recs in third.items()}
        assert b"".join(enc.encode(after, changed)) == serialize(after)


def test_pieces_are_written_whole_in_batches_of_iov_max_also_when_the_kernel_takes_less(
    tmp_path: Path,
) -> None:
    """``atomic_write`` of pieces: ``writev`` at most ``IOV_MAX`` buffers at a time, each call
    possibly writing only part of what it was given (mid-piece, too); the file is the
    concatenation, byte for byte."""
    calls: list[int] = []

    def dribble(fd: int, buffers: Sequence[bytes | memoryview]) -> int:
        calls.append(len(buffers))
        return os.write(fd, b"".join(buffers)[:7])  # a prefix, as the kernel would take

    pieces = [b"{", b"", *[f'"{n}": "{"x" * n}", '.encode() for n in range(40)], b"}"]
    target = tmp_path / "x.json"
    with patch.object(safe, "IOV_MAX", 4):
        atomic_write(target, pieces, FileOps(writev=dribble))
    assert target.read_bytes() == b"".join(pieces)
    assert max(calls) == 4


def test_ledger_writes_encode_only_what_changed_and_the_file_is_what_a_full_encode_gives(
    tmp_path: Path,
) -> None:
    """Many transactions (new items, replaced items, events): after each the file holds
    exactly ``json.dumps`` of the committed document, and a reopen reads the same items."""
    with Store.open(tmp_path) as store:
        store.add_unit(Unit("HZ", "杭州"))
        for n in range(12):
            add_item(store, "HZ")
            if n % 3 == 0:
                add_item(store, "HZ")
            if n % 2 == 1:  # replace an earlier item and append to its history
                with store.ledger("HZ").transaction() as tx:
                    old = tx.get_item("HZ-001")
                    assert old is not None
                    tx.put(dataclasses.replace(old, problem=f"改{n}"))
                    tx.append(make_event("HZ-001", tx.next_event_seq("HZ-001")))
            storage = store.ledger("HZ")._storage
            doc = storage.read()
            assert doc is not None
            assert (tmp_path / "ledgers" / "HZ.json").read_bytes() == serialize(doc)
        items = store.ledger("HZ").items()
    with Store.open(tmp_path) as store:
        assert store.ledger("HZ").items() == items


def _write_large(path: str) -> None:
    storage = SafeJSONStorage(path, kind="ledger", copy_on_write=True)
    big = {"items": {str(n): {"text": "整" * 200} for n in range(1, 600)}}
    storage.write({**new_document("ledger"), **big})


def test_a_large_write_in_a_forked_child_takes_its_fingerprint_on_its_own_thread(
    tmp_path: Path,
) -> None:
    """A file over ``PRINT_INLINE`` is fingerprinted on the helper thread; a child forked
    after the parent started that thread gets its own (the parent's does not exist in the
    child: the write would wait for it forever)."""
    _write_large(str(tmp_path / "parent.json"))  # the parent's helper thread now runs
    assert (tmp_path / "parent.json").stat().st_size > safe.PRINT_INLINE
    child = multiprocessing.get_context("fork").Process(
        target=_write_large, args=(str(tmp_path / "child.json"),)
    )
    child.start()
    child.join(30)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert (tmp_path / "child.json").read_bytes() == (tmp_path / "parent.json").read_bytes()
