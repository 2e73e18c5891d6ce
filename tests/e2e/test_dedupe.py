"""R18: the same update delivered twice changes the ledger once and replies once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Update

from app.clock import FakeClock
from handlers.dedupe import QUERY_COMMANDS, is_pure_query
from sandbox.emulator import Emulator
from sandbox.users import UserMessage
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.seed import seed_item


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


async def test_a_query_is_remembered_without_waiting_for_the_disk_and_still_answered_once(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pure query (/units, a list's page button) takes the quick mark (written at once,
    fsynced after); one that records (/newunit) waits for its durable mark; either kind
    delivered again — in the same run or after a restart — is handled once (R18)."""
    async with running_bot(tmp_path, emulator, emulator_clock) as first:
        persisted: list[str] = []
        marks = first.store.update_marks
        real: Callable[[str], None] = marks.persist

        def persist(key: str) -> None:
            persisted.append(key.split(":")[0])
            real(key)

        monkeypatch.setattr(marks, "persist", persist)
        inspector = first.inspector()
        created = await inspector.send("/newunit HZ 杭州市局党组")
        assert "已新建单位" in (await inspector.next_reply()).text
        asked = await inspector.send("/units")
        units = await inspector.next_reply()
        await inspector.press(units, "HZ")  # a unit:HZ button: a query too
        await inspector.next_reply()
        assert persisted == [str(created.update_id)]  # only the update that recorded
        assert marks.keys()[-3].startswith(f"{created.update_id}:")
        assert marks.keys()[-2].startswith(f"{asked.update_id}:")
        await first.app.process_update(again(first, asked))
        assert inspector.unread_replies() == []
        first.check_clean()
    lines = (tmp_path / "data" / "updates.jsonl").read_text("utf-8")
    assert f'"{asked.update_id}:' in lines
    async with running_bot(tmp_path, emulator, emulator_clock) as second:
        await second.app.process_update(again(second, asked))
        await second.app.process_update(again(second, created))
        assert inspector.unread_replies() == []
        second.check_clean()


async def test_pure_queries_write_nothing_but_their_update_mark(bot: BotUnderTest) -> None:
    """What makes the quick mark safe: every query command and query button only reads (a
    repeat answers again and records nothing) — the data directory is byte for byte the same
    after each, but for updates.jsonl."""
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
        *((inspector, f"/{c}") for c in sorted(QUERY_COMMANDS)),
        (inspector, "/unit HZ"),
        (inspector, "/units 1"),
        (contact, "/open"),
        (contact, "/item HZ-001"),
        (contact, "/history HZ-001"),
        (contact, "/due 7"),
    ]:
        assert is_pure_query(again(bot, await user.send(text))), text
        await user.next_reply()
    await contact.send("/open")
    page = await contact.next_reply()
    await contact.press(page, "›")  # page:open:HZ:2, the page turned in place
    turned = await contact.next_edit()
    await contact.press(turned, turned.button_texts[0])  # card:HZ-…, the item's card
    card = await contact.next_reply()
    assert "HZ-" in card.text
    assert files() == before
