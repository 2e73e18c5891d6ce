"""The alert log is incremental (issue 14, R33): a write appends to ``alerts.jsonl``, never
rewrites ``alerts.json``; a torn last line is ignored, other damage refused; a journal already
folded into the snapshot by a compaction is not replayed; the retention keeps the log bounded
and never drops what exactly-once still needs."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.log import STEP_DAYS, AlertLog, State, expired, iso
from storage import AlertMove, AlertRecord, CorruptFile, Store, check

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _crash(store: Store) -> None:
    """The process dies: no clean close (so no compaction), the directory lock goes."""
    assert store._lock is not None
    store._lock.release()


def _sent(key: str, at: datetime) -> AlertRecord:
    return AlertRecord(key, State.SENT, {"at": iso(at), "message_id": 1})


def test_a_small_write_appends_and_never_rewrites_the_log(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.registry.put_alerts(
            _sent(f"HZ-{n:03d}:overdue:2026-01-01:0@11", T0) for n in range(500)
        )
        store.registry._alerts.compact()  # everything in alerts.json now
        snapshot = (root / "alerts.json").stat().st_mtime_ns, _sha(root / "alerts.json")
        journal = (root / "alerts.jsonl").stat().st_size
        store.registry.put_alerts([_sent("HZ-001:overdue:2026-01-01:1@11", T0)])
        assert ((root / "alerts.json").stat().st_mtime_ns, _sha(root / "alerts.json")) == snapshot
        grown = (root / "alerts.jsonl").stat().st_size - journal
        assert 0 < grown < 200  # one line, not the log
        assert len(store.registry.list_alerts()) == 501
    with Store.open(root, lock=False) as reader:  # a reader sees the journal too
        assert reader.registry.get_alert("HZ-001:overdue:2026-01-01:1@11") is not None


def test_the_journal_is_replayed_at_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "data"
    store = Store.open(root)
    store.registry.put_alerts([AlertRecord("k1", State.PENDING)])
    assert store.registry.swap_alert("k1", State.PENDING, AlertRecord("k1", State.SENDING))
    _crash(store)
    with Store.open(root) as again:
        assert again.registry.get_alert("k1") == AlertRecord("k1", State.SENDING)


def test_a_torn_last_line_is_ignored_and_cut(tmp_path: Path) -> None:
    root = tmp_path / "data"
    store = Store.open(root)
    store.registry.put_alerts([AlertRecord("k1", State.PENDING)])
    _crash(store)
    with (root / "alerts.jsonl").open("ab") as f:
        f.write(b'{"key": "k2", "state": "sen')  # killed mid-append
    with Store.open(root) as again:
        assert [r.key for r in again.registry.list_alerts()] == ["k1"]
        again.registry.put_alerts([AlertRecord("k3", State.PENDING)])
        assert check(root).ok
    with Store.open(root) as third:
        assert [r.key for r in third.registry.list_alerts()] == ["k1", "k3"]


def test_a_damaged_journal_stops_the_start_and_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "data"
    store = Store.open(root)
    store.registry.put_alerts([AlertRecord("k1", State.PENDING), AlertRecord("k2", State.SENT)])
    _crash(store)
    path = root / "alerts.jsonl"
    lines = path.read_bytes().split(b"\n")
    damaged = b"\n".join([lines[0], b"{oops", *lines[1:]])
    path.write_bytes(damaged)
    with pytest.raises(CorruptFile, match="alerts.jsonl"):
        Store.open(root)
    assert path.read_bytes() == damaged
    assert not check(root).ok


def test_a_journal_folded_in_by_a_compaction_is_not_replayed(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.registry.put_alerts([AlertRecord("k1", State.SENT)])
        store.registry._alerts.compact()
        generation = json.loads((root / "alerts.json").read_bytes())["_meta"]["1"]["generation"]
    # A crash between the compaction's two writes: the old journal is still there.
    stale = {"kind": "alert-journal", "schema": 1, "base": generation - 1}
    old = {"key": "k1", "state": "pending", "data": {}}
    (root / "alerts.jsonl").write_text(f"{json.dumps(stale)}\n{json.dumps(old)}\n", "utf-8")
    with Store.open(root) as store:
        assert store.registry.get_alert("k1") == AlertRecord("k1", State.SENT)


def test_retention_drops_earlier_steps_and_old_digests_and_keeps_what_may_be_decided() -> None:
    now = T0 + timedelta(days=100)
    old, recent = now - timedelta(days=60), now - timedelta(days=3)
    records = [
        _sent("HZ-001:overdue:2025-09-01:3@11", old),  # a later step exists: dropped
        _sent("HZ-001:overdue:2025-09-01:9@11", recent),  # the family's newest: kept
        _sent("HZ-002:escalation:2025-09-01:3@1", old),  # newest of its family: kept
        _sent("HZ-003:overdue:2025-09-01:1@11", recent - timedelta(days=1)),  # too recent
        _sent("HZ-003:overdue:2025-09-01:2@11", recent),
        _sent(f"digest:daily:1:{old.date()}@1", old - timedelta(days=40)),  # dropped
        _sent(f"digest:daily:1:{recent.date()}@1", recent),  # kept
        AlertRecord("HZ-004:overdue:2025-09-01:0@11", State.PENDING, {"at": iso(old)}),
        AlertRecord("HZ-004:overdue:2025-09-01:2@11", State.SENT, {"at": iso(recent)}),
        AlertRecord("HZ-005:stale:2025-09-01:1@11", State.UNCERTAIN, {"at": iso(old)}),
        AlertRecord("HZ-005:stale:2025-09-01:3@11", State.SENT, {"at": iso(recent)}),
        _sent("HZ-006:lookback:2025-01-01:1@1", now - timedelta(days=401)),  # past a year
    ]
    assert sorted(expired(records, now)) == sorted(
        [
            "HZ-001:overdue:2025-09-01:3@11",
            f"digest:daily:1:{old.date()}@1",
            "HZ-006:lookback:2025-01-01:1@1",
        ]
    )


def test_a_simulated_year_stays_bounded(tmp_path: Path) -> None:
    """Every day, ten items step on (an overdue step to two people) and a digest goes out;
    after a year the log holds the recent weeks plus each family's newest step."""
    with Store.open(tmp_path / "data") as store:
        log = AlertLog(store.registry)
        for day in range(365):
            now = T0 + timedelta(days=day)
            keys = [
                f"U-{(day * 10 + n) % 200:03d}:overdue:2026-01-01:{day // 7}@{user}"
                for n in range(10)
                for user in (11, 12)
            ] + [f"digest:daily:1:{now.date()}@1"]
            log.write(AlertRecord(k, State.PENDING, {"at": iso(now)}) for k in keys)
            claimed = log.claim(keys)
            log.finish({k: (State.SENT, {"at": iso(now), "message_id": 1}) for k in claimed})
            log.prune(now)
        kept = store.registry.list_alerts()
        journal_lines = store._alert_journal.lines if store._alert_journal else 0
    total = 365 * 21
    # 200 items × 2 people: their newest step each, plus the last 35 days' steps and the
    # last 90 days' digests.
    assert len(kept) <= 400 + 35 * 20 + 90
    assert len(kept) < total / 3
    assert journal_lines < 10_000


