"""What every handler needs: who is speaking, in which language, and how to answer.

Identity rules (R21): a user is an inspector exactly when their id is in ``[bot] inspectors``;
a contact or leader exactly when the registry binds them to a unit (through an invite).
Everyone else is unknown and gets ``access.refused`` — one polite sentence that reveals
nothing — whatever they send.

Language: a person's own choice (``/lang``) wins; otherwise ``[bot] language``; with
``language = "auto"`` the Telegram ``language_code`` decides (zh-CN when it is neither zh nor en).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from app import roster
from app.services import Services, services_of
from handlers.render import Names, Words, action_word, format_datetime, role_word, status_word
from ledger.errors import AlreadyDone, InvalidValue, LedgerError, MissingReason, NotAllowed
from ledger.model import Person, Role
from locales import Html, placeholders, to_plain

log = logging.getLogger(__name__)
TOAST_LIMIT = 200  # answerCallbackQuery shows at most 200 characters

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
RoleHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, "Who"], Coroutine[Any, Any, None]]


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

    @property
    def unit(self) -> str | None:
        """The unit of a contact or leader; ``None`` for inspectors and unknown users."""
        return None if self.person is None else self.person.unit

    @property
    def words(self) -> Words:
        """This person's language, the configured zone and the current instant."""
        return Words.of(self.services, self.lang)

    def t(self, key: str, **params: Any) -> Html:
        return self.services.catalog.t(self.lang, key, **params)

    def plain(self, key: str, **params: Any) -> str:
        return self.services.catalog.plain(self.lang, key, **params)


def person_for(services: Services, user: User) -> Person | None:
    """The known person behind a Telegram user, or ``None`` (R21; ``app.roster.person_for``)."""
    return roster.person_for(services, user.id, user.full_name or str(user.id))


def language_for(services: Services, person: Person | None, user: User | None) -> str:
    catalog = services.catalog
    if person is not None and person.language:
        return catalog.normalise(person.language)
    configured = services.config.bot.language
    if configured != "auto":
        return configured
    return catalog.normalise(user.language_code if user else None)


def language_of_id(services: Services, user_id: int) -> str:
    """The language to write to a user we only know by id (e.g. to tell an inspector their
    invite was used): their stored choice, else the configured default."""
    person = services.store.registry.get_person(user_id)
    return language_for(services, person, None)


def who_is(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who | None:
    """Resolve the sender of an update; ``None`` for updates without a user (channel posts)."""
    user = update.effective_user
    if user is None:
        return None
    services = services_of(context)
    person = person_for(services, user)
    return Who(services, user, person, language_for(services, person, user))


def is_private(update: Update) -> bool:
    """Whether the update comes from a private chat (where ledger data may be shown)."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


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
    The caller still answers the callback query.
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


async def stale_button(update: Update, who: Who) -> None:
    """The answer to a button that no longer means anything — stale, or forged data (R22):
    a toast and nothing else. Unknown users get the refusal instead."""
    query = update.callback_query
    if query is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    await query.answer(who.plain("button.stale"), show_alert=True)


# --------------------------------------------------------------------------- error wording

_PARAM_WORDS: dict[str, Callable[[Words, Any], str]] = {
    "action": action_word,
    "status": status_word,
    "role": role_word,
}


def word_error(who: Who, error: LedgerError, **context: Any) -> Html:
    """A domain failure in the user's words.

    ``error.key`` names the message and ``error.params`` fill it; ``context`` supplies what
    the raiser did not know (e.g. ``item_id`` for ``InvalidTransition``). Values are turned
    into words: ``action``/``status``/``role`` through the catalog, ``by`` into a name (as
    ``who``), ``at`` into a local date and time; ``InvalidValue`` gets a ``detail`` sentence
    from its ``field``/``problem``/``max``/``value``, ``MissingReason`` an ``example``.
    A placeholder still without a value gets a neutral word ("该事项", "—"), never an error.
    """
    catalog = who.services.catalog
    words = who.words
    raw: dict[str, Any] = {k: v for k, v in context.items() if v is not None}
    raw.update({k: v for k, v in error.params.items() if v is not None})
    key = error.key if catalog.has(error.key) else "error.generic"
    if isinstance(error, NotAllowed) and "action" in raw and "role" in raw:
        key = "error.not_allowed_status" if "status" in raw else "error.not_allowed_action"
    elif isinstance(error, AlreadyDone) and ("by" not in raw or "at" not in raw):
        key = "error.already_done_status"

    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _PARAM_WORDS:
            values[name] = _PARAM_WORDS[name](words, value)
        elif isinstance(value, datetime):
            values[name] = format_datetime(words, value)
        else:
            values[name] = value
    if "by" in raw:
        values["who"] = Names(who.services, words)(_as_int(raw["by"]))
    if "at" in raw and isinstance(raw["at"], datetime):
        values["when"] = format_datetime(words, raw["at"])
    if isinstance(error, InvalidValue):
        values["detail"] = _invalid_detail(words, raw)
    if isinstance(error, MissingReason):
        action = str(raw.get("action", ""))
        example_key = f"reason_example.{action}"
        values["example"] = words.plain(
            example_key if catalog.has(example_key) else "reason_example.other"
        )
    for name in placeholders(catalog.raw(who.lang, key)) - set(values):
        values[name] = who.plain("error.this_item") if name == "item_id" else "—"
    return catalog.t(who.lang, key, **values)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _invalid_detail(words: Words, raw: dict[str, Any]) -> str:
    field = str(raw.get("field", "value"))
    field_key = f"field.{field}"
    field_word = words.plain(field_key if words.has(field_key) else "field.value")
    problem = str(raw.get("problem", "other"))
    problem_key = f"invalid.{problem}"
    if not words.has(problem_key):
        problem_key = "invalid.other"
    value = raw.get("value", "")
    return words.plain(
        problem_key,
        field=field_word,
        max=raw.get("max", ""),
        value=str(value)[:80],
    )


# --------------------------------------------------------------------------- decorators


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
        await query.answer(to_plain(text)[:TOAST_LIMIT], show_alert=True)
        return
    await send(update, text)
