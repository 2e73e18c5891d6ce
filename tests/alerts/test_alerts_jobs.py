"""The alert jobs on PTB's JobQueue: what ``register`` schedules, late jobs run once (R14), and
daily jobs fire once per local day across DST changes (R16)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from telegram.ext import Application, ApplicationBuilder, CallbackContext

from alerts.jobs import JOB_KWARGS, DailyOnce, register
from app.clock import FakeClock
from app.services import Services
from config import AlertConfig, BackupConfig, BotConfig, Config
from locales import Catalog
from storage.repo import Store

BERLIN = ZoneInfo("Europe/Berlin")


def app_for(config: Config) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().token("123:ABC").build()  # no network until initialize()
    clock = FakeClock(datetime(2026, 3, 2, 9, tzinfo=ZoneInfo(config.bot.timezone)))
    app.bot_data["services"] = Services.create(config, Store.memory(), clock, Catalog.load())
    register(app)
    return app


def berlin_config() -> Config:
    return Config(
        path=Path("config.toml"),
        bot=BotConfig(timezone="Europe/Berlin", inspectors=(1,)),
        alerts=AlertConfig(sweep_times=(clock_time(9, 0), clock_time(14, 30))),
        backup=BackupConfig(time=clock_time(2, 30)),  # inside both DST change hours
    )


def test_every_job_runs_late_rather_than_never_and_once_when_late() -> None:
    app = app_for(berlin_config())
    assert app.job_queue is not None
    jobs = app.job_queue.jobs()
    names = sorted(j.name or "" for j in jobs)
    assert names == [
        "alerts.digest.daily",
        "alerts.digest.weekly",
        "alerts.startup",
        "alerts.sweep 09:00",
        "alerts.sweep 14:30",
        "alerts.watch",
        "backup.daily",
    ]
    for job in jobs:
        assert job.job.misfire_grace_time is None, job.name
        assert job.job.coalesce is True, job.name


def fires(trigger: Any, start: datetime, end: datetime) -> list[datetime]:
    out: list[datetime] = []
    previous = None
    now = start
    while True:
        following = trigger.get_next_fire_time(previous, now)
        if following is None or following > end:
            return out
        out.append(following)
        previous = now = following


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 3, 25), date(2026, 4, 2)), (date(2026, 10, 21), date(2026, 10, 29))],
    ids=["spring-forward", "fall-back"],
)
def test_daily_jobs_fire_once_per_local_day_across_dst(first: date, last: date) -> None:
    app = app_for(berlin_config())
    assert app.job_queue is not None
    start = datetime.combine(first, clock_time(0), tzinfo=BERLIN)
    end = datetime.combine(last, clock_time(23, 59), tzinfo=BERLIN)
    days = (last - first).days + 1
    for job in app.job_queue.jobs():
        trigger = job.job.trigger
        if not isinstance(trigger, DailyOnce):
            continue
        local = [f.astimezone(BERLIN) for f in fires(trigger, start, end)]
        dates = [f.date() for f in local]
        assert len(dates) == len(set(dates)), (job.name, local)  # never twice a day
        if job.name == "alerts.digest.weekly":
            assert [d.weekday() for d in dates] == [4] * len(dates)  # Fridays only
            continue
        assert len(dates) == days, (job.name, local)  # never skipped
        for fire in local:
            wall = (fire.hour, fire.minute)
            expected = (trigger.at.hour, trigger.at.minute)
            # 02:30 does not exist on 2026-03-29: it fires at 03:30 that day.
            assert wall == expected or (fire.date() == date(2026, 3, 29) and wall == (3, 30))


def test_the_plain_cron_trigger_would_fire_twice_on_the_fall_back_day() -> None:
    """Why DailyOnce exists: run_daily's trigger repeats a time in the repeated hour."""
    cron = CronTrigger(hour=2, minute=30, timezone=BERLIN)
    start = datetime(2026, 10, 25, 0, tzinfo=BERLIN)
    end = datetime(2026, 10, 25, 23, tzinfo=BERLIN)
    assert len(fires(cron, start, end)) == 2
    assert len(fires(DailyOnce(clock_time(2, 30), BERLIN), start, end)) == 1


async def test_a_job_whose_time_passed_while_the_loop_was_blocked_runs_once() -> None:
    """R14 literally: block the loop across fire times; our settings run the job once, late;
    APScheduler's defaults (1 s grace) drop it."""
    app = ApplicationBuilder().token("123:ABC").build()
    queue = app.job_queue
    assert queue is not None
    ran: list[str] = []

    def callback(name: str) -> Any:
        async def run(context: CallbackContext[Any, Any, Any, Any]) -> None:
            ran.append(name)

        return run

    soon = 0.05
    queue.run_once(callback("ours"), when=soon, job_kwargs=dict(JOB_KWARGS))
    queue.run_once(callback("default"), when=soon)
    queue.run_repeating(
        callback("repeating"), interval=0.2, first=soon, job_kwargs=dict(JOB_KWARGS)
    )
    await queue.start()
    try:
        time.sleep(1.3)  # noqa: ASYNC251 - the point: a blocked event loop
        for _ in range(50):
            await asyncio.sleep(0.01)
            if "ours" in ran and "repeating" in ran:
                break
        assert ran.count("ours") == 1
        assert "default" not in ran  # missed by more than the default grace: dropped
        assert ran.count("repeating") == 1  # six missed fire times, coalesced into one run
    finally:
        await queue.stop(wait=False)


def test_daily_once_follows_day_of_week_and_the_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    weekly = DailyOnce(clock_time(17, 30), shanghai, "fri")
    start = datetime(2026, 3, 2, tzinfo=shanghai)
    got = fires(weekly, start, start + timedelta(days=21))
    assert [f.astimezone(shanghai).date() for f in got] == [
        date(2026, 3, 6),
        date(2026, 3, 13),
        date(2026, 3, 20),
    ]
    assert all(f.astimezone(UTC).hour == 9 for f in got)
    assert "17:30" in str(weekly) and "DailyOnce" in repr(weekly)
