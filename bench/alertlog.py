"""The alert log after a simulated year at 300 units × 100 items (issue 14, R33).

Simulates ``--days`` days of sweeps through the alert log's public API (``alerts.log``):
each day records that day's deliveries ``pending``, claims them (``sending``) and finishes
them (``sent``), then lets the log apply its retention as a sweep does. The day's deliveries
follow the policy's shape (``ledger.alerts`` keys): every item has a deadline somewhere in
the year and stays overdue for up to 60 days; due-soon reminders at 7/3/1 days to its
contact, overdue notices weekly to contact and leader, escalations at 1/15/30 days to five
inspectors, stale reminders every 14 days for half of the items, a daily digest per
inspector and a weekly one per unit's contact and leader.

Then, on that history: a 25-record wave (claim 25 ``pending`` records, finish them) timed
``--waves`` times, and the file size. The floor: appending the same 25 records as JSON lines
to a file and fsyncing it. Targets: a wave ≤ 3× the floor whatever the history (cost
independent of history), the files ≤ 50 MB after a year.

    python bench/alertlog.py [--days 365] [--units 300] [--items 100] [--waves 20] [--dir PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.log import AlertLog, State, iso
from bench._world import INSPECTORS, TZ, contact_id, emit, figure, leader_id, median, ms, unit_code
from ledger.model import Unit
from storage.records import AlertMove, AlertRecord
from storage.repo import Store

START = date(2026, 1, 1)


def deliveries(day: int, units: int, items: int) -> Iterator[str]:
    """The delivery keys decided on simulated ``day`` (see the module docstring)."""
    today = START + timedelta(days=day)
    for u in range(units):
        code = unit_code(u)
        for n in range(items):
            i = u * items + n
            deadline = START + timedelta(days=(i * 37) % 400 - 30)
            item = f"{code}-{n + 1:03d}"
            left = (deadline - today).days
            if left in (7, 3, 1):
                yield f"{item}:due_soon:{deadline}:{left}@{contact_id(u)}"
            over = -left
            if 1 <= over <= i % 61:  # overdue until it is closed
                if (over - 1) % 7 == 0:
                    step = (over - 1) // 7
                    for user in (contact_id(u), leader_id(u)):
                        yield f"{item}:overdue:{deadline}:{step}@{user}"
                if over in (1, 15, 30):
                    level = (1, 15, 30).index(over) + 1
                    for user in INSPECTORS:
                        yield f"{item}:escalation:{deadline}:{level}@{user}"
            if i % 2 == 0 and day % 14 == i % 14 and -60 < left < 60:
                anchor = today - timedelta(days=14)
                yield f"{item}:stale:{anchor}:1@{contact_id(u)}"
        if today.weekday() == 4:
            week = today.isocalendar()
            for user in (contact_id(u), leader_id(u)):
                yield f"digest:weekly:{code}:{week.year}-W{week.week:02d}@{user}"
    for user in INSPECTORS:
        yield f"digest:daily:{user}:{today}@{user}"


def at(day: int) -> datetime:
    return datetime(START.year, START.month, START.day, 9, 0, tzinfo=TZ) + timedelta(days=day)


def sweep_day(log: AlertLog, day: int, units: int, items: int) -> int:
    """One day's deliveries, recorded and sent as a sweep records them (``Sweeper._record``:
    one move to ``pending``; then one message per recipient, whose keys share its outcome);
    returns how many."""
    now = at(day)
    stamp = iso(now)
    keys = list(dict.fromkeys(deliveries(day, units, items)))
    # A sweep records its plan message by message: each recipient's keys together.
    keys.sort(key=lambda k: int(k.rpartition("@")[2]))
    log.move([AlertMove(keys, State.PENDING, {"at": stamp}, merge=False)])
    claimed = log.claim(keys)
    sent: dict[str, dict[str, object]] = {}  # recipient -> its message's outcome
    outcomes = {}
    for key in claimed:
        user = key.rpartition("@")[2]
        extra = sent.get(user) or sent.setdefault(user, {"at": stamp, "message_id": len(sent)})
        outcomes[key] = (State.SENT, extra)
    log.finish(outcomes)
    prune = getattr(log, "prune", None)
    if prune is not None:  # the log's retention, as each sweep applies it
        prune(now)
    return len(keys)


def raw_append(path: Path, records: list[AlertRecord]) -> None:
    """The floor: the same records as JSON lines, appended and fsynced."""
    data = "".join(
        json.dumps({"k": r.key, "s": r.state, "d": r.data}, ensure_ascii=False) + "\n"
        for r in records
    ).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def alert_files(root: Path) -> int:
    return sum(p.stat().st_size for p in root.iterdir() if p.name.startswith("alerts"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--waves", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "data"
        with Store.open(root) as store:
            for u in range(args.units):
                store.add_unit(Unit(unit_code(u), f"第{u}单位党组"))
            log = AlertLog(store.registry)
            started = time.perf_counter()
            recorded = 0
            for day in range(args.days):
                recorded += sweep_day(log, day, args.units, args.items)
            out["simulate_seconds"] = round(time.perf_counter() - started, 1)
            out["deliveries_recorded"] = recorded
            out["records_kept"] = len(log.snapshot())
            size = alert_files(root)
            stamp = iso(at(args.days))
            waves: list[float] = []
            floors: list[float] = []
            for w in range(args.waves):
                batch = [
                    AlertRecord(
                        f"X{w:03d}-{k:03d}:overdue:2027-01-01:0@{10_000 + k}",
                        State.PENDING,
                        {"at": stamp},
                    )
                    for k in range(25)
                ]
                log.write(batch)
                keys = [r.key for r in batch]
                started = time.perf_counter()
                log.claim(keys)
                log.finish({k: (State.SENT, {"at": stamp, "message_id": 7}) for k in keys})
                waves.append(time.perf_counter() - started)
                started = time.perf_counter()
                raw_append(Path(tmp) / "floor.jsonl", batch)
                raw_append(Path(tmp) / "floor.jsonl", batch)
                floors.append(time.perf_counter() - started)
    wave, floor = median(waves), median(floors)
    mb = size / 1e6
    emit(
        "alertlog",
        {"days": args.days, "units": args.units, "items": args.items, "waves": args.waves},
        [
            figure(
                "alert wave (25 records)",
                ms(wave),
                unit="ms",
                floor=ms(floor),
                target="≤ 3× floor",
                ok=wave <= 3 * floor,
            ),
            figure(
                f"alert log after {args.days} days",
                round(mb, 2),
                unit="MB",
                target="≤ 50 MB",
                ok=mb <= 50,
            ),
        ],
        **out,
    )


if __name__ == "__main__":
    main()
