"""Plain Chinese (and English) phrases, and the answers of last resort. Registered LAST, so
every command, button and conversation of another feature is tried first.

Phrases (private chats only; NFKC-normalised, so full-width text works) route to the very
same queries as the commands (handlers.queries), with the same checks:

=====================================================  =====================================
还有哪些没整改 · 没整改 · 未整改 · 未销号 · 我的事项 ·   /open
待整改 · 整改清单 · what's open
超期 · 逾期 · overdue                                    /overdue
临期 · 快到期 · 即将到期 · 近期到期 · due soon          /due (``[alerts] due_days``)
本周到期 · 这周到期                                      /due, today … this Sunday
下周到期                                                 /due, next Monday … next Sunday
N天内到期                                                /due N
HZ-007 · hz-7 · ＨＺ－００７                              /item (a bare item id)
HZ-007 历史 · HZ-007 记录                                 /history
各单位 · 单位情况 (inspectors)                           /units
帮助 · 怎么用 · help                                     /help
=====================================================  =====================================

A phrase may start with a unit code (``HZ 超期``): inspectors get that unit, contacts and
leaders their own (another code answers like an unknown unit). Anything else gets a short
hint, never silence; an unknown command gets a pointer to /help. A button nobody handled —
stale or forged — gets the "button expired" toast (R22). Unknown users get the refusal for
all of it (R21). In groups only commands are answered: chatter is not for the bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from handlers import queries
from handlers.common import Who, refuse, send, stale_button, who_is, word_error
from handlers.people import units_command
from handlers.start import help_text
from ledger.dates import normalise_item_id, normalise_text
from ledger.errors import LedgerError

_TRIM = " 。.!！?？~～,，、：:；;"
# A unit code, then a phrase: "HZ 超期", "hz未销号" (not "overdue": the code must be
# followed by a space or by a character that cannot be part of it).
_LEADING_UNIT = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,9})(?:\s+|(?=[^A-Za-z0-9\s]))(\S.*)$")
_ID_AND_WORD = re.compile(r"^(.+?)\s*(历史|记录|整改记录|history)$", re.IGNORECASE)
_N_DAYS = re.compile(r"^(\d{1,3})\s*(?:天|日)(?:内|以内|之内)?(?:到期|临期)$")

_OPEN_WORDS = (
    "还有哪些没整改",
    "哪些没整改",
    "没整改",
    "未整改",
    "未销号",
    "没销号",
    "我的事项",
    "待整改",
    "整改清单",
    "what's open",
    "open items",
)
_OVERDUE_WORDS = ("超期", "逾期", "overdue")
_DUE_WORDS = ("临期", "快到期", "即将到期", "近期到期", "due soon")
_THIS_WEEK_WORDS = ("本周到期", "这周到期", "本星期到期")
_NEXT_WEEK_WORDS = ("下周到期", "下星期到期")
_UNITS_WORDS = ("各单位", "单位情况", "所有单位")
_HELP_WORDS = ("帮助", "怎么用", "使用说明", "help")


@dataclass(frozen=True)
class Route:
    """What a phrase asks for: ``kind`` open | overdue | due | card | history | units |
    help; ``unit`` a leading unit code; ``window`` the due dates; ``item`` the typed id."""

    kind: str
    unit: str | None = None
    window: tuple[date, date] | None = None
    item: str | None = None


def this_week(today: date) -> tuple[date, date]:
    """Today to this week's Sunday."""
    return today, today + timedelta(days=6 - today.weekday())


def next_week(today: date) -> tuple[date, date]:
    """Next Monday to next Sunday."""
    monday = today + timedelta(days=7 - today.weekday())
    return monday, monday + timedelta(days=6)


def route(text: str, today: date, due_days: int) -> Route | None:
    """What ``text`` asks for, or ``None`` when it is no phrase we know (pure)."""
    s = normalise_text(text).strip(_TRIM)
    if not s or len(s) > 60:
        return None
    if normalise_item_id(s) is not None:
        return Route("card", item=s)
    m = _ID_AND_WORD.match(s)
    if m and normalise_item_id(m.group(1)) is not None:
        return Route("history", item=m.group(1))
    m = _LEADING_UNIT.match(s)
    if m:
        rest = _route_words(m.group(2).strip(_TRIM).lower(), today, due_days)
        if rest is not None and rest.kind in ("open", "overdue", "due"):
            return Route(rest.kind, unit=m.group(1), window=rest.window)
    return _route_words(s.lower(), today, due_days)


def _route_words(s: str, today: date, due_days: int) -> Route | None:
    m = _N_DAYS.match(s)
    if m and 1 <= int(m.group(1)) <= queries.MAX_DUE_DAYS:
        return Route("due", window=(today, today + timedelta(days=int(m.group(1)))))
    if any(w in s for w in _NEXT_WEEK_WORDS):
        return Route("due", window=next_week(today))
    if any(w in s for w in _THIS_WEEK_WORDS):
        return Route("due", window=this_week(today))
    if any(w in s for w in _DUE_WORDS):
        return Route("due", window=(today, today + timedelta(days=due_days)))
    if any(w in s for w in _OVERDUE_WORDS):
        return Route("overdue")
    if any(w in s for w in _OPEN_WORDS):
        return Route("open")
    if s in _UNITS_WORDS:
        return Route("units")
    if s in _HELP_WORDS:
        return Route("help")
    return None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain text in a private chat: a phrase, an item id, or a hint."""
    who = who_is(update, context)
    message = update.effective_message
    if who is None or message is None or message.text is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    services = who.services
    found = route(message.text, who.words.today, services.config.alerts.due_days)
    if found is None:
        await send(update, hint(who))
        return
    await answer(update, context, who, found)


async def answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, found: Route
) -> None:
    """Carry out a routed phrase exactly as the matching command would."""
    try:
        if found.kind in ("open", "overdue"):
            await queries.show_list(update, who, found.kind, found.unit)
        elif found.kind == "due":
            await queries.show_list(update, who, "due", found.unit, found.window)
        elif found.kind == "card" and found.item is not None:
            await queries.show_card(update, context, who, found.item)
        elif found.kind == "history" and found.item is not None:
            await queries.show_history(update, who, found.item)
        elif found.kind == "units" and who.is_inspector:
            await units_command(update, context)
        elif found.kind == "help":
            await send(update, help_text(context.application, who))
        else:
            await send(update, hint(who))
    except LedgerError as error:
        await send(update, word_error(who, error))


def hint(who: Who) -> str:
    key = "phrases.hint.inspector" if who.is_inspector else "phrases.hint.unit"
    return who.t(key, item_id=queries.example_id(who))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no feature handles."""
    who = who_is(update, context)
    if who is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    await send(update, who.t("phrases.unknown_command"))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other message in a private chat (sticker, photo, file nobody took)."""
    who = who_is(update, context)
    if who is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    message = update.effective_message
    if message is not None and (message.document is not None or message.photo):
        # A file without an item id: most likely evidence whose caption was forgotten.
        await send(update, who.t("evidence.no_caption", item_id=queries.example_id(who)))
        return
    await send(update, who.t("phrases.not_understood", item_id=queries.example_id(who)))


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler took: stale or forged data (R22)."""
    who = who_is(update, context)
    if who is None or update.callback_query is None:
        return
    await stale_button(update, who)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, on_other))
    app.add_handler(CallbackQueryHandler(on_stale_button))
