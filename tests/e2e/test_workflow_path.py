"""The whole path through the emulator with three personas: 未整改 → 整改中 → 待签字 → 待核验 →
已销号, with evidence, the card redrawn at each press, the notice each step sends to the next
person, and the history that records it all. Also: endorsement switched off, a long-term item
closing into 长期坚持, and the typed commands doing the same as the buttons."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.clock import FakeClock
from ledger.model import Status
from sandbox.emulator import Emulator
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.workflow_helpers import (
    action_buttons,
    actions,
    ask,
    card,
    confirmed,
    item_of,
    nothing_more,
    pdf,
    personas,
    press,
)


async def test_one_item_from_open_to_closed_with_three_personas(bot: BotUnderTest) -> None:
    p = await personas(bot)
    contact, leader, inspector = p.contact, p.leader, p.inspector

    # 联络员: the card offers evidence and progress; 进展 asks for the note.
    first = await card(contact)
    assert first.text.startswith("🟢 绿灯 · HZ-001 · 未整改")
    assert action_buttons(first) == ["📎 佐证", "📝 进展"]
    assert (await press(contact, first, "📝 进展")).text is None
    assert (await contact.next_reply()).text == (
        "请发送 HZ-001 的整改进展（直接输入文字即可）。\n发送 /cancel 取消。"
    )
    await contact.send("已召开专题会议，制定整改方案")
    done = await contact.next_reply()
    assert done.text == (
        "✅ 已记录 HZ-001 的整改进展（共 1 条）。状态：整改中。\n"
        "整改完成后，请上传佐证材料（卡片上点“📎 佐证”，或发送文件时在说明里写上事项编号），"
        "再申请销号。"
    )
    assert done.button_texts == ["查看 HZ-001"]
    redrawn = await contact.next_edit()  # the card the question came from
    assert redrawn.message_id == first.message_id
    assert redrawn.text.startswith("🟢 绿灯 · HZ-001 · 整改中")
    assert (
        "最新进展：2026年3月2日（周一） 09:00 王联络：已召开专题会议，制定整改方案" in redrawn.text
    )
    assert action_buttons(redrawn) == ["📎 佐证", "📝 进展", "📤 申请销号"]

    # Evidence by caption: kept, hashed, recorded; the answer offers 申请销号.
    content = pdf("三会一课会议记录")
    await contact.send_document("会议记录.pdf", content, caption="HZ-001")
    received = await contact.next_reply()
    assert received.text.startswith("✅ 已收到 HZ-001 的佐证材料“会议记录.pdf”")
    assert received.text.endswith("现共 1 份。")
    assert received.button_texts == ["📤 申请销号", "查看 HZ-001"]
    evidence = item_of(bot).evidence[-1]
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content) and evidence.name == "会议记录.pdf"
    stored = bot.config.data_dir / evidence.stored_path
    assert stored.read_bytes() == content
    assert stored.parent == bot.config.data_dir / "evidence" / "HZ" / "HZ-001"

    # 申请销号 → 待签字; the leader is told, with a card button.
    toast = await press(contact, received, "📤 申请销号")
    assert toast.text is not None and toast.text.startswith(
        "✅ 已申请销号：HZ-001（整改中 → 待签字）。\n已通知：李书记（主要负责人）。"
    )
    assert toast.show_alert is False
    submitted = await contact.next_edit()
    assert submitted.text.split("\n")[0] == "🟢 绿灯 · HZ-001 · 待签字"
    assert action_buttons(submitted) == ["📎 佐证", "📝 进展"]  # the contact's part is done
    notice = await leader.next_reply()
    assert notice.text.startswith("📤 申请销号 · 待您签字背书\n杭州市局党组（HZ）HZ-001：")
    assert "王联络（联络员） 已申请销号（佐证材料 1 份）" in notice.text
    assert notice.button_texts == ["查看 HZ-001"]

    # 主要负责人: opens the card from the notice and signs; every inspector is told.
    await leader.press(notice, "查看 HZ-001")
    leader_card = await leader.next_reply()
    assert action_buttons(leader_card) == ["📎 佐证", "📝 进展", "✍️ 签字", "↩️ 退回"]
    await leader.next_answer()
    await press(leader, leader_card, "✍️ 签字")
    question, toast = await confirmed(leader)  # "确认对 HZ-001 签字背书？" first
    assert question.text.startswith("确认对 HZ-001 签字背书？\nHZ-001 · 待签字 · ")
    assert toast.text is not None and toast.text.startswith(
        "✅ 已签字背书：HZ-001（待签字 → 待核验）。\n"
        "已通知：巡察组100、巡察组101、王联络（联络员）。"
    )
    endorsed = await leader.next_edit()
    assert (
        "· 待核验" in endorsed.text
        and "签字背书：已签字 · 李书记 · 2026年3月2日（周一） 09:00" in (endorsed.text)
    )
    assert action_buttons(endorsed) == ["📎 佐证"]
    for person in (inspector, p.other_inspector):
        told = await person.next_reply()
        assert told.text.startswith("✍️ 已签字背书 · 待核验\n杭州市局党组（HZ）HZ-001：")
        assert "李书记（主要负责人） 已签字背书" in told.text
    signed = await contact.next_reply()  # the contact hears the signature too
    assert signed.text.startswith("✍️ 已签字背书 · 交巡察组核验\n杭州市局党组（HZ）HZ-001：")

    # 巡察组: 核验通过 → 已销号; the unit's contact and leader are told, with the date.
    inspector_card = await card(inspector)
    assert action_buttons(inspector_card) == [
        "📎 佐证",
        "✅ 核验通过",
        "↩️ 退回",
        "📣 催办",
        "📅 调整时限",
        "🚫 撤销",
    ]
    await press(inspector, inspector_card, "✅ 核验通过")
    question, toast = await confirmed(inspector)
    assert question.text.startswith("确认对 HZ-001 核验销号？\nHZ-001 · 待核验 · ")
    assert toast.text is not None and toast.text.startswith(
        "✅ 已核验销号：HZ-001（待核验 → 已销号），销号日期 2026年3月2日（周一）。"
    )
    assert "已通知：王联络（联络员）、李书记（主要负责人）。" in toast.text
    closed = await inspector.next_edit()
    assert closed.text.startswith("✅ · HZ-001 · 已销号")
    assert "销号时间：2026年3月2日（周一） 09:00" in closed.text
    for person in (contact, leader):
        told = await person.next_reply()
        assert told.text.startswith("✅ 已销号\n杭州市局党组（HZ）HZ-001：")
        assert "巡察组100 已于 2026年3月2日（周一） 核验通过，予以销号。" in told.text
        assert told.button_texts == ["查看 HZ-001"]

    # The ledger holds every step once; the history shows them to anyone of the unit.
    assert item_of(bot).status is Status.CLOSED
    assert actions(bot)[-5:] == ["progress", "add_evidence", "submit", "endorse", "approve"]
    shown = (await ask(contact, "/history HZ-001")).text
    for line in (
        "王联络（联络员） · 报送进展",
        "王联络（联络员） · 上传佐证材料",
        "　　会议记录.pdf",
        "王联络（联络员） · 申请销号：整改中 → 待签字",
        "李书记（主要负责人） · 签字背书：待签字 → 待核验",
        "巡察组100 · 核验销号：待核验 → 已销号",
    ):
        assert line in shown, line
    await nothing_more(contact, leader, inspector, p.other_inspector)
    bot.check_clean()


async def test_typed_commands_walk_the_same_path(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    contact, leader, inspector = p.contact, p.leader, p.inspector
    progress = await ask(contact, "/progress HZ-001 完成制度修订\n下发全系统执行")
    assert progress.text.startswith("✅ 已记录 HZ-001 的整改进展（共 2 条）。")
    assert progress.button_texts == ["查看 HZ-001"]
    assert item_of(bot).progress[-1].text == "完成制度修订\n下发全系统执行"
    phrase = await ask(contact, "ＨＺ－００１ 进展：已组织全员学习")
    assert phrase.text.startswith("✅ 已记录 HZ-001 的整改进展（共 3 条）。")
    await contact.send_document("整改报告.docx", b"PK docx", caption="HZ-001 整改报告")
    assert (await contact.next_reply()).text.startswith("✅ 已收到 HZ-001 的佐证材料")
    submit = await ask(contact, "/submit hz-1")
    assert submit.text.startswith("✅ 已申请销号：HZ-001（整改中 → 待签字）。")
    assert "下一步：主要负责人签字背书，之后由巡察组核验销号。" in submit.text
    assert (await leader.next_reply()).text.startswith("📤 申请销号 · 待您签字背书")
    endorse = await ask(leader, "/endorse HZ-001")
    assert endorse.text.startswith("✅ 已签字背书：HZ-001（待签字 → 待核验）。")
    assert (await inspector.next_reply()).text.startswith("✍️ 已签字背书 · 待核验")
    await p.other_inspector.next_reply()
    signed = await contact.next_reply()  # the contact hears every step (issue 12)
    assert signed.text.startswith("✍️ 已签字背书 · 交巡察组核验")
    approve = await ask(inspector, "/approve HZ-001 经实地核查，整改到位")
    assert approve.text.startswith("✅ 已核验销号：HZ-001（待核验 → 已销号）")
    told = await contact.next_reply()
    assert "核验意见：经实地核查，整改到位" in told.text
    await leader.next_reply()
    assert item_of(bot).verification is not None
    assert item_of(bot).verification.note == "经实地核查，整改到位"  # type: ignore[union-attr]
    await nothing_more(contact, leader, inspector, p.other_inspector)


async def test_without_endorsement_submit_goes_straight_to_the_inspectors(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = "[workflow]\nendorsement_required = false\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        p = await personas(bot, Status.IN_PROGRESS)
        await p.contact.send_document("照片说明.pdf", pdf(), caption="HZ-001")
        await p.contact.next_reply()
        reply = await ask(p.contact, "/submit HZ-001")
        assert reply.text.startswith(
            "✅ 已申请销号：HZ-001（整改中 → 待核验；本次巡察无需签字背书）。"
        )
        assert "已通知：巡察组100、巡察组101。" in reply.text
        assert "下一步：巡察组核验销号。" in reply.text
        told = await p.inspector.next_reply()
        assert told.text.startswith("📤 申请销号 · 待核验")
        assert "本次巡察无需签字背书" in told.text
        await p.other_inspector.next_reply()
        assert p.leader.unread_replies() == []  # nobody asks the leader to sign
        leader_card = await card(p.leader)
        assert "✍️ 签字" not in leader_card.button_texts
        assert "签字背书：本次巡察无需签字背书" in leader_card.text
        await ask(p.inspector, "/approve HZ-001")
        assert item_of(bot).status is Status.CLOSED
        bot.check_clean()


async def test_a_long_term_item_closes_into_monitoring(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.ENDORSED, long_term=True)
    reply = await ask(p.inspector, "/approve HZ-001")
    assert reply.text.startswith("✅ 已核验通过：HZ-001 转入长期坚持（待核验 → 长期坚持）")
    told = await p.contact.next_reply()
    assert told.text.startswith("✅ 核验通过 · 转入长期坚持")
    assert "请持续巩固并定期报送进展" in told.text
    assert item_of(bot).status is Status.MONITORING
    # Monitoring items keep taking progress notes.
    note = await ask(p.contact, "/progress HZ-001 本季度继续落实")
    assert note.text.startswith("✅ 已记录 HZ-001 的整改进展")
    assert item_of(bot).status is Status.MONITORING


async def test_english_speakers_get_english_notices(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("a.pdf", pdf(), caption="HZ-001")
    await p.contact.next_reply()
    await ask(p.leader, "/lang en")
    reply = await ask(p.contact, "/submit HZ-001")
    assert "已通知：李书记（主要负责人）。" in reply.text
    told = await p.leader.next_reply()
    assert told.text.startswith("📤 Close-out requested · awaiting your endorsement")
    assert told.button_texts == ["Open HZ-001"]
    signed = await ask(p.leader, "/endorse HZ-001")
    assert signed.text.startswith(
        "✅ Endorsed: HZ-001 (Awaiting endorsement → Awaiting verification)."
    )


async def test_who_hears_when_the_leader_acts_or_there_is_none(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("a.pdf", pdf(), caption="HZ-001")
    await p.contact.next_reply()
    # The leader asks for close-out himself: he signs next, nobody else needs telling.
    reply = await ask(p.leader, "/submit HZ-001")
    assert reply.text == (
        "✅ 已申请销号：HZ-001（整改中 → 待签字）。\n"
        "下一步：主要负责人签字背书，之后由巡察组核验销号。"
    )
    await ask(p.leader, "/reject HZ-001 请联络员再补充现场照片")
    assert (await p.contact.next_reply()).text.startswith("↩️ 退回补充")
    # Without any leader bound, a contact's request reaches the inspectors, who are told why.
    bot.store.registry.remove_person(2002)
    reply = await ask(p.contact, "/submit HZ-001")
    assert "已通知：巡察组100、巡察组101。\n本单位尚未绑定主要负责人，已改为通知巡察组。" in (
        reply.text
    )
    for inspector in (p.inspector, p.other_inspector):
        told = (await inspector.next_reply()).text
        assert told.startswith("📤 申请销号 · 无人签字背书\n杭州市局党组（HZ）HZ-001：")
        assert "请邀请主要负责人（/invite HZ leader），或写明理由退回。" in told
        assert told.endswith("〔该单位暂无可送达的主要负责人，转送您知悉〕")
    await nothing_more(p.contact, p.inspector, p.other_inspector)
