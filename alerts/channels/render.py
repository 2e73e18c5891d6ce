"""Group messages for 企业微信 / 钉钉 robots, from the same ``ledger.alerts.Entry`` rows the
Telegram alerts carry, in ``[channels] language`` (``locales/*/channels.toml``).

One message per group per sweep: a heading, the counts per kind, then a section per kind with
one line per item — id, unit (in the inspectors' group), light, days overdue or left, deadline
and the responsible leader (责任领导, a name already on the 台账) — then the digests due, then
a link to open the bot where ``[channels] bot_username`` is set. Problem descriptions, people's
Telegram names and evidence never go to a group: a group robot is a third-party platform, so
it gets what is needed to act and the link to the rest.

Sizes: the body stays within the robot's byte limit (:func:`alerts.channels.robots.limit_of`,
UTF-8 bytes). Lines are never cut: when the lines do not fit, each section lists what fits and
says how many more it holds; a single line longer than the budget (a huge unit name) is
clipped at a character boundary. Every stored string is made inert for markdown (:func:`md`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from alerts.channels.robots import Message, limit_of
from config import ChannelConfig
from ledger.alerts import SECTION_ORDER, AlertKind, Entry
from ledger.model import Item, Light, Unit
from locales import Catalog

_SECTION_ORDER = SECTION_ORDER  # the Telegram alerts' order: one list, every kind in it
_DIGESTS = (AlertKind.DIGEST_DAILY, AlertKind.DIGEST_WEEKLY)
# Markdown-active characters in stored strings become their full-width twins: a unit called
# "**X**" or "[a](b)" reads as typed and cannot format, link or inject a <font> tag.
_INERT = str.maketrans(
    {"*": "＊", "_": "＿", "[": "［", "]": "］", "<": "＜", ">": "＞", "#": "＃", "`": "｀",
     "~": "～", "|": "｜", "\\": "＼"}
)  # fmt: skip
IDS_SHOWN = 20


def md(value: Any) -> str:
    """``value`` as inert markdown text on one line."""
    return " ".join(str(value).split()).translate(_INERT)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def clip(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` UTF-8 bytes at a character boundary (with "…")."""
    if utf8_len(text) <= budget:
        return text
    cut = text.encode("utf-8")[: max(0, budget - 3)].decode("utf-8", "ignore")
    return cut + "…"


@dataclass(frozen=True)
class Section:
    title: str
    lines: Sequence[str]


