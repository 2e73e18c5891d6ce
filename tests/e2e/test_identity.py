"""Configured inspectors are recorded in the registry under their Telegram name."""

from __future__ import annotations

from ledger.model import Role
from tests.e2e.harness import INSPECTOR_ID, BotUnderTest


async def test_an_inspector_who_speaks_is_recorded_with_their_name(bot: BotUnderTest) -> None:
    assert bot.store.registry.get_person(INSPECTOR_ID) is None
    inspector = bot.inspector()
    await inspector.send("/help")
    await inspector.next_reply()
    person = bot.store.registry.get_person(INSPECTOR_ID)
    assert person is not None
    assert person.role is Role.INSPECTOR and person.unit is None
    assert person.name == f"巡察组{INSPECTOR_ID}"


async def test_strangers_are_not_recorded(bot: BotUnderTest) -> None:
    stranger = bot.user(4242, "陌生人")
    await stranger.send("/help")
    await stranger.next_reply()
    assert bot.store.registry.get_person(4242) is None
