"""The clock catch-up: after ``/clock`` moved the demo clock, run the scheduled work that fell
due in between; tell it in people's words; read ``/clock`` shifts; remember the demo time at
exit (a new run starts at real time, ``/clock resume`` goes back to it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from telegram.ext import Application

from app.clock import OffsetClock
from sandbox.words import Words

__all__ = ["JOB_WORDS", "job_words", "on_clock_moved", "parse_shift", "save_clock", "saved_clock"]

_SHIFT = re.compile(r"^([+-])((?:\d{1,6}[wdhm])+)$")
_SHIFT_PART = re.compile(r"(\d+)([wdhm])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_MAX_SHIFT = timedelta(days=3660)


def saved_clock(path: Path) -> datetime | None:
    """The demo clock's instant saved at the last exit, if any (``None`` when missing,
    unreadable or naive). A new run starts at real time; ``/clock resume`` goes back to it."""
    try:
        saved = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return saved if saved.tzinfo is not None else None


def save_clock(path: Path, clock: OffsetClock) -> None:
    """Remember the demo clock's current instant (temp file + rename: never a torn file)."""
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(clock.now().isoformat(), encoding="utf-8")
    temp.replace(path)


async def on_clock_moved(
    app: Application[Any, Any, Any, Any, Any, Any], before: datetime, after: datetime
) -> list[str]:
    """After ``/clock`` moved the demo clock from ``before`` to ``after``: run the scheduled
    work that would have run had that time really passed. Returns the names of the jobs run.

    PTB's JobQueue fires on real time and never sees the shared OffsetClock move, so here
    each recurring job of the JobQueue that would have fired in ``(before, after]`` runs once
    now — coalesced, as APScheduler runs a job that missed several fire times with
    ``coalesce=True`` (three days ahead: one daily sweep, not three):

    - a job on a calendar trigger (``run_daily``, ``run_monthly``, ``run_custom`` with a cron
      or any other trigger: wake-ups at the sweep and digest times, backups) when its
      schedule, read in demo time, has a fire time in the window;
    - an interval job (``run_repeating``: a periodic watch) when its interval fits in it.

    One-off jobs (``run_once``: a retry after a delay, a start-up job) keep their real-time
    schedule, and moving the clock back runs nothing. Jobs run one after the other; each
    reads "now" from ``services.clock`` like any job, and its failures go to the error
    handler.

    This is the hook for the alerts package: its wake-ups (``alerts.jobs``: ``DailyOnce`` at
    the sweep and digest times, the minute watch), which ask ``alerts.schedule`` on the bot
    clock whether a sweep or digest is due, fire here after every ``/clock`` that passes
    their time — the catch-up sweep ``alerts.jobs.tick`` describes, with nothing
    sandbox-specific.
    """
    queue = app.job_queue
    if queue is None or after <= before:
        return []
    ran = []
    for job in queue.jobs():
        trigger = job.job.trigger
        if job.job.next_run_time is None:  # paused (PTB's ``Job.enabled`` starts out False)
            continue
        if isinstance(trigger, DateTrigger):
            due = False
        elif isinstance(trigger, IntervalTrigger):
            due = trigger.interval <= after - before
        else:
            # ``before`` as the previous fire time asks for the first fire strictly after it,
            # whatever the trigger's own start date (real time, which the demo may predate).
            fire = trigger.get_next_fire_time(before, before)
            due = fire is not None and fire <= after
        if due:
            ran.append(job.name or "?")
            await job.run(app)
    return ran


# What the scheduled jobs are called in people's words (``sandbox.job_<key>``), by the start of
# their JobQueue name; ``None``: housekeeping nobody needs to hear about (the minute watch,
# the group robots' retry). A job not listed is "another scheduled job".
JOB_WORDS: tuple[tuple[str, str | None], ...] = (
    ("alerts.sweep", "sweep"),
    ("alerts.digest.daily", "daily"),
    ("alerts.digest.weekly", "weekly"),
    ("backup", "backup"),
    ("alerts.watch", None),
    ("alerts.startup", None),
    ("channels.retry", None),
)


def job_words(words: Words, names: Sequence[str]) -> list[str]:
    """The jobs ``names`` (JobQueue names) as the console tells them, each said once, in
    order: ``09:00 巡检提醒``, ``日报``, ``自动备份`` …; internal names never show."""
    said: list[str] = []
    for name in names:
        key = next((k for prefix, k in JOB_WORDS if name.startswith(prefix)), "other")
        if key is None:
            continue
        at = name.rpartition(" ")[2] if key == "sweep" and " " in name else ""
        text = words(f"job_{key}", time=at).strip()
        if text not in said:
            said.append(text)
    return said


def parse_shift(text: str) -> timedelta | None:
    """``+3d``, ``+2h``, ``+30m``, ``-1d``, ``+1w``, ``+1d12h`` → a timedelta (at most ten
    years either way); anything else → ``None``."""
    match = _SHIFT.match(text.strip().lower())
    if match is None:
        return None
    total = timedelta(0)
    for number, unit in _SHIFT_PART.findall(match.group(2)):
        total += int(number) * _UNITS[unit]
    if total > _MAX_SHIFT:
        return None
    return -total if match.group(1) == "-" else total