def fit(
    head: Sequence[str],
    sections: Sequence[Section],
    foot: Sequence[str],
    budget: int,
    more: Callable[[int], str],
) -> str:
    """Join ``head``, the sections (title, then lines) and ``foot`` within ``budget`` bytes.

    Titles, head and foot are always kept (clipped only if they alone overflow); lines fill
    what is left in order, and a section whose lines do not all fit ends with ``more(n)``.
    Sections are separated by a blank line, lines by one newline.
    """
    fixed = [clip(t, budget // 4) for t in head] + [clip(t, budget // 4) for t in foot]
    titles = [clip(s.title, budget // 8) for s in sections]
    reserve = sum(utf8_len(t) + 2 for t in fixed) + sum(utf8_len(t) + 2 for t in titles)
    reserve += sum(utf8_len(more(10**6)) + 1 for s in sections if s.lines)
    room = budget - reserve
    blocks: list[str] = ["\n".join(fixed[: len(head)])] if head else []
    for title, section in zip(titles, sections, strict=True):
        lines = [title]
        omitted = 0
        for line in section.lines:
            size = utf8_len(line) + 1
            if omitted or size > room:
                if not omitted and room > 0 and size > budget // 2:
                    # one monstrous line: clip it rather than lose everything after it
                    line = clip(line, room - 1)
                    size = utf8_len(line) + 1
                    if size <= room:
                        lines.append(line)
                        room -= size
                        continue
                omitted += 1
                continue
            lines.append(line)
            room -= size
        if omitted:
            lines.append(more(omitted))
        blocks.append("\n".join(lines))
    if foot:
        blocks.append("\n".join(fixed[len(head) :]))
    text = "\n\n".join(b for b in blocks if b)
    return clip(text, budget)  # a guarantee; the reserve above makes it a no-op


class GroupRenderer:
    """Renders the messages of one pass for the groups (see the module docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        lang: str,
        *,
        items: Mapping[str, Item],
        units: Mapping[str, Unit],
        today: date,
        bot_username: str = "",
        yellow_days: int = 7,
    ) -> None:
        self.catalog = catalog
        self.lang = catalog.normalise(lang)
        self.items = items
        self.units = units
        self.today = today
        self.bot_username = bot_username
        self.yellow_days = yellow_days
        self._dates: dict[date | str, str] = {}
        self._fixed: dict[str, str] = {}

    def p(self, key: str, **params: Any) -> str:
        if not params:  # a fixed word (a light, a section title): looked up once
            hit = self._fixed.get(key)
            if hit is None:
                hit = self._fixed[key] = self.catalog.plain(self.lang, key)
            return hit
        return self.catalog.plain(self.lang, key, **params)

    # ------------------------------------------------------------------ names

    def unit_name(self, code: str) -> str:
        unit = self.units.get(code)
        return md(unit.name) if unit is not None and unit.name else md(code)

    def group(self, channel: ChannelConfig) -> str:
        """The group's name as people call it: ``name`` from config, else a default."""
        if channel.label:
            return md(channel.label)
        if channel.unit is None:
            return self.p("channels.group.inspectors")
        return self.p("channels.group.unit", unit=self.unit_name(channel.unit))

    def kind(self, channel: ChannelConfig) -> str:
        return self.p(f"channels.kind.{channel.kind}")

    def date(self, day: date | str) -> str:
        hit = self._dates.get(day)  # a pass words a few dozen dates 30,000 times
        if hit is not None:
            return hit
        d = date.fromisoformat(day) if isinstance(day, str) else day
        month = self.p("alerts.months").split(",")[d.month - 1]
        key = "alerts.date" if d.year == self.today.year else "alerts.date_year"
        shown = self._dates[day] = self.p(key, year=d.year, month=month, day=d.day)
        return shown

    # ------------------------------------------------------------------ the message

    def message(self, channel: ChannelConfig, entries: Sequence[Entry]) -> Message:
        """The one message of this pass for ``channel``: every alert entry and digest."""
        group = self.group(channel)
        title = self.p("channels.md.title", group=group, date=self.date(self.today))
        alerts = [e for e in entries if e.kind not in _DIGESTS]
        head = [f"### {title}"]
        if alerts:
            counts = [
                self.p(
                    "channels.md.kind_count",
                    kind=self.p(f"alerts.kind.{kind}"),
                    count=sum(1 for e in alerts if e.kind is kind),
                )
                for kind in _SECTION_ORDER
                if any(e.kind is kind for e in alerts)
            ]
            head.append(self.p("channels.md.summary", count=len(alerts), kinds=" · ".join(counts)))
        sections = self._alert_sections(channel, alerts)
        for entry in entries:
            if entry.kind is AlertKind.DIGEST_DAILY:
                sections.extend(self._daily(entry))
            elif entry.kind is AlertKind.DIGEST_WEEKLY:
                sections.extend(self._weekly(entry))
        foot = [self._link()]
        if channel.security == "keyword" and channel.keyword:
            keyword = md(channel.keyword)
            if not any(keyword in s for s in (*head, *foot)):
                foot.append(self.p("channels.md.keyword", keyword=keyword))
        budget = limit_of(channel, markdown=True)
        body = fit(head, sections, foot, budget, lambda n: self.p("channels.md.more", count=n))
        if channel.security == "keyword" and channel.keyword and channel.keyword not in body:
            body = clip(body, budget - utf8_len(channel.keyword) - 2) + "\n\n" + channel.keyword
        return Message(title=clip(title, 128), body=body)

    def test_message(self, channel: ChannelConfig, when: str) -> Message:
        """The plain-text test message ``/channels test`` sends."""
        body = self.p("channels.test.body", group=self.group(channel), when=when)
        link = self._link(plain=True)
        if link:
            body = f"{body}\n{link}"
        if channel.security == "keyword" and channel.keyword and channel.keyword not in body:
            body = f"{body}\n{channel.keyword}"
        title = self.p("channels.test.title_plain")
        return Message(title=title, body=clip(body, limit_of(channel, False)), markdown=False)

    def _link(self, plain: bool = False) -> str:
        if not self.bot_username:
            return "" if plain else self.p("channels.md.no_link")
        url = f"https://t.me/{self.bot_username}"
        if plain:
            return self.p("channels.md.link_plain", url=url)
        return self.p("channels.md.link", url=url)

    # ------------------------------------------------------------------ alerts

    def _alert_sections(self, channel: ChannelConfig, entries: Sequence[Entry]) -> list[Section]:
        sections: list[Section] = []
        for kind in _SECTION_ORDER:
            of_kind = [e for e in entries if e.kind is kind]
            if not of_kind:
                continue
            if kind is AlertKind.ESCALATION:
                levels = sorted({e.step for e in of_kind}, reverse=True)
                for level in levels:
                    group = [e for e in of_kind if e.step == level]
                    name = self.p(f"channels.md.level.{min(max(level, 1), 3)}")
                    title = self.p("channels.md.section.escalation", level=name)
                    sections.append(Section(f"**{title}**", self._lines(channel, group)))
                continue
            title = self.p(f"channels.md.section.{kind}")
            sections.append(Section(f"**{title}**", self._lines(channel, of_kind)))
        return sections

    def _lines(self, channel: ChannelConfig, entries: Iterable[Entry]) -> list[str]:
        return [f"- {self._line(channel, e)}" for e in entries]

    def _line(self, channel: ChannelConfig, entry: Entry) -> str:
        d = entry.details
        item = self.items.get(entry.item_id or "")
        unit = ""
        if channel.unit is None and entry.unit is not None:
            unit = self.p("channels.md.unit", unit=self.unit_name(entry.unit))
        leader = ""
        if item is not None and item.leader.strip():
            leader = self.p("channels.md.leader", leader=md(item.leader))
        params: dict[str, Any] = {
            "light": self.p(f"alerts.light.{entry.light or Light.GREEN}"),
            "item_id": md(entry.item_id or ""),
            "unit": unit,
            "leader": leader,
        }
        kind = entry.kind
        if kind in (AlertKind.OVERDUE, AlertKind.ESCALATION):
            key = "overdue"
            params.update(days=d.get("days_overdue", ""), deadline=self.date(d["deadline"]))
        elif kind is AlertKind.DUE_SOON:
            days = int(d.get("days_left", entry.step))
            key = "due_today" if days <= 0 else "due_soon"
            params.update(days=days, deadline=self.date(d["deadline"]))
        elif kind is AlertKind.STALE:
            key = "stale"
            params.update(days=d.get("idle_days", ""))
        elif kind in (AlertKind.AWAIT_ENDORSEMENT, AlertKind.AWAIT_VERIFICATION):
            key = str(kind)
            params.update(days=d.get("waited_workdays", ""))
        elif kind is AlertKind.REPORT_DUE:  # a unit's milestone, not an item
            key = "report_due"
            params.update(
                unit=self.unit_name(entry.unit or ""),
                code=md(entry.unit or ""),
                due=self.date(d["due"]),
                days=d.get("days_left", ""),
            )
        else:
            key = "lookback"
            params.update(closed=self.date(d["closed_on"]))
        return self.p(f"channels.md.line.{key}", **params)

    # ------------------------------------------------------------------ digests

    def _ids(self, ids: Sequence[str]) -> str:
        if not ids:
            return self.p("channels.md.none")
        shown = self.p("channels.md.separator").join(md(i) for i in ids[:IDS_SHOWN])
        if len(ids) > IDS_SHOWN:
            shown += self.p("channels.md.ids_more", count=len(ids))
        return shown

    def _daily(self, entry: Entry) -> list[Section]:
        d = entry.details
        lines = []
        for field in ("new_overdue", "awaiting_verification", "awaiting_endorsement"):
            ids = [str(i) for i in d.get(field, []) or []]
            lines.append(
                "- " + self.p(f"channels.md.daily.{field}", count=len(ids), ids=self._ids(ids))
            )
        title = self.p("channels.md.daily.title", date=self.date(d.get("date", self.today)))
        out = [Section(f"**{title}**", lines)]
        units: Mapping[str, Mapping[str, int]] = d.get("units", {}) or {}
        if units:
            ordered = sorted(units.items(), key=lambda kv: (-kv[1].get("overdue", 0), kv[0]))
            unit_lines = [
                "- "
                + self.p(
                    "channels.md.daily.unit",
                    code=md(code),
                    name=self.unit_name(code),
                    overdue=c.get("overdue", 0),
                    open=c.get("open", 0),
                    in_progress=c.get("in_progress", 0),
                    closed=c.get("closed", 0),
                )
                for code, c in ordered
            ]
            out.append(Section(self.p("channels.md.daily.units"), unit_lines))
        return out

    def _weekly(self, entry: Entry) -> list[Section]:
        d = entry.details
        code = str(d.get("unit") or entry.unit or "")
        year, _, week = str(d.get("week", "")).partition("-W")
        title = self.p(
            "channels.md.weekly.title", unit=self.unit_name(code), year=year, week=week.lstrip("0")
        )
        c: Mapping[str, int] = d.get("counts", {}) or {}
        # Every line a list item: DingTalk's markdown joins a bare line to the next.
        lines = [
            "- "
            + self.p(
                "channels.md.weekly.counts",
                **{
                    f: c.get(f, 0)
                    for f in ("open", "in_progress", "submitted", "endorsed", "closed", "overdue")
                },
            )
        ]
        for field in ("overdue", "due_soon", "awaiting", "closed_this_week"):
            ids = [str(i) for i in d.get(field, []) or []]
            key = "closed" if field == "closed_this_week" else field
            lines.append(
                "- "
                + self.p(
                    f"channels.md.weekly.{key}",
                    count=len(ids),
                    ids=self._ids(ids),
                    days=self.yellow_days,
                )
            )
        return [Section(f"**{title}**", lines)]


__all__ = ["GroupRenderer", "Section", "clip", "fit", "md", "utf8_len"]
