"""A sweep's fan-out under Telegram's flood limits, with a big alert log (issue 14).

The real sweep (``alerts.sweep.Sweeper`` with its default pacer) sends through python-telegram-
bot to the Bot API emulator in flood mode (``sandbox.flood``: 30 msg/s overall, 1 msg/s per
chat, answered 429 beyond), on ``--units`` units of ``--items`` items with a contact and a
leader each, so that about 1,000 messages go out (one per recipient and sweep, DESIGN §6).
The alert log is first filled with ``--log-records`` sent records (a province's history).
The floor: ``messages / 30`` seconds — Telegram's own limit. Target: ≤ 1.2× the floor with
0 × 429, whatever the log size.

    python bench/fanout.py [--units 500] [--items 20] [--log-records 92000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot

from alerts.log import AlertLog, State, iso
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from bench._world import INSPECTORS, NOW, contact_id, emit, figure, leader_id, world
from config import BotConfig, Config
from locales import Catalog
from sandbox.emulator import Emulator
from sandbox.flood import FloodLimits
from storage.records import AlertRecord
from storage.repo import Store


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--log-records", type=int, default=92_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = world(args.units, args.items, Path(tmp) / "data")
        config = Config(
            path=Path("config.toml"), bot=BotConfig(data_dir=root, inspectors=INSPECTORS)
        )
        async with Emulator(clock=FakeClock(NOW), flood_limits=FloodLimits()) as emulator:
            for u in range(args.units):
                emulator.user(contact_id(u), f"联络员{u}")
                emulator.user(leader_id(u), f"书记{u}")
            for uid in INSPECTORS:
                emulator.user(uid, f"巡察组{uid}")
            with Store.open(root) as store:
                stamp = iso(NOW)
                AlertLog(store.registry).write(
                    AlertRecord(
                        f"H{n // 100:04d}-{n % 100:03d}:overdue:2025-06-01:{n % 9}@{n % 997}",
                        State.SENT,
                        {"at": stamp, "message_id": n},
                    )
                    for n in range(args.log_records)
                )
                services = Services.create(config, store, FakeClock(NOW), Catalog.load())
                async with Bot(emulator.token, base_url=emulator.base_url) as bot:
                    sweeper = Sweeper(services, bot, Runtime())
                    started = time.perf_counter()
                    report = await sweeper.tick(force=True)
                    seconds = time.perf_counter() - started
            assert report is not None
            flooded = sum(1 for c in emulator.calls if c.error_code == 429)
    floor = report.messages / 30
    emit(
        "fanout",
        {"units": args.units, "items": args.items, "log_records": args.log_records},
        [
            figure(
                f"fan-out {report.messages} msgs",
                seconds,
                unit="s",
                floor=floor,
                target="≤ 1.2× floor, 0 × 429",
                ok=seconds <= 1.2 * floor and flooded == 0,
            ),
        ],
        messages=report.messages,
        sent=report.sent,
        too_many_requests=flooded,
        decide_seconds=report.decide_seconds,
    )


if __name__ == "__main__":
    asyncio.run(main())
