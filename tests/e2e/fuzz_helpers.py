"""Machinery of the security sweeps (R21, R22) and the input fuzz (R27) in test_fuzz.py.

- :func:`seed_world`: two units (HZ, NB) with items in every common state, their contacts and
  leaders, the inspectors, a stranger and a group they are all in, each chat holding a
  message from the bot to press on;
- :func:`registered_commands` / :func:`callback_patterns`: what the running application
  answers, read from its handlers (conversations' entry points, states and fallbacks
  included), so a new command or button verb is swept without editing the tests;
- :class:`Handled`: knows when the application has *finished* with an update, so a test can
  look at everything the bot did for it — silence included — without sleeping;
- :class:`Reply`: the Bot API calls made while one update was handled, and
  :func:`shape` to compare two replies byte for byte up to the id they were asked about;
- :func:`data_state`: ledgers (bytes), units, people, invites and evidence files — what must
  not change when a request is refused (dedupe's marks, ``updates.jsonl``, are left out:
  they are written for every update by design).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    TypeHandler,
)

from handlers.excel import uploads_done
from handlers.queries import PAGERS_KEY
from ledger.model import Item, Role, Status
from sandbox.emulator import ApiCall
from sandbox.users import BotMessage, ChatView, EmulatedGroup, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item

UNIT_A, UNIT_B = "HZ", "NB"
UNITS: dict[str, tuple[str, str]] = {  # code -> (name, city: the mark of its problem texts)
    UNIT_A: ("杭州市审计局党组", "杭州"),  # not the help texts' example 杭州市局党组
    UNIT_B: ("宁波市审计局党组", "宁波"),
}
# (status, deadline in days from now or None for 长期坚持, created days ago) per seeded item:
# HZ-001/NB-001 overdue (red), -002 due in 3 days, -003 待签字, -004 待核验, -005 已销号,
# -006 long-term.
SEEDS: tuple[tuple[Status, int | None, int], ...] = (
    (Status.OPEN, -5, 60),
    (Status.IN_PROGRESS, 3, 10),
    (Status.SUBMITTED, 30, 10),
    (Status.ENDORSED, 30, 10),
    (Status.CLOSED, 30, 10),
    (Status.OPEN, None, 10),
)
# Hostile on purpose: every card and list must escape it (R24).
PROBLEM = "{city}机密问题{n}：<b>“三会一课”</b> & 'x' \"y\" <i>"

# Bot API methods whose failure means the bot produced something Telegram would not show.
RENDER_ERRORS = (
    "can't parse entities",
    "message is too long",
    "message caption is too long",
    "message text is empty",
    "BUTTON_DATA_INVALID",
    "BUTTON_URL_INVALID",
)
MESSAGE_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)
TOAST_LIMIT = 200  # answerCallbackQuery text, characters
HANDLED_TIMEOUT = 15.0  # seconds: a /stats chart on a slow CI machine stays well below


# =========================================================================== the application


def every_handler(
    app: Application[Any, Any, Any, Any, Any, Any],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Every handler of ``app``, conversations' entry points, states and fallbacks included."""

    def walk(
        handlers: Iterable[BaseHandler[Any, Any, Any]],
    ) -> Iterator[BaseHandler[Any, Any, Any]]:
        for handler in handlers:
            yield handler
            if isinstance(handler, ConversationHandler):
                yield from walk(handler.entry_points)
                for state in handler.states.values():
                    yield from walk(state)
                yield from walk(handler.fallbacks)

    for group in app.handlers.values():
        yield from walk(group)


def registered_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> tuple[str, ...]:
    """Every command some ``CommandHandler`` of ``app`` answers, sorted."""
    found: set[str] = set()
    for handler in every_handler(app):
        if isinstance(handler, CommandHandler):
            found |= set(handler.commands)
    return tuple(sorted(found))


def callback_patterns(
    app: Application[Any, Any, Any, Any, Any, Any],
) -> tuple[re.Pattern[str], ...]:
    """The ``pattern`` of every ``CallbackQueryHandler`` that has a regular expression."""
    return tuple(
        handler.pattern
        for handler in every_handler(app)
        if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern)
    )


