"""Everyone's first contact: ``/start [invite]``, ``/help``, ``/lang`` (DESIGN §5, R21, R23).

- ``/start <code>`` redeems an invitation atomically (``Registry.redeem_invite``: single use,
  bound to the redeemer, expiring). A code that is malformed (charset, length) or unknown
  gets one and the same answer and changes nothing; a used one says it was used (to its
  redeemer: that they are in already) and an expired one that it expired — only whoever holds
  the real, unguessable link can learn that (:func:`invite_refusal`). A configured inspector
  is never downgraded by someone's invite: they are
  told so and the invite stays unused for the person it was meant for. On success the person
  is greeted with what they can do, gets their own command menu, and the inspector who made
  the invite is told. Someone bound to a unit whose invite would move them to another unit
  or role is asked first (:func:`ask_move`, ``mv:`` buttons); see README "Moving someone".
- ``/start`` alone greets a known person (and refreshes their menu); unknown users, whatever
  they send, get the one refusal that reveals nothing (``access.refused``).
- ``/help`` is per role: a few short sections (bold heading, commands with examples) of what
  the person can do — queries, progress, evidence, close-out for contacts; endorsement for
  leaders; units, people, verification, the ledger file and statistics for inspectors. A
  section shows only while its command is in the person's menu (``handlers.menus``: features
  that are registered; no signing without endorsement), so help and menu always agree.
- ``/lang zh|en`` (or the buttons of ``/lang``) stores the choice and redraws the menu in it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from app import invites
from app.errors import InviteRejected
from app.invites import Redeemed
from app.records import Invite
from app.services import Services, services_of
from handlers import menus
from handlers.buttons import button, parse
from handlers.common import (
    Who,
    edit_or_send,
    for_roles,
    language_for,
    language_of_id,
    refuse,
    send,
    stale_button,
    who_is,
)
from handlers.render import join, one_line, role_word
from ledger.errors import UnknownUnit
from ledger.invites import may_redeem, well_formed
from ledger.model import Person, Role
from locales import Html

log = logging.getLogger(__name__)

MOVE_VERB = "mv"  # mv:ok|no:<code>:<UNIT>:<role> — 确认 / 取消 a move to another unit or role

# What an invite code may look like before it is even looked up is ledger.invites.well_formed
# (R23): anything else is refused without touching the registry.

LANGUAGE_WORDS: dict[str, str] = {
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh-hans": "zh-CN",
    "cn": "zh-CN",
    "中文": "zh-CN",
    "简体中文": "zh-CN",
    "汉语": "zh-CN",
    "chinese": "zh-CN",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
}


# --------------------------------------------------------------------------- help


# Each role's /help, in order: (section, command). ``help.section.<section>`` is shown while
# ``command`` is in the person's menu (``menus.menu``: registered, and signing only with
# endorsement switched on). A test checks that the commands the sections name are exactly the
# role's menu.
HELP_SECTIONS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CONTACT: (
        ("queries", "open"),
        ("progress", "progress"),
        ("evidence", "evidence"),
        ("submit", "submit"),
        ("extend", "extend"),
        ("more", "lang"),
    ),
    Role.LEADER: (
        ("todo_leader", "todo"),
        ("queries", "open"),
        ("endorse", "endorse"),
        ("unit_work", "progress"),
        ("extend", "extend"),
        ("leader_report", "report"),
        ("more", "lang"),
    ),
    Role.INSPECTOR: (
        ("todo_inspector", "todo"),
        ("units", "units"),
        ("inspector_queries", "open"),
        ("review", "approve"),
        ("ledger", "export"),
        ("survey", "survey"),
        ("lookback", "lookback"),
        ("report", "report"),
        ("feedback", "feedback"),
        ("channels", "channels"),
        ("more", "lang"),
    ),
}


def help_text(app: Application[Any, Any, Any, Any, Any, Any], who: Who) -> Html:
    """What the person's role can do, a bold-headed section per area with examples; sections
    follow the person's menu (see :data:`HELP_SECTIONS`). Short enough for a phone screen."""
    services = who.services
    role = who.role or Role.CONTACT
    menu = {c.command for c in menus.menu(app, services, who.lang, role)}
    unit = who.unit or "HZ"
    params = {
        "unit": unit,
        "item_id": f"{unit}-007",
        "progress_button": who.plain("workflow.button.progress"),
        "evidence_button": who.plain("evidence.button.upload"),
        "submit_button": who.plain("workflow.button.submit"),
        "endorse_button": who.plain("workflow.button.endorse"),
    }
    direct = not services.config.rules.endorsement_required
    lines: list[str] = [who.t("help.title", role=role_word(who.words, role))]
    for section, command in HELP_SECTIONS[role]:
        if command not in menu:
            continue
        key = "submit_direct" if section == "submit" and direct else section
        lines += ["", who.t(f"help.section.{key}", **params)]
    return join(lines)