def test_one_write_is_one_journal_line_and_a_torn_one_loses_the_whole_write(
    tmp_path: Path,
) -> None:
    """A sweep's wave is encoded and appended as one line (schema 2): a crash mid-append
    loses all of that write (never acknowledged), never half of it."""
    root = tmp_path / "data"
    store = Store.open(root)
    store.registry.put_alerts([AlertRecord("k1", State.PENDING)])
    lines_before = (root / "alerts.jsonl").read_bytes().count(b"\n")
    wave = [AlertRecord(f"w{n}", State.SENDING, {"at": iso(T0)}) for n in range(2400)]
    store.registry.put_alerts(wave)
    journal = (root / "alerts.jsonl").read_bytes()
    assert journal.count(b"\n") == lines_before + 1
    assert json.loads(journal.split(b"\n")[0])["schema"] == 2
    _crash(store)
    (root / "alerts.jsonl").write_bytes(journal[: len(journal) - 200])  # the last line torn
    with Store.open(root) as again:
        assert [r.key for r in again.registry.list_alerts()] == ["k1"]
        assert check(root).ok


def test_a_schema_1_journal_is_read_and_rewritten_before_anything_is_appended(
    tmp_path: Path,
) -> None:
    """A data directory from before batch lines: its journal (one record per line) is
    replayed as it is, then folded into alerts.json and restarted in schema 2."""
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.registry.put_alerts([AlertRecord("k0", State.SENT)])
        store.registry._alerts.compact()
        generation = json.loads((root / "alerts.json").read_bytes())["_meta"]["1"]["generation"]
    header = {"kind": "alert-journal", "schema": 1, "base": generation}
    records = [{"key": "k1", "state": "sent", "data": {}}, {"key": "k2", "state": "pending"}]
    (root / "alerts.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in [header, *records]), "utf-8"
    )
    assert check(root).ok
    with Store.open(root) as store:
        assert store.registry.get_alert("k2") == AlertRecord("k2", State.PENDING)
        store.registry.put_alerts([AlertRecord("k3", State.SENT)])
        lines = (root / "alerts.jsonl").read_text("utf-8").splitlines()
        assert json.loads(lines[0])["schema"] == 2 and len(lines) == 2
        folded = json.loads((root / "alerts.json").read_bytes())["alerts"]
        assert {r["key"] for r in folded.values()} == {"k0", "k1", "k2"}
    with Store.open(root) as again:
        assert {r.key for r in again.registry.list_alerts()} == {"k0", "k1", "k2", "k3"}


