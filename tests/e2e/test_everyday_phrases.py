"""The words people type (issue 12): what waits for me, workflow verbs with an id (confirmed
before anything is recorded), progress notes without the word 进展, captions naming the id
inside a sentence, greetings, and the closest phrases offered as buttons."""

from __future__ import annotations

from datetime import date

from ledger.model import Item, Status
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def ask(user: EmulatedUser, text: str) -> BotMessage:
    await user.send(text)
    return await user.next_reply()


def world(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 6, 30))  # HZ-001 open
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 6, 30), status=Status.SUBMITTED)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 6, 30), status=Status.ENDORSED)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 6, 30), status=Status.IN_PROGRESS)
    seed_item(bot.store, "NB", now=now, deadline=date(2026, 6, 30), status=Status.SUBMITTED)
    seed_item(bot.store, "NB", now=now, deadline=date(2026, 6, 30), status=Status.ENDORSED)


def item(bot: BotUnderTest, item_id: str) -> Item:
    found = bot.store.ledger(item_id.split("-")[0]).get_item(item_id)
    assert found is not None
    return found


def ids(message: BotMessage) -> list[str]:
    return [b.split()[-1] for b in message.button_texts]


async def test_what_waits_for_a_leader_and_an_inspector(bot: BotUnderTest) -> None:
    world(bot)
    leader = bot.leader("HZ", 2002)
    for phrase in ("待签字", "待我签字", "待办", "/todo"):
        waiting = await ask(leader, phrase)
        assert waiting.text.startswith("待签字事项"), phrase
        assert ids(waiting) == ["HZ-002"]  # only the leader's own unit
    inspector = bot.inspector()
    for phrase in ("待核验", "待办", "/todo"):
        waiting = await ask(inspector, phrase)
        assert waiting.text.startswith("待核验事项"), phrase
        assert sorted(ids(waiting)) == ["HZ-003", "NB-002"]
    contact = bot.contact("HZ", 2001)
    todo = await ask(contact, "/todo")
    assert todo.text.startswith("未销号事项") and sorted(ids(todo)) == [
        "HZ-001",
        "HZ-002",
        "HZ-003",
        "HZ-004",
    ]
    for person in (leader, inspector):
        await ask(person, "/help")  # refreshes the person's menu
        assert person.commands()[0] == ("todo", "待办：待我签字 / 待核验 / 未销号")


async def test_a_verb_with_an_id_is_confirmed_then_recorded_once(bot: BotUnderTest) -> None:
    world(bot)
    leader = bot.leader("HZ", 2002)
    bot.contact("HZ", 2001)
    for phrase in ("HZ-002 签字", "签字 HZ-002", "HZ-002签字背书", "hz-2 同意"):
        question = await ask(leader, phrase)
        assert question.text.startswith("确认对 HZ-002 签字背书？"), phrase
        assert "HZ-002 · 待签字 · “三会一课”制度落实不到位" in question.text
        assert question.button_texts == ["✅ 确认签字背书", "取消"]
    assert item(bot, "HZ-002").status is Status.SUBMITTED  # asked only
    await leader.press(question, "✅ 确认签字背书")
    card = await leader.next_edit()
    assert "待核验" in card.text
    assert "已签字背书" in str((await leader.next_answer()).text)
    assert item(bot, "HZ-002").status is Status.ENDORSED
    before = len(bot.store.ledger("HZ").events("HZ-002"))
    await leader.press(question.message_id - 2, "✅ 确认签字背书")  # an earlier question
    answer = await leader.next_answer()
    assert answer.text is not None and "已由" in answer.text and "签字背书" in answer.text
    assert len(bot.store.ledger("HZ").events("HZ-002")) == before  # changed once


async def test_cancel_changes_nothing(bot: BotUnderTest) -> None:
    world(bot)
    contact = bot.contact("HZ", 2001)
    question = await ask(contact, "申请销号 HZ-004")
    assert question.text.startswith("确认对 HZ-004 申请销号？")
    await contact.press(question, "取消")
    cancelled = await contact.next_edit()
    assert cancelled.text == "已取消，HZ-004 未做任何更改。"
    assert item(bot, "HZ-004").status is Status.IN_PROGRESS


