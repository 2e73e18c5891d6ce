"""Registry repository contract (units, people, invites, alert log, meta), on both twins. The
alert log lives in its own document (alerts.json) behind the same methods."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ledger.errors import InvalidValue, UnknownUnit
from ledger.model import Person, Role, Unit
from storage import (
    AlertRecord,
    AlreadyExists,
    InviteRejected,
    Store,
    hash_invite_code,
)
from storage.safe import Document, DocumentStorage
from tests.storage.storage_helpers import HZ, NB, T0

CODE = "Zk3v9Q-x_2LwB8dYt1mN0a"  # 22 url-safe chars = 132 bits
LATER = T0 + timedelta(hours=72)


# ------------------------------------------------------------------ units


def test_units_are_listed_by_code_and_found_by_code(store: Store) -> None:
    store.add_unit(Unit("AA", "第一"))
    assert [u.code for u in store.registry.list_units()] == ["AA", "HZ", "NB"]
    assert store.registry.get_unit("HZ") == HZ
    assert store.registry.get_unit("XX") is None


# ------------------------------------------------------------------ people


def test_people_upsert_get_list_remove(store: Store) -> None:
    reg = store.registry
    contact = Person(11, "联络员", Role.CONTACT, unit="HZ")
    leader = Person(12, "书记", Role.LEADER, unit="HZ", language="en")
    inspector = Person(1, "巡察办", Role.INSPECTOR)
    other = Person(21, "别的联络员", Role.CONTACT, unit="NB")
    for p in (contact, leader, inspector, other):
        reg.upsert_person(p)
    assert reg.get_person(12) == leader
    assert reg.get_person(99) is None
    assert [p.user_id for p in reg.list_people()] == [1, 11, 12, 21]
    assert reg.list_people(unit="HZ") == [contact, leader]
    assert reg.list_people(role=Role.CONTACT) == [contact, other]
    assert reg.list_people(unit="HZ", role=Role.LEADER) == [leader]
    unreachable = Person(11, "联络员", Role.CONTACT, unit="HZ", reachable=False)
    reg.upsert_person(unreachable)
    assert reg.get_person(11) == unreachable
    assert reg.remove_person(11) is True
    assert reg.remove_person(11) is False
    assert reg.get_person(11) is None


def test_person_of_an_unknown_unit_is_refused(store: Store) -> None:
    with pytest.raises(UnknownUnit):
        store.registry.upsert_person(Person(11, "x", Role.CONTACT, unit="XX"))


# ------------------------------------------------------------------ invites


def _invite(store: Store, code: str = CODE, role: Role = Role.CONTACT, unit: str | None = "HZ"):
    return store.registry.add_invite(
        code, role=role, unit=unit, created_by=1, now=T0, expires_at=LATER
    )


def test_invite_is_stored_hashed(store: Store) -> None:
    invite = _invite(store)
    assert invite.code_hash == hash_invite_code(CODE) != CODE
    assert store.registry.get_invite(CODE) == invite
    assert store.registry.get_invite("other") is None
    assert store.registry.list_invites() == [invite]
    if store.layout is not None:
        assert CODE not in store.layout.registry.read_text("utf-8")
        assert invite.code_hash in store.layout.registry.read_text("utf-8")


def test_invite_redeems_once_and_binds_the_redeemer(store: Store) -> None:
    _invite(store)
    used, person = store.registry.redeem_invite(CODE, user_id=42, name="王五", now=T0)
    assert (used.used_by, used.used_at) == (42, T0)
    assert person == Person(42, "王五", Role.CONTACT, unit="HZ")
    assert store.registry.get_person(42) == person
    assert store.registry.get_invite(CODE) == used
    for user in (42, 43):  # single use, also for the same user
        with pytest.raises(InviteRejected) as err:
            store.registry.redeem_invite(CODE, user_id=user, name="x", now=T0)
        assert err.value.reason == "used"
        assert err.value.invite == used
    assert store.registry.get_person(43) is None


def test_redeem_keeps_a_known_language(store: Store) -> None:
    store.registry.upsert_person(Person(42, "old", Role.CONTACT, unit="NB", language="en"))
    _invite(store)
    _, person = store.registry.redeem_invite(
        CODE, user_id=42, name="王五", now=T0, move_from=("NB", Role.CONTACT)
    )
    assert (person.unit, person.language) == ("HZ", "en")


def test_a_bound_person_is_moved_only_from_the_binding_they_confirmed(store: Store) -> None:
    """Someone bound to NB is not moved to HZ by an invite unless the caller names NB as
    the binding they confirmed to leave; a refusal leaves the invite usable (issue 15)."""
    bound = Person(42, "old", Role.CONTACT, unit="NB")
    store.registry.upsert_person(bound)
    _invite(store)
    for move_from in (None, ("NB", Role.LEADER), ("XX", Role.CONTACT)):
        with pytest.raises(InviteRejected) as err:
            store.registry.redeem_invite(CODE, user_id=42, name="x", now=T0, move_from=move_from)
        assert err.value.reason == "move" and err.value.current == bound
    invite = store.registry.get_invite(CODE)
    assert invite is not None and not invite.used and invite.moved_from is None
    assert store.registry.get_person(42) == bound
    used, person = store.registry.redeem_invite(
        CODE, user_id=42, name="王五", now=T0, move_from=("NB", Role.CONTACT)
    )
    assert (person.unit, person.role) == ("HZ", Role.CONTACT)
    assert used.moved_from == ("NB", Role.CONTACT)
    assert store.registry.get_invite(CODE) == used  # the move is stored with the invite


def test_invite_expires_at_expires_at(store: Store) -> None:
    _invite(store)
    with pytest.raises(InviteRejected) as err:
        store.registry.redeem_invite(CODE, user_id=42, name="x", now=LATER)
    assert err.value.reason == "expired"
    _, person = store.registry.redeem_invite(
        CODE, user_id=42, name="x", now=LATER - timedelta(microseconds=1)
    )
    assert person.user_id == 42


def test_unknown_invite(store: Store) -> None:
    with pytest.raises(InviteRejected) as err:
        store.registry.redeem_invite("nope", user_id=42, name="x", now=T0)
    assert err.value.reason == "unknown"
    assert err.value.invite is None


def test_invite_validation(store: Store) -> None:
    with pytest.raises(InvalidValue):
        _invite(store, role=Role.INSPECTOR, unit="HZ")
    with pytest.raises(InvalidValue):
        _invite(store, role=Role.CONTACT, unit=None)
    with pytest.raises(UnknownUnit):
        _invite(store, unit="XX")
    with pytest.raises(InvalidValue):
        store.registry.add_invite(
            CODE,
            role=Role.CONTACT,
            unit="HZ",
            created_by=1,
            now=datetime(2026, 5, 1),  # noqa: DTZ001 - naive on purpose
            expires_at=LATER,
        )
    inspector = _invite(store, code="insp", role=Role.INSPECTOR, unit=None)
    assert inspector.unit is None
    with pytest.raises(AlreadyExists):
        _invite(store, code="insp", role=Role.INSPECTOR, unit=None)
    with pytest.raises(InvalidValue):
        store.registry.redeem_invite("insp", user_id=1, name="x", now=datetime(2026, 5, 1))  # noqa: DTZ001


def test_concurrent_redemption_has_exactly_one_winner(store: Store) -> None:
    _invite(store)

    def redeem(user_id: int) -> bool:
        try:
            store.registry.redeem_invite(CODE, user_id=user_id, name="x", now=T0)
        except InviteRejected:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(redeem, range(100, 140)))
    assert sum(wins) == 1
    winner = 100 + wins.index(True)
    assert store.registry.get_invite(CODE).used_by == winner  # type: ignore[union-attr]
    assert [p.user_id for p in store.registry.list_people()] == [winner]


# ------------------------------------------------------------------ alert log


def test_alert_log_put_get_list(store: Store) -> None:
    reg = store.registry
    reg.put_alert(AlertRecord("HZ-001:overdue:1", "pending", {"to": [11, 12]}))
    reg.put_alert(AlertRecord("HZ-002:due:7", "sent", {"message_id": 5}))
    reg.put_alert(AlertRecord("HZ-001:overdue:1", "sending", {"to": [11, 12]}))
    assert reg.get_alert("HZ-001:overdue:1") == AlertRecord(
        "HZ-001:overdue:1", "sending", {"to": [11, 12]}
    )
    assert reg.get_alert("nope") is None
    assert [r.key for r in reg.list_alerts()] == ["HZ-001:overdue:1", "HZ-002:due:7"]
    assert [r.key for r in reg.list_alerts("sent")] == ["HZ-002:due:7"]
    assert reg.list_alerts("uncertain") == []


class _Writes:
    """Counts the writes that reach a storage (either twin) by wrapping its ``write``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, storage: DocumentStorage) -> None:
        self.count = 0
        real = storage.write

        def write(doc: Document) -> None:
            real(doc)
            self.count += 1

        monkeypatch.setattr(storage, "write", write)


