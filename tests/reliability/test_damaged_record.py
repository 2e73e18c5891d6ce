"""R29: one damaged record never stops the other units' alerts or answers.

A ledger whose file parses but holds a record that does not decode is quarantined read-only
at start-up: its readable records still count, writes to it are refused with a clear word,
the inspectors are told once, and every other unit goes on as before. A damaged alert-log
record reads as ``uncertain`` (never resent; the inspectors are told) instead of failing
every sweep.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.jobs import sweep_now
from app.clock import FakeClock
from config import load_config
from ledger.model import Person, Role, Unit
from sandbox.emulator import Emulator
from storage.repo import Store
from tests.alerts.helpers import fake_pacing, new_item
from tests.e2e.fuzz_helpers import Handled
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, running_bot, write_config

TZ = ZoneInfo("Asia/Shanghai")
UNITS = ("HZ", "NB", "WZ")
CONTACTS = {"HZ": 2001, "NB": 2002, "WZ": 2003}


def seed(tmp_path: Path, emulator: Emulator) -> None:
    """Three units, each with a contact and two items five days overdue; the bot not running.
    Everyone has opened a chat with the bot (the emulator knows them)."""
    for uid in (INSPECTOR_ID, OTHER_INSPECTOR_ID, *CONTACTS.values()):
        emulator.user(uid, f"用户{uid}")
    config = load_config(write_config(tmp_path, [INSPECTOR_ID, OTHER_INSPECTOR_ID]), env={})
    with Store.open(config.data_dir) as store:
        for code in UNITS:
            store.add_unit(Unit(code, f"{code}单位党组"))
            store.registry.upsert_person(
                Person(CONTACTS[code], f"{code}联络员", Role.CONTACT, unit=code)
            )
            for _ in range(2):
                new_item(
                    store,
                    code,
                    now=datetime(2026, 1, 5, 9, tzinfo=TZ),
                    deadline=date(2026, 2, 25),
                    rules=config.rules,
                )


def damage(path: Path, table: str, doc_id: str, **change: object) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc[table][doc_id].update(change)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def alert_texts(emulator: Emulator, chat_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in emulator.calls_of("sendMessage")
        if c.ok and c.chat_id == chat_id and "【" in c.params["text"]
    ]


async def test_one_damaged_ledger_record_never_stops_other_units_alerts_or_answers(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    seed(tmp_path, emulator)
    ledger = tmp_path / "data" / "ledgers" / "NB.json"
    digest = damage(ledger, "items", "1", status="烂掉了", deadline=17)
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        await sweep_now(bot.app)
        # Every other unit's contact got its overdue alert; NB's readable item too.
        for code in ("HZ", "WZ"):
            texts = alert_texts(emulator, CONTACTS[code])
            assert texts and f"{code}-001" in texts[0] and f"{code}-002" in texts[0]
        nb = alert_texts(emulator, CONTACTS["NB"])
        assert nb and "NB-002" in nb[0] and "NB-001" not in nb[0]
        # Each inspector told once, naming the unit and the record.
        for uid in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
            told = [t for t in alert_texts(emulator, uid) if t.startswith("【台账受损】")]
            assert len(told) == 1 and "NB" in told[0] and "item record 1" in told[0]
        # Inspectors' views still answer, without the internal-error word.
        handled = Handled.install(bot.app)
        inspector = bot.inspector()
        for command in ("/open", "/overdue", "/alerts", "/units", "/export"):
            before = len(inspector.replies)
            sent = await inspector.send(command)
            await handled.wait(f"update:{sent.update_id}")
            answers = inspector.replies[before:]
            assert answers, command
            assert all("内部错误" not in (m.text or "") for m in answers), command
            if command == "/export":
                assert any(m.document is not None for m in answers)
        bot.check_clean()
        # A write to the damaged unit is refused with the right word; the file is untouched.
        contact = bot.user(CONTACTS["NB"], "NB联络员")
        sent = await contact.send("/progress NB-002 已召开专题会")
        await handled.wait(f"update:{sent.update_id}")
        refusal = contact.replies[-1].text or ""
        assert "只读" in refusal and "内部错误" not in refusal
        # Later sweeps, the next day: no second damage notice.
        bot.advance(timedelta(days=1))
        await sweep_now(bot.app)
        for uid in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
            told = [t for t in alert_texts(emulator, uid) if t.startswith("【台账受损】")]
            assert len(told) == 1
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == digest
    assert list((tmp_path / "data" / "quarantine").glob("NB.json.*"))


async def test_a_damaged_alert_log_record_is_never_resent_and_other_alerts_go_out(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    seed(tmp_path, emulator)
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        await sweep_now(bot.app)
        first = {code: len(alert_texts(emulator, uid)) for code, uid in CONTACTS.items()}
    assert all(first.values())
    log_path = tmp_path / "data" / "alerts.json"
    doc = json.loads(log_path.read_text(encoding="utf-8"))
    # A row is one record ("key") or the records of one message ("keys", one state and data):
    # damaging the row damages every record in it.
    hz = next(
        d
        for d, r in doc["alerts"].items()
        if any(k.endswith(f"@{CONTACTS['HZ']}") for k in r.get("keys", [r.get("key", "")]))
    )
    damage(log_path, "alerts", hz, state=["garbled"], data="x")
    # A new overdue item in WZ: its alert must still go out after the damage.
    with Store.open(tmp_path / "data") as store:
        new_item(
            store,
            "WZ",
            now=datetime(2026, 1, 5, 9, tzinfo=TZ),
            deadline=date(2026, 2, 26),
            rules=load_config(tmp_path / "config.toml", env={}).rules,
        )
    emulator_clock.advance(timedelta(hours=1))
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        await sweep_now(bot.app)
        assert len(alert_texts(emulator, CONTACTS["HZ"])) == first["HZ"]  # never resent
        wz = alert_texts(emulator, CONTACTS["WZ"])
        assert len(wz) == first["WZ"] + 1 and "WZ-003" in wz[-1]
        for uid in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
            assert any(t.startswith("【发送状态不明】") for t in alert_texts(emulator, uid))
        bot.check_clean()
