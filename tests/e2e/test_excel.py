"""台账 import, export and the /stats chart through the emulator: preview and 确认, re-import,
problems listed with their place, size and type refused before download (R25), tokens that
are forged, expired, someone else's or pressed twice, the export → edit → import round trip,
and who sees which units (R21, R22)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from openpyxl import load_workbook

from handlers.charts import chart_size
from handlers.excel import PENDING_KEY, PENDING_TTL
from ledger.model import Status
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item
from tests.storage.xlsx_helpers import SAMPLE, book_bytes, ledger_sheet, row

CONFIRM = "✅ 确认导入"
CANCEL = "取消"
STALE = "此导入已失效（已处理、已取消或超过 30 分钟），请重新发送文件。"
REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"


def item_count(bot: BotUnderTest) -> int:
    return sum(len(ledger) for ledger in bot.store.ledgers())


def event_count(bot: BotUnderTest) -> int:
    return sum(len(led.events(i.id)) for led in bot.store.ledgers() for i in led.items())


async def upload(user: EmulatedUser, data: bytes, name: str = "整改台账.xlsx") -> BotMessage:
    await user.send_document(name, data)
    return await user.next_reply(timeout=15)


async def import_sample(bot: BotUnderTest, user: EmulatedUser) -> BotMessage:
    preview = await upload(user, SAMPLE.read_bytes(), "ledger-sample.xlsx")
    await user.press(preview, CONFIRM)
    return await user.next_edit(timeout=15)


async def export_of(user: EmulatedUser, command: str = "/export") -> BotMessage:
    await user.send(command)
    message = await user.next_reply(timeout=15)
    assert message.document is not None, message.text
    return message


def workbook(message: BotMessage) -> Any:  # an openpyxl Workbook (openpyxl has no types)
    assert message.document is not None and message.document.content is not None
    return load_workbook(io.BytesIO(message.document.content))


# --------------------------------------------------------------------------- import


async def test_the_sample_previews_then_imports_on_confirm(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    preview = await upload(boss, SAMPLE.read_bytes(), "ledger-sample.xlsx")
    text = preview.text
    assert "台账导入预览" in text and "ledger-sample.xlsx" in text
    assert "共 3 个单位、18 项问题：新增 18 项，更新 0 项，无变化 0 项。" in text
    assert "• JB 江北市局党组（新单位）：6 项（新增 6，更新 0，无变化 0）" in text
    assert "• SN 山南县局党组（新单位）" in text
    assert "整改时限：2026年11月1日 至 2027年3月15日" in text and "长期坚持：3 项" in text
    assert preview.button_texts == [CONFIRM, CANCEL]
    assert item_count(bot) == 0 and bot.store.registry.list_units() == []

    await boss.press(preview, CONFIRM)
    answer = await boss.next_answer()
    assert answer.text == "正在导入……"
    done = await boss.next_edit(timeout=15)
    assert "台账已导入" in done.text
    assert "新建单位 3 个；新增事项 18 项，更新 0 项，无变化 0 项。" in done.text
    # the next step for each new unit: invite its contact and leader (issue 10)
    assert "新单位 JB 江北市局党组 已建立。下一步：邀请它的联络员和主要负责人。" in done.text
    assert [b.callback_data for row in done.buttons for b in row] == [
        f"inv:{code}:{role}" for code in ("JB", "HX", "SN") for role in ("contact", "leader")
    ]
    assert [u.code for u in bot.store.registry.list_units()] == ["HX", "JB", "SN"]
    item = bot.store.ledger("JB").get_item("JB-001")
    assert item is not None and item.deadline == date(2026, 11, 1)
    assert item.status is Status.IN_PROGRESS  # 整改中, with the words as its first note
    assert [e.by for e in bot.store.ledger("JB").events("JB-001")] == [boss.id, boss.id]


async def test_reuploading_the_same_file_creates_nothing(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    await import_sample(bot, boss)
    events = event_count(bot)
    again = await upload(boss, SAMPLE.read_bytes(), "ledger-sample.xlsx")
    assert "新增 0 项，更新 0 项，无变化 18 项" in again.text
    assert "文件内容与现有台账一致，无需导入。" in again.text
    assert again.buttons == ()
    assert (item_count(bot), event_count(bot)) == (18, events)


async def test_cancel_changes_nothing(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    preview = await upload(boss, SAMPLE.read_bytes())
    await boss.press(preview, CANCEL)
    assert (await boss.next_answer()).text == "已取消"
    cancelled = await boss.next_edit()
    assert "已取消导入“整改台账.xlsx”，台账未作任何更改。" in cancelled.text
    assert bot.store.registry.list_units() == []


async def test_a_bad_file_lists_each_problem_with_its_place_and_changes_nothing(
    bot: BotUnderTest,
) -> None:
    boss = bot.inspector()
    await import_sample(bot, boss)
    events = event_count(bot)
    rows = [
        row(1),
        row(2, deadline="下个月"),
        row(3, category="纪律建设"),
        row(4, problem=None),
    ]
    data = book_bytes({"JB": ledger_sheet(rows), "说明": [["填表说明"]]})
    reply = await upload(boss, data, "坏台账.xlsx")
    lines = reply.text.splitlines()
    assert lines[0] == "❌ 台账未导入，未作任何更改。“坏台账.xlsx”中发现 3 处问题："
    assert lines[1].startswith("• 工作表“JB”第 4 行“整改时限”列：“下个月”不是可识别的时限")
    assert lines[2].startswith("• 工作表“JB”第 5 行“问题类别”列：问题类别“纪律建设”不在可选范围内")
    assert lines[3] == "• 工作表“JB”第 6 行“问题描述”列：未填写"
    assert lines[-1] == "请修改后重新发送整个文件。"
    assert reply.buttons == ()
    assert (item_count(bot), event_count(bot)) == (18, events)


async def test_more_than_twenty_problems_show_twenty_then_a_count(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    data = book_bytes({"JB": ledger_sheet([row(n, deadline="不知道") for n in range(1, 31)])})
    reply = await upload(boss, data)
    lines = reply.text.splitlines()
    assert "发现 30 处问题" in lines[0]
    issues = [line for line in lines if line.startswith("• ")]
    assert len(issues) == 20
    assert issues[-1].startswith("• 工作表“JB”第 22 行“整改时限”列")
    assert "……另有 10 处问题" in lines
    assert bot.store.registry.list_units() == []


async def test_a_file_over_the_limit_is_refused_before_download(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    await boss.send_document("全省台账.xlsx", 20_000_001)
    reply = await boss.next_reply()
    assert reply.text == (
        "❌ “全省台账.xlsx”有 20.0 MB，超过导入上限 20.0 MB，未下载。请拆分为几个文件分别发送。"
    )
    assert bot.emulator.calls_of("getFile") == []


async def test_other_spreadsheets_are_refused_before_download(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    for name in ("台账.ods", "台账.csv"):  # .xls and .docx are read (issue 10)
        await boss.send_document(name, b"1,2,3\n")
        reply = await boss.next_reply()
        assert reply.text.startswith(
            f"❌ “{name}”不是能导入的台账文件（.xlsx、.xls 或 .docx），未下载。"
        )
    assert bot.emulator.calls_of("getFile") == []


async def test_garbage_named_xlsx_gets_a_clear_message(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    reply = await upload(boss, b"this is not a workbook at all", "台账.xlsx")
    assert reply.text.splitlines()[:2] == [
        "❌ 台账未导入，未作任何更改。“台账.xlsx”中发现 1 处问题：",
        "• 文件：不是 .xlsx 文件（可能是 .csv 等其他格式，或文件已损坏）",
    ]
    assert len(bot.emulator.calls_of("getFile")) == 1


async def test_a_file_captioned_with_an_item_id_is_evidence_not_an_import(
    bot: BotUnderTest,
) -> None:
    boss = bot.inspector()
    await boss.send_document("佐证.xlsx", SAMPLE.read_bytes(), caption="HZ-001 会议记录")
    reply = await boss.next_reply(timeout=15)  # whatever the evidence feature answers
    assert "台账" not in reply.text and reply.buttons == ()
    assert not bot.app.bot_data.get(PENDING_KEY)
    assert bot.store.registry.list_units() == []


async def test_contacts_get_a_hint_and_strangers_the_refusal(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    alice = bot.contact("HZ", 2001)
    hint = await upload(alice, SAMPLE.read_bytes())
    assert "请在文件说明中填写事项编号（例如 HZ-001）" in hint.text
    stranger = bot.user(9999, "陌生人")
    assert (await upload(stranger, SAMPLE.read_bytes())).text == REFUSED
    assert bot.emulator.calls_of("getFile") == []
    assert item_count(bot) == 0


# --------------------------------------------------------------------------- tokens


async def test_forged_expired_and_other_peoples_tokens_change_nothing(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    colleague = bot.inspector(101)
    preview = await upload(boss, SAMPLE.read_bytes())
    token = preview.buttons[0][0].callback_data
    assert token is not None and token.startswith("ok:imp")

    await boss.forge_callback(preview, "ok:impForgedToken0000000")
    assert (await boss.next_answer()).text == STALE

    theirs = await upload(colleague, book_bytes({"XX": ledger_sheet([row(1)])}))
    await colleague.forge_callback(theirs, token)  # someone else's token
    assert (await colleague.next_answer()).text == STALE
    assert bot.store.registry.list_units() == []

    bot.advance(PENDING_TTL + timedelta(minutes=1))
    await boss.press(preview, CONFIRM)
    assert (await boss.next_answer()).text == STALE
    assert bot.store.registry.list_units() == []
    assert all(e.kind != "edited" for e in boss.events)


async def test_the_owner_can_still_confirm_after_a_forgery(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    colleague = bot.inspector(101)
    preview = await upload(boss, SAMPLE.read_bytes())
    token = preview.buttons[0][0].callback_data
    assert token is not None
    theirs = await upload(colleague, book_bytes({"XX": ledger_sheet([row(1)])}))
    await colleague.forge_callback(theirs, token)
    assert (await colleague.next_answer()).text == STALE
    await boss.press(preview, CONFIRM)
    assert "台账已导入" in (await boss.next_edit(timeout=15)).text
    assert item_count(bot) == 18


async def test_pressing_confirm_twice_imports_once(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    preview = await upload(boss, SAMPLE.read_bytes())
    await boss.press(preview, CONFIRM)
    await boss.press(preview, CONFIRM)  # before the bot has answered the first
    answers = {(await boss.next_answer()).text, (await boss.next_answer()).text}
    assert answers == {"正在导入……", STALE}
    assert "台账已导入" in (await boss.next_edit(timeout=15)).text
    assert item_count(bot) == 18
    assert all(len(led.events(f"{led.unit}-002")) == 1 for led in bot.store.ledgers())


async def test_a_contact_pressing_an_import_button_is_refused(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    alice = bot.contact("HZ", 2001)
    await alice.send("/export")
    message = await alice.next_reply(timeout=15)
    await alice.forge_callback(message, "ok:impAnything")
    answer = await alice.next_answer()
    assert answer.text == "您没有权限执行此操作。"


# --------------------------------------------------------------------------- export


async def test_export_sends_the_ledger_as_a_workbook(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    await import_sample(bot, boss)
    message = await export_of(boss)
    assert message.document is not None
    assert message.document.name == "整改台账_全部_20260302.xlsx"
    assert message.text.startswith(
        "📊 整改台账（全部单位，截至 2026年3月2日）：3 个单位，18 项问题。"
    )
    assert "upload_document" in [e.action for e in boss.events if e.kind == "action"]
    wb = workbook(message)
    assert wb.sheetnames == ["汇总", "HX", "JB", "SN"]
    assert [c.value for c in wb["JB"]["A"][2:8]] == [f"JB-{n:03d}" for n in range(1, 7)]

    one = await export_of(boss, "/export jb")
    assert one.document is not None and one.document.name == "整改台账_JB_20260302.xlsx"
    assert workbook(one).sheetnames == ["汇总", "JB"]


async def test_edit_a_deadline_in_the_export_and_import_it_back(bot: BotUnderTest) -> None:
    """The newcomer's path: export, change a deadline in the spreadsheet, import, see it."""
    boss = bot.inspector()
    await import_sample(bot, boss)
    wb = workbook(await export_of(boss))
    ws = wb["JB"]
    headers = [c.value for c in ws[2]]
    row_of = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    ws.cell(row_of["JB-003"], headers.index("整改时限") + 1).value = date(2027, 2, 28)
    out = io.BytesIO()
    wb.save(out)

    preview = await upload(boss, out.getvalue(), "整改台账_全部_20260302.xlsx")
    assert "新增 0 项，更新 1 项，无变化 17 项" in preview.text
    assert "• JB-003（工作表“JB”第 5 行）：整改时限" in preview.text
    await boss.press(preview, CONFIRM)
    done = await boss.next_edit(timeout=15)
    assert "新增事项 0 项，更新 1 项，无变化 17 项" in done.text

    item = bot.store.ledger("JB").get_item("JB-003")
    assert item is not None and item.deadline == date(2027, 2, 28)
    event = bot.store.ledger("JB").events("JB-003")[-1]
    assert (event.action, event.by) == ("set_deadline", boss.id)
    assert (event.data["old"], event.data["new"]) == ("2026-12-31", "2027-02-28")
    assert event.data["reason"] == "台账导入更新（整改台账_全部_20260302.xlsx）"
    again = workbook(await export_of(boss))
    assert again["JB"].cell(row_of["JB-003"], headers.index("整改时限") + 1).value.date() == date(
        2027, 2, 28
    )


