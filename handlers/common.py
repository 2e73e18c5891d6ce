"""What every handler needs: who is speaking, in which language, and how to answer.

Identity rules (R21): a user is an inspector exactly when their id is in ``[bot] inspectors``;
a contact or leader exactly when the registry binds them to a unit (through an invite).
Everyone else is unknown and gets ``access.refused`` — one polite sentence that reveals
nothing — whatever they send.

Language: a person's own choice (``/lang``) wins; otherwise ``[bot] language``; with
``language = "auto"`` the Telegram ``language_code`` decides (zh-CN when it is neither zh nor en).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from handlers.services import Services, services_of
from ledger.errors import LedgerError
from ledger.model import Person, Role
from locales import Html

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]+>")

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
RoleHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, "Who"], Awaitable[None]]


@dataclass(frozen=True)
class Who:
    """The sender as the bot sees them; ``person`` is ``None`` for unknown users."""

    services: Services
    user: User
    person: Person | None
    lang: str

    @property
    def role(self) -> Role | None:
        return None if self.person is None else self.person.role

    @property
    def is_inspector(self) -> bool:
        return self.role is Role.INSPECTOR

    def t(self, key: str, **params: Any) -> Html:
        return self.services.catalog.t(self.lang, key, **params)

    def plain(self, key: str, **params: Any) -> str:
        return self.services.catalog.plain(self.lang, key, **params)


def person_for(services: Services, user: User) -> Person | None:
    """The known person behind a Telegram user, or ``None`` (R21)."""
    stored = services.store.registry.get_person(user.id)
    if user.id in services.config.bot.inspectors:
        if stored is not None and stored.role is Role.INSPECTOR:
            return stored
        name = user.full_name or str(user.id)
        language = stored.language if stored is not None else None
        return Person(user_id=user.id, name=name, role=Role.INSPECTOR, language=language)
    if stored is None or stored.role is Role.INSPECTOR:
        # Inspectors come from config alone: one removed there loses access here too.
        return None
    return stored


def language_for(services: Services, person: Person | None, user: User | None) -> str:
    catalog = services.catalog
    if person is not None and person.language:
        return catalog.normalise(person.language)
    configured = services.config.bot.language
    if configured != "auto":
        return configured
    return catalog.normalise(user.language_code if user else None)


def who_is(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who | None:
    """Resolve the sender of an update; ``None`` for updates without a user (channel posts)."""
    user = update.effective_user
    if user is None:
        return None
    services = services_of(context)
    person = person_for(services, user)
    return Who(services, user, person, language_for(services, person, user))


async def send(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Answer in the update's chat with HTML; ``text`` must already be safe (``Html``)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        link_preview_options=None,
    )


async def edit_or_send(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """From a button press, edit the pressed message in place; otherwise send a new one.

    Editing to identical content is not an error for the user ("message is not modified").
    """
    query = update.callback_query
    if query is not None and query.message is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return
    await send(update, text, keyboard)


async def refuse(update: Update, who: Who) -> None:
    """The one refusal unknown users get (R21): same words for every command and button."""
    if update.callback_query is not None:
        await update.callback_query.answer(who.plain("access.refused"), show_alert=True)
        return
    await send(update, who.t("access.refused"))


def word_error(who: Who, error: LedgerError) -> Html:
    """A domain failure in the user's words (the key names the message, params fill it)."""
    return who.services.catalog.t(who.lang, error.key, **error.params)


def for_roles(*roles: Role) -> Callable[[RoleHandler], Handler]:
    """Decorator: resolve the sender, refuse unknown people (R21) and people of other roles,
    then call ``handler(update, context, who)``. Domain errors are worded for the user."""

    def decorate(handler: RoleHandler) -> Handler:
        @wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            who = who_is(update, context)
            if who is None:
                return
            if who.person is None:
                await refuse(update, who)
                return
            if roles and who.role not in roles:
                await reply_text(update, who, who.t("error.not_allowed"))
                return
            try:
                await handler(update, context, who)
            except LedgerError as error:
                await reply_text(update, who, word_error(who, error))

        return wrapper

    return decorate


async def reply_text(update: Update, who: Who, text: Html) -> None:
    """A short answer: a toast for a button press, a message otherwise."""
    query = update.callback_query
    if query is not None:
        await query.answer(to_plain(text)[:200], show_alert=True)
        return
    await send(update, text)


def to_plain(text: str) -> str:
    """Telegram HTML -> plain text, for toasts (answerCallbackQuery does not parse HTML)."""
    return html.unescape(_TAG.sub("", text))
