"""Alert messages in the recipient's language (``locales/*/alerts.toml``), from
``ledger.alerts.Outgoing`` and from the alert log's system notices.

An alert message holds every entry of one recipient's sweep: sections by kind (escalation,
overdue, due soon, no progress, awaiting verification / endorsement, look-back), each with a
title saying what is asked and one line per item, red first (the order ``decide_alerts``
gives). Due-soon sections split by days left, escalations by level (提醒 → 告诫 → 建议问责).

Every stored string goes through ``Catalog.t`` and is escaped (R24). A message stays within
Telegram's 4,096 characters: when the lines do not fit, each section lists what fits and says
how many more it holds (every entry is still recorded as sent with the message: the count is
what the reader gets). Buttons open item cards (``handlers.buttons.card_button``), one per
item for the first :data:`MAX_BUTTONS` items, with a line saying how to open the rest.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.buttons import card_button
from ledger.alerts import SECTION_ORDER, AlertKind, Entry, Group, Outgoing
from ledger.figures import Figures
from ledger.model import Item, Light, Person, Role, Status, Unit
from locales import Catalog, Html, escape
from locales.figures import figures_inline, figures_lines

MAX_BUTTONS = 10
BUTTONS_PER_ROW = 3
# Telegram counts 4,096 UTF-16 units of text after entity parsing; measuring the HTML source
# overestimates (tags and entities count too), so this budget is safe with room to spare.
TEXT_BUDGET = 3900
PROBLEM_CHARS = 36
IDS_SHOWN = 30

_SECTION_ORDER = SECTION_ORDER  # ledger.alerts: one order for the policy and the words


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Directory:
    """What rendering looks up: items, units and people; ``default_language`` for people
    who chose none (``[bot] language``; ``auto`` means zh-CN here: no Telegram hint)."""

    items: Mapping[str, Item]
    units: Mapping[str, Unit]
    people: Mapping[int, Person]
    default_language: str = "zh-CN"


@dataclass(frozen=True)
class Rendered:
    text: Html
    keyboard: InlineKeyboardMarkup | None
    item_ids: tuple[str, ...]


class _Lines:
    """Accumulates lines against :data:`TEXT_BUDGET`."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.used = 0

    def room(self, text: str, reserve: int = 0) -> bool:
        return self.used + utf16_len(text) + 1 + reserve <= TEXT_BUDGET

    def add(self, text: str) -> None:
        self.lines.append(text)
        self.used += utf16_len(text) + 1

    def text(self) -> Html:
        return Html("\n".join(self.lines).strip("\n"))


