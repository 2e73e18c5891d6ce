"""Real 台账 by chat (issue 10), through the emulator: the corpus layouts of
tests/storage/ledger_corpus.py previewed (columns not imported, readings, measures, skipped rows)
and imported on 确认; a unit named only by a name is asked about with buttons; the caption
names the unit of a file that names none; .xls and .docx; re-import changes nothing; a new unit
is followed by the invitation buttons."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.model import Unit
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.conftest import EMULATOR_EPOCH
from tests.e2e.harness import BotUnderTest
from tests.storage.ledger_corpus import (
    DOCX,
    NO_UNIT,
    SECTIONS,
    UNIT_COLUMN,
    XLS,
    Layout,
    check_item,
    find,
)

CONFIRM = "✅ 确认导入"
TODAY = EMULATOR_EPOCH.date()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def written(layout: Layout, folder: Path) -> bytes:
    path = folder / layout.name
    layout.write(path)
    return path.read_bytes()


async def upload(
    user: EmulatedUser, data: bytes, name: str, caption: str | None = None
) -> BotMessage:
    await user.send_document(name, data, caption=caption)
    return await user.next_reply(timeout=20)


def register(bot: BotUnderTest, layout: Layout) -> None:
    for code, name in layout.registered:
        bot.store.add_unit(Unit(code, name))


async def confirm(user: EmulatedUser, preview: BotMessage) -> BotMessage:
    await user.press(preview, CONFIRM)
    await user.next_answer()
    return await user.next_edit(timeout=20)


async def test_sections_layout_previews_how_it_was_read_then_imports(
    bot: BotUnderTest, folder: Path
) -> None:
    register(bot, SECTIONS)
    boss = bot.inspector()
    data = written(SECTIONS, folder)
    preview = await upload(boss, data, SECTIONS.name)
    text = preview.text
    assert "共 1 个单位、3 项问题：新增 3 项" in text
    assert "• DL 东岭县局党组：3 项" in text  # matched by the name in the title
    assert "问题类别：贯彻落实党的路线方针政策方面、党的建设" in text
    assert "整改时限的读法：2026年12月底前 → 2026年12月31日、立行立改 → 2026年3月16日" in text
    assert "整改措施：共 5 条；其中 1 个问题各有多条措施" in text
    assert "未导入的列：督办情况（内容记入备注）" in text
    assert "跳过的行：“台账”第 2 行（不是问题：填报日期：2026年3月1日）" in text
    assert "“台账”第 12 行（表尾：填表人：李某 联系电话：0571-88886666）" in text
    done = await confirm(boss, preview)
    assert "新增事项 3 项" in done.text
    for expect in SECTIONS.items:
        check_item(find(bot.store, expect), expect, TODAY)

    again = await upload(boss, data, SECTIONS.name)
    assert "新增 0 项，更新 0 项，无变化 3 项" in again.text
    assert "文件内容与现有台账一致，无需导入。" in again.text


async def test_an_unmatched_unit_name_is_asked_about_with_buttons(
    bot: BotUnderTest, folder: Path
) -> None:
    register(bot, UNIT_COLUMN)
    boss = bot.inspector()
    question = await upload(boss, written(UNIT_COLUMN, folder), UNIT_COLUMN.name)
    assert "请先确定这些问题属于哪个单位" in question.text
    assert "文件中的单位“ＸＸ南湖区局”（1 项问题）与已登记的单位都不匹配" in question.text
    assert question.button_texts == [
        "DL 东岭县局党组",
        "XS 西山县局党委",
        "➕ 新建 U01 ＸＸ南湖区局",
        "取消",
    ]
    assert [u.code for u in bot.store.registry.list_units()] == ["DL", "XS"]  # nothing yet
    await boss.press(question, "➕ 新建 U01 ＸＸ南湖区局")
    await boss.next_answer()
    preview = await boss.next_edit(timeout=20)
    assert "共 3 个单位、3 项问题：新增 3 项" in preview.text
    assert "• U01 ＸＸ南湖区局（新单位）：1 项" in preview.text
    done = await confirm(boss, preview)
    assert "新单位 U01 ＸＸ南湖区局 已建立。下一步：邀请它的联络员和主要负责人。" in done.text
    assert [b.callback_data for row in done.buttons for b in row] == [
        "inv:U01:contact",
        "inv:U01:leader",
    ]
    unit = bot.store.registry.get_unit("U01")
    assert unit is not None and unit.name == "ＸＸ南湖区局"
    assert [i.problem for i in bot.store.ledger("U01").items()] == ["干部交流轮岗不到位"]
    for expect in UNIT_COLUMN.items[:2]:
        check_item(find(bot.store, expect), expect, TODAY)


async def test_picking_a_registered_unit_imports_into_it(bot: BotUnderTest, folder: Path) -> None:
    register(bot, UNIT_COLUMN)
    boss = bot.inspector()
    question = await upload(boss, written(UNIT_COLUMN, folder), UNIT_COLUMN.name)
    await boss.press(question, "XS 西山县局党委")
    await boss.next_answer()
    preview = await boss.next_edit(timeout=20)
    assert "共 2 个单位、3 项问题" in preview.text
    await confirm(boss, preview)
    assert len(bot.store.ledger("XS").items()) == 2
    assert bot.store.registry.get_unit("U01") is None


async def test_the_caption_names_the_unit_of_a_file_that_names_none(
    bot: BotUnderTest, folder: Path
) -> None:
    register(bot, NO_UNIT)
    boss = bot.inspector()
    data = written(NO_UNIT, folder)
    question = await upload(boss, data, NO_UNIT.name)
    assert "文件没有写明单位（2 项问题）" in question.text
    assert "也可以在文件说明中写上单位代码（例如 DL）后重新发送文件。" in question.text
    preview = await upload(boss, data, NO_UNIT.name, caption="dl 东岭县局")
    assert "• DL 东岭县局党组：2 项" in preview.text
    assert "文件没有问题类别" in preview.text and "2 项记为“其他”" in preview.text
    await confirm(boss, preview)
    for expect in NO_UNIT.items:
        check_item(find(bot.store, expect), expect, TODAY)


@pytest.mark.parametrize("layout", [XLS, DOCX], ids=["xls", "docx"])
async def test_xls_and_docx_import_like_xlsx(
    bot: BotUnderTest, folder: Path, layout: Layout
) -> None:
    register(bot, layout)
    boss = bot.inspector()
    preview = await upload(boss, written(layout, folder), layout.name)
    assert "台账导入预览" in preview.text, preview.text
    assert f"新增 {len(layout.items)} 项" in preview.text
    await confirm(boss, preview)
    for expect in layout.items:
        check_item(find(bot.store, expect), expect, TODAY)