async def test_a_contact_exports_only_their_unit(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 4, 30))
    seed_item(bot.store, "NB", now=now, deadline=date(2026, 4, 30))
    alice = bot.contact("HZ", 2001)
    message = await export_of(alice)
    assert message.document is not None and message.document.name == "整改台账_HZ_20260302.xlsx"
    assert workbook(message).sheetnames == ["汇总", "HZ"]
    assert "发回本机器人" not in message.text  # only inspectors import
    for other in ("NB", "ZZ"):  # another unit answers exactly like one that does not exist
        await alice.send(f"/export {other}")
        assert (await alice.next_reply()).text == f"未找到单位 {other}。"


async def test_export_with_no_units_says_so(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    await boss.send("/export")
    assert (await boss.next_reply()).text.startswith("还没有任何单位。")


async def test_strangers_get_the_refusal_for_export_and_stats(bot: BotUnderTest) -> None:
    stranger = bot.user(9999, "陌生人")
    for command in ("/export", "/stats", "/export HZ"):
        await stranger.send(command)
        assert (await stranger.next_reply()).text == REFUSED


# --------------------------------------------------------------------------- stats


async def test_stats_sends_a_png_chart_with_the_rates(bot: BotUnderTest) -> None:
    boss = bot.inspector()
    await import_sample(bot, boss)
    await boss.send("/stats")
    message = await boss.next_reply(timeout=30)
    assert message.photo is not None and message.photo.content is not None
    assert message.photo.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (message.photo.width, message.photo.height) == chart_size(3)
    assert message.text == (
        "📈 全部单位（截至 2026年3月2日）\n共 18 项：未整改 9 · 整改中 9\n"
        "整改完成率 0.0% · 销号率 0.0%"
    )
    assert "upload_photo" in [e.action for e in boss.events if e.kind == "action"]


async def test_a_leader_charts_only_their_unit(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, deadline=date(2026, 2, 20))  # overdue
    seed_item(bot.store, "HZ", now=now, status=Status.CLOSED)
    seed_item(bot.store, "NB", now=now, deadline=date(2026, 4, 30))
    lead = bot.leader("HZ", 3001)
    await lead.send("/stats")
    message = await lead.next_reply(timeout=30)
    assert message.photo is not None
    assert (message.photo.width, message.photo.height) == chart_size(1)
    assert message.text == (
        "📈 HZ 杭州市局党组（截至 2026年3月2日）\n共 2 项：未整改 1 · 已销号 1\n超期 1\n"
        "整改完成率 50.0% · 销号率 50.0%"
    )
    await lead.send("/stats NB")
    assert (await lead.next_reply()).text == "未找到单位 NB。"