class Renderer:
    """Renders for one sweep: ``today`` is the sweep's local date (dates in the current year
    are shown without the year); ``yellow_days`` the rule the weekly digest's due-soon list
    was drawn with."""

    def __init__(
        self,
        catalog: Catalog,
        directory: Directory,
        tz: tzinfo,
        today: date,
        *,
        yellow_days: int = 7,
    ) -> None:
        self.catalog = catalog
        self.directory = directory
        self.tz = tz
        self.today = today
        self.yellow_days = yellow_days  # the weekly digest's "due within N days"
        # One sweep renders the same item's line for its contact, its leader and (with the
        # unit named) the inspectors, and the same card button for each: made once each.
        self._blocks: dict[Hashable, str] = {}
        self._buttons: dict[str, InlineKeyboardButton] = {}
        self._dates: dict[tuple[str, date | str], str] = {}

    # ------------------------------------------------------------------ words

    def language(self, user_id: int, chosen: str | None = None) -> str:
        person = self.directory.people.get(user_id)
        choice = chosen or (person.language if person is not None else None)
        default = self.directory.default_language
        return self.catalog.normalise(choice or (None if default == "auto" else default))

    def t(self, lang: str, key: str, **params: Any) -> Html:
        return self.catalog.t(lang, key, **params)

    def date(self, lang: str, day: date | str) -> str:
        hit = self._dates.get((lang, day))
        if hit is not None:
            return hit
        d = date.fromisoformat(day) if isinstance(day, str) else day
        month = self.catalog.plain(lang, "alerts.months").split(",")[d.month - 1]
        key = "alerts.date" if d.year == self.today.year else "alerts.date_year"
        shown = self._dates[(lang, day)] = self.catalog.plain(
            lang, key, year=d.year, month=month, day=d.day
        )
        return shown

    def when(self, lang: str, instant: datetime) -> str:
        local = instant.astimezone(self.tz)
        weekday = self.catalog.plain(lang, "alerts.weekdays").split(",")[local.weekday()]
        return self.catalog.plain(
            lang,
            "alerts.datetime",
            date=self.date(lang, local.date()),
            weekday=weekday,
            time=local.strftime("%H:%M"),
        )

    def who(self, lang: str, user_id: int) -> str:
        """A person as inspectors know them: name, role and unit."""
        person = self.directory.people.get(user_id)
        if person is None:
            return f"ID {user_id}"
        if person.role is Role.INSPECTOR or person.unit is None:
            name = person.name or f"ID {user_id}"  # a configured inspector not yet named
            return self.catalog.plain(lang, "alerts.notice.who_inspector", name=name)
        unit = self.directory.units.get(person.unit)
        return self.catalog.plain(
            lang,
            "alerts.notice.who",
            name=person.name,
            role=self.catalog.plain(lang, f"role.{person.role}"),
            unit=unit.name if unit is not None else person.unit,
        )

    def _ids(self, lang: str, ids: Sequence[str]) -> Html:
        if not ids:
            return self.t(lang, "alerts.none")
        shown = self.catalog.plain(lang, "alerts.separator").join(ids[:IDS_SHOWN])
        if len(ids) > IDS_SHOWN:
            more = self.catalog.plain(lang, "alerts.ids_more", count=len(ids))
            shown = f"{shown} {more}"
        return escape(shown)

    def _problem(self, item: Item | None) -> str:
        if item is None:
            return ""
        text = " ".join(item.problem.split())
        return text if len(text) <= PROBLEM_CHARS else text[: PROBLEM_CHARS - 1] + "…"

    # ------------------------------------------------------------------ messages

    def outgoing(self, out: Outgoing) -> Rendered:
        """The message for one :class:`ledger.alerts.Outgoing`."""
        lang = self.language(out.user_id, out.language)
        if out.group is Group.DIGEST_DAILY:
            return self._daily(lang, out.entries[0])
        if out.group is Group.DIGEST_WEEKLY:
            return self._weekly(lang, out.entries[0])
        return self._alerts(lang, out.user_id, out.entries)

    def _alerts(self, lang: str, user_id: int, entries: Sequence[Entry]) -> Rendered:
        recipient = self.directory.people.get(user_id)
        for_inspector = recipient is None or recipient.role is Role.INSPECTOR
        sections: list[tuple[Html, list[Entry]]] = []
        # One item, one line: an item already listed as overdue (or due) is not listed again
        # under 无进展; its overdue line says how long it has been idle instead.
        listed = {
            e.item_id
            for e in entries
            if e.kind in (AlertKind.ESCALATION, AlertKind.OVERDUE, AlertKind.DUE_SOON)
        }
        idle = {e.item_id: e for e in entries if e.kind is AlertKind.STALE and e.item_id in listed}
        of_kind: dict[AlertKind, list[Entry]] = {}
        for e in entries:
            if not (e.kind is AlertKind.STALE and e.item_id in listed):
                of_kind.setdefault(e.kind, []).append(e)
        for kind in _SECTION_ORDER:
            for title, group in self._sections(lang, kind, of_kind.get(kind, [])):
                sections.append((title, group))
        lines = _Lines()
        # Every title is shown; lines fill what is left, in section order.
        reserve = sum(utf16_len(title) + 40 for title, _ in sections)
        for title, group in sections:
            if lines.lines:
                lines.add("")
            lines.add(title)
            reserve -= utf16_len(title) + 40
            omitted = 0
            for entry in group:
                if omitted:  # once a section is full, count the rest without rendering it
                    omitted += 1
                    continue
                block = self._block(lang, entry, for_inspector, idle.get(entry.item_id))
                if not lines.room(block, reserve + 40):
                    omitted += 1
                    continue
                lines.add(block)
            if omitted:
                lines.add(self.t(lang, "alerts.more_lines", count=omitted))
        ids = [e.item_id for e in entries if e.item_id is not None]
        return self._with_buttons(lang, lines, ids)

    def _sections(
        self, lang: str, kind: AlertKind, entries: list[Entry]
    ) -> Iterable[tuple[Html, list[Entry]]]:
        if not entries:
            return []
        if kind is AlertKind.DUE_SOON:
            by_days = _group_by(entries, lambda e: int(e.details.get("days_left", e.step)))
            return [
                (
                    self.t(lang, "alerts.section.due_today")
                    if days <= 0
                    else self.t(lang, "alerts.section.due_soon", days=days),
                    group,
                )
                for days, group in sorted(by_days.items())
            ]
        if kind is AlertKind.ESCALATION:
            by_level = _group_by(entries, lambda e: e.step)
            out = []
            for level, group in sorted(by_level.items(), reverse=True):
                threshold = group[0].details.get("threshold", "")
                key = f"alerts.section.escalation_{min(max(level, 1), 3)}"
                out.append((self.t(lang, key, threshold=threshold), group))
            return out
        if kind is AlertKind.LOOKBACK:
            months = entries[0].details.get("months", "")
            title = self.t(lang, "alerts.section.lookback", months=months)
            # The proposal leads into the 回头看 itself: /lookback samples these items first.
            units = sorted({e.unit for e in entries if e.unit is not None})
            commands = " ".join(f"/lookback {u}" for u in units)
            hint = self.t(lang, "alerts.line.lookback_start", commands=commands)
            return [(Html(f"{title}\n{hint}"), entries)]
        return [(self.t(lang, f"alerts.section.{kind}"), entries)]

    def _block(self, lang: str, entry: Entry, for_inspector: bool, idle: Entry | None) -> str:
        """:meth:`_entry_lines`, made once per sweep for equal entries (the same alert of
        the same item for several recipients)."""
        try:
            key: Hashable = (
                lang,
                for_inspector,
                entry.key,
                entry.light,
                entry.fallback,
                tuple(entry.details.items()),
                None if idle is None else (idle.key, tuple(idle.details.items())),
            )
            hit = self._blocks.get(key)
        except TypeError:  # a list among the details: rendered each time
            return self._entry_lines(lang, entry, for_inspector, idle)
        if hit is None:
            hit = self._blocks[key] = self._entry_lines(lang, entry, for_inspector, idle)
        return hit

    def _entry_lines(
        self, lang: str, entry: Entry, for_inspector: bool, idle: Entry | None = None
    ) -> str:
        """An item's two lines; ``idle``: its 无进展 entry, merged into this line."""
        if entry.kind is AlertKind.REPORT_DUE:  # a unit's milestone, not an item
            known = self.directory.units.get(entry.unit or "")
            line = self.t(
                lang,
                "alerts.line.report_due",
                unit=known.name if known else entry.unit or "",
                code=entry.unit or "",
                due=self.date(lang, entry.details["due"]),
                days=entry.details.get("days_left", ""),
            )
            if entry.fallback:
                line = Html(
                    line
                    + self.t(
                        lang, f"alerts.detail.fallback_{entry.details.get('intended', 'unit')}"
                    )
                )
            return line
        item = self.directory.items.get(entry.item_id or "")
        unit = ""
        if for_inspector and entry.unit is not None:
            known = self.directory.units.get(entry.unit)
            unit = self.t(lang, "alerts.line.unit", unit=known.name if known else entry.unit)
        # A long-term item kept under watch (长期坚持) is not "done": no ✅ beside it.
        monitored = item is not None and item.status is Status.MONITORING
        head = self.t(
            lang,
            "alerts.line.item",
            light=self.t(lang, "everyday.light_long_term")
            if monitored
            else self.t(lang, f"alerts.light.{entry.light or Light.GREEN}"),
            item_id=entry.item_id or "",
            unit=Html(unit),
            problem=self._problem(item),
        )
        detail = self._detail(lang, entry)
        if idle is not None and entry.kind is not AlertKind.STALE:
            also = self.t(lang, "everyday.also_idle", days=idle.details.get("idle_days", ""))
            detail = Html(detail + also)
        if entry.fallback:
            intended = entry.details.get("intended", "unit")
            detail = Html(detail + self.t(lang, f"alerts.detail.fallback_{intended}"))
        return head + "\n" + self.t(lang, "alerts.line.detail", detail=detail)

    def _detail(self, lang: str, entry: Entry) -> Html:
        d = entry.details
        kind = entry.kind
        if kind is AlertKind.DUE_SOON:
            return self.t(lang, "alerts.detail.due_soon", deadline=self.date(lang, d["deadline"]))
        if kind in (AlertKind.OVERDUE, AlertKind.ESCALATION):
            return self.t(
                lang,
                "alerts.detail.overdue",
                deadline=self.date(lang, d["deadline"]),
                days=d.get("days_overdue", ""),
            )
        if kind is AlertKind.STALE:
            return self.t(
                lang,
                "alerts.detail.stale",
                since=self.date(lang, d["since"]),
                days=d.get("idle_days", ""),
            )
        if kind in (AlertKind.AWAIT_ENDORSEMENT, AlertKind.AWAIT_VERIFICATION):
            text = self.t(
                lang,
                f"alerts.detail.{kind}",
                since=self.date(lang, d["since"]),
                days=d.get("waited_workdays", ""),
            )
            if d.get("estimated"):
                text = Html(text + self.t(lang, "alerts.detail.estimated"))
            return text
        return self.t(lang, "alerts.detail.lookback", closed=self.date(lang, d["closed_on"]))

    def _with_buttons(self, lang: str, lines: _Lines, item_ids: Iterable[str]) -> Rendered:
        ids = list(dict.fromkeys(item_ids))
        shown = ids[:MAX_BUTTONS]
        if len(ids) > MAX_BUTTONS:
            lines.add("")
            lines.add(self.t(lang, "alerts.more_buttons", shown=len(shown)))
        keyboard = None
        if shown:
            made = self._buttons
            buttons = [made.get(i) or made.setdefault(i, card_button(i, i)) for i in shown]
            rows = [
                buttons[n : n + BUTTONS_PER_ROW] for n in range(0, len(buttons), BUTTONS_PER_ROW)
            ]
            keyboard = InlineKeyboardMarkup(rows)
        return Rendered(lines.text(), keyboard, tuple(ids))

    # ------------------------------------------------------------------ digests

    def _daily(self, lang: str, entry: Entry) -> Rendered:
        d = entry.details
        t = functools.partial(self.t, lang)
        lines = _Lines()
        day = self.date(lang, d["date"])
        lines.add(self.t(lang, "alerts.daily.title", date=day))
        if d.get("as_of"):
            when = self.when(lang, datetime.fromisoformat(d["as_of"]))
            lines.add(self.t(lang, "digest.late_daily", date=day, as_of=when))
        for field in ("new_overdue", "awaiting_verification", "awaiting_endorsement"):
            ids = list(d.get(field, []))
            if ids:  # an empty list is left out, not written "0 项：无"
                lines.add(
                    self.t(lang, f"alerts.daily.{field}", count=len(ids), ids=self._ids(lang, ids))
                )
            told = list(d.get("new_overdue_told", [])) if field == "new_overdue" else []
            if told:  # the sweep already named these: say so instead of repeating silently
                lines.add(self.t(lang, "digest.told", ids=self._ids(lang, told)))
        units = {code: Figures.from_dict(raw) for code, raw in d.get("units", {}).items()}
        if units:
            lines.add("")
            lines.add(self.t(lang, "alerts.daily.units"))
            ordered = sorted(units.items(), key=lambda kv: (-kv[1].overdue, kv[0]))
            omitted = 0
            for code, f in ordered:
                known = self.directory.units.get(code)
                line = self.t(
                    lang,
                    "alerts.daily.unit",
                    code=code,
                    name=known.name if known else "",
                    figures=figures_inline(t, f, self.yellow_days),
                )
                if omitted or not lines.room(line, 60):
                    omitted += 1
                    continue
                lines.add(line)
            if omitted:
                lines.add(self.t(lang, "alerts.more_units", count=omitted))
        ids = [*d.get("new_overdue", []), *d.get("awaiting_verification", [])]
        return self._with_buttons(lang, lines, ids)

    def _weekly(self, lang: str, entry: Entry) -> Rendered:
        d = entry.details
        t = functools.partial(self.t, lang)
        code = d.get("unit") or entry.unit or ""
        known = self.directory.units.get(code)
        start, end = _week_days(d)
        lines = _Lines()
        lines.add(
            self.t(
                lang,
                "digest.weekly_title",
                unit=known.name if known else code,
                start=self.date(lang, start),
                end=self.date(lang, end),
            )
        )
        if d.get("as_of"):
            when = self.when(lang, datetime.fromisoformat(d["as_of"]))
            lines.add(self.t(lang, "digest.late_weekly", as_of=when))
        for line in figures_lines(t, Figures.from_dict(d.get("counts", {})), self.yellow_days):
            lines.add(line)
        for field in ("overdue", "due_soon", "awaiting", "closed_this_week"):
            ids = list(d.get(field, []))
            if not ids:  # left out, not written "0 项：无"
                continue
            key = "closed" if field == "closed_this_week" else field
            params: dict[str, Any] = {"count": len(ids), "ids": self._ids(lang, ids)}
            if field == "due_soon":
                params["days"] = self.yellow_days
            lines.add(self.t(lang, f"alerts.weekly.{key}", **params))
        ids = [*d.get("overdue", []), *d.get("due_soon", []), *d.get("awaiting", [])]
        return self._with_buttons(lang, lines, ids)

    # ------------------------------------------------------------------ system notices

    def uncertain_notice(self, lang: str, entries: Sequence[Mapping[str, Any]]) -> Rendered:
        """To an inspector: the deliveries that may or may not have arrived. Each entry has
        ``user_id``, ``kind`` and ``item_id`` (``None`` for digests)."""
        lines = _Lines()
        lines.add(self.t(lang, "alerts.notice.uncertain", count=len(entries)))
        by_user: dict[int, list[str]] = {}
        for e in entries:
            kind = self.catalog.plain(lang, f"alerts.kind.{e.get('kind') or 'notice'}")
            what = f"{e['item_id']} {kind}" if e.get("item_id") else kind
            by_user.setdefault(int(e["user_id"]), []).append(what)
        omitted = 0
        for user_id, whats in by_user.items():
            sep = self.catalog.plain(lang, "alerts.separator")
            line = self.t(
                lang,
                "alerts.notice.uncertain_line",
                who=self.who(lang, user_id),
                what=sep.join(dict.fromkeys(whats)),
            )
            if omitted or not lines.room(line, 60):
                omitted += 1
                continue
            lines.add(line)
        if omitted:
            lines.add(self.t(lang, "alerts.more_lines", count=omitted))
        ids = [str(e["item_id"]) for e in entries if e.get("item_id")]
        return self._with_buttons(lang, lines, ids)

    def damaged_notice(self, lang: str, code: str, record: str, file: str) -> Rendered:
        """To an inspector: unit ``code``'s ledger is quarantined read-only (R29)."""
        unit = self.directory.units.get(code)
        text = self.t(
            lang,
            "harden.damaged_notice",
            unit=unit.name if unit is not None else code,
            code=code,
            record=record,
            file=file,
        )
        return Rendered(text, None, ())

    def unreachable_notice(self, lang: str, user_id: int) -> Rendered:
        """To an inspector: ``user_id`` cannot be reached any more."""
        person = self.directory.people.get(user_id)
        key = (
            "alerts.notice.unreachable_inspector"
            if person is None or person.role is Role.INSPECTOR
            else "alerts.notice.unreachable"
        )
        lines = _Lines()
        lines.add(self.t(lang, key, who=self.who(lang, user_id)))
        return Rendered(lines.text(), None, ())

    # ------------------------------------------------------------------ summaries

    def kind_counts(self, lang: str, counts: Mapping[str, int]) -> str:
        order = [
            str(k) for k in (*_SECTION_ORDER, AlertKind.DIGEST_DAILY, AlertKind.DIGEST_WEEKLY)
        ]
        parts = [
            self.catalog.plain(
                lang,
                "alerts.summary.kind_count",
                kind=self.catalog.plain(lang, f"alerts.kind.{kind}"),
                count=counts[kind],
            )
            for kind in [*order, "notice"]
            if counts.get(kind)
        ]
        return " · ".join(parts)


def _group_by(entries: Iterable[Entry], key: Callable[[Entry], int]) -> dict[int, list[Entry]]:
    groups: dict[int, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return groups


def _week_days(details: Mapping[str, Any]) -> tuple[date, date]:
    """The days a weekly digest covers: ``start``/``end``, or (recorded by an older version)
    the ISO week's Monday to Friday."""
    if details.get("start") and details.get("end"):
        return date.fromisoformat(details["start"]), date.fromisoformat(details["end"])
    year, _, week = str(details.get("week", "")).partition("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return monday, monday + timedelta(days=4)


def count_kinds(entries: Iterable[Entry]) -> Counter[str]:
    return Counter(str(e.kind) for e in entries)


__all__ = [
    "MAX_BUTTONS",
    "TEXT_BUDGET",
    "Directory",
    "Rendered",
    "Renderer",
    "count_kinds",
    "utf16_len",
]
