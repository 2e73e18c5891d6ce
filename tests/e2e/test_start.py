"""Onboarding by invite (R23), greetings, /help per role, /lang — through the emulator."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import FakeClock
from ledger.model import Person, Role
from sandbox.emulator import Emulator
from sandbox.users import EmulatedUser
from tests.e2e.harness import INSPECTOR_ID, BotUnderTest, running_bot
from tests.e2e.seed import INVITE_LINK, invite_code

INVALID = "邀请链接无效或已过期。请联系巡察办重新获取邀请链接。"
USED = "这个邀请链接已经被使用过（每个链接只能使用一次）。请联系巡察办重新获取邀请链接。"
ALREADY_IN = "您已经通过这个邀请链接加入，无需再次使用。发送 /help 查看使用说明。"
EXPIRED = "这个邀请链接已过期。请联系巡察办重新获取邀请链接。"
REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"


async def make_invite(bot: BotUnderTest, unit: str = "HZ", role: str = "contact") -> str:
    inspector = bot.inspector()
    await inspector.send(f"/invite {unit} {role}")
    return invite_code((await inspector.next_reply()).text)


def people(bot: BotUnderTest) -> list[Person]:
    """People bound to units (configured inspectors are recorded too, by handlers/identity)."""
    return [p for p in bot.store.registry.list_people() if p.role is not Role.INSPECTOR]


async def test_inspector_invites_and_the_contact_is_bound_and_greeted(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组", "第一轮")
    inspector = bot.inspector()
    await inspector.send("/invite HZ contact")
    answer = await inspector.next_reply()
    link = INVITE_LINK.search(answer.text)
    assert link is not None
    assert link.group(1) == bot.emulator.bot_user["username"]
    code = link.group(2)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,64}", code)  # ≥ 128 bits, deep-link safe (R23)
    assert f"邀请码：{code}" in answer.text
    assert "杭州市局党组" in answer.text and "联络员" in answer.text
    assert "2026年3月5日（周四）09:00" in answer.text.replace(" ", "")  # 72 h later
    # Stored hashed only: the code itself is nowhere in the data directory.
    data = (bot.config.data_dir / "registry.json").read_text(encoding="utf-8")
    assert code not in data

    alice = bot.user(2001, "王小红")
    await alice.send(f"/start {code}")
    welcome = await alice.next_reply()
    assert "欢迎，王小红" in welcome.text
    assert "杭州市局党组" in welcome.text and "联络员" in welcome.text
    assert "/open 未销号" in welcome.text and "/submit HZ-007" in welcome.text  # what they can do
    bound = bot.store.registry.get_person(2001)
    assert bound is not None and (bound.role, bound.unit) == (Role.CONTACT, "HZ")
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and invite.used_by == 2001  # bound to the redeemer

    told = await inspector.next_reply()
    assert "王小红" in told.text and "2001" in told.text and "联络员" in told.text
    assert [c for c, _ in alice.commands()][:2] == ["open", "overdue"]


async def test_every_bad_code_gets_the_same_answer_and_changes_nothing(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    code = await make_invite(bot)
    before_invites = bot.store.registry.list_invites()
    stranger = bot.user(3001, "路人")
    bad = [
        "A" * 32,  # well-formed, unknown
        code[:-1] + ("A" if code[-1] != "A" else "B"),  # one character off
        code + "$",  # bad charset
        "ab%cd" * 8,
        "x" * 65,  # over-long (beyond Telegram's deep-link limit)
        "short",
        f"{code} extra",  # two arguments
        "中文邀请码中文邀请码中文邀请码中文邀请码",
    ]
    for text in bad:
        await stranger.send(f"/start {text}")
        assert (await stranger.next_reply()).text == INVALID, text
    assert people(bot) == []
    assert bot.store.registry.list_invites() == before_invites
    await stranger.send("/open")
    assert (await stranger.next_reply()).text == REFUSED


async def test_an_invite_is_single_use_even_for_its_redeemer(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    code = await make_invite(bot)
    alice, bob = bot.user(2001, "Alice"), bot.user(2002, "Bob")
    await alice.send(f"/start {code}")
    assert "欢迎" in (await alice.next_reply()).text
    await bob.send(f"/start {code}")  # a used link says it was used (issue 12)
    assert (await bob.next_reply()).text == USED
    await alice.send(f"/start {code}")
    assert (await alice.next_reply()).text == ALREADY_IN
    assert [p.user_id for p in people(bot)] == [2001]
    await bob.send("/open")
    assert (await bob.next_reply()).text == REFUSED


async def test_an_invite_expires_after_the_configured_hours(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    code = await make_invite(bot)
    late = await make_invite(bot)
    bot.advance(timedelta(hours=72) - timedelta(seconds=1))
    early = bot.user(2001, "Early")
    await early.send(f"/start {code}")
    assert "欢迎" in (await early.next_reply()).text
    bot.advance(timedelta(seconds=1))
    alice = bot.user(2002, "Alice")
    await alice.send(f"/start {late}")
    assert (await alice.next_reply()).text == EXPIRED
    assert bot.store.registry.get_person(2002) is None


async def test_an_inspector_opening_an_invite_is_not_downgraded(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    code = await make_invite(bot, role="leader")
    other = bot.inspector(101)
    await other.send(f"/start {code}")
    assert "您是巡察组成员" in (await other.next_reply()).text
    await other.send("/units")
    assert "各单位整改进度" in (await other.next_reply()).text
    invite = bot.store.registry.get_invite(code)
    assert invite is not None and not invite.used  # still there for the person it is for
    leader = bot.user(2001, "书记")
    await leader.send(f"/start {code}")
    assert "主要负责人" in (await leader.next_reply()).text


async def test_a_bound_person_can_be_rebound_by_a_new_invite(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    bot.add_unit("NB", "宁波市局党组")
    alice = bot.contact("HZ", 2001, "Alice")
    code = await make_invite(bot, "NB", "leader")
    await alice.send(f"/start {code}")
    question = await alice.next_reply()  # bound elsewhere: asked first (test_invite_move.py)
    assert "您目前是 HZ单位党组（HZ）的联络员" in question.text
    await alice.press(question, "✅ 确认更改")
    await alice.next_edit()
    welcome = await alice.next_reply()
    assert "宁波市局党组" in welcome.text and "主要负责人" in welcome.text
    person = bot.store.registry.get_person(2001)
    assert person is not None and (person.role, person.unit) == (Role.LEADER, "NB")


async def test_start_without_a_code(bot: BotUnderTest) -> None:
    stranger = bot.user(3001, "路人")
    await stranger.send("/start")
    assert (await stranger.next_reply()).text == REFUSED
    alice = bot.contact("HZ", 2001, "Alice")
    await alice.send("/start")
    text = (await alice.next_reply()).text
    assert "您好，Alice" in text and "联络员" in text and "/due" in text
    inspector = bot.inspector()
    await inspector.send("/start")
    text = (await inspector.next_reply()).text
    assert "巡察组成员" in text and "/invite" in text
    stored = bot.store.registry.get_person(INSPECTOR_ID)
    assert stored is not None and stored.role is Role.INSPECTOR  # named for /people


HELP_CASES = [
    (
        "contact",
        ["📋 查询", "📝 报送进展", "📎 上传佐证材料", "📤 申请销号"],
        [
            "/open",
            "/overdue",
            "/due 14",
            "/item HZ-007",
            "/history HZ-007",
            "/evidence HZ-007",
            "/progress HZ-007 已召开专题会议",
            "点“📝 进展”",
            "说明里写上事项编号 HZ-007",
            "点“📎 佐证”",
            "/submit HZ-007",
            "主要负责人签字背书",
            "/lang",
        ],
        ["/endorse", "/approve", "/invite", "/export"],
    ),
    (
        "leader",
        ["📋 查询", "✍️ 签字背书", "📝 进展、佐证与销号"],
        [
            "/open",
            "/history HZ-007",
            "/evidence HZ-007",
            "/endorse HZ-007",
            "点卡片上的“✍️ 签字”",
            "/reject HZ-007 佐证材料不完整 — 退回补充",
            "/progress HZ-007",
            "/submit HZ-007",
        ],
        ["/approve", "/invite", "/revoke", "/stats"],
    ),
    (
        "inspector",
        ["🏢 单位与人员", "📋 查询", "✅ 核验与督办", "📊 台账与统计"],
        [
            "/units",
            "/unit HZ",
            "/newunit HZ 杭州市局党组 第一轮",
            "/invite HZ contact",
            "/people",
            "/revoke",
            "/open HZ",
            "/evidence HZ-007",
            "/approve HZ-007",
            "/reject HZ-007 佐证材料不完整",
            "/reopen HZ-007",
            "/urge HZ-007",
            "/deadline HZ-007 2026-12-31",
            "/withdraw HZ-007",
            "/add",
            "发送 .xlsx 台账文件 — 导入",
            "/export HZ",
            "/stats",
            "/alerts",
        ],
        ["/progress", "/submit", "/endorse"],
    ),
]


@pytest.mark.parametrize(("role", "headings", "present", "absent"), HELP_CASES)
async def test_help_is_per_role(
    bot: BotUnderTest, role: str, headings: list[str], present: list[str], absent: list[str]
) -> None:
    user: EmulatedUser
    if role == "inspector":
        user = bot.inspector()
    elif role == "leader":
        user = bot.leader("HZ", 2001)
    else:
        user = bot.contact("HZ", 2001)
    await user.send("/help")
    reply = await user.next_reply()
    text = reply.text
    assert text.startswith("整改通 · 使用说明")
    for heading in headings:
        assert f"<b>{heading}</b>" in reply.html, heading  # a bold heading per area
    for example in present:
        assert example in text, example
    for command in absent:
        assert command not in text, command
    assert len(text) < 1500  # one phone screen or two, far below Telegram's 4096


async def test_lang_switches_replies_and_menu(bot: BotUnderTest) -> None:
    alice = bot.contact("HZ", 2001)
    await alice.send("/lang")
    shown = await alice.next_reply()
    assert "当前语言：中文" in shown.text and shown.button_texts == ["中文", "English"]
    await alice.press(shown, "English")
    edited = await alice.next_edit()
    assert edited.text.startswith("Language set to English")
    assert (await alice.next_answer()).text is None
    await alice.send("/open")
    assert "Nothing is open right now." in (await alice.next_reply()).text
    assert ("open", "Items not yet closed") in alice.commands()
    await alice.send("/lang 中文")
    assert (await alice.next_reply()).text.startswith("已切换为中文")
    assert ("open", "未销号事项") in alice.commands()
    await alice.send("/lang klingon")
    assert "请选择语言" in (await alice.next_reply()).text
    person = bot.store.registry.get_person(2001)
    assert person is not None and person.language == "zh-CN"


async def test_an_inspector_can_choose_a_language_too(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/lang en")
    assert (await inspector.next_reply()).text.startswith("Language set to English")
    await inspector.send("/units")
    assert "No units yet" in (await inspector.next_reply()).text


async def test_default_language_follows_config_then_telegram(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    auto = 'language = "auto"\n'
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=auto) as bot:
        bot.add_unit("HZ")
        ann = bot.user(2001, "Ann", language_code="en-GB")
        li = bot.user(2002, "李", language_code="zh-hans")
        bot.contact("HZ", 2001, "Ann")
        bot.contact("HZ", 2002, "李")
        await ann.send("/open")
        assert "Nothing is open" in (await ann.next_reply()).text
        await li.send("/open")
        assert "目前没有未销号事项" in (await li.next_reply()).text
        stranger = bot.user(3001, "Zed", language_code="en")
        await stranger.send("hello")
        assert (await stranger.next_reply()).text.startswith("Sorry, this bot is for invited")
        bot.check_clean()


async def test_config_language_wins_over_telegram(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    english = 'language = "en"\n'
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=english) as bot:
        bot.add_unit("HZ")
        li = bot.contact("HZ", 2002, "李")  # a zh-hans client
        await li.send("/open")
        assert "Nothing is open" in (await li.next_reply()).text
        bot.check_clean()
