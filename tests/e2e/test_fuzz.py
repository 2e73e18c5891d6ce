"""Security sweeps and input fuzz against the real bot (R21, R22, R24, R27).

1. R21 — a stranger sends every command the application registered (read from its handlers,
   so a new command is swept without editing this file), each without and with plausible
   arguments, phrases, documents and photos, and presses forged callback data of every verb
   (every ``CallbackQueryHandler`` pattern and every verb handlers/buttons.py documents must be
   hit, real confirmation tokens included) on a real bot message: each answer is the one
   refusal and nothing else, nothing of the seeded data shows, and no data file changes.
2. R22 — a contact and a leader of HZ send every command, phrase, captioned file and button
   naming each of NB's items (and NB itself): the bot's answer is byte-identical to the
   answer for HZ-999 (ZZ), the asked id aside; NB's ledger and people are untouched.
3. R27 — hypothesis plays random sessions of five personas (commands with odd arguments:
   ids valid, foreign, malformed and full-width, impossible dates, ``<>&"'``, emoji, 5,000
   characters, nothing; free text; presses of real buttons; forged callback data; files) on
   one running bot. After every step: the bot finished and answered within the timeout, its
   error handler saw nothing, Telegram refused nothing it sent (HTML, length, buttons), toasts
   fit, nobody read another unit's data and a stranger got only the refusal. Four scripted
   sessions (/add, the close-out path, a deadline asked in steps, English) run first.
4. Groups — everyone sends every command in a group the bot is in and the inspector presses
   every verb there: no problem text, invitation link or other person's or unit's name is
   shown, and nothing changes (ledger data is for private chats).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st

from handlers import buttons
from handlers.common import language_for
from ledger.access import Action
from sandbox.users import EmulatedUser
from tests.e2e.fuzz_helpers import (
    TOAST_LIMIT,
    UNIT_A,
    UNIT_B,
    UNITS,
    Reply,
    World,
    callback_buttons,
    callback_patterns,
    data_state,
    documented_verbs,
    latest_message,
    pager_names,
    registered_commands,
    seed_world,
    shape,
)
from tests.e2e.harness import BotUnderTest
from tests.e2e.workflow_helpers import pdf, png
from tests.storage.xlsx_helpers import book_bytes, ledger_sheet, row


@pytest.fixture
async def world(bot: BotUnderTest) -> World:
    return await seed_world(bot)


def refusal_words(bot: BotUnderTest) -> tuple[str, str, str]:
    """What a stranger may read, in the language strangers are answered in: the refusal
    (HTML, plain) and the answer to a bad invitation code."""
    lang = language_for(bot.services, None, None)
    catalog = bot.services.catalog
    return (
        catalog.t(lang, "access.refused"),
        catalog.plain(lang, "access.refused"),
        catalog.t(lang, "start.invite_invalid"),
    )


WORKBOOK = book_bytes({"XX": ledger_sheet([row(1)])})  # a valid 台账 of a unit XX (new)


# =========================================================================== R21


# Plausible arguments: an existing item, a unit, a date, an id with a date and a reason,
# another unit's item, a /newunit line, a user id, an /invite line.
STRANGER_ARGUMENTS = (
    "",
    "HZ-001",
    "HZ",
    "2026-12-31",
    "HZ-001 2026-12-31 理由文字",
    "NB-002 进展说明",
    "HZ 杭州市局党组 第一轮",
    "2001",
    "HZ contact",
)
STRANGER_TEXTS = (
    "HZ-001",
    "ｈｚ－１",
    "HZ-001 历史",
    "HZ-001 进展 已召开专题会议",
    "超期",
    "HZ 未销号",
    "本周到期",
    "各单位",
    "帮助",
    "取消",
    "完成",
    "你好",
)


async def pending_tokens(world: World) -> tuple[str, str]:
    """A real, unused /add confirmation (``ok:add…``) and import (``ok:imp…``) button of the
    inspector: the strangest data a stranger could forge is someone's live token."""
    inspector, drive = world.inspector, world.driver
    await drive.say(inspector, "/add HZ")
    categories = latest_message(inspector, with_buttons=True)
    assert categories is not None
    await drive.press(inspector, categories, 0)
    for answer in ("R21 待确认的问题", "跳过", "跳过", "跳过", "跳过", "2026-12-31"):
        await drive.say(inspector, answer)
    summary = latest_message(inspector, with_buttons=True)
    await drive.send_document(inspector, "整改台账.xlsx", WORKBOOK)
    preview = latest_message(inspector, with_buttons=True)
    assert summary is not None and preview is not None
    add, imp = summary.buttons[0][0].callback_data, preview.buttons[0][0].callback_data
    assert add is not None and add.startswith("ok:add"), summary.text
    assert imp is not None and imp.startswith("ok:imp"), preview.text
    return add.split(":", 1)[1], imp.split(":", 1)[1]