async def test_a_verb_a_role_may_not_use_is_refused_before_asking(bot: BotUnderTest) -> None:
    world(bot)
    contact = bot.contact("HZ", 2001)
    refused = await ask(contact, "HZ-003 核验通过")
    assert "不能" in refused.text and not refused.buttons
    assert (await ask(contact, "NB-001 申请销号")).text == "未找到事项 NB-001。"


async def test_a_reason_typed_with_the_verb_is_kept_until_confirmed(bot: BotUnderTest) -> None:
    world(bot)
    inspector = bot.inspector()
    question = await ask(inspector, "HZ-003 退回 佐证材料不完整，请补充会议记录")
    assert question.text.startswith("确认对 HZ-003 退回？")
    await inspector.press(question, "✅ 确认退回")
    await inspector.next_edit()
    assert (await inspector.next_reply()).text.startswith("↩️ 已退回：HZ-003")  # nobody bound
    assert item(bot, "HZ-003").status is Status.IN_PROGRESS
    last = bot.store.ledger("HZ").events("HZ-003")[-1]
    assert last.data["reason"] == "佐证材料不完整，请补充会议记录"
    usage = await ask(inspector, "HZ-001 撤销")  # no reason: how to say it
    assert usage.text.startswith("用法：/withdraw") and "HZ-001" in usage.text


async def test_a_rebound_in_words_takes_its_date_as_reopen_does(bot: BotUnderTest) -> None:
    """ "HZ-005 反弹 2026-05-31 理由" is /reopen with a date: the date is the new 整改时限 (not
    part of the reason); without a date the default, a month on."""
    world(bot)
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 27), status=Status.CLOSED)
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 27), status=Status.CLOSED)
    inspector = bot.inspector()
    question = await ask(inspector, "HZ-005 反弹 2026-05-31 回头看发现问题反弹")
    assert question.text.startswith("确认对 HZ-005 重新打开？")
    await inspector.press(question, "✅ 确认重新打开")
    await inspector.next_edit()
    done = await inspector.next_reply()
    assert "新的整改时限：2026年5月31日（周日）" in done.text
    reopened = item(bot, "HZ-005")
    assert reopened.deadline == date(2026, 5, 31) and reopened.verification is not None
    assert reopened.verification.note == "回头看发现问题反弹"
    question = await ask(inspector, "HZ-006 反弹 整改不彻底")
    await inspector.press(question, "✅ 确认重新打开")
    await inspector.next_edit()
    await inspector.next_reply()
    assert item(bot, "HZ-006").deadline == date(2026, 4, 1)  # the default: a month on


async def test_an_id_with_words_is_a_progress_note(bot: BotUnderTest) -> None:
    world(bot)
    contact = bot.contact("HZ", 2001)
    done = await ask(contact, "HZ-001 已完成 召开了专题会")
    assert "HZ-001" in done.text
    noted = item(bot, "HZ-001")
    assert noted.progress[-1].text == "已完成 召开了专题会"
    assert noted.status is Status.IN_PROGRESS
    card = await ask(contact, "HZ-001 什么时候到期？")  # a question opens the card
    assert card.text == (await ask(contact, "/item HZ-001")).text


async def test_a_caption_with_the_id_inside_a_sentence(bot: BotUnderTest) -> None:
    world(bot)
    contact = bot.contact("HZ", 2001)
    await contact.send_photo(PNG, caption="这是HZ-001的会议纪要")
    received = await contact.next_reply()
    assert "HZ-001" in received.text
    assert len(item(bot, "HZ-001").evidence) == 1
    await contact.send_photo(PNG, caption="会议照片（HZ-001、HZ-004）")  # two ids: no guess
    assert (await contact.next_reply()).text.startswith("如需上传佐证材料")


async def test_greetings_and_the_closest_phrases_as_buttons(bot: BotUnderTest) -> None:
    world(bot)
    leader = bot.leader("HZ", 2002)
    hello = await ask(leader, "你好")
    assert hello.text.startswith("您好！") and "签字" in hello.text
    puzzled = await ask(leader, "要签的")
    assert puzzled.text.startswith("没太明白您的意思")
    assert puzzled.button_texts[0] == "✍️ 待签字" and len(puzzled.button_texts) == 3
    await leader.press(puzzled, "✍️ 待签字")
    waiting = await leader.next_reply()
    assert waiting.text.startswith("待签字事项") and ids(waiting) == ["HZ-002"]
    alone = await ask(leader, "签字")
    assert alone.text.startswith("待签字事项")
