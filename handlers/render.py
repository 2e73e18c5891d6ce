"""How items, cards, histories, dates and paged lists look in a chat (Telegram HTML, R24).

Contracts every function here keeps:

- Output is ``Html`` built through ``Catalog.t``: every stored or typed string is escaped, so a
  unit named ``<b>A&B</b>`` shows literally and the message always parses.
- Nothing exceeds Telegram's 4096-character limit: free-text fields are clipped with "…" to a
  fixed budget counted in UTF-16 units (what Telegram counts; an emoji is two), so a card fits
  whatever the texts; lists are split into pages by count *and* by size (:func:`paginate`).
- Dates are shown in the configured zone: ``2026年12月31日（周四）`` / ``2026-12-31 (Thu)``.

This module is a leaf of ``handlers/``: it imports no other handler module but ``buttons`` and
``services``, so the alerts and workflow code can use it too (``Words.of(services, lang)``).

The card's action buttons are a seam for the workflow module: :func:`enable_card_actions`
registers which ``ledger.access.Action``s get a ``do:<action>:<ITEM>`` button (and their
labels); :func:`card_keyboard` shows those the person may take now (``allowed_actions``).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from app.roster import is_inspector
from app.services import Services
from handlers.buttons import button, card_button
from ledger.access import Action, allowed_actions
from ledger.calendar import days_left, local_date
from ledger.figures import days_late
from ledger.history import stored_reason
from ledger.light import light, order_key
from ledger.model import Event, Item, Light, Person, Role, Status
from ledger.rules import Rules
from ledger.workflow import EDITABLE_FIELDS, SYSTEM_ACTOR_ID, status_since
from locales import Catalog, Html, placeholders

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text after entity parsing
PAGE_BUDGET = 3400  # UTF-16 units of list lines per page; headers and footers use the rest
ELLIPSIS = "…"
CARD_ACTIONS_KEY = "card_actions"  # bot_data: Mapping[Action, label key], see enable_card_actions

# Clip budgets (UTF-16 units) of free-text fields. A card's worst case is their sum plus the
# labels (~600): well under MESSAGE_LIMIT, which the property test checks.
PROBLEM_MAX = 1000
MEASURES_MAX = 700
PROGRESS_MAX = 400
REASON_MAX = 200
FIELD_MAX = 80  # leader, department, owner, category, unit name
NAME_MAX = 40  # people
LINE_PROBLEM_MAX = 70  # the problem in a one-line list entry
HISTORY_TEXT_MAX = 300
EDIT_VALUE_MAX = 80  # each old and new value of an edited field (six fields at most)

_TAG = re.compile(r"<[^>]+>")
_WORKING = (Status.OPEN, Status.IN_PROGRESS)
_PADDED_DATES = frozenset({"en"})  # languages whose dates are ISO-like (2026-03-02)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --------------------------------------------------------------------------- words


@dataclass(frozen=True)
class Words:
    """A language, a zone and an instant: everything needed to word and date a message."""

    catalog: Catalog
    lang: str
    tz: tzinfo
    now: datetime

    @classmethod
    def of(cls, services: Services, lang: str) -> Words:
        """Words for ``lang`` at the services' current time, in the configured zone."""
        return cls(services.catalog, lang, services.config.tz, services.clock.now())

    def t(self, key: str, **params: Any) -> Html:
        return self.catalog.t(self.lang, key, **params)

    def plain(self, key: str, **params: Any) -> str:
        return self.catalog.plain(self.lang, key, **params)

    def has(self, key: str) -> bool:
        return self.catalog.has(key)

    @property
    def today(self) -> date:
        return local_date(self.now, self.tz)


