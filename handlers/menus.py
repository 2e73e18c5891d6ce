"""Command menus (``setMyCommands``): each person sees only their own commands, in their own
language (DESIGN §5).

- Unknown users see the default menu: /start and /help only, in the configured language,
  plus a ``zh`` and an ``en`` variant for clients in those languages (two-letter codes, as the
  Bot API requires). Set at start-up by :func:`startup` (bot.py's ``post_init``).
- A known person gets a menu in the scope of their private chat (``BotCommandScopeChat``),
  without a language code, so it shows whatever their client's language — in the language
  they chose (``/lang``). It is refreshed on binding, ``/lang``, ``/start`` and ``/help``, and
  deleted on ``/revoke`` (they fall back to the default menu).
- A menu lists only commands some handler of the running application actually registered
  (a ``CommandHandler`` of its own, or one that starts a conversation), so commands of
  features not built yet never show up and appear as soon as they are. Commands that only
  answer inside a conversation (``/cancel``, ``/done``) are not menu entries.
- With leader endorsement switched off (``[workflow] endorsement_required = false``) leaders
  have nothing to sign: their menu leaves out /endorse and /reject (a leader rejects only an
  item waiting for their signature).

Menu calls are best effort: a failure (e.g. "chat not found" for an inspector who never
wrote to the bot) is logged and never reaches the user.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ConversationHandler

from app import roster
from app.services import Services, services_of
from handlers.common import Who, language_for
from ledger.model import Role

log = logging.getLogger(__name__)

_QUERIES = ("open", "overdue", "due", "item", "history")
_UNIT_WORK = ("progress", "evidence", "submit", "extend")
_COMMON = ("lang", "help")

# In menu order: what each role uses most comes first. Descriptions are ``menu.<command>``.
MENUS: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "help"),
    Role.CONTACT: (*_QUERIES, *_UNIT_WORK, *_COMMON),
    Role.LEADER: ("todo", *_QUERIES, "endorse", "reject", *_UNIT_WORK, "report", *_COMMON),
    Role.INSPECTOR: (
        "todo",
        "units",
        "unit",
        *_QUERIES,
        "evidence",
        "approve",
        "reject",
        "reopen",
        "urge",
        "deadline",
        "withdraw",
        "add",
        "import",
        "export",
        "stats",
        "survey",
        "lookback",
        "report",
        "feedback",
        "alerts",
        "channels",
        "newunit",
        "invite",
        "people",
        "revoke",
        *_COMMON,
    ),
}

# Commands of a role that only act on items waiting for a leader's signature (待签字).
SIGNING: dict[Role, frozenset[str]] = {Role.LEADER: frozenset({"endorse", "reject", "todo"})}


def registered_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> frozenset[str]:
    """Every command some ``CommandHandler`` of ``app`` answers outside a conversation: its
    own, or as an entry point of a ``ConversationHandler`` (``/progress``, ``/reject``,
    ``/add`` …). Fallbacks and states' commands answer only inside one and are left out."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            entries = (
                handler.entry_points if isinstance(handler, ConversationHandler) else [handler]
            )
            for entry in entries:
                if isinstance(entry, CommandHandler):
                    found |= set(entry.commands)
    return frozenset(found)


def menu(
    app: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    lang: str,
    role: Role | None,
) -> list[BotCommand]:
    """The menu of ``role`` (``None``: unknown users) in ``lang``, registered commands only;
    without endorsement, no signing commands."""
    available = registered_commands(app)
    if not services.config.rules.endorsement_required and role is not None:
        available -= SIGNING.get(role, frozenset())
    catalog = services.catalog
    return [
        BotCommand(command, catalog.plain(lang, f"menu.{command}"))
        for command in MENUS[role]
        if command in available and catalog.has(f"menu.{command}")
    ]


def api_language(lang: str) -> str:
    """A catalog language as the Bot API's two-letter code (``zh-CN`` → ``zh``)."""
    return lang.split("-")[0].lower()


async def set_person_menu(
    app: Application[Any, Any, Any, Any, Any, Any],
    bot: Bot,
    user_id: int,
    role: Role | None,
    lang: str,
) -> bool:
    """Show ``user_id`` the menu of ``role`` in ``lang`` in their private chat; ``role=None``
    removes their own menu (back to the default). Returns whether Telegram accepted it."""
    services = services_of(app)
    scope = BotCommandScopeChat(chat_id=user_id)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(menu(app, services, lang, role), scope=scope)
    except TelegramError as exc:
        log.warning("could not set the command menu of user %s: %s", user_id, exc)
        return False
    return True


async def refresh(app: Application[Any, Any, Any, Any, Any, Any], bot: Bot, who: Who) -> bool:
    """The sender's menu as they are now (their role, their language)."""
    return await set_person_menu(app, bot, who.user.id, who.role, who.lang)


async def startup(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The default menu for unknown users (configured language, plus ``zh`` and ``en``
    variants) and each configured inspector's own menu (skipped, with a log line, for one who
    has not written to the bot yet: Telegram knows no such chat; their first /start sets it)."""
    services = services_of(app)
    bot = app.bot
    default_lang = language_for(services, None, None)
    scope = BotCommandScopeDefault()
    try:
        await bot.set_my_commands(menu(app, services, default_lang, None), scope=scope)
        for lang in ("zh-CN", "en"):
            await bot.set_my_commands(
                menu(app, services, lang, None), scope=scope, language_code=api_language(lang)
            )
    except TelegramError as exc:
        log.warning("could not set the default command menu: %s", exc)
    for person in roster.inspectors(services):
        lang = language_for(services, person, None)
        await set_person_menu(app, bot, person.user_id, Role.INSPECTOR, lang)


__all__ = [
    "MENUS",
    "SIGNING",
    "api_language",
    "menu",
    "refresh",
    "registered_commands",
    "set_person_menu",
    "startup",
]
