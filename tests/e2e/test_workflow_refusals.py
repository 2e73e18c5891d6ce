"""Every refusal of the workflow, worded and changing nothing: wrong role, wrong unit (typed and
forged buttons, answered exactly like a missing item, R22), no evidence, a missing reason, a
bad or past date, wrong status, over-long text, groups, usage, and unknown people (R21)."""

from __future__ import annotations

import pytest

from ledger.model import Status
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item
from tests.e2e.workflow_helpers import (
    REFUSED,
    STALE,
    actions,
    ask,
    card,
    item_of,
    nothing_more,
    personas,
)


@pytest.mark.parametrize(
    ("who", "command", "answer"),
    [
        ("contact", "/endorse HZ-001", "联络员不能签字背书。"),
        ("contact", "/approve HZ-001", "联络员不能核验销号。"),
        ("contact", "/urge HZ-001", "联络员不能催办。"),
        ("contact", "/reopen HZ-001 反弹", "联络员不能重新打开。"),
        ("contact", "/withdraw HZ-001 重复", "联络员不能撤销。"),
        ("contact", "/deadline HZ-001 2026-12-31 延期", "联络员不能调整时限。"),
        ("leader", "/approve HZ-001", "主要负责人不能核验销号。"),
        ("leader", "/reject HZ-001 不行", "事项 HZ-001 当前为“待核验”，主要负责人不能退回。"),
        ("inspector", "/endorse HZ-001", "巡察组不能签字背书。"),
        ("inspector", "/progress HZ-001 代报进展", "巡察组不能报送进展。"),
        ("inspector", "/submit HZ-001", "巡察组不能申请销号。"),
    ],
)
async def test_wrong_roles_are_told_and_nothing_changes(
    bot: BotUnderTest, who: str, command: str, answer: str
) -> None:
    p = await personas(bot, Status.ENDORSED)
    user = {"contact": p.contact, "leader": p.leader, "inspector": p.inspector}[who]
    before = actions(bot)
    assert (await ask(user, command)).text == answer
    assert actions(bot) == before
    await nothing_more(p.contact, p.leader, p.inspector, p.other_inspector)


async def test_wrong_status_and_repeats_are_worded(bot: BotUnderTest) -> None:
    p = await personas(bot)  # HZ-001 is open: nothing to submit, endorse or approve yet
    assert (await ask(p.contact, "/submit HZ-001")).text == (
        "事项 HZ-001 当前状态为“未整改”，不能执行“申请销号”。"
    )
    assert (await ask(p.leader, "/endorse HZ-001")).text == (
        "事项 HZ-001 当前状态为“未整改”，不能执行“签字背书”。"
    )
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.CLOSED)  # HZ-002
    assert (await ask(p.inspector, "/approve HZ-002")).text == (
        "事项 HZ-002 已由 巡察组100 于 2026年2月28日（周六） 09:50 核验销号。"
    )
    assert (await ask(p.contact, "/progress HZ-002 补充说明")).text == (
        "事项 HZ-002 当前状态为“已销号”，不能执行“报送进展”。"
    )
    assert actions(bot) == ["create"]


