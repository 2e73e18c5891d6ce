"""Conversations (cancel, timeout, one question at a time), double taps and redelivered updates
(R18), concurrent actions, and notices that cannot be delivered: a blocked recipient, a
Telegram outage, flood control — none of which undoes or repeats a ledger change."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Update

from app.actions import Inputs, record_action
from app.clock import FakeClock
from ledger.access import Action
from ledger.errors import AlreadyDone
from ledger.model import Status
from sandbox.emulator import Emulator
from sandbox.users import UserMessage
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.seed import seed_item
from tests.e2e.workflow_helpers import (
    actions,
    ask,
    card,
    confirmed,
    item_of,
    nothing_more,
    personas,
    press,
)


def again(bot: BotUnderTest, sent: UserMessage) -> Update:
    """The update that carried ``sent``, delivered a second time."""
    return Update.de_json({"update_id": sent.update_id, "message": sent.raw}, bot.app.bot)


# --------------------------------------------------------------------------- conversations


async def test_cancel_leaves_everything_as_it_was(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.contact)
    await press(p.contact, shown, "📝 进展")
    await p.contact.next_reply()
    assert (await ask(p.contact, "/cancel")).text == "已取消报送进展，HZ-001 未作任何更改。"
    # The next text is no answer any more: it is read as a phrase.
    assert (await ask(p.contact, "已整改完毕")).text.startswith("没太明白您的意思")
    await press(p.contact, shown, "📝 进展")
    await p.contact.next_reply()
    assert (await ask(p.contact, "取消")).text == "已取消报送进展，HZ-001 未作任何更改。"
    assert (await ask(p.contact, "/cancel")).text == "当前没有进行中的操作，无需取消。"
    assert actions(bot) == ["create", "progress"]


async def test_conversations_time_out_and_say_so(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = "[workflow]\nconversation_timeout_seconds = 1\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        p = await personas(bot, Status.SUBMITTED)
        shown = await card(p.leader)
        await press(p.leader, shown, "↩️ 退回")
        assert (await p.leader.next_reply()).text.startswith("请写明退回 HZ-001 的理由")
        timed_out = await p.leader.next_reply(timeout=10)  # the JobQueue's real second
        assert timed_out.text == (
            "等待时间较长，已自动取消为 HZ-001 退回，未作任何更改。如需继续，请重新操作。"
        )
        assert (await ask(p.leader, "材料不全")).text.startswith("没太明白您的意思")
        assert item_of(bot).status is Status.SUBMITTED
        bot.check_clean()


async def test_a_new_question_replaces_the_pending_one(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.IN_PROGRESS)  # HZ-002
    first = await card(p.contact, "HZ-001")
    second = await card(p.contact, "HZ-002")
    await press(p.contact, first, "📝 进展")
    await p.contact.next_reply()
    await press(p.contact, second, "📝 进展")
    assert (await p.contact.next_reply()).text.startswith("请发送 HZ-002 的整改进展")
    await p.contact.send("二号事项的进展")
    assert (await p.contact.next_reply()).text.startswith("✅ 已记录 HZ-002 的整改进展")
    assert len(item_of(bot, "HZ-001").progress) == 1
    assert item_of(bot, "HZ-002").progress[-1].text == "二号事项的进展"


async def test_another_flow_takes_over_the_typed_answers(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.inspector)
    await press(p.inspector, shown, "📅 调整时限")
    await p.inspector.next_reply()
    await p.inspector.send("/add")
    assert (await p.inspector.next_reply()).text == "（之前未完成的操作已取消。）"
    assert (await p.inspector.next_reply()).text.startswith("新增整改事项（共 8 步")
    await p.inspector.send("hz")  # the unit for /add, not a deadline
    assert (await p.inspector.next_reply()).text.startswith("第 2/8 步：请选择问题类别。")
    assert actions(bot)[-1] == "progress"


# --------------------------------------------------------------------------- R18


async def test_a_double_tap_changes_the_ledger_once(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    shown = await card(p.leader)
    await press(p.leader, shown, "✍️ 签字")
    question = await p.leader.next_reply()
    assert question.text == (
        "确认对 HZ-001 签字背书？\nHZ-001 · 待签字 · “三会一课”制度落实不到位"
    )
    assert actions(bot).count("endorse") == 0  # asked only
    await p.leader.press(question, "✅ 确认签字背书")
    await p.leader.press(question, "✅ 确认签字背书")  # before the bot has redrawn it
    first, second = await p.leader.next_answer(), await p.leader.next_answer()
    assert first.text is not None and first.text.startswith("✅ 已签字背书")
    assert second.text == "事项 HZ-001 已由 李书记 于 2026年3月2日（周一） 09:00 签字背书。"
    assert second.show_alert
    assert actions(bot).count("endorse") == 1
    await p.inspector.next_reply()
    await p.other_inspector.next_reply()
    await p.contact.next_reply()
    await nothing_more(p.inspector, p.other_inspector, p.leader)


async def test_two_leaders_at_once_cannot_both_endorse(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    deputy = bot.leader("HZ", 2003, "赵副书记")
    mine, theirs = await card(p.leader), await card(deputy)
    await press(p.leader, mine, "✍️ 签字")
    await press(deputy, theirs, "✍️ 签字")
    q1, q2 = await p.leader.next_reply(), await deputy.next_reply()
    await p.leader.press(q1, "✅ 确认签字背书")
    await deputy.press(q2, "✅ 确认签字背书")
    won, lost = await p.leader.next_answer(), await deputy.next_answer()
    assert won.text is not None and won.text.startswith("✅ 已签字背书")
    assert lost.text == "事项 HZ-001 已由 李书记 于 2026年3月2日（周一） 09:00 签字背书。"
    assert actions(bot).count("endorse") == 1


async def test_concurrent_writes_serialise_and_the_second_is_told(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    bot.leader("HZ", 2003, "赵副书记")
    leaders = [bot.store.registry.get_person(i) for i in (2002, 2003)]
    assert all(leaders)
    now = bot.clock.now()
    results = await asyncio.gather(
        *(
            bot.store.run(
                record_action, bot.services, person, "HZ-001", Action.ENDORSE, now, Inputs()
            )
            for person in leaders
            if person is not None
        ),
        return_exceptions=True,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, AlreadyDone)]
    assert len(done) == 1 and len(refused) == 1
    assert refused[0].params["by"] == done[0].event.by
    assert actions(bot).count("endorse") == 1
    await nothing_more(p.leader)


async def test_a_redelivered_command_is_handled_once(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    sent = await p.leader.send("/endorse HZ-001")
    assert (await p.leader.next_reply()).text.startswith("✅ 已签字背书")
    await bot.app.process_update(again(bot, sent))
    await bot.app.process_update(again(bot, sent))
    assert actions(bot).count("endorse") == 1
    await p.inspector.next_reply()
    await nothing_more(p.leader, p.inspector)


# --------------------------------------------------------------------------- delivery


async def test_a_blocked_recipient_is_marked_and_the_action_stands(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("a.pdf", b"%PDF-1.4 a", caption="HZ-001")
    await p.contact.next_reply()
    bot.emulator.block(2002)  # the leader blocked the bot (no my_chat_member update seen)
    reply = await ask(p.contact, "/submit HZ-001")
    assert reply.text.startswith("✅ 已申请销号：HZ-001（整改中 → 待签字）。")
    assert (
        "未能通知：李书记（主要负责人）（对方已停用机器人或从未打开过机器人），请另行告知。"
        in reply.text
    )
    assert item_of(bot).status is Status.SUBMITTED
    leader = bot.store.registry.get_person(2002)
    assert leader is not None and leader.reachable is False
    # Nobody else could be told either, so the inspectors hear of it instead.
    told = await p.inspector.next_reply()
    assert told.text.startswith("📤 申请销号 · 无人签字背书")
    assert told.text.endswith("〔该单位暂无可送达的主要负责人，转送您知悉〕")
    await p.other_inspector.next_reply()


async def test_a_telegram_outage_never_undoes_the_ledger(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.ENDORSED)
    bot.emulator.fail_next("sendMessage", chat_id=2001, code=502)
    bot.emulator.fail_next("sendMessage", chat_id=2002, code=400, description="Bad Request: x")
    reply = await ask(p.inspector, "/approve HZ-001")
    assert reply.text.startswith("✅ 已核验销号：HZ-001（待核验 → 已销号）")
    assert "暂未能通知：王联络（联络员）、李书记（主要负责人）（网络原因）" in reply.text
    assert item_of(bot).status is Status.CLOSED
    assert actions(bot)[-1] == "approve"
    await nothing_more(p.contact, p.leader)
    assert bot.store.registry.get_person(2001).reachable  # type: ignore[union-attr]


async def test_flood_control_delays_a_notice_but_delivers_it_once(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("a.pdf", b"%PDF-1.4 b", caption="HZ-001")
    await p.contact.next_reply()
    bot.emulator.fail_next("sendMessage", chat_id=2002, code=429, retry_after=1)
    reply = await ask(p.contact, "/submit HZ-001")
    assert "已通知：李书记（主要负责人）。" in reply.text
    told = await p.leader.next_reply(timeout=10)  # after Telegram's second, by the JobQueue
    assert told.text.startswith("📤 申请销号 · 待您签字背书")
    sends = [c for c in bot.emulator.calls_of("sendMessage") if c.chat_id == 2002]
    assert [c.ok for c in sends] == [False, True]
    await nothing_more(p.leader)


async def test_a_card_that_cannot_be_edited_is_sent_anew(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    shown = await card(p.leader)
    bot.emulator.fail_next(
        "editMessageText", chat_id=2002, description="Bad Request: message can't be edited"
    )
    await press(p.leader, shown, "✍️ 签字")
    _, toast = await confirmed(p.leader)
    assert toast.text is not None and toast.text.startswith("✅ 已签字背书")
    fresh = await p.leader.next_reply()
    assert fresh.text.split("\n")[0] == "🟢 绿灯 · HZ-001 · 待核验"
    assert item_of(bot).status is Status.ENDORSED