def forged_data(world: World, tokens: tuple[str, ...]) -> list[str]:
    """Callback data of every verb, aimed at real items and units, with live tokens."""
    item, unit = "HZ-001", UNIT_A
    return [
        f"card:{item}",
        f"hist:{item}",
        f"unit:{unit}",
        f"ev:{item}:1",
        "lang:zh",
        "lang:en",
        f"inv:{unit}:contact",
        f"inv:{unit}:leader",
        f"mv:ok:{'A' * 32}:{unit}:contact",
        f"mv:no:{'A' * 32}:{unit}:leader",
        f"sv:{unit}:{'A' * 22}:x1",
        f"sv:{unit}:{'A' * 22}:x11:ok",
        f"lb:{unit}:1:0:r:f",
        f"lb:{unit}:1:0:ok",
        f"add:unit:{unit}",
        "add:cat:0",
        "add:skip:leader",
        "add:long:deadline",
        *(f"add:edit:{token}" for token in tokens if token.startswith("add")),
        "add:fix:problem",
        "add:back:summary",
        f"ro:def:{item}",
        f"ro:own:{item}",
        *(f"do:{action}:{item}" for action in Action),
        *(f"cf:{action}:{item}" for action in Action),
        f"cf:no:{item}",
        *(f"ph:{kind}" for kind in ("open", "overdue", "due", "todo", "sign", "verify")),
        "ph:units",
        "ph:help",
        *(
            f"page:{name}:{scope}:1"
            for name in pager_names(world.bot.app)
            for scope in ("all", unit, item)
        ),
        f"page:due_20260302_20260309:{unit}:1",
        f"page:open:{unit}:999999",
        *(f"{verb}:{token}" for token in tokens for verb in ("ok", "no")),
        *(f"iu:{token}:0:{unit}" for token in tokens if token.startswith("imp")),
        "iu:impForged0000000:0:HZ",
        "ok:addForged0000000",
        "no:impForged0000000",
        "x",
        "card",
        f"card:{item}:extra",
    ]


