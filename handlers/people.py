"""Inspectors' housekeeping: units and who is bound to them (DESIGN §5, R23).

- ``/newunit CODE 名称 [轮次]`` registers a unit (the round is the last word when it looks
  like one: it holds 轮/批/届 or a digit, e.g. ``第一轮``, ``2026年第2轮``); ``/units`` lists
  every unit with its figures (open / overdue / submitted / closed, 整改完成率), paged, each
  with a button to its open list.
- ``/invite CODE contact|leader`` answers with a single-use, expiring deep link
  ``https://t.me/<bot>?start=<code>`` and the code itself. Codes are
  ``secrets.token_urlsafe(24)`` (192 random bits, 32 characters of ``[A-Za-z0-9_-]``, far
  below Telegram's 64-character deep-link limit) and stored only hashed
  (``Registry.add_invite``); they expire after ``[workflow] invite_ttl_hours``.
- ``/people [CODE]`` lists the configured inspectors and everyone bound, by unit, paged;
  ``/revoke <id|name>`` unbinds a contact or leader: they become unknown (the refusal), their
  own command menu is removed and they are told once.

Every command here is for inspectors only; anyone else gets the usual refusal / not-allowed.
Like the ledger queries, they answer in private chats only: in a group, the unit figures,
the names and ids of the people bound and a live invitation would be shown to everyone in it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.helpers import create_deep_linked_url

from alerts.jobs import runtime_of
from app import invites, roster
from app.errors import AlreadyExists
from app.overview import Province, province
from app.services import Services, services_of
from handlers import menus
from handlers.buttons import button, parse
from handlers.common import (
    Who,
    for_roles,
    language_for,
    language_of_id,
    send,
    stale_button,
)
from handlers.queries import (
    ALL,
    counts_lines,
    page_markup,
    private_only,
    register_pager,
    unit_code,
)
from handlers.render import (
    NAME_MAX,
    Page,
    Words,
    clamp_page,
    format_datetime,
    join,
    one_line,
    paginate,
    role_word,
)
from ledger.dates import normalise_text
from ledger.errors import InvalidValue, UnknownUnit
from ledger.figures import Figures
from ledger.model import Person, Role, Unit
from locales import Catalog, Html
from locales.figures import figures_lines

log = logging.getLogger(__name__)

# Seconds between the /units warm-up's looks at whether the start-up sweep is done.
WARM_RETRY = 0.1

UNIT_NAME_LIMIT = 60
ROUND_LIMIT = 30
MEMBERS_PER_ENTRY = 8
_ROUND_HINT = re.compile(r"[轮批届0-9]|round", re.IGNORECASE)
ROLE_WORDS: dict[str, Role] = {
    "contact": Role.CONTACT,
    "联络员": Role.CONTACT,
    "leader": Role.LEADER,
    "负责人": Role.LEADER,
    "主要负责人": Role.LEADER,
    "书记": Role.LEADER,
}


# --------------------------------------------------------------------------- /newunit


def parse_newunit(args: list[str]) -> tuple[str, str, str] | None:
    """``["hz", "杭州市局党组", "第一轮"]`` → ``("HZ", "杭州市局党组", "第一轮")``; ``None`` when
    the code or name is missing. The last word is the round when there are three or more
    words and it looks like one (see the module docstring); otherwise it is part of the name.
    """
    if len(args) < 2:
        return None
    code = normalise_text(args[0]).upper()
    rest = [normalise_text(a) for a in args[1:]]
    round_ = ""
    if len(rest) >= 2 and _ROUND_HINT.search(rest[-1]):
        round_ = rest.pop()
    return code, " ".join(rest), round_


@for_roles(Role.INSPECTOR)
async def newunit_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/newunit CODE 名称 [轮次]: register an inspected unit."""
    if not await private_only(update, who):
        return
    parsed = parse_newunit(context.args or [])
    if parsed is None:
        await send(update, who.t("people.usage.newunit"))
        return
    code, name, round_ = parsed
    if len(name) > UNIT_NAME_LIMIT or len(round_) > ROUND_LIMIT:
        await send(update, who.t("people.newunit.too_long", max=UNIT_NAME_LIMIT))
        return
    try:
        unit = Unit(code=code, name=name, round=round_)
    except InvalidValue:
        await send(update, who.t("people.newunit.bad_code", code=one_line(code, 20)))
        return
    store = who.services.store
    try:
        await store.run(store.add_unit, unit)
    except AlreadyExists:
        existing = store.registry.get_unit(code)
        await send(
            update,
            who.t("people.newunit.exists", unit=code, name=existing.name if existing else code),
        )
        return
    log.info("inspector %s created unit %s", who.user.id, code)
    markup = InlineKeyboardMarkup(
        [
            [
                button(who.plain("people.button.invite_contact"), "inv", code, "contact"),
                button(who.plain("people.button.invite_leader"), "inv", code, "leader"),
            ]
        ]
    )
    await send(
        update,
        who.t("people.newunit.done", unit=code, name=name, round=round_ or "—"),
        markup,
    )


