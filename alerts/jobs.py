"""The alert jobs on PTB's JobQueue (APScheduler 3), and the entry points others call.

``register(app)`` schedules, in the configured zone:

- a wake-up at each ``[alerts] sweep_times``, at ``daily_digest_time`` and at
  ``weekly_digest_time`` on ``weekly_digest_day``;
- the daily backup at ``[backup] time`` (``storage.maintenance.backup``);
- the start-up sweep (``run_once`` at 0 s: it runs when the application starts, before any
  update matters, R19);
- a watch every :data:`WATCH_SECONDS` that sweeps when the bot clock has passed a sweep or
  digest instant (the sandbox's ``/clock +8d`` moves that clock, not APScheduler's) or when a
  sweep deferred from quiet hours becomes allowed.

Every wake-up calls :func:`tick`, which asks :mod:`alerts.schedule` — on ``services.clock`` —
whether anything is due; so a wake-up that is late, repeated or missing never doubles or
drops a sweep, and working days (with 调休) are the schedule's business, not the trigger's.

Every job has ``misfire_grace_time=None`` and ``coalesce=True`` (R14): APScheduler's default
drops a job that starts more than 1 s late (a blocked loop, a suspended host); with these it
runs once, late. Daily jobs use :class:`DailyOnce` instead of ``run_daily``'s cron trigger,
which fires twice on a DST fall-back day for a time inside the repeated hour (R16: once per
local day in any zone).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from telegram.ext import Application, CallbackContext, JobQueue

from alerts.delivery import Deliverer
from alerts.sweep import Runtime, Sweeper, SweepReport
from app import overview
from app.data import backup, is_damaged_snapshot
from app.memory import freeze_loaded
from app.services import services_of

log = logging.getLogger(__name__)

RUNTIME_KEY = "alerts"
JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True}
WATCH_SECONDS = 60.0

AnyApp = Application[Any, Any, Any, Any, Any, Any]


class DailyOnce(BaseTrigger):
    """Fire at ``at`` (local wall time in ``tz``) once per local date, on ``days`` (cron
    ``day_of_week`` syntax, default every day).

    Wraps APScheduler's ``CronTrigger`` and skips a second fire time on the same local date,
    which the cron trigger produces when ``at`` falls in the hour a DST fall-back repeats. On
    a spring-forward day a time in the skipped hour fires at the same instant one hour later
    (the cron trigger's own choice), still once.
    """

    __slots__ = ("at", "days", "tz", "_cron")

    def __init__(self, at: time, tz: tzinfo, days: str = "*") -> None:
        self.at = at
        self.tz = tz
        self.days = days
        self._cron = CronTrigger(
            day_of_week=days, hour=at.hour, minute=at.minute, second=at.second, timezone=tz
        )

    def _day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        following: datetime | None = self._cron.get_next_fire_time(previous_fire_time, now)
        while (
            following is not None
            and previous_fire_time is not None
            and self._day(following) == self._day(previous_fire_time)
        ):
            following = self._cron.get_next_fire_time(following, following)
        return following

    def __str__(self) -> str:
        return f"daily once at {self.at:%H:%M} ({self.days}) in {self.tz}"

    def __repr__(self) -> str:
        return f"<DailyOnce at={self.at!r} days={self.days!r} tz={self.tz!r}>"


# --------------------------------------------------------------------------- entry points


def runtime_of(app: AnyApp) -> Runtime:
    """The application's alert runtime (``register`` creates it)."""
    runtime = app.bot_data[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    return runtime


def sweeper_of(app: AnyApp) -> Sweeper:
    return Sweeper(services_of(app), app.bot, runtime_of(app))


async def tick(app: AnyApp, *, trigger: str = "scheduled") -> SweepReport | None:
    """Sweep if anything is due on the bot clock; ``None`` if nothing was. The sandbox calls
    this right after moving the clock (``/clock +8d``): one catch-up sweep, coalesced."""
    return await sweeper_of(app).tick(trigger=trigger)


async def sweep_now(app: AnyApp, *, trigger: str = "manual") -> SweepReport:
    """Sweep now whatever the schedule says (quiet hours still defer the sending)."""
    report = await sweeper_of(app).tick(trigger=trigger, force=True)
    assert report is not None
    return report


async def wait_started(app: AnyApp, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Return once the start-up sweep has finished (tests and the sandbox wait on it)."""
    await asyncio.wait_for(runtime_of(app).started.wait(), timeout)


# --------------------------------------------------------------------------- jobs


async def _startup(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The start-up sweep: recovers interrupted sends and catches up downtime (R8, R9); then
    each unit's figures of the day are computed (``app.overview``), so the first /units does
    not wait for all of them."""
    app = context.application
    try:
        sweeper = sweeper_of(app)
        await sweeper.tick(trigger="startup", force=True)
        await sweeper.run(overview.warm, sweeper.services, sweeper.now())
        if runtime_of(app).freeze_after_start:
            # What start-up parsed and recorded lives long: later full collections need
            # not rescan it (app.memory; they were 235–450 ms pauses in replies at 20k).
            freeze_loaded()
    finally:
        runtime_of(app).started.set()


async def _wake(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """A scheduled wake-up or the watch: sweep if due. A sweep in progress covers it."""
    app = context.application
    if runtime_of(app).lock.locked():
        return
    await sweeper_of(app).tick(trigger="scheduled")


async def _backup(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The daily snapshot of the data directory, written on a worker thread."""
    services = services_of(context.application)
    config = services.config
    path = await services.store.run(
        backup,
        config.data_dir,
        config.backup_dir,
        config.backup.keep,
        now=services.clock.now(),
    )
    if is_damaged_snapshot(path):
        log.error("daily backup: the data fails check; snapshot %s is marked damaged", path)
    else:
        log.info("daily backup written to %s", path)


def _daily(
    queue: JobQueue[Any],
    callback: Any,
    at: time,
    tz: tzinfo,
    name: str,
    days: str = "*",
) -> None:
    queue.run_custom(
        callback, job_kwargs={"trigger": DailyOnce(at, tz, days), **JOB_KWARGS}, name=name
    )


def deliverer_for(
    app: AnyApp, *, retry_after_attempts: int = 3, backoff: tuple[float, ...] | None = None
) -> Deliverer:
    """A :class:`~alerts.delivery.Deliverer` on the application's one pacer: chat
    notifications go out under the same limits as alerts (R13), and a flood wait Telegram
    imposes on one holds both. An application without the alert jobs (a test's) gets a
    runtime, and so a pacer, of its own."""
    runtime = app.bot_data.get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        runtime = app.bot_data[RUNTIME_KEY] = Runtime()
    return Deliverer(
        app.bot,
        runtime.pacer,
        concurrency=runtime.concurrency,
        backoff=runtime.backoff if backoff is None else backoff,
        retry_after_attempts=retry_after_attempts,
        timeouts=runtime.timeouts,
    )


def register(app: AnyApp) -> None:
    """Create the alert runtime and schedule every alert and maintenance job (see the
    module docstring)."""
    services = services_of(app)
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("alerts need PTB's JobQueue (python-telegram-bot[job-queue])")
    app.bot_data[RUNTIME_KEY] = Runtime()
    config = services.config
    tz = config.tz
    alerts = config.alerts
    for at in alerts.sweep_times:
        _daily(queue, _wake, at, tz, f"alerts.sweep {at:%H:%M}")
    _daily(queue, _wake, alerts.daily_digest_time, tz, "alerts.digest.daily")
    day = alerts.weekly_digest_day
    _daily(queue, _wake, alerts.weekly_digest_time, tz, "alerts.digest.weekly", days=day)
    _daily(queue, _backup, config.backup.time, tz, "backup.daily")
    queue.run_once(_startup, when=0, name="alerts.startup", job_kwargs=dict(JOB_KWARGS))
    queue.run_repeating(
        _wake,
        interval=WATCH_SECONDS,
        first=WATCH_SECONDS,
        name="alerts.watch",
        job_kwargs=dict(JOB_KWARGS),
    )


__all__ = [
    "JOB_KWARGS",
    "RUNTIME_KEY",
    "deliverer_for",
    "WATCH_SECONDS",
    "DailyOnce",
    "register",
    "runtime_of",
    "sweep_now",
    "sweeper_of",
    "tick",
    "wait_started",
]
