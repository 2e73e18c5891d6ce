"""What people ask the ledger (DESIGN §5): lists, cards and histories, paged with buttons.

Commands (private chats only — ledger data is never shown in a group):

- everyone known: ``/open [CODE]`` every item not yet closed (red → yellow → green, then by
  deadline); ``/overdue [CODE]`` the red ones; ``/due [days] [CODE]`` deadlines from today to
  today + days (default ``[alerts] due_days``); ``/item ID`` the full card; ``/history ID``
  every event, oldest first;
- inspectors also: ``/unit CODE`` (the unit's figures and open list) and the unit argument
  above — without it they see every unit. A contact's or leader's scope is their own unit: a
  unit argument naming any other unit answers exactly like a unit that does not exist.

Buttons (callback data, never trusted — each is re-checked like the typed command, R22):
``card:<ITEM>`` sends the card; ``hist:<ITEM>`` the history; ``unit:<CODE>`` a unit's list;
``page:<list>:<scope>:<page>`` redraws a paged list in place. ``<list>`` is a pager name plus
``_``-separated arguments (``open``, ``overdue``, ``due_20260302_20260309``, ``unit``,
``hist``, and ``people``/``units`` registered by handlers.people); ``<scope>`` is a unit code,
``all`` or an item id. Data that does not parse, a scope the presser may not see, or a list
that no longer exists gets the "button expired" toast and nothing else. Another unit's item
answers exactly like a missing one (same words, no buttons), typed or pressed.

Lists compute each item's light with ``ledger.light`` through ``handlers.render.view_item``,
which reads an item's history only when it can change the light (see there): a list of 1,000
items reads no history at all unless items are idle.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from app import overview
from app.records import Ledger
from app.services import Services
from handlers.buttons import Callback, card_button, parse
from handlers.common import (
    Who,
    edit_or_send,
    for_roles,
    is_private,
    reply_text,
    send,
    stale_button,
    word_error,
)
from handlers.paper_render import unit_paper_lines
from handlers.render import (
    ItemView,
    Names,
    Page,
    Words,
    button_rows,
    card_keyboard,
    clamp_page,
    enabled_card_actions,
    format_date,
    history_line,
    item_button,
    item_card,
    item_line,
    join,
    keyboard,
    one_line,
    paginate,
    paging_row,
    view_item,
)
from ledger.access import Action, require_visible
from ledger.calendar import local_date
from ledger.dates import normalise_item_id, normalise_text
from ledger.errors import LedgerError, UnknownItem, UnknownUnit
from ledger.figures import Figures, format_rate
from ledger.model import Item, Light, Role, Status, split_item_id, valid_unit_code
from locales import Html
from locales.figures import figures_lines, light_parts

log = logging.getLogger(__name__)

ALL = "all"  # the scope "every unit" (lower case: unit codes are upper case)
PAGERS_KEY = "pagers"
MAX_DUE_DAYS = 366
UNIT_NAME_MAX = 60

Pager = Callable[[Who, tuple[str, ...], str, int], Page | None]
"""``pager(who, args, scope, page) -> Page`` draws page ``page`` of a list for ``who``, or
returns ``None`` when the list cannot be drawn for them (stale or forged button)."""


# --------------------------------------------------------------------------- pager registry


def register_pager(
    app: Application[Any, Any, Any, Any, Any, Any], name: str, pager: Pager
) -> None:
    """Make ``page:<name>[_args]:<scope>:<n>`` buttons redraw through ``pager``."""
    pagers: dict[str, Pager] = app.bot_data.setdefault(PAGERS_KEY, {})
    if name in pagers:
        raise ValueError(f"pager {name!r} registered twice")
    pagers[name] = pager


def _pager(context: ContextTypes.DEFAULT_TYPE, name: str) -> Pager | None:
    pagers = context.bot_data.get(PAGERS_KEY, {})
    found = pagers.get(name) if isinstance(pagers, dict) else None
    return found if callable(found) else None


def page_markup(
    buttons: Sequence[InlineKeyboardButton], token: str, scope: str, page: int, pages: int
) -> Any:
    """Item (or unit) buttons two to a row, then « ‹ x/y › » when there is more than a page."""
    rows = button_rows(buttons)
    if pages > 1:
        rows.append(paging_row(token, scope, page, pages))
    return keyboard(rows)


# --------------------------------------------------------------------------- scopes


def unit_code(text: str) -> str | None:
    """What someone typed as a unit code (``hz``, ``ＨＺ``), normalised, or ``None``."""
    code = normalise_text(text).upper()
    return code if valid_unit_code(code) else None


def resolve_scope(who: Who, requested: str | None) -> str:
    """The unit (or ``ALL``) a query covers. Inspectors: every unit, or the one named.
    Contacts and leaders: their own unit; naming another — existing or not — raises the
    same ``UnknownUnit`` (R22)."""
    registry = who.services.store.registry
    code = unit_code(requested) if requested is not None else None
    if who.is_inspector:
        if requested is None:
            return ALL
        if code is None or registry.get_unit(code) is None:
            raise UnknownUnit(unit=one_line(requested, 20))
        return code
    own = who.unit
    assert own is not None
    if requested is None or code == own:
        return own
    raise UnknownUnit(unit=one_line(requested, 20))


def scope_allowed(who: Who, scope: str) -> bool:
    """Whether a scope carried by a button is one ``who`` may see now (R22)."""
    if who.is_inspector:
        return scope == ALL or who.services.store.registry.get_unit(scope) is not None
    return scope == who.unit


def scope_name(who: Who, scope: str) -> str:
    if scope == ALL:
        return who.plain("queries.scope.all")
    unit = who.services.store.registry.get_unit(scope)
    name = one_line(unit.name, UNIT_NAME_MAX) if unit is not None else scope
    return who.plain("queries.scope.unit", unit=scope, name=name)


def units_in(services: Services, scope: str) -> list[str]:
    if scope == ALL:
        return [ledger.unit for ledger in services.store.ledgers()]
    return [scope]


# --------------------------------------------------------------------------- list specs


@dataclass(frozen=True)
class ListSpec:
    """Which items a list shows: ``kind`` ``open`` | ``overdue`` | ``due`` (deadline from
    ``start`` to ``end``, both included) | ``unit`` (open, under the unit's figures) |
    ``sign`` (待签字, waiting for the leader) | ``verify`` (待核验, waiting for inspectors)."""

    kind: str
    scope: str
    start: date | None = None
    end: date | None = None

    @property
    def token(self) -> str:
        """The ``<list>`` part of this list's page buttons."""
        if self.kind == "due" and self.start is not None and self.end is not None:
            return f"due_{self.start:%Y%m%d}_{self.end:%Y%m%d}"
        return self.kind

    def keeps(self, view: ItemView) -> bool:
        item = view.item
        if not item.status.is_active:
            return False
        if self.kind == "overdue":
            return view.light is Light.RED
        if self.kind == "sign":
            return item.status is Status.SUBMITTED
        if self.kind == "verify":
            return item.status is Status.ENDORSED
        if self.kind == "due":
            deadline = item.deadline
            return (
                not item.long_term
                and deadline is not None
                and self.start is not None
                and self.end is not None
                and self.start <= deadline <= self.end
                and view.light is not Light.RED
            )
        return True


def _ymd(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None


def due_spec(scope: str, args: tuple[str, ...]) -> ListSpec | None:
    if len(args) != 2:
        return None
    start, end = _ymd(args[0]), _ymd(args[1])
    if start is None or end is None or end < start or (end - start).days > MAX_DUE_DAYS:
        return None
    return ListSpec("due", scope, start, end)


def collect(services: Services, spec: ListSpec, now: datetime) -> list[ItemView]:
    """The items of ``spec`` in list order (red → yellow → green, deadline, id)."""
    codes = units_in(services, spec.scope)
    views: list[ItemView] = []
    for code in codes:
        views.extend(ledger_views(services, services.store.ledger(code), spec, now))
    if len(codes) > 1:
        views.sort(key=lambda v: v.sort_key)
    return views


def ledger_views(
    services: Services, ledger: Ledger, spec: ListSpec, now: datetime
) -> tuple[ItemView, ...]:
    """The items of ``spec`` in one ledger, in list order; kept per committed ledger state
    and day (``Ledger.derived``: lights, days left and status-since moments are counted in
    days, and every write starts afresh), so a list read again decodes no history."""
    tz, rules = services.config.tz, services.rules

    def compute(items: list[Item]) -> tuple[ItemView, ...]:
        views: list[ItemView] = []
        for item in items:
            if not item.status.is_active:
                continue
            view = view_item(item, now, tz, rules, functools.partial(ledger.events, item.id))
            if spec.keeps(view):
                views.append(view)
        views.sort(key=lambda v: v.sort_key)
        return tuple(views)

    key = ("views", spec.kind, spec.start, spec.end, local_date(now, tz), str(tz), rules)
    return ledger.derived(key, compute)


class Listed(NamedTuple):
    """A list ready to draw: its items in list order, their lines in one language, the pages
    those lines make and each item's card button (buttons are immutable: shared by pages)."""

    views: Sequence[ItemView]
    lines: Sequence[Html]
    pages: Sequence[range]
    buttons: Sequence[InlineKeyboardButton]


def list_lines(who: Who, spec: ListSpec) -> Listed:
    """The items of ``spec``, their list lines in ``who``'s words, the pages they make and
    their buttons. One unit's are kept with its views (per ledger state, day, language and
    page size): a contact's /open words and pages its lines once a day and after each
    write, not on every request."""
    services, words = who.services, who.words
    per_page = services.config.workflow.page_size

    def listed(views: Sequence[ItemView]) -> Listed:
        lines = tuple(item_line(words, v) for v in views)
        buttons = tuple(item_button(v) for v in views)
        return Listed(views, lines, tuple(paginate(lines, per_page)), buttons)

    codes = units_in(services, spec.scope)
    if len(codes) != 1:
        return listed(collect(services, spec, words.now))
    ledger = services.store.ledger(codes[0])

    def compute(items: list[Item]) -> Listed:
        return listed(ledger_views(services, ledger, spec, words.now))

    tz = services.config.tz
    key = ("lines", spec.kind, spec.start, spec.end, words.today, str(tz), services.rules)
    return ledger.derived((*key, words.lang, per_page), compute)


# --------------------------------------------------------------------------- unit figures


def counts_lines(words: Words, services: Services, f: Figures) -> list[Html]:
    """A unit's (or all units') figures block, as every screen writes it."""
    return figures_lines(words.t, f, services.rules.yellow_days)


# --------------------------------------------------------------------------- drawing lists


def draw_list(who: Who, spec: ListSpec, page: int) -> Page:
    """Page ``page`` of ``spec`` for ``who`` (the scope must already be checked).

    A page of one unit's list (a contact's /open, an inspector's /open CODE …) is drawn once
    per committed ledger state, day, language, page size, page number and the unit's shown
    name (``Ledger.derived``, as its lines are): asking again costs the look-up. Not a unit's
    own list (``/unit``: its header shows papers kept outside the ledger) nor a list across
    units, which are drawn each time."""
    services = who.services
    if spec.kind == "unit" or spec.scope == ALL:
        return _draw_list(who, spec, page)
    ledger = services.store.ledger(spec.scope)
    words = who.words
    key = (
        "list page",
        spec,
        words.today,
        str(services.config.tz),
        services.rules,
        who.lang,
        services.config.workflow.page_size,
        page,
        scope_name(who, spec.scope),
    )
    return ledger.derived(key, lambda items: _draw_list(who, spec, page))


def _draw_list(who: Who, spec: ListSpec, page: int) -> Page:
    words = who.words
    views, lines, pages, item_buttons = list_lines(who, spec)
    page = clamp_page(page, len(pages))
    shown = pages[page - 1]
    parts: list[str] = [_list_header(who, words, spec, views)]
    if views:
        parts += ["", join(["\n\n".join(lines[i] for i in shown)])]
        parts += ["", who.t("queries.tap_hint")]
    else:
        parts += ["", who.t(f"queries.empty.{spec.kind}")]
    buttons = [item_buttons[i] for i in shown]
    markup = page_markup(buttons, spec.token, spec.scope, page, len(pages))
    return Page(join(parts), markup)


def _list_header(who: Who, words: Words, spec: ListSpec, views: Sequence[ItemView]) -> Html:
    lights = {lit: sum(1 for v in views if v.light is lit) for lit in Light}
    where = scope_name(who, spec.scope)
    if spec.kind == "unit":
        unit = who.services.store.registry.get_unit(spec.scope)
        head = who.t(
            "queries.header.unit",
            name=one_line(unit.name, UNIT_NAME_MAX) if unit else spec.scope,
            unit=spec.scope,
            round=one_line(unit.round, 30) if unit and unit.round else "—",
        )
        f = overview.unit_figures(who.services, spec.scope, words.now)
        paper = unit_paper_lines(who.services, words, spec.scope, comments=who.is_inspector)
        return join([head, *counts_lines(words, who.services, f), *paper])
    params: dict[str, Any] = {"scope": where}
    if spec.kind == "due" and spec.start is not None and spec.end is not None:
        params["start"] = format_date(words, spec.start)
        params["end"] = format_date(words, spec.end)
    title = who.t(f"queries.header.{spec.kind}", **params)
    if not views:
        return title
    tally = who.t(
        f"queries.tally.{spec.kind}", total=len(views), lights=light_parts(who.t, lights)
    )
    return join([title, tally])


def _list_pager(kind: str) -> Pager:
    def pager(who: Who, args: tuple[str, ...], scope: str, page: int) -> Page | None:
        if not scope_allowed(who, scope):
            return None
        if kind == "due":
            spec = due_spec(scope, args)
            if spec is None:
                return None
        elif args or (kind == "unit" and scope == ALL):
            return None
        else:
            spec = ListSpec(kind, scope)
        if kind == "unit" and not who.is_inspector:
            return None
        return draw_list(who, spec, page)

    return pager


# --------------------------------------------------------------------------- cards


def find_item(who: Who, typed: str) -> Item:
    """The item ``typed`` names (``HZ-007``, ``hz-7``, ``ＨＺ－００７``) if ``who`` may see it;
    ``UnknownItem`` otherwise — the same for a missing item and another unit's (R22)."""
    person = who.person
    assert person is not None
    item_id = normalise_item_id(typed)
    if item_id is None:
        raise UnknownItem(item_id=one_line(typed, 24))
    unit, _ = split_item_id(item_id)
    item: Item | None = None
    if who.services.store.registry.get_unit(unit) is not None:
        try:
            item = who.services.store.ledger(unit).get_item(item_id)
        except UnknownUnit:
            item = None
    return require_visible(item, person, item_id)


def draw_card(who: Who, item: Item, actions: Mapping[Action, str]) -> Page:
    """An item's card and its keyboard: the enabled workflow ``actions`` the person may take
    now (see ``handlers.render.enable_card_actions``) and the history button."""
    services = who.services
    person = who.person
    assert person is not None
    words = who.words
    ledger = services.store.ledger(item.unit)
    view = view_item(
        item,
        words.now,
        services.config.tz,
        services.rules,
        functools.partial(ledger.events, item.id),
    )
    unit = services.store.registry.get_unit(item.unit)
    text = item_card(
        words, view, services.rules, Names(services, words), unit.name if unit else None
    )
    markup = card_keyboard(words, item, person, services.rules, actions)
    return Page(text, markup)


def draw_history(who: Who, item: Item, page: int) -> Page:
    """Page ``page`` of an item's history, oldest event first."""
    services = who.services
    words = who.words
    events = services.store.ledger(item.unit).events(item.id)
    names = Names(services, words)
    lines = [history_line(words, e, names) for e in events]
    pages = paginate(lines, services.config.workflow.page_size)
    page = clamp_page(page, len(pages))
    body = "\n\n".join(lines[i] for i in pages[page - 1])
    head = who.t("queries.header.history", item_id=item.id, total=len(events))
    rows: list[list[InlineKeyboardButton]] = [
        [card_button(who.plain("queries.button.card"), item.id)]
    ]
    if len(pages) > 1:
        rows.append(paging_row("hist", item.id, page, len(pages)))
    return Page(join([head, "", body or who.t("queries.empty.history")]), keyboard(rows))


def _history_pager(who: Who, args: tuple[str, ...], scope: str, page: int) -> Page | None:
    if args:
        return None
    try:
        item = find_item(who, scope)
    except LedgerError:
        return None
    return draw_history(who, item, page)


# --------------------------------------------------------------------------- entry points
# Phrases (handlers.phrases) route here too, so typed words and commands answer alike.


async def private_only(update: Update, who: Who) -> bool:
    """Ledger data is shown in private chats only; elsewhere say where to ask. True if the
    caller may go on."""
    if is_private(update):
        return True
    await reply_text(update, who, who.t("queries.private_only"))
    return False


async def show_list(
    update: Update,
    who: Who,
    kind: str,
    unit: str | None = None,
    window: tuple[date, date] | None = None,
) -> None:
    """Send page 1 of a list (``kind`` open | overdue | due | unit | sign | verify)."""
    if not await private_only(update, who):
        return
    scope = resolve_scope(who, unit)
    if kind == "due":
        assert window is not None
        spec = ListSpec("due", scope, window[0], window[1])
    else:
        spec = ListSpec(kind, scope)
    page = draw_list(who, spec, 1)
    await send(update, page.text, page.keyboard)


async def show_card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, typed: str
) -> None:
    """Send the card of the item ``typed`` names, or the unknown-item answer."""
    if not await private_only(update, who):
        return
    try:
        item = find_item(who, typed)
    except UnknownItem as error:
        await reply_text(update, who, word_error(who, error))
        return
    page = draw_card(who, item, enabled_card_actions(context.bot_data))
    await send(update, page.text, page.keyboard)


async def show_history(update: Update, who: Who, typed: str) -> None:
    """Send page 1 of the history of the item ``typed`` names."""
    if not await private_only(update, who):
        return
    try:
        item = find_item(who, typed)
    except UnknownItem as error:
        await reply_text(update, who, word_error(who, error))
        return
    page = draw_history(who, item, 1)
    await send(update, page.text, page.keyboard)


def due_window(words: Words, days: int) -> tuple[date, date]:
    """Today to today + ``days`` (in the configured zone)."""
    today = words.today
    return today, today + timedelta(days=days)


def parse_days(text: str) -> int | None:
    """A number of days typed as an argument (full-width digits too), 1 … 366."""
    s = normalise_text(text)
    if not s.isdecimal():
        return None
    n = int(s)
    return n if 1 <= n <= MAX_DUE_DAYS else None


# --------------------------------------------------------------------------- commands


def _one_unit_arg(args: Sequence[str]) -> str | None:
    return " ".join(args) if args else None


@for_roles()
async def open_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/open [CODE]: every item not yet closed."""
    await show_list(update, who, "open", _one_unit_arg(context.args or []))


@for_roles()
async def overdue_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/overdue [CODE]: items past their deadline (red)."""
    await show_list(update, who, "overdue", _one_unit_arg(context.args or []))


@for_roles()
async def due_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/due [days] [CODE]: items whose deadline is within the next days."""
    days: int | None = None
    unit: str | None = None
    for arg in context.args or []:
        if days is None and normalise_text(arg).isdecimal():
            days = parse_days(arg)
            if days is None:
                await send(update, who.t("queries.bad_days", max=MAX_DUE_DAYS))
                return
        elif unit is None:
            unit = arg
        else:
            await send(update, who.t("queries.usage.due"))
            return
    window = due_window(who.words, days or who.services.config.alerts.due_days)
    await show_list(update, who, "due", unit, window)


@for_roles()
async def item_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/item ID: the full card of an item."""
    args = context.args or []
    if len(args) != 1:
        await send(update, who.t("queries.usage.item", example=example_id(who)))
        return
    await show_card(update, context, who, args[0])


@for_roles()
async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/history ID: every event of an item, oldest first."""
    args = context.args or []
    if len(args) != 1:
        await send(update, who.t("queries.usage.history", example=example_id(who)))
        return
    await show_history(update, who, args[0])


@for_roles()
async def todo_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/todo 待办: what waits for the sender — a leader's 待签字, an inspector's 待核验, a
    contact's open items."""
    if who.role is Role.LEADER:
        kind = "sign"
    elif who.is_inspector:
        kind = "verify"
    else:
        kind = "open"
    await show_list(update, who, kind, _one_unit_arg(context.args or []))


@for_roles(Role.INSPECTOR)
async def unit_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/unit CODE: a unit's figures and open list (inspectors)."""
    args = context.args or []
    if len(args) != 1:
        await send(update, who.t("queries.usage.unit"))
        return
    await show_list(update, who, "unit", args[0])


def example_id(who: Who) -> str:
    return f"{who.unit or 'HZ'}-001"


# --------------------------------------------------------------------------- buttons


def _callback(update: Update) -> Callback | None:
    query = update.callback_query
    return parse(query.data) if query is not None else None


async def _item_of_button(update: Update, who: Who) -> Item | None:
    """The item a ``<verb>:<ITEM>`` button names, re-checked like a typed id (R22); ``None``
    after the presser was answered (stale or forged data, a group chat, an unknown item)."""
    data = _callback(update)
    if data is None or len(data.args) != 1 or normalise_item_id(data.args[0]) is None:
        await stale_button(update, who)
        return None
    if not await private_only(update, who):
        return None
    try:
        return find_item(who, data.args[0])
    except UnknownItem as error:
        await reply_text(update, who, word_error(who, error))
        return None


async def _answer(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()


@for_roles()
async def card_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``card:<ITEM>``: send the item's card (lists, alerts and digests carry these)."""
    item = await _item_of_button(update, who)
    if item is None:
        return
    page = draw_card(who, item, enabled_card_actions(context.bot_data))
    await send(update, page.text, page.keyboard)
    await _answer(update)


@for_roles()
async def history_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``hist:<ITEM>``: send the item's history."""
    item = await _item_of_button(update, who)
    if item is None:
        return
    page = draw_history(who, item, 1)
    await send(update, page.text, page.keyboard)
    await _answer(update)


@for_roles()
async def unit_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``unit:<CODE>``: send a unit's figures and open list (inspectors; /units buttons)."""
    query = update.callback_query
    assert query is not None
    data = _callback(update)
    code = data.args[0] if data is not None and len(data.args) == 1 else ""
    if not who.is_inspector or not valid_unit_code(code) or not scope_allowed(who, code):
        await stale_button(update, who)
        return
    if not await private_only(update, who):
        return
    page = draw_list(who, ListSpec("unit", code), 1)
    await send(update, page.text, page.keyboard)
    await query.answer()


@for_roles()
async def page_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``page:<list>:<scope>:<page>``: redraw a paged list in place."""
    query = update.callback_query
    assert query is not None
    data = _callback(update)
    drawn: Page | None = None
    if data is not None and len(data.args) == 3 and is_private(update):
        token, scope, number = data.args
        name, *args = token.split("_")
        pager = _pager(context, name)
        page = _page_number(number)
        if pager is not None and page is not None:
            drawn = pager(who, tuple(args), scope, page)
    if drawn is None:
        await stale_button(update, who)
        return
    await edit_or_send(update, drawn.text, drawn.keyboard)
    await query.answer()


def _page_number(text: str) -> int | None:
    return int(text) if text.isdecimal() and len(text) <= 6 else None


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("open", open_command))
    app.add_handler(CommandHandler("overdue", overdue_command))
    app.add_handler(CommandHandler("due", due_command))
    app.add_handler(CommandHandler("item", item_command))
    app.add_handler(CommandHandler("history", history_command))
    app.add_handler(CommandHandler("unit", unit_command))
    app.add_handler(CommandHandler("todo", todo_command))
    app.add_handler(CallbackQueryHandler(card_callback, pattern=r"^card:"))
    app.add_handler(CallbackQueryHandler(history_callback, pattern=r"^hist:"))
    app.add_handler(CallbackQueryHandler(unit_callback, pattern=r"^unit:"))
    app.add_handler(CallbackQueryHandler(page_callback, pattern=r"^page:"))
    for kind in ("open", "overdue", "due", "unit", "sign", "verify"):
        register_pager(app, kind, _list_pager(kind))
    register_pager(app, "hist", _history_pager)


__all__ = [
    "ALL",
    "ListSpec",
    "Pager",
    "collect",
    "counts_lines",
    "draw_card",
    "draw_list",
    "find_item",
    "format_rate",
    "parse_days",
    "register",
    "register_pager",
    "resolve_scope",
    "show_card",
    "show_history",
    "show_list",
]