async def test_a_stranger_gets_one_refusal_for_everything_and_changes_nothing(
    world: World,
) -> None:
    bot, drive, stranger = world.bot, world.driver, world.stranger
    refused, refused_plain, invite_invalid = refusal_words(bot)
    tokens = await pending_tokens(world)
    data = forged_data(world, tokens)

    # Every handler pattern and every documented verb is exercised (a new verb must be too).
    for pattern in callback_patterns(bot.app):
        assert any(pattern.search(d) for d in data), f"no forged data for {pattern.pattern}"
    for verb in documented_verbs(buttons.__doc__):
        assert any(d.startswith(f"{verb}:") for d in data), f"no forged data for {verb}:"
    commands = registered_commands(bot.app)
    assert {"start", "item", "progress", "add", "done", "cancel", "export"} <= set(commands)

    before = data_state(bot)
    others = len([c for c in bot.emulator.calls if c.chat_id not in (None, stranger.id)])
    replies: list[tuple[str, Reply]] = []
    for command in commands:
        for argument in STRANGER_ARGUMENTS:
            text = f"/{command} {argument}".strip()
            replies.append((text, await drive.say(stranger, text)))
    for text in STRANGER_TEXTS:
        replies.append((text, await drive.say(stranger, text)))
    for name, content, caption in (
        ("会议记录.pdf", pdf(), "HZ-001 会议记录"),
        ("会议记录.pdf", pdf(), None),
        ("整改台账.xlsx", WORKBOOK, None),
        ("整改台账.csv", b"1,2,3\n", None),
    ):
        reply = await drive.send_document(stranger, name, content, caption)
        replies.append((f"document {name} {caption}", reply))
    for caption in ("HZ-001 现场照片", None):
        replies.append((f"photo {caption}", await drive.send_photo(stranger, png(), caption)))
    anchor = latest_message(stranger)
    assert anchor is not None
    for forged in data:
        replies.append((f"button {forged}", await drive.forge(stranger, anchor, forged)))

    seen = (*world.item_ids(), UNIT_A, UNIT_B, *world.secrets(UNIT_A), *world.secrets(UNIT_B))
    for what, reply in replies:
        got = [(c.method, c.chat_id, c.params.get("text"), c.ok) for c in reply.calls]
        if reply.query_id is not None:
            assert got == [("answerCallbackQuery", None, refused_plain, True)], what
            assert reply.answer is not None and reply.answer.params.get("show_alert") is True
        elif what.startswith("/start "):  # an invitation code: one answer for every bad one
            assert got in (
                [("sendMessage", stranger.id, refused, True)],
                [("sendMessage", stranger.id, invite_invalid, True)],
            ), what
        else:
            assert got == [("sendMessage", stranger.id, refused, True)], (
                f"{what}\n{reply.summary()}"
            )
        shown = " ".join([*reply.readable(stranger.id), reply.toast or ""])
        assert not [s for s in seen if s in shown], (what, shown)
    assert all(e.kind in ("sent", "answer") for e in stranger.events), "a message was edited"
    assert len([c for c in bot.emulator.calls if c.chat_id not in (None, stranger.id)]) == others
    assert data_state(bot) == before

    # The live tokens were not used up by the stranger's presses: their owner still confirms.
    inspector = world.inspector
    for token, done in zip(tokens, ("已新增事项", "台账已导入"), strict=True):
        message = next(m for m in inspector.messages.values() if f"ok:{token}" in str(m.buttons))
        index = next(
            b.index for r in message.buttons for b in r if b.callback_data == f"ok:{token}"
        )
        reply = await drive.press(inspector, message, index)
        assert any(done in str(c.params.get("text")) for c in reply.messages), reply.summary()
    bot.check_clean()


# =========================================================================== R22

MISSING_ITEM, MISSING_UNIT = "HZ-999", "ZZ"


def item_requests(world: World) -> list[tuple[str, str]]:
    """(kind, template) naming an item as ``{x}``: every command (two argument shapes),
    phrases, captioned files and every item-bearing button."""
    requests = [
        ("say", template.format(c=command, x="{x}"))
        for command in registered_commands(world.bot.app)
        for template in ("/{c} {x}", "/{c} {x} 2026-12-31 理由文字")
    ]
    requests += [
        ("say", t)
        for t in (
            "{x}",
            "{x} 历史",
            "{x} 进展 已召开专题会议",
            "{x} 申请销号",
            "签字 {x}",
            "{x} 已完成 召开了专题会",
            "{x} 退回 材料不全",
            "{x} 佐证",
        )
    ]
    requests += [("document", "{x} 会议记录"), ("photo", "{x} 现场照片")]
    requests += [("photo", "这是{x}的会议纪要")]
    requests += [
        ("button", b)
        for b in (
            "card:{x}",
            "hist:{x}",
            "ev:{x}:1",
            "ev:{x}:2",
            *(f"do:{action}:{{x}}" for action in Action),
            *(f"cf:{action}:{{x}}" for action in Action),
            "cf:no:{x}",
            *(f"page:{name}:{{x}}:1" for name in pager_names(world.bot.app)),
        )
    ]
    return requests


