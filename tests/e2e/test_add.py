"""``/add`` through the emulator: the guided steps with buttons and typed answers, the summary
and its one-time confirmation, cancel, timeout, bad answers, and who may add."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.clock import FakeClock
from ledger.model import Status
from sandbox.emulator import Emulator
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.workflow_helpers import STALE, ask, history, item_of, nothing_more, personas


async def test_an_inspector_adds_an_item_step_by_step(bot: BotUnderTest) -> None:
    p = await personas(bot)  # HZ-001 exists; the new item is HZ-002
    bot.add_unit("NB", "宁波市局党组")
    inspector = p.inspector
    step = await ask(inspector, "/add")
    assert step.text == (
        "新增整改事项（共 8 步，任何一步都可以发送 /cancel 取消）\n"
        "第 1/8 步：请选择被巡察单位，或发送单位代码。"
    )
    assert step.button_texts == ["HZ", "NB"]
    await inspector.press(step, "HZ")
    await inspector.next_answer()
    assert (await inspector.next_edit()).buttons == ()  # a choice made cannot be made again
    step = await inspector.next_reply()
    assert step.text == "第 2/8 步：请选择问题类别。"
    assert step.button_texts == [
        "党的领导",
        "党的建设",
        "全面从严治党",
        "选人用人",
        "作风建设",
        "其他",
    ]
    await inspector.press(step, "作风建设")
    await inspector.next_answer()
    await inspector.next_edit()
    assert (await inspector.next_reply()).text == "第 3/8 步：请发送问题描述。"
    leader_step = await ask(inspector, "落实中央八项规定精神不到位，<公务接待>超标准")
    assert leader_step.text == "第 4/8 步：请发送责任领导（没有可点“跳过”）。"
    assert leader_step.button_texts == ["跳过"]
    department = await ask(inspector, "张局长")
    assert department.text.startswith("第 5/8 步")
    await inspector.press(department, "跳过")
    await inspector.next_answer()
    await inspector.next_edit()
    assert (await inspector.next_reply()).text.startswith("第 6/8 步：请发送责任人")
    assert (await ask(inspector, "无")).text.startswith("第 7/8 步：请发送整改措施")
    deadline = await ask(inspector, "修订接待管理办法，\n按月通报")
    assert deadline.text.startswith("第 8/8 步：请发送整改时限，例如 2026-12-31")
    assert deadline.button_texts == ["长期坚持"]
    refused = await ask(inspector, "2026-02-30")
    assert refused.text == (
        "没有这一天：2026-02-30。\n可以这样写：2026-12-31、12月31日、15个工作日，或“长期坚持”。"
    )
    summary = await ask(inspector, "6月30日")
    assert summary.text == (
        "请核对新增事项：\n单位：杭州市局党组（HZ）\n问题类别：作风建设\n"
        "问题描述：落实中央八项规定精神不到位，<公务接待>超标准\n责任领导：张局长\n责任部门：—\n"
        "责任人：—\n整改措施：修订接待管理办法，\n按月通报\n整改时限：2026年6月30日（周二）\n\n"
        "核对无误请点“确认新增”；哪一项要改，请点“修改”。"
    )
    assert summary.button_texts == ["✅ 确认新增", "✏️ 修改", "取消"]
    assert len(bot.store.ledger("HZ")) == 1  # nothing stored before the confirmation
    await inspector.press(summary, "✅ 确认新增")
    await inspector.press(summary, "✅ 确认新增")  # a double tap
    first, second = await inspector.next_answer(), await inspector.next_answer()
    assert first.text == "✅ 已新增事项 HZ-002。"
    assert second.text == STALE
    confirmed = await inspector.next_edit()
    assert (
        confirmed.text
        == "✅ 已新增事项 HZ-002。\n已通知：王联络（联络员）、李书记（主要负责人）。"
    )
    new_card = await inspector.next_reply()
    assert new_card.text.startswith("🟢 绿灯 · HZ-002 · 未整改\n单位：杭州市局党组（HZ）")
    item = item_of(bot, "HZ-002")
    assert (item.category, item.leader, item.department, item.owner) == (
        "作风建设",
        "张局长",
        "",
        "",
    )
    assert item.measures == "修订接待管理办法，\n按月通报"
    assert item.deadline == date(2026, 6, 30) and item.status is Status.OPEN
    created = history(bot, "HZ-002")
    assert len(created) == 1 and created[0].by == 100 and created[0].data["via"] == "chat"
    told = await p.contact.next_reply()
    assert told.text == (
        "🆕 新增整改事项\n杭州市局党组（HZ）HZ-002：落实中央八项规定精神不到位，<公务接待>超标准\n"
        "整改时限：2026年6月30日（周二）\n请及时组织整改，并报送整改进展。"
    )
    assert told.button_texts == ["查看 HZ-002"]
    await p.leader.next_reply()
    await nothing_more(inspector, p.contact, p.leader)


async def test_a_unit_given_up_front_and_a_long_term_item(bot: BotUnderTest) -> None:
    p = await personas(bot)
    step = await ask(p.inspector, "/add hz")
    # the unit is not asked, so it is not counted: the first question is 1 of 7
    assert step.text == (
        "新增整改事项 · 杭州市局党组（HZ）（共 7 步，任何一步都可以发送 /cancel 取消）\n"
        "第 1/7 步：请选择问题类别。"
    )
    assert (await ask(p.inspector, "党的建设")).text == "第 2/7 步：请发送问题描述。"  # typed
    await ask(p.inspector, "理论学习中心组学习不规范")
    for _ in range(4):
        await ask(p.inspector, "跳过")
    last = p.inspector.replies[-1]
    assert last.text.startswith("第 7/7 步：请发送整改时限")
    await p.inspector.press(last, "长期坚持")
    await p.inspector.next_answer()
    summary = await p.inspector.next_reply()
    assert "整改时限：长期坚持" in summary.text
    await p.inspector.press(summary, "✅ 确认新增")
    await p.inspector.next_answer()
    item = item_of(bot, "HZ-002")
    assert item.long_term and item.deadline is None and item.leader == ""


async def test_bad_answers_are_asked_again(bot: BotUnderTest) -> None:
    p = await personas(bot)
    await ask(p.inspector, "/add")
    assert (await ask(p.inspector, "XX")).text == (
        "未找到单位 XX。请点选下方单位，或重新发送单位代码。"
    )
    await ask(p.inspector, "HZ")
    assert (await ask(p.inspector, "经济问题")).text == (
        "请点选下方的问题类别（可选：党的领导、党的建设、全面从严治党、选人用人、作风建设、其他）。"
    )
    categories = p.inspector.replies[-2]
    await ask(p.inspector, "其他")
    await p.inspector.forge_callback(categories, "add:cat:1")  # a button of a past step
    assert (await p.inspector.next_answer()).text == STALE
    assert (
        await ask(p.inspector, "很" * 4001)
    ).text == "内容太长（最多 4000 字），请精简后重新发送。"
    await ask(p.inspector, "问题")
    for _ in range(4):
        await ask(p.inspector, "-")
    assert (await ask(p.inspector, "2026-01-01")).text.startswith("整改时限不能早于今天")
    assert (await ask(p.inspector, "30天内")).text.startswith("请核对新增事项")
    assert (await ask(p.inspector, "确认")).text == "请点上方的“确认新增”、“修改”或“取消”。"
    assert (await ask(p.inspector, "/cancel")).text == "已取消新增事项，未保存任何内容。"
    assert len(bot.store.ledger("HZ")) == 1


async def test_cancel_from_the_summary(bot: BotUnderTest) -> None:
    p = await personas(bot)
    await ask(p.inspector, "/add HZ")
    for answer in ("其他", "问题", "-", "-", "-", "-", "长期坚持"):
        summary = await ask(p.inspector, answer)
    await p.inspector.press(summary, "取消")
    await p.inspector.next_answer()
    assert (await p.inspector.next_edit()).text == "已取消新增事项，未保存任何内容。"
    confirm = summary.button("✅ 确认新增").callback_data  # gone from the message: forge it
    assert confirm is not None
    await p.inspector.forge_callback(summary, confirm)
    assert (await p.inspector.next_answer()).text == STALE
    assert len(bot.store.ledger("HZ")) == 1


async def test_only_inspectors_add_and_only_with_a_unit(bot: BotUnderTest) -> None:
    p = await personas(bot)
    assert (await ask(p.contact, "/add")).text == "联络员不能立项。"
    assert (await ask(p.leader, "/add HZ")).text == "主要负责人不能立项。"
    assert (await ask(p.contact, "问题描述")).text.startswith("没太明白您的意思")


async def test_without_units_there_is_nothing_to_add_to(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    assert (await ask(inspector, "/add")).text == (
        "还没有被巡察单位。请先新建单位，例如：/newunit HZ 杭州市局党组 第一轮"
    )


async def test_add_times_out(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = "[workflow]\nconversation_timeout_seconds = 1\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        p = await personas(bot)
        await ask(p.inspector, "/add HZ")
        timed_out = await p.inspector.next_reply(timeout=10)
        assert timed_out.text == (
            "新增事项等待时间较长，已自动取消（未保存）。如需新增，请重新发送 /add。"
        )
        assert (await ask(p.inspector, "其他")).text.startswith("没太明白您的意思")
        bot.check_clean()


async def test_one_field_is_corrected_from_the_summary(bot: BotUnderTest) -> None:
    """修改 asks only the chosen field again and comes back to the summary; the superseded
    summary's 确认新增 is stale, and nothing is recorded before the new summary's 确认新增."""
    p = await personas(bot)
    await ask(p.inspector, "/add HZ")
    for answer in ("其他", "会议记录不全", "张局长", "-", "-", "-", "2026-06-30"):
        summary = await ask(p.inspector, answer)
    assert "责任领导：张局长" in summary.text
    await p.inspector.press(summary, "✏️ 修改")
    await p.inspector.next_answer()
    assert (await p.inspector.next_edit()).buttons == ()  # the old summary loses its buttons
    which = await p.inspector.next_reply()
    assert which.text == "要修改哪一项？点选后只重新填写这一项，其他内容不变。"
    assert which.button_texts == [
        "单位",
        "问题类别",
        "问题描述",
        "责任领导",
        "责任部门",
        "责任人",
        "整改措施",
        "整改时限",
        "↩️ 不改了，返回核对",
    ]
    assert (await ask(p.inspector, "李处长")).text == (
        "请点上方要修改的一项，或点“不改了，返回核对”。"
    )
    await p.inspector.press(which, "责任领导")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    asked = await p.inspector.next_reply()
    assert asked.text == "修改责任领导：请发送责任领导（没有可点“跳过”）。"
    assert asked.button_texts == ["跳过"]
    assert len(bot.store.ledger("HZ")) == 1  # still nothing recorded
    corrected = await ask(p.inspector, "李处长")
    assert corrected.text.startswith("请核对新增事项：")
    assert "责任领导：李处长" in corrected.text
    # every other answer is kept as it was
    assert "问题描述：会议记录不全" in corrected.text
    assert "整改时限：2026年6月30日（周二）" in corrected.text
    assert corrected.button_texts == ["✅ 确认新增", "✏️ 修改", "取消"]
    old_confirm = summary.button("✅ 确认新增").callback_data
    assert old_confirm is not None
    await p.inspector.forge_callback(summary, old_confirm)  # the superseded summary
    assert (await p.inspector.next_answer()).text == STALE
    assert len(bot.store.ledger("HZ")) == 1
    await p.inspector.press(corrected, "✅ 确认新增")
    assert (await p.inspector.next_answer()).text == "✅ 已新增事项 HZ-002。"
    item = item_of(bot, "HZ-002")
    assert (item.leader, item.problem, item.deadline) == (
        "李处长",
        "会议记录不全",
        date(2026, 6, 30),
    )


async def test_a_correction_by_button_and_going_back_unchanged(bot: BotUnderTest) -> None:
    p = await personas(bot)
    await ask(p.inspector, "/add HZ")
    for answer in ("其他", "问题", "-", "-", "-", "-", "2026-06-30"):
        summary = await ask(p.inspector, answer)
    await p.inspector.press(summary, "✏️ 修改")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    which = await p.inspector.next_reply()
    await p.inspector.press(which, "整改时限")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    asked = await p.inspector.next_reply()
    assert asked.text.startswith("修改整改时限：请发送整改时限")
    await p.inspector.press(asked, "长期坚持")  # the field's own button works as in the steps
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    corrected = await p.inspector.next_reply()
    assert "整改时限：长期坚持" in corrected.text
    await p.inspector.press(corrected, "✏️ 修改")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    which = await p.inspector.next_reply()
    fix = which.button("问题描述").callback_data
    assert fix is not None
    await p.inspector.press(which, "↩️ 不改了，返回核对")
    await p.inspector.next_answer()
    await p.inspector.next_edit()
    back = await p.inspector.next_reply()
    assert back.text == corrected.text
    await p.inspector.forge_callback(which, fix)  # the chooser is used up
    assert (await p.inspector.next_answer()).text == STALE
    await p.inspector.press(back, "✅ 确认新增")
    await p.inspector.next_answer()
    item = item_of(bot, "HZ-002")
    assert item.long_term and item.deadline is None and item.problem == "问题"