class _Appends:
    """Counts the appends that reach the alert log's journal (either twin): every append,
    of entries or of lines already encoded, goes through ``append_encoded``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
        self.count = 0
        journal = store._alert_journal
        assert journal is not None
        real = journal.append_encoded

        def append_encoded(payload: bytes) -> None:
            real(payload)
            if payload:
                self.count += 1

        monkeypatch.setattr(journal, "append_encoded", append_encoded)


def test_alert_batch_is_one_write_and_last_wins(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts = _Appends(monkeypatch, store)
    store.registry.put_alerts(
        [AlertRecord(f"k{i}", "pending") for i in range(50)] + [AlertRecord("k0", "sent")]
    )
    assert alerts.count == 1
    assert len(store.registry.list_alerts("pending")) == 49
    assert store.registry.get_alert("k0") == AlertRecord("k0", "sent")
    store.registry.put_alerts([])
    assert alerts.count == 1


def test_alert_log_and_registry_are_written_apart(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of alerts.json: a registry write does not rewrite the alert log, and an
    alert-log write does not rewrite the registry (it appends to the alert journal); the
    registry document holds no alerts."""
    registry = _Writes(monkeypatch, store._registry_storage)
    alerts = _Appends(monkeypatch, store)
    store.registry.put_alerts([AlertRecord(f"k{i}", "sent") for i in range(20)])
    assert store.registry.swap_alert("k0", "sent", AlertRecord("k0", "uncertain")) is True
    assert (registry.count, alerts.count) == (0, 2)
    store.registry.set_meta("dedupe.updates", ["1:ab"])
    store.registry.upsert_person(Person(11, "联络员", Role.CONTACT, unit="HZ"))
    assert (registry.count, alerts.count) == (2, 2)
    registry_doc = store._registry_storage.read()
    assert registry_doc is not None
    assert "alerts" not in registry_doc
    assert len(store.registry.list_alerts()) == 20
    if store.layout is not None:
        assert "k0" not in store.layout.registry.read_text("utf-8")
        assert '"k0"' in store.layout.alerts_journal.read_text("utf-8")


