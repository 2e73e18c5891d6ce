"""The alert log's state moves: compare-and-set claims, outcomes only from ``sending``, recovery
at start-up, and what counts as done for the policy (alerts.log)."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.log import DONE, AlertLog, State, describe, is_notice, split_delivery_key
from storage.records import AlertRecord
from storage.repo import Store

NOW = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
K1 = "HZ-001:overdue:2026-02-25:0@11"
K2 = "HZ-001:overdue:2026-02-25:0@12"


@pytest.fixture
def log() -> AlertLog:
    return AlertLog(Store.memory().registry)


def test_claim_takes_only_pending_records(log: AlertLog) -> None:
    log.write([AlertRecord(K1, State.PENDING, {"at": "t0"}), AlertRecord(K2, State.SENT)])
    assert log.claim([K1, K2, "missing@1"]) == {K1}
    record = log.registry.get_alert(K1)
    assert record == AlertRecord(K1, State.SENDING, {"at": "t0"})
    assert log.claim([K1]) == set()  # a second claim gets nothing


def test_settle_records_one_wave_and_claims_the_next_in_one_write(log: AlertLog) -> None:
    log.write([AlertRecord(K1, State.PENDING), AlertRecord(K2, State.PENDING)])
    log.claim([K1])
    writes = []
    move = log.registry.move_alerts

    def counting(moves):
        batch = list(moves)
        writes.append([(list(m.keys), m.state) for m in batch])
        move(batch)

    log.registry.move_alerts = counting  # type: ignore[method-assign]
    assert log.settle({K1: (State.SENT, {"message_id": 7})}, [K2]) == {K2}
    assert writes == [[([K1], State.SENT), ([K2], State.SENDING)]]
    assert log.registry.get_alert(K1) == AlertRecord(K1, State.SENT, {"message_id": 7})
    assert log.registry.get_alert(K2) == AlertRecord(K2, State.SENDING, {})


def test_concurrent_claims_give_each_key_to_one_claimer(log: AlertLog) -> None:
    keys = [f"HZ-{n:03d}:due_soon:2026-03-05:3@11" for n in range(200)]
    log.write(AlertRecord(k, State.PENDING) for k in keys)
    won: list[set[str]] = []

    def claim() -> None:
        won.append(log.claim(keys))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(w) for w in won) == [0, 0, 0, 200]


def test_finish_moves_only_sending_records(log: AlertLog) -> None:
    log.write([AlertRecord(K1, State.PENDING), AlertRecord(K2, State.PENDING)])
    log.claim([K1])
    moved = log.finish({K1: (State.SENT, {"message_id": 7}), K2: (State.SENT, {"message_id": 8})})
    assert moved == 1
    assert log.registry.get_alert(K1) == AlertRecord(K1, State.SENT, {"message_id": 7})
    assert log.registry.get_alert(K2) == AlertRecord(K2, State.PENDING, {})
    with pytest.raises(ValueError):
        log.finish({K2: (State.SENDING, {})})


def test_recover_turns_sending_into_uncertain(log: AlertLog) -> None:
    log.write([AlertRecord(K1, State.PENDING, {"at": "t0"}), AlertRecord(K2, State.SENT)])
    log.claim([K1])
    recovered = log.recover(NOW)
    assert [r.key for r in recovered] == [K1]
    record = log.registry.get_alert(K1)
    assert record == AlertRecord(
        K1, State.UNCERTAIN, {"at": "2026-03-02T09:00:00+08:00", "reason": "interrupted"}
    )
    assert log.recover(NOW) == []


def test_done_keys_never_include_what_did_not_reach_telegram(log: AlertLog) -> None:
    records = {f"k{s}@1": AlertRecord(f"k{s}@1", s) for s in State}
    done = AlertLog.done_keys(records)
    assert done == {f"k{s}@1" for s in DONE}
    assert "kuncertain@1" in done and "ksending@1" in done  # never resent blindly
    assert "kpending@1" not in done and "ksuperseded@1" not in done


def test_delivery_key_helpers() -> None:
    assert split_delivery_key(K1) == ("HZ-001:overdue:2026-02-25:0", 11)
    assert describe(K1) == ("overdue", "HZ-001", 11)
    assert describe("digest:daily:100:2026-03-02@100") == ("digest_daily", None, 100)
    assert describe("digest:weekly:HZ:2026-W10@11") == ("digest_weekly", None, 11)
    assert describe("notice:unreachable:11:0@100") == ("notice", None, 100)
    assert is_notice("notice:uncertain:20260302T090000:ab12cd34@100")
    assert not is_notice(K1)
