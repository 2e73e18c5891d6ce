"""R31: no second writer, even when ``data/.lock`` is removed or replaced by a symlink; a
ledger changed under the bot is detected and never overwritten from memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.model import Unit
from storage.errors import ChangedOnDisk
from storage.journal import alert_journal_records
from storage.records import AlertRecord
from storage.repo import Store
from storage.safe import atomic_write
from tests.storage.storage_helpers import add_item

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "ledger-sample.xlsx"


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_removing_the_lock_file_while_the_bot_runs_does_not_let_an_import_in(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ndata_dir = "data"\n', encoding="utf-8")
    data = tmp_path / "data"
    with Store.open(data) as bot:  # the running bot
        bot.add_unit(Unit("HZ", "杭州"))
        (data / ".lock").unlink()
        before = {p.name: p.read_bytes() for p in (data / "ledgers").iterdir()}
        registry = (data / "registry.json").read_bytes()
        result = _cli(config, "import", str(SAMPLE), "--yes")
        assert result.returncode != 0, result.stdout + result.stderr
        assert "机器人正在运行" in result.stderr  # "the bot is running: use the chat"
        assert "Traceback" not in result.stderr
        assert {p.name: p.read_bytes() for p in (data / "ledgers").iterdir()} == before
        assert (data / "registry.json").read_bytes() == registry
        add_item(bot)  # the bot still writes normally


def test_a_symlinked_lock_file_leaves_its_target_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("do not truncate me\n", encoding="utf-8")
    (data / ".lock").symlink_to(target)
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州"))
        assert not (data / ".lock").is_symlink()
        assert (data / ".lock").read_text().strip() == str(os.getpid())
    assert target.read_text(encoding="utf-8") == "do not truncate me\n"


def test_a_ledger_changed_under_the_bot_is_never_overwritten_from_memory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as bot:
        bot.add_unit(Unit("HZ", "杭州"))
        add_item(bot)
        assert len(bot.ledger("HZ")) == 1
        # Another writer (a removed lock, a second program) adds three items to the file.
        path = data / "ledgers" / "HZ.json"
        doc = json.loads(path.read_bytes())
        for seq in (2, 3, 4):
            doc["items"][str(seq)] = {**doc["items"]["1"], "id": f"HZ-{seq:03d}"}
        doc["_meta"]["1"]["next_seq"] = 5
        atomic_write(path, json.dumps(doc, ensure_ascii=False).encode())
        theirs = path.read_bytes()
        with pytest.raises(ChangedOnDisk, match="changed on disk"):
            add_item(bot)
        assert path.read_bytes() == theirs  # their three items are still there
        # The refused write dropped the cache: the next write starts from the file as it is.
        add_item(bot)
        assert [i.id for i in bot.ledger("HZ").items()] == [
            "HZ-001",
            "HZ-002",
            "HZ-003",
            "HZ-004",
            "HZ-005",
        ]


def test_the_registry_changed_under_the_bot_is_never_overwritten(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as bot:
        bot.add_unit(Unit("HZ", "杭州"))
        path = data / "registry.json"
        doc = json.loads(path.read_bytes())
        doc["units"]["2"] = {**doc["units"]["1"], "code": "NB", "name": "宁波"}
        atomic_write(path, json.dumps(doc, ensure_ascii=False).encode())
        theirs = path.read_bytes()
        with pytest.raises(ChangedOnDisk):
            bot.registry.set_meta("x", 1)
        assert path.read_bytes() == theirs


def _journal_lines(path: Path) -> list[object]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()[1:]]


def _journal_keys(path: Path) -> list[str]:
    """The alert keys in alerts.jsonl, in order (a line holds one record or a batch)."""
    return [r["key"] for line in _journal_lines(path) for r in alert_journal_records(line) or []]


def test_the_alert_journal_changed_under_the_bot_is_never_appended_to_or_folded_away(
    tmp_path: Path,
) -> None:
    """alerts.jsonl is appended, not rewritten: an append cannot erase another writer's lines,
    but ours must not be glued onto a journal we no longer know, nor a compaction fold it
    away. The write is refused; the next one starts from the log as it is on disk."""
    data = tmp_path / "data"
    with Store.open(data) as bot:
        bot.registry.put_alert(AlertRecord("HZ-001:overdue:1@11", "sent"))
        path = data / "alerts.jsonl"
        snapshot = data / "alerts.json"
        # Another writer (a second program ignoring the lock) records a delivery.
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": "HZ-002:overdue:1@11", "state": "sent"}) + "\n")
        before = (path.read_bytes(), snapshot.read_bytes())
        with pytest.raises(ChangedOnDisk):  # a compaction would fold their line away
            bot.registry.drop_alerts(["HZ-001:overdue:1@11"])
        assert (path.read_bytes(), snapshot.read_bytes()) == before
        assert bot.registry.get_alert("HZ-001:overdue:1@11") is not None  # read again
        with path.open("a", encoding="utf-8") as fh:  # and once more, before an append
            fh.write(json.dumps({"key": "HZ-004:overdue:1@11", "state": "sent"}) + "\n")
        before = (path.read_bytes(), snapshot.read_bytes())
        with pytest.raises(ChangedOnDisk):
            bot.registry.put_alert(AlertRecord("HZ-003:overdue:1@11", "pending"))
        assert (path.read_bytes(), snapshot.read_bytes()) == before
        # The refused write dropped the log in memory: now it reads theirs and appends.
        assert bot.registry.get_alert("HZ-002:overdue:1@11") is not None
        bot.registry.put_alert(AlertRecord("HZ-003:overdue:1@11", "pending"))
        keys = _journal_keys(path)
        assert keys == [f"HZ-00{n}:overdue:1@11" for n in (1, 2, 4, 3)]
    with Store.open(data) as again:
        assert {r.key for r in again.registry.list_alerts()} == {
            f"HZ-00{n}:overdue:1@11" for n in (1, 2, 3, 4)
        }


def test_update_marks_changed_under_the_bot_keep_both_writers_marks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as bot:
        marks = bot.update_marks
        for key in ("1:aa", "2:bb"):
            marks.check_and_remember(key)
            marks.persist(key)
        path = data / "updates.jsonl"
        # Another writer replaces the journal with its own (a new file, as a compaction does).
        atomic_write(path, (path.read_text("utf-8").splitlines()[0] + '\n"9:zz"\n').encode())
        marks.check_and_remember("3:cc")
        marks.persist("3:cc")
        assert _journal_lines(path) == ["9:zz", "1:aa", "2:bb", "3:cc"]
        assert "9:zz" in marks
    with Store.open(data) as again:
        assert again.update_marks.keys() == ["9:zz", "1:aa", "2:bb", "3:cc"]
