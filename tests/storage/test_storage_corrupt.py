"""R3: a 0-byte, unparseable or unknown-version file — a ledger, the registry or the alert
log — is never read as empty. Opening raises CorruptFile naming the file and what is wrong; the
file stays byte-for-byte as it was; the locked opener puts a copy in <data>/quarantine/;
nothing overwrites the original."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.model import Unit
from storage import CorruptFile, MissingFile, Store
from storage.errors import DamagedLedger
from storage.safe import SafeJSONStorage, new_document
from tests.storage.storage_helpers import add_item


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bump_version(raw: bytes) -> bytes:
    doc = json.loads(raw)
    doc["_meta"]["1"]["schema"] = 99
    return json.dumps(doc).encode()


def _drop_meta(raw: bytes) -> bytes:
    doc = json.loads(raw)
    del doc["_meta"]
    return json.dumps(doc).encode()


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "truncated to 0 bytes": (lambda raw: b"", "empty (0 bytes)"),
    "cut mid-write": (lambda raw: raw[: len(raw) // 2], "not valid JSON"),
    "garbled": (lambda raw: raw.replace(b'"', b"'", 3), "not valid JSON"),
    "binary junk": (lambda raw: b"\xff\xfe\x00junk", "not UTF-8"),
    "unknown version": (_bump_version, "unknown schema version 99"),
    "no version": (_drop_meta, "no schema version"),
    "a JSON list": (lambda raw: b"[]", "not an object"),
    "a table that is a list": (lambda raw: b'{"items": []}', "not an object"),
    "all zeros": (lambda raw: b"\x00" * len(raw), "not valid JSON"),
}


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        store.add_unit(Unit("NB", "宁波"))
        add_item(store)
    return data_dir


@pytest.mark.parametrize("target", ["ledgers/HZ.json", "registry.json", "alerts.json"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_file_refuses_to_open_and_is_quarantined(
    populated: Path, target: str, damage: str
) -> None:
    path = populated / target
    mutate, words = DAMAGE[damage]
    path.write_bytes(mutate(path.read_bytes()))
    before = _sha(path)

    with pytest.raises(CorruptFile) as err:
        Store.open(populated)
    assert err.value.path == path
    assert str(path) in str(err.value) and words in str(err.value)
    assert _sha(path) == before, "the damaged file must stay byte-for-byte untouched"
    copies = list((populated / "quarantine").iterdir())
    assert len(copies) == 1 and copies[0] == err.value.quarantined
    assert copies[0].name.startswith(path.name + ".")
    assert copies[0].read_bytes() == path.read_bytes()

    # Trying again changes nothing and piles up no copies; the lock was released each time.
    with pytest.raises(CorruptFile):
        Store.open(populated)
    assert _sha(path) == before
    assert len(list((populated / "quarantine").iterdir())) == 1


@pytest.mark.parametrize("target", ["ledgers/HZ.json", "alerts.json"])
def test_read_only_opener_reports_but_writes_nothing(populated: Path, target: str) -> None:
    path = populated / target
    path.write_bytes(b"")
    with pytest.raises(CorruptFile) as err:
        Store.open(populated, lock=False)
    assert err.value.quarantined is None
    assert not (populated / "quarantine").exists()
    assert path.read_bytes() == b""


def test_a_ledger_holding_another_units_data_is_corrupt(populated: Path) -> None:
    hz, nb = populated / "ledgers" / "HZ.json", populated / "ledgers" / "NB.json"
    hz.write_bytes(nb.read_bytes())
    with pytest.raises(CorruptFile, match="unit is 'NB', expected 'HZ'"):
        Store.open(populated)


def test_a_registry_in_the_alert_logs_place_is_corrupt(populated: Path) -> None:
    alerts = populated / "alerts.json"
    alerts.write_bytes((populated / "registry.json").read_bytes())
    with pytest.raises(CorruptFile, match="'registry' document, expected 'alerts'") as err:
        Store.open(populated)
    assert err.value.path == alerts


def test_a_registry_in_a_ledgers_place_is_corrupt(populated: Path) -> None:
    hz = populated / "ledgers" / "HZ.json"
    hz.write_bytes((populated / "registry.json").read_bytes())
    with pytest.raises(CorruptFile, match="'registry' document, expected 'ledger'"):
        Store.open(populated)


def test_repaired_file_opens_again(populated: Path) -> None:
    path = populated / "ledgers" / "HZ.json"
    good = path.read_bytes()
    path.write_bytes(b"")
    with pytest.raises(CorruptFile):
        Store.open(populated)
    path.write_bytes(good)
    with Store.open(populated) as store:
        assert [i.id for i in store.ledger("HZ").items()] == ["HZ-001"]


def test_storage_never_overwrites_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "HZ.json"
    path.write_bytes(b'{"items": {"1": ')
    storage = SafeJSONStorage(path, kind="ledger", quarantine_dir=tmp_path / "q")
    for _ in range(2):
        with pytest.raises(CorruptFile):
            storage.read()
    with pytest.raises(CorruptFile):
        storage.write(new_document("ledger"))
    assert path.read_bytes() == b'{"items": {"1": '


def test_missing_file_is_an_empty_database(tmp_path: Path) -> None:
    storage = SafeJSONStorage(tmp_path / "new.json", kind="ledger")
    assert storage.read() is None
    assert not (tmp_path / "new.json").exists()


def test_registered_unit_without_its_ledger_refuses_to_open(populated: Path) -> None:
    (populated / "ledgers" / "NB.json").unlink()
    with pytest.raises(MissingFile, match="unit NB is registered") as err:
        Store.open(populated)
    assert err.value.path == populated / "ledgers" / "NB.json"
    assert not (populated / "ledgers" / "NB.json").exists()  # no empty ledger invented


def test_lost_registry_with_ledgers_left_refuses_to_open(populated: Path) -> None:
    (populated / "registry.json").unlink()
    with pytest.raises(MissingFile, match=r"ledger file\(s\) \(HZ, NB\)"):
        Store.open(populated)
    assert not (populated / "registry.json").exists()


def test_bad_record_in_a_parsing_file_quarantines_the_ledger_read_only(populated: Path) -> None:
    """R29: the record is named (not a KeyError), left out of reads, and the ledger refuses
    writes instead of failing every reader."""
    path = populated / "ledgers" / "HZ.json"
    doc = json.loads(path.read_bytes())
    del doc["items"]["1"]["problem"]
    path.write_text(json.dumps(doc), "utf-8")
    before = path.read_bytes()
    with Store.open(populated) as store:
        damage = store.damaged()["HZ"]
        assert isinstance(damage, CorruptFile) and "item record 1" in damage.reason
        assert store.ledger("HZ").get_item("HZ-001") is None
        with pytest.raises(DamagedLedger, match="ledger HZ is read-only"):
            store.ledger("HZ").allocate_item_id()
    assert path.read_bytes() == before


def test_unit_added_after_a_crash_adopts_the_orphan_ledger(tmp_path: Path) -> None:
    """add_unit writes the ledger first; if the registry write never happened, adding the unit
    again adopts the file instead of failing or overwriting it."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        add_item(store)
    registry = data_dir / "registry.json"
    doc = json.loads(registry.read_bytes())
    doc["units"] = {}
    registry.write_text(json.dumps(doc), "utf-8")
    with Store.open(data_dir) as store:
        ledger = store.add_unit(Unit("HZ", "杭州"))
        assert [i.id for i in ledger.items()] == ["HZ-001"]
