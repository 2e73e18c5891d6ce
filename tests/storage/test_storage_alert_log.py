"""The alert log's move out of ``registry.json`` into its own ``alerts.json`` (registry schema
1 → 2): done on the first locked open, alert log first and durably, then the registry without
its table; a crash at any point loses no record and leaves none twice; read-only openers read
the log wherever it is and write nothing; a registry that says the log moved refuses to open
without it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.model import Person, Role
from storage import (
    AlertRecord,
    CorruptFile,
    MissingFile,
    ReadOnlyStore,
    Store,
    check,
)
from storage.safe import (
    FileOps,
    SafeJSONStorage,
    is_temp_file,
    new_document,
    parse_document,
)
from tests.storage.storage_helpers import HZ, NB, Recorder, make_legacy, read_json

CONTACT = Person(11, "联络员", Role.CONTACT, unit="HZ")
KILLED = 77  # the exit status of a writer that "died" mid-move


def _key(i: int) -> str:
    return f"HZ-{i:03d}:overdue:2026-05-01:0@11"


class Legacy:
    """A data directory as builds before alerts.json left it, and what its log holds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        with Store.open(root) as store:
            store.add_unit(HZ)
            store.add_unit(NB)
            store.registry.upsert_person(CONTACT)
            store.registry.set_meta("dedupe.updates", ["1:ab", "2:cd"])
            store.registry.put_alerts(
                AlertRecord(_key(i), "sent" if i % 3 else "pending", {"message_id": i})
                for i in range(1, 31)
            )
            store.registry.put_alert(AlertRecord(_key(4), "uncertain", {"reason": "x"}))
            self.alerts = store.registry.list_alerts()
        self.registry_doc = make_legacy(root)

    @property
    def registry(self) -> Path:
        return self.root / "registry.json"

    @property
    def alert_log(self) -> Path:
        return self.root / "alerts.json"

    def assert_moved(self, alerts: list[AlertRecord] | None = None) -> None:
        """Registry at schema 2 without the table, everything else as it was; the log only
        in alerts.json, holding ``alerts`` (default: the legacy log) once each."""
        expected = self.alerts if alerts is None else alerts
        registry = read_json(self.registry)
        assert registry["_meta"]["1"]["schema"] == 2
        assert "alerts" not in registry
        for table in ("units", "people", "meta"):
            assert registry[table] == self.registry_doc[table]
        log = parse_document(self.alert_log.read_bytes(), kind="alerts")
        meta = {k: v for k, v in log["_meta"]["1"].items() if k != "generation"}
        assert meta == {"schema": 2, "kind": "alerts"}  # group rows (alerts schema 2)
        with Store.open(self.root, lock=False) as store:
            got = store.registry.list_alerts()
        assert got == expected
        assert len({r.key for r in got}) == len(got)  # no record twice
        assert check(self.root).ok
        assert not [p for p in self.root.iterdir() if is_temp_file(p)]


@pytest.fixture
def legacy(tmp_path: Path) -> Legacy:
    return Legacy(tmp_path / "data")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, _sha(p))
        for p in root.rglob("*")
        if p.is_file() and p.name != ".lock"
    }


# ------------------------------------------------------------------ the move


def test_first_locked_open_moves_the_log_keeping_every_record_and_its_order(
    legacy: Legacy,
) -> None:
    table = legacy.registry_doc["alerts"]
    with Store.open(legacy.root) as store:
        assert store.registry.list_alerts() == legacy.alerts
        assert store.registry.get_alert(_key(4)) == AlertRecord(
            _key(4), "uncertain", {"reason": "x"}
        )
        assert store.registry.get_person(11) == CONTACT
        assert store.registry.get_meta("dedupe.updates") == ["1:ab", "2:cd"]
        # New records continue the log's numbering (nothing collides with moved records).
        store.registry.put_alert(AlertRecord("new", "pending"))
    assert read_json(legacy.alert_log)["alerts"] == {
        **table,
        str(len(table) + 1): {
            "key": "new",
            "state": "pending",
            "data": {},
        },
    }
    legacy.assert_moved([*legacy.alerts, AlertRecord("new", "pending")])
    with Store.open(legacy.root) as store:  # a second open has nothing left to move
        before = _snapshot(legacy.root)
        assert store.registry.list_alerts()[-1] == AlertRecord("new", "pending")
    assert _snapshot(legacy.root) == before


def test_the_move_writes_the_alert_log_first_and_durably(
    legacy: Legacy, recorder: Recorder
) -> None:
    Store.open(legacy.root, file_ops=recorder.ops()).close()
    steps = [
        (call, where)
        for call, where in recorder.calls
        if call == "replace" or (call == "fsync" and where == str(legacy.root))
    ]
    # The ledgers' verified stamps (storage.stamps) are derived data, saved after all this.
    names = [(c, w.rsplit("/", 1)[-1]) for c, w in steps]
    assert names[-2:] == [("replace", "verified.json"), ("fsync", "data")]
    assert names[:-2] == [
        ("replace", "alerts.json"),
        ("fsync", "data"),
        ("replace", "registry.json"),
        ("fsync", "data"),
        ("replace", "updates.jsonl"),  # the old update marks start their journal
        ("fsync", "data"),
    ]
    legacy.assert_moved()


