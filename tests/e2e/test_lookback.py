"""回头看 through the emulator: the inspector starts it, the bot picks the sample and asks the
three checks per item with buttons and a note; a failed check reopens the item as 反弹 with
the note as its reason (the unit is told), and the record stays with the unit."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from ledger.model import Status
from ledger.workflow import Action
from sandbox.users import BotMessage, EmulatedUser
from storage.paper import PaperStore
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item


async def press(user: EmulatedUser, message: BotMessage, label: str) -> BotMessage:
    """Press ``label`` (exact, or the button whose text ends with it) and return the edit."""
    texts = [t for t in message.button_texts if t == label or t.endswith(label)]
    assert texts, (label, message.button_texts)
    await user.press(message, texts[0])
    await user.next_answer()
    return await user.next_edit()


async def check_item(
    user: EmulatedUser, message: BotMessage, verdicts: tuple[str, ...]
) -> BotMessage:
    for label in verdicts:
        message = await press(user, message, label)
    return await press(user, message, "✔️ 确认本项")


async def test_lookback_checks_each_sampled_item_and_reopens_a_rebound(
    bot: BotUnderTest,
) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    now = bot.clock.now()
    for n in range(3):
        seed_item(bot.store, "HZ", now=now, status=Status.CLOSED, problem=f"问题{n + 1}")
    seed_item(bot.store, "HZ", now=now, status=Status.IN_PROGRESS)
    contact = bot.contact("HZ")
    inspector = bot.inspector()

    await inspector.send("/lookback HZ")
    started = await inspector.next_reply()
    assert "回头看已开始：抽查 3 项" in started.text, started.text
    first = await inspector.next_reply()
    assert "（1/3）" in first.text and "改到位：是" in first.button_texts
    assert "✔️ 确认本项" not in first.button_texts  # only once every check is answered
    record = PaperStore(bot.store.registry).lookbacks("HZ")[0]
    assert sorted(record.sample) == ["HZ-001", "HZ-002", "HZ-003"]
    a, b, c = record.sample

    # Item 1: every check passes, no note.
    asked = await check_item(inspector, first, ("改到位：是", "巩固措施定到位：是", "不适用"))
    assert "无需说明" in asked.button_texts
    await inspector.press(asked, "无需说明")
    await inspector.next_answer()
    assert f"{a} 回头看通过" in (await inspector.next_reply()).text
    second = await inspector.next_reply()
    assert "（2/3）" in second.text

    # Item 2: the measures did not hold; the note is required and becomes the reason.
    marked = await press(inspector, second, "改到位：否")
    assert "● 改到位：否" in marked.button_texts  # the current choice is shown
    marked = await press(inspector, marked, "改到位：是")  # changed mind
    asked = await check_item(inspector, marked, ("巩固措施：否", "民主生活会：否"))
    assert "将作为反弹重新打开" in asked.text and "无需说明" not in asked.button_texts
    await inspector.send("制度未修订，问题再次出现")
    rebound = await inspector.next_reply()
    assert f"{b} 回头看发现反弹" in rebound.text, rebound.text
    notice = await contact.next_reply()
    assert b in notice.text and "制度未修订" in notice.text
    item = bot.store.ledger("HZ").get_item(b)
    assert item is not None and item.status is Status.IN_PROGRESS
    reopen = bot.store.ledger("HZ").events(b)[-1]
    assert reopen.action == Action.REOPEN
    assert "巩固措施定到位、民主生活会开到位未到位" in reopen.data["reason"]
    assert "制度未修订" in reopen.data["reason"]

    # Item 3 with a note; then the summary.
    third = await inspector.next_reply()
    passes = ("改到位：是", "巩固措施定到位：是", "民主生活会：是")
    asked = await check_item(inspector, third, passes)
    await inspector.send("台账资料齐全")
    assert f"{c} 回头看通过" in (await inspector.next_reply()).text
    done = await inspector.next_reply()
    assert "回头看已完成" in done.text and "通过 2 项，反弹 1 项" in done.text
    assert f"{b} 反弹" in done.text

    record = PaperStore(bot.store.registry).lookbacks("HZ")[0]
    assert record.done and record.rebounded == (b,)
    await inspector.send("/unit HZ")
    shown = (await inspector.next_reply()).text
    assert "回头看" in shown and "抽查 3 项，通过 2 项，反弹 1 项" in shown, shown
    assert f"{b} 反弹：巩固措施定到位、民主生活会开到位未到位（制度未修订" in shown
    await inspector.send("/export HZ")
    exported = await inspector.next_reply(timeout=20)
    assert exported.document is not None and exported.document.content is not None
    sheet = load_workbook(io.BytesIO(exported.document.content))["回头看与满意度测评"]
    row = [c.value for c in sheet[2]]
    assert row[0] == "杭州市局党组（HZ）" and row[1] == "—"
    assert row[7:] == ["2026年3月2日", 3, 2, 1, f"{b}（巩固措施定到位、民主生活会开到位未到位）"]
    assert [f.note for f in record.findings] == ["", "制度未修订，问题再次出现", "台账资料齐全"]
    bot.check_clean()


async def test_lookback_refusals_change_nothing(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.IN_PROGRESS)
    inspector = bot.inspector()
    await inspector.send("/lookback HZ")
    assert "还没有已销号的事项" in (await inspector.next_reply()).text
    await inspector.send("/lookback ZZ")
    assert "ZZ" in (await inspector.next_reply()).text
    await inspector.send("/lookback")
    assert "用法" in (await inspector.next_reply()).text
    contact = bot.contact("HZ")
    await contact.send("/lookback HZ")
    assert "回头看" not in (await contact.next_reply()).text
    assert PaperStore(bot.store.registry).lookbacks("HZ") == []
    bot.check_clean()


async def test_a_resumed_lookback_keeps_the_checks_already_pressed(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.CLOSED)
    inspector = bot.inspector()
    await inspector.send("/lookback HZ")
    await inspector.next_reply()
    first = await inspector.next_reply()
    await press(inspector, first, "改到位：否")
    await inspector.send("/lookback HZ")
    assert "继续进行中的回头看" in (await inspector.next_reply()).text
    again = await inspector.next_reply()
    assert "● 改到位：否" in again.button_texts
    bot.check_clean()