def test_swap_alert_is_compare_and_set(store: Store) -> None:
    reg = store.registry
    assert reg.swap_alert("k", None, AlertRecord("k", "pending")) is True
    assert reg.swap_alert("k", None, AlertRecord("k", "pending")) is False
    assert reg.swap_alert("k", "pending", AlertRecord("k", "sending")) is True
    assert reg.swap_alert("k", "pending", AlertRecord("k", "sending")) is False
    assert reg.get_alert("k") == AlertRecord("k", "sending")
    with pytest.raises(ValueError, match="key"):
        reg.swap_alert("k", "sending", AlertRecord("other", "sent"))


def test_alert_data_must_be_json_and_nothing_is_written_otherwise(store: Store) -> None:
    store.registry.put_alert(AlertRecord("k", "pending"))
    with pytest.raises(ValueError, match="JSON"):
        store.registry.put_alert(AlertRecord("k", "sent", {"at": object()}))
    with pytest.raises(ValueError, match="JSON"):
        store.registry.put_alert(AlertRecord("k", "sent", {"x": float("nan")}))
    with pytest.raises(ValueError):
        store.registry.put_alert(AlertRecord("", "sent"))
    assert store.registry.get_alert("k") == AlertRecord("k", "pending")


def test_alert_data_returned_is_a_copy(store: Store) -> None:
    store.registry.put_alert(AlertRecord("k", "sent", {"ids": [1]}))
    got = store.registry.get_alert("k")
    assert got is not None
    got.data["ids"].append(2)
    assert store.registry.get_alert("k") == AlertRecord("k", "sent", {"ids": [1]})


