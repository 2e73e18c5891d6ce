"""Evidence names as people and attackers send them: long Chinese names are saved (capped by
bytes, extension kept), bidi controls never reach a reply or the ledger, a NUL in a name gets
the ordinary answer."""

from __future__ import annotations

from ledger.model import Status
from tests.e2e.harness import BotUnderTest
from tests.e2e.workflow_helpers import item_of, pdf, personas

LONG = "关于" + "落实全面从严治党主体责任整改" * 5 + "情况的专题会议记录"  # 81 characters


async def test_a_long_chinese_evidence_name_is_saved_with_its_extension(
    bot: BotUnderTest,
) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document(f"{LONG}.pdf", pdf("长名"), caption="HZ-001")
    answer = (await p.contact.next_reply()).text or ""
    assert answer.startswith("✅ 已收到 HZ-001 的佐证材料“"), answer
    evidence = item_of(bot).evidence
    assert len(evidence) == 1
    stored = bot.config.data_dir / evidence[0].stored_path
    assert stored.is_file() and stored.suffix == ".pdf"
    assert len(stored.name.encode("utf-8")) <= 255
    assert evidence[0].name.endswith(".pdf")
    bot.check_clean()


async def test_bidi_controls_are_stripped_from_names_shown_and_stored(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("整改报告\u202efdp.exe\u202c.pdf", pdf("双向"), caption="HZ-001")
    answer = (await p.contact.next_reply()).text or ""
    assert "\u202e" not in answer and "整改报告fdp.exe.pdf" in answer
    evidence = item_of(bot).evidence
    assert evidence[0].name == "整改报告fdp.exe.pdf"
    assert "\u202e" not in evidence[0].stored_path
    bot.check_clean()


async def test_a_nul_in_a_name_gets_the_ordinary_answer(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("会议\x00记录.pdf", pdf("空字符"), caption="HZ-001")
    answer = (await p.contact.next_reply()).text or ""
    assert answer.startswith("✅ 已收到 HZ-001 的佐证材料“会议记录.pdf”"), answer
    assert item_of(bot).evidence[0].name == "会议记录.pdf"
    bot.check_clean()