def test_a_move_is_one_line_naming_its_keys_and_replays_to_the_same_records(
    tmp_path: Path,
) -> None:
    """AlertMove: thousands of keys moved to one state in one short line; data merged over
    each record's (or in its place); a restart replays it to exactly what memory held."""
    root = tmp_path / "data"
    store = Store.open(root)
    keys = [f"HZ-{n:03d}:overdue:2026-01-01:0@11" for n in range(2400)]
    store.registry.move_alerts([AlertMove(keys, State.PENDING, {"at": "t0"}, merge=False)])
    size = (root / "alerts.jsonl").stat().st_size
    store.registry.move_alerts(
        [
            AlertMove(keys[:2], State.SENT, {"message_id": 7}),  # merged: "at" kept
            AlertMove(keys[2:4], State.SUPERSEDED, {"why": "x"}, merge=False),  # replaced
            AlertMove(keys[4:], State.SENDING),  # data kept as it is
            AlertMove(["new@1"], State.UNCERTAIN, {"at": "t1"}),  # no record yet: created
        ]
    )
    line = (root / "alerts.jsonl").read_bytes()[size:]
    assert line.count(b"\n") == 1 and len(line) < 70 * len(keys)  # the keys, not records
    before = {r.key: r for r in store.registry.list_alerts()}
    assert before[keys[0]] == AlertRecord(keys[0], State.SENT, {"at": "t0", "message_id": 7})
    assert before[keys[2]] == AlertRecord(keys[2], State.SUPERSEDED, {"why": "x"})
    assert before[keys[9]] == AlertRecord(keys[9], State.SENDING, {"at": "t0"})
    assert before["new@1"] == AlertRecord("new@1", State.UNCERTAIN, {"at": "t1"})
    assert store.registry.alert_keys(State.SENT) == keys[:2]
    _crash(store)
    assert check(root).ok
    with Store.open(root) as again:
        assert {r.key: r for r in again.registry.list_alerts()} == before
        assert again.registry.alert_keys(State.SENDING) == keys[4:]


def test_a_torn_move_line_moves_nothing_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    store = Store.open(root)
    store.registry.move_alerts([AlertMove(["k1", "k2"], State.PENDING, {}, merge=False)])
    good = (root / "alerts.jsonl").read_bytes()
    store.registry.move_alerts([AlertMove(["k1", "k2"], State.SENDING)])
    torn = (root / "alerts.jsonl").read_bytes()[:-5]
    _crash(store)
    damaged = good + b'{"moves": [{"keys": [1, 2], "state": "sent"}]}\n'
    (root / "alerts.jsonl").write_bytes(damaged)
    assert not check(root).ok
    with pytest.raises(CorruptFile, match="line 3 is not an alert record"):
        Store.open(root)
    (root / "alerts.jsonl").write_bytes(torn)
    with Store.open(root) as again:
        assert again.registry.alert_keys(State.PENDING) == ["k1", "k2"]  # neither moved
    with pytest.raises(ValueError):
        Store.memory().registry.move_alerts([AlertMove([""], State.SENT)])


def test_the_alert_snapshot_is_written_without_spaces_and_reads_back(tmp_path: Path) -> None:
    """alerts.json holds ~300,000 small records after a year: no space after `,` and `:`
    keeps it 6% smaller (bench/alertlog.py's ≤ 50 MB)."""
    root = tmp_path / "data"
    with Store.open(root) as store:
        store.registry.put_alerts(
            [_sent(f"HZ-{n:03d}:overdue:2026-01-01:0@11", T0) for n in range(3)]
        )
        store.registry._alerts.compact()
        text = (root / "alerts.json").read_text("utf-8")
        assert '"state":"sent"' in text and ", " not in text and '": ' not in text
    assert check(root).ok
    with Store.open(root) as again:
        assert len(again.registry.list_alerts()) == 3