def greeting(app: Application[Any, Any, Any, Any, Any, Any], who: Who, key: str) -> Html:
    """A greeting (``key``) followed by the person's help."""
    person = who.person
    assert person is not None
    unit = services_unit_name(who)
    head = who.t(
        key,
        name=one_line(person.name, 40),
        role=role_word(who.words, person.role),
        unit=person.unit or "",
        unit_name=unit,
    )
    return join([head, "", help_text(app, who)])


def services_unit_name(who: Who) -> str:
    if who.unit is None:
        return ""
    unit = who.services.store.registry.get_unit(who.unit)
    return one_line(unit.name, 80) if unit is not None else who.unit


# --------------------------------------------------------------------------- /start


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [code]: redeem an invitation, or greet a known person."""
    who = who_is(update, context)
    if who is None:
        return
    args = context.args or []
    if args:
        await redeem(update, context, who, args)
        return
    if who.person is None:
        await refuse(update, who)
        return
    await remember_inspector(who)
    await menus.refresh(context.application, context.bot, who)
    await send(update, greeting(context.application, who, f"start.welcome_back.{who.role}"))


async def remember_inspector(who: Who) -> None:
    """Keep a configured inspector's current Telegram name in the registry, so that /people
    and histories can name them (config holds only their ids)."""
    person = who.person
    if person is None or not who.is_inspector:
        return
    name = one_line(who.user.full_name or str(who.user.id), 64)
    stored = who.services.store.registry.get_person(who.user.id)
    if stored is None or stored.role is not Role.INSPECTOR or stored.name != name:
        registry = who.services.store.registry
        await who.services.store.run(registry.upsert_person, replace(person, name=name))


def invite_refusal(exc: Exception, user_id: int) -> str:
    """The words for a refused invitation: a link already used says so (the redeemer who
    opens it again is told they are in); an expired one says so; anything else — unknown,
    malformed — gets the one answer that reveals nothing (R23). Only a holder of the real,
    unguessable code can learn it was used or expired: that is the person it was sent to."""
    if isinstance(exc, InviteRejected) and exc.invite is not None:
        if exc.reason == "used":
            mine = exc.invite.used_by == user_id
            return "everyday.invite.used_by_you" if mine else "everyday.invite.used"
        if exc.reason == "expired":
            return "everyday.invite.expired"
    return "start.invite_invalid"


async def redeem(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, args: list[str]
) -> None:
    """Use the invitation ``args[0]`` for the sender (R23); someone bound elsewhere is asked
    first (:func:`ask_move`)."""
    code = args[0] if len(args) == 1 else ""
    if not well_formed(code):
        await send(update, who.t("start.invite_invalid"))
        return
    if not may_redeem(who.person):
        await send(update, who.t("start.invite_inspector"))
        return
    await use_invite(update, context, who, code, None)


async def use_invite(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    code: str,
    move_from: tuple[str, Role] | None,
) -> None:
    """Redeem ``code`` (``app.invites.redeem``; ``move_from``: the binding the sender
    confirmed to leave), then greet, refresh the menu and tell whoever is to hear of it."""
    services = who.services
    user = who.user
    name = one_line(user.full_name or str(user.id), 64)
    try:
        used = await services.store.run(
            invites.redeem, services, code, user_id=user.id, name=name, move_from=move_from
        )
    except InviteRejected as exc:
        if exc.reason == "move" and exc.invite is not None and exc.current is not None:
            await ask_move(update, who, code, exc.invite, exc.current)
            return
        log.info("invite refused for user %s: %s", user.id, exc)
        await edit_or_send(update, who.t(invite_refusal(exc, user.id)))
        return
    except UnknownUnit as exc:
        log.info("invite refused for user %s: %s", user.id, exc)
        await edit_or_send(update, who.t(invite_refusal(exc, user.id)))
        return
    person = used.person
    log.info("user %s bound as %s of %s", user.id, person.role, person.unit)
    bound = Who(services, user, person, language_for(services, person, user))
    await menus.refresh(context.application, context.bot, bound)
    if used.left is not None:
        await edit_or_send(update, bound.t("invite_move.moved", **_old_params(bound, used.left)))
    await send(update, greeting(context.application, bound, "start.welcome"))
    if used.left is not None:
        await tell_move(context, used)
    if used.invite.created_by not in {p.user_id for p in used.told}:  # told once
        await tell_inviter(context, used.invite, person)


def _unit_name(services: Services, code: str | None) -> str:
    unit = services.store.registry.get_unit(code or "")
    return one_line(unit.name, 80) if unit is not None else (code or "")


def _old_params(who: Who, old: Person) -> dict[str, Any]:
    return {
        "old_unit": old.unit or "",
        "old_unit_name": _unit_name(who.services, old.unit),
        "old_role": role_word(who.words, old.role),
    }


async def ask_move(update: Update, who: Who, code: str, invite: Invite, current: Person) -> None:
    """ "您目前是 A 的联络员 … 确认更改吗？" with 确认 / 取消: nothing changes before 确认, and
    the buttons carry the binding being left, so a press after it changed asks again."""
    params = {
        **_old_params(who, current),
        "new_unit": invite.unit or "",
        "new_unit_name": _unit_name(who.services, invite.unit),
        "new_role": role_word(who.words, invite.role),
    }
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(
                    who.plain("invite_move.yes"),
                    MOVE_VERB,
                    "ok",
                    code,
                    current.unit or "",
                    str(current.role),
                ),
                button(
                    who.plain("invite_move.no"),
                    MOVE_VERB,
                    "no",
                    code,
                    current.unit or "",
                    str(current.role),
                ),
            ]
        ]
    )
    await edit_or_send(update, who.t("invite_move.ask", **params), keyboard)


async def move_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认 / 取消 under :func:`ask_move` (``mv:ok|no:<code>:<UNIT>:<role>``). Every check of
    ``/start <code>`` is made again; 确认 moves only from the binding the question named."""
    who = who_is(update, context)
    query = update.callback_query
    if who is None or query is None:
        return
    if who.person is None:  # only someone bound is ever asked; a stranger opens the link
        await refuse(update, who)
        return
    parsed = parse(query.data)
    args = parsed.args if parsed is not None else ()
    if (
        len(args) != 4
        or args[0] not in ("ok", "no")
        or not well_formed(args[1])
        or args[3] not in (str(Role.CONTACT), str(Role.LEADER))
    ):
        await stale_button(update, who)
        return
    decision, code, unit, role = args[0], args[1], args[2], Role(args[3])
    await query.answer()
    if decision == "no":
        await edit_or_send(update, who.t("invite_move.cancelled", **_old_params(who, who.person)))
        return
    if not may_redeem(who.person):
        await edit_or_send(update, who.t("start.invite_inspector"))
        return
    await use_invite(update, context, who, code, (unit, role))


