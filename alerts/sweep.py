"""One sweep: recover, decide, record ``pending``, deliver, report (DESIGN §6; R7–R12, R19).

A sweep, under the application's sweep lock (sweeps never overlap):

1. **Recover** — every ``sending`` record becomes ``uncertain`` (no send is in flight while
   the lock is held, so ``sending`` means a process died between the API call and its
   record; R9). Done even in quiet hours.
2. **Quiet** — outside the allowed hours (:mod:`alerts.schedule`) nothing is decided; the
   sweep is *owed* and the next wake-up in allowed time runs it. Because the policy sends the
   current step only, the deferred sweep sends each alert once (coalesced, R8).
3. **Decide** — ``ledger.alerts.decide_alerts`` over every item, the people (registry plus
   the inspectors named in config), the due digests, and the done keys of the alert log
   (:data:`alerts.log.DONE`), on a worker thread (≈1.5 s for 30k items).
4. **Record** — one registry write: a ``pending`` record per new delivery key; ``pending``
   records of earlier sweeps that are no longer decided become ``superseded``; those still
   decided stay ``pending`` and go out now. Then the schedule state (last sweep, digests
   served) is saved.
5. **Deliver** — messages go out in waves of distinct chats: one write claims a wave
   (``pending → sending``), the pacer lets its sends through, one write records the outcomes
   (:mod:`alerts.delivery`). A crash loses at most one wave's certainty, never a resend.
6. **Notices** — inspectors get one notice per batch of newly ``uncertain`` deliveries and one
   per person who became unreachable (R9, R12); notices are records like alerts
   (``notice:…@<inspector>``), so each goes out once.
7. **Report** — counts are saved in registry meta (``/alerts`` shows them).

Everything reads time from ``services.clock`` (the sandbox and tests move it); nothing here
depends on Telegram's update queue (R19).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from alerts.channels.keys import is_channel
from alerts.channels.notices import notice_text
from alerts.delivery import Deliverer, Outbound, Outcome, Result, SendsMessages
from alerts.log import DONE, AlertLog, State, describe, is_notice, iso, split_delivery_key
from alerts.pacing import Pacer
from alerts.render import Directory, Rendered, Renderer
from alerts.schedule import DigestKind, Period, Schedule
from app.memory import paused
from app.records import AlertMove, AlertRecord, Ledger, Registry
from app.report import report_due_dates
from app.roster import UNREACHABLE_META, roster, set_reachable
from app.services import Services
from ledger.alerts import (
    DigestPeriod,
    Outgoing,
    decide_alerts,
    delivery_key,
    merge_outgoing,
    unit_audiences,
)
from ledger.calendar import local_date
from ledger.model import Item, Person, Role, Status, Unit
from ledger.workflow import status_since_newest_first

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

STATE_META = "alerts.state"
REPORT_META = "alerts.last_sweep"
# Statuses whose stale / review anchors and light depend on when the status was entered.
_SINCE_STATUSES = frozenset(
    {Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED, Status.MONITORING}
)


def schedule_for(services: Services) -> Schedule:
    """The :class:`alerts.schedule.Schedule` of ``services.config``."""
    a = services.config.alerts
    return Schedule(
        tz=services.config.tz,
        calendar=services.calendar,
        sweep_times=a.sweep_times,
        daily_digest_time=a.daily_digest_time,
        weekly_digest_day=a.weekly_digest_day,
        weekly_digest_time=a.weekly_digest_time,
        quiet=a.quiet,
        work_hours=a.work_hours,
    )


# --------------------------------------------------------------------------- persisted state


@dataclass
class SweepState:
    """What the schedule remembers (registry meta ``alerts.state``): the bot-clock instant of
    the last sweep that decided, whether a sweep is owed (asked for in quiet hours), and the
    due instant of the last digest period served per kind."""

    last_sweep: str | None = None
    owed: bool = False
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: Any) -> SweepState:
        if not isinstance(raw, dict):
            return cls()
        digests = raw.get("digests")
        return cls(
            last_sweep=raw.get("last_sweep") if isinstance(raw.get("last_sweep"), str) else None,
            owed=bool(raw.get("owed", False)),
            digests=dict(digests) if isinstance(digests, dict) else {},
        )

    @property
    def last(self) -> datetime | None:
        return None if self.last_sweep is None else datetime.fromisoformat(self.last_sweep)


@dataclass
class SweepReport:
    """What one sweep did (messages, not entries, unless named so)."""

    at: str
    trigger: str
    quiet: bool = False
    next_allowed: str | None = None
    messages: int = 0
    entries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_recipient: dict[str, int] = field(default_factory=dict)  # user id -> entries
    digests: list[str] = field(default_factory=list)
    sent: int = 0
    uncertain: int = 0
    unreachable: int = 0
    failed: int = 0
    pending: int = 0  # certainly not sent; left for the next sweep
    skipped: int = 0  # no longer pending when its wave was claimed
    superseded: int = 0
    recovered: int = 0  # sending → uncertain at the start
    notices: int = 0
    channels: dict[str, int] = field(default_factory=dict)  # group messages by outcome
    quiet_units: int = 0  # units left out: nothing of theirs could be due (QuietMark)
    decide_seconds: float = 0.0
    seconds: float = 0.0

    def to_meta(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, raw: Any) -> SweepReport | None:
        if not isinstance(raw, dict) or "at" not in raw or "trigger" not in raw:
            return None
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# --------------------------------------------------------------------------- runtime


class SinceCache:
    """``ledger.workflow.status_since`` per item, recomputed only when its unit's ledger
    changed (``Ledger.version``: every status change is a ledger write).

    Kept per unit by version, not per ``Item`` object: holding the items to compare them
    would keep a whole province's items alive between sweeps (~200 MB at 100k items).
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[object, dict[str, datetime | None]]] = {}

    def entered(
        self, ledger: Ledger, version: object, items: Iterable[Item]
    ) -> dict[str, datetime]:
        """Item id -> when it entered its status, for ``items`` of ``ledger`` as of
        ``version`` (read before the items) whose status has such an anchor."""
        hit = self._cache.get(ledger.unit)
        if hit is None or hit[0] != version:
            hit = self._cache[ledger.unit] = (version, {})
        known = hit[1]
        out: dict[str, datetime] = {}
        for item in items:
            if item.status not in _SINCE_STATUSES:
                continue
            if item.id in known:
                since = known[item.id]
            else:
                events = ledger.events_newest_first(item.id)
                since = known[item.id] = status_since_newest_first(events)
            if since is not None:
                out[item.id] = since
        return out


