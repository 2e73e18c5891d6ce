"""People the bot cannot reach (R12): ``Forbidden`` marks them unreachable without a retry
loop, inspectors are told once per episode, and a person who writes again or unblocks the
bot is reachable again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.jobs import sweep_now
from tests.alerts.helpers import fake_pacing, new_item
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID = 2001, 2002


def told(bot: BotUnderTest, inspector: int) -> list[str]:
    user = bot.emulator.user(inspector, "")
    return [m.text for m in user.replies if m.text.startswith("【无法送达】")]


def reachable(bot: BotUnderTest, user_id: int) -> bool:
    person = bot.store.registry.get_person(user_id)
    return person is not None and person.reachable


def attempts(bot: BotUnderTest, chat_id: int) -> int:
    return sum(1 for c in bot.emulator.calls_of("sendMessage") if c.chat_id == chat_id)


async def test_a_blocked_contact_is_marked_and_inspectors_are_told_once(bot: BotUnderTest) -> None:
    await fake_pacing(bot.app)
    contact = bot.contact("HZ", CONTACT_ID, "王联络")
    bot.leader("HZ", LEADER_ID)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    created = datetime(2026, 1, 5, 9, tzinfo=TZ)
    new_item(bot.store, "HZ", now=created, deadline=date(2026, 2, 25), rules=bot.config.rules)
    bot.emulator.block(CONTACT_ID)

    report = await sweep_now(bot.app)
    assert report.unreachable == 1 and report.notices == 2
    person = bot.store.registry.get_person(CONTACT_ID)
    assert person is not None and not person.reachable
    assert attempts(bot, CONTACT_ID) == 1  # no retry loop
    for inspector in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
        [notice] = told(bot, inspector)
        assert notice.startswith(
            "【无法送达】王联络（联络员，HZ单位党组）已屏蔽或尚未启用本机器人"
        )

    bot.advance(timedelta(days=7))  # the next overdue step
    await sweep_now(bot.app)
    assert attempts(bot, CONTACT_ID) == 1
    assert len(told(bot, INSPECTOR_ID)) == 1
    leader = bot.emulator.user(LEADER_ID, "").replies
    assert sum(m.text.startswith("【超期预警】") for m in leader) == 2  # the leader still hears

    # They unblock and write: reachable again, and the next step reaches them.
    bot.emulator.unblock(CONTACT_ID)
    await contact.send("/help")
    await contact.next_reply()
    assert reachable(bot, CONTACT_ID)
    bot.advance(timedelta(days=7))
    await sweep_now(bot.app)
    # the alert, then last week's 周报 the jump held back
    assert [m.text[:6] for m in contact.replies[-2:]] == ["【超期预警】", "【周报】HZ"]

    # Blocking the bot tells it at once (my_chat_member); inspectors hear of the new episode.
    await contact.block_bot()
    await bot.emulator.wait_for(
        lambda: None if reachable(bot, CONTACT_ID) else True, what="the contact marked unreachable"
    )
    bot.advance(timedelta(hours=1))
    await sweep_now(bot.app)
    assert len(told(bot, INSPECTOR_ID)) == 2


async def test_an_inspector_who_never_started_the_bot_is_reported_to_the_others(
    bot: BotUnderTest,
) -> None:
    await fake_pacing(bot.app)
    bot.inspector(INSPECTOR_ID)  # 101 is in config but never opened the bot
    bot.add_unit("HZ")  # nobody in unit HZ: its alerts go to the inspectors
    created = datetime(2026, 1, 5, 9, tzinfo=TZ)
    new_item(bot.store, "HZ", now=created, deadline=date(2026, 2, 25), rules=bot.config.rules)
    report = await sweep_now(bot.app)
    assert report.unreachable == 1
    [notice] = told(bot, INSPECTOR_ID)
    assert notice.startswith("【无法送达】巡察组成员ID 101已屏蔽或尚未启用本机器人")
    text = bot.emulator.user(INSPECTOR_ID, "").replies[0].text
    assert "【超期预警】" in text and "转巡察组" in text
    stored = bot.store.registry.get_person(OTHER_INSPECTOR_ID)
    assert stored is not None and not stored.reachable
    bot.advance(timedelta(days=1))
    await sweep_now(bot.app)
    assert len(told(bot, INSPECTOR_ID)) == 1
