"""R18: the same update delivered twice changes the ledger once and replies once."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from app.clock import FakeClock
from handlers import workflow
from sandbox.emulator import Emulator
from sandbox.users import EmulatedUser, UserMessage
from storage import Store
from storage.safe import SafeJSONStorage, is_temp_file
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.seed import seed_item

# The commands that only read and answer: a repeat that a power cut let through (their
# marks may not be durable yet when they answer, handlers.dedupe) answers again, no more.
QUERY_COMMANDS = ("due", "help", "history", "item", "open", "overdue", "people", "todo", "unit")


def again(bot: BotUnderTest, sent: UserMessage, **changes: object) -> Update:
    """The update that carried ``sent``, as Telegram would deliver it a second time."""
    message = {**sent.raw, **changes}
    return Update.de_json({"update_id": sent.update_id, "message": message}, bot.app.bot)


async def test_a_repeated_update_is_handled_once(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    sent = await inspector.send("/invite HZ contact")
    await inspector.next_reply()
    await bot.app.process_update(again(bot, sent))  # returns once every handler has run
    await bot.app.process_update(again(bot, sent))
    assert inspector.unread_replies() == []
    assert len(bot.store.registry.list_invites()) == 1


async def test_same_id_with_new_content_is_a_new_update(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    sent = await inspector.send("/units")
    await inspector.next_reply()
    # Telegram restarts ids after a week of silence (and the sandbox's emulator per run).
    command = [{"type": "bot_command", "offset": 0, "length": 7}]
    await bot.app.process_update(again(bot, sent, text="/people", entities=command))
    assert (await inspector.next_reply()).text.startswith("人员绑定情况")


async def test_repeats_are_remembered_across_a_restart(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    async with running_bot(tmp_path, emulator, emulator_clock) as first:
        inspector = first.inspector()
        sent = await inspector.send("/newunit HZ 杭州市局党组")
        assert "已新建单位" in (await inspector.next_reply()).text
        first.check_clean()
    async with running_bot(tmp_path, emulator, emulator_clock) as second:
        await second.app.process_update(again(second, sent))
        assert inspector.unread_replies() == []  # not "HZ already exists": not handled at all
        assert [u.code for u in second.store.registry.list_units()] == ["HZ"]
        second.check_clean()


async def test_remembering_an_update_does_not_rewrite_the_registry(bot: BotUnderTest) -> None:
    registry = bot.store.layout.registry if bot.store.layout else None
    assert registry is not None
    before = registry.read_bytes(), registry.stat().st_mtime_ns
    stranger = bot.user(4242, "陌生人")
    sent = await stranger.send("/help")
    await stranger.next_reply()
    assert (registry.read_bytes(), registry.stat().st_mtime_ns) == before
    assert bot.store.update_marks.keys()[-1].startswith(f"{sent.update_id}:")


async def test_every_update_is_remembered_without_waiting_for_the_disk_and_answered_once(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the journal exists, every update — a query (/units, a unit button) and one that
    records (/newunit) alike — takes the quick mark (its line written at once, no fsync
    awaited, no worker thread); delivered again, in the same run or after a restart, each is
    handled once (R18)."""
    async with running_bot(tmp_path, emulator, emulator_clock) as first:
        persisted: list[str] = []
        marks = first.store.update_marks
        real: Callable[[str], None] = marks.persist

        def persist(key: str) -> None:
            persisted.append(key.split(":")[0])
            real(key)

        inspector = first.inspector()
        await inspector.send("/help")  # the first mark creates updates.jsonl (persisted)
        await inspector.next_reply()
        monkeypatch.setattr(marks, "persist", persist)
        created = await inspector.send("/newunit HZ 杭州市局党组")
        assert "已新建单位" in (await inspector.next_reply()).text
        asked = await inspector.send("/units")
        units = await inspector.next_reply()
        await inspector.press(units, "HZ")  # a unit:HZ button: a query too
        await inspector.next_reply()
        assert persisted == []
        assert marks.keys()[-3].startswith(f"{created.update_id}:")
        assert marks.keys()[-2].startswith(f"{asked.update_id}:")
        await first.app.process_update(again(first, asked))
        await first.app.process_update(again(first, created))
        assert inspector.unread_replies() == []
        first.check_clean()
    lines = (tmp_path / "data" / "updates.jsonl").read_text("utf-8")
    assert f'"{asked.update_id}:' in lines and f'"{created.update_id}:' in lines
    async with running_bot(tmp_path, emulator, emulator_clock) as second:
        await second.app.process_update(again(second, asked))
        await second.app.process_update(again(second, created))
        assert inspector.unread_replies() == []
        assert [u.code for u in second.store.registry.list_units()] == ["HZ"]
        second.check_clean()