class ChannelHook(Protocol):
    """The group-robot pass (:mod:`alerts.channels.deliver`): runs inside a sweep, after
    Telegram's delivery and before the notices, under the sweep lock."""

    async def run(self, sweeper: Sweeper, plan: Plan, report: SweepReport) -> None: ...

    def decider(self, now: datetime) -> UnitDecider | None:
        """The groups' decision for one unit at a time (``None``: no group configured)."""
        ...


class UnitDecider(Protocol):
    """One sweep's group decision, made unit by unit beside Telegram's (``Sweeper._by_unit``):
    what the groups of ``code`` and the inspectors' group get for these items."""

    def __call__(
        self,
        code: str,
        items: list[Item],
        units: list[Unit],
        since: Mapping[str, datetime],
        reports: Mapping[str, date],
    ) -> list[Outgoing]: ...


@dataclass
class Runtime:
    """Per-application alert machinery (``bot_data["alerts"]``). Tests replace ``pacer`` with
    one on fake time, and tune the delivery settings."""

    pacer: Pacer = field(default_factory=Pacer)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    since: SinceCache = field(default_factory=SinceCache)
    concurrency: int = 8
    wave_size: int = 16
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0)
    timeouts: dict[str, float] = field(default_factory=dict)
    last_report: SweepReport | None = None
    channels: ChannelHook | None = None  # set by alerts.channels.deliver.register
    quiet: dict[str, QuietMark] = field(default_factory=dict)  # unit -> see QuietMark
    # Set by ``bot.py run`` only: freeze the collector's view once start-up is done
    # (app.memory.freeze_loaded). Tests, which start many bots in one process, leave it off.
    freeze_after_start: bool = False