async def test_another_units_item_is_answered_like_a_missing_one(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    outsider = bot.contact("NB", 3001, "宁波联络员")
    outsider_leader = bot.leader("NB", 3002, "宁波书记")
    before = actions(bot)
    for user, command in (
        (outsider, "/progress {} 进展"),
        (outsider, "/submit {}"),
        (outsider, "/evidence {}"),
        (outsider_leader, "/endorse {}"),
        (outsider_leader, "/reject {} 理由"),
    ):
        elsewhere = (await ask(user, command.format("HZ-001"))).text
        nowhere = (await ask(user, command.format("HZ-999"))).text
        assert elsewhere == "未找到事项 HZ-001。" and nowhere == "未找到事项 HZ-999。", command
    anchor = await ask(outsider_leader, "/open")
    for data in (
        "do:endorse:{}",
        "do:reject:{}",
        "do:progress:{}",
        "do:add_evidence:{}",
        "do:submit:{}",
        "ev:{}:1",
    ):
        await outsider_leader.forge_callback(anchor, data.format("HZ-001"))
        elsewhere_toast = (await outsider_leader.next_answer()).text
        await outsider_leader.forge_callback(anchor, data.format("HZ-999"))
        nowhere_toast = (await outsider_leader.next_answer()).text
        assert elsewhere_toast == "未找到事项 HZ-001。", data
        assert nowhere_toast == "未找到事项 HZ-999。", data
    assert actions(bot) == before
    await nothing_more(outsider, outsider_leader, p.leader, p.contact)


async def test_forged_and_odd_buttons_change_nothing(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    anchor = await card(p.contact)
    for data in (
        "do:endorse",
        "do:endorse:hz-001",  # not the canonical form a card would carry
        "do:endorse:HZ-001:1",
        "do:create:HZ-001",
        "do:edit:HZ-001",
        "ev:HZ-001",
        "ev:HZ-001:x",
        "ev:HZ-001:0",
        "ev:HZ-001:9",
    ):
        await p.contact.forge_callback(anchor, data)
        assert (await p.contact.next_answer()).text == STALE, data
    # A well-formed button the contact may not use is answered like the typed command.
    await p.contact.forge_callback(anchor, "do:endorse:HZ-001")
    assert (await p.contact.next_answer()).text == "联络员不能签字背书。"
    await p.contact.forge_callback(anchor, "do:approve:HZ-001")
    assert (await p.contact.next_answer()).text == "联络员不能核验销号。"
    assert actions(bot)[-1] == "submit"
    await nothing_more(p.contact, p.leader)


async def test_submit_without_evidence_is_refused_with_the_way_forward(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    reply = await ask(p.contact, "/submit HZ-001")
    assert reply.text == (
        "事项 HZ-001 还没有佐证材料，请先上传佐证材料再申请销号。\n"
        "上传方法：在 HZ-001 的卡片上点“📎 佐证”后发送文件或照片，"
        "或发送文件时在说明里写上 HZ-001。"
    )
    shown = await card(p.contact)
    await p.contact.press(shown, "📤 申请销号")
    toast = await p.contact.next_answer()
    assert toast.show_alert and toast.text is not None
    assert toast.text.startswith("事项 HZ-001 还没有佐证材料")
    assert item_of(bot).status is Status.IN_PROGRESS
    await nothing_more(p.leader, p.contact)


async def test_a_missing_reason_is_asked_for_and_nothing_changes_meanwhile(
    bot: BotUnderTest,
) -> None:
    p = await personas(bot, Status.SUBMITTED)
    asked = await ask(p.leader, "/reject HZ-001")
    assert asked.text == (
        "请写明退回 HZ-001 的理由，例如：佐证材料不完整，请补充会议记录\n发送 /cancel 取消。"
    )
    assert item_of(bot).status is Status.SUBMITTED
    assert (await ask(p.leader, "/cancel")).text == "已取消退回，HZ-001 未作任何更改。"
    assert item_of(bot).status is Status.SUBMITTED
    usage = await ask(p.inspector, "/withdraw")
    assert usage.text.startswith("用法：/withdraw 事项编号 理由")
    await nothing_more(p.contact)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("2026-02-30 理由", "没有这一天：2026-02-30。"),
        ("2026年13月1日 理由", "没有这一天：2026年13月1日。"),
        ("下个月 理由", "无法识别这个日期：下个月。"),
        (
            "2026-01-05 理由",
            "整改时限不能早于今天（2026年3月2日（周一））：2026年1月5日（周一）。",
        ),
        ("0个工作日 理由", "日期超出范围：0个工作日。"),
    ],
)
async def test_bad_dates_are_refused_with_an_example(
    bot: BotUnderTest, typed: str, answer: str
) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    reply = await ask(p.inspector, f"/deadline HZ-001 {typed}")
    assert reply.text == f"{answer}\n可以这样写：2026-12-31、12月31日、15个工作日，或“长期坚持”。"
    assert actions(bot)[-1] == "progress"


async def test_dates_typed_in_the_conversation_are_checked_too(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.inspector)
    await p.inspector.press(shown, "📅 调整时限")
    await p.inspector.next_answer()
    await p.inspector.next_reply()
    await p.inspector.send("2026/2/30")
    assert (await p.inspector.next_reply()).text.startswith("没有这一天：2026/2/30。")
    await p.inspector.send("２０２６－１２－３１")  # full-width digits: fine
    assert (await p.inspector.next_reply()).text.startswith(
        "新的整改时限：2026年12月31日（周四）。"
    )
    await p.inspector.send("2026-03-31")  # the reason step: any text is a reason
    done = await p.inspector.next_reply()
    assert done.text.startswith(
        "📅 已调整 HZ-001 的整改时限：2026年3月31日（周二） → 2026年12月31日（周四）"
    )
    unchanged = await ask(p.inspector, "/deadline HZ-001 2026-12-31 再确认")
    assert unchanged.text == "输入有误：整改时限与原来相同"


async def test_over_long_text_is_refused_and_the_question_stays_open(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    long_note = "很" * 2001
    assert (await ask(p.contact, f"/progress HZ-001 {long_note}")).text == (
        "输入有误：内容太长（最多 2000 字）"
    )
    shown = await card(p.contact)
    await p.contact.press(shown, "📝 进展")
    await p.contact.next_answer()
    await p.contact.next_reply()
    await p.contact.send(long_note)
    assert (await p.contact.next_reply()).text == "输入有误：内容太长（最多 2000 字）"
    await p.contact.send("已整改")  # still waiting for the note
    assert (await p.contact.next_reply()).text.startswith("✅ 已记录 HZ-001 的整改进展")


async def test_workflow_commands_in_a_group_show_no_ledger_data(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    group = bot.emulator.group(-5001, "整改工作群", members=[p.contact])
    await p.contact.send("/progress HZ-001 在群里报进展", chat=group)
    reply = await group.next_reply()
    assert reply.text == "为保护整改信息，请在与机器人的私聊中查询。"
    assert actions(bot)[-1] == "progress" and len(item_of(bot).progress) == 1


@pytest.mark.parametrize(
    ("command", "start"),
    [
        ("/progress", "用法：/progress 事项编号 进展内容"),
        ("/submit", "用法：/submit 事项编号"),
        ("/submit 不是编号", "用法：/submit 事项编号"),
        ("/submit HZ-001 多余", "用法：/submit 事项编号"),
        ("/endorse", "用法：/endorse 事项编号"),
        ("/approve", "用法：/approve 事项编号 [核验意见]"),
        ("/reject", "用法：/reject 事项编号 理由"),
        ("/reopen", "用法：/reopen 事项编号 [新的整改时限] 理由"),
        ("/urge", "用法：/urge 事项编号 [催办内容]"),
        ("/deadline", "用法：/deadline 事项编号 新时限 理由"),
        ("/evidence", "用法：/evidence 事项编号"),
    ],
)
async def test_usage(bot: BotUnderTest, command: str, start: str) -> None:
    p = await personas(bot)
    assert (await ask(p.contact, command)).text.startswith(start)


UNKNOWN_COMMANDS = [
    "/progress HZ-001 进展",
    "/progress HZ-001",
    "/submit HZ-001",
    "/endorse HZ-001",
    "/approve HZ-001",
    "/reject HZ-001 理由",
    "/reopen HZ-001 理由",
    "/urge HZ-001",
    "/deadline HZ-001 2026-12-31 理由",
    "/withdraw HZ-001 理由",
    "/evidence HZ-001",
    "/add",
    "/cancel",
    "/done",
    "HZ-001 进展 已整改",
]


async def test_unknown_people_get_the_refusal_for_all_of_it(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    stranger = bot.user(3001, "路人")
    for text in UNKNOWN_COMMANDS:
        assert (await ask(stranger, text)).text == REFUSED, text
    await stranger.send_document("x.pdf", b"%PDF-1.4", caption="HZ-001")
    assert (await stranger.next_reply()).text == REFUSED
    anchor = stranger.replies[-1]
    for data in (
        "do:endorse:HZ-001",
        "do:progress:HZ-001",
        "do:add_evidence:HZ-001",
        "ev:HZ-001:1",
    ):
        await stranger.forge_callback(anchor, data)
        assert (await stranger.next_answer()).text == REFUSED, data
    await nothing_more(stranger, p.leader, p.contact, p.inspector)
    assert item_of(bot).status is Status.SUBMITTED and len(item_of(bot).evidence) == 1
    assert bot.emulator.calls_of("getFile") == []


async def test_hostile_reasons_are_shown_literally(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.SUBMITTED)
    nasty = "<b>&amp;</b> <script>'\"&lt;</script> & 😀"
    reply = await ask(p.leader, f"/reject HZ-001 {nasty}")
    assert reply.text.endswith(f"理由：{nasty}\n已通知：王联络（联络员）。")
    told = await p.contact.next_reply()
    assert f"理由：{nasty}\n" in told.text
    assert "&lt;b&gt;&amp;amp;" in told.html


ODD_ARGUMENTS = [
    "",
    " ",
    "\u202e\u200b",
    "-1",
    "１２",
    "HZ-0",
    "HZ-999999999",
    "hz--1",
    "NB-001 理由",
    "<b>",
    "&amp;",
    "😀" * 70,
    "a" * 300,
    "@@@ 2026-02-30",
    "HZ-001\u0000",
]


@pytest.mark.parametrize(
    "command",
    [
        "/progress",
        "/submit",
        "/endorse",
        "/approve",
        "/reject",
        "/reopen",
        "/urge",
        "/deadline",
        "/withdraw",
        "/evidence",
        "/cancel",
    ],
)
async def test_odd_arguments_get_an_answer_and_change_nothing(
    bot: BotUnderTest, command: str
) -> None:
    p = await personas(bot, Status.SUBMITTED)
    before = (actions(bot), item_of(bot))
    for user in (p.contact, p.leader, p.inspector):
        for argument in ODD_ARGUMENTS:
            reply = await ask(user, f"{command} {argument}".strip())
            assert reply.text.strip() and len(reply.text) <= 4096, (command, argument)
    assert (actions(bot), item_of(bot)) == before
    await nothing_more(p.contact, p.leader, p.inspector, p.other_inspector)
