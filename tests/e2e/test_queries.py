"""Queries through the emulator: lists, paging, cards, histories, scopes, forged buttons, R21,
R22, R24 and the 4096-character limit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.model import Status
from sandbox.users import BotMessage, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item, seed_many

REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"
STALE = "此按钮已失效，请重新查询。"
TODAY = date(2026, 3, 2)  # the harness clock: Monday 2026-03-02 09:00 Asia/Shanghai


def ids_in(message: BotMessage) -> list[str]:
    """Item ids in a list, in the order shown (from the card buttons)."""
    return [t.split()[-1] for t in message.button_texts if "-" in t]


async def ask(user: EmulatedUser, text: str) -> BotMessage:
    await user.send(text)
    return await user.next_reply()


async def no_more_messages(user: EmulatedUser) -> None:
    """Nothing new was sent or edited in the user's chat."""
    assert user.unread_replies() == []
    assert all(e.kind != "edited" for e in user.events[-1:])


def two_units(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组", "第一轮")
    bot.add_unit("NB", "宁波市局党组")
    now = bot.clock.now()
    store = bot.store
    seed_item(store, "HZ", now=now, deadline=date(2026, 4, 30), problem="绿灯问题")  # HZ-001
    seed_item(store, "HZ", now=now, deadline=date(2026, 2, 20), problem="超期问题")  # HZ-002
    seed_item(store, "HZ", now=now, deadline=date(2026, 3, 5), problem="临期问题")  # HZ-003
    seed_item(store, "HZ", now=now, deadline=date(2026, 2, 25), status=Status.SUBMITTED)
    seed_item(store, "HZ", now=now, status=Status.CLOSED)  # HZ-005
    seed_item(store, "HZ", now=now, status=Status.WITHDRAWN)  # HZ-006
    seed_item(store, "HZ", now=now, deadline=date(2026, 3, 12), problem="下周问题")  # HZ-007
    seed_item(store, "HZ", now=now, long_term=True, problem="长期问题")  # HZ-008
    seed_item(store, "NB", now=now, deadline=date(2026, 2, 1), problem="宁波超期")  # NB-001


# --------------------------------------------------------------------------- lists


async def test_open_orders_red_yellow_green_then_deadline(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    reply = await ask(alice, "/open")
    assert reply.text.startswith("未销号事项 · 杭州市局党组（HZ）\n共 6 项：🔴 2 · 🟡 1 · 🟢 3")
    # red HZ-002 and HZ-004 (submitted past its deadline: overdue until closed); yellow
    # HZ-003 (due in 3 days); green by deadline, long-term last.
    assert ids_in(reply) == ["HZ-002", "HZ-004", "HZ-003", "HZ-007", "HZ-001", "HZ-008"]
    assert reply.button_texts[:3] == ["🔴 HZ-002", "🔴 HZ-004", "🟡 HZ-003"]
    assert (
        "🔴 HZ-002 超期问题\n　　未整改 · 截止 2026年2月20日（周五），已超期 10 天" in reply.text
    )
    assert "🟡 HZ-003 临期问题\n　　未整改 · 截止 2026年3月5日（周四），还剩 3 天" in reply.text
    assert "🟢 HZ-008 长期问题\n　　未整改 · 长期坚持" in reply.text
    assert "HZ-005" not in reply.text and "HZ-006" not in reply.text and "NB-" not in reply.text


async def test_overdue_and_due_windows(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    overdue = await ask(alice, "/overdue")
    assert overdue.text.startswith("超期事项 · 杭州市局党组（HZ）\n共 2 项")
    assert ids_in(overdue) == ["HZ-002", "HZ-004"]  # submitted late: still overdue
    assert "🔴 HZ-004 “三会一课”制度落实不到位\n　　已申请销号，待签字 · 截止" in overdue.text
    due = await ask(alice, "/due")  # config due_days = 7: 3-2 … 3-9
    assert "2026年3月2日（周一） 至 2026年3月9日（周一） 到期的事项" in due.text
    assert ids_in(due) == ["HZ-003"]
    due14 = await ask(alice, "/due 14")
    assert ids_in(due14) == ["HZ-003", "HZ-007"]
    due_full_width = await ask(alice, "/due １４")
    assert ids_in(due_full_width) == ["HZ-003", "HZ-007"]
    for bad in ("/due 0", "/due 400"):
        assert (await ask(alice, bad)).text == "天数须为 1 至 366 之间的整数，例如 /due 14。"
    nothing = await ask(alice, "/due 1")
    assert nothing.text.endswith("这段时间内没有到期的事项。") and nothing.buttons == ()
    assert "共 0 项" not in nothing.text


async def test_lists_page_in_place_by_count(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    seed_many(bot.store, "HZ", 25, now=bot.clock.now())
    alice = bot.contact("HZ", 2001)
    first = await ask(alice, "/open")
    assert ids_in(first) == [f"HZ-{i:03d}" for i in range(1, 11)]
    assert first.button_texts[-5:] == ["·", "·", "1/3", "›", "»"]
    await alice.press(first, "›")
    second = await alice.next_edit()
    assert second.message_id == first.message_id
    assert ids_in(second) == [f"HZ-{i:03d}" for i in range(11, 21)]
    assert second.button_texts[-5:] == ["«", "‹", "2/3", "›", "»"]
    assert (await alice.next_answer()).text is None
    await alice.press(second, "»")
    last = await alice.next_edit()
    assert ids_in(last) == [f"HZ-{i:03d}" for i in range(21, 26)]
    assert last.button_texts[-5:] == ["«", "‹", "3/3", "·", "·"]
    await alice.press(last, "«")
    assert ids_in(await alice.next_edit()) == ids_in(first)
    await alice.press(first.message_id, "1/3")  # refresh: identical content is fine
    assert (await alice.next_answer()).text is None
    assert alice.unread_replies() == []


async def test_a_list_button_opens_the_card(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    listing = await ask(alice, "/open")
    await alice.press(listing, "🔴 HZ-002")
    card = await alice.next_reply()
    assert card.text.startswith("🔴 红灯 · HZ-002 · 未整改")
    assert card.button_texts == ["📎 佐证", "📝 进展", "📜 整改记录"]
    await alice.press(card, "📜 整改记录")
    history = await alice.next_reply()
    assert history.text.startswith("HZ-002 整改记录（共 1 条，按时间先后）")
    await alice.press(history, "查看事项详情")
    assert (await alice.next_reply()).text == card.text


async def test_the_card_shows_every_field(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    seed_item(bot.store, "HZ", now=bot.clock.now(), deadline=date(2026, 3, 20))
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.ENDORSED)
    bot.contact("HZ", 9_000_001, "联络员")  # the seed's actors, named
    bot.leader("HZ", 9_000_002, "书记")
    alice = bot.contact("HZ", 2001)
    card = await ask(alice, "/item hz-1")
    assert card.text == "\n".join(
        [
            "🟢 绿灯 · HZ-001 · 未整改",
            "单位：杭州市局党组（HZ）",
            "问题类别：党的建设",
            "问题描述：“三会一课”制度落实不到位",
            "责任领导：张三",
            "责任部门：办公室",
            "责任人：李四",
            "整改措施：建立台账，按月检查",
            "整改时限：截止 2026年3月20日（周五），还剩 18 天",
            "最新进展：暂无",
            "佐证材料：0 份",
            "签字背书：尚未申请销号",
            "核验：尚未核验",
        ]
    )
    endorsed = (await ask(alice, "/item HZ-002")).text
    assert endorsed.startswith("🟢 绿灯 · HZ-002 · 待核验")
    assert (
        "最新进展：2026年2月28日（周六） 09:10 联络员：已召开专题会议研究整改（共 1 条）"
        in endorsed
    )
    assert "佐证材料：1 份" in endorsed
    assert "签字背书：已签字 · 书记 · 2026年2月28日（周六） 09:40" in endorsed
    assert "核验：待巡察组核验" in endorsed


async def test_history_lists_every_event_oldest_first(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    seed_item(bot.store, "HZ", now=bot.clock.now(), status=Status.CLOSED)
    inspector = bot.inspector()
    history = (await ask(inspector, "/history HZ-001")).text
    lines = [
        line for line in history.splitlines() if line[:2] in ("1.", "2.", "3.", "4.", "5.", "6.")
    ]
    assert [line.split(" · ")[2] for line in lines] == [
        "立项",
        "报送进展：未整改 → 整改中",
        "上传佐证材料",
        "申请销号：整改中 → 待签字",
        "签字背书：待签字 → 待核验",
        "核验销号：待核验 → 已销号",
    ]
    assert "　　会议记录.pdf" in history
    # The inspector asked, so handlers/identity recorded their Telegram name.
    assert " · 巡察组100 · 核验销号" in history


# --------------------------------------------------------------------------- inspectors


async def test_inspectors_see_every_unit_or_the_one_named(bot: BotUnderTest) -> None:
    two_units(bot)
    inspector = bot.inspector()
    everything = await ask(inspector, "/open")
    assert everything.text.startswith("未销号事项 · 全部单位\n共 7 项")
    assert ids_in(everything)[:2] == ["NB-001", "HZ-002"]  # red first, earlier deadline first
    assert ids_in(await ask(inspector, "/open nb")) == ["NB-001"]
    assert ids_in(await ask(inspector, "/overdue")) == ["NB-001", "HZ-002", "HZ-004"]
    assert ids_in(await ask(inspector, "/overdue HZ")) == ["HZ-002", "HZ-004"]
    assert ids_in(await ask(inspector, "/due 14 HZ")) == ["HZ-003", "HZ-007"]
    assert ids_in(await ask(inspector, "/due HZ 14")) == ["HZ-003", "HZ-007"]
    assert (await ask(inspector, "/open XX")).text == "未找到单位 XX。"
    assert (await ask(inspector, "/item NB-001")).text.startswith("🔴 红灯 · NB-001")
    unit = await ask(inspector, "/unit hz")
    assert unit.text.startswith(
        "杭州市局党组（HZ）· 巡察轮次：第一轮\n"
        "共 7 项：未整改 5 · 待签字 1 · 已销号 1\n"
        "超期 2 · 7 天内到期 1；另撤销 1 项（不计入）\n"
        "整改完成率 28.5% · 销号率 14.2%\n\n"
    )
    assert ids_in(unit)[0] == "HZ-002"
    assert (await ask(inspector, "/unit")).text.startswith("用法：/unit")
    assert (await ask(inspector, "/unit XX")).text == "未找到单位 XX。"


async def test_inspector_pages_across_units(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    bot.add_unit("NB")
    seed_many(bot.store, "HZ", 8, now=bot.clock.now())
    seed_many(bot.store, "NB", 8, now=bot.clock.now())
    inspector = bot.inspector()
    first = await ask(inspector, "/open")
    await inspector.press(first, "›")
    second = await inspector.next_edit()
    assert len(ids_in(first)) == 10 and len(ids_in(second)) == 6
    assert set(ids_in(first)) | set(ids_in(second)) == {
        f"{u}-{i:03d}" for u in ("HZ", "NB") for i in range(1, 9)
    }


# --------------------------------------------------------------------------- R22


async def test_another_units_item_answers_exactly_like_a_missing_one(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    for command in ("/item", "/history"):
        elsewhere = await ask(alice, f"{command} NB-001")
        nowhere = await ask(alice, f"{command} NB-002")
        assert elsewhere.text == "未找到事项 NB-001。"
        assert nowhere.text == "未找到事项 NB-002。"
        assert elsewhere.buttons == nowhere.buttons == ()
    phrase_elsewhere, phrase_nowhere = await ask(alice, "NB-001"), await ask(alice, "nb-2")
    assert phrase_elsewhere.text.replace("NB-001", "X") == phrase_nowhere.text.replace(
        "NB-002", "X"
    )
    other_unit = await ask(alice, "/open NB")
    no_unit = await ask(alice, "/open XX")
    assert other_unit.text.replace("NB", "X") == no_unit.text.replace("XX", "X")


async def test_forged_buttons_get_a_toast_and_nothing_else(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    listing = await ask(alice, "/open")
    stale = [
        "page:open:NB:1",  # another unit's list
        "page:open:all:1",  # every unit
        "page:unit:HZ:1",  # an inspector's list
        "page:bogus:HZ:1",
        "page:open:HZ:x",
        "page:open:HZ",
        "page:due_20260302:HZ:1",
        "page:due_20261302_20261309:HZ:1",
        "page:hist:NB-001:1",
        "card:not-an-id",
        "card:HZ-001:extra",
        "unit:HZ",
        "do:bogus:HZ-001",  # no such action
        "do:edit:HZ-001",  # an action without a card button
        "do:submit:HZ-001:x",
        "ev:HZ-001:1",
        "garbage",
        "card:" + "A" * 70,
        "lang:fr",
    ]
    for data in stale:
        await alice.forge_callback(listing, data)
        answer = await alice.next_answer()
        assert (answer.text, answer.show_alert) == (STALE, True), data
    for missing, other in (("card:NB-999", "card:NB-001"), ("hist:NB-999", "hist:NB-001")):
        await alice.forge_callback(listing, missing)
        a = (await alice.next_answer()).text
        await alice.forge_callback(listing, other)
        b = (await alice.next_answer()).text
        assert a is not None and b is not None
        assert a.replace("NB-999", "X") == b.replace("NB-001", "X") == "未找到事项 X。"
    assert alice.unread_replies() == []
    assert [e for e in alice.events if e.kind == "edited"] == []
    # A page number beyond the end (the list shrank) shows the last page: here the only one,
    # unchanged, so nothing is edited and the press is simply answered.
    await alice.forge_callback(listing, "page:open:HZ:99")
    assert (await alice.next_answer()).text is None


# --------------------------------------------------------------------------- R21


UNKNOWN_TEXTS = [
    "/start",
    "/help",
    "/lang en",
    "/open",
    "/overdue",
    "/due 7",
    "/item HZ-001",
    "/history HZ-001",
    "/unit HZ",
    "/units",
    "/newunit XX 名称",
    "/invite HZ contact",
    "/people",
    "/revoke 2001",
    "/nonsense",
    "还有哪些没整改",
    "超期",
    "本周到期",
    "HZ-001",
    "你好",
]


async def test_unknown_users_get_one_refusal_for_everything(bot: BotUnderTest) -> None:
    two_units(bot)
    stranger = bot.user(3001, "路人")
    for text in UNKNOWN_TEXTS:
        assert (await ask(stranger, text)).text == REFUSED, text
    await stranger.send_document("x.pdf", b"%PDF-1.4")
    assert (await stranger.next_reply()).text == REFUSED
    anchor = stranger.replies[-1]
    for data in ("card:HZ-001", "hist:HZ-001", "page:open:HZ:1", "unit:HZ", "lang:en", "x"):
        await stranger.forge_callback(anchor, data)
        assert (await stranger.next_answer()).text == REFUSED, data
    assert stranger.unread_replies() == []
    assert len(stranger.replies) == len(UNKNOWN_TEXTS) + 1
    assert bot.store.registry.list_units() and bot.store.registry.get_person(3001) is None
    assert bot.store.registry.list_invites() == []


# --------------------------------------------------------------------------- R24, size


NASTY = "<b>&amp;</b> <script>'\"&lt;</script> & <i> 🔴😀𠀋 "


async def test_hostile_texts_render_literally_and_fit(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", NASTY[:50])
    for _ in range(12):
        seed_item(
            bot.store,
            "HZ",
            now=bot.clock.now(),
            status=Status.CLOSED,
            problem=(NASTY * 200)[:4000],
            measures=(NASTY * 200)[:4000],
            leader=NASTY * 3,
            department=NASTY * 3,
            owner=NASTY * 3,
            progress_text=(NASTY * 60)[:2000],
        )
    alice = bot.contact("HZ", 2001, NASTY[:40])
    card = await ask(alice, "/item HZ-001")
    assert "问题描述：<b>&amp;</b> <script>'\"&lt;</script> & <i>" in card.text
    assert "…" in card.text and len(card.text) <= 4096
    history = await ask(alice, "/history HZ-001")
    assert "<script>" in history.text and len(history.text) <= 4096
    inspector = bot.inspector()
    units = await ask(inspector, "/units")
    assert "<b>&amp;</b>" in units.text
    people = await ask(inspector, "/people")
    assert NASTY[:20] in people.text
    reopened = bot.store.ledger("HZ").items()
    assert all(i.status is Status.CLOSED for i in reopened)
    unit = await ask(inspector, "/unit HZ")
    assert len(unit.text) <= 4096
    bot.check_clean()


async def test_long_open_lists_page_by_size(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    for i in range(30):
        seed_item(
            bot.store,
            "HZ",
            now=bot.clock.now(),
            deadline=date(2026, 4, 1) + timedelta(days=i),
            problem="😀" * 3000,
        )
    alice = bot.contact("HZ", 2001)
    first = await ask(alice, "/open")
    assert len(first.text) <= 4096 and "…" in first.text
    pages = int(first.button_texts[-3].split("/")[1])
    seen = ids_in(first)
    message = first
    for _ in range(pages - 1):
        await alice.press(message, "›")
        message = await alice.next_edit()
        assert len(message.text) <= 4096
        seen += ids_in(message)
    assert seen == [f"HZ-{i:03d}" for i in range(1, 31)]


# --------------------------------------------------------------------------- elsewhere


async def test_group_chats_get_no_ledger_data(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    group = bot.emulator.group(-5001, "工作群", [alice])
    await alice.send("/open", chat=group)
    reply = await group.next_reply()
    assert reply.text == "为保护整改信息，请在与机器人的私聊中查询。"
    await alice.send("/item HZ-001", chat=group)
    assert (await group.next_reply()).text == reply.text
    await alice.send("还有哪些没整改", chat=group)
    await alice.send("/help", chat=group)
    assert (await group.next_reply()).text.startswith("整改通 · 使用说明")  # nothing in between


async def test_english_dates_and_words(bot: BotUnderTest) -> None:
    two_units(bot)
    alice = bot.contact("HZ", 2001)
    await ask(alice, "/lang en")
    card = await ask(alice, "/item HZ-003")
    assert card.text.startswith("🟡 Yellow · HZ-003 · Not started")
    assert "Deadline: due 2026-03-05 (Thu), days left: 3" in card.text
    listing = await ask(alice, "/overdue")
    assert "due 2026-02-20 (Fri), days overdue: 10" in listing.text


async def test_card_action_buttons_follow_allowed_actions(bot: BotUnderTest) -> None:
    bot.add_unit("HZ")
    now = bot.clock.now()
    seed_item(bot.store, "HZ", now=now, status=Status.IN_PROGRESS)
    seed_item(bot.store, "HZ", now=now, status=Status.SUBMITTED)
    alice, boss, inspector = bot.contact("HZ", 2001), bot.leader("HZ", 2002), bot.inspector()
    assert (await ask(alice, "/item HZ-001")).button_texts == [
        "📎 佐证",
        "📝 进展",
        "📤 申请销号",
        "📜 整改记录",
    ]
    card = await ask(boss, "/item HZ-002")
    assert card.button_texts == ["📎 佐证", "📝 进展", "✍️ 签字", "↩️ 退回", "📜 整改记录"]
    assert card.button("✍️ 签字").callback_data == "do:endorse:HZ-002"
    assert (await ask(inspector, "/item HZ-002")).button_texts == [
        "📎 佐证",
        "↩️ 退回",
        "📣 催办",
        "📅 调整时限",
        "🚫 撤销",
        "📜 整改记录",
    ]


@pytest.mark.parametrize("command", ["/item", "/history", "/item a b"])
async def test_usage_answers(bot: BotUnderTest, command: str) -> None:
    alice = bot.contact("HZ", 2001)
    text = (await ask(alice, command)).text
    assert text.startswith("用法：") and "HZ-001" in text


async def test_a_thousand_items_list_page_by_page(bot: BotUnderTest) -> None:
    """A thousand open items: /open counts them all and pages on; how fast is measured by
    bench/latency.py (a benchmark, not a timed assertion)."""
    bot.add_unit("HZ")
    now = bot.clock.now()
    ledger = bot.store.ledger("HZ")
    # One transaction for speed; items created long ago, so many are idle (stale → yellow)
    # and the light needs their histories: the slow path.
    from ledger.rules import Rules
    from ledger.workflow import create_item

    with ledger.transaction() as tx:
        for i in range(1000):
            item, event = create_item(
                "HZ",
                tx.new_item_seq(),
                category="党的建设",
                problem=f"问题{i}" * 20,
                actor=None,
                now=now - timedelta(days=40),
                rules=Rules(),
                deadline=date(2026, 2, 15) + timedelta(days=i % 120),
            )
            tx.put(item)
            tx.append(event)
    alice = bot.contact("HZ", 2001)
    await ask(alice, "/help")  # warm up the connection
    first = await ask(alice, "/open")
    assert "共 1000 项" in first.text
    await alice.press(first, "»")
    second = await alice.next_edit()
    assert "共 1000 项" in second.text and second.text != first.text


# --------------------------------------------------------------------------- leaders, R27


async def test_leaders_query_their_own_unit_like_contacts(bot: BotUnderTest) -> None:
    two_units(bot)
    boss = bot.leader("HZ", 2002)
    assert ids_in(await ask(boss, "/open")) == [
        "HZ-002",
        "HZ-004",
        "HZ-003",
        "HZ-007",
        "HZ-001",
        "HZ-008",
    ]
    assert ids_in(await ask(boss, "/overdue")) == ["HZ-002", "HZ-004"]
    assert ids_in(await ask(boss, "/due 14")) == ["HZ-003", "HZ-007"]
    assert (await ask(boss, "/item HZ-004")).text.startswith("🔴 红灯 · HZ-004 · 待签字")
    assert "签字背书：待主要负责人签字" in (await ask(boss, "/item HZ-004")).text
    assert (await ask(boss, "/history HZ-004")).text.startswith("HZ-004 整改记录")
    assert (await ask(boss, "/item NB-001")).text == "未找到事项 NB-001。"
    assert (await ask(boss, "/open NB")).text == "未找到单位 NB。"


ODD_ARGUMENTS = [
    "",
    " ",
    "\u202e\u200b",
    "-1",
    "0",
    "99999999999999999999",
    "１２",
    "HZ-0",
    "HZ-999999999",
    "hz--7",
    "<b>",
    "&amp;",
    "😀" * 70,
    "a" * 300,
    "NB-001 NB-002",
    "@",
    "@@@",
    "contact leader",
    "HZ contact leader",
]


@pytest.mark.parametrize(
    "command",
    ["/open", "/overdue", "/due", "/item", "/history", "/unit", "/lang", "/start"],
)
async def test_odd_arguments_get_an_answer_and_change_nothing(
    bot: BotUnderTest, command: str
) -> None:
    two_units(bot)
    users = (bot.contact("HZ", 2001), bot.inspector())

    def bindings() -> list[tuple[int, str | None]]:
        people = bot.store.registry.list_people()
        return [(p.user_id, p.unit) for p in people if p.user_id != 100]

    before = (bindings(), bot.store.ledger("HZ").items(), bot.store.registry.list_invites())
    for user in users:
        for argument in ODD_ARGUMENTS:
            reply = await ask(user, f"{command} {argument}".strip())
            assert reply.text.strip() and len(reply.text) <= 4096, (command, argument)
    after = (bindings(), bot.store.ledger("HZ").items(), bot.store.registry.list_invites())
    assert after == before


@pytest.mark.parametrize("command", ["/newunit", "/invite", "/people", "/revoke", "/units"])
async def test_odd_arguments_to_inspector_commands(bot: BotUnderTest, command: str) -> None:
    bot.add_unit("HZ")
    inspector = bot.inspector()
    for argument in ODD_ARGUMENTS:
        reply = await ask(inspector, f"{command} {argument}".strip())
        assert reply.text.strip() and len(reply.text) <= 4096, (command, argument)
    assert bot.store.registry.get_person(101) is None