@dataclass(frozen=True)
class QuietMark:
    """Why a unit's items may be left out of a sweep: everything they decided was done.

    A sweep that decided a unit's items and saw every delivery key they produced end in a
    done state (:data:`alerts.log.DONE`) remembers the inputs of that decision: the ledger's
    committed state (``Ledger.version``), the day (lights, steps and anchors move by day,
    never within one), and who could receive its alerts (the unit's people and the
    inspectors, with their reachability). A later sweep whose inputs are the same would
    decide the same keys, all done, and so leaves the unit's items out; any change of the
    three (a write to the ledger, a new day, a person joining, leaving or becoming
    unreachable) decides the unit again. Kept in memory only: a restarted bot decides every
    unit once. With group channels configured the groups' record keys of the unit must be done
    too (the channel pass hands them over in ``Plan.channel_keys``; the groups' receivers are
    the configuration, fixed while the bot runs). Sweeps with a digest due decide every unit
    (a digest reads every item).
    """

    version: object
    today: date
    people: Hashable


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class World:
    """Everything a decision reads, gathered once per sweep. ``items`` leaves out the items
    of the units in ``skipped`` (:class:`QuietMark`); ``marks`` holds the inputs of each unit
    whose items were decided."""

    items: list[Item]
    units: list[Unit]
    people: list[Person]
    since: dict[str, datetime]
    directory: Directory
    marks: dict[str, QuietMark] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Planned:
    """One message of the sweep: its chat, the delivery keys it carries, the text."""

    chat_id: int
    keys: tuple[str, ...]
    rendered: Rendered
    kind: str  # a ledger.alerts.Group value, or "notice"
    outgoing: Outgoing | None = None

    @property
    def outbound(self) -> Outbound:
        return Outbound(self.chat_id, self.rendered.text, self.rendered.keyboard)


@dataclass
class Plan:
    now: datetime
    quiet: bool
    messages: list[Planned]
    entries: int
    by_kind: Counter[str]
    by_recipient: Counter[int]
    decide_seconds: float
    renderer: Renderer
    digests: dict[DigestKind, DigestPeriod]  # the digests due and the days each covers
    world: World | None = None
    # The groups' messages, when decided unit by unit beside Telegram's (else the channel
    # pass decides over ``world``).
    channels: list[Outgoing] | None = None
    # Set by the channel pass once it has recorded what the groups get: each unit's group
    # record keys (``alerts.channels.keys``), so that a unit is marked quiet only when its
    # groups' alerts are done too (:class:`QuietMark`). ``None``: the pass did not get there.
    channel_keys: dict[str, list[str]] | None = None


