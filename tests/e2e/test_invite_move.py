"""Someone bound to one unit who opens another unit's invitation is asked first (issue 15).

Through the emulator: the question names their unit and role now and what will change;
nothing changes before 确认; 取消 leaves the invitation usable; after 确认 the move is
recorded on the invitation, every inspector and the unit left behind are told once (the
inviter included, not twice), and the invitation is spent only then.
"""

from __future__ import annotations

from ledger.model import Role
from sandbox.users import EmulatedUser
from tests.e2e.harness import OTHER_INSPECTOR_ID, BotUnderTest
from tests.e2e.test_start import ALREADY_IN, make_invite

ASK = (
    "⚠️ 您目前是 HZ单位党组（HZ）的联络员。\n"
    "这个邀请链接会把您改为 NB单位党组（NB）的联络员：确认后您将不再是HZ单位党组的联络员，"
    "看不到它的事项，也不再收到它的提醒；巡察组和HZ单位党组会收到通知。\n确认更改吗？"
)


def moves(user: EmulatedUser) -> list[str]:
    """The move notices (🔁) the bot sent this user."""
    return [m.text for m in user.replies if m.text.startswith("🔁")]


async def settle(user: EmulatedUser) -> None:
    """Updates are handled one at a time: once /help is answered, what came before is done."""
    await user.send("/help")
    while not (await user.next_reply()).text.startswith("整改通 · 使用说明"):
        pass


async def test_a_contact_opening_a_second_units_invite_is_asked_and_nothing_changes(
    bot: BotUnderTest,
) -> None:
    bot.add_unit("NB")
    alice = bot.contact("HZ", 2001, "王小红")
    leader = bot.leader("HZ", 2002, "赵书记")
    code = await make_invite(bot, "NB", "contact")
    await alice.send(f"/start {code}")
    question = await alice.next_reply()
    assert question.text == ASK
    assert question.button_texts == ["✅ 确认更改", "取消"]
    person = bot.store.registry.get_person(2001)
    assert person is not None and (person.unit, person.role) == ("HZ", Role.CONTACT)
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and not invite.used  # the invitation is not spent by a question

    await alice.press(question, "取消")
    cancelled = await alice.next_edit()
    assert cancelled.text == (
        "已取消，未做任何更改：您仍是 HZ单位党组（HZ）的联络员。这个邀请链接仍可使用。"
    )
    assert cancelled.button_texts == []
    person = bot.store.registry.get_person(2001)
    assert person is not None and (person.unit, person.role) == ("HZ", Role.CONTACT)
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and not invite.used
    await settle(alice)
    assert moves(leader) == [] and moves(bot.inspector()) == []

    # 取消 left the link usable: the person it was really meant for joins with it.
    bob = bot.user(2003, "李明")
    await bob.send(f"/start {code}")
    assert "欢迎，李明" in (await bob.next_reply()).text
    bob_now = bot.store.registry.get_person(2003)
    assert bob_now is not None and bob_now.unit == "NB"
    bot.check_clean()


async def test_a_confirmed_move_is_recorded_and_told_once_to_inspectors_and_the_unit_left(
    bot: BotUnderTest,
) -> None:
    bot.add_unit("NB")
    alice = bot.contact("HZ", 2001, "王小红")
    leader = bot.leader("HZ", 2002, "赵书记")
    other_contact = bot.contact("HZ", 2004, "钱多多")
    inspector, other_inspector = bot.inspector(), bot.inspector(OTHER_INSPECTOR_ID)
    code = await make_invite(bot, "NB", "contact")
    await alice.send(f"/start {code}")
    question = await alice.next_reply()

    await alice.press(question, "✅ 确认更改")
    moved = await alice.next_edit()
    assert moved.text == "✅ 已更改：您不再是HZ单位党组（HZ）的联络员。"
    welcome = await alice.next_reply()
    assert "欢迎，王小红" in welcome.text and "NB单位党组" in welcome.text
    person = bot.store.registry.get_person(2001)
    assert person is not None and (person.unit, person.role) == ("NB", Role.CONTACT)
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and invite.used_by == 2001
    assert invite.moved_from == ("HZ", Role.CONTACT)  # the move is recorded

    # A double tap of 确认 (the second press raced the edit) changes nothing, tells nobody.
    data = question.button("✅ 确认更改").callback_data
    assert data is not None
    await alice.forge_callback(question, data)
    assert (await alice.next_edit()).text == ALREADY_IN
    await settle(alice)
    await settle(leader)

    told_inspector = (
        "🔁 王小红（编号 2001）通过邀请链接，"
        "从 HZ单位党组（HZ）的联络员改为 NB单位党组（NB）的联络员。"
    )
    # Every inspector hears it once; the one who made the invitation not a second time as
    # "已通过您的邀请". HZ keeps a contact (钱多多), so no vacancy line.
    assert moves(inspector) == [told_inspector]
    assert moves(other_inspector) == [told_inspector]
    assert not any("已通过您的邀请" in m.text for m in inspector.replies)
    assert moves(leader) == [
        "🔁 王小红 已不再是本单位（HZ单位党组）的联络员，改为NB单位党组的联络员。"
        "如需新的联络员，请联系巡察组。"
    ]
    assert moves(other_contact) == []  # the unit hears through its leader
    assert moves(alice) == []  # the actor is never told of their own act
    bot.check_clean()