def unit_requests(world: World) -> list[tuple[str, str]]:
    """(kind, template) naming a unit as ``{x}``."""
    requests = [("say", f"/{command} {{x}}") for command in registered_commands(world.bot.app)]
    requests += [("say", t) for t in ("{x} 超期", "{x} 未销号", "{x} 临期")]
    requests += [
        ("button", b)
        for b in (
            "unit:{x}",
            "inv:{x}:contact",
            "page:due_20260302_20260309:{x}:1",
            *(f"page:{name}:{{x}}:1" for name in pager_names(world.bot.app)),
        )
    ]
    return requests


async def ask(world: World, user: EmulatedUser, kind: str, text: str) -> Reply:
    drive = world.driver
    if kind == "say":
        return await drive.say(user, text)
    if kind == "document":
        return await drive.send_document(user, "会议记录.pdf", pdf(text), text)
    if kind == "photo":
        return await drive.send_photo(user, png(), text)
    anchor = latest_message(user, with_buttons=True)
    assert anchor is not None
    return await drive.forge(user, anchor, text)


@pytest.mark.parametrize("persona", ["contact_a", "leader_a"])
async def test_another_units_items_answer_exactly_like_missing_ones(
    world: World, persona: str
) -> None:
    bot, me = world.bot, world.personas[persona]
    await world.driver.say(me, "/open")  # a real list with item buttons to press on
    before = data_state(bot)
    b_chats = [len(u.events) for u in (world.contact_b, world.leader_b)]
    compared = 0
    for targets, missing, requests in (
        (world.item_ids(UNIT_B), MISSING_ITEM, item_requests(world)),
        ([UNIT_B], MISSING_UNIT, unit_requests(world)),
    ):
        for kind, template in requests:
            expected = shape(
                await ask(world, me, kind, template.format(x=missing)), {missing: "<x>"}
            )
            for target in targets:
                reply = await ask(world, me, kind, template.format(x=target))
                assert shape(reply, {target: "<x>"}) == expected, (
                    f"{kind} {template.format(x=target)!r} is answered unlike {missing}:\n"
                    f"{reply.summary()}"
                )
                compared += 1
    after = data_state(bot)
    assert after.ledgers[UNIT_B] == before.ledgers[UNIT_B]
    assert after == before
    assert [len(u.events) for u in (world.contact_b, world.leader_b)] == b_chats
    assert compared > 400
    bot.check_clean()


# =========================================================================== R27


@dataclass(frozen=True)
class Step:
    """One thing a persona does: ``say`` a text; ``command`` number ``index`` of the
    application's commands (sorted, modulo their number; one past them is unknown) with
    ``text`` as arguments; ``press`` button ``index`` (modulo their number) of their newest
    message with buttons; ``forge`` callback data on their newest message; send a
    ``document`` (``file``: its content, ``name``: its file name) or a ``photo`` (``text``:
    the caption) — in their private chat or, ``where="group"``, in the group everyone is in."""

    who: str
    kind: str
    text: str = ""
    index: int = 0
    file: str = ""
    name: str = ""
    where: str = "private"

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else f"{self.text[:40]}…({len(self.text)} chars)"
        extra = f" #{self.index}" if self.kind in ("press", "command") else ""
        name = self.name if len(self.name) <= 40 else f"{self.name[:20]}…({len(self.name)} chars)"
        extra += f" [{self.file} as {name!r}]" if self.file else ""
        at = " @group" if self.where == "group" else ""
        return f"<{self.who}{at} {self.kind}{extra} {text!r}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a failing session step by step in this form."""
        printer.text(repr(self))