class Sweeper:
    """Runs sweeps for one application (see the module docstring)."""

    def __init__(self, services: Services, bot: SendsMessages, runtime: Runtime) -> None:
        self.services = services
        self.bot = bot
        self.runtime = runtime
        self.schedule = schedule_for(services)
        self.log = AlertLog(services.store.registry)

    @property
    def registry(self) -> Registry:
        return self.services.store.registry

    def now(self) -> datetime:
        return self.services.clock.now()

    def _channels(self) -> ChannelHook | None:
        """The group-robot pass, when 企业微信 / 钉钉 groups are configured."""
        hook = self.runtime.channels
        return hook if hook is not None and self.services.config.channels.channels else None

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A blocking call on a worker thread (the store's fsyncs never block the loop), with
        the cyclic garbage collector paused for its length (:mod:`app.memory`)."""
        return await self.services.store.run(paused(fn), *args, **kwargs)

    # ------------------------------------------------------------------ entry points

    async def tick(self, *, trigger: str = "scheduled", force: bool = False) -> SweepReport | None:
        """Sweep if one is due on the bot clock (a scheduled instant passed since the last
        sweep, a sweep is owed, or a digest is due) or if ``force``; else ``None``. A due
        sweep in quiet hours is only marked owed; a forced one recovers, reports the
        deferral and is owed too."""
        async with self.runtime.lock:
            started = time.perf_counter()
            # Deciding and recording is one worker-thread call: one hop off the loop, and the
            # data read as early as possible after a start-up.
            begun = await self.run(self._begin, self.now(), trigger, force)
            if begun is None:
                return None
            report, plan = begun
            if plan is not None:
                await self._deliver(plan.messages, plan.renderer, report)
                channels = self._channels()
                if channels is not None:
                    await channels.run(self, plan, report)
                await self.run(self._remember_quiet, plan)
                notices = await self.run(self._notices)
                report.notices = len(notices)
                await self._deliver(notices, plan.renderer, report)
                report.messages = len(plan.messages) + len(notices)
            return await self._finish(report, started)

    def dry_run(self, now: datetime | None = None) -> tuple[Plan, SweepReport | None, int]:
        """Blocking: what a sweep at ``now`` would send (quiet hours ignored, flagged), the
        last sweep's report and the number of notices waiting. Writes nothing."""
        now = now or self.now()
        state = SweepState.load(self.registry.get_meta(STATE_META))
        digests = self.schedule.due_digests(self.schedule.next_allowed(now), state.digests)
        if state.last is None:
            digests = {}  # as the first sweep will: see _begin
        plan = self._plan(now, digests)
        plan.quiet = not self.schedule.allowed(now)
        waiting = sum(1 for k in self.log.keys_in(State.PENDING) if is_notice(k))
        last = SweepReport.from_meta(self.registry.get_meta(REPORT_META))
        return plan, last, waiting

    # ------------------------------------------------------------------ the sweep

    def _begin(
        self, now: datetime, trigger: str, force: bool
    ) -> tuple[SweepReport, Plan | None] | None:
        """Blocking: steps 1–4 of the module docstring. ``None`` if nothing is due (or it is
        due in quiet hours and was only marked owed); a report without a plan for a forced
        sweep in quiet hours; else the report so far and the plan to deliver."""
        registry = self.registry
        state = SweepState.load(registry.get_meta(STATE_META))
        digests = self.schedule.due_digests(now, state.digests)
        due = state.owed or self.schedule.sweep_due(state.last, now) or bool(digests)
        allowed = self.schedule.allowed(now)
        if not (due or force):
            return None
        if not allowed and not state.owed:
            state.owed = True  # the first wake-up in allowed time sweeps
            registry.set_meta(STATE_META, asdict(state))
        if not allowed and not force:
            return None

        report = SweepReport(at=iso(now), trigger=trigger)
        report.recovered = len(self.log.recover(now))
        self.log.prune(now)  # the alert log's retention, once a day (alerts.log)
        if report.recovered:
            log.warning("%d alert(s) were being sent when the bot stopped", report.recovered)
        if not allowed:
            report.quiet = True
            report.next_allowed = iso(self.schedule.next_allowed(now))
            log.info("sweep in quiet hours: deferred to %s", report.next_allowed)
            return report, None

        served = dict(digests)
        if state.last is None:
            # The very first sweep of a data directory: no digest was missed, so the latest
            # periods count as served and the next ones go out on time.
            digests = {}
        plan = self._plan(now, digests)
        report.entries = plan.entries
        report.by_kind = dict(plan.by_kind)
        report.by_recipient = {str(k): v for k, v in plan.by_recipient.items()}
        report.digests = sorted(digests)
        report.decide_seconds = round(plan.decide_seconds, 3)
        report.quiet_units = len(plan.world.skipped) if plan.world is not None else 0
        report.superseded = self._record(plan)
        state.last_sweep = iso(now)
        state.owed = False
        for kind, period in served.items():
            state.digests[kind] = iso(period.due)
        registry.set_meta(STATE_META, asdict(state))
        return report, plan

    async def _finish(self, report: SweepReport, started: float) -> SweepReport:
        """Save and log the report (``/alerts`` shows the last one)."""
        report.seconds = round(time.perf_counter() - started, 3)
        self.runtime.last_report = report
        await self.run(self.registry.set_meta, REPORT_META, report.to_meta())
        log.info(
            "sweep %s: %d message(s), sent %d, uncertain %d, unreachable %d, failed %d, "
            "pending %d, superseded %d (%.2f s)",
            report.trigger,
            report.messages,
            report.sent,
            report.uncertain,
            report.unreachable,
            report.failed,
            report.pending,
            report.superseded,
            report.seconds,
        )
        return report

    # ------------------------------------------------------------------ deciding (blocking)

    def _world(self, today: date) -> World:
        """Gather what deciding over every item at once reads (a sweep with a digest due)."""
        store = self.services.store
        items: list[Item] = []
        since: dict[str, datetime] = {}
        people = roster(self.services)
        reach = _reach(people)
        marks: dict[str, QuietMark] = {}
        for ledger in store.ledgers():
            # The version first: items read after it are at least as new, so a mark can
            # only be older than what was decided (then it does not match: decided again).
            mark = marks[ledger.unit] = QuietMark(ledger.version(), today, reach(ledger.unit))
            mine = ledger.items()
            items.extend(mine)
            since.update(self.runtime.since.entered(ledger, mark.version, mine))
        units = store.registry.list_units()
        directory = Directory(
            items={i.id: i for i in items},
            units={u.code: u for u in units},
            people={p.user_id: p for p in people},
            default_language=self.services.config.bot.language,
        )
        return World(items, units, people, since, directory, marks)

    def _by_unit(
        self, now: datetime
    ) -> tuple[World, list[Outgoing], float, list[Outgoing] | None]:
        """Decide one unit at a time (a sweep without a digest due): only one unit's
        items are held at once, and afterwards only the items of the entries to send (for
        their lines). The messages are those one decision over every item would make
        (``ledger.alerts.merge_outgoing``): per-item, 回头看 and report alerts depend on
        their own unit only. Units left out as quiet (:class:`QuietMark`) still get their
        report reminders decided, as a decision over every item would. With group channels,
        the groups' decision is made in the same pass (:class:`UnitDecider`), and a unit is
        only left out when its groups' alerts were done as well (:class:`QuietMark`)."""
        config = self.services.config
        store = self.services.store
        today = local_date(now, config.tz)
        people = roster(self.services)
        reach = _reach(people)
        units = store.registry.list_units()
        by_code = {u.code: u for u in units}
        # Each unit's decision reads its own people and the inspectors, not the province's
        # 2,000 people 1,000 times over.
        audience = unit_audiences(people)
        reports = report_due_dates(self.services, units)
        done = self.log.done()
        hook = self._channels()
        groups = hook.decider(now) if hook is not None else None
        quiet = self.runtime.quiet
        marks: dict[str, QuietMark] = {}
        skipped: set[str] = set()
        parts: list[list[Outgoing]] = []
        group_parts: list[list[Outgoing]] = []
        kept: dict[str, Item] = {}
        seconds = 0.0

        def decide(code: str, items: list[Item], since: dict[str, datetime]) -> None:
            nonlocal seconds
            started = time.perf_counter()
            due = {code: reports[code]} if code in reports else {}
            unit = [by_code[code]] if code in by_code else []
            out = decide_alerts(
                now,
                config.tz,
                items,
                unit,
                audience(code),
                done,
                config.rules,
                self.services.calendar,
                status_since=since,
                reports=due,
                report_days=config.paper.report_remind_days,
            )
            told = out
            if groups is not None:
                group_out = groups(code, items, unit, since, due)
                if group_out:
                    group_parts.append(group_out)
                    told = [*out, *group_out]
            seconds += time.perf_counter() - started
            if out:
                parts.append(out)
            wanted = {e.item_id for o in told for e in o.entries if e.item_id is not None}
            if wanted:
                kept.update((i.id, i) for i in items if i.id in wanted)

        seen: set[str] = set()
        for ledger in store.ledgers():
            seen.add(ledger.unit)
            # The version first: items read after it are at least as new (see _world).
            mark = QuietMark(ledger.version(), today, reach(ledger.unit))
            if quiet.get(ledger.unit) == mark:
                skipped.add(ledger.unit)
                if ledger.unit in reports:
                    decide(ledger.unit, [], {})
                continue
            marks[ledger.unit] = mark
            items = ledger.items()
            decide(ledger.unit, items, self.runtime.since.entered(ledger, mark.version, items))
        for code in sorted(set(reports) - seen):  # a unit without a ledger file
            decide(code, [], {})
        directory = Directory(
            items=kept,
            units=by_code,
            people={p.user_id: p for p in people},
            default_language=config.bot.language,
        )
        world = World(list(kept.values()), units, people, {}, directory, marks, frozenset(skipped))
        merged = None if groups is None else merge_outgoing(group_parts)
        return world, merge_outgoing(parts), seconds, merged

    def _plan(self, now: datetime, digests: Mapping[DigestKind, Period]) -> Plan:
        config = self.services.config
        # Each digest reports on the period it covers (a catch-up says so), keyed by it.
        periods = {
            kind: DigestPeriod(*self.schedule.covers(period)) for kind, period in digests.items()
        }
        channels: list[Outgoing] | None = None
        if not digests:
            world, outgoing, decide_seconds, channels = self._by_unit(now)
        else:
            # A digest reads every item (and the channel pass then decides over this world).
            world = self._world(local_date(now, config.tz))
            started = time.perf_counter()
            outgoing = decide_alerts(
                now,
                config.tz,
                world.items,
                world.units,
                world.people,
                self.log.done(),
                config.rules,
                self.services.calendar,
                digests=periods,
                status_since=world.since,
                reports=report_due_dates(self.services, world.units),
                report_days=config.paper.report_remind_days,
            )
            decide_seconds = time.perf_counter() - started
        renderer = Renderer(
            self.services.catalog,
            world.directory,
            config.tz,
            local_date(now, config.tz),
            yellow_days=config.alerts.yellow_days,
        )
        messages: list[Planned] = []
        by_kind: Counter[str] = Counter()
        by_recipient: Counter[int] = Counter()
        entries = 0
        for out in outgoing:
            messages.append(
                Planned(out.user_id, out.delivery_keys, renderer.outgoing(out), out.group, out)
            )
            entries += len(out.entries)
            by_kind.update(str(e.kind) for e in out.entries)
            by_recipient[out.user_id] += len(out.entries)
        return Plan(
            now,
            False,
            messages,
            entries,
            by_kind,
            by_recipient,
            decide_seconds,
            renderer,
            dict(periods),
            world,
            channels,
        )

    def _record(self, plan: Plan) -> int:
        """Record the plan's new delivery keys as ``pending`` and supersede stale pending ones,
        in one write; returns how many were superseded."""
        at = {"at": iso(plan.now)}
        # ``keys`` are the entries' delivery keys (ledger.alerts.delivery_key), in order.
        keys = [key for message in plan.messages for key in message.keys]
        states = self.registry.alert_states_of(keys)
        # A pending one goes out now, as recorded.
        new = [key for key, state in zip(keys, states, strict=True) if state != State.PENDING]
        planned = set(keys)
        stale = [
            key
            for key in self.log.keys_in(State.PENDING)
            # (the channel pass owns channel records)
            if not is_notice(key) and not is_channel(key) and key not in planned
        ]
        self.log.move(
            [
                AlertMove(new, State.PENDING, at, merge=False),
                AlertMove(stale, State.SUPERSEDED, at),
            ]
        )
        return len(stale)

    def _remember_quiet(self, plan: Plan) -> None:
        """Blocking: after delivery, mark quiet each decided unit whose delivery keys (and,
        with group channels, its groups' record keys) all ended done (:class:`QuietMark`);
        forget the mark of any other decided unit."""
        if plan.world is None:
            return
        quiet = self.runtime.quiet
        if self._channels() is not None and plan.channel_keys is None:
            # The channel pass did not say what the groups got: nothing is known quiet.
            for unit in plan.world.marks:
                quiet.pop(unit, None)
            return
        keys: dict[str, list[str]] = {}
        for unit, channel_keys in (plan.channel_keys or {}).items():
            keys.setdefault(unit, []).extend(channel_keys)
        for message in plan.messages:
            if message.outgoing is None:
                continue
            # ``keys`` are the entries' delivery keys, in the entries' order.
            for key, entry in zip(message.keys, message.outgoing.entries, strict=True):
                if entry.unit is not None:
                    keys.setdefault(entry.unit, []).append(key)
        states_of = self.registry.alert_states_of
        for unit, mark in plan.world.marks.items():
            if all(state in DONE for state in states_of(keys.get(unit, ()))):
                quiet[unit] = mark
            else:
                quiet.pop(unit, None)

    # ------------------------------------------------------------------ notices (blocking)

    def _notices(self) -> list[Planned]:
        """Record the notices now owed to inspectors and return every pending notice as a
        message (a notice whose inspector is no longer reachable is superseded)."""
        now = self.now()
        stamp = iso(now)
        people = {p.user_id: p for p in roster(self.services)}
        inspectors = [
            p.user_id for p in people.values() if p.role is Role.INSPECTOR and p.reachable
        ]
        batch: list[AlertRecord] = []

        unreported = [
            r
            for r in self.log.records_in(State.UNCERTAIN)
            if not is_notice(r.key)
            and not is_channel(r.key)  # the channel pass reports its own
            and "notice" not in r.data
        ]
        if unreported and inspectors:
            digest = hashlib.sha256("\n".join(sorted(r.key for r in unreported)).encode())
            notice = f"notice:uncertain:{now.strftime('%Y%m%dT%H%M%S')}:{digest.hexdigest()[:8]}"
            entries = [
                dict(zip(("kind", "item_id", "user_id"), describe(r.key), strict=True))
                for r in unreported
            ]
            for uid in inspectors:
                data = {"notice": "uncertain", "user_id": uid, "entries": entries}
                batch.append(AlertRecord(f"{notice}@{uid}", State.PENDING, data))
            batch.extend(
                AlertRecord(r.key, r.state, {**r.data, "notice": notice}) for r in unreported
            )

        epochs = self.registry.get_meta(UNREACHABLE_META, {}) or {}
        told = self.log.notices_recorded()
        # A ledger quarantined at open for a damaged record (R29): told once per damage (the
        # key carries a digest of what was found, so a new damage is told again).
        for code, damage in self.services.store.damaged().items():
            mark = hashlib.sha256(str(damage).encode()).hexdigest()[:8]
            notice = f"notice:damaged:{code}:{mark}"
            if notice in told:
                continue
            for uid in inspectors:
                data = {
                    "notice": "damaged",
                    "user_id": uid,
                    "unit": code,
                    "record": damage.reason,
                    "file": damage.path.name,
                }
                batch.append(AlertRecord(f"{notice}@{uid}", State.PENDING, data))
        for person in people.values():
            if person.reachable:
                continue
            notice = f"notice:unreachable:{person.user_id}:{epochs.get(str(person.user_id), '0')}"
            targets = [uid for uid in inspectors if uid != person.user_id]
            if notice in told or not targets:
                continue
            for uid in targets:
                data = {"notice": "unreachable", "user_id": uid, "about": person.user_id}
                batch.append(AlertRecord(f"{notice}@{uid}", State.PENDING, data))
        self.log.write(batch)

        messages: list[Planned] = []
        stale: list[AlertRecord] = []
        current = {
            **{r.key: r for r in self.log.records_in(State.PENDING) if is_notice(r.key)},
            **{r.key: r for r in batch},
        }
        renderer = Renderer(
            self.services.catalog,
            Directory(
                items={},
                units={u.code: u for u in self.registry.list_units()},
                people=people,
                default_language=self.services.config.bot.language,
            ),
            self.services.config.tz,
            local_date(now, self.services.config.tz),
        )
        for key, record in current.items():
            if not is_notice(key) or record.state != State.PENDING:
                continue
            uid = int(record.data.get("user_id", split_delivery_key(key)[1]))
            if uid not in inspectors:
                stale.append(AlertRecord(key, State.SUPERSEDED, {**record.data, "at": stamp}))
                continue
            lang = renderer.language(uid)
            if record.data.get("notice") == "uncertain":
                rendered = renderer.uncertain_notice(lang, record.data.get("entries", []))
            elif record.data.get("notice") == "damaged":
                rendered = renderer.damaged_notice(
                    lang,
                    str(record.data.get("unit", "")),
                    str(record.data.get("record", "")),
                    str(record.data.get("file", "")),
                )
            elif record.data.get("notice") == "channel":
                text = notice_text(
                    self.services.catalog,
                    lang,
                    self.services.config.channels,
                    renderer.directory.units,
                    record.data,
                )
                rendered = Rendered(text, None, ())
            else:
                rendered = renderer.unreachable_notice(lang, int(record.data.get("about", 0)))
            messages.append(Planned(uid, (key,), rendered, "notice"))
        self.log.write(stale)
        return messages

    # ------------------------------------------------------------------ delivering

    def _waves(self, messages: Sequence[Planned]) -> list[list[Planned]]:
        """Waves of at most ``wave_size`` messages, one per chat, keeping each chat's order."""
        queues: dict[int, list[Planned]] = {}
        for message in messages:
            queues.setdefault(message.chat_id, []).append(message)
        waves: list[list[Planned]] = []
        while queues:
            round_ = [queue.pop(0) for queue in queues.values()]
            queues = {chat: q for chat, q in queues.items() if q}
            size = max(1, self.runtime.wave_size)
            waves.extend(round_[n : n + size] for n in range(0, len(round_), size))
        return waves

    async def _deliver(
        self, messages: Sequence[Planned], renderer: Renderer, report: SweepReport
    ) -> None:
        """Send ``messages`` wave by wave. One registry write per wave: it records the
        previous wave's outcomes and claims this one (``pending → sending``) just before its
        API calls; the first wave's claim and the last wave's outcomes get their own."""
        deliverer = Deliverer(
            self.bot,
            self.runtime.pacer,
            concurrency=self.runtime.concurrency,
            backoff=self.runtime.backoff,
            timeouts=self.runtime.timeouts,
        )
        waves = self._waves(messages)
        if not waves:
            return
        claimed = await self.run(self.log.claim, _keys(waves[0]))
        for n, wave in enumerate(waves):
            sendable: list[Planned] = []
            for message in wave:
                mine = tuple(k for k in message.keys if k in claimed)
                if not mine:
                    report.skipped += 1
                    continue
                if len(mine) != len(message.keys):
                    message = self._restrict(message, set(mine), renderer)
                sendable.append(message)
            results = await deliverer.send_all([m.outbound for m in sendable])
            following = _keys(waves[n + 1]) if n + 1 < len(waves) else []
            claimed = await self.run(self._settle, sendable, results, report, following)

    @staticmethod
    def _restrict(message: Planned, keys: set[str], renderer: Renderer) -> Planned:
        """The message with only the entries whose keys this sweep holds."""
        assert message.outgoing is not None
        out = message.outgoing
        entries = tuple(e for e in out.entries if delivery_key(e.key, out.user_id) in keys)
        restricted = replace(out, entries=entries)
        return replace(
            message,
            keys=restricted.delivery_keys,
            rendered=renderer.outgoing(restricted),
            outgoing=restricted,
        )

    def _settle(
        self,
        messages: Sequence[Planned],
        results: Sequence[Result],
        report: SweepReport,
        following: Sequence[str],
    ) -> set[str]:
        """Record a wave's outcomes and claim the next wave's keys (one write), then mark
        unreachable people; returns the keys claimed."""
        now = self.now()
        outcomes: dict[str, tuple[State, dict[str, Any]]] = {}
        unreachable: set[int] = set()
        for message, result in zip(messages, results, strict=True):
            state, extra = _state_of(result, now)
            for key in message.keys:
                outcomes[key] = (state, extra)
            if result.outcome is Outcome.SENT:
                report.sent += 1
            elif result.outcome is Outcome.UNCERTAIN:
                report.uncertain += 1
            elif result.outcome is Outcome.UNREACHABLE:
                report.unreachable += 1
                unreachable.add(message.chat_id)
            elif result.outcome is Outcome.FAILED:
                report.failed += 1
            else:
                report.pending += 1
        claimed = self.log.settle(outcomes, following)
        for user_id in sorted(unreachable):
            self._mark_unreachable(user_id, now)
        return claimed

    def _mark_unreachable(self, user_id: int, now: datetime) -> None:
        set_reachable(self.services, user_id, False, now)


def _reach(people: Sequence[Person]) -> Callable[[str], Hashable]:
    """Unit code -> who can receive its alerts (its people and the inspectors, with their
    reachability), as a comparable value (:class:`QuietMark`)."""
    inspectors: list[tuple[int, bool]] = []
    by_unit: dict[str, list[tuple[int, str, bool]]] = {}
    for p in people:
        if p.role is Role.INSPECTOR:
            inspectors.append((p.user_id, p.reachable))
        elif p.unit is not None:
            by_unit.setdefault(p.unit, []).append((p.user_id, str(p.role), p.reachable))
    everyone = tuple(sorted(inspectors))
    return lambda unit: (everyone, tuple(sorted(by_unit.get(unit, ()))))


def _keys(messages: Sequence[Planned]) -> list[str]:
    return [k for m in messages for k in m.keys]


def _state_of(result: Result, now: datetime) -> tuple[State, dict[str, Any]]:
    """The record a delivery result leaves (see :mod:`alerts.log` for what ``data`` holds)."""
    stamp = iso(now)
    if result.outcome is Outcome.SENT:
        return State.SENT, {"at": stamp, "message_id": result.message_id}
    if result.outcome is Outcome.UNCERTAIN:
        return State.UNCERTAIN, {"at": stamp, "reason": "timeout", "error": result.error}
    if result.outcome is Outcome.UNREACHABLE:
        return State.UNREACHABLE, {"at": stamp, "error": result.error}
    if result.outcome is Outcome.FAILED:
        return State.FAILED, {"at": stamp, "error": result.error}
    return State.PENDING, {"at": stamp, "error": result.error}


__all__ = [
    "DONE",
    "REPORT_META",
    "STATE_META",
    "Plan",
    "Planned",
    "Runtime",
    "SinceCache",
    "SweepReport",
    "SweepState",
    "Sweeper",
    "schedule_for",
]
