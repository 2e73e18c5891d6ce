"""The harness itself: the production Application starts against the emulator and stops."""

from __future__ import annotations

from tests.e2e.harness import BotUnderTest


async def test_production_app_polls_the_emulator(bot: BotUnderTest) -> None:
    assert bot.app.bot.username == bot.emulator.bot_user["username"]
    assert bot.emulator.calls_of("getMe")
    await bot.emulator.wait_for(lambda: bool(bot.emulator.calls_of("getUpdates")), what="a poll")
    assert bot.store.registry.list_units() == []
