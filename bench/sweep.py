"""A full alert sweep at 10k / 30k / 100k items against the ``json.load`` floor (issue 14).

For each size (units of 100 items built through the real workflow, ``_world``), on a fresh
start: the first sweep (decide, record, deliver through an instant transport with pacing
off, report) and a second sweep at the same instant, which has nothing left to send. The
floor, in the same run: ``json.load`` of every ledger file — reading the data at all.
Targets (at the largest size): first ≤ 2 s and ≤ 3× the floor; nothing-to-send ≤ 0.5 s.

    python bench/sweep.py [--sizes 10000,30000,100000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.pacing import Limits, Pacer
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from bench._world import INSPECTORS, NOW, emit, figure, world
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


def alert_files(root: Path) -> int:
    return sum(p.stat().st_size for p in root.iterdir() if p.name.startswith("alerts"))


async def one_size(root: Path, items: int) -> dict[str, Any]:
    units = max(1, items // 100)
    world(units, min(items, 100), root)
    gc.collect()
    floor = json_floor(root)
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
