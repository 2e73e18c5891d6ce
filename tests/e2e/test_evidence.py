"""Evidence through the emulator (R25): by caption, after 佐证 (several files, photos, /done,
申请销号 from the answer), albums, the size and type limits checked before any download,
duplicates, /evidence with re-sending (by file id, as a photo, from the local copy), R22,
and the evidence flow's timeout."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.actions import Inputs, record_action
from app.clock import FakeClock
from ledger.access import Action
from ledger.model import Status
from ledger.workflow import NewEvidence
from sandbox.emulator import Emulator
from tests.e2e.harness import BotUnderTest, running_bot
from tests.e2e.workflow_helpers import (
    STALE,
    actions,
    ask,
    card,
    item_of,
    nothing_more,
    pdf,
    personas,
    png,
    press,
)

ALLOWED = "pdf、doc、docx、xls、xlsx、ppt、pptx、jpg、jpeg、png、zip、rar、txt"


async def test_files_sent_after_the_evidence_button(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.contact)
    assert (await press(p.contact, shown, "📎 佐证")).text is None
    assert (await p.contact.next_reply()).text == (
        "请发送 HZ-001 的佐证材料：文件或照片均可，可以连续发送多份，单个不超过 20 MB。\n"
        "发完后发送 /done；发送 /cancel 取消。"
    )
    await p.contact.send_document("整改方案.docx", b"PK\x03\x04 plan")
    first = await p.contact.next_reply()
    assert first.text == "✅ 已收到 HZ-001 的佐证材料“整改方案.docx”（9 B），现共 1 份。"
    assert (await p.contact.next_edit()).text.count("佐证材料：1 份") == 1  # the card follows
    await p.contact.send_photo(png(), caption="现场照片")  # a caption without an id is fine
    photo = await p.contact.next_reply()
    # a photo is named by its caption (Telegram sends photos without a name)
    assert photo.text.startswith("✅ 已收到 HZ-001 的佐证材料“现场照片_20260302_090000.jpg”")
    await p.contact.next_edit()
    assert (await ask(p.contact, "好的")).text.startswith("请发送 HZ-001 的佐证材料（文件或照片）")
    done = await ask(p.contact, "/done")
    assert done.text == (
        "好的，本次为 HZ-001 上传了 2 份佐证材料，现共 2 份。材料齐全后即可申请销号。"
    )
    assert done.button_texts == ["📤 申请销号", "查看 HZ-001"]
    assert actions(bot)[-2:] == ["add_evidence", "add_evidence"]
    evidence = item_of(bot).evidence
    assert [e.name for e in evidence] == ["整改方案.docx", "现场照片_20260302_090000.jpg"]
    for e in evidence:
        copy = bot.config.data_dir / e.stored_path
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == e.sha256
    assert (evidence[1].file_unique_id, evidence[1].size) != ("", 0)
    # After /done, text is a phrase again.
    assert (await ask(p.contact, "随便说说")).text.startswith("没太明白您的意思")


async def test_submitting_from_the_upload_answer_ends_the_upload(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    shown = await card(p.contact)
    await press(p.contact, shown, "📎 佐证")
    await p.contact.next_reply()
    await p.contact.send_document("记录.pdf", pdf())
    received = await p.contact.next_reply()
    await p.contact.next_edit()
    toast = await press(p.contact, received, "📤 申请销号")
    assert toast.text is not None and toast.text.startswith("✅ 已申请销号：HZ-001")
    assert "· 待签字" in (await p.contact.next_edit()).text
    assert (await p.leader.next_reply()).text.startswith("📤 申请销号 · 待您签字背书")
    assert (await ask(p.contact, "还要传吗")).text.startswith("没太明白您的意思")
    assert item_of(bot).status is Status.SUBMITTED


async def test_the_size_limit_is_checked_before_any_download(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("全部录像.zip", 20_000_001, caption="HZ-001")
    assert (await p.contact.next_reply()).text == (
        "文件太大（20.0 MB），超过 20 MB 的上限，未下载。请压缩或拆分后分别发送。"
    )
    assert bot.emulator.calls_of("getFile") == []
    assert item_of(bot).evidence == ()
    assert not (bot.config.data_dir / "evidence").exists()


async def test_exactly_the_limit_is_accepted(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("扫描件.pdf", 20_000_000, caption="HZ-001")
    received = await p.contact.next_reply(timeout=20)
    assert received.text == "✅ 已收到 HZ-001 的佐证材料“扫描件.pdf”（20.0 MB），现共 1 份。"
    assert item_of(bot).evidence[0].size == 20_000_000


async def test_types_outside_the_allow_list_are_refused_before_download(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    for name, mime in (
        ("setup.exe", None),
        ("宏.docm", None),
        ("无后缀", "application/x-dosexec"),
    ):
        await p.contact.send_document(name, b"MZ...", caption="HZ-001", mime_type=mime)
        reply = await p.contact.next_reply()
        assert reply.text.startswith(f"不能上传“{name}”：不支持 "), reply.text
        assert reply.text.endswith(f"可上传：{ALLOWED}，或直接发照片。")
    assert bot.emulator.calls_of("getFile") == []
    # A name without an extension is judged by its MIME type.
    await p.contact.send_document("扫描件", pdf(), caption="HZ-001", mime_type="application/pdf")
    assert (await p.contact.next_reply()).text.startswith("✅ 已收到 HZ-001 的佐证材料“扫描件”")


async def test_a_refused_files_extension_of_any_length_is_shown_clipped(
    bot: BotUnderTest,
) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("x." + "a" * 5000, b"MZ...", caption="HZ-001")
    reply = await p.contact.next_reply()
    assert reply.text.startswith("不能上传“x.aaaa"), reply.text
    assert "：不支持 aaaaaaaaaaaaaaa… 类型的文件。" in reply.text
    assert len(reply.text) < 300
    assert actions(bot) == ["create", "progress"]


async def test_the_same_file_twice_is_recorded_once(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    content = pdf("同一份")
    await p.contact.send_document("会议记录.pdf", content, caption="HZ-001")
    await p.contact.next_reply()
    await p.leader.send_document("会议纪要（复件）.pdf", content, caption="HZ-001")
    assert (await p.leader.next_reply()).text == (
        "这份材料已上传过（王联络 于 2026年3月2日（周一） 09:00 上传到 HZ-001），无需重复上传。"
    )
    assert len(item_of(bot).evidence) == 1
    assert len(bot.emulator.calls_of("getFile")) == 1  # the copy was not even fetched
    files = list((bot.config.data_dir / "evidence" / "HZ" / "HZ-001").iterdir())
    assert [f.name for f in files] == [f"{hashlib.sha256(content).hexdigest()[:16]}_会议记录.pdf"]


async def test_an_album_goes_to_the_item_named_on_its_first_file(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    # One media group as Telegram delivers it: a message per document, the caption on the
    # first only.
    for n, caption in enumerate(("HZ-001 会议材料", None, None), start=1):
        await p.contact.send_document(
            f"附件{n}.pdf", pdf(f"附件{n}"), caption=caption, album="g77"
        )
    for n in (1, 2, 3):
        reply = await p.contact.next_reply()
        assert reply.text.startswith(f"✅ 已收到 HZ-001 的佐证材料“附件{n}.pdf”"), reply.text
    assert [e.name for e in item_of(bot).evidence] == ["附件1.pdf", "附件2.pdf", "附件3.pdf"]


async def test_the_evidence_list_sends_files_again(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("会议记录.pdf", pdf(), caption="HZ-001")
    await p.contact.next_reply()
    await p.contact.send_photo(png(), caption="hz-1")
    await p.contact.next_reply()
    listing = await ask(p.inspector, "/evidence HZ-001")
    assert listing.text.startswith("HZ-001 佐证材料（共 2 份）\n\n1. 会议记录.pdf · ")
    assert "2026年3月2日（周一） 09:00 · 王联络（联络员）" in listing.text
    assert listing.button_texts == [
        "📎 1. 会议记录.pdf",
        "📎 2. photo_20260302_090000.jpg",
        "📎 佐证",
        "查看 HZ-001",
    ]
    await p.inspector.press(listing, "📎 1. 会议记录.pdf")
    sent = await p.inspector.next_reply()
    assert sent.kind == "document" and sent.document is not None
    assert sent.document.content == pdf() and sent.text == "HZ-001 佐证材料 1：会议记录.pdf"
    await p.inspector.next_answer()
    await p.inspector.press(listing, "📎 2. photo_20260302_090000.jpg")
    photo = await p.inspector.next_reply()
    assert photo.kind == "photo" and photo.photo is not None and photo.photo.content == png()
    await p.inspector.next_answer()


async def test_files_telegram_forgot_come_from_the_local_copy(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    content = pdf("本地副本")
    from storage.evidence import save_evidence

    stored = save_evidence(bot.config.data_dir, "HZ", "HZ-001", "旧材料.pdf", content)
    contact = bot.store.registry.get_person(2001)
    assert contact is not None
    for file_id, path in (("gone-file-id", stored.path), ("also-gone", "")):
        record_action(
            bot.services,
            contact,
            "HZ-001",
            Action.ADD_EVIDENCE,
            bot.clock.now(),
            Inputs(
                evidence=NewEvidence(
                    file_id=file_id,
                    name="旧材料.pdf",
                    size=len(content),
                    sha256=stored.sha256 if path else "",
                    file_unique_id=file_id,
                    stored_path=path,
                )
            ),
        )
    listing = await ask(p.contact, "/evidence HZ-001")
    await p.contact.press(listing, "📎 1. 旧材料.pdf")
    resent = await p.contact.next_reply()
    assert resent.document is not None and resent.document.content == content
    await p.contact.next_answer()
    await p.contact.press(listing, "📎 2. 旧材料.pdf")
    gone = await p.contact.next_answer()
    assert gone.text == "HZ-001 的第 2 份材料已无法取回，请联系上传人重新上传。"


async def test_evidence_respects_units_and_statuses(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.CLOSED)
    outsider = bot.contact("NB", 3001, "宁波联络员")
    await outsider.send_document("x.pdf", pdf(), caption="HZ-001")
    assert (await outsider.next_reply()).text == "未找到事项 HZ-001。"
    await p.contact.send_document("x.pdf", pdf(), caption="HZ-001")
    assert (await p.contact.next_reply()).text == (
        "事项 HZ-001 当前状态为“已销号”，不能执行“上传佐证材料”。"
    )
    assert bot.emulator.calls_of("getFile") == []
    empty = await ask(p.contact, "/evidence HZ-001")
    assert empty.text.startswith("HZ-001 佐证材料（共 1 份）")  # the seed's record
    assert "📎 佐证" not in empty.button_texts  # a closed item takes no more evidence
    await p.contact.forge_callback(empty, "ev:HZ-001:2")
    assert (await p.contact.next_answer()).text == STALE


async def test_a_file_without_an_item_id_gets_a_hint(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.contact.send_document("记录.pdf", pdf())
    assert (await p.contact.next_reply()).text == (
        "如需上传佐证材料，请在发送文件时在说明里写上事项编号（如 HZ-001），"
        "或先在事项卡片上点“📎 佐证”再发送。"
    )
    assert item_of(bot).evidence == ()


async def test_a_spreadsheet_captioned_with_an_id_is_evidence_not_an_import(
    bot: BotUnderTest,
) -> None:
    p = await personas(bot, Status.IN_PROGRESS)
    await p.inspector.send_document("台账附件.xlsx", b"PK\x03\x04 not really", caption="HZ-001")
    assert (await p.inspector.next_reply()).text.startswith(
        "✅ 已收到 HZ-001 的佐证材料“台账附件.xlsx”"
    )
    assert item_of(bot).evidence[0].by == 100


async def test_waiting_for_files_times_out(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = "[workflow]\nconversation_timeout_seconds = 1\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        p = await personas(bot, Status.IN_PROGRESS)
        shown = await card(p.contact)
        await press(p.contact, shown, "📎 佐证")
        await p.contact.next_reply()
        await p.contact.send_document("a.pdf", pdf())
        await p.contact.next_reply()
        ended = await p.contact.next_reply(timeout=10)
        assert ended.text == (
            "已结束为 HZ-001 上传佐证材料（本次收到 1 份）。材料齐全后即可申请销号。"
        )
        await press(p.contact, shown, "📎 佐证")
        await p.contact.next_reply()
        silent = await p.contact.next_reply(timeout=10)
        assert silent.text.startswith("等待时间较长，已结束为 HZ-001 上传佐证材料（未收到文件）")
        await p.contact.send_document("b.pdf", pdf("b"))  # no longer awaited, no caption
        assert (await p.contact.next_reply()).text.startswith("如需上传佐证材料")
        await nothing_more(p.contact)
        bot.check_clean()