def pager_names(app: Application[Any, Any, Any, Any, Any, Any]) -> tuple[str, ...]:
    """The ``<list>`` names ``page:`` buttons may carry (handlers.queries.register_pager)."""
    return tuple(sorted(app.bot_data.get(PAGERS_KEY, {})))


def documented_verbs(doc: str | None) -> tuple[str, ...]:
    """The callback verbs a module docstring lists as ````verb:…````."""
    return tuple(sorted(set(re.findall(r"``(\w+):", doc or ""))))


# =========================================================================== handled updates


class Handled:
    """Knows when the application has finished with an update.

    A handler in a group after every other one records each update it sees. PTB runs the
    groups in order, one handler per group, and an exception in one group goes to the error
    handler before the next group runs; only ``ApplicationHandlerStop`` ends an update early,
    and only dedupe raises it (for a repeat, which these tests never send). So when an update
    is recorded here, everything the bot does for it has been done — except a 台账 upload,
    handled apart (``block=False``): :meth:`Driver.send_document` waits for that too.
    """

    GROUP = 1_000_000

    def __init__(self) -> None:
        self._done: dict[str, asyncio.Event] = {}

    @classmethod
    def install(cls, app: Application[Any, Any, Any, Any, Any, Any]) -> Handled:
        handled = cls()
        app.add_handler(TypeHandler(Update, handled._record), group=cls.GROUP)
        return handled

    def _event(self, key: str) -> asyncio.Event:
        return self._done.setdefault(key, asyncio.Event())

    async def _record(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._event(f"update:{update.update_id}").set()
        if update.callback_query is not None:
            self._event(f"query:{update.callback_query.id}").set()

    async def wait(self, key: str, timeout: float = HANDLED_TIMEOUT) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                await self._event(key).wait()
        except TimeoutError:
            raise AssertionError(f"the bot did not finish {key} within {timeout} s") from None


# =========================================================================== replies


@dataclass(frozen=True)
class Reply:
    """What the bot did while handling one update: every Bot API call except getUpdates.
    ``query_id`` is set for a button press."""

    calls: tuple[ApiCall, ...]
    query_id: str | None = None

    @property
    def messages(self) -> list[ApiCall]:
        """Successful sends and edits, in order."""
        return [c for c in self.calls if c.ok and c.method.lower() in MESSAGE_METHODS]

    @property
    def answer(self) -> ApiCall | None:
        """The answerCallbackQuery of the press, if the bot answered it."""
        for call in self.calls:
            if (
                call.method.lower() == "answercallbackquery"
                and call.ok
                and str(call.params.get("callback_query_id")) == self.query_id
            ):
                return call
        return None

    @property
    def render_errors(self) -> list[ApiCall]:
        """Calls Telegram refused because of what the bot wrote (HTML, length, buttons)."""
        return [
            c
            for c in self.calls
            if not c.ok and any(e in (c.description or "") for e in RENDER_ERRORS)
        ]

    def readable(self, chat_id: int) -> list[str]:
        """What a user of ``chat_id`` could read of the messages sent or edited there: texts,
        captions, button labels and data."""
        out: list[str] = []
        for call in self.messages:
            if call.chat_id == chat_id:
                shown = {k: call.params.get(k) for k in ("text", "caption", "reply_markup")}
                out.append(json.dumps(shown, ensure_ascii=False))
        return out

    @property
    def toast(self) -> str | None:
        """The text of the press's answer (``None``: not answered, or no text)."""
        answer = self.answer
        text = answer.params.get("text") if answer is not None else None
        return None if text is None else str(text)

    def summary(self) -> str:
        """One line per call, for failure messages."""
        lines = []
        for call in self.calls:
            text = call.params.get("text") or call.params.get("caption") or ""
            outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
            lines.append(f"    {call.method}({call.chat_id}) {outcome}: {str(text)[:100]!r}")
        return "\n".join(lines) or "    (no call)"


_VOLATILE = frozenset({"callback_query_id"})


def shape(reply: Reply, replace: Mapping[str, str]) -> list[str]:
    """The reply as comparable text: each call's method, outcome and parameters (without the
    query id, which differs per press), with each ``replace`` key substituted — two replies
    with the same shape are byte-identical but for those strings."""
    out = []
    for call in reply.calls:
        params = {k: v for k, v in call.params.items() if k not in _VOLATILE}
        text = json.dumps(
            [call.method, call.ok, call.description, params],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        for old, new in replace.items():
            text = text.replace(old, new)
        out.append(text)
    return out


class Driver:
    """Users act; each call returns once the bot has finished with the update, with the
    :class:`Reply`."""

    def __init__(self, bot: BotUnderTest) -> None:
        self.bot = bot
        self.handled = Handled.install(bot.app)

    def _mark(self) -> int:
        return len(self.bot.emulator.calls)

    def _since(self, mark: int, query_id: str | None = None) -> Reply:
        calls = tuple(c for c in self.bot.emulator.calls[mark:] if c.method != "getUpdates")
        return Reply(calls, query_id)

    async def say(self, user: EmulatedUser, text: str, chat: ChatView | None = None) -> Reply:
        mark = self._mark()
        sent = await user.send(text, chat=chat)
        await self.handled.wait(f"update:{sent.update_id}")
        return self._since(mark)

    async def send_document(
        self,
        user: EmulatedUser,
        name: str,
        content: bytes,
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> Reply:
        mark = self._mark()
        sent = await user.send_document(name, content, caption=caption, chat=chat)
        await self.handled.wait(f"update:{sent.update_id}")
        await uploads_done(self.bot.app)  # a 台账 upload is handled apart (block=False)
        return self._since(mark)

    async def send_photo(
        self,
        user: EmulatedUser,
        content: bytes,
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> Reply:
        mark = self._mark()
        sent = await user.send_photo(content, caption=caption, chat=chat)
        await self.handled.wait(f"update:{sent.update_id}")
        return self._since(mark)

    async def forge(self, user: EmulatedUser, message: BotMessage | int, data: str) -> Reply:
        mark = self._mark()
        query_id = await user.forge_callback(message, data)
        await self.handled.wait(f"query:{query_id}")
        return self._since(mark, query_id)

    async def press(self, user: EmulatedUser, message: BotMessage | int, index: int) -> Reply:
        mark = self._mark()
        query_id = await user.press(message, index)
        await self.handled.wait(f"query:{query_id}")
        return self._since(mark, query_id)


def latest_message(chat: ChatView, *, with_buttons: bool = False) -> BotMessage | None:
    """The newest bot message in the chat as it is now (optionally: one with callback
    buttons)."""
    for message in sorted(chat.messages.values(), key=lambda m: m.message_id, reverse=True):
        if message.deleted:
            continue
        if not with_buttons or callback_buttons(message):
            return message
    return None


def callback_buttons(message: BotMessage) -> list[int]:
    """Flat indexes of the message's buttons that carry callback data."""
    return [b.index for row in message.buttons for b in row if b.callback_data is not None]


# =========================================================================== data


@dataclass(frozen=True)
class DataState:
    """What a refused request must leave as it was."""

    ledgers: dict[str, bytes]
    units: tuple[Any, ...]
    people: tuple[Any, ...]
    invites: tuple[Any, ...]
    evidence: tuple[str, ...]


def data_state(bot: BotUnderTest) -> DataState:
    layout = bot.store.layout
    assert layout is not None
    registry = bot.store.registry
    evidence_dir = layout.evidence_dir
    evidence = (
        tuple(sorted(str(p.relative_to(evidence_dir)) for p in evidence_dir.rglob("*")))
        if evidence_dir.exists()
        else ()
    )
    return DataState(
        ledgers={code: path.read_bytes() for code, path in layout.ledger_files().items()},
        units=tuple(registry.list_units()),
        people=tuple(sorted(registry.list_people(), key=lambda p: p.user_id)),
        invites=tuple(registry.list_invites()),
        evidence=evidence,
    )


# =========================================================================== the world


@dataclass(repr=False)
class World:
    """Units HZ and NB, six items each (see :data:`SEEDS`), the people around them and a
    group chat they are all in, with the bot."""

    bot: BotUnderTest
    driver: Driver
    items: dict[str, list[Item]]
    inspector: EmulatedUser
    other_inspector: EmulatedUser
    contact_a: EmulatedUser
    leader_a: EmulatedUser
    contact_b: EmulatedUser
    leader_b: EmulatedUser
    stranger: EmulatedUser
    group: EmulatedGroup
    bindings: dict[int, tuple[str, Role, str]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"World({', '.join(self.item_ids())})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints the fixtures of a failing example: the short form, please."""
        printer.text(repr(self))

    @property
    def personas(self) -> dict[str, EmulatedUser]:
        return {
            "inspector": self.inspector,
            "contact_a": self.contact_a,
            "leader_a": self.leader_a,
            "contact_b": self.contact_b,
            "leader_b": self.leader_b,
            "stranger": self.stranger,
        }

    def rebind(self) -> None:
        """Bind the contacts and leaders as seeded (undoing a fuzzed /revoke or /lang)."""
        for user_id, (name, role, unit) in self.bindings.items():
            self.bot.bind(user_id, name, role, unit)

    def item_ids(self, unit: str | None = None) -> list[str]:
        units = [unit] if unit else list(self.items)
        return [item.id for u in units for item in self.items[u]]

    def secrets(self, unit: str) -> tuple[str, ...]:
        """Words only people of ``unit`` (and inspectors) may ever read: its name, its
        problem texts, its people's names."""
        name, city = UNITS[unit]
        people = tuple(n for n, _, u in self.bindings.values() if u == unit)
        return (name, f"{city}机密问题", *people)

    def unit_of(self, user: EmulatedUser) -> str | None:
        bound = self.bindings.get(user.id)
        return bound[2] if bound else None


async def seed_world(bot: BotUnderTest) -> World:
    """Seed both units through the real workflow, bind their people and have everyone write
    ``/start`` once (so each chat holds a bot message and notices can reach them); the group
    gets an inspector's /help (a bot message to press on there too)."""
    now = bot.clock.now()
    items: dict[str, list[Item]] = {}
    for unit, (name, city) in UNITS.items():
        bot.add_unit(unit, name, "第一轮")
        items[unit] = [
            seed_item(
                bot.store,
                unit,
                now=now,
                status=status,
                deadline=None if days is None else (now + timedelta(days=days)).date(),
                long_term=days is None,
                created=now - timedelta(days=ago),
                problem=PROBLEM.format(city=city, n=n),
            )
            for n, (status, days, ago) in enumerate(SEEDS, start=1)
        ]
    world = World(
        bot=bot,
        driver=Driver(bot),
        items=items,
        inspector=bot.inspector(),
        other_inspector=bot.inspector(101),
        contact_a=bot.user(2001, "王联络"),
        leader_a=bot.user(2002, "李书记"),
        contact_b=bot.user(3001, "周联络"),
        leader_b=bot.user(3002, "吴书记"),
        stranger=bot.user(4001, "路人甲"),
        group=bot.emulator.group(-5001, "整改工作群"),
        bindings={
            2001: ("王联络", Role.CONTACT, UNIT_A),
            2002: ("李书记", Role.LEADER, UNIT_A),
            3001: ("周联络", Role.CONTACT, UNIT_B),
            3002: ("吴书记", Role.LEADER, UNIT_B),
        },
    )
    world.rebind()
    world.group.members.extend(world.personas.values())
    for user in (world.other_inspector, *world.personas.values()):
        await world.driver.say(user, "/start")
    await world.driver.say(world.inspector, "/help", chat=world.group)
    return world


__all__ = [
    "RENDER_ERRORS",
    "SEEDS",
    "TOAST_LIMIT",
    "UNITS",
    "UNIT_A",
    "UNIT_B",
    "DataState",
    "Driver",
    "Handled",
    "Reply",
    "World",
    "callback_buttons",
    "callback_patterns",
    "data_state",
    "documented_verbs",
    "every_handler",
    "latest_message",
    "pager_names",
    "registered_commands",
    "seed_world",
    "shape",
]