# --------------------------------------------------------------------------- /units


@functools.lru_cache(maxsize=4096)
def unit_line(catalog: Catalog, lang: str, unit: Unit, f: Figures, yellow_days: int) -> Html:
    """A unit's block in /units: a pure function of its arguments, so it is worded once per
    change of the unit's figures (a page of 200 units is mostly the same lines again)."""
    return catalog.t(
        lang,
        "people.units.line",
        unit=unit.code,
        name=one_line(unit.name, UNIT_NAME_LIMIT),
        # no round: nothing, never an empty "（—）"
        round=catalog.plain(lang, "everyday.round", round=one_line(unit.round, ROUND_LIMIT))
        if unit.round
        else "",
        figures=join(figures_lines(functools.partial(catalog.t, lang), f, yellow_days)),
    )


@functools.lru_cache(maxsize=4096)
def unit_button(code: str) -> InlineKeyboardButton:
    """A unit's button in /units (buttons are immutable: one per unit, shared by every page
    drawn, as a write to one unit redraws the province)."""
    return button(code, "unit", code)


def units_page(who: Who, args: tuple[str, ...], scope: str, page: int) -> Page | None:
    """Page ``page`` of every unit with its figures (inspectors): the units that need
    attention first (``app.overview.attention_key``), ``[workflow] page_size`` to a page, and
    the whole province's figures in the header of every page (:func:`draw_units_page`)."""
    if not who.is_inspector or args or scope != ALL:
        return None
    return draw_units_page(who.services, who.lang, page)


def draw_units_page(services: Services, lang: str, page: int) -> Page:
    """Page ``page`` of /units in ``lang``. The lines and the paging are worded (and their
    buttons made) once per state of the province and language, and each page (text and
    keyboard) once per state, language and page number (``Province.derived``), so asking
    again costs the check that nothing changed."""
    words = Words.of(services, lang)
    overview = province(services, words.now)
    if not overview.units:
        return Page(words.t("people.units.none"))
    catalog = services.catalog
    yellow, per_page = services.rules.yellow_days, services.config.workflow.page_size

    def draw(p: Province) -> tuple[list[Html], list[range], list[InlineKeyboardButton]]:
        lines = [
            unit_line(catalog, lang, u, f, yellow) for u, f in zip(p.units, p.figures, strict=True)
        ]
        buttons = [unit_button(u.code) for u in p.units]
        return lines, paginate(lines, per_page), buttons

    lines, pages, unit_buttons = overview.derived(("units", catalog, lang, yellow, per_page), draw)
    page = clamp_page(page, len(pages))

    def draw_page(p: Province) -> Page:
        shown = pages[page - 1]
        head = words.t(
            "people.units.header",
            units=len(p.units),
            figures=join(counts_lines(words, services, p.total)),
        )
        text = join(
            [head, "", "\n\n".join(lines[i] for i in shown), "", words.t("people.units.hint")]
        )
        buttons = [unit_buttons[i] for i in shown]
        return Page(text, page_markup(buttons, "units", ALL, page, len(pages)))

    return overview.derived(("units page", catalog, lang, yellow, per_page, page), draw_page)


def warm_units(services: Services) -> None:
    """Word /units' lines and draw its first page now, in each configured inspector's
    language, so the first /units after start does not word every unit's block (~15 ms at 200
    units, ~50 ms on a busy machine: it was the /units p99). Blocking: a worker thread."""
    langs = {language_of_id(services, user_id) for user_id in services.config.bot.inspectors}
    for lang in sorted(langs):
        draw_units_page(services, lang, 1)