async def test_a_leader_who_leaves_is_told_to_the_contacts_and_the_vacancy_to_inspectors(
    bot: BotUnderTest,
) -> None:
    bot.add_unit("NB")
    leader = bot.leader("HZ", 2002, "赵书记")
    contact = bot.contact("HZ", 2001, "王小红")
    code = await make_invite(bot, "NB", "leader")
    await leader.send(f"/start {code}")
    question = await leader.next_reply()
    assert "您目前是 HZ单位党组（HZ）的主要负责人" in question.text
    assert "NB单位党组（NB）的主要负责人" in question.text
    await leader.press(question, "✅ 确认更改")
    await leader.next_edit()
    await settle(leader)
    assert moves(contact) == [
        "🔁 赵书记 已不再是本单位（HZ单位党组）的主要负责人，改为NB单位党组的主要负责人。"
        "如需新的主要负责人，请联系巡察组。"
    ]
    told = moves(bot.inspector())
    assert len(told) == 1
    assert told[0].endswith(
        "HZ单位党组现在没有主要负责人了：请发送 /invite HZ leader 邀请新的主要负责人。"
    )
    bot.check_clean()


async def test_a_role_change_in_the_same_unit_is_asked_too(bot: BotUnderTest) -> None:
    alice = bot.contact("HZ", 2001, "王小红")
    code = await make_invite(bot, "HZ", "leader")
    await alice.send(f"/start {code}")
    question = await alice.next_reply()
    assert "您目前是 HZ单位党组（HZ）的联络员" in question.text
    assert "改为 HZ单位党组（HZ）的主要负责人" in question.text
    person = bot.store.registry.get_person(2001)
    assert person is not None and person.role is Role.CONTACT


async def test_a_confirmation_moves_only_from_the_binding_it_named(bot: BotUnderTest) -> None:
    """Between the question and 确认 the person was moved elsewhere: 确认 asks again, naming
    where they are now, instead of moving them from a unit they no longer belong to."""
    bot.add_unit("NB")
    bot.add_unit("WZ")
    alice = bot.contact("HZ", 2001, "王小红")
    to_nb = await make_invite(bot, "NB", "contact")
    to_wz = await make_invite(bot, "WZ", "contact")
    await alice.send(f"/start {to_nb}")
    first = await alice.next_reply()
    await alice.send(f"/start {to_wz}")
    second = await alice.next_reply()
    await alice.press(second, "✅ 确认更改")
    await alice.next_edit()
    await alice.next_reply()  # welcome to WZ
    data = first.button("✅ 确认更改").callback_data
    assert data is not None
    await alice.forge_callback(first, data)  # pressed before the first question was redrawn
    again = await alice.next_edit()
    assert "您目前是 WZ单位党组（WZ）的联络员" in again.text
    assert again.button_texts == ["✅ 确认更改", "取消"]
    person = bot.store.registry.get_person(2001)
    assert person is not None and person.unit == "WZ"
    invite = bot.store.registry.get_invite(to_nb)
    assert invite is not None and not invite.used


async def test_a_forged_move_button_is_refused_and_changes_nothing(bot: BotUnderTest) -> None:
    bot.add_unit("NB")
    alice = bot.contact("HZ", 2001, "王小红")
    code = await make_invite(bot, "NB", "contact")
    await alice.send(f"/start {code}")
    question = await alice.next_reply()
    for data in ("mv:ok:short:HZ:contact", f"mv:ok:{code}:HZ:inspector", f"mv:go:{code}:HZ"):
        await alice.forge_callback(question, data)
        assert (await alice.next_answer()).text == "此按钮已失效，请重新查询。"
    person = bot.store.registry.get_person(2001)
    assert person is not None and person.unit == "HZ"
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and not invite.used