# Document contents by kind; each is sent under a name drawn from ``file_names``.
FILES: dict[str, bytes] = {
    "pdf": pdf("fuzz"),
    "xlsx": WORKBOOK,
    "junk": b"PK\x03\x04 not really a workbook",
    "exe": b"MZ\x90\x00",
    "csv": b"a,b\n1,2\n",
    "png": png(),
}
PERSONAS = ("inspector", "contact_a", "leader_a", "contact_b", "stranger")

# Item ids: this unit's, case and separator variants, full-width, the other unit's, missing,
# unknown unit, malformed, absurdly long.
ids = st.sampled_from(
    [
        "HZ-001",
        "HZ-002",
        "HZ-003",
        "HZ-004",
        "HZ-005",
        "HZ-006",
        "hz-2",
        "HZ_3",
        "hz 4",
        "ＨＺ－００５",
        "NB-001",
        "NB-003",
        "nb-4",
        "HZ-999",
        "XX-001",
        "HZ-0",
        "HZ-",
        "-001",
        "HZ--1",
        "H-Z-1",
        "HZ-1234567",
        "HZ-" + "0" * 40 + "1",
        "Ｈ Ｚ ７",
    ]
)
# Deadlines as typed: valid, impossible, past, Chinese, relative, long-term, out of range.
dates = st.sampled_from(
    [
        "2026-12-31",
        "2026-02-30",
        "2025-01-01",
        "12月31日",
        "2026年3月31日",
        "30天内",
        "15个工作日",
        "长期",
        "长期坚持",
        "9999-99-99",
        "2026-3-9",
        "明年再说",
        "31/12/2026",
        "0天内",
        "99999个工作日",
    ]
)
hostile = st.sampled_from(  # R24: must reach the user literally
    [
        "<>&\"'",
        "<b>粗体</b>",
        "&amp; &lt; &#x1F600;",
        "</i><a href='x'>",
        "<script>alert(1)</script>",
        "&",
        "a < b > c",
        "<tg-spoiler>",
    ]
)
emoji = st.sampled_from(["🔴🟡🟢", "😀👨‍👩‍👧‍👦", "𠀋𡈽", "🇨🇳", "\u200d\u200b", "👍🏽"])
words = st.sampled_from(  # what commands and conversations expect, and odd numbers
    [
        "理由",
        "进展",
        "超期",
        "未销号",
        "历史",
        "取消",
        "完成",
        "跳过",
        "确认",
        "zh",
        "en",
        "contact",
        "leader",
        "HZ",
        "NB",
        "ZZ",
        "all",
        "7",
        "0",
        "366",
        "367",
        "-1",
        "第一轮",
        "\n",
    ]
)
very_long = st.sampled_from(["长" * 5000, "<" * 5000, "&" * 4097, "HZ-001 " * 700, "😀" * 2500])
free = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # controls too
atom = st.one_of(
    ids, ids, dates, dates, hostile, emoji, words, words, free, very_long, st.just("")
)
argument = st.lists(atom, max_size=4).map(" ".join)

verbs = st.sampled_from(
    ["card", "hist", "unit", "page", "do", "cf", "ph", "ev", "ok", "no", "lang", "inv", "add", "x"]
)
part = st.one_of(
    st.sampled_from(
        [
            "HZ-001",
            "HZ-003",
            "NB-002",
            "HZ-999",
            "HZ",
            "NB",
            "all",
            "1",
            "0",
            "2",
            "999999",
            "contact",
            "leader",
            "zh",
            "en",
            "open",
            "overdue",
            "due_20260302_20260309",
            "due_20261231_20260101",
            "hist",
            "units",
            "people",
            "evid",
            "unit",
            "imp",
            "add",
            *(str(a) for a in Action),
        ]
    ),
    st.text(max_size=8),
)


def fit_64(data: str) -> str:
    """Callback data as Telegram carries it: 1–64 bytes."""
    return data.encode("utf-8")[:64].decode("utf-8", "ignore") or "x"


