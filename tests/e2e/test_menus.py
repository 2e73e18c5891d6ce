"""Command menus: a default for strangers, each person's own in their language (setMyCommands)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.clock import FakeClock
from handlers.menus import MENUS, registered_commands
from ledger.model import Role
from sandbox.emulator import Emulator
from sandbox.users import EmulatedUser
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.seed import invite_code

# A command in a help text: "/open", not the "/" of "中文/English" or of a date.
COMMAND = re.compile(r"(?<![\w/])/([a-z]+)\b")


async def start_up(bot: BotUnderTest) -> None:
    """Run the application's post_init again (the harness ran it at start, as run_polling
    does, before this test's users had any chat with the bot)."""
    assert bot.app.post_init is not None
    await bot.app.post_init(bot.app)


async def test_strangers_see_only_start_and_help_in_their_language(bot: BotUnderTest) -> None:
    zh = bot.user(3001, "路人", language_code="zh-hans")
    en = bot.user(3002, "Zed", language_code="en-US")
    other = bot.user(3003, "Hans", language_code="de")
    assert zh.commands() == [("start", "开始使用 / 使用邀请"), ("help", "使用说明")]
    assert en.commands() == [("start", "Start / use an invitation"), ("help", "Help")]
    assert other.commands() == zh.commands()  # the configured language (zh-CN)
    for call in bot.emulator.calls_of("setMyCommands"):
        code = call.params.get("language_code")
        assert code in (None, "zh", "en")  # two-letter codes only


async def test_configured_inspectors_get_their_menu_at_start_up(bot: BotUnderTest) -> None:
    inspector = bot.inspector()  # has a chat with the bot; inspector 101 has none yet
    await start_up(bot)
    commands = [c for c, _ in inspector.commands()]
    assert commands[:3] == ["todo", "units", "unit"]
    assert {"invite", "people", "revoke", "newunit", "help", "lang"} <= set(commands)
    # the paperwork and the work-group robots (issues 16, 17) are in reach too
    assert {"report", "lookback", "survey", "feedback", "alerts", "channels"} <= set(commands)
    latecomer = bot.inspector(101)
    assert [c for c, _ in latecomer.commands()] == ["start", "help"]  # the default, for now
    await latecomer.send("/start")
    await latecomer.next_reply()
    assert [c for c, _ in latecomer.commands()][:3] == ["todo", "units", "unit"]


async def test_a_bound_person_gets_their_roles_menu_in_their_language(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    await inspector.send("/invite HZ leader")
    code = invite_code((await inspector.next_reply()).text)
    boss = bot.user(2002, "书记", language_code="en")
    await boss.send(f"/start {code}")
    await boss.next_reply()
    # Config language zh-CN wins over the client's en until they choose.
    assert boss.commands()[:2] == [
        ("todo", "待办：待我签字 / 待核验 / 未销号"),
        ("open", "未销号事项"),
    ]
    assert "invite" not in [c for c, _ in boss.commands()]
    await boss.send("/lang en")
    await boss.next_reply()
    assert boss.commands()[1] == ("open", "Items not yet closed")
    call = bot.emulator.calls_of("setMyCommands")[-1]
    assert call.params["scope"] == {"type": "chat", "chat_id": 2002}
    assert "language_code" not in call.params  # shown whatever the client's language


async def test_menus_list_only_commands_that_exist(bot: BotUnderTest) -> None:
    available = registered_commands(bot.app)
    assert {"start", "help", "lang", "open", "invite"} <= available
    # Commands that start a conversation count; those that only answer inside one do not.
    assert {"progress", "reject", "reopen", "deadline", "withdraw", "add"} <= available
    assert "done" not in available
    alice = bot.contact("HZ", 2001)
    await alice.send("/help")
    await alice.next_reply()
    shown = [c for c, _ in alice.commands()]
    assert shown and set(shown) <= available
    assert shown == [c for c in MENUS[Role.CONTACT] if c in available]


async def ask_help(user: EmulatedUser) -> tuple[str, list[str]]:
    """The user's /help text and the commands of their menu (refreshed by /help)."""
    await user.send("/help")
    text = (await user.next_reply()).text
    return text, [c for c, _ in user.commands()]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_help_names_exactly_the_commands_of_the_menu(bot: BotUnderTest, lang: str) -> None:
    users = {
        Role.CONTACT: bot.contact("NB", 2001),
        Role.LEADER: bot.leader("NB", 2002),
        Role.INSPECTOR: bot.inspector(),
    }
    for role, user in users.items():
        if lang == "en":
            await user.send("/lang en")
            await user.next_reply()
        text, menu = await ask_help(user)
        named = set(COMMAND.findall(text))
        assert named == set(menu) - {"help"}, (role, named ^ (set(menu) - {"help"}))
        assert menu == [c for c in MENUS[role] if c in registered_commands(bot.app)]
        if role is not Role.INSPECTOR:
            assert "NB-007" in text and "HZ-" not in text  # examples use their own unit


async def test_without_endorsement_leaders_have_nothing_to_sign(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = "[workflow]\nendorsement_required = false\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        text, menu = await ask_help(bot.leader("HZ", 2002))
        assert "endorse" not in menu and "reject" not in menu
        assert "/endorse" not in text and "/reject" not in text and "签字背书" not in text
        assert "/submit HZ-007" in text and "/progress HZ-007" in text
        text, menu = await ask_help(bot.contact("HZ", 2001))
        assert "submit" in menu
        assert "之后由巡察组核验销号" in text and "签字背书" not in text
        text, menu = await ask_help(bot.inspector())
        assert {"approve", "reject"} <= set(menu)  # inspectors still send items back
        bot.check_clean()
