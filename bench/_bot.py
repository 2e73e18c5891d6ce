"""The real bot for bench/latency.py, alone in its own process as it runs in production.

What ``bot.py run`` does (open the data directory, freeze what was loaded, build the
application, poll), with two differences the bench needs: the clock stands at the bench
world's instant (``bench._world.NOW``), and the start-up sweep's alerts go out unpaced (they
are not what is measured). Once the start-up sweep has finished it prints ``ready`` on
stdout. ``TELEGRAM_API_URL`` and ``TELEGRAM_BOT_TOKEN`` come from the environment.

    python bench/_bot.py CONFIG
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot
from alerts import jobs as alerts_jobs
from alerts.pacing import Limits, Pacer
from app.clock import FakeClock
from app.memory import freeze_loaded
from bench._world import NOW
from config import load_config


def main() -> None:
    config = load_config(Path(sys.argv[1]), env=dict(os.environ))
    services = bot.open_services(config, FakeClock(NOW))
    freeze_loaded()
    app = bot.build_app(config, services)
    runtime = alerts_jobs.runtime_of(app)
    runtime.pacer = Pacer(Limits(10**6, 10**6, 10**6))
    runtime.freeze_after_start = True
    post_init = app.post_init
    tasks: list[asyncio.Task[None]] = []

    async def say_ready() -> None:
        await alerts_jobs.wait_started(app, timeout=600)
        print("ready", flush=True)

    async def ready(application: Any) -> None:
        if post_init is not None:
            await post_init(application)
        tasks.append(asyncio.get_running_loop().create_task(say_ready()))

    app.post_init = ready
    try:
        app.run_polling(allowed_updates=None, drop_pending_updates=False)
    finally:
        services.store.close()


if __name__ == "__main__":
    main()
