"""The alert policy (DESIGN §3 table, §6; R7, R8) as one pure function, :func:`decide_alerts`.

Given the time, the items, units and people, and what was already sent, it returns the messages
to send in this sweep: one :class:`Outgoing` per recipient and group, each holding
:class:`Entry` rows. Delivery, pacing, the alert log and the wording live in ``alerts/`` and
``locales/``.

Keys (R7). Every entry has a deterministic key::

    <item_id>:<kind>:<anchor>:<step>        e.g. HZ-007:overdue:2026-05-01:2

``anchor`` is the ISO date the schedule counts from (below), so that a new deadline, new
activity, a new submission or a new closing starts a new schedule instead of colliding with
the old one's keys. The same key goes to every recipient of that alert; the per-recipient
delivery key is ``<key>@<user_id>`` (:func:`delivery_key`, :attr:`Outgoing.delivery_keys`).
An entry is not produced for a recipient if ``sent_keys`` contains either its key (sent to
all) or its delivery key (sent to that person). Feeding every delivery key of a run back in
``sent_keys`` makes the next run at the same instant produce nothing.

Current step only (R8). Each kind computes the single step due *now*; earlier steps that were
missed (downtime) are never produced, so a catch-up sweep sends one entry per item and kind.

Kinds, anchors and steps (``today`` = the local date of ``now`` in ``tz``):

- ``due_soon`` 临期提醒 → the unit's contacts. Open/in_progress items with a deadline.
  anchor = deadline; ``days_left = deadline - today``. Step = the smallest ``r`` in
  ``remind_days`` with ``r >= days_left``, while ``0 <= days_left <= max(remind_days)``; so step
  7 is due from 7 days before until step 3 takes over, and step 1 is still sent on the deadline
  day if it was missed.
- ``overdue`` 超期预警 → contacts + leaders. Open/in_progress, deadline passed.
  anchor = deadline; ``days_overdue = today - deadline`` (1 on the first overdue day). Step
  ``k = (days_overdue - 1) // overdue_repeat_days``: step 0 on overdue day 1, step k on day
  ``1 + k * overdue_repeat_days`` (1, 8, 15 … by default).
- ``escalation`` 升级 → all inspectors. Same items. anchor = deadline. Step = level = how many
  ``escalate_days`` thresholds ``days_overdue`` has reached (1 提醒, 2 告诫, 3 建议问责 with the
  default 1/15/30; more thresholds give higher levels) — counted from the day the item was
  created when that is after its deadline (:func:`escalation_days`: an item imported already
  overdue escalates from its import, not from weeks before it).
- ``stale`` 无进展 → contacts. In_progress items, and monitoring (长期坚持) items, which keep
  periodic progress reminders. anchor = the local date of ``ledger.light.last_activity``;
  ``idle = today - anchor``; step ``n = idle // stale_days`` once ``n >= 1`` (day 14, 28 …).
- ``await_endorsement`` 待签字 → the unit's leaders (submitted items) and
  ``await_verification`` 待核验 → inspectors (endorsed items). anchor = the local date the item
  entered its status: ``status_since[item_id]`` when given (``ledger.workflow.status_since``),
  else the endorsement time for endorsed items, else ``last_activity`` (which may be earlier
  than the real submission, so pass the mapping). ``waited`` = working days in
  ``(anchor, today]`` (``WorkCalendar.workdays_between``); step ``n = (waited - 1) //
  review_days`` once ``waited > review_days``: waiting 4, 7, 10 … working days by default.
  ``details["estimated"]`` says the count used the Monday–Friday fallback.
- ``lookback`` 回头看 → inspectors. Closed and monitoring items. Items of a unit are grouped
  by the local month of ``closed_at`` (a cohort); from each cohort the ``lookback_sample``
  items with the smallest ``sha256("<unit>:<YYYY-MM>:<item_id>")`` are chosen — a
  deterministic pseudo-random sample — and each is due once, from ``closed_at + lookback_months``
  (calendar months, clamped to month end). anchor = the closing date; step 1.

Recipients are skipped when ``reachable`` is false. When an alert for the unit side (contacts,
leaders) has nobody reachable — no such person registered, or all unreachable — it goes to
the reachable inspectors instead, with ``Entry.fallback`` set and ``details["intended"]``
naming the audience, so a unit nobody can reach still shows up. Alerts meant for inspectors
with no reachable inspector are dropped. Withdrawn items never alert.

Digests, produced only when the caller says they are due (``digests``: ``{"daily",
"weekly"}``, or a mapping of those names to the :class:`DigestPeriod` each one covers;
scheduling belongs to the caller). A digest is keyed by the period it covers, not by the day
it is sent, so one missed during downtime is sent late under its own key, exactly once, and
says which period it covers (``period_start``/``period_end``, ``as_of`` = ``now`` when sent
after the period). Without a period a digest covers today (daily) or this week up to today:

- daily, key ``digest:daily:<user_id>:<YYYY-MM-DD of the day covered>``, to each reachable
  inspector: ``new_overdue`` (items whose first overdue day falls after the working day before
  the covered day, up to it — Monday's digest covers the weekend), with ``new_overdue_told``
  the ones this inspector was already told of item by item (an escalation delivered), so the
  digest can say why they appear again; ``awaiting_verification`` (endorsed),
  ``awaiting_endorsement`` (submitted), and per-unit figures (``ledger.figures``) for units
  with any non-withdrawn item. Not produced when no item is active.
- weekly, key ``digest:weekly:<UNIT>:<ISO year>-W<week of the week covered>``, to the unit's
  reachable contacts and leaders: the unit's figures, ``overdue``, ``due_soon`` (due within
  ``yellow_days``), ``awaiting`` (submitted/endorsed) and ``closed_this_week`` (closed from the
  week's Monday to the period's end). Not produced when the unit has no active item and closed
  nothing that week, nor when nobody in the unit is reachable.

Ordering: entries by light (red first), then deadline (none last), then id, then kind;
outgoing messages by user id, then group. Digest lists of ids follow the same item order.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from ledger.calendar import WorkCalendar, add_months, local_date
from ledger.errors import InvalidValue
from ledger.figures import figures, is_due_soon
from ledger.light import LIGHT_RANK, deadline_key, item_id_key, last_activity, light
from ledger.model import Item, Light, Person, Role, Status, Unit, require_aware
from ledger.rules import Rules, check_rules


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"  # 临期提醒
    OVERDUE = "overdue"  # 超期预警
    ESCALATION = "escalation"  # 升级
    STALE = "stale"  # 无进展
    AWAIT_ENDORSEMENT = "await_endorsement"  # 待签字
    AWAIT_VERIFICATION = "await_verification"  # 待核验
    LOOKBACK = "lookback"  # 回头看
    REPORT_DUE = "report_due"  # 整改情况报告 due (a unit's milestone)
    DIGEST_DAILY = "digest_daily"  # 日报
    DIGEST_WEEKLY = "digest_weekly"  # 周报


class Group(StrEnum):
    """What one message carries: every item alert of the sweep, or one digest."""

    ALERTS = "alerts"
    DIGEST_DAILY = "digest_daily"
    DIGEST_WEEKLY = "digest_weekly"


DIGEST_NAMES = frozenset({"daily", "weekly"})

SECTION_ORDER: tuple[AlertKind, ...] = (
    AlertKind.ESCALATION,
    AlertKind.OVERDUE,
    AlertKind.DUE_SOON,
    AlertKind.STALE,
    AlertKind.AWAIT_VERIFICATION,
    AlertKind.AWAIT_ENDORSEMENT,
    AlertKind.LOOKBACK,
    AlertKind.REPORT_DUE,
)
"""The order of an alert message's sections (most urgent first); digests come after."""