def test_records_moved_together_are_one_group_row_in_the_snapshot_in_their_order(
    tmp_path: Path,
) -> None:
    """A compaction writes consecutive records with one state and one data object (a
    message's keys, moved together) as one row naming the keys; a lone record stays a
    record. Read back, every record, its state and data and the order are as they were,
    and the records of a group share one data object (no object per record)."""
    root = tmp_path / "data"
    message_a = [f"HZ-{n:03d}:overdue:2026-01-01:0@11" for n in range(500)]
    message_b = [f"HZ-{n:03d}:overdue:2026-01-01:0@12" for n in range(500)]
    with Store.open(root) as store:
        registry = store.registry
        registry.move_alerts(
            [AlertMove(message_a + message_b, State.PENDING, {"at": "t0"}, merge=False)]
        )
        registry.put_alert(AlertRecord("lone@13", State.UNCERTAIN, {"reason": "timeout"}))
        registry.move_alerts(
            [
                AlertMove(message_a, State.SENT, {"message_id": 1}),
                AlertMove(message_b[:250], State.SENT, {"message_id": 2}),
                # one record in the middle of b moved on its own: b is cut in three rows
                AlertMove(message_b[250:251], State.FAILED, {"error": "x"}),
            ]
        )
        before = registry.list_alerts()
        registry._alerts.compact()
        rows = list(json.loads((root / "alerts.json").read_bytes())["alerts"].values())
        assert json.loads((root / "alerts.json").read_bytes())["_meta"]["1"]["schema"] == 2
    assert [len(r["keys"]) if "keys" in r else r["key"] for r in rows] == [
        500,
        250,
        message_b[250],
        249,
        "lone@13",
    ]
    assert rows[0] == {"state": "sent", "data": {"at": "t0", "message_id": 1}, "keys": message_a}
    assert check(root).ok
    with Store.open(root) as again:
        after = again.registry.list_alerts()
        assert [r.key for r in after] == [r.key for r in before]
        assert {r.key: r for r in after} == {r.key: r for r in before}
        assert after[0].data is after[499].data  # one data object for the group
        assert again.registry.alert_keys(State.PENDING) == message_b[251:]


def test_a_damaged_group_row_reads_as_uncertain_and_nothing_in_it_is_resent(
    tmp_path: Path,
) -> None:
    """R29 for group rows: a row whose state or data is damaged makes each of its keys a
    damaged record (``uncertain``: done, never decided again, told once); a key that is not
    a string is counted damaged; the rest of the log reads as it was."""
    root = tmp_path / "data"
    keys = [f"HZ-{n:03d}:overdue:2026-01-01:0@11" for n in range(3)]
    with Store.open(root) as store:
        store.registry.move_alerts([AlertMove(keys, State.SENT, {"at": "t0"}, merge=False)])
        store.registry.put_alert(AlertRecord("ok@12", State.SENT, {"at": "t0"}))
        store.registry._alerts.compact()
    path = root / "alerts.json"
    doc = json.loads(path.read_bytes())
    group = next(r for r in doc["alerts"].values() if "keys" in r)
    group["state"], group["keys"] = ["garbled"], [*keys, 7]
    path.write_text(json.dumps(doc), "utf-8")
    assert not check(root).ok  # `check` names the damaged group row
    with Store.open(root) as again:
        log = AlertLog(again.registry)
        assert again.registry.alert_keys(State.UNCERTAIN) == keys
        assert all(
            again.registry.get_alert(k) == AlertRecord(k, State.UNCERTAIN, {"damaged": True})
            for k in keys
        )
        assert all(k in log.done() for k in keys)
        assert again.registry._alerts.damaged() == 4  # three records and a key that is not one
        assert again.registry.alert_state("ok@12") == State.SENT


def test_the_retention_runs_once_a_day_also_across_a_restart(tmp_path: Path) -> None:
    """The day the retention ran is kept with the data: a bot restarted the same day does not
    read every record again (the peak of a restart's memory at 100k items); the next day it
    runs and drops what expired."""
    root = tmp_path / "data"
    day = T0 + timedelta(days=100)
    with Store.open(root) as store:
        store.registry.put_alerts(
            [
                _sent("HZ-001:overdue:2025-09-01:3@11", day - timedelta(days=60)),
                _sent("HZ-001:overdue:2025-09-01:9@11", day - timedelta(days=1)),
            ]
        )
        assert AlertLog(store.registry).prune(day) == 1
    with Store.open(root) as again:
        log = AlertLog(again.registry)

        def no_full_read(*_: object) -> list[AlertRecord]:
            raise AssertionError("the retention read the log twice in one day")

        again.registry.list_alerts = no_full_read  # type: ignore[method-assign,assignment]
        assert log.prune(day + timedelta(hours=3)) == 0
        del again.registry.list_alerts
        again.registry.put_alert(_sent("HZ-001:overdue:2025-09-01:11@11", day))
        assert log.prune(day + timedelta(days=STEP_DAYS + 1)) == 1  # the next day's run
        assert again.registry.alert_keys(State.SENT) == ["HZ-001:overdue:2025-09-01:11@11"]