forged = st.one_of(
    st.builds(lambda v, parts: ":".join([v, *parts]), verbs, st.lists(part, max_size=3)),
    st.text(min_size=1, max_size=20),
).map(fit_64)
who = st.sampled_from(PERSONAS)
caption = st.one_of(st.just(""), argument, ids.map(lambda i: f"{i} 会议记录"))
file_names = st.tuples(
    st.sampled_from(["会议记录", "<b>台账</b>", "a&b\"c'", "长" * 5000, "", " ", "😀", "x\x00y"]),
    st.sampled_from(
        [".pdf", ".xlsx", ".XLSX", ".xls", ".csv", ".exe", ".jpg", "", ".<b>", "." + "x" * 5000]
    ),
).map("".join)


where = st.sampled_from(["private"] * 5 + ["group"])
step_of: dict[str, st.SearchStrategy[Step]] = {
    "command": st.builds(
        Step,
        who,
        st.just("command"),
        st.one_of(argument, st.tuples(ids, argument).map(" ".join)),
        index=st.integers(0, 200),
        where=where,
    ),
    "say": st.builds(Step, who, st.just("say"), st.one_of(argument, ids, dates), where=where),
    "press": st.builds(Step, who, st.just("press"), index=st.integers(0, 40), where=where),
    "forge": st.builds(Step, who, st.just("forge"), forged, where=where),
    "document": st.builds(
        Step,
        who,
        st.just("document"),
        caption,
        file=st.sampled_from(sorted(FILES)),
        name=file_names,
        where=where,
    ),
    "photo": st.builds(Step, who, st.just("photo"), caption, where=where),
}
# Weights: commands and presses drive the bot deepest; files are the rarest input.
KINDS = ["command"] * 4 + ["say"] * 2 + ["press"] * 3 + ["forge"] * 2 + ["document", "photo"]
steps = st.sampled_from(KINDS).flatmap(step_of.__getitem__)
sessions = st.lists(steps, min_size=1, max_size=8)


def command_text(world: World, step: Step) -> str:
    """The text a ``command`` step sends: ``/<command> <arguments>``."""
    commands = [*registered_commands(world.bot.app), "nosuchcommand"]
    return f"/{commands[step.index % len(commands)]} {step.text}".rstrip()


async def play(world: World, step: Step) -> Reply:
    user = world.personas[step.who]
    drive = world.driver
    group = world.group if step.where == "group" else None
    view = group or user
    if step.kind == "say":
        return await drive.say(user, step.text, group)
    if step.kind == "command":
        return await drive.say(user, command_text(world, step), group)
    if step.kind == "press":
        message = latest_message(view, with_buttons=True)
        if message is None:  # nothing to press yet: ask for something that has buttons
            return await drive.say(user, "/open", group)
        choices = callback_buttons(message)
        return await drive.press(user, message, choices[step.index % len(choices)])
    if step.kind == "forge":
        anchor = latest_message(view)
        assert anchor is not None  # every chat got a message when the world was seeded
        return await drive.forge(user, anchor, step.text)
    if step.kind == "photo":
        return await drive.send_photo(user, png(), step.text or None, group)
    return await drive.send_document(user, step.name, FILES[step.file], step.text or None, group)


def forbidden_in(world: World, chat_id: int, sender: EmulatedUser) -> tuple[str, ...]:
    """What must never be read in ``chat_id``: another unit's words in a contact's or
    leader's chat; any unit's in a stranger's; in the group, every problem text, invitation
    link, and name of a person or unit other than the sender's own."""
    if chat_id == world.group.id:
        own = world.unit_of(sender)
        return (
            *(f"{city}机密问题" for _, city in UNITS.values()),
            "start=",
            *(name for uid, (name, _, _) in world.bindings.items() if uid != sender.id),
            *(name for code, (name, _) in UNITS.items() if code != own),
        )
    if chat_id == world.stranger.id:
        return (*world.secrets(UNIT_A), *world.secrets(UNIT_B))
    unit = world.unit_of(world.bot.emulator.users[chat_id]) if chat_id > 0 else None
    return {UNIT_A: world.secrets(UNIT_B), UNIT_B: world.secrets(UNIT_A)}.get(unit or "", ())