_KIND_RANK = {
    kind: rank
    for rank, kind in enumerate((*SECTION_ORDER, AlertKind.DIGEST_DAILY, AlertKind.DIGEST_WEEKLY))
}
_GROUP_RANK = {g: i for i, g in enumerate(Group)}
_WORKING = (Status.OPEN, Status.IN_PROGRESS)


@dataclass(frozen=True)
class Entry:
    """One alert about one item (or one digest) inside a message.

    ``item_id``/``unit`` are ``None`` for the daily digest; ``light``/``deadline`` are the
    item's at ``now`` (``None`` for digests). ``details`` is JSON-compatible (dates as ISO
    strings); its keys per kind are listed in the module docstring and at each producer.
    """

    key: str
    kind: AlertKind
    item_id: str | None
    unit: str | None
    step: int
    light: Light | None = None
    deadline: date | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False  # a unit-side alert sent to inspectors: nobody in the unit reachable


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient in this sweep."""

    user_id: int
    group: Group
    entries: tuple[Entry, ...]
    language: str | None = None

    @property
    def delivery_keys(self) -> tuple[str, ...]:
        """``<key>@<user_id>`` of every entry: what the alert log records as sent."""
        return tuple(delivery_key(e.key, self.user_id) for e in self.entries)


# --------------------------------------------------------------------------- keys and steps


def alert_key(item_id: str, kind: AlertKind, anchor: date, step: int) -> str:
    return f"{item_id}:{kind}:{anchor.isoformat()}:{step}"


@dataclass(frozen=True)
class DigestPeriod:
    """The days a digest covers (both included): a daily one ``start == end``; a weekly one
    from the week's Monday to its digest day."""

    start: date
    end: date