def test_a_registry_of_schema_1_without_an_alert_table_moves_too(legacy: Legacy) -> None:
    doc = read_json(legacy.registry)
    del doc["alerts"]
    legacy.registry.write_text(json.dumps(doc), "utf-8")
    Store.open(legacy.root).close()
    legacy.assert_moved([])


# ------------------------------------------------------------------ crashes


def _die_on_registry(src: str, dst: str) -> None:
    if dst.endswith("registry.json"):
        os._exit(KILLED)  # like kill -9: no cleanup, the registry's temp file stays behind
    os.replace(src, dst)


def _open_and_die(data_dir: str) -> None:
    Store.open(data_dir, file_ops=FileOps(replace=_die_on_registry))


def test_a_kill_between_the_two_writes_loses_nothing_and_duplicates_nothing(
    legacy: Legacy,
) -> None:
    registry_before = _sha(legacy.registry)
    child = multiprocessing.get_context("fork").Process(
        target=_open_and_die, args=(str(legacy.root),)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == KILLED
    # Between the writes: the whole log in alerts.json, the registry untouched.
    assert _sha(legacy.registry) == registry_before
    assert read_json(legacy.alert_log)["alerts"] == legacy.registry_doc["alerts"]
    assert [p for p in legacy.root.iterdir() if is_temp_file(p)]
    # A read-only opener now reads alerts.json (the table is the same records: not twice).
    with Store.open(legacy.root, lock=False) as reader:
        assert reader.registry.list_alerts() == legacy.alerts
    assert _sha(legacy.registry) == registry_before
    # The next locked open finishes the move.
    with Store.open(legacy.root) as store:
        assert store.registry.list_alerts() == legacy.alerts
    legacy.assert_moved()


class _Crash(BaseException):
    """A failure nothing in the store may swallow (stands for the process dying)."""


def _crash_at(n: int) -> Callable[[Recorder], FileOps]:
    def ops(recorder: Recorder) -> FileOps:
        real = recorder.ops()

        def wrap(name: str) -> Callable[..., Any]:
            call = getattr(real, name)

            def maybe_crash(*args: Any) -> Any:
                if len(recorder.calls) == n:
                    raise _Crash(f"crash before call {n} ({name})")
                return call(*args)

            return maybe_crash

        return FileOps(**{name: wrap(name) for name in FileOps.__dataclass_fields__})

    return ops


def test_a_crash_at_any_call_of_the_move_loses_nothing_and_duplicates_nothing(
    legacy: Legacy, tmp_path: Path
) -> None:
    """Every file-system call the move makes, in turn, fails as if the process died there
    (no cleanup either: the failure repeats on the temp file's unlink); whatever was left, the
    next open ends with every record exactly once."""
    pristine, counting = tmp_path / "pristine", tmp_path / "counting"
    shutil.copytree(legacy.root, pristine)
    shutil.copytree(pristine, counting)
    counted = Recorder()
    Store.open(counting, file_ops=counted.ops()).close()
    assert len(counted.calls) >= 16  # two durable writes of eight calls each
    for n in range(len(counted.calls)):
        shutil.rmtree(legacy.root)
        shutil.copytree(pristine, legacy.root)
        with pytest.raises(_Crash):
            Store.open(legacy.root, file_ops=_crash_at(n)(Recorder()))
        with Store.open(legacy.root) as store:
            assert store.registry.list_alerts() == legacy.alerts, f"crash before call {n}"
        legacy.assert_moved()


def test_after_a_move_cut_short_the_alert_log_wins(legacy: Legacy) -> None:
    """Both files hold a log and they differ (the bot ran on after the first write — the log
    moved on, the registry's copy is stale): alerts.json is kept as it is, the copy dropped."""
    newer = {
        "1": {"key": _key(1), "state": "sent", "data": {"message_id": 99}},
        "2": {"key": "later", "state": "pending", "data": {}},
    }
    SafeJSONStorage(legacy.alert_log, kind="alerts").write(
        {**new_document("alerts"), "alerts": newer}
    )
    expected = [
        AlertRecord(_key(1), "sent", {"message_id": 99}),
        AlertRecord("later", "pending"),
    ]
    with Store.open(legacy.root, lock=False) as reader:
        assert reader.registry.list_alerts() == expected
    with Store.open(legacy.root) as store:
        assert store.registry.list_alerts() == expected
        assert store.registry.get_alert(_key(2)) is None
    assert read_json(legacy.alert_log)["alerts"] == newer
    legacy.assert_moved(expected)


# ------------------------------------------------------------------ read-only openers


def test_a_read_only_open_reads_the_registrys_log_and_writes_nothing(legacy: Legacy) -> None:
    before = _snapshot(legacy.root)
    with Store.open(legacy.root, lock=False) as reader:
        assert reader.registry.list_alerts() == legacy.alerts
        assert reader.registry.list_alerts("pending") == [
            r for r in legacy.alerts if r.state == "pending"
        ]
        assert reader.registry.get_alert(_key(4)) == AlertRecord(
            _key(4), "uncertain", {"reason": "x"}
        )
        with pytest.raises(ReadOnlyStore):
            reader.registry.put_alert(AlertRecord("x", "pending"))
        with pytest.raises(ReadOnlyStore):
            reader.registry.swap_alert("x", None, AlertRecord("x", "pending"))
    assert _snapshot(legacy.root) == before
    assert not legacy.alert_log.exists()


# ------------------------------------------------------------------ refusals


def test_a_damaged_alert_log_stops_the_move_and_is_quarantined(legacy: Legacy) -> None:
    legacy.alert_log.write_bytes(b'{"alerts": {"1": ')
    registry_before = _sha(legacy.registry)
    with pytest.raises(CorruptFile, match="not valid JSON") as err:
        Store.open(legacy.root)
    assert err.value.path == legacy.alert_log
    assert err.value.quarantined is not None
    assert err.value.quarantined.read_bytes() == b'{"alerts": {"1": '
    assert legacy.alert_log.read_bytes() == b'{"alerts": {"1": '  # never overwritten
    assert _sha(legacy.registry) == registry_before  # the table is still the only copy


@pytest.mark.parametrize("lock", [True, False])
def test_a_registry_whose_alert_log_is_gone_refuses_to_open(tmp_path: Path, lock: bool) -> None:
    """Starting with an empty log would send every due alert again: refuse, name the file."""
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.registry.put_alert(AlertRecord("k", "sent"))
    (data_dir / "alerts.json").unlink()
    with pytest.raises(MissingFile, match="restore alerts.json from a backup") as err:
        Store.open(data_dir, lock=lock)
    assert err.value.path == data_dir / "alerts.json"
    assert not (data_dir / "alerts.json").exists()  # no empty log invented
    assert check(data_dir).text.splitlines()[0] == (
        "alerts.json: missing, but registry.json keeps the alert log there"
    )


# ------------------------------------------------------------------ a fresh directory


def test_a_fresh_directory_gets_the_alert_log_before_the_registry(
    tmp_path: Path, recorder: Recorder
) -> None:
    data_dir = tmp_path / "data"
    Store.open(data_dir, file_ops=recorder.ops()).close()
    replaced = [w.rsplit("/", 1)[-1] for c, w in recorder.calls if c == "replace"]
    assert replaced == ["alerts.json", "registry.json"]
    assert read_json(data_dir / "registry.json")["_meta"]["1"]["schema"] == 2
    assert read_json(data_dir / "alerts.json") == new_document("alerts")


def test_a_fresh_directory_cut_short_adopts_its_alert_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    SafeJSONStorage(data_dir / "alerts.json", kind="alerts").write(
        {**new_document("alerts"), "alerts": {"1": {"key": "k", "state": "sent", "data": {}}}}
    )
    with Store.open(data_dir) as store:
        assert store.registry.list_alerts() == [AlertRecord("k", "sent")]
    assert check(data_dir).ok


# ------------------------------------------------------------------ schema versions


def test_the_registry_is_written_at_schema_2_only(tmp_path: Path) -> None:
    """A registry of schema 2 tells a build that only knows schema 1 (and would read "no alert
    sent yet") to refuse it; this build reads 1 (to move it) and 2, and writes only 2."""
    storage = SafeJSONStorage(tmp_path / "registry.json", kind="registry")
    with pytest.raises(ValueError, match="not the one this build writes"):
        storage.write({"_meta": {"1": {"schema": 1, "kind": "registry"}}})
    storage.write(new_document("registry"))
    assert read_json(tmp_path / "registry.json")["_meta"]["1"]["schema"] == 2
    for version in (1, 2):
        parse_document(
            json.dumps({"_meta": {"1": {"schema": version, "kind": "registry"}}}).encode(),
            kind="registry",
        )
    with pytest.raises(ValueError, match=r"version 3 \(this build reads versions 1–2\)"):
        parse_document(
            json.dumps({"_meta": {"1": {"schema": 3, "kind": "registry"}}}).encode(),
            kind="registry",
        )
    with pytest.raises(ValueError, match="unknown schema version"):
        parse_document(
            json.dumps({"_meta": {"1": {"schema": [2], "kind": "registry"}}}).encode(),
            kind="registry",
        )