def problems(world: World, step: Step, reply: Reply, refusal: tuple[str, str, str]) -> list[str]:
    """What is wrong with the bot's handling of ``step`` (empty: nothing)."""
    found: list[str] = []
    user = world.personas[step.who]
    chat_id = world.group.id if step.where == "group" else user.id
    errors = world.bot.errors()
    if errors:
        found.append(f"the error handler saw {errors!r}")
    for call in reply.render_errors:
        found.append(f"Telegram refused {call.method}: {call.description}")
    if reply.query_id is not None:
        if reply.answer is None:
            found.append("the press was not answered")
        elif len(reply.toast or "") > TOAST_LIMIT:
            found.append(f"a toast of {len(reply.toast or '')} characters")
    elif step.where == "private" and not any(c.chat_id == user.id for c in reply.messages):
        found.append("no reply")  # in a group, chatter is not answered (by design)
    if user is world.stranger:
        texts = {str(c.params.get("text")) for c in reply.messages}
        if reply.query_id is not None and reply.toast != refusal[1]:
            found.append(f"the stranger's press got {reply.toast!r}")
        if texts - {refusal[0], refusal[2]} or (reply.query_id is not None and texts):
            found.append(f"the stranger read {texts!r}")
    for chat in {c.chat_id for c in reply.messages}:
        if chat is None:
            continue
        shown = " ".join(reply.readable(chat))
        leaked = [s for s in forbidden_in(world, chat, user) if s in shown]
        if leaked:
            found.append(f"chat {chat} read {leaked!r}")
    leaked = [s for s in forbidden_in(world, chat_id, user) if s in (reply.toast or "")]
    if leaked:
        found.append(f"a toast showed {leaked!r}")
    return found


