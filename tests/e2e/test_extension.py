"""申请延期 (issue 12): a contact or leader asks for a new deadline with a reason, the inspectors
get it with 同意 / 不同意 buttons (confirmed), the history records request and decision, the
unit hears the outcome, and a double tap decides once."""

from __future__ import annotations

from datetime import date

from ledger.model import Item, Status
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item


async def ask(user: EmulatedUser, text: str) -> BotMessage:
    await user.send(text)
    return await user.next_reply()


def item(bot: BotUnderTest, item_id: str = "HZ-001") -> Item:
    found = bot.store.ledger("HZ").get_item(item_id)
    assert found is not None
    return found


async def test_asked_granted_and_heard(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(
        bot.store, "HZ", now=bot.clock.now(), deadline=date(2026, 3, 20), status=Status.IN_PROGRESS
    )
    contact = bot.contact("HZ", 2001, "张联络")
    leader = bot.leader("HZ", 2002, "王书记")
    inspector = bot.inspector()
    await ask(inspector, "/help")  # the inspector has a chat with the bot

    done = await ask(contact, "/extend HZ-001 2026-04-30 涉及跨部门协调，需延长时限")
    assert done.text.startswith(
        "⏳ 已提交 HZ-001 的延期申请：2026年3月20日（周五） → 2026年4月30日（周四）"
    )
    assert item(bot).deadline == date(2026, 3, 20)  # nothing changes before the decision
    told = await inspector.next_reply()
    assert told.text.startswith("⏳ 延期申请 · 待您决定")
    assert "涉及跨部门协调，需延长时限" in told.text

    await inspector.press(told, told.button_texts[0])  # 查看 HZ-001
    card = await inspector.next_reply()
    assert "延期申请：张联络" in card.text
    assert {"✅ 同意延期", "❌ 不同意延期"} <= set(card.button_texts)
    await inspector.press(card, "✅ 同意延期")
    question = await inspector.next_reply()
    assert question.text.startswith("确认对 HZ-001 同意延期？")
    await inspector.press(question, "✅ 确认同意延期")
    await inspector.next_edit()
    assert item(bot).deadline == date(2026, 4, 30) and item(bot).extension is None
    for person in (contact, leader):
        heard = await person.next_reply()
        assert heard.text.startswith("✅ 延期申请已同意"), heard.text
    # a second tap of the same confirmation decides nothing more
    events = len(bot.store.ledger("HZ").events("HZ-001"))
    await inspector.forge_callback(question, "cf:grant_extension:HZ-001")  # a quick 2nd tap
    answers = [await inspector.next_answer() for _ in range(4)]  # card, ask, 1st, 2nd tap
    assert [a.data for a in answers[2:]] == ["cf:grant_extension:HZ-001"] * 2
    assert "已同意" in str(answers[2].text)
    assert "无需再次同意延期" in str(answers[3].text)
    assert len(bot.store.ledger("HZ").events("HZ-001")) == events
    history = await ask(contact, "HZ-001 历史")
    assert "申请延期" in history.text and "同意延期" in history.text


async def test_refused_by_phrase_request_and_the_deadline_stays(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(
        bot.store, "HZ", now=bot.clock.now(), deadline=date(2026, 3, 20), status=Status.IN_PROGRESS
    )
    leader = bot.leader("HZ", 2002, "王书记")
    contact = bot.contact("HZ", 2001, "张联络")
    inspector = bot.inspector()
    await ask(inspector, "/help")
    done = await ask(leader, "HZ-001 申请延期 长期坚持 属于长效机制建设")
    assert done.text.startswith("⏳ 已提交 HZ-001 的延期申请")
    assert item(bot).extension is not None and item(bot).extension.long_term  # type: ignore[union-attr]
    await inspector.next_reply()
    card = await ask(inspector, "HZ-001")
    await inspector.press(card, "❌ 不同意延期")
    question = await inspector.next_reply()
    await inspector.press(question, "✅ 确认不同意延期")
    await inspector.next_edit()
    assert item(bot).deadline == date(2026, 3, 20) and item(bot).extension is None
    heard = await contact.next_reply()
    assert heard.text.startswith("❌ 延期申请未获同意")
    assert (await leader.next_reply()).text.startswith("❌ 延期申请未获同意")
    # decided: the card has no decision buttons any more
    again = await ask(inspector, "HZ-001")
    assert "✅ 同意延期" not in again.button_texts


async def test_bad_requests_change_nothing(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(
        bot.store, "HZ", now=bot.clock.now(), deadline=date(2026, 3, 20), status=Status.IN_PROGRESS
    )
    contact = bot.contact("HZ", 2001)
    inspector = bot.inspector()
    assert (await ask(contact, "/extend")).text.startswith("用法：/extend")
    assert (await ask(contact, "/extend HZ-001")).text.startswith("用法：/extend")
    assert "理由" in (await ask(contact, "/extend HZ-001 2026-04-30")).text
    assert "早于今天" in (await ask(contact, "/extend HZ-001 2020-01-01 太忙")).text
    assert (await ask(contact, "/extend NB-001 2026-04-30 x")).text == "未找到事项 NB-001。"
    assert (await ask(inspector, "/extend HZ-001 2026-04-30 x")).text == "您没有权限执行此操作。"
    assert item(bot).extension is None and len(bot.store.ledger("HZ").events("HZ-001")) == 2
