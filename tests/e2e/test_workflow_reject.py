"""The ways back and sideways: 退回 by the leader (button, then the reason) and by an inspector
(command), 反弹 reopening a closed item, 调整时限 with a reason, 催办 reaching the contacts at
once, 撤销 — each recorded as an event with its reason and told to the right people."""

from __future__ import annotations

from datetime import date

from ledger.model import Status
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item
from tests.e2e.workflow_helpers import (
    STALE,
    action_buttons,
    actions,
    ask,
    card,
    confirmed,
    history,
    item_of,
    nothing_more,
    personas,
    press,
)


async def test_the_leader_returns_a_request_with_a_reason(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    shown = await card(p.leader)
    assert (await press(p.leader, shown, "↩️ 退回")).text is None
    question = await p.leader.next_reply()
    assert question.text == (
        "请写明退回 HZ-001 的理由，例如：佐证材料不完整，请补充会议记录\n发送 /cancel 取消。"
    )
    assert item_of(bot).status is Status.SUBMITTED  # nothing changes before the reason
    await p.leader.send("会议记录缺少签到表，请补充")
    # a formal act from a button: "确认退回？" with the item's summary, then recorded
    question, done = await confirmed(p.leader)
    assert question.text == "确认对 HZ-001 退回？\nHZ-001 · 待签字 · “三会一课”制度落实不到位"
    assert done.text == (
        "↩️ 已退回：HZ-001（待签字 → 整改中）。理由：会议记录缺少签到表，请补充\n"
        "已通知：王联络（联络员）。"
    )
    redrawn = await p.leader.next_edit()
    assert redrawn.message_id == question.message_id and "· 整改中" in redrawn.text
    told = await p.contact.next_reply()
    assert told.text == (
        "↩️ 退回补充\n杭州市局党组（HZ）HZ-001：“三会一课”制度落实不到位\n"
        "李书记（主要负责人） 已将销号申请退回，状态回到“整改中”。\n"
        "理由：会议记录缺少签到表，请补充\n请按要求补充后重新申请销号。"
    )
    last = history(bot)[-1]
    assert (last.action, last.before, last.after) == (
        "reject",
        Status.SUBMITTED,
        Status.IN_PROGRESS,
    )
    assert last.data == {"reason": "会议记录缺少签到表，请补充", "role": "leader"}
    assert last.by == 2002
    # The contact can submit again (the earlier evidence still counts).
    again = await ask(p.contact, "/submit HZ-001")
    assert again.text.startswith("✅ 已申请销号：HZ-001（整改中 → 待签字）。")
    await p.leader.next_reply()
    await nothing_more(p.contact, p.leader, p.inspector)


async def test_an_inspector_returns_an_endorsed_item_and_the_leader_hears_too(
    bot: BotUnderTest,
) -> None:
    p = await personas(bot, Status.ENDORSED)
    reply = await ask(p.inspector, "/reject HZ-001 佐证材料不能反映整改成效\n请补充整改前后对比")
    assert reply.text.startswith(
        "↩️ 已退回：HZ-001（待核验 → 整改中）。理由：佐证材料不能反映整改成效"
    )
    assert "已通知：王联络（联络员）、李书记（主要负责人）。" in reply.text
    for person in (p.contact, p.leader):
        told = (await person.next_reply()).text
        assert "巡察组100 已将销号申请退回" in told
        assert "理由：佐证材料不能反映整改成效\n请补充整改前后对比" in told
    item = item_of(bot)
    assert item.status is Status.IN_PROGRESS and item.endorsement is None
    assert item.verification is not None and item.verification.result == "rejected"
    shown = await card(p.contact)
    assert (
        "核验：已退回补充 · 巡察组100 · 2026年3月2日（周一） 09:00；理由：佐证材料不能反映整改成效"
        in (shown.text)
    )


async def test_a_closed_item_that_rebounds_is_reopened(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.CLOSED)
    shown = await card(p.inspector)
    assert action_buttons(shown) == ["🔁 重新打开"]
    await press(p.inspector, shown, "🔁 重新打开")
    asked = await p.inspector.next_reply()
    assert asked.text == (
        "重新打开 HZ-001（问题反弹）需要新的整改时限。\n"
        "默认一个月后：2026年4月1日（周三）。点下方按钮采用，或点“另定日期”后发送日期"
        "（例如 2026-12-31、12月31日、15个工作日）。\n发送 /cancel 取消。"
    )
    assert asked.button_texts == ["📅 2026年4月1日（周三）（默认）", "✏️ 另定日期"]
    await p.inspector.press(asked, "📅 2026年4月1日（周三）（默认）")
    await p.inspector.next_answer()
    assert (await p.inspector.next_edit()).buttons == ()
    assert (await p.inspector.next_reply()).text.startswith(
        "新的整改时限：2026年4月1日（周三）。\n请写明重新打开 HZ-001 的理由"
    )
    assert item_of(bot).status is Status.CLOSED  # nothing recorded before the reason
    await p.inspector.send("回头看发现问题反弹，三会一课又未按期召开")
    done = await p.inspector.next_reply()
    assert done.text.startswith(
        "🔁 已重新打开：HZ-001（已销号 → 整改中）。理由：回头看发现问题反弹"
    )
    assert "已通知：王联络（联络员）、李书记（主要负责人）。" in done.text
    redrawn = await p.inspector.next_edit()
    assert "· 整改中" in redrawn.text and "销号时间" not in redrawn.text
    for person in (p.contact, p.leader):
        told = (await person.next_reply()).text
        assert told.startswith("🔁 重新打开（问题反弹）")
        assert "理由：回头看发现问题反弹，三会一课又未按期召开" in told
    item = item_of(bot)
    assert item.status is Status.IN_PROGRESS and item.closed_at is None
    assert actions(bot)[-1] == "reopen"
    # 反弹 asks for a new 整改时限: the default (a month on) unless one is chosen
    assert item.deadline == date(2026, 4, 1)
    assert "新的整改时限：2026年4月1日（周三）（默认一个月" in done.text
    assert "此前的佐证材料留作上一轮记录" in done.text and "新的整改时限：" in told
    # the evidence sent before is the previous round's: a new close-out needs new evidence
    shown = await card(p.contact)
    assert "佐证材料：本轮 0 份（反弹前上一轮 1 份）" in shown.text
    refused = await ask(p.contact, "/submit HZ-001")
    assert refused.text.startswith(
        "事项 HZ-001 问题反弹后重新整改，此前的 1 份佐证材料属上一轮；"
        "请上传本轮新的佐证材料后再申请销号。"
    )
    listed = await ask(p.contact, "/evidence HZ-001")
    assert "其中前 1 份为问题反弹前上一轮的材料" in listed.text
    assert "〔上一轮〕1. " in listed.text
    assert item_of(bot).status is Status.IN_PROGRESS


async def test_a_reopen_typed_with_a_date_sets_that_deadline(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.CLOSED)
    done = await ask(p.inspector, "/reopen HZ-001 2026-05-31 回头看发现问题反弹")
    assert "新的整改时限：2026年5月31日（周日）" in done.text
    item = item_of(bot)
    assert item.deadline == date(2026, 5, 31) and item.verification is not None
    assert item.verification.note == "回头看发现问题反弹"


async def test_a_reopen_by_button_with_another_date(bot: BotUnderTest) -> None:
    """另定日期: the date is typed, then the reason; the card is redrawn and the reply names
    the chosen date (no "默认一个月" note)."""
    p = await personas(bot, Status.CLOSED)
    shown = await card(p.inspector)
    await press(p.inspector, shown, "🔁 重新打开")
    asked = await p.inspector.next_reply()
    await p.inspector.press(asked, "✏️ 另定日期")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    assert (await p.inspector.next_reply()).text.startswith(
        "请发送新的整改时限，例如 2026-12-31、12月31日、15个工作日。"
    )
    refused = await ask(p.inspector, "下个月吧")
    assert refused.text.startswith("无法识别这个日期：下个月吧。")
    assert "也可以点下方按钮采用默认时限。" in refused.text
    assert refused.button_texts == ["📅 2026年4月1日（周三）（默认）", "✏️ 另定日期"]
    assert (await ask(p.inspector, "长期坚持")).text.startswith(
        "重新打开的事项需要一个具体的整改时限"
    )
    assert (await ask(p.inspector, "6月15日")).text.startswith(
        "新的整改时限：2026年6月15日（周一）。\n请写明重新打开 HZ-001 的理由"
    )
    assert item_of(bot).status is Status.CLOSED
    done = await ask(p.inspector, "回头看发现问题反弹")
    assert done.text.startswith(
        "🔁 已重新打开：HZ-001（已销号 → 整改中）。理由：回头看发现问题反弹\n"
        "新的整改时限：2026年6月15日（周一）。此前的佐证材料留作上一轮记录"
    )
    assert "默认一个月" not in done.text
    assert "· 整改中" in (await p.inspector.next_edit()).text  # the card, redrawn
    item = item_of(bot)
    assert item.status is Status.IN_PROGRESS and item.deadline == date(2026, 6, 15)
    told = (await p.contact.next_reply()).text
    assert "新的整改时限：2026年6月15日（周一）" in told
    # the question's buttons are used up: a press now changes nothing
    await p.inspector.forge_callback(asked, "ro:def:HZ-001")
    assert (await p.inspector.next_answer()).text == STALE
    assert item_of(bot).deadline == date(2026, 6, 15)


async def test_reopen_without_a_reason_asks_the_date_then_the_reason(bot: BotUnderTest) -> None:
    """``/reopen ID`` alone asks as the button does; a date and the reason typed together at
    the date question act at once; a long-term item is asked only the reason."""
    p = await personas(bot, Status.CLOSED)
    asked = await ask(p.inspector, "/reopen HZ-001")
    assert asked.text.startswith("重新打开 HZ-001（问题反弹）需要新的整改时限。")
    assert asked.button_texts == ["📅 2026年4月1日（周三）（默认）", "✏️ 另定日期"]
    done = await ask(p.inspector, "2026-05-20 整改不彻底")
    assert done.text.startswith("🔁 已重新打开：HZ-001（已销号 → 整改中）。理由：整改不彻底")
    item = item_of(bot)
    assert item.deadline == date(2026, 5, 20) and item.verification is not None
    assert item.verification.note == "整改不彻底"
    await p.contact.next_reply()
    await p.leader.next_reply()

    seed_item(bot.store, "HZ", now=bot.clock.now(), long_term=True, status=Status.CLOSED)
    asked = await ask(p.inspector, "/reopen HZ-002")
    assert asked.text.startswith("请写明重新打开 HZ-002 的理由")
    assert asked.buttons == ()
    await ask(p.inspector, "长效机制未落实")
    reopened = item_of(bot, "HZ-002")
    assert reopened.status is Status.IN_PROGRESS and reopened.long_term


async def test_the_deadline_is_extended_with_a_reason(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    reply = await ask(p.inspector, "/deadline HZ-001 2026年6月30日 涉及跨部门协调，需延长时限")
    assert reply.text.startswith(
        "📅 已调整 HZ-001 的整改时限：2026年3月31日（周二） → 2026年6月30日（周二）。"
        "理由：涉及跨部门协调，需延长时限"
    )
    told = await p.contact.next_reply()
    assert (
        "巡察组100 将整改时限由 2026年3月31日（周二） 调整为 2026年6月30日（周二）。" in told.text
    )
    await p.leader.next_reply()
    assert item_of(bot).deadline == date(2026, 6, 30)
    last = history(bot)[-1]
    assert last.data["old"] == "2026-03-31" and last.data["new"] == "2026-06-30"
    # Working days, from today (Monday 2026-03-02): 15 working days is Monday 2026-03-23.
    reply = await ask(p.inspector, "/deadline HZ-001 15 个工作日 配合专项检查")
    assert "→ 2026年3月23日（周一）。理由：配合专项检查" in reply.text
    # Through the card: the date first, then the reason; 长期坚持 is a deadline too.
    shown = await card(p.inspector)
    await press(p.inspector, shown, "📅 调整时限")
    asked = (await p.inspector.next_reply()).text
    assert asked.startswith(
        "请发送 HZ-001 新的整改时限（目前：2026年3月23日（周一）），例如 2026-12-31"
    )
    await p.inspector.send("长期坚持")
    assert (await p.inspector.next_reply()).text.startswith("新的整改时限：长期坚持。\n请写明调整")
    await p.inspector.send("属于长期性工作")
    done = await p.inspector.next_reply()
    assert done.text.startswith("📅 已调整 HZ-001 的整改时限：2026年3月23日（周一） → 长期坚持。")
    assert item_of(bot).long_term and item_of(bot).deadline is None
    redrawn = await p.inspector.next_edit()
    assert "整改时限：长期坚持" in redrawn.text


async def test_urging_reaches_the_contacts_and_the_leader_at_once(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    bot.advance(bot.clock.now().replace(day=1, month=4) - bot.clock.now())  # overdue by a day
    reply = await ask(p.inspector, "/urge HZ-001 请于本周五前报送整改进展")
    assert reply.text == "📣 已催办 HZ-001。\n已通知：王联络（联络员）、李书记（主要负责人）。"
    told = await p.contact.next_reply()
    assert told.text == (
        "📣 【催办】杭州市局党组（HZ）HZ-001：“三会一课”制度落实不到位\n"
        "截止 2026年3月31日（周二），已超期 1 天\n请于本周五前报送整改进展\n—— 巡察组100"
    )
    assert told.button_texts == ["查看 HZ-001"]
    assert (await p.leader.next_reply()).text == told.text  # 主体责任: the leader hears it too
    # From the card, with the standard wording; the card stays as it is (nothing changed).
    shown = await card(p.inspector)
    toast = await press(p.inspector, shown, "📣 催办")
    assert toast.text == "📣 已催办 HZ-001。\n已通知：王联络（联络员）、李书记（主要负责人）。"
    assert "请抓紧推进整改，及时报送整改进展和佐证材料。" in (await p.contact.next_reply()).text
    await p.leader.next_reply()
    assert actions(bot)[-2:] == ["urge", "urge"]


async def test_urging_a_unit_without_contacts_reaches_its_leader(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    bot.store.registry.remove_person(2001)
    reply = await ask(p.inspector, "/urge HZ-001")
    assert reply.text == "📣 已催办 HZ-001。\n已通知：李书记（主要负责人）。"
    told = (await p.leader.next_reply()).text
    assert told.startswith("📣 【催办】")


async def test_withdrawing_an_item(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.inspector)
    await press(p.inspector, shown, "🚫 撤销")
    assert (await p.inspector.next_reply()).text.startswith("请写明撤销 HZ-001 的理由")
    await p.inspector.send("问题已合并到 HZ-002")
    question, done = await confirmed(p.inspector)
    assert question.text.startswith("确认对 HZ-001 撤销？")
    assert str(done.text).startswith(
        "🚫 已撤销：HZ-001（整改中 → 已撤销）。理由：问题已合并到 HZ-002"
    )
    redrawn = await p.inspector.next_edit()
    assert "撤销理由：问题已合并到 HZ-002" in redrawn.text
    assert action_buttons(redrawn) == []
    told = (await p.contact.next_reply()).text
    assert told.startswith("🚫 事项已撤销") and "无需再整改" in told
    assert item_of(bot).status is Status.WITHDRAWN