FLOWS = [
    # /add with hostile and over-long answers, an impossible date, then 确认新增
    [
        Step("inspector", "say", "/add HZ"),
        Step("inspector", "press", index=0),
        Step("inspector", "say", '<b>新问题</b> & "引号" 😀'),
        Step("inspector", "say", "跳过"),
        Step("inspector", "say", "<i>办公室</i>"),
        Step("inspector", "say", "跳过"),
        Step("inspector", "say", "长" * 5000),
        Step("inspector", "say", "跳过"),
        Step("inspector", "say", "2026-02-30"),
        Step("inspector", "say", "12月31日"),
        Step("inspector", "press", index=0),
    ],
    # progress, evidence, submit, endorse, approve — with hostile words on the way
    [
        Step("contact_a", "say", "/progress HZ-002"),
        Step("contact_a", "say", "<b>进展</b> & 😀 " + "<" * 300),
        Step("contact_a", "document", "HZ-002 <会议记录> & 签到表", file="pdf", name="<签到>.pdf"),
        Step("contact_a", "say", "/submit HZ-002"),
        Step("leader_a", "say", "/item HZ-002"),
        Step("leader_a", "press", index=0),
        Step("leader_a", "say", "/endorse HZ-002"),
        Step("inspector", "say", "/approve HZ-002 <b>核验</b> & 通过"),
        Step("inspector", "say", "/reopen HZ-002"),
        Step("inspector", "say", "<script>反弹</script>"),  # no date: asked again
        Step("inspector", "press", index=0),  # the default new deadline
        Step("inspector", "say", "<script>反弹</script>"),
    ],
    # everything in English, hostile words included
    [
        Step("contact_a", "say", "/lang en"),
        Step("contact_a", "say", "/open"),
        Step("contact_a", "press", index=0),
        Step("contact_a", "say", "HZ-002 进展 <b>done</b> & \"quoted\" 'x'"),
        Step("contact_a", "say", "/history HZ-002"),
        Step("leader_a", "say", "/lang en"),
        Step("leader_a", "say", "/reject HZ-003 <i>missing</i> & more"),
        Step("inspector", "say", "/lang en"),
        Step("inspector", "say", "/units"),
        Step("inspector", "say", "/people"),
        Step("inspector", "say", "/alerts"),
        Step("inspector", "say", "/due 30"),
        Step("inspector", "say", "/urge HZ-001 <b>hurry</b> &amp; 😀"),
        Step("inspector", "say", "/withdraw HZ-006 <dup>"),
        Step("inspector", "say", "/lang zh"),
    ],
    # a deadline asked for in steps, a cancelled question, forged and stale buttons
    [
        Step("inspector", "say", "/deadline HZ-001"),
        Step("inspector", "say", "2026-02-30"),
        Step("inspector", "say", "15个工作日"),
        Step("inspector", "say", "&" * 4097),
        Step("contact_a", "say", "HZ-001"),
        Step("contact_a", "press", index=0),
        Step("contact_a", "say", "取消"),
        Step("contact_b", "forge", "do:progress:HZ-001"),
        Step("stranger", "forge", "do:approve:HZ-004"),
        Step("leader_a", "say", "/reject HZ-003 " + "理" * 5000),
    ],
]


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,  # the same sessions in the same order on every run: failures reproduce
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the bot's state carries over
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one running bot for all examples, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@example(session=FLOWS[0])
@example(session=FLOWS[1])
@example(session=FLOWS[2])
@example(session=FLOWS[3])
@given(session=sessions)
async def test_random_sessions_never_break_the_bot(world: World, session: list[Step]) -> None:
    world.rebind()  # a fuzzed /revoke or /lang of an earlier session is undone
    bot = world.bot
    refusal = refusal_words(bot)
    trace: list[str] = []
    for n, step in enumerate(session, start=1):
        before = data_state(bot) if step.who == "stranger" else None
        reply = await play(world, step)
        sent = f" = {command_text(world, step)[:80]!r}" if step.kind == "command" else ""
        trace.append(f"{n}. {step!r}{sent}\n{reply.summary()}")
        found = problems(world, step, reply, refusal)
        if before is not None and data_state(bot) != before:
            found.append("the stranger changed the data")
        if found:
            note("\n".join(trace))
            raise AssertionError(f"step {n} of {len(session)}: {found}\n" + "\n".join(trace))


# =========================================================================== groups

GROUP_ARGUMENTS = ("", "HZ-001", "HZ", "HZ contact", "HZ-003 2026-12-31 理由文字", "2001")


async def test_a_group_is_shown_no_ledger_people_or_invitations(world: World) -> None:
    """Everyone in a group with the bot sends every command there, the inspector presses
    every verb: the group reads no problem text, no invitation link, no name of another
    person or unit, and nothing changes — ledger data is for private chats."""
    bot = world.bot
    refusal = refusal_words(bot)
    before = data_state(bot)
    steps = [
        Step(name, "say", f"/{command} {argument}".strip(), where="group")
        for name in world.personas
        for command in registered_commands(bot.app)
        for argument in GROUP_ARGUMENTS
    ]
    steps += [Step("inspector", "forge", data, where="group") for data in forged_data(world, ())]
    for step in steps:
        reply = await play(world, step)
        assert not problems(world, step, reply, refusal), (step, reply.summary())
    after = data_state(bot)
    assert (after.ledgers, after.units, after.invites) == (
        before.ledgers,
        before.units,
        before.invites,
    )
    # lang: buttons may switch the presser's language; nobody is bound or unbound
    assert [(p.user_id, p.role, p.unit) for p in after.people] == [
        (p.user_id, p.role, p.unit) for p in before.people
    ]
    bot.check_clean()