async def _progress_world(bot: BotUnderTest) -> EmulatedUser:
    """Unit HZ with one open item HZ-001 and its contact, who has spoken once (so the marks'
    journal exists and the next marks take the quick way)."""
    bot.add_unit("HZ")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=now.date() + timedelta(days=30))
    contact = bot.contact("HZ")
    await contact.send("/help")
    await contact.next_reply()
    return contact


def _notes(store: Store) -> list[str]:
    item = store.ledger("HZ").get_item("HZ-001")
    assert item is not None
    return [note.text for note in item.progress]


async def test_a_progress_note_s_mark_is_durable_before_its_ledger_change_is_committed(
    bot: BotUnderTest,
) -> None:
    """The order that keeps R18 against a power cut: the progress note's update mark is
    fsynced (the store's barrier, on the write's own thread) before the ledger's new file is
    renamed into place — not 0.2 s later by the background sync, which would let a power cut
    keep the note and lose the mark, so that Telegram's re-delivery records it twice."""
    contact = await _progress_world(bot)
    marks = bot.store.update_marks
    marks.sync()  # /help's mark: durable now, so its background sync cannot interleave below
    ledger_storage = bot.store.ledger("HZ")._storage
    assert isinstance(ledger_storage, SafeJSONStorage)
    seen: list[str] = []
    journal_ops, ledger_ops = marks.journal.file_ops, ledger_storage.file_ops

    def marks_fsync(fd: int) -> None:
        journal_ops.fsync(fd)
        lines = marks.journal.path.read_bytes().splitlines()
        seen.append(f"marks fsync ({len(lines) - 1} marks)")

    def ledger_replace(src: str, dst: str) -> None:
        seen.append(f"rename to {Path(dst).name}")
        ledger_ops.replace(src, dst)

    marks.journal.file_ops = dataclasses.replace(journal_ops, fsync=marks_fsync)
    ledger_storage.file_ops = dataclasses.replace(ledger_ops, replace=ledger_replace)
    before = len(marks)
    sent = await contact.send("/progress HZ-001 已召开专题会议")
    assert "HZ-001" in (await contact.next_reply()).text
    assert marks.keys()[-1].startswith(f"{sent.update_id}:")
    assert seen[:2] == [f"marks fsync ({before + 1} marks)", "rename to HZ.json"]
    assert _notes(bot.store) == ["已召开专题会议"]


