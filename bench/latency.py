"""Reply latency at 20k items against a bare PTB echo bot on the same emulator (issue 14).

In one process: the Bot API emulator (``sandbox.emulator``), and in turn (1) a bare
python-telegram-bot echo bot — the floor: polling, one handler, one reply — and (2) the real
bot (``bot.build_app``) on a data directory of ``--units`` × 100 items (``_world``). A unit
contact sends ``/open``, ``/item``, ``/progress`` (a durable ledger write) and an inspector
``/units``, each ``--rounds`` times; latency = from the update being queued to the bot's
first reply arriving at the emulator. Targets: p50 ≤ 1.5× the echo p50 for each command, p99
≤ echo p99 + 50 ms.

    python bench/latency.py [--units 200] [--rounds 30] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from alerts import jobs as alerts_jobs
from alerts.pacing import Limits, Pacer
from app.clock import FakeClock
from app.services import Services
from bench._world import INSPECTORS, NOW, contact_id, emit, figure, median, ms, percentile, world
from bot import build_app
from config import load_config
from locales import Catalog
from sandbox.emulator import Emulator
from sandbox.ptb import builder_for, polling
from sandbox.users import EmulatedUser
from storage.repo import Store


async def timed(user: EmulatedUser, text: str) -> float:
    """Seconds from sending ``text`` to the bot's first new message in that chat."""
    user._reply_cursor = len(user.replies)
    started = time.perf_counter()
    await user.send(text)
    await user.next_reply(timeout=30)
    return time.perf_counter() - started


async def rounds(n: int, step: Callable[[int], Awaitable[float]]) -> list[float]:
    return [await step(k) for k in range(n)]


async def echo_floor(emulator: Emulator, n: int) -> list[float]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = builder_for(emulator).build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    user = emulator.user(900_001, "回声")
    async with polling(app, poll_timeout=1.0):
        await timed(user, "warm-up")
        return await rounds(n, lambda k: timed(user, f"/open {k}"))


async def real_bot(emulator: Emulator, root: Path, units: int, n: int) -> dict[str, list[float]]:
    world(units, 100, root / "data")
    ids = ", ".join(str(i) for i in INSPECTORS)
    cfg = root / "config.toml"
    cfg.write_text(f'[bot]\ndata_dir = "data"\ninspectors = [{ids}]\n', encoding="utf-8")
    config = load_config(
        cfg, env={"TELEGRAM_API_URL": emulator.url, "TELEGRAM_BOT_TOKEN": emulator.token}
    )
    contact = emulator.user(contact_id(0), "联络员0")
    inspector = emulator.user(INSPECTORS[0], "巡察组")
    with Store.open(config.data_dir) as store:
        services = Services.create(config, store, FakeClock(NOW), Catalog.load())
        app = build_app(config, services)
        # The start-up sweep's alerts are not what is measured: let them out unpaced.
        alerts_jobs.runtime_of(app).pacer = Pacer(Limits(10**6, 10**6, 10**6))
        async with polling(app, poll_timeout=1.0):
            if app.post_init is not None:
                await app.post_init(app)
            await alerts_jobs.wait_started(app, timeout=600)
            await timed(contact, "/open")  # warm-up
            out = {
                "/open": await rounds(n, lambda k: timed(contact, "/open")),
                "/item": await rounds(n, lambda k: timed(contact, f"/item U000-{k % 60 + 1:03d}")),
                "progress": await rounds(
                    n,
                    lambda k: timed(contact, f"/progress U000-{k % 30 + 31:03d} 第{k}次整改进展"),
                ),
                "/units": await rounds(n, lambda k: timed(inspector, "/units")),
            }
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the start-up sweep's warnings are not the output
    clock = FakeClock(NOW)
    async with Emulator(clock=clock) as emulator:
        floor = await echo_floor(emulator, args.rounds)
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            runs = await real_bot(emulator, Path(tmp), args.units, args.rounds)
    f50, f99 = median(floor), percentile(floor, 99)
    figures: list[dict[str, Any]] = []
    detail: dict[str, Any] = {"echo": {"p50_ms": ms(f50), "p99_ms": ms(f99)}}
    for name, times in runs.items():
        p50, p99 = median(times), percentile(times, 99)
        detail[name] = {"p50_ms": ms(p50), "p99_ms": ms(p99)}
        figures.append(
            figure(
                f"{name} p50",
                ms(p50),
                unit="ms",
                floor=ms(f50),
                target="≤ 1.5× echo",
                ok=p50 <= 1.5 * f50,
            )
        )
        figures.append(
            figure(
                f"{name} p99",
                ms(p99),
                unit="ms",
                floor=ms(f99),
                target="≤ echo p99 + 50 ms",
                ok=p99 <= f99 + 0.05,
            )
        )
    emit("latency", {"items": args.units * 100, "rounds": args.rounds}, figures, **detail)


if __name__ == "__main__":
    asyncio.run(main())