async def tell_move(context: ContextTypes.DEFAULT_TYPE, used: Redeemed) -> None:
    """Tell each of ``used.told`` once that ``used.left`` moved (best effort): inspectors with
    the unit's vacancy if there is one, the unit's people that their contact or leader left."""
    services = services_of(context)
    left, person = used.left, used.person
    assert left is not None
    for reader in used.told:
        lang = language_for(services, reader, None)
        words = services.catalog
        params = {
            "name": one_line(person.name, 40),
            "user_id": person.user_id,
            "old_unit": left.unit or "",
            "old_unit_name": _unit_name(services, left.unit),
            "old_role": words.plain(lang, f"role.{left.role}"),
            "old_role_arg": str(left.role),
            "new_unit": person.unit or "",
            "new_unit_name": _unit_name(services, person.unit),
            "new_role": words.plain(lang, f"role.{person.role}"),
        }
        if reader.role is Role.INSPECTOR:
            text = words.t(lang, "invite_move.told_inspector", **params)
            if used.vacant:
                text = join([text, words.t(lang, "invite_move.vacant", **params)])
        else:
            text = words.t(lang, "invite_move.told_unit", **params)
        try:
            await context.bot.send_message(reader.user_id, text, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("could not tell %s of a move: %s", reader.user_id, exc)


async def tell_inviter(context: ContextTypes.DEFAULT_TYPE, invite: Invite, person: Person) -> None:
    """Tell the inspector who made ``invite`` that ``person`` used it (best effort)."""
    if invite.created_by == person.user_id:
        return
    services = services_of(context)
    lang = language_of_id(services, invite.created_by)
    unit = services.store.registry.get_unit(person.unit or "")
    text = services.catalog.t(
        lang,
        "start.invite_used",
        name=one_line(person.name, 40),
        user_id=person.user_id,
        role=services.catalog.plain(lang, f"role.{person.role}"),
        unit=person.unit or "",
        unit_name=one_line(unit.name, 80) if unit is not None else "",
    )
    try:
        await context.bot.send_message(invite.created_by, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning(
            "could not tell inspector %s that an invite was used: %s", invite.created_by, exc
        )


# --------------------------------------------------------------------------- /help


@for_roles()
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/help: what this person can do, with examples."""
    await menus.refresh(context.application, context.bot, who)
    await send(update, help_text(context.application, who))


# --------------------------------------------------------------------------- /lang


def parse_language(text: str) -> str | None:
    """``zh``/``中文``/``en``/``English`` … → a catalog language, or ``None``."""
    return LANGUAGE_WORDS.get(text.strip().lower())


def language_keyboard(who: Who) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(who.plain("lang.button.zh"), "lang", "zh"),
                button(who.plain("lang.button.en"), "lang", "en"),
            ]
        ]
    )


@for_roles()
async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/lang [zh|en]: show or switch the language of replies and menu."""
    args = context.args or []
    if not args:
        await send(
            update,
            who.t("lang.current", language=who.plain(f"lang.name.{who.lang}")),
            language_keyboard(who),
        )
        return
    lang = parse_language(" ".join(args))
    if lang is None:
        await send(update, who.t("lang.usage"), language_keyboard(who))
        return
    switched = await set_language(context, who, lang)
    await send(update, switched.t("lang.set"))


async def lang_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The 中文 / English buttons of /lang (``lang:zh`` / ``lang:en``)."""
    who = who_is(update, context)
    query = update.callback_query
    if who is None or query is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    parsed = parse(query.data)
    lang = parse_language(parsed.args[0]) if parsed and len(parsed.args) == 1 else None
    if lang is None:
        await stale_button(update, who)
        return
    switched = await set_language(context, who, lang)
    await edit_or_send(update, switched.t("lang.set"))
    await query.answer()


async def set_language(context: ContextTypes.DEFAULT_TYPE, who: Who, lang: str) -> Who:
    """Store ``lang`` as the person's choice and redraw their menu; the updated ``Who``."""
    person = who.person
    assert person is not None
    services = who.services
    updated = replace(person, language=lang)
    await services.store.run(services.store.registry.upsert_person, updated)
    switched = Who(services, who.user, updated, lang)
    await menus.refresh(context.application, context.bot, switched)
    return switched


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", lang_command))
    app.add_handler(CallbackQueryHandler(lang_button, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(move_button, pattern=rf"^{MOVE_VERB}:"))
