"""Verified stamps (storage.stamps) and ledgers parsed on demand (storage.repo._Resident).

A start trusts a ledger without decoding it only when the file's bytes are the ones last
verified; anything else — an edit in place with the size and mtime put back, a write whose
stamp a crash never saved, a change while the bot runs — is checked record by record, so R3
(a damaged file stops the start, quarantined) and R29 (a damaged record sets that ledger aside
read-only) hold as without stamps. Memory is bounded by dropping parsed ledgers; what was
derived from them stays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import storage.repo as repo
from ledger.model import Item, Status, Unit
from storage import CorruptFile, Store
from storage.errors import DamagedLedger
from storage.stamps import VerifiedStamps
from tests.storage.storage_helpers import add_item

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("HZ", "NB", "WZ")
# A record made invalid without changing the file's size: an unknown status.
GOOD, BAD = b'"status": "open"', b'"status": "opeX"'


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Three units with two items each, closed cleanly (so every ledger is stamped)."""
    data = tmp_path / "data"
    with Store.open(data) as store:
        for code in UNITS:
            store.add_unit(Unit(code, f"{code}局"))
            add_item(store, code)
            add_item(store, code)
    return data


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The item ids decoded record by record (what ``Ledger.verify`` and reads decode)."""
    seen: list[str] = []
    real = repo.item_from_dict

    def counting(raw: dict[str, Any]) -> Item:
        seen.append(str(raw.get("id")))
        return real(raw)

    monkeypatch.setattr(repo, "item_from_dict", counting)
    yield seen


def _edit_in_place(path: Path, old: bytes, new: bytes) -> None:
    """Overwrite bytes inside the file (same inode, same size) and put its mtime back."""
    assert len(old) == len(new)
    before = path.stat()
    raw = path.read_bytes()
    offset = raw.index(old)
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(new)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def test_an_unchanged_ledger_is_trusted_without_decoding_a_record(
    data_dir: Path, decoded: list[str]
) -> None:
    stamps = VerifiedStamps.load(data_dir / "verified.json")
    assert all(stamps.get(code) is not None for code in UNITS)
    with Store.open(data_dir) as store:
        assert decoded == [], "a stamped ledger is not decoded at open"
        assert store.resident() == [], "nor parsed"
        assert store.damaged() == {}
        # Parsed on first use, and right.
        assert [i.id for i in store.ledger("NB").items()] == ["NB-001", "NB-002"]
        assert store.resident() == ["NB"]
    assert sorted(decoded) == ["NB-001", "NB-002"]


def test_a_stamp_survives_a_clean_run_that_wrote(data_dir: Path, decoded: list[str]) -> None:
    """The bytes a run commits are stamped at close: the next start decodes nothing."""
    with Store.open(data_dir) as store:
        add_item(store, "WZ")
    decoded.clear()
    with Store.open(data_dir) as store:
        assert decoded == []
        assert len(store.ledger("WZ")) == 3


def test_a_ledger_edited_in_place_with_its_size_and_mtime_kept_is_checked_and_set_aside(
    data_dir: Path, decoded: list[str]
) -> None:
    """R29 with stamps: the damage is found at open, the ledger is read-only, the others are
    trusted, and a copy is quarantined."""
    path = data_dir / "ledgers" / "NB.json"
    _edit_in_place(path, GOOD, BAD)
    before = path.read_bytes()
    with Store.open(data_dir) as store:
        assert set(decoded) == {"NB-001", "NB-002"}, "only the changed ledger is decoded"
        damage = store.damaged()["NB"]
        assert isinstance(damage, CorruptFile) and "item record 1" in damage.reason
        assert store.ledger("NB").get_item("NB-001") is None
        assert store.ledger("NB").get_item("NB-002") is not None
        with pytest.raises(DamagedLedger):
            add_item(store, "NB")
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001", "HZ-002"]
    copies = list((data_dir / "quarantine").iterdir())
    assert [c.read_bytes() for c in copies] == [before]
    assert path.read_bytes() == before, "never overwritten"
    # Still not trusted next time (its stamp was dropped, not renewed).
    decoded.clear()
    with Store.open(data_dir) as store:
        assert "NB" in store.damaged()


def test_a_ledger_garbled_in_place_with_its_size_and_mtime_kept_stops_the_start(
    data_dir: Path,
) -> None:
    """R3 with stamps: a file that no longer parses is never trusted on its stamp."""
    path = data_dir / "ledgers" / "HZ.json"
    _edit_in_place(path, b'{"_meta"', b'{"_meta,')
    with pytest.raises(CorruptFile, match="not valid JSON") as err:
        Store.open(data_dir)
    assert err.value.path == path
    assert err.value.quarantined is not None and err.value.quarantined.is_file()


def test_a_write_whose_stamp_a_crash_never_saved_is_checked_at_the_next_start(
    data_dir: Path, decoded: list[str]
) -> None:
    """A run writes a ledger and is killed before its clean close: the stamp still names the
    old bytes, so the next start checks that ledger (and finds damage made since), never
    trusting it on a stale stamp; the ledgers the run did not write are trusted."""
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from storage import Store
        from tests.storage.storage_helpers import add_item
        store = Store.open({str(data_dir)!r})
        add_item(store, "HZ")
        os._exit(9)  # killed: no close, so no stamp of the new bytes
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == 9
    path = data_dir / "ledgers" / "HZ.json"
    stamp = VerifiedStamps.load(data_dir / "verified.json").get("HZ")
    assert stamp is not None and stamp[0] != path.stat().st_size, "the stamp is the old one"
    with Store.open(data_dir) as store:
        assert sorted(decoded) == ["HZ-001", "HZ-002", "HZ-003"]
        assert store.damaged() == {}
    # The check stamped the new bytes; damage made after that is found all the same.
    _edit_in_place(path, GOOD, BAD)
    decoded.clear()
    with Store.open(data_dir) as store:
        assert "HZ" in store.damaged()
        assert set(decoded) == {"HZ-001", "HZ-002", "HZ-003"}


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[]", json.dumps({"kind": "verified-ledgers"}).encode()]
)
def test_an_unusable_stamp_file_means_every_ledger_is_checked(
    data_dir: Path, decoded: list[str], content: bytes
) -> None:
    (data_dir / "verified.json").write_bytes(content)
    with Store.open(data_dir) as store:
        assert len(decoded) == 6
        assert store.damaged() == {}
    assert VerifiedStamps.load(data_dir / "verified.json").get("HZ") is not None


def test_the_read_only_opener_trusts_stamps_but_writes_none(
    data_dir: Path, decoded: list[str]
) -> None:
    (data_dir / "verified.json").unlink()
    with Store.open(data_dir, lock=False) as store:
        assert len(decoded) == 6 and store.damaged() == {}
    assert not (data_dir / "verified.json").exists()


def test_parsed_ledgers_are_bounded_and_dropped_ones_read_back_whole(data_dir: Path) -> None:
    """At most ``resident_bytes`` of ledger files stay parsed; a dropped ledger is parsed
    again on its next read, its memo of derived data kept, and writes go on."""
    size = (data_dir / "ledgers" / "HZ.json").stat().st_size
    computed: list[str] = []

    def count(code: str) -> Callable[[list[Item]], int]:
        def compute(items: list[Item]) -> int:
            computed.append(code)
            return len(items)

        return compute

    with Store.open(data_dir, resident_bytes=size * 2 + size // 2) as store:
        token = store.ledger("HZ").version()
        for code in UNITS:
            assert store.ledger(code).derived("n", count(code)) == 2
        assert store.resident() == ["NB", "WZ"], "HZ, the least recently read, was dropped"
        assert not store.ledger("HZ")._storage.cached
        # Its memo and version outlived the document: no parse, no recompute.
        assert store.ledger("HZ").derived("n", count("HZ")) == 2
        assert store.ledger("HZ").version() is token
        assert computed == list(UNITS) and store.resident() == ["NB", "WZ"]
        # A write to a dropped ledger reads it back first and loses nothing.
        add_item(store, "HZ")
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001", "HZ-002", "HZ-003"]
        assert store.ledger("HZ").derived("n", count("HZ")) == 3, "a commit starts a new memo"
        assert store.ledger("HZ").version() is not token
        assert store.ledger("HZ").events("HZ-003")[0].seq == 1
        assert store.resident() == ["WZ", "HZ"]
    with Store.open(data_dir) as store:
        assert len(store.ledger("HZ")) == 3


def test_a_dropped_ledger_changed_under_the_bot_is_checked_when_read_again(
    data_dir: Path,
) -> None:
    """R29 and R31 while running: the file changed behind the bot's back after its document
    was dropped is not taken on trust — its damaged record is found, the ledger set aside
    read-only and the file never overwritten."""
    size = (data_dir / "ledgers" / "HZ.json").stat().st_size
    with Store.open(data_dir, resident_bytes=size) as store:
        assert len(store.ledger("NB").items()) == 2
        assert len(store.ledger("HZ").items()) == 2  # NB dropped
        assert not store.ledger("NB")._storage.cached
        path = data_dir / "ledgers" / "NB.json"
        _edit_in_place(path, GOOD, BAD)
        before = path.read_bytes()
        assert [i.id for i in store.ledger("NB").items()] == ["NB-002"]
        assert "item record 1" in store.damaged()["NB"].reason
        with pytest.raises(DamagedLedger):
            add_item(store, "NB")
    assert path.read_bytes() == before
    assert len(list((data_dir / "quarantine").iterdir())) == 1


def test_an_item_status_change_in_a_dropped_ledger_is_what_reads_see(data_dir: Path) -> None:
    """A dropped ledger's reread is the committed state, not an older one."""
    size = (data_dir / "ledgers" / "HZ.json").stat().st_size
    with Store.open(data_dir, resident_bytes=size) as store:
        ledger = store.ledger("HZ")
        item = ledger.items()[0]
        with ledger.transaction() as tx:
            tx.put(replace(item, status=Status.IN_PROGRESS))
        assert len(store.ledger("NB").items()) == 2  # HZ dropped
        assert not ledger._storage.cached
        assert ledger.get_item(item.id).status is Status.IN_PROGRESS  # type: ignore[union-attr]