def test_concurrent_alert_puts_lose_nothing(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(lambda i: store.registry.put_alert(AlertRecord(f"k{i}", "sent")), range(200))
        )
    assert len(store.registry.list_alerts("sent")) == 200


def test_concurrent_alert_and_registry_writes_lose_nothing(store: Store) -> None:
    """Two files, two locks: alert-log writers and registry writers run side by side and
    neither loses the other's updates (nor their own)."""

    def write(i: int) -> None:
        if i % 2:
            store.registry.put_alert(AlertRecord(f"k{i}", "sent"))
        else:
            store.registry.set_meta(f"m{i}", i)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(200)))
    assert sorted(r.key for r in store.registry.list_alerts()) == sorted(
        f"k{i}" for i in range(1, 200, 2)
    )
    assert all(store.registry.get_meta(f"m{i}") == i for i in range(0, 200, 2))
    if store.layout is not None:
        with Store.open(store.layout.root, lock=False) as reader:
            assert len(reader.registry.list_alerts()) == 100
            assert reader.registry.get_meta("m198") == 198


# ------------------------------------------------------------------ meta


def test_meta_values(store: Store) -> None:
    reg = store.registry
    assert reg.get_meta("last_sweep") is None
    assert reg.get_meta("last_sweep", "never") == "never"
    reg.set_meta("last_sweep", T0.isoformat())
    reg.set_meta("digest", {"HZ": [1, 2]})
    reg.set_meta("last_sweep", "2026-05-02")
    assert reg.get_meta("last_sweep") == "2026-05-02"
    value = reg.get_meta("digest")
    value["HZ"].append(3)
    assert reg.get_meta("digest") == {"HZ": [1, 2]}
    with pytest.raises(ValueError, match="JSON"):
        reg.set_meta("bad", {1, 2})


def test_registry_survives_a_reopen(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.add_unit(HZ)
        store.add_unit(NB)
        store.registry.upsert_person(Person(11, "联络员", Role.CONTACT, unit="HZ"))
        _invite(store)
        store.registry.put_alert(AlertRecord("k", "sent", {"message_id": 7}))
        store.registry.set_meta("m", [1])
    with Store.open(data_dir) as store:
        reg = store.registry
        assert reg.list_units() == [HZ, NB]
        assert reg.get_person(11) == Person(11, "联络员", Role.CONTACT, unit="HZ")
        assert reg.get_invite(CODE) is not None
        assert reg.get_alert("k") == AlertRecord("k", "sent", {"message_id": 7})
        assert reg.get_meta("m") == [1]
        # The key index is rebuilt from the file: new keys do not collide with old ones.
        reg.put_alert(AlertRecord("k2", "pending"))
        assert [r.key for r in reg.list_alerts()] == ["k", "k2"]
