"""R18: the same update delivered twice changes the ledger once and replies once."""

from __future__ import annotations

from pathlib import Path

from telegram import Update

from app.clock import FakeClock
from sandbox.emulator import Emulator
from sandbox.users import UserMessage
from tests.e2e.harness import BotUnderTest, running_bot


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
