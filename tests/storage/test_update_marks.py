"""Update de-duplication marks live in their own journal (issue 14, R18, R33): remembering an
update appends one line, never rewrites registry.json, stays bounded, survives a torn write
and refuses a damaged file."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
from pathlib import Path

import pytest

from ledger.model import Person, Role
from storage import AlertRecord, CorruptFile, Store
from storage.journal import Journal
from storage.marks import COMPACT_AT, KEEP, KIND, SCHEMA, UpdateMarks
from storage.safe import FileOps, is_temp_file
from tests.storage.storage_helpers import HZ, Recorder, add_item


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_mark_appends_one_line_and_leaves_the_registry_untouched(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        registry = (root / "registry.json").stat().st_mtime_ns, _sha(root / "registry.json")
        for n in range(3):
            assert not store.update_marks.check_and_remember(f"{n}:{n:016x}")
            store.update_marks.persist(f"{n}:{n:016x}")
        assert store.update_marks.check_and_remember("1:0000000000000001")
    assert ((root / "registry.json").stat().st_mtime_ns, _sha(root / "registry.json")) == registry
    lines = (root / "updates.jsonl").read_text("utf-8").splitlines()
    assert lines[1:] == [f'"{n}:{n:016x}"' for n in range(3)]


def test_marks_are_remembered_across_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.update_marks.check_and_remember("7:abc")
        store.update_marks.persist("7:abc")
    with Store.open(root) as store:
        assert store.update_marks.check_and_remember("7:abc")


def test_the_journal_stays_bounded_and_keeps_the_newest_marks(tmp_path: Path) -> None:
    root = tmp_path / "data"
    total = 3 * COMPACT_AT
    with Store.open(root) as store:
        for n in range(total):
            store.update_marks.check_and_remember(f"{n}:k")
            store.update_marks.persist(f"{n}:k")
        assert store.update_marks.journal.lines <= COMPACT_AT
    lines = (root / "updates.jsonl").read_text("utf-8").splitlines()
    assert len(lines) - 1 <= COMPACT_AT
    with Store.open(root) as store:
        assert store.update_marks.keys() == [f"{n}:k" for n in range(total - KEEP, total)]


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_mark(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.update_marks.check_and_remember("1:a")
        store.update_marks.persist("1:a")
    with (root / "updates.jsonl").open("ab") as f:
        f.write(b'"2:b')  # killed mid-append: never acknowledged
    with Store.open(root) as store:
        assert store.update_marks.keys() == ["1:a"]
        store.update_marks.check_and_remember("3:c")
        store.update_marks.persist("3:c")
    with Store.open(root) as store:
        assert store.update_marks.keys() == ["1:a", "3:c"]


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b'{"kind": "update-marks", "schema": 9}\n',
        b'{"kind":"update-marks","schema":1}\n"1:a"\n{oops\n"2:b"\n',
    ],
    ids=["empty", "unknown-version", "bad-line"],
)
def test_a_damaged_journal_stops_the_start_and_is_never_overwritten(
    tmp_path: Path, damage: bytes
) -> None:
    root = tmp_path / "data"
    Store.open(root).close()
    path = root / "updates.jsonl"
    path.write_bytes(damage)
    with pytest.raises(CorruptFile, match="updates.jsonl"):
        Store.open(root)
    assert path.read_bytes() == damage
    assert any(p.name.startswith("updates.jsonl") for p in (root / "quarantine").iterdir())


def test_marks_kept_in_the_registry_by_older_builds_are_carried_over(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.registry.set_meta("dedupe.updates", ["1:ab", "2:cd"])
    assert not (root / "updates.jsonl").exists()  # nothing remembered yet
    with Store.open(root) as store:
        assert store.update_marks.keys() == ["1:ab", "2:cd"]
    with Store.open(root) as store:
        assert store.update_marks.check_and_remember("2:cd")


def test_check_names_a_damaged_marks_journal(tmp_path: Path) -> None:
    from storage import check

    root = tmp_path / "data"
    Store.open(root).close()
    (root / "updates.jsonl").write_bytes(b"garbage\n")
    report = check(root)
    assert not report.ok
    assert [p.file for p in report.problems] == ["updates.jsonl"]


# --------------------------------------------------------------------------- quick marks


def _journal(path: Path, fsyncs: list[int] | None = None) -> Journal:
    def fsync(fd: int) -> None:
        if fsyncs is not None:
            fsyncs.append(fd)
        os.fsync(fd)

    return Journal(path, kind=KIND, schema=SCHEMA, file_ops=FileOps(fsync=fsync))


def test_a_quick_mark_is_in_the_file_at_once_and_durable_after_sync(tmp_path: Path) -> None:
    path = tmp_path / "updates.jsonl"
    fsyncs: list[int] = []
    marks = UpdateMarks(_journal(path, fsyncs))
    assert not marks.load()
    marks.check_and_remember("1:a")
    marks.persist("1:a")  # the first mark creates the journal, durably
    fsyncs.clear()
    assert not marks.check_and_remember("2:b")
    assert marks.write_now("2:b")
    assert fsyncs == []  # not waited for...
    assert path.read_text("utf-8").splitlines()[-1] == '"2:b"'  # ...but already in the file:
    after_a_kill = UpdateMarks(_journal(path))  # a bot killed now finds it at its restart
    assert after_a_kill.load() and "2:b" in after_a_kill
    marks.sync()
    assert len(fsyncs) == 1  # durable against a power cut too
    marks.sync()
    assert len(fsyncs) == 1  # nothing new written: nothing to fsync
    assert marks.write_now("3:c")
    marks.journal.close()  # closing the store syncs what is left
    assert len(fsyncs) == 2


def test_a_quick_mark_gives_way_to_a_persisted_one_when_it_would_have_to_wait(
    tmp_path: Path,
) -> None:
    path = tmp_path / "updates.jsonl"
    marks = UpdateMarks(_journal(path))
    assert not marks.load()
    assert not marks.write_now("1:a")  # no journal yet: creating it is a durable write
    marks.persist("1:a")
    with marks._lock:  # another write in progress (a persist on a worker thread)
        assert not marks.write_now("2:b")
    lines = marks.journal.lines
    marks.journal.lines = COMPACT_AT - 1  # a compaction is due: that is a durable rewrite
    assert not marks.write_now("2:b")
    marks.journal.lines = lines
    with path.open("ab") as fh:  # someone else appended (R31): persist merges, never we
        fh.write(b'"9:z"\n')
    assert not marks.write_now("2:b")
    assert path.read_text("utf-8").splitlines()[1:] == ['"1:a"', '"9:z"']
    marks.check_and_remember("2:b")
    marks.persist("2:b")
    assert {"1:a", "9:z", "2:b"} <= set(marks.keys())


def _commit_points(recorder: Recorder, root: Path) -> list[str]:
    """The recorded fsyncs of updates.jsonl and the commit points of every other file (a
    rename, an append's write), in order."""
    marks = str(root / "updates.jsonl")
    out = []
    for call, where in recorder.calls:
        if call == "fsync" and where == marks:
            out.append("marks fsync")
        elif call == "replace":
            out.append(f"rename to {Path(where.split(' -> ')[1]).name}")
        elif call in ("write", "writev") and where != marks and not is_temp_file(Path(where)):
            out.append(f"append to {Path(where).name}")
    return out


def test_no_write_of_recorded_state_commits_before_the_quick_marks_are_durable(
    tmp_path: Path, recorder: Recorder
) -> None:
    """The store's barrier (R18): a ledger, registry or alert-log write made after a quick
    mark (``write_now``, no fsync) fsyncs the marks just before its own commit point — the
    rename, or the alert journal's append — and a write with no mark pending adds no fsync."""
    root = tmp_path / "data"
    with Store.open(root, file_ops=recorder.ops()) as store:
        store.add_unit(HZ)
        marks = store.update_marks
        marks.check_and_remember("1:a")
        marks.persist("1:a")
        store.registry.put_alerts([AlertRecord("k0", "pending")])  # the journal exists now
        writes = {
            "HZ.json": lambda: add_item(store, "HZ"),
            "registry.json": lambda: store.registry.upsert_person(
                Person(7, "张三", Role.CONTACT, "HZ")
            ),
            "alerts.jsonl": lambda: store.registry.put_alerts([AlertRecord("k1", "pending")]),
        }
        for n, (name, write) in enumerate(writes.items(), start=2):
            assert marks.write_now(f"{n}:x")
            assert marks.unsynced
            recorder.calls.clear()
            write()
            commit = "append to" if name.endswith(".jsonl") else "rename to"
            assert _commit_points(recorder, root) == ["marks fsync", f"{commit} {name}"], name
            assert not marks.unsynced
            recorder.calls.clear()
            write()  # nothing pending: no fsync of the marks
            assert _commit_points(recorder, root) == [f"{commit} {name}"], name


def test_a_write_whose_marks_cannot_be_made_durable_changes_nothing(tmp_path: Path) -> None:
    """If the barrier's fsync of the marks fails, the write is refused before its rename: the
    ledger file is the old one, no temp file is left, and the next write (the disk back)
    goes through."""
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.add_unit(HZ)
        add_item(store, "HZ")
        marks = store.update_marks
        marks.check_and_remember("1:a")
        marks.persist("1:a")
        before = (root / "ledgers" / "HZ.json").read_bytes()
        healthy = marks.journal.file_ops

        def broken(fd: int) -> None:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

        marks.journal.file_ops = dataclasses.replace(healthy, fsync=broken)
        assert marks.write_now("2:b")
        with pytest.raises(OSError, match="Input/output error"):
            add_item(store, "HZ")
        assert (root / "ledgers" / "HZ.json").read_bytes() == before
        assert not any(is_temp_file(p) for p in (root / "ledgers").iterdir())
        assert len(store.ledger("HZ").items()) == 1
        marks.journal.file_ops = healthy
        add_item(store, "HZ")
        assert not marks.unsynced
        assert len(store.ledger("HZ").items()) == 2