async def _warm_units_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Once the start-up sweep has computed the day's figures (``alerts.jobs``): a repeating
    job that looks every :data:`WARM_RETRY` seconds and removes itself when it has run (it
    never waits inside a job, which would hold up a stop)."""
    if not runtime_of(context.application).started.is_set():
        return
    if context.job is not None:
        context.job.schedule_removal()
    services = services_of(context)
    try:
        await services.store.run(warm_units, services)
    except Exception:  # only a head start: /units words its pages itself if this fails
        log.warning("could not prepare the /units pages at start", exc_info=True)


def units_page_number(args: Sequence[str]) -> int | None:
    """The page ``/units`` asks for: 1 without arguments, the number in ``/units 2`` (full-width
    digits too), ``None`` for anything else."""
    if not args:
        return 1
    typed = normalise_text(args[0])
    if len(args) > 1 or not typed.isdecimal() or len(typed) > 6 or int(typed) < 1:
        return None
    return int(typed)


@for_roles(Role.INSPECTOR)
async def units_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/units [page]: every unit with its figures, those needing attention first (``/units 2``
    is the second page, as the › button; anything else gets the usage)."""
    if not await private_only(update, who):
        return
    args = context.args or []
    number = units_page_number(args)
    if number is None:
        await send(update, who.t("units.usage"))
        return
    page = units_page(who, (), ALL, number)
    assert page is not None
    await send(update, page.text, page.keyboard)


# --------------------------------------------------------------------------- /invite


def parse_role(text: str) -> Role | None:
    return ROLE_WORDS.get(normalise_text(text).lower())


async def make_invite(who: Who, context: ContextTypes.DEFAULT_TYPE, code: str, role: Role) -> Html:
    """Create an invite to unit ``code`` as ``role``; the message that carries it."""
    services = who.services
    person = who.person
    assert person is not None
    issued = await services.store.run(invites.issue, services, person, code, role)
    log.info("inspector %s invited a %s to %s", who.user.id, role, code)
    link = create_deep_linked_url(context.bot.username, issued.code)
    return who.t(
        "people.invite.done",
        unit=code,
        name=one_line(issued.unit.name, UNIT_NAME_LIMIT),
        role=role_word(who.words, role),
        link=link,
        code=issued.code,
        expires=format_datetime(who.words, issued.expires),
    )


@for_roles(Role.INSPECTOR)
async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/invite CODE contact|leader: a single-use, expiring invitation link."""
    if not await private_only(update, who):
        return
    args = context.args or []
    role = parse_role(args[1]) if len(args) == 2 else None
    if role is None:
        await send(update, who.t("people.usage.invite"))
        return
    code = unit_code(args[0])
    if code is None:
        raise UnknownUnit(unit=one_line(args[0], 20))
    await send(update, await make_invite(who, context, code, role))


@for_roles(Role.INSPECTOR)
async def invite_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``inv:<UNIT>:<role>`` (under /newunit's answer): the same as /invite."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    role = parse_role(data.args[1]) if data is not None and len(data.args) == 2 else None
    code = unit_code(data.args[0]) if data is not None and data.args else None
    if role is None or code is None or who.services.store.registry.get_unit(code) is None:
        await stale_button(update, who)
        return
    if not await private_only(update, who):
        return
    await send(update, await make_invite(who, context, code, role))
    await query.answer()


# --------------------------------------------------------------------------- /people


def people_page(who: Who, args: tuple[str, ...], scope: str, page: int) -> Page | None:
    """Page ``page`` of the people list: inspectors, then each unit's people."""
    if not who.is_inspector or args:
        return None
    services = who.services
    registry = services.store.registry
    if scope != ALL and registry.get_unit(scope) is None:
        return None
    lines: list[Html] = []
    if scope == ALL:
        for person in roster.inspectors(services):
            name = (
                one_line(person.name, NAME_MAX)
                if person.name
                else who.plain("people.people.unnamed")
            )
            lines.append(who.t("people.people.inspector", name=name, id=person.user_id))
    units = (
        registry.list_units()
        if scope == ALL
        else [u for u in registry.list_units() if u.code == scope]
    )
    for unit in units:
        lines += unit_people_lines(who, unit)
    if not lines:
        return Page(who.t("people.people.none"))
    pages = paginate(lines, services.config.workflow.page_size)
    page = clamp_page(page, len(pages))
    text = join(
        [
            who.t("people.people.header"),
            "",
            "\n\n".join(lines[i] for i in pages[page - 1]),
            "",
            who.t("people.people.hint"),
        ]
    )
    return Page(text, page_markup([], "people", scope, page, len(pages)))


