"""A full alert sweep at 10k / 30k / 100k items against the ``json.load`` floor (issue 14).

For each size (units of 100 items built through the real workflow, ``_world``), on a fresh
start: the first sweep (decide, record, deliver through an instant transport with pacing
off, report) and a second sweep at the same instant, which has nothing left to send. The
floor, in the same run: ``json.load`` of every ledger file — reading the data at all.
Targets (at the largest size): first ≤ 2 s and ≤ 3× the floor; nothing-to-send ≤ 0.5 s.

Informational, not a target: ``bare_pass`` (in ``runs``), the barest first sweep Python can
make of the same files (:func:`bare_pass`), so the figure can be read against what any
implementation of the same work pays, not only against reading the files.

    python bench/sweep.py [--sizes 10000,30000,100000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import html
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.pacing import Limits, Pacer
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from bench._world import INSPECTORS, NOW, contact_id, emit, figure, leader_id, world
from config import BotConfig, Config
from locales import Catalog
from storage.repo import Store


@dataclass
class InstantBot:
    """Answers every send at once (the transport is not what this bench measures)."""

    sent: int = 0

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        self.sent += 1
        return type("Sent", (), {"message_id": self.sent})()


def json_floor(root: Path) -> float:
    started = time.perf_counter()
    for path in sorted((root / "ledgers").glob("*.json")):
        with path.open("rb") as f:
            json.load(f)
    return time.perf_counter() - started


BARE_LINE = "{light} <b>{item_id}</b> {problem}\n　　整改时限 {deadline}，{what}"


def bare_pass(root: Path, scratch: Path) -> dict[str, Any]:
    """The barest first sweep of ``root``'s ledgers, timed: ``json.load`` of every file; each
    item not closed gives an entry for its unit's contact, its leader and two inspectors
    (~300,000 entries at 100k items, as many as the real sweep decides there), its light and
    words from its deadline alone; each entry's key looked up in the (empty) log; every key
    recorded pending in one fsynced append; one line per entry from one template (the problem
    HTML-escaped), a recipient's lines cut into messages of 4,096 characters; then, wave by
    wave of 16 messages, the keys moved to sending and to sent, each move one fsynced append
    (to a file in ``scratch``, outside the data directory).

    What it leaves out is what the real sweep is for: no record checked (R3, R29), no item
    decoded, no status history ("no progress for N days", escalation), no rules (working
    days, quiet hours, reminder steps), no reachability, no languages, no /alerts wording —
    so it is a bound below any implementation, not a design."""
    today = NOW.date()
    day, soon = today.isoformat(), (today + timedelta(days=7)).isoformat()
    log: dict[str, str] = {}
    by: dict[int, list[tuple[str, str]]] = {}
    entries = 0
    with (scratch / "bare.jsonl").open("ab") as journal:

        def append(value: Any) -> None:
            journal.write(json.dumps(value).encode() + b"\n")
            journal.flush()
            os.fsync(journal.fileno())

        started = time.perf_counter()
        for path in sorted((root / "ledgers").glob("*.json")):
            with path.open("rb") as f:
                doc = json.load(f)
            u = int(path.stem[1:])
            people = (contact_id(u), leader_id(u), *INSPECTORS[:2])
            for raw in doc["items"].values():
                if raw.get("status") in ("closed", "withdrawn", "monitoring"):
                    continue
                deadline = raw.get("deadline") or ""
                light, what = (
                    ("🔴", "已超期")
                    if deadline < day
                    else ("🟡", "即将到期")
                    if deadline <= soon
                    else ("🟢", "待办")
                )
                line = BARE_LINE.format(
                    light=light,
                    item_id=raw["id"],
                    problem=html.escape(raw["problem"]),
                    deadline=deadline,
                    what=what,
                )
                for user in people:
                    key = f"{raw['id']}:{what}:{day}:{user}"
                    if key not in log:
                        by.setdefault(user, []).append((key, line))
                        entries += 1
        pending = [k for found in by.values() for k, _ in found]
        log.update(dict.fromkeys(pending, "pending"))
        append({"pending": pending})
        messages: list[list[str]] = []
        texts: list[str] = []
        for user in sorted(by):
            keys: list[str] = []
            lines: list[str] = []
            size = 0
            for key, line in by[user]:
                if lines and size + len(line) + 1 > 4096:
                    messages.append(keys)
                    texts.append("\n".join(lines))
                    keys, lines, size = [], [], 0
                keys.append(key)
                lines.append(line)
                size += len(line) + 1
            if lines:
                messages.append(keys)
                texts.append("\n".join(lines))
        for w in range(0, len(messages), 16):
            moved = [k for keys in messages[w : w + 16] for k in keys]
            for state in ("sending", "sent"):
                log.update(dict.fromkeys(moved, state))
                append({state: moved})
        took = time.perf_counter() - started
    return {"seconds": round(took, 3), "entries": entries, "messages": len(messages)}


def alert_files(root: Path) -> int:
    return sum(p.stat().st_size for p in root.iterdir() if p.name.startswith("alerts"))


async def one_size(root: Path, items: int) -> dict[str, Any]:
    units = max(1, items // 100)
    world(units, min(items, 100), root)
    gc.collect()
    floor = json_floor(root)
    with tempfile.TemporaryDirectory() as scratch:
        bare = bare_pass(root, Path(scratch))
    gc.collect()
    config = Config(path=Path("config.toml"), bot=BotConfig(data_dir=root, inspectors=INSPECTORS))
    started = time.perf_counter()
    with Store.open(root) as store:
        opened = time.perf_counter() - started
        services = Services.create(config, store, FakeClock(NOW), Catalog.load())
        bot = InstantBot()
        runtime = Runtime(pacer=Pacer(Limits(10**6, 10**6, 10**6)), concurrency=64)
        sweeper = Sweeper(services, bot, runtime)
        started = time.perf_counter()
        first = await sweeper.tick(force=True)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await sweeper.tick(force=True)
        again_s = time.perf_counter() - started
    return {
        "items": items,
        "open_seconds": round(opened, 3),
        "floor_json_load_seconds": round(floor, 3),
        "first_seconds": round(first_s, 3),
        "entries": first.entries if first else None,
        "bare_pass": bare,
        "nothing_to_send_seconds": round(again_s, 3),
        "sent": first.sent if first else None,
        "second_sent": again.sent if again else None,
        "alerts_file_bytes": alert_files(root),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = []
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            runs.append(await one_size(Path(tmp) / "data", n))
    top = runs[-1]
    floor = top["floor_json_load_seconds"]
    first, idle = top["first_seconds"], top["nothing_to_send_seconds"]
    emit(
        "sweep",
        {"sizes": sizes},
        [
            figure(
                f"sweep first @{top['items']}",
                first,
                unit="s",
                floor=floor,
                target="≤ 2 s and ≤ 3× floor",
                ok=first <= 2 and first <= 3 * floor,
            ),
            figure(
                f"sweep nothing-to-send @{top['items']}",
                idle,
                unit="s",
                floor=floor,
                target="≤ 0.5 s",
                ok=idle <= 0.5,
            ),
        ],
        runs=runs,
    )


if __name__ == "__main__":
    asyncio.run(main())
