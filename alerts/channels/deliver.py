"""The group-robot pass of a sweep, test messages, and the last delivery per group.

Each sweep (:class:`alerts.sweep.Sweeper`), after Telegram's delivery and under the sweep
lock, runs :meth:`ChannelPass.run`:

1. **Decide** — ``ledger.alerts.decide_alerts`` again, with the same items, rules, calendar
   and due digests, over *group audiences* instead of people: the inspectors' group stands
   for an inspector (escalations, 待核验, 回头看, the daily digest), a unit's work group for
   the unit's contacts and leaders (临期, 超期, 无进展, 待签字, the weekly digest). The policy
   is the same function; only the recipients differ. A unit-side alert that the policy would
   hand to inspectors because the unit has no group (``Entry.fallback``) is left out: a group
   hears what its audience would hear, and the inspectors' group does not fill in for units.
2. **Record** — one write: a ``pending`` record per new ``channel:<group>|<key>``
   (:mod:`alerts.channels.keys`). A pending record of an earlier pass that is no longer
   decided is ``superseded`` — except a digest, which keeps its content in the record and
   still goes out (a throttled day's digest arrives late rather than never).
3. **Deliver** — per group, *one* message holding every pending entry (new and left over:
   merged, never dropped), paced under 20 a minute per robot (:class:`alerts.pacing.Pacer`);
   a group whose robot throttled us is skipped until the pause (on the bot clock) is over.
   One write claims every group's keys (``pending → sending``) right before the requests,
   one write records the outcomes (:mod:`alerts.channels.robots`):
   ``sent``; ``uncertain`` (never resent); ``pending`` (throttled: pause recorded; not sent);
   ``failed`` (refused: never retried).
4. **Report** — inspectors get a Telegram notice, through the sweep's notice step, for an
   uncertain or refused message; a robot that refuses us whatever we send (invalid key, sign
   or keyword mismatch) is reported once per episode (``channels.broken``).

:func:`send_tests` (``/channels test``, ``bot.py channels test``) sends a test message to each
group through the same records; :func:`status` reads the last delivery per group.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from telegram.ext import Application, CallbackContext

from alerts.channels.keys import (
    BROKEN_META,
    PAUSED_META,
    TEST_PREFIX,
    channel_key,
    is_channel,
    split_channel_key,
)
from alerts.channels.render import GroupRenderer
from alerts.channels.robots import Answer, Message, Reply, Robot, client_for, robots_for
from alerts.log import DONE, AlertLog, State, iso
from alerts.pacing import Limits, Pacer
from alerts.sweep import Plan, Sweeper, SweepReport, UnitDecider, World
from app.records import AlertRecord
from app.report import report_due_dates
from app.roster import roster
from app.services import Services
from config import ChannelConfig, ChannelsConfig
from ledger.alerts import (
    AlertKind,
    DigestPeriod,
    Entry,
    Outgoing,
    decide_alerts,
    unit_audiences,
)
from ledger.calendar import local_date
from ledger.model import Item, Light, Person, Role, Unit

log = logging.getLogger(__name__)

CHANNELS_KEY = "channels"
RETRY_SECONDS = 60.0
_DIGESTS = frozenset({AlertKind.DIGEST_DAILY, AlertKind.DIGEST_WEEKLY})
# Robots: at most 20 messages a minute each (both platforms). Robots are independent services:
# the overall rate and the requests in flight are only kept modest (a province may configure
# hundreds of unit groups).
ROBOT_LIMITS = Limits(overall_per_second=50, per_chat_per_second=20, group_per_minute=20)
CONCURRENCY = 8

AnyApp = Application[Any, Any, Any, Any, Any, Any]


# --------------------------------------------------------------------------- audiences


def personas(config: ChannelsConfig) -> tuple[list[Person], dict[int, str]]:
    """Stand-in recipients for ``decide_alerts``: the inspectors' group as an inspector, each
    unit group as a contact and a leader of its unit; and the channel of each stand-in id.
    The ids only live inside the channel decision (the records are keyed by channel)."""
    people: list[Person] = []
    names: dict[int, str] = {}
    for n, channel in enumerate(config.channels):
        if channel.unit is None:
            # Fixed: the daily digest's key holds the recipient id.
            people.append(Person(1, channel.name, Role.INSPECTOR))
            names[1] = channel.name
        else:
            for pid, role in ((2 + 2 * n, Role.CONTACT), (3 + 2 * n, Role.LEADER)):
                people.append(Person(pid, channel.name, role, unit=channel.unit))
                names[pid] = channel.name
    return people, names


class _Done:
    """``sent_keys`` for the channel decision: ``<key>@<stand-in id>`` is done when the
    channel record ``channel:<its channel>|<key>`` is in a done state."""

    def __init__(self, state_of: Callable[[str], str | None], names: Mapping[int, str]) -> None:
        self.state_of = state_of  # the alert log's state of a key (no copy of the log)
        self.names = names

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        base, at, pid = key.rpartition("@")
        if not at or not pid.isdigit() or int(pid) not in self.names:
            return False
        return self.state_of(channel_key(self.names[int(pid)], base)) in DONE


def entry_data(entry: Entry) -> dict[str, Any]:
    """A digest entry as JSON, kept in its pending record (see step 2)."""
    data = asdict(entry)
    data["kind"] = str(entry.kind)
    data["light"] = str(entry.light) if entry.light else None
    data["deadline"] = entry.deadline.isoformat() if entry.deadline else None
    return data


def entry_from(data: Mapping[str, Any]) -> Entry | None:
    try:
        return Entry(
            key=str(data["key"]),
            kind=AlertKind(data["kind"]),
            item_id=data.get("item_id"),
            unit=data.get("unit"),
            step=int(data.get("step", 0)),
            light=Light(data["light"]) if data.get("light") else None,
            deadline=date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            details=dict(data.get("details") or {}),
        )
    except (KeyError, ValueError, TypeError):
        return None


# --------------------------------------------------------------------------- the pass


def _restrict(group: GroupPlan, claimed: set[str]) -> GroupPlan | None:
    """The group's message with only the entries this pass claimed (``None``: none)."""
    pairs = [(k, e) for k, e in zip(group.keys, group.entries, strict=True) if k in claimed]
    if not pairs:
        return None
    return GroupPlan(group.channel, [e for _, e in pairs], [k for k, _ in pairs])


