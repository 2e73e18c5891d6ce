"""storage.maintenance.check: one line per problem, a plain line when all is well, a plain
line for a fresh data directory, and nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ledger.model import Person, Role, Unit
from storage import AlertRecord, Store, check
from tests.storage.storage_helpers import add_item, make_event, make_legacy


@pytest.fixture
def populated(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.add_unit(Unit("HZ", "杭州"))
        store.add_unit(Unit("NB", "宁波"))
        add_item(store)
        add_item(store)
        with store.ledger("HZ").transaction() as tx:
            tx.append(make_event("HZ-001", 2))
        add_item(store, unit="NB")
        store.registry.upsert_person(Person(11, "联络员", Role.CONTACT, unit="HZ"))
        store.registry.put_alerts([AlertRecord("k1", "sent"), AlertRecord("k2", "pending")])
    return data_dir


def _edit(path: Path, change: Any) -> None:
    doc = json.loads(path.read_bytes())
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")
    }


def test_missing_data_dir_is_reported_plainly(tmp_path: Path) -> None:
    report = check(tmp_path / "nowhere")
    assert report.ok
    assert (
        report.text
        == f"no ledgers yet: {tmp_path / 'nowhere'} holds no registry and no ledger files"
    )
    assert not (tmp_path / "nowhere").exists()


def test_empty_data_dir_is_reported_plainly(tmp_path: Path) -> None:
    assert check(tmp_path).text.startswith("no ledgers yet")


def test_fresh_store_has_a_registry_and_no_ledgers(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    report = check(tmp_path)
    assert report.ok
    assert report.text == "all 2 files OK (registry and alert log only; no ledgers yet)"


def test_all_ok(populated: Path) -> None:
    report = check(populated)
    assert report.ok, report.text
    assert report.text == (
        "all 4 files OK (1 registry, 1 alert log, 2 ledgers, 3 items, 4 events, 2 alert records)"
    )
    assert (report.files, report.alert_log, report.alerts) == (4, True, 2)


def test_check_writes_nothing_and_runs_beside_the_bot(populated: Path) -> None:
    with Store.open(populated):  # the bot holds the lock
        before = _snapshot(populated)
        assert check(populated).ok
        assert _snapshot(populated) == before


PROBLEMS: dict[str, tuple[str, Any, str]] = {
    "empty ledger": ("ledgers/HZ.json", None, "ledgers/HZ.json: the file is empty (0 bytes)"),
    "bad JSON registry": ("registry.json", None, "registry.json: it is not valid JSON"),
    "unknown version": (
        "ledgers/NB.json",
        lambda d: d["_meta"]["1"].update(schema=2),
        "ledgers/NB.json: unknown schema version 2 (this build reads version 1)",
    ),
    "event gap": (
        "ledgers/HZ.json",
        lambda d: d["events"]["3"].update(seq=3),
        "ledgers/HZ.json: HZ-001 events are numbered [1, 3], expected 1..2",
    ),
    "duplicate event number": (
        "ledgers/HZ.json",
        lambda d: d["events"]["3"].update(seq=1),
        "ledgers/HZ.json: HZ-001 events are numbered [1, 1], expected 1..2",
    ),
    "item of another unit": (
        "ledgers/HZ.json",
        lambda d: d["items"]["2"].update(id="NB-002", unit="NB"),
        "ledgers/HZ.json: item NB-002 (unit NB) does not belong to unit HZ",
    ),
    "item stored under the wrong number": (
        "ledgers/HZ.json",
        lambda d: d["items"].update({"7": d["items"].pop("2")}),
        "ledgers/HZ.json: item HZ-002 is stored as record 7",
    ),
    "counter behind the items": (
        "ledgers/HZ.json",
        lambda d: d["_meta"]["1"].update(next_seq=2),
        "ledgers/HZ.json: item HZ-002 is not below the next number 2",
    ),
    "event of a missing item": (
        "ledgers/NB.json",
        lambda d: d["events"]["1"].update(item_id="NB-009"),
        "ledgers/NB.json: event record 1 is for NB-009, not in this ledger",
    ),
    "undecodable item": (
        "ledgers/NB.json",
        lambda d: d["items"]["1"].update(status="lost"),
        "ledgers/NB.json: item record 1 does not decode",
    ),
    "person of an unknown unit": (
        "registry.json",
        lambda d: d["people"]["11"].update(unit="SH"),
        "registry.json: person 11 belongs to unknown unit SH",
    ),
    "unknown registry version": (
        "registry.json",
        lambda d: d["_meta"]["1"].update(schema=3),
        "registry.json: unknown schema version 3 (this build reads versions 1–2)",
    ),
    "bad JSON alert log": ("alerts.json", None, "alerts.json: it is not valid JSON"),
    "empty alert log": ("alerts.json", None, "alerts.json: the file is empty (0 bytes)"),
    "unknown alert log version": (
        "alerts.json",
        lambda d: d["_meta"]["1"].update(schema=3),
        "alerts.json: unknown schema version 3 (this build reads versions 1–2)",
    ),
    "a registry in the alert log's place": (
        "alerts.json",
        lambda d: d["_meta"]["1"].update(kind="registry"),
        "alerts.json: it holds a 'registry' document, expected 'alerts'",
    ),
    "undecodable alert record": (
        "alerts.json",
        lambda d: d["alerts"]["1"].update(state=3),
        "alerts.json: alert record 1 does not decode",
    ),
    "alert key twice": (
        "alerts.json",
        lambda d: d["alerts"]["2"].update(key="k1"),
        "alerts.json: alert key 'k1' appears twice",
    ),
}


@pytest.mark.parametrize("case", list(PROBLEMS))
def test_each_problem_gets_one_line(populated: Path, case: str) -> None:
    file, change, expected = PROBLEMS[case]
    path = populated / file
    if change is None:
        path.write_bytes(b"" if "empty" in case else b'{"units": {')
    else:
        _edit(path, change)
    report = check(populated)
    assert not report.ok
    lines = report.text.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(expected), lines
    assert lines[1] == "1 problem in 1 of 4 files"


def test_registry_and_ledgers_must_agree(populated: Path) -> None:
    (populated / "ledgers" / "NB.json").rename(populated / "ledgers" / "SH.json")
    (populated / "ledgers" / "notes.json").write_text("{}")
    lines = check(populated).text.splitlines()
    assert lines == [
        "ledgers/SH.json: its _meta unit is 'NB', expected 'SH'",
        "ledgers/NB.json: missing, but unit NB is registered",
        "ledgers/notes.json: not a ledger name (unit codes look like HZ)",
        "warning: ledgers/SH.json: unit SH is not registered (yet): a unit being created, or "
        "one whose creation was interrupted; adding the unit again adopts this file",
        "3 problems in 3 of 4 files",
    ]


def test_a_kill_between_ledger_and_registry_write_is_a_warning_not_damage(
    populated: Path,
) -> None:
    """add_unit writes the new ledger before the registry: a kill in between (or a check
    beside an import creating units) sees a ledger the registry does not name yet. Write order
    and check agree: that is not a problem, and adding the unit again adopts the file."""
    from ledger.model import Unit
    from storage.repo import Store
    from storage.safe import new_document

    orphan = populated / "ledgers" / "SH.json"
    orphan.write_text(json.dumps(new_document("ledger", unit="SH", next_seq=1)))
    report = check(populated)
    assert report.ok, report.text
    assert report.text.splitlines()[0].startswith("warning: ledgers/SH.json: unit SH is not")
    with Store.open(populated) as store:
        store.add_unit(Unit("SH", "上海"))
    assert check(populated).text.startswith("all ")


def test_lost_registry(populated: Path) -> None:
    os.unlink(populated / "registry.json")
    assert check(populated).text.splitlines()[0] == (
        "registry.json: missing, but ledgers/ holds 2 ledger files"
    )


def test_lost_alert_log(populated: Path) -> None:
    os.unlink(populated / "alerts.json")
    assert check(populated).text.splitlines() == [
        "alerts.json: missing, but registry.json keeps the alert log there",
        "1 problem in 1 of 3 files",
    ]


def test_a_registry_that_still_holds_the_alert_log_is_ok(populated: Path) -> None:
    """Written by a build before alerts.json existed: the bot moves the log at its next start,
    so check validates it where it is and finds nothing wrong."""
    make_legacy(populated)
    report = check(populated)
    assert report.ok, report.text
    assert report.text == (
        "all 3 files OK (1 registry, 2 ledgers, 3 items, 4 events, 2 alert records)"
    )
    _edit(populated / "registry.json", lambda d: d["alerts"]["2"].update(key="k1"))
    assert check(populated).text.splitlines()[0] == ("registry.json: alert key 'k1' appears twice")


def test_a_move_cut_short_is_ok_and_counted_once(populated: Path) -> None:
    """Both files hold the log (the bot died between the move's two writes): alerts.json is
    the log; the registry's copy is dropped at the next start and not counted twice."""
    alerts = (populated / "alerts.json").read_bytes()
    make_legacy(populated)
    (populated / "alerts.json").write_bytes(alerts)
    report = check(populated)
    assert report.ok, report.text
    assert (report.files, report.alert_log, report.alerts) == (4, True, 2)


def test_a_file_broken_everywhere_does_not_flood_the_report(populated: Path) -> None:
    def many_bad_events(d: dict[str, Any]) -> None:
        for k in range(100, 160):
            d["events"][str(k)] = {"item_id": "HZ-001"}

    _edit(populated / "ledgers" / "HZ.json", many_bad_events)
    lines = check(populated).text.splitlines()
    assert len(lines) == 20 + 2
    assert lines[-2] == "ledgers/HZ.json: … more problems not listed"
