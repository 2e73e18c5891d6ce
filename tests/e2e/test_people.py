"""Inspectors' units and people: /newunit, /units, /invite, /people, /revoke (and refusals)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.model import Role, Status
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import invite_code, seed_item

REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"
NOT_ALLOWED = "您没有权限执行此操作。"


async def test_newunit_creates_a_unit_and_offers_invites(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/newunit hz 杭州市局党组 第一轮")
    done = await inspector.next_reply()
    assert "已新建单位 杭州市局党组（HZ），巡察轮次：第一轮" in done.text
    assert done.button_texts == ["邀请联络员", "邀请主要负责人"]
    unit = bot.store.registry.get_unit("HZ")
    assert unit is not None and (unit.name, unit.round) == ("杭州市局党组", "第一轮")
    assert bot.store.ledger("HZ").items() == []

    await inspector.press(done, "邀请主要负责人")
    invite = await inspector.next_reply()
    code = invite_code(invite.text)
    assert "主要负责人" in invite.text
    stored = bot.store.registry.get_invite(code)
    assert stored is not None and (stored.role, stored.unit) == (Role.LEADER, "HZ")


async def test_newunit_names_with_spaces_and_rounds(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/newunit NB 宁波 市局党组")  # no round-like last word: all name
    await inspector.next_reply()
    await inspector.send("/newunit WZ 温州市局党组 2026年第2轮")
    await inspector.next_reply()
    nb, wz = bot.store.registry.get_unit("NB"), bot.store.registry.get_unit("WZ")
    assert nb is not None and (nb.name, nb.round) == ("宁波 市局党组", "")
    assert wz is not None and (wz.name, wz.round) == ("温州市局党组", "2026年第2轮")


async def test_newunit_refuses_bad_input_clearly(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/newunit")
    assert "用法：/newunit" in (await inspector.next_reply()).text
    await inspector.send("/newunit 1HZ 名称")
    assert "单位代码“1HZ”不符合要求" in (await inspector.next_reply()).text
    await inspector.send("/newunit HZ " + "长" * 61)
    assert "太长" in (await inspector.next_reply()).text
    await inspector.send("/newunit HZ 杭州")
    await inspector.next_reply()
    await inspector.send("/newunit HZ 另一个")
    assert "单位代码 HZ 已被 杭州 使用" in (await inspector.next_reply()).text
    assert [u.code for u in bot.store.registry.list_units()] == ["HZ"]


async def test_a_unit_name_full_of_markup_renders_literally(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/newunit HZ <b>A&B</b>")
    assert "<b>A&B</b>" in (await inspector.next_reply()).text
    await inspector.send("/units")
    assert "HZ <b>A&B</b>" in (await inspector.next_reply()).text
    await inspector.send("/invite HZ contact")
    assert "<b>A&B</b>（HZ）" in (await inspector.next_reply()).text
    await inspector.send("/people")
    assert "HZ <b>A&B</b>" in (await inspector.next_reply()).text


async def test_units_shows_each_units_figures_and_rate(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组", "第一轮")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    store = bot.store
    seed_item(store, "HZ", now=now, deadline=date(2026, 3, 1))  # red
    seed_item(store, "HZ", now=now, status=Status.IN_PROGRESS)
    seed_item(store, "HZ", now=now, status=Status.SUBMITTED)
    seed_item(store, "HZ", now=now, status=Status.ENDORSED)
    seed_item(store, "HZ", now=now, status=Status.CLOSED)
    seed_item(store, "HZ", now=now, long_term=True, status=Status.CLOSED)  # → monitoring
    seed_item(store, "HZ", now=now, status=Status.WITHDRAWN)
    assert store.ledger("HZ").get_item("HZ-006").status is Status.MONITORING  # type: ignore[union-attr]
    inspector = bot.inspector()
    await inspector.send("/units")
    units = await inspector.next_reply()
    # HZ: 7 items, 1 withdrawn (apart); every status once, the parts add up to 6; 超期 1;
    # 整改完成率 = (待签字 + 待核验 + 已销号 + 长期坚持) ÷ 6, 销号率 = (已销号 + 长期坚持) ÷ 6.
    hz = (
        "共 6 项：未整改 1 · 整改中 1 · 待签字 1 · 待核验 1 · 已销号 1 · 长期坚持 1\n"
        "超期 1；另撤销 1 项（不计入）\n"
        "整改完成率 66.6% · 销号率 33.3%"
    )
    assert f"HZ 杭州市局党组（第一轮）\n{hz}\n\n" in units.text
    assert "NB 宁波市局党组\n共 0 项\n\n" in units.text  # no zero parts, no "—" rates, no "（—）"
    assert units.text.startswith(
        f"各单位整改进度（共 2 个单位，需关注的在前）\n{hz}\n\n"
    )  # the sum
    assert units.button_texts == ["HZ", "NB"]
    await inspector.press(units, "HZ")
    unit_list = await inspector.next_reply()
    assert unit_list.text.startswith("杭州市局党组（HZ）· 巡察轮次：第一轮")
    assert "HZ-001" in unit_list.text and "HZ-005" not in unit_list.text


async def test_units_are_paged(bot: BotUnderTest) -> None:
    for i in range(23):
        bot.add_unit(f"U{i:02d}", f"单位{i:02d}")
    inspector = bot.inspector()
    await inspector.send("/units")
    first = await inspector.next_reply()
    assert "U00" in first.text and "U10" not in first.text
    assert first.button_texts[-3:] == ["1/3", "›", "»"]
    await inspector.press(first, "»")
    last = await inspector.next_edit()
    assert last.message_id == first.message_id
    assert "U20" in last.text and "U22" in last.text and "3/3" in last.button_texts


async def test_units_lead_with_the_units_needing_attention_and_page_by_number(
    bot: BotUnderTest,
) -> None:
    for i in range(12):
        bot.add_unit(f"U{i:02d}", f"单位{i:02d}")
    now = bot.clock.now()
    today = now.date()
    for _ in range(2):  # U07: two overdue items
        seed_item(bot.store, "U07", now=now, deadline=today - timedelta(days=3))
    seed_item(bot.store, "U11", now=now, deadline=today - timedelta(days=1))  # one overdue
    seed_item(bot.store, "U03", now=now, deadline=today + timedelta(days=2))  # due soon
    seed_item(bot.store, "U05", now=now, deadline=today + timedelta(days=60))  # green
    inspector = bot.inspector()
    await inspector.send("/units")
    first = await inspector.next_reply()
    assert first.text.startswith("各单位整改进度（共 12 个单位，需关注的在前）\n共 5 项")
    order = ["U07", "U11", "U03", "U05", "U00", "U01", "U02", "U04", "U06", "U08"]
    assert first.button_texts[:10] == order
    assert [first.text.index(f"{code} 单位") for code in order] == sorted(
        first.text.index(f"{code} 单位") for code in order
    )
    assert "U09" not in first.text and first.button_texts[-3:] == ["1/2", "›", "»"]
    await inspector.send("/units 2")
    second = await inspector.next_reply()
    assert second.button_texts[:2] == ["U09", "U10"] and "2/2" in second.button_texts
    assert second.text.startswith("各单位整改进度（共 12 个单位，需关注的在前）\n共 5 项")
    await inspector.send("/units ９")  # past the end (full-width digit): the last page
    assert (await inspector.next_reply()).text == second.text
    for text in ("/units 0", "/units abc", "/units 1 2"):
        await inspector.send(text)
        assert (await inspector.next_reply()).text.startswith("用法：/units"), text


async def test_invite_validates_its_arguments(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    for text in ("/invite", "/invite HZ", "/invite HZ boss", "/invite HZ contact extra"):
        await inspector.send(text)
        assert "用法：/invite" in (await inspector.next_reply()).text, text
    await inspector.send("/invite XX contact")
    assert (await inspector.next_reply()).text == "未找到单位 XX。"
    await inspector.send("/invite hz 联络员")
    assert "联络员的邀请" in (await inspector.next_reply()).text
    assert len(bot.store.registry.list_invites()) == 1


async def test_people_lists_inspectors_and_who_is_bound(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    bot.add_unit("NB", "宁波市局党组")
    bot.contact("HZ", 2001, "王联络")
    bot.leader("HZ", 2002, "李书记")
    inspector = bot.inspector()
    await inspector.send("/start")
    await inspector.next_reply()
    await inspector.send("/people")
    text = (await inspector.next_reply()).text
    assert "巡察组：巡察组100（编号 100）" in text
    assert "巡察组：尚未使用机器人的成员（编号 101）" in text
    assert (
        "HZ 杭州市局党组\n　主要负责人：李书记（编号 2002）\n　联络员：王联络（编号 2001）"
    ) in text
    assert "NB 宁波市局党组\n　尚无绑定人员" in text
    await inspector.send("/people nb")
    text = (await inspector.next_reply()).text
    assert "NB 宁波市局党组" in text and "HZ" not in text and "编号 100" not in text
    await inspector.send("/people XX")
    assert (await inspector.next_reply()).text == "未找到单位 XX。"


async def test_revoke_makes_a_person_unknown_and_resets_their_menu(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    await inspector.send("/invite HZ contact")
    code = invite_code((await inspector.next_reply()).text)
    alice = bot.user(2001, "王小红")
    await alice.send(f"/start {code}")
    await alice.next_reply()
    await inspector.next_reply()  # told the invite was used
    assert alice.commands()[0][0] == "open"

    await inspector.send("/revoke 2001")
    done = await inspector.next_reply()
    assert "已解除 王小红（编号 2001，HZ 联络员）的绑定" in done.text
    assert "解除" in (await alice.next_reply()).text  # told once
    assert bot.store.registry.get_person(2001) is None
    await alice.send("/open")
    assert (await alice.next_reply()).text == REFUSED
    assert [c for c, _ in alice.commands()] == ["start", "help"]  # their own menu is gone


async def test_revoke_by_name_and_its_refusals(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    bot.contact("HZ", 2001, "王小红")
    bot.contact("HZ", 2002, "张三")
    bot.contact("HZ", 2003, "张三")
    inspector = bot.inspector()
    await inspector.send("/revoke @王小红")
    assert "已解除 王小红" in (await inspector.next_reply()).text
    await inspector.send("/revoke 张三")  # two people have that name
    assert "未找到此人员：张三" in (await inspector.next_reply()).text
    await inspector.send("/revoke 101")
    assert "巡察组成员由配置文件管理" in (await inspector.next_reply()).text
    await inspector.send("/revoke 999")
    assert "未找到此人员：999" in (await inspector.next_reply()).text
    await inspector.send("/revoke")
    assert "用法：/revoke" in (await inspector.next_reply()).text
    bound = [p.user_id for p in bot.store.registry.list_people() if p.role is not Role.INSPECTOR]
    assert bound == [2002, 2003]


@pytest.mark.parametrize(
    "command",
    ["/newunit HZ 名称", "/units", "/invite HZ contact", "/people", "/revoke 2001", "/unit HZ"],
)
async def test_contacts_and_leaders_may_not_manage(bot: BotUnderTest, command: str) -> None:
    bot.add_unit("HZ")
    for user in (bot.contact("HZ", 2001), bot.leader("HZ", 2002)):
        await user.send(command)
        assert (await user.next_reply()).text == NOT_ALLOWED
    assert [u.code for u in bot.store.registry.list_units()] == ["HZ"]
    assert bot.store.registry.list_invites() == []
    assert len(bot.store.registry.list_people()) == 2


async def test_a_forged_invite_button_changes_nothing(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    await inspector.send("/units")
    units = await inspector.next_reply()
    for data in ("inv:XX:contact", "inv:HZ:boss", "inv:HZ", "inv:hz:contact:1"):
        await inspector.forge_callback(units, data)
        assert (await inspector.next_answer()).text == "此按钮已失效，请重新查询。", data
    alice = bot.contact("HZ", 2001)
    await alice.send("/open")
    reply = await alice.next_reply()
    await alice.forge_callback(reply, "inv:HZ:contact")
    assert (await alice.next_answer()).text == NOT_ALLOWED
    assert bot.store.registry.list_invites() == []


async def test_in_a_group_nothing_is_shown_or_changed(bot: BotUnderTest) -> None:
    """Unit figures, who is bound (names and ids) and live invitations stay out of groups."""
    bot.add_unit("HZ", "杭州市局党组")
    alice = bot.contact("HZ", 2001, "王联络")
    inspector = bot.inspector()
    group = bot.emulator.group(-5001, "工作群", [inspector, alice])
    commands = (
        "/newunit NB 宁波市局党组",
        "/newunit HZ 另一个",
        "/units",
        "/invite HZ contact",
        "/people",
        "/people HZ",
        "/revoke 2001",
    )
    for command in commands:
        await inspector.send(command, chat=group)
        assert (await group.next_reply()).text == "为保护整改信息，请在与机器人的私聊中查询。"
    await inspector.send("/help", chat=group)
    anchor = await group.next_reply()
    await inspector.forge_callback(anchor, "inv:HZ:leader")
    assert (await inspector.next_answer()).text == "为保护整改信息，请在与机器人的私聊中查询。"
    assert [u.code for u in bot.store.registry.list_units()] == ["HZ"]
    assert bot.store.registry.list_invites() == []
    assert bot.store.registry.get_person(2001) is not None