def test_a_running_bot_saves_its_stamps_so_a_kill_leaves_little_to_check(
    data_dir: Path, decoded: list[str]
) -> None:
    """The stamps are saved while the bot runs (every ``stamp_seconds``): a run killed after
    that leaves its written ledgers trusted, not all checked again."""
    script = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from storage import Store
        from storage.stamps import VerifiedStamps
        from tests.storage.storage_helpers import add_item
        store = Store.open({str(data_dir)!r}, stamp_seconds=0.02)
        add_item(store, "HZ")
        written = store.ledger("HZ").verified
        deadline = time.monotonic() + 30
        path = store.layout.verified
        while VerifiedStamps.load(path).get("HZ") != written and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(9 if VerifiedStamps.load(path).get("HZ") == written else 1)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == 9, "the saver never stamped the written ledger"
    with Store.open(data_dir) as store:
        assert decoded == [], "the ledger the killed run wrote is trusted on its saved stamp"
        assert len(store.ledger("HZ")) == 3


def test_save_stamps_writes_only_when_a_stamp_changed(data_dir: Path) -> None:
    with Store.open(data_dir, stamp_seconds=0) as store:
        assert store.save_stamps() is False
        add_item(store, "NB")
        assert store.save_stamps() is True
        assert VerifiedStamps.load(data_dir / "verified.json").get("NB") == (
            store.ledger("NB").verified
        )
        assert store.save_stamps() is False