# --------------------------------------------------------------------------- text sizes


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (how Telegram counts a message's characters)."""
    return len(text.encode("utf-16-le")) // 2


@functools.lru_cache(maxsize=8192)
def visible_len(text: str) -> int:
    """The length Telegram will count for an HTML message: tags dropped, entities decoded.
    Kept per text: list and /units lines are measured again each time their pages are cut."""
    return utf16_len(html.unescape(_TAG.sub("", text)))


def clip(text: str, limit: int) -> str:
    """``text`` with runs of whitespace kept, cut to at most ``limit`` UTF-16 units; a cut text
    ends with "…" (which counts towards the limit). Never splits a surrogate pair."""
    if utf16_len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        out.append(ch)
        used += width
    return "".join(out).rstrip() + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (newlines and tabs become spaces), clipped."""
    return clip(" ".join(text.split()), limit)


def join(lines: Iterable[str]) -> Html:
    """Join already-safe pieces with newlines."""
    return Html("\n".join(lines))


# --------------------------------------------------------------------------- dates


def day_text(catalog: Catalog, lang: str, day: date) -> str:
    """The one way a date is written to people in a chat reply without its weekday:
    ``2026年3月2日`` (zh-CN) / ``2026-03-02`` (en). ISO stays for what machines read (Excel
    cells, file names, stored keys); a zh-CN reply never shows it beside 年月日 (issue 12)."""
    padded = catalog.normalise(lang) in _PADDED_DATES
    return catalog.plain(
        lang,
        "date.day",
        year=day.year,
        month=f"{day.month:02d}" if padded else day.month,
        day=f"{day.day:02d}" if padded else day.day,
    )


def format_day(words: Words, day: date) -> str:
    """:func:`day_text` in ``words``' language."""
    return day_text(words.catalog, words.lang, day)


def format_date(words: Words, day: date) -> str:
    """``2026年12月31日（周四）`` (zh-CN) / ``2026-12-31 (Thu)`` (en), as plain text."""
    padded = words.lang in _PADDED_DATES
    return words.plain(
        "date.format",
        year=day.year,
        month=f"{day.month:02d}" if padded else day.month,
        day=f"{day.day:02d}" if padded else day.day,
        weekday=words.plain(f"weekday.{_WEEKDAYS[day.weekday()]}"),
    )


def format_datetime(words: Words, moment: datetime) -> str:
    """A date and time in the configured zone: ``2026年3月2日（周一）09:00``."""
    local = moment.astimezone(words.tz)
    return words.plain(
        "date.datetime",
        date=format_date(words, local.date()),
        hour=f"{local.hour:02d}",
        minute=f"{local.minute:02d}",
    )


# --------------------------------------------------------------------------- people


class Names:
    """Display names of user ids, each read once from the registry when first asked for (and
    config for inspectors): a card names a handful of people, so the registry's hundreds are
    not listed for it.

    Unknown ids (a person since revoked, an inspector who never chose a language) get a
    neutral label rather than a bare number; the shell import's actor is "系统导入"."""

    def __init__(self, services: Services, words: Words) -> None:
        self._words = words
        self._services = services
        self._known: dict[int, Person | None] = {}

    def _person(self, user_id: int) -> Person | None:
        try:
            return self._known[user_id]
        except KeyError:
            found = self._known[user_id] = self._services.store.registry.get_person(user_id)
            return found

    def __call__(self, user_id: int | None) -> str:
        if user_id is None:
            return "—"
        if user_id == SYSTEM_ACTOR_ID:
            return self._words.plain("names.system")
        person = self._person(user_id)
        if person is not None and person.name:
            return one_line(person.name, NAME_MAX)
        if is_inspector(self._services, user_id):
            return self._words.plain("names.inspector", id=user_id)
        return self._words.plain("names.former", id=user_id)

    def with_role(self, user_id: int | None) -> str:
        """``张三（联络员）``: the name with the person's current role, when known."""
        name = self(user_id)
        person = self._person(user_id) if user_id is not None else None
        if person is None or is_inspector(self._services, person.user_id):
            return name
        return self._words.plain(
            "names.with_role", name=name, role=role_word(self._words, person.role)
        )


def role_word(words: Words, role: Role | str) -> str:
    return words.plain(f"role.{role}")


def status_word(words: Words, status: Status | str) -> str:
    return words.plain(f"status.{status}")


def action_word(words: Words, action: Action | str) -> str:
    key = f"action.{action}"
    return words.plain(key) if words.has(key) else str(action)


# --------------------------------------------------------------------------- item views


@dataclass(frozen=True)
class Page:
    """One message's worth: its text and keyboard (what a list page or a card sends)."""

    text: Html
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class ItemView:
    """An item with the facts a list or card shows: its light and the days to its deadline
    (``None`` for long-term items; negative when overdue)."""

    item: Item
    light: Light
    days_left: int | None
    sort_key: tuple[int, int, date, str, int]


def view_item(
    item: Item,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    history: Callable[[], Sequence[Event]] | None = None,
) -> ItemView:
    """Light, days left and list order of ``item`` at ``now``.

    ``history`` (the item's events) is read only when it can change the answer: the
    ``status_since`` moment only ever makes an idle, working item *less* stale, so it matters
    only for an open/in-progress item that would otherwise be yellow for staleness alone.
    That keeps a 1,000-item list from decoding 1,000 histories, with the same result as
    always passing ``status_since``.
    """
    left = None if item.long_term or item.deadline is None else days_left(item.deadline, now, tz)
    since: datetime | None = None
    lit = light(item, now, tz, rules)
    stale_only = lit is Light.YELLOW and (left is None or left > rules.yellow_days)
    if history is not None and stale_only and item.status in _WORKING:
        since = status_since(history())
        lit = light(item, now, tz, rules, status_since=since)
    return ItemView(item, lit, left, order_key(item, now, tz, rules, status_since=since))


def badge(view_light: Light) -> str:
    """The light's symbol alone (🔴 🟡 🟢 ✅), for list lines and buttons."""
    return {Light.RED: "🔴", Light.YELLOW: "🟡", Light.GREEN: "🟢", Light.CLOSED: "✅"}[view_light]


def card_deadline(words: Words, view: ItemView) -> str:
    """The card's 整改时限 value: :func:`when_text`, but a closed or withdrawn item's bare date
    (the label is already there: never "整改时限：整改时限 …")."""
    item = view.item
    if not item.status.is_active and item.deadline is not None and not item.long_term:
        return format_date(words, item.deadline)
    return when_text(words, view)


def when_text(words: Words, view: ItemView) -> str:
    """The deadline and days left/overdue, e.g. ``截止 2026年3月31日（周二），还剩 29 天``."""
    item = view.item
    if item.long_term:
        return words.plain("render.when.long_term")
    if item.deadline is None or view.days_left is None:
        return words.plain("render.when.none")
    day = format_date(words, item.deadline)
    if not item.status.is_active:
        return words.plain("render.when.deadline", date=day)
    if view.days_left < 0:
        return words.plain("render.when.overdue", date=day, days=-view.days_left)
    if view.days_left == 0:
        return words.plain("render.when.today", date=day)
    return words.plain("render.when.left", date=day, days=view.days_left)


def item_line(words: Words, view: ItemView) -> Html:
    """One entry of a list (two short lines): light, id, problem, status, deadline."""
    item = view.item
    return words.t(
        "render.line",
        badge=badge(view.light),
        item_id=item.id,
        problem=one_line(item.problem, LINE_PROBLEM_MAX),
        status=_line_status(words, view),
        when=when_text(words, view),
    )


def _line_status(words: Words, view: ItemView) -> str:
    """The status in a list line; an overdue item waiting for review says the unit has
    applied and who holds it ("已申请销号，待签字"): still 超期, but not the unit's move."""
    status = view.item.status
    if view.light is Light.RED and status in (Status.SUBMITTED, Status.ENDORSED):
        return words.plain(f"figures.waiting.{status}")
    return status_word(words, status)


def item_button(view: ItemView) -> InlineKeyboardButton:
    """The button under a list that opens an item's card."""
    return card_button(f"{badge(view.light)} {view.item.id}", view.item.id)


# --------------------------------------------------------------------------- the card


def _field(text: str, limit: int) -> str:
    return clip(text.strip(), limit) if text.strip() else "—"


def endorsement_text(words: Words, item: Item, rules: Rules, names: Names) -> str:
    if item.endorsement is not None:
        return words.plain(
            "render.card.endorsed",
            who=names(item.endorsement.by),
            when=format_datetime(words, item.endorsement.at),
        )
    if not rules.endorsement_required:
        return words.plain("render.card.endorsement_off")
    if item.status is Status.SUBMITTED:
        return words.plain("render.card.endorsement_waiting")
    return words.plain("render.card.endorsement_none")


def verification_text(words: Words, item: Item, names: Names) -> str:
    v = item.verification
    if v is not None:
        key = {
            "approved": "render.card.verified",
            "rejected": "render.card.returned",
            "reopened": "render.card.reopened",
        }.get(v.result, "render.card.verified")
        return words.plain(
            key,
            who=names(v.by),
            when=format_datetime(words, v.at),
            note=clip(v.note, REASON_MAX) if v.note.strip() else "—",
        )
    if item.status is Status.ENDORSED:
        return words.plain("render.card.verification_waiting")
    return words.plain("render.card.verification_none")


def progress_text(words: Words, item: Item, names: Names) -> str:
    last = item.last_progress
    if last is None:
        return words.plain("render.card.no_progress")
    return words.plain(
        "render.card.progress",
        when=format_datetime(words, last.at),
        who=names(last.by),
        text=clip(last.text.strip(), PROGRESS_MAX),
        count=len(item.progress),
    )


def item_card(
    words: Words, view: ItemView, rules: Rules, names: Names, unit_name: str | None
) -> Html:
    """The full card of an item: every 台账 field, light, days left or overdue, last progress,
    evidence count, endorsement and verification. Within MESSAGE_LIMIT whatever the texts."""
    item = view.item
    if view.light is not Light.CLOSED:
        title_badge = words.plain(f"light.{view.light}")  # 🔴 红灯 …
    elif item.status is Status.WITHDRAWN:
        title_badge = words.plain("render.card.withdrawn_badge")
    else:  # closed or monitoring: the status word says which
        title_badge = words.plain("render.card.done_badge")
    lines = [
        words.t(
            "render.card.title",
            badge=title_badge,
            item_id=item.id,
            status=status_word(words, item.status),
        ),
        words.t(
            "render.card.unit",
            unit=item.unit,
            name=_field(unit_name or "", FIELD_MAX) if unit_name else "—",
        ),
        words.t("render.card.category", value=_field(item.category, FIELD_MAX)),
        words.t("render.card.problem", value=_field(item.problem, PROBLEM_MAX)),
        words.t("render.card.leader", value=_field(item.leader, FIELD_MAX)),
        words.t("render.card.department", value=_field(item.department, FIELD_MAX)),
        words.t("render.card.owner", value=_field(item.owner, FIELD_MAX)),
        *measure_lines(words, item),
        words.t("render.card.deadline", value=card_deadline(words, view)),
        words.t("render.card.last_progress", value=progress_text(words, item, names)),
        evidence_count(words, item),
        words.t("render.card.endorsement", value=endorsement_text(words, item, rules, names)),
        words.t("render.card.verification", value=verification_text(words, item, names)),
    ]
    if item.note.strip():
        lines.append(words.t("intake.card.note", value=_field(item.note, NOTE_MAX)))
    if item.closed_at is not None and not item.status.is_active:
        lines.append(
            words.t("render.card.closed_at", value=format_datetime(words, item.closed_at))
        )
        late = days_late(item, words.tz)
        if late is not None:  # 逾期完成: closed, but after the deadline
            lines.append(words.t("rounds.closed_late", days=late))
    if item.status is Status.WITHDRAWN:
        lines.append(
            words.t("render.card.withdrawn", value=_field(item.withdrawn_reason, REASON_MAX))
        )
    asked = item.extension
    if asked is not None and item.status.is_active:
        new = (
            words.plain("render.when.long_term")
            if asked.long_term or asked.deadline is None
            else format_date(words, asked.deadline)
        )
        lines.append(
            words.t(
                "everyday.extension.card",
                new=new,
                who=names(asked.by),
                date=format_date(words, local_date(asked.at, words.tz)),
                reason=_field(asked.reason, REASON_MAX),
            )
        )
    return join(lines)


def enabled_card_actions(bot_data: Mapping[str, Any]) -> Mapping[Action, str]:
    """The card actions registered with :func:`enable_card_actions` (none until the workflow
    module registers its own)."""
    found = bot_data.get(CARD_ACTIONS_KEY)
    return found if isinstance(found, dict) else {}


def enable_card_actions(bot_data: dict[str, Any], labels: Mapping[Action, str]) -> None:
    """Give cards a ``do:<action>:<ITEM>`` button for each of ``labels`` (action → locale key
    of the button label), shown when ``allowed_actions`` lets the viewer take it. The module
    that registers an action must also handle its ``do:`` callbacks (re-checking, R22).
    Order of registration is the order of the buttons."""
    current: dict[Action, str] = dict(enabled_card_actions(bot_data))
    current.update(labels)
    bot_data[CARD_ACTIONS_KEY] = current


def card_keyboard(
    words: Words,
    item: Item,
    person: Person,
    rules: Rules,
    actions: Mapping[Action, str],
) -> InlineKeyboardMarkup:
    """Action buttons the person may use now (two per row), then the history button."""
    allowed = allowed_actions(item, person, rules)
    doing = [
        button(words.plain(label), "do", str(action), item.id)
        for action, label in actions.items()
        if action in allowed
    ]
    rows = [doing[i : i + 2] for i in range(0, len(doing), 2)]
    rows.append([button(words.plain("render.button.history"), "hist", item.id)])
    return InlineKeyboardMarkup(rows)


# --------------------------------------------------------------------------- history


def _event_details(words: Words, event: Event) -> list[str]:
    """The lines under an event's head (plain text, escaped by the caller), each clipped:

    - ``edit`` (an import's changed 台账 text): one line per changed field,
      ``问题描述：旧 → 新`` (values on one line, clipped to :data:`EDIT_VALUE_MAX`);
    - ``set_deadline``: ``整改时限：旧 → 新`` and ``理由：…``;
    - otherwise its text, reason or note (progress, reject, urge, approve …), or an evidence
      file's name.

    Damaged data never raises: missing values show as "—", unknown fields by their (clipped)
    key, and no more lines than there are editable fields.
    """
    data = event.data
    if event.action == str(Action.EDIT):
        changes = [
            words.plain(
                "render.history.field_change",
                field=(
                    words.plain(f"field.{name}")
                    if words.has(f"field.{name}")
                    else one_line(name, FIELD_MAX)
                ),
                old=_edited_value(change.get("old"), words),
                new=_edited_value(change.get("new"), words),
            )
            for name, change in data.items()
            if isinstance(change, dict)
        ]
        if changes:
            # A real edit changes at most the editable fields; damaged data cannot flood a page.
            return changes[: len(EDITABLE_FIELDS)]
    if event.action in (
        str(Action.SET_DEADLINE),
        str(Action.REQUEST_EXTENSION),
        str(Action.GRANT_EXTENSION),
    ):
        lines = [
            words.plain(
                "render.history.deadline_change",
                old=deadline_word(words, data.get("old"), data.get("old_long_term")),
                new=deadline_word(words, data.get("new"), data.get("new_long_term")),
            )
        ]
        reason = reason_text(words, data)
        if reason:
            text = clip(reason, HISTORY_TEXT_MAX)
            lines.append(words.plain("render.history.reason", text=text))
        return lines
    for key in ("text", "reason", "note"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return [clip(value.strip(), HISTORY_TEXT_MAX)]
    if event.action == str(Action.ADD_EVIDENCE) and isinstance(data.get("name"), str):
        return [clip(data["name"], HISTORY_TEXT_MAX)]
    return []


def _edited_value(value: object, words: Words | None = None) -> str:
    if isinstance(value, list) and words is not None:  # an import's new measure list
        return words.plain("intake.history.measures", count=len(value))
    return one_line(value, EDIT_VALUE_MAX) if isinstance(value, str) and value.strip() else "—"


MEASURE_LINES = 6  # measures listed on a card (then "…"): about MEASURES_MAX in all
MEASURE_TEXT_MAX = 60
NOTE_MAX = 300  # the card's 备注 (what the 台账 said beside the fields)


def measure_lines(words: Words, item: Item) -> list[Html]:
    """The card's 整改措施: the text as before, or — for a problem with several measures —
    one line each with its 责任人 and 时限 (the wording it was given, e.g. 立行立改)."""
    if len(item.measure_list) < 2:
        return [words.t("render.card.measures", value=_field(item.measures, MEASURES_MAX))]
    lines = [words.t("intake.card.measures", count=len(item.measure_list))]
    for n, m in enumerate(item.measure_list[:MEASURE_LINES], 1):
        if m.long_term:
            deadline = words.plain("render.when.long_term")
        elif m.deadline is not None:
            deadline = format_date(words, m.deadline)
            if m.wording:
                deadline = f"{one_line(m.wording, 20)} {deadline}"
        else:
            deadline = "—"
        who = words.plain("intake.card.who", owner=one_line(m.owner, 20)) if m.owner else ""
        lines.append(
            words.t(
                "intake.card.measure",
                n=n,
                text=one_line(m.text, MEASURE_TEXT_MAX),
                who=who,
                deadline=deadline,
            )
        )
    if len(item.measure_list) > MEASURE_LINES:
        lines.append(Html("…"))
    return lines


def reason_text(words: Words, data: Mapping[str, Any]) -> str:
    """An event's reason in the reader's words: a keyed reason (``ledger.history``) rendered
    in their language, else the text as stored ("" when there is none)."""
    found = stored_reason(data)
    if found is None:
        return ""
    key, params = found.key, found.params
    # an unknown key, or parameters that do not fit it (damaged data): the stored text
    if (
        key is not None
        and params is not None
        and words.has(key)
        and placeholders(words.catalog.raw(words.lang, key)) <= set(params)
    ):
        return words.plain(key, **params)
    return found.text


def evidence_count(words: Words, item: Item) -> Html:
    """The card's evidence line: after a reopen (反弹) this round's files, and the previous
    rounds' apart (a new close-out request needs this round's)."""
    if item.evidence_from:
        return words.t(
            "rounds.card_evidence",
            count=len(item.round_evidence),
            earlier=len(item.earlier_evidence),
        )
    return words.t("render.card.evidence", count=len(item.evidence))


def deadline_word(words: Words, iso: object, long_term: object) -> str:
    """A deadline as stored in an event (ISO date or null, long-term flag), in words."""
    if long_term:
        return words.plain("render.when.long_term")
    if isinstance(iso, str):
        try:
            return format_date(words, date.fromisoformat(iso))
        except ValueError:
            return iso
    return "—"


def history_line(words: Words, event: Event, names: Names) -> Html:
    """One event: when, who, what, status change, then its details (clipped), one per line:
    the text or reason; for an ``edit`` each changed field, old → new; for ``set_deadline``
    the old and new deadline and the reason."""
    change = (
        words.plain(
            "render.history.change",
            before=status_word(words, event.before),
            after=status_word(words, event.after),
        )
        if event.before is not None and event.before != event.after
        else ""
    )
    details = _event_details(words, event)
    head = words.t(
        "render.history.line",
        seq=event.seq,
        when=format_datetime(words, event.at),
        who=names.with_role(event.by),
        action=action_word(words, event.action),
        change=change,
    )
    return join([head, *(words.t("render.history.detail", text=d) for d in details)])


# --------------------------------------------------------------------------- paging


def paginate(lines: Sequence[str], per_page: int, budget: int = PAGE_BUDGET) -> list[range]:
    """Split lines into pages of at most ``per_page`` lines and ``budget`` visible UTF-16
    units; each page is the range of line indices it holds. A single line longer than the
    budget gets a page of its own (callers clip lines far below it). Always at least one
    page, possibly empty."""
    pages: list[range] = []
    start = 0
    size = 0
    for index, line in enumerate(lines):
        width = visible_len(line) + 2  # the blank line between entries
        if index > start and (index - start >= per_page or size + width > budget):
            pages.append(range(start, index))
            start, size = index, 0
        size += width
    pages.append(range(start, len(lines)))
    return pages


def clamp_page(page: int, pages: int) -> int:
    """A requested page number (1-based) brought into 1..pages (a list may have shrunk since
    its buttons were drawn)."""
    return max(1, min(page, max(pages, 1)))


def paging_row(list_token: str, scope: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    """« ‹ x/y › » — first, previous, refresh (the page number), next, last. Buttons that
    would go nowhere show "·" and refresh the current page."""

    def to(label: str, target: int) -> InlineKeyboardButton:
        if target == page:
            label = "·" if label in ("«", "‹", "›", "»") else label
        return button(label, "page", list_token, scope, target)

    return [
        to("«", 1),
        to("‹", max(1, page - 1)),
        to(f"{page}/{pages}", page),
        to("›", min(pages, page + 1)),
        to("»", pages),
    ]


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that works out its Bot API form once.

    A markup is immutable once built (PTB freezes it), so the dictionary PTB serialises with
    every message it rides on (``to_dict``, ~0.1 ms for a list page's 15 buttons) is computed
    on first use and kept: a memoised list page sends the same keyboard again and again.
    Each call returns a new outer dictionary over the shared rows; PTB only reads it (it is
    dumped to JSON), and so must any other caller.
    """

    __slots__ = ("_wire",)

    def __init__(
        self,
        inline_keyboard: Sequence[Sequence[InlineKeyboardButton]],
        *,
        api_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(inline_keyboard, api_kwargs=api_kwargs)
        self._wire: dict[str, Any] | None = None

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        if self._wire is None:
            self._wire = super().to_dict()
        return dict(self._wire)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """A markup of rows (empty rows dropped; a :class:`Keyboard`); ``None`` when there are no
    buttons at all."""
    kept = [list(r) for r in rows if r]
    return Keyboard(kept) if kept else None


def button_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int = 2
) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out ``per_row`` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


__all__ = [
    "CARD_ACTIONS_KEY",
    "MESSAGE_LIMIT",
    "PAGE_BUDGET",
    "ItemView",
    "Names",
    "Keyboard",
    "Page",
    "Words",
    "action_word",
    "badge",
    "button_rows",
    "card_keyboard",
    "deadline_word",
    "reason_text",
    "clamp_page",
    "clip",
    "enable_card_actions",
    "enabled_card_actions",
    "format_date",
    "format_datetime",
    "history_line",
    "item_button",
    "item_card",
    "item_line",
    "keyboard",
    "one_line",
    "paginate",
    "paging_row",
    "role_word",
    "status_word",
    "view_item",
    "visible_len",
    "when_text",
]