def daily_digest_key(user_id: int, day: date) -> str:
    return f"digest:daily:{user_id}:{day.isoformat()}"


def weekly_digest_key(unit: str, day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"digest:weekly:{unit}:{year}-W{week:02d}"


def delivery_key(key: str, user_id: int) -> str:
    return f"{key}@{user_id}"


def due_soon_step(days_left: int, remind_days: Collection[int]) -> int | None:
    """The reminder step due with ``days_left`` days to go, or ``None`` (see module doc)."""
    if days_left < 0:
        return None
    candidates = [r for r in remind_days if r >= days_left]
    return min(candidates) if candidates else None


def overdue_step(days_overdue: int, repeat_days: int) -> int | None:
    """``(days_overdue - 1) // repeat_days`` from the first overdue day, else ``None``."""
    return None if days_overdue < 1 else (days_overdue - 1) // repeat_days


def escalation_days(item: Item, today: date, tz: tzinfo) -> int:
    """Days overdue as escalation counts them: from the deadline, or — for an item that was
    already overdue when it was imported (a 台账 brought in late) — from the day it was
    imported, so the first sweep does not escalate it as if it had been ignored for weeks."""
    assert item.deadline is not None
    start = max(item.deadline, local_date(item.created_at, tz))
    return (today - start).days


def escalation_level(days_overdue: int, escalate_days: Collection[int]) -> int:
    """How many thresholds ``days_overdue`` has reached (0: none)."""
    return sum(1 for t in escalate_days if days_overdue >= t)


def stale_step(idle_days: int, stale_days: int) -> int | None:
    """``idle_days // stale_days`` once at least one full period has passed, else ``None``."""
    n = idle_days // stale_days
    return n if n >= 1 else None


def review_step(waited: int, review_days: int) -> int | None:
    """``(waited - 1) // review_days`` once ``waited > review_days``, else ``None``."""
    return (waited - 1) // review_days if waited > review_days else None


def lookback_sample(unit: str, cohort: str, items: Iterable[Item], size: int) -> list[Item]:
    """The ``size`` items of one unit's closing-month ``cohort`` (``YYYY-MM``) chosen for
    回头看: smallest ``sha256("<unit>:<cohort>:<id>")`` first; deterministic."""

    def rank(item: Item) -> str:
        return hashlib.sha256(f"{unit}:{cohort}:{item.id}".encode()).hexdigest()

    return sorted(items, key=rank)[: max(0, size)]


# --------------------------------------------------------------------------- the policy


class _Audience(StrEnum):
    CONTACTS = "contacts"
    UNIT = "unit"  # contacts + leaders
    LEADERS = "leaders"
    INSPECTORS = "inspectors"


class _People:
    """Reachable recipients by audience; a unit audience with nobody reachable is empty."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.contacts: dict[str, list[Person]] = defaultdict(list)
        self.leaders: dict[str, list[Person]] = defaultdict(list)
        self.inspectors: list[Person] = []
        seen: set[int] = set()
        for p in sorted(people, key=lambda p: p.user_id):
            if not p.reachable or p.user_id in seen:
                continue
            seen.add(p.user_id)
            if p.role is Role.INSPECTOR:
                self.inspectors.append(p)
            elif p.unit is not None:
                (self.contacts if p.role is Role.CONTACT else self.leaders)[p.unit].append(p)

    def resolve(self, audience: _Audience, unit: str) -> list[Person]:
        if audience is _Audience.INSPECTORS:
            return self.inspectors
        if audience is _Audience.CONTACTS:
            return self.contacts.get(unit, [])
        if audience is _Audience.LEADERS:
            return self.leaders.get(unit, [])
        return [*self.contacts.get(unit, []), *self.leaders.get(unit, [])]


class _Sink:
    """Collects entries per (recipient, group), skipping what ``sent`` already holds."""

    def __init__(self, sent: Container[str]) -> None:
        self.sent = sent
        self.by: dict[tuple[int, Group], list[Entry]] = defaultdict(list)
        self.language: dict[int, str | None] = {}
        self.seen: set[str] = set()
        self.order: dict[str, tuple[int, int, date, str, int, int, int]] = {}

    def add(self, recipients: Iterable[Person], group: Group, entry: Entry) -> None:
        if entry.key not in self.order:  # computed once per entry, not once per recipient
            self.order[entry.key] = _entry_key(entry)
        for p in recipients:
            dk = delivery_key(entry.key, p.user_id)
            if dk in self.seen or entry.key in self.sent or dk in self.sent:
                continue
            self.seen.add(dk)
            self.by[(p.user_id, group)].append(entry)
            self.language[p.user_id] = p.language

    def outgoing(self) -> list[Outgoing]:
        out = []
        for (user_id, group), entries in sorted(
            self.by.items(), key=lambda kv: (kv[0][0], _GROUP_RANK[kv[0][1]])
        ):
            entries.sort(key=lambda e: self.order[e.key])
            out.append(Outgoing(user_id, group, tuple(entries), self.language[user_id]))
        return out


def unit_audiences(people: Iterable[Person]) -> Callable[[str], list[Person]]:
    """Unit code -> the people a decision over that unit's items alone reads: the unit's
    reachable contacts and leaders and the inspectors, each once, as a decision over every
    item holds them. Deciding one unit at a time with these and merging the messages
    (:func:`merge_outgoing`) gives what one decision over every item gives."""
    roster = _People(people)

    def of(code: str) -> list[Person]:
        return [
            *roster.contacts.get(code, ()),
            *roster.leaders.get(code, ()),
            *roster.inspectors,
        ]

    return of


def merge_outgoing(parts: Iterable[Iterable[Outgoing]]) -> list[Outgoing]:
    """The messages of several decisions over disjoint sets of items (one unit at a time,
    say) as one decision over all of them groups them: one message per recipient and group,
    the recipients and groups in the same order, each message's entries in the same order.
    """
    by: dict[tuple[int, Group], list[Entry]] = defaultdict(list)
    language: dict[int, str | None] = {}
    for part in parts:
        for out in part:
            by[(out.user_id, out.group)].extend(out.entries)
            language[out.user_id] = out.language
    order: dict[str, tuple[int, int, date, str, int, int, int]] = {}

    def rank(e: Entry) -> tuple[int, int, date, str, int, int, int]:
        hit = order.get(e.key)  # computed once per entry, not once per recipient (as _Sink)
        if hit is None:
            hit = order[e.key] = _entry_key(e)
        return hit

    merged = []
    for (user_id, group), entries in sorted(
        by.items(), key=lambda kv: (kv[0][0], _GROUP_RANK[kv[0][1]])
    ):
        entries.sort(key=rank)
        merged.append(Outgoing(user_id, group, tuple(entries), language[user_id]))
    return merged


def _entry_key(e: Entry) -> tuple[int, int, date, str, int, int, int]:
    rank = LIGHT_RANK[e.light] if e.light is not None else len(LIGHT_RANK)
    item = item_id_key(e.item_id) if e.item_id is not None else ("", -1)
    return (rank, *deadline_key(e.deadline), *item, _KIND_RANK[e.kind], e.step)


def decide_alerts(
    now: datetime,
    tz: tzinfo,
    items: Iterable[Item],
    units: Iterable[Unit],
    people: Iterable[Person],
    sent_keys: Container[str],
    rules: Rules,
    calendar: WorkCalendar,
    *,
    digests: Collection[str] | Mapping[str, DigestPeriod] = frozenset(),
    status_since: Mapping[str, datetime] | None = None,
    reports: Mapping[str, date] | None = None,
    report_days: Collection[int] = (14, 7, 1),
) -> list[Outgoing]:
    """Everything due at ``now`` that ``sent_keys`` does not hold (see the module docstring).

    ``sent_keys`` is anything supporting ``in`` (a set, or a lookup object over the alert
    log). ``digests`` names the digests due in this sweep (``"daily"``, ``"weekly"``; others
    raise ``InvalidValue(field="digests")``). ``status_since`` maps item ids to the moment the
    item entered its current status (``ledger.workflow.status_since``); pass it consistently,
    since it moves stale and review anchors. ``reports`` maps a unit to the due date of its
    整改情况报告 not yet submitted: ``report_due`` reminders go to its contacts and leaders at
    each of ``report_days`` before it (:func:`report_alerts`). Raises ``InvalidValue`` for a
    naive ``now`` and for unusable ``rules`` (``ledger.rules.check_rules``).
    """
    require_aware(now, "now")
    check_rules(rules)
    unknown = set(digests) - DIGEST_NAMES
    if unknown:
        raise InvalidValue("unknown digest", field="digests", value=sorted(unknown))
    today = local_date(now, tz)
    since_map: Mapping[str, datetime] = status_since or {}
    every = list(items)
    all_items = [i for i in every if i.status is not Status.WITHDRAWN]
    by_id = {i.id: i for i in all_items}
    every_by_unit: dict[str, list[Item]] = defaultdict(list)
    for item in every:
        every_by_unit[item.unit].append(item)
    roster = _People(people)
    sink = _Sink(sent_keys)
    lights = {i.id: light(i, now, tz, rules, status_since=since_map.get(i.id)) for i in all_items}

    def send(audience: _Audience, unit: str, entry: Entry) -> None:
        recipients = roster.resolve(audience, unit)
        if not recipients and audience is not _Audience.INSPECTORS:
            recipients = roster.inspectors
            entry = replace(
                entry, fallback=True, details={**entry.details, "intended": str(audience)}
            )
        sink.add(recipients, Group.ALERTS, entry)

    for item in all_items:
        for audience, entry in _item_alerts(
            item, today, lights[item.id], since_map.get(item.id), tz, rules, calendar
        ):
            send(audience, item.unit, entry)
    for item, entry in _lookback_alerts(all_items, today, tz, rules):
        send(_Audience.INSPECTORS, item.unit, entry)
    for unit, entry in report_alerts(reports or {}, today, report_days):
        send(_Audience.UNIT, unit, entry)

    unit_codes = sorted({u.code for u in units})
    periods = digests if isinstance(digests, Mapping) else {}
    if "daily" in digests:
        period = periods.get("daily") or DigestPeriod(today, today)
        entry_or_none = _daily_digest(
            all_items, every_by_unit, lights, now, tz, rules, calendar, since_map, period
        )
        if entry_or_none is not None:
            for p in roster.inspectors:
                told = [
                    i
                    for i in entry_or_none.details["new_overdue"]
                    if _escalation_told(by_id[i], p.user_id, sent_keys)
                ]
                digest = replace(
                    entry_or_none,
                    key=daily_digest_key(p.user_id, period.end),
                    details={**entry_or_none.details, "new_overdue_told": told},
                )
                sink.add([p], Group.DIGEST_DAILY, digest)
    if "weekly" in digests:
        monday = today - timedelta(days=today.weekday())
        week = periods.get("weekly") or DigestPeriod(monday, today)
        by_unit: dict[str, list[Item]] = defaultdict(list)
        for item in all_items:
            by_unit[item.unit].append(item)
        for code in unit_codes:
            counts = _counts(every_by_unit.get(code, []), now, tz, rules, since_map)
            weekly = _weekly_digest(
                code, by_unit.get(code, []), counts, lights, today, tz, rules, week, now
            )
            if weekly is not None:
                sink.add(roster.resolve(_Audience.UNIT, code), Group.DIGEST_WEEKLY, weekly)
    return sink.outgoing()


def _item_alerts(
    item: Item,
    today: date,
    lit: Light,
    since: datetime | None,
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
) -> list[tuple[_Audience, Entry]]:
    """Every deadline, stale and review alert due for one item today (current steps only)."""
    out: list[tuple[_Audience, Entry]] = []

    def entry(kind: AlertKind, anchor: date, step: int, **details: Any) -> Entry:
        return Entry(
            key=alert_key(item.id, kind, anchor, step),
            kind=kind,
            item_id=item.id,
            unit=item.unit,
            step=step,
            light=lit,
            deadline=item.deadline,
            details=details,
        )

    if item.status in _WORKING and item.deadline is not None and not item.long_term:
        dl = item.deadline
        left = (dl - today).days
        iso = dl.isoformat()
        step = due_soon_step(left, rules.remind_days)
        if step is not None:
            e = entry(AlertKind.DUE_SOON, dl, step, days_left=left, deadline=iso)
            out.append((_Audience.CONTACTS, e))
        over = -left
        step = overdue_step(over, rules.overdue_repeat_days)
        if step is not None:
            e = entry(AlertKind.OVERDUE, dl, step, days_overdue=over, deadline=iso)
            out.append((_Audience.UNIT, e))
        level = escalation_level(escalation_days(item, today, tz), rules.escalate_days)
        if level:
            threshold = sorted(rules.escalate_days)[level - 1]
            e = entry(
                AlertKind.ESCALATION,
                dl,
                level,
                level=level,
                threshold=threshold,
                days_overdue=over,
                deadline=iso,
            )
            out.append((_Audience.INSPECTORS, e))

    if item.status in (Status.IN_PROGRESS, Status.MONITORING):
        anchor = local_date(last_activity(item, since), tz)
        idle = (today - anchor).days
        step = stale_step(idle, rules.stale_days)
        if step is not None:
            e = entry(AlertKind.STALE, anchor, step, idle_days=idle, since=anchor.isoformat())
            out.append((_Audience.CONTACTS, e))

    if item.status in (Status.SUBMITTED, Status.ENDORSED):
        waiting_since = since
        if waiting_since is None and item.status is Status.ENDORSED and item.endorsement:
            waiting_since = item.endorsement.at
        if waiting_since is None:
            waiting_since = last_activity(item)
        anchor = local_date(waiting_since, tz)
        waited = calendar.workdays_between(anchor, today)
        step = review_step(waited.count, rules.review_days)
        if step is not None:
            submitted = item.status is Status.SUBMITTED
            kind = AlertKind.AWAIT_ENDORSEMENT if submitted else AlertKind.AWAIT_VERIFICATION
            e = entry(
                kind,
                anchor,
                step,
                waited_workdays=waited.count,
                since=anchor.isoformat(),
                estimated=waited.estimated,
            )
            out.append((_Audience.LEADERS if submitted else _Audience.INSPECTORS, e))
    return out


def _lookback_alerts(
    items: Iterable[Item], today: date, tz: tzinfo, rules: Rules
) -> list[tuple[Item, Entry]]:
    """回头看 entries due today: per unit and closing month, the hashed sample, each once."""
    if rules.lookback_sample == 0:
        return []
    cohorts: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        if item.status in (Status.CLOSED, Status.MONITORING) and item.closed_at is not None:
            closed = local_date(item.closed_at, tz)
            cohorts[(item.unit, f"{closed.year:04d}-{closed.month:02d}")].append(item)
    out: list[tuple[Item, Entry]] = []
    for (unit, cohort), members in cohorts.items():
        first_closed = min(local_date(m.closed_at, tz) for m in members if m.closed_at)
        if add_months(first_closed, rules.lookback_months) > today:
            continue  # nobody in this cohort is due yet: skip the hashing
        for item in lookback_sample(unit, cohort, members, rules.lookback_sample):
            assert item.closed_at is not None
            closed = local_date(item.closed_at, tz)
            due = add_months(closed, rules.lookback_months)
            if due > today:
                continue
            entry = Entry(
                key=alert_key(item.id, AlertKind.LOOKBACK, closed, 1),
                kind=AlertKind.LOOKBACK,
                item_id=item.id,
                unit=item.unit,
                step=1,
                light=Light.CLOSED,
                deadline=item.deadline,
                details={
                    "closed_on": closed.isoformat(),
                    "due_on": due.isoformat(),
                    "months": rules.lookback_months,
                    "cohort": cohort,
                    "cohort_size": len(members),
                },
            )
            out.append((item, entry))
    return out


def report_alerts(
    reports: Mapping[str, date], today: date, report_days: Collection[int]
) -> list[tuple[str, Entry]]:
    """``report_due`` entries: for each unit's due date, the step of :func:`due_soon_step`
    with ``report_days`` (14, 7, 1 by default: one reminder per step, the last one still sent
    on the due day if missed). Key ``<UNIT>:report_due:<due>:<step>``, so a new due date
    starts a new schedule."""
    out: list[tuple[str, Entry]] = []
    for unit in sorted(reports):
        due = reports[unit]
        days_left = (due - today).days
        step = due_soon_step(days_left, report_days)
        if step is None:
            continue
        entry = Entry(
            key=alert_key(unit, AlertKind.REPORT_DUE, due, step),
            kind=AlertKind.REPORT_DUE,
            item_id=None,
            unit=unit,
            step=step,
            details={"due": due.isoformat(), "days_left": days_left},
        )
        out.append((unit, entry))
    return out


def lookback_due(items: Iterable[Item], today: date, tz: tzinfo, rules: Rules) -> list[str]:
    """Ids of the items the 回头看 alert has proposed by ``today`` (each cohort's sample whose
    date has come), in item order: what ``ledger.lookback`` samples first."""
    return sorted(
        (item.id for item, _ in _lookback_alerts(items, today, tz, rules)), key=item_id_key
    )


def _counts(
    items: Iterable[Item],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    since: Mapping[str, datetime],
) -> dict[str, int]:
    """The figures of ``items`` (``ledger.figures``, the one definition) as stored counts."""
    return figures(items, now, tz, rules, status_since=since).to_dict()


def _as_of(period: DigestPeriod, now: datetime, tz: tzinfo) -> dict[str, str]:
    """``{"as_of": now}`` for a digest sent after the period it covers (a catch-up)."""
    return {"as_of": now.isoformat()} if local_date(now, tz) > period.end else {}


def _escalation_told(item: Item, user_id: int, sent: Container[str]) -> bool:
    """Was ``user_id`` already told of ``item``'s lateness item by item (an escalation of its
    current deadline delivered, or recorded as sent to everyone)?"""
    if item.deadline is None:
        return False
    key = alert_key(item.id, AlertKind.ESCALATION, item.deadline, 1)
    return key in sent or delivery_key(key, user_id) in sent


def _ids(items: Iterable[Item], lights: Mapping[str, Light]) -> list[str]:
    """Ids in list order: light, deadline, id."""
    return [
        i.id
        for i in sorted(
            items,
            key=lambda i: (
                LIGHT_RANK[lights[i.id]],
                *deadline_key(i.deadline),
                *item_id_key(i.id),
            ),
        )
    ]


def _daily_digest(
    items: list[Item],
    every_by_unit: Mapping[str, list[Item]],
    lights: Mapping[str, Light],
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
    since: Mapping[str, datetime],
    period: DigestPeriod,
) -> Entry | None:
    """The inspectors' 日报 content for the day ``period.end`` (key filled in per recipient),
    or ``None`` if empty."""
    if not any(i.status.is_active for i in items):
        return None
    today = period.end
    previous_workday = calendar.add_workdays(today, -1).date
    new_overdue = [
        i
        for i in items
        if lights[i.id] is Light.RED
        and i.deadline is not None
        and previous_workday < i.deadline + timedelta(days=1) <= today
    ]
    units_with_items = sorted({i.unit for i in items})
    details: dict[str, Any] = {
        "date": today.isoformat(),
        **_as_of(period, now, tz),
        "new_overdue": _ids(new_overdue, lights),
        "awaiting_verification": _ids((i for i in items if i.status is Status.ENDORSED), lights),
        "awaiting_endorsement": _ids((i for i in items if i.status is Status.SUBMITTED), lights),
        "units": {
            code: _counts(every_by_unit.get(code, []), now, tz, rules, since)
            for code in units_with_items
        },
    }
    return Entry(
        key="", kind=AlertKind.DIGEST_DAILY, item_id=None, unit=None, step=0, details=details
    )


def _weekly_digest(
    code: str,
    items: list[Item],
    counts: dict[str, int],
    lights: Mapping[str, Light],
    today: date,
    tz: tzinfo,
    rules: Rules,
    week: DigestPeriod,
    now: datetime,
) -> Entry | None:
    """One unit's 周报 for ``week`` (its Monday up to its end), or ``None`` if empty. Lists
    and figures are as of ``today``; closings count within the week."""
    monday = week.start - timedelta(days=week.start.weekday())
    closed_this_week = [
        i
        for i in items
        if i.status in (Status.CLOSED, Status.MONITORING)
        and i.closed_at is not None
        and monday <= local_date(i.closed_at, tz) <= week.end
    ]
    if not closed_this_week and not any(i.status.is_active for i in items):
        return None
    due_soon = [i for i in items if is_due_soon(i, today, rules)]
    year, number, _ = monday.isocalendar()
    details: dict[str, Any] = {
        "week": f"{year}-W{number:02d}",
        "start": monday.isoformat(),
        "end": week.end.isoformat(),
        **_as_of(week, now, tz),
        "unit": code,
        "counts": counts,
        "overdue": _ids((i for i in items if lights[i.id] is Light.RED), lights),
        "due_soon": _ids(due_soon, lights),
        "awaiting": _ids(
            (i for i in items if i.status in (Status.SUBMITTED, Status.ENDORSED)), lights
        ),
        "closed_this_week": _ids(closed_this_week, lights),
    }
    return Entry(
        key=weekly_digest_key(code, monday),
        kind=AlertKind.DIGEST_WEEKLY,
        item_id=None,
        unit=code,
        step=0,
        details=details,
    )


__all__ = [
    "SECTION_ORDER",
    "DIGEST_NAMES",
    "AlertKind",
    "DigestPeriod",
    "Entry",
    "Group",
    "Outgoing",
    "alert_key",
    "daily_digest_key",
    "decide_alerts",
    "delivery_key",
    "due_soon_step",
    "escalation_days",
    "escalation_level",
    "lookback_sample",
    "merge_outgoing",
    "overdue_step",
    "review_step",
    "stale_step",
    "unit_audiences",
    "weekly_digest_key",
]