@dataclass
class GroupPlan:
    """One group's message of this pass: the channel, its entries and their record keys."""

    channel: ChannelConfig
    entries: list[Entry]
    keys: list[str]


@dataclass
class Outcome:
    group: GroupPlan
    reply: Reply
    message: Message | None = None


@dataclass
class ChannelPass:
    """The group robots of one application (``bot_data["channels"]``). Tests replace
    ``pacer`` with one on fake time; ``robots`` maps channel names to clients."""

    services: Services
    pacer: Pacer = field(default_factory=lambda: Pacer(ROBOT_LIMITS))
    robots: dict[str, Robot] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)  # the last pass's outcomes

    def __post_init__(self) -> None:
        if not self.robots:
            self.robots = robots_for(self.config, self.services.clock.now)
        self._chat = {c.name: -(n + 1) for n, c in enumerate(self.config.channels)}

    @property
    def config(self) -> ChannelsConfig:
        return self.services.config.channels

    @property
    def log(self) -> AlertLog:
        return AlertLog(self.services.store.registry)

    # ------------------------------------------------------------------ entry point

    async def run(self, sweeper: Sweeper, plan: Plan, report: SweepReport) -> None:
        """Steps 1–4 of the module docstring for one sweep."""
        if not self.config.channels or plan.world is None:
            return
        now = plan.now
        groups = await sweeper.run(
            self._plan,
            now,
            plan.world,
            {str(k): p for k, p in plan.digests.items()},
            plan.channels,
        )
        # What each unit's groups got, recorded: the sweep marks a unit quiet only when these
        # are done as well (alerts.sweep.QuietMark). A digest's entries have no unit.
        by_unit: dict[str, list[str]] = {}
        for group in groups:
            for key, entry in zip(group.keys, group.entries, strict=True):
                if entry.unit is not None:
                    by_unit.setdefault(entry.unit, []).append(key)
        plan.channel_keys = by_unit
        counts: dict[str, int] = {}
        paused = await sweeper.run(self._paused, now)
        sendable = [g for g in groups if g.channel.name not in paused]
        counts["paused"] = len(groups) - len(sendable)
        if sendable:
            claimed = await sweeper.run(self.log.claim, [k for g in sendable for k in g.keys])
            sendable = [mine for g in sendable if (mine := _restrict(g, claimed)) is not None]
            renderer = self.renderer(now, plan.world)
            outcomes = await self._send_all(
                [(g, renderer.message(g.channel, g.entries)) for g in sendable]
            )
            await sweeper.run(self._settle, now, outcomes)
            for o in outcomes:
                counts[str(o.reply.answer)] = counts.get(str(o.reply.answer), 0) + 1
        self.last = {k: v for k, v in counts.items() if v}
        report.channels = dict(self.last)

    def renderer(self, now: datetime, world: World) -> GroupRenderer:
        config = self.services.config
        return GroupRenderer(
            self.services.catalog,
            self.config.language,
            items=world.directory.items,
            units=world.directory.units,
            today=local_date(now, config.tz),
            bot_username=self.config.bot_username,
            yellow_days=config.alerts.yellow_days,
        )

    # ------------------------------------------------------------------ deciding (blocking)

    def decider(self, now: datetime) -> UnitDecider | None:
        """The groups' decision for one unit at a time, made in the sweep's pass over the
        units (``Sweeper._by_unit``): each unit's items decided for its own groups and the
        inspectors' group, as one decision over every item would (``merge_outgoing``)."""
        if not self.config.channels:
            return None
        config = self.services.config
        people, names = personas(self.config)
        done = _Done(self.services.store.registry.alert_state, names)
        audience = unit_audiences(people)

        def decide(
            code: str,
            items: list[Item],
            units: list[Unit],
            since: Mapping[str, datetime],
            reports: Mapping[str, date],
        ) -> list[Outgoing]:
            return decide_alerts(
                now,
                config.tz,
                items,
                units,
                audience(code),
                done,
                config.rules,
                self.services.calendar,
                status_since=since,
                reports=reports,  # a unit's group hears it too
            )

        return decide

    def _plan(
        self,
        now: datetime,
        world: World,
        digests: Mapping[str, DigestPeriod],
        outgoing: list[Outgoing] | None = None,
    ) -> list[GroupPlan]:
        """Decide (unless the sweep did, unit by unit: ``outgoing``), record ``pending``
        (and supersede), return what each group gets now."""
        config = self.services.config
        people, names = personas(self.config)
        registry = self.services.store.registry
        # Read through the log's state index and one key at a time: a copy of the whole log
        # (300,000 records at 100k items) cost more than the rest of the pass.
        state_of = registry.alert_state
        if outgoing is None:
            outgoing = decide_alerts(
                now,
                config.tz,
                world.items,
                world.units,
                people,
                _Done(state_of, names),
                config.rules,
                self.services.calendar,
                digests=dict(digests),  # keyed by the period each covers, like the sweep's
                status_since=world.since,
                reports=report_due_dates(self.services, world.units),  # a unit's group too
            )
        decided: dict[str, dict[str, Entry]] = {}
        for out in outgoing:
            name = names[out.user_id]
            for entry in out.entries:
                if not entry.fallback:
                    decided.setdefault(name, {})[entry.key] = entry
        stamp = iso(now)
        batch: list[AlertRecord] = []
        keyed: dict[str, tuple[str, Entry]] = {}
        for name, entries in decided.items():
            for entry in entries.values():
                key = channel_key(name, entry.key)
                keyed[key] = (name, entry)
                if state_of(key) == State.PENDING:
                    continue
                data: dict[str, Any] = {"at": stamp, "channel": name}
                if entry.kind in _DIGESTS:
                    data["entry"] = entry_data(entry)
                batch.append(AlertRecord(key, State.PENDING, data))
        configured = {c.name for c in self.config.channels}
        for record in self.log.records_in(State.PENDING):
            key = record.key
            if not is_channel(key) or key in keyed:
                continue
            name, rest = split_channel_key(key)
            kept = entry_from(record.data.get("entry") or {})
            if name in configured and kept is not None and not rest.startswith(TEST_PREFIX):
                keyed[key] = (name, kept)  # a digest left over: it still goes out
                continue
            batch.append(AlertRecord(key, State.SUPERSEDED, {**record.data, "at": stamp}))
        self.log.write(batch)
        self._report_interrupted(now, self.log.records_in(State.UNCERTAIN))
        groups: list[GroupPlan] = []
        for channel in self.config.channels:
            mine = [(k, e) for k, (name, e) in keyed.items() if name == channel.name]
            if mine:
                mine.sort(key=lambda ke: ke[1].kind in _DIGESTS)  # alerts first, then digests
                groups.append(GroupPlan(channel, [e for _, e in mine], [k for k, _ in mine]))
        return groups

    def _report_interrupted(self, now: datetime, uncertain: Iterable[AlertRecord]) -> None:
        """Group messages the bot died sending (``sending`` turned ``uncertain`` by the
        sweep's recovery, R9): one notice per group, and each record marks it told."""
        stamp = iso(now)
        by_channel: dict[str, list[AlertRecord]] = {}
        for record in uncertain:
            key = record.key
            if (
                is_channel(key)
                and "notice" not in record.data
                and not split_channel_key(key)[1].startswith(TEST_PREFIX)
            ):
                by_channel.setdefault(split_channel_key(key)[0], []).append(record)
        if not by_channel:
            return
        notices = [
            {
                "notice": "channel",
                "problem": "uncertain",
                "channel": name,
                "errcode": None,
                "errmsg": "interrupted",
                "count": len(found),
            }
            for name, found in sorted(by_channel.items())
        ]
        self._record_notices(now, notices)
        self.log.write(
            AlertRecord(r.key, r.state, {**r.data, "notice": "told", "told_at": stamp})
            for found in by_channel.values()
            for r in found
        )

    def _paused(self, now: datetime) -> dict[str, datetime]:
        """Groups whose robot still throttles us at ``now`` (expired pauses are dropped)."""
        registry = self.services.store.registry
        raw = registry.get_meta(PAUSED_META, {}) or {}
        current: dict[str, datetime] = {}
        for name, until in raw.items():
            try:
                instant = datetime.fromisoformat(str(until))
            except ValueError:
                continue
            if instant > now:
                current[name] = instant
        if len(current) != len(raw):
            registry.set_meta(PAUSED_META, {k: iso(v) for k, v in current.items()})
        return current

    # ------------------------------------------------------------------ sending

    async def _send_all(self, messages: Sequence[tuple[GroupPlan, Message]]) -> list[Outcome]:
        """Every group's message, concurrently (at most :data:`CONCURRENCY` requests in
        flight), each through the pacer."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def send(client: httpx.AsyncClient, channel: ChannelConfig, m: Message) -> Reply:
            async with gate:
                return await self._send(client, channel, m)

        async with client_for(self.config) as client:
            replies = await asyncio.gather(*(send(client, g.channel, m) for g, m in messages))
        return [Outcome(g, r, m) for (g, m), r in zip(messages, replies, strict=True)]

    async def _send(
        self, client: httpx.AsyncClient, channel: ChannelConfig, message: Message
    ) -> Reply:
        robot = self.robots[channel.name]
        async with self.pacer.slot(self._chat[channel.name]):
            reply = await robot.send(client, message)
        if reply.answer is not Answer.SENT:
            log.warning(
                "group robot %s: %s (errcode %s: %s)",
                channel.name,
                reply.answer,
                reply.errcode,
                reply.errmsg,
            )
        return reply

    # ------------------------------------------------------------------ recording (blocking)

    def _settle(self, now: datetime, outcomes: Sequence[Outcome]) -> None:
        """Record the outcomes (one write), the pauses and refusals, and the notices owed."""
        stamp = iso(now)
        registry = self.services.store.registry
        finished: dict[str, tuple[State, dict[str, Any]]] = {}
        paused = dict(registry.get_meta(PAUSED_META, {}) or {})
        broken = dict(registry.get_meta(BROKEN_META, {}) or {})
        notices: list[dict[str, Any]] = []
        for o in outcomes:
            name = o.group.channel.name
            reply = o.reply
            extra: dict[str, Any] = {"at": stamp}
            if reply.errcode is not None:
                extra["errcode"] = reply.errcode
            if reply.errmsg and reply.answer is not Answer.SENT:
                extra["error"] = reply.errmsg
            count = sum(1 for e in o.group.entries if e.kind not in _DIGESTS) or len(
                o.group.entries
            )
            problem: str | None = None
            if reply.answer is Answer.SENT:
                state = State.SENT
                broken.pop(name, None)
            elif reply.answer is Answer.UNCERTAIN:
                state, problem = State.UNCERTAIN, "uncertain"
                extra["reason"] = "timeout"
                extra["notice"] = "told"  # the notice below; not again as "interrupted"
            elif reply.answer in (Answer.THROTTLED, Answer.RETRY):
                state = State.PENDING
                if reply.pause:
                    paused[name] = iso(now + timedelta(seconds=reply.pause))
            elif reply.answer is Answer.REFUSED:
                state = State.FAILED
                known = broken.get(name)
                if known is None or known.get("errcode") != reply.errcode:
                    problem = "refused"
                    broken[name] = {
                        "errcode": reply.errcode,
                        "errmsg": reply.errmsg,
                        "since": stamp,
                    }
            else:
                state, problem = State.FAILED, "failed"
            for key in o.group.keys:
                finished[key] = (state, extra)
            if problem is not None:
                notices.append(
                    {
                        "notice": "channel",
                        "problem": problem,
                        "channel": name,
                        "errcode": reply.errcode,
                        "errmsg": reply.errmsg,
                        "count": count,
                    }
                )
        self.log.finish(finished)
        registry.set_meta(PAUSED_META, paused)
        registry.set_meta(BROKEN_META, broken)
        self._record_notices(now, notices)

    def _record_notices(self, now: datetime, notices: Iterable[dict[str, Any]]) -> None:
        """One ``pending`` notice per inspector per problem (the sweep's notice step sends
        them, once)."""
        inspectors = [
            p.user_id for p in roster(self.services) if p.role is Role.INSPECTOR and p.reachable
        ]
        batch: list[AlertRecord] = []
        stamp = now.strftime("%Y%m%dT%H%M%S")
        for data in notices:
            digest = hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()[:8]
            base = f"notice:channel:{data['channel']}:{data['problem']}:{stamp}:{digest}"
            for uid in inspectors:
                record = {**data, "user_id": uid, "at": iso(now)}
                batch.append(AlertRecord(f"{base}@{uid}", State.PENDING, record))
        self.log.write(batch)

    # ------------------------------------------------------------------ tests and status

    async def send_tests(self, when: str) -> list[tuple[ChannelConfig, Reply | None, str]]:
        """A test message to every group, recorded like any delivery (``channel:<group>|
        test:<instant>``). Returns ``(channel, reply, paused-until)`` per group; ``reply`` is
        ``None`` for a group still throttled (nothing sent)."""
        store = self.services.store
        now = self.services.clock.now()
        paused = await store.run(self._paused, now)
        units = {u.code: u for u in store.registry.list_units()}
        renderer = GroupRenderer(
            self.services.catalog,
            self.config.language,
            items={},
            units=units,
            today=local_date(now, self.services.config.tz),
            bot_username=self.config.bot_username,
        )
        stamp = now.strftime("%Y%m%dT%H%M%S")
        results: list[tuple[ChannelConfig, Reply | None, str]] = []
        todo: list[tuple[GroupPlan, Message]] = []
        batch: list[AlertRecord] = []
        for channel in self.config.channels:
            if channel.name in paused:
                results.append((channel, None, iso(paused[channel.name])))
                continue
            # Unique even for two tests in one second: a record is never overwritten.
            key = channel_key(channel.name, f"{TEST_PREFIX}{stamp}:{secrets.token_hex(3)}")
            data = {"at": iso(now), "channel": channel.name, "test": True}
            batch.append(AlertRecord(key, State.PENDING, data))
            todo.append((GroupPlan(channel, [], [key]), renderer.test_message(channel, when)))
        await store.run(self.log.write, batch)
        claimed = await store.run(self.log.claim, [k for g, _ in todo for k in g.keys])
        todo = [(g, m) for g, m in todo if g.keys[0] in claimed]
        outcomes = await self._send_all(todo)
        await store.run(self._settle_tests, now, outcomes)
        by_name = {o.group.channel.name: o.reply for o in outcomes}
        for channel in self.config.channels:
            if channel.name in by_name:
                results.append((channel, by_name[channel.name], ""))
        order = {c.name: n for n, c in enumerate(self.config.channels)}
        results.sort(key=lambda r: order[r[0].name])
        return results

    def _settle_tests(self, now: datetime, outcomes: Sequence[Outcome]) -> None:
        """Test outcomes: recorded, pauses kept; a refusal is answered on the spot (the
        person testing reads it), so no notice — but a success ends a refusal episode."""
        stamp = iso(now)
        registry = self.services.store.registry
        paused = dict(registry.get_meta(PAUSED_META, {}) or {})
        broken = dict(registry.get_meta(BROKEN_META, {}) or {})
        finished: dict[str, tuple[State, dict[str, Any]]] = {}
        for o in outcomes:
            reply = o.reply
            extra: dict[str, Any] = {"at": stamp}
            if reply.errcode:
                extra["errcode"] = reply.errcode
                extra["error"] = reply.errmsg
            state = {
                Answer.SENT: State.SENT,
                Answer.UNCERTAIN: State.UNCERTAIN,
            }.get(reply.answer, State.FAILED)
            if reply.answer is Answer.SENT:
                broken.pop(o.group.channel.name, None)
            if reply.pause:
                paused[o.group.channel.name] = iso(now + timedelta(seconds=reply.pause))
            for key in o.group.keys:
                finished[key] = (state, extra)
        self.log.finish(finished)
        registry.set_meta(PAUSED_META, paused)
        registry.set_meta(BROKEN_META, broken)


@dataclass(frozen=True)
class GroupStatus:
    """What ``/channels`` shows for one group."""

    channel: ChannelConfig
    last: AlertRecord | None
    last_count: int
    paused_until: str | None
    broken: Mapping[str, Any] | None


def status(services: Services) -> list[GroupStatus]:
    """Blocking: the last delivery per group (its newest record and how many entries went in
    that message), the pause and the refusal episode, in config order."""
    registry = services.store.registry
    newest: dict[str, tuple[datetime, AlertRecord]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for record in registry.list_alerts():
        if not is_channel(record.key):
            continue
        name = split_channel_key(record.key)[0]
        try:
            at = datetime.fromisoformat(str(record.data.get("at")))
        except ValueError:
            continue
        mark = (name, str(record.data.get("at")), record.state)
        counts[mark] = counts.get(mark, 0) + 1
        known = newest.get(name)
        if known is None or at >= known[0]:
            newest[name] = (at, record)
    paused = registry.get_meta(PAUSED_META, {}) or {}
    broken = registry.get_meta(BROKEN_META, {}) or {}
    now = services.clock.now()
    out: list[GroupStatus] = []
    for channel in services.config.channels.channels:
        found = newest.get(channel.name)
        last = found[1] if found else None
        count = 0
        if last is not None:
            count = counts.get((channel.name, str(last.data.get("at")), last.state), 0)
        until = paused.get(channel.name)
        try:
            still = until is not None and datetime.fromisoformat(str(until)) > now
        except ValueError:
            still = False
        out.append(
            GroupStatus(
                channel, last, count, str(until) if still else None, broken.get(channel.name)
            )
        )
    return out


# --------------------------------------------------------------------------- wiring


def channels_of(app: AnyApp) -> ChannelPass | None:
    found = app.bot_data.get(CHANNELS_KEY)
    return found if isinstance(found, ChannelPass) else None


async def retry_due(app: AnyApp) -> SweepReport | None:
    """If a throttled group's pause is over and it has entries waiting, sweep now (forced),
    in allowed hours only: the rest goes out merged. ``None`` if nothing was swept."""
    from alerts.jobs import runtime_of, sweeper_of

    channels = channels_of(app)
    if channels is None or runtime_of(app).lock.locked():
        return None
    services = channels.services
    registry = services.store.registry
    raw = registry.get_meta(PAUSED_META, {}) or {}
    now = services.clock.now()
    over = []
    for name, until in raw.items():
        try:
            if datetime.fromisoformat(str(until)) <= now:
                over.append(name)
        except ValueError:
            over.append(name)
    if not over:
        return None
    waiting = any(
        is_channel(r.key) and split_channel_key(r.key)[0] in over
        for r in registry.list_alerts(State.PENDING)
    )
    if not waiting:
        await services.store.run(channels._paused, now)  # forget the pause
        return None
    sweeper = sweeper_of(app)
    if not sweeper.schedule.allowed(now):
        return None  # quiet hours: the first sweep in allowed time takes it
    log.info("group robot pause over for %s: sending what waited", ", ".join(over))
    return await sweeper.tick(trigger="scheduled", force=True)


async def _retry_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    await retry_due(context.application)


def register(app: AnyApp) -> None:
    """After :func:`alerts.jobs.register`: hook the group pass into every sweep and watch
    for throttling pauses that are over. Nothing happens without ``[channels]`` groups."""
    from alerts.jobs import JOB_KWARGS, runtime_of
    from app.services import services_of

    services = services_of(app)
    if not services.config.channels.channels:
        return
    channels = ChannelPass(services)
    app.bot_data[CHANNELS_KEY] = channels
    runtime_of(app).channels = channels
    queue = app.job_queue
    if queue is not None:
        queue.run_repeating(
            _retry_job,
            interval=RETRY_SECONDS,
            first=RETRY_SECONDS,
            name="channels.retry",
            job_kwargs=dict(JOB_KWARGS),
        )


__all__ = [
    "CHANNELS_KEY",
    "ROBOT_LIMITS",
    "ChannelPass",
    "GroupPlan",
    "GroupStatus",
    "channels_of",
    "personas",
    "register",
    "retry_due",
    "status",
]
