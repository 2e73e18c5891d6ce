"""Chinese phrases answer exactly like the commands they stand for; anything else gets a hint."""

from __future__ import annotations

import pytest

from ledger.model import Status
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item

REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"


async def ask(user: EmulatedUser, text: str) -> BotMessage:
    await user.send(text)
    return await user.next_reply()


def seeded(bot: BotUnderTest) -> None:
    from datetime import date

    bot.add_unit("HZ", "杭州市局党组")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 20))  # HZ-001 overdue
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 3, 6))  # HZ-002 this week (Fri)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 3, 10))  # HZ-003 next week
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 6, 30))  # HZ-004 later
    seed_item(bot.store, "HZ", now=now, status=Status.CLOSED)  # HZ-005
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 3, 7))  # HZ-006 this Saturday
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 3, 9))  # HZ-007 next Monday
    seed_item(bot.store, "NB", now=now, deadline=date(2026, 2, 1))  # NB-001


@pytest.mark.parametrize(
    ("phrase", "command"),
    [
        ("还有哪些没整改", "/open"),
        ("还有哪些没整改？", "/open"),
        ("未销号", "/open"),
        ("我的事项", "/open"),
        ("超期", "/overdue"),
        ("逾期", "/overdue"),
        ("哪些超期了", "/overdue"),
        ("临期", "/due"),
        ("快到期", "/due"),
        ("14天内到期", "/due 14"),
        ("HZ-007", "/item HZ-007"),
        ("hz-7", "/item HZ-007"),
        ("ＨＺ－００７", "/item HZ-007"),
        ("HZ-007 历史", "/history HZ-007"),
        ("帮助", "/help"),
    ],
)
async def test_a_phrase_answers_like_its_command(
    bot: BotUnderTest, phrase: str, command: str
) -> None:
    seeded(bot)
    alice = bot.contact("HZ", 2001)
    by_phrase = await ask(alice, phrase)
    by_command = await ask(alice, command)
    assert by_phrase.text == by_command.text
    assert by_phrase.button_texts == by_command.button_texts


async def test_this_week_and_next_week(bot: BotUnderTest) -> None:
    seeded(bot)  # today is Monday 2026-03-02
    alice = bot.contact("HZ", 2001)
    this_week = await ask(alice, "本周到期")
    assert "2026年3月2日（周一） 至 2026年3月8日（周日） 到期的事项" in this_week.text
    assert [b.split()[-1] for b in this_week.button_texts] == ["HZ-002", "HZ-006"]
    next_week = await ask(alice, "下周到期")
    assert "2026年3月9日（周一） 至 2026年3月15日（周日） 到期的事项" in next_week.text
    assert [b.split()[-1] for b in next_week.button_texts] == ["HZ-007", "HZ-003"]


async def test_phrases_keep_to_the_units_a_person_may_see(bot: BotUnderTest) -> None:
    seeded(bot)
    alice = bot.contact("HZ", 2001)
    assert (await ask(alice, "NB-001")).text == "未找到事项 NB-001。"
    assert (await ask(alice, "NB 超期")).text == "未找到单位 NB。"
    own = await ask(alice, "HZ 超期")
    assert [b.split()[-1] for b in own.button_texts] == ["HZ-001"]
    inspector = bot.inspector()
    assert [b.split()[-1] for b in (await ask(inspector, "NB 超期")).button_texts] == ["NB-001"]
    everything = await ask(inspector, "超期")
    assert [b.split()[-1] for b in everything.button_texts] == ["NB-001", "HZ-001"]
    units = await ask(inspector, "各单位")
    assert units.text.startswith("各单位整改进度")


async def test_unknown_text_gets_a_short_hint(bot: BotUnderTest) -> None:
    seeded(bot)
    alice = bot.contact("HZ", 2001)
    hint = await ask(alice, "今天天气怎么样")
    assert hint.text.startswith("没太明白您的意思") and "HZ-001" in hint.text
    assert len(hint.text) < 200
    assert (await ask(alice, "/frobnicate")).text.startswith("没有这个命令")
    await alice.send_photo(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    # A photo without an item id is most likely evidence whose caption was forgotten.
    assert (await alice.next_reply()).text.startswith("如需上传佐证材料")
    inspector = bot.inspector()
    assert "各单位" in (await ask(inspector, "嗯？")).text


@pytest.mark.parametrize("phrase", ["还有哪些没整改", "超期", "本周到期", "HZ-001", "随便说说"])
async def test_unknown_people_get_the_refusal(bot: BotUnderTest, phrase: str) -> None:
    seeded(bot)
    stranger = bot.user(3001, "路人")
    assert (await ask(stranger, phrase)).text == REFUSED