@for_roles(Role.INSPECTOR)
async def people_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/people [CODE]: who is bound where."""
    if not await private_only(update, who):
        return
    args = context.args or []
    scope = ALL
    if args:
        code = unit_code(" ".join(args))
        if code is None or who.services.store.registry.get_unit(code) is None:
            raise UnknownUnit(unit=one_line(" ".join(args), 20))
        scope = code
    page = people_page(who, (), scope, 1)
    assert page is not None
    await send(update, page.text, page.keyboard)


def unit_people_lines(who: Who, unit: Unit) -> list[Html]:
    """A unit's heading with its people (leaders first), in entries of at most
    ``MEMBERS_PER_ENTRY`` people so that paging by size can split a crowded unit."""
    bound = sorted(
        who.services.store.registry.list_people(unit=unit.code),
        key=lambda p: (p.role is not Role.LEADER, p.user_id),
    )
    heading = who.t(
        "people.people.unit", unit=unit.code, name=one_line(unit.name, UNIT_NAME_LIMIT)
    )
    if not bound:
        return [join([heading, who.t("people.people.nobody")])]
    members = [
        who.t(
            "people.people.member",
            name=one_line(p.name, NAME_MAX),
            role=role_word(who.words, p.role),
            id=p.user_id,
        )
        for p in bound
    ]
    chunks = [
        members[i : i + MEMBERS_PER_ENTRY] for i in range(0, len(members), MEMBERS_PER_ENTRY)
    ]
    return [join([heading, *chunk]) if n == 0 else join(chunk) for n, chunk in enumerate(chunks)]


# --------------------------------------------------------------------------- /revoke


def find_person(who: Who, typed: str) -> Person | None:
    """A bound person by user id, or by exact name (``@`` and case ignored) when exactly one
    person has it. Configured inspectors are never found here: config owns them."""
    registry = who.services.store.registry
    text = normalise_text(typed).lstrip("@")
    if text.isdecimal():
        person = registry.get_person(int(text))
        return person if person is not None and person.role is not Role.INSPECTOR else None
    matches = [
        p
        for p in registry.list_people()
        if p.role is not Role.INSPECTOR and normalise_text(p.name).casefold() == text.casefold()
    ]
    return matches[0] if len(matches) == 1 else None


@for_roles(Role.INSPECTOR)
async def revoke_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/revoke <id|name>: unbind a contact or leader."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if not args:
        await send(update, who.t("people.usage.revoke"))
        return
    typed = " ".join(args)
    services = who.services
    digits = normalise_text(typed).lstrip("@")
    if digits.isdecimal() and roster.is_inspector(services, int(digits)):
        await send(update, who.t("people.revoke.inspector"))
        return
    person = find_person(who, typed)
    if person is None:
        await send(update, who.t("error.unknown_person", who=one_line(typed, 40)))
        return
    await services.store.run(services.store.registry.remove_person, person.user_id)
    log.info(
        "inspector %s revoked user %s (%s of %s)",
        who.user.id,
        person.user_id,
        person.role,
        person.unit,
    )
    await menus.set_person_menu(context.application, context.bot, person.user_id, None, who.lang)
    await tell_revoked(context, who, person)
    await send(
        update,
        who.t(
            "people.revoke.done",
            name=one_line(person.name, NAME_MAX),
            id=person.user_id,
            role=role_word(who.words, person.role),
            unit=person.unit or "",
        ),
    )


async def tell_revoked(context: ContextTypes.DEFAULT_TYPE, who: Who, person: Person) -> None:
    """Tell a revoked person, in their language, that they no longer have access."""
    services = who.services
    lang = language_for(services, person, None)
    text = services.catalog.t(lang, "people.revoke.notice")
    try:
        await context.bot.send_message(person.user_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.info("could not tell revoked user %s: %s", person.user_id, exc)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("newunit", newunit_command))
    app.add_handler(CommandHandler("units", units_command))
    app.add_handler(CommandHandler("invite", invite_command))
    app.add_handler(CommandHandler("people", people_command))
    app.add_handler(CommandHandler("revoke", revoke_command))
    app.add_handler(CallbackQueryHandler(invite_callback, pattern=r"^inv:"))
    register_pager(app, "units", units_page)
    if app.job_queue is not None:
        # Never "missed" (a busy start would log a warning), late looks folded into one.
        app.job_queue.run_repeating(
            _warm_units_job,
            interval=WARM_RETRY,
            first=0,
            name="warm /units",
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )
    register_pager(app, "people", people_page)