async def test_a_kill_between_the_mark_and_the_ledger_commit_records_nothing_and_repeats_nothing(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    """What a ``kill -9`` leaves just before the ledger's rename (the files as they are then,
    the temp file included): the update's mark is already there, so Telegram's re-delivery
    after the restart is dropped — no reply and no note (at most once: the person sends it
    again), and the killed write's temp file is cleaned."""
    killed = tmp_path / "killed"
    killed.mkdir()
    async with running_bot(tmp_path, emulator, emulator_clock) as first:
        contact = await _progress_world(first)
        ledger_storage = first.store.ledger("HZ")._storage
        assert isinstance(ledger_storage, SafeJSONStorage)
        real = ledger_storage.file_ops

        def kill_before_rename(src: str, dst: str) -> None:
            shutil.copytree(tmp_path / "data", killed / "data")
            real.replace(src, dst)

        ledger_storage.file_ops = dataclasses.replace(real, replace=kill_before_rename)
        sent = await contact.send("/progress HZ-001 已召开专题会议")
        await contact.next_reply()
        ledger_storage.file_ops = real
        first.check_clean()
    assert any(is_temp_file(p) for p in (killed / "data" / "ledgers").iterdir())
    async with running_bot(killed, emulator, emulator_clock) as second:
        await second.app.process_update(again(second, sent))
        assert contact.unread_replies() == []
        assert _notes(second.store) == []
        assert not any(is_temp_file(p) for p in (killed / "data" / "ledgers").iterdir())
        second.check_clean()


async def test_a_kill_after_the_ledger_commit_before_the_reply_records_the_note_once(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a ``kill -9`` leaves once the note is committed but before anyone is answered:
    after the restart the re-delivered update is dropped (no second note, no reply), and so
    is a second re-delivery to the bot that was not killed (one reply in all)."""
    killed = tmp_path / "killed"
    killed.mkdir()
    real = workflow.after_action

    async def kill_before_reply(*args: Any, **kwargs: Any) -> None:
        shutil.copytree(tmp_path / "data", killed / "data")
        await real(*args, **kwargs)

    async with running_bot(tmp_path, emulator, emulator_clock) as first:
        contact = await _progress_world(first)
        monkeypatch.setattr(workflow, "after_action", kill_before_reply)
        sent = await contact.send("/progress HZ-001 已召开专题会议")
        await contact.next_reply()
        monkeypatch.setattr(workflow, "after_action", real)
        await first.app.process_update(again(first, sent))
        assert contact.unread_replies() == []
        assert _notes(first.store) == ["已召开专题会议"]
        first.check_clean()
    async with running_bot(killed, emulator, emulator_clock) as second:
        await second.app.process_update(again(second, sent))
        assert contact.unread_replies() == []
        assert _notes(second.store) == ["已召开专题会议"]
        second.check_clean()
    async with running_bot(tmp_path, emulator, emulator_clock) as third:  # a clean restart
        await third.app.process_update(again(third, sent))
        assert contact.unread_replies() == []
        assert _notes(third.store) == ["已召开专题会议"]
        third.check_clean()


async def test_pure_queries_write_nothing_but_their_update_mark(bot: BotUnderTest) -> None:
    """What an answer sent before its mark is durable risks (handlers.dedupe): a query
    command or button only reads, so a repeat a power cut let through answers again and
    records nothing — the data directory is byte for byte the same after each, but for
    updates.jsonl (whose quick marks no write's barrier had to fsync)."""
    bot.add_unit("HZ")
    now = bot.clock.now()
    for _ in range(12):  # two pages of /open
        seed_item(bot.store, "HZ", now=now, deadline=now.date() + timedelta(days=3))
    inspector = bot.inspector()
    contact = bot.contact("HZ")
    for user in (inspector, contact):  # first words: an inspector's name is recorded
        await user.send("/help")
        await user.next_reply()
    root = bot.store.layout.root if bot.store.layout else None
    assert root is not None

    def files() -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in ("updates.jsonl", ".lock")
        }

    before = files()
    for user, text in [
        *((inspector, f"/{c}") for c in QUERY_COMMANDS),
        (inspector, "/units"),
        (inspector, "/unit HZ"),
        (inspector, "/units 1"),
        (contact, "/open"),
        (contact, "/item HZ-001"),
        (contact, "/history HZ-001"),
        (contact, "/due 7"),
    ]:
        await user.send(text)
        await user.next_reply()
    await contact.send("/open")
    page = await contact.next_reply()
    await contact.press(page, "›")  # page:open:HZ:2, the page turned in place
    turned = await contact.next_edit()
    await contact.press(turned, turned.button_texts[0])  # card:HZ-…, the item's card
    card = await contact.next_reply()
    assert "HZ-" in card.text
    assert files() == before
