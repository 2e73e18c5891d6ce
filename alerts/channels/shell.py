"""``python bot.py channels`` (each group's last delivery) and ``python bot.py channels test``
(a test message to every configured group): terminal text and exit codes.

``channels`` only reads (the data directory opened read-only: it works while the bot runs).
``channels test`` records its deliveries in the alert log, so it takes the data-directory
lock: while the bot runs it refuses and says to use ``/channels test`` in the chat instead.
Exit codes: 0 done (every test message delivered), 1 a group failed or nothing to test,
2 the bot is running (test only). Words: ``[bot] language`` (zh-CN for ``auto``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alerts.channels.deliver import ChannelPass
from alerts.channels.report import results_text, status_text, when_text
from alerts.channels.robots import Answer
from app.clock import Clock, SystemClock
from app.data import Store
from app.errors import DataDirInUse
from app.services import Services
from config import Config
from locales import Catalog, to_plain

Out = Callable[[str], None]
RUNNING = (
    "the bot is running and holds the data directory: send /channels test in the chat "
    "instead (or stop the bot first)"
)


def run(config: Config, action: str, out: Out, err: Out, clock: Clock | None = None) -> int:
    """The shell command (see the module docstring)."""
    catalog = Catalog.load()
    lang = catalog.normalise(None if config.bot.language == "auto" else config.bot.language)
    if action not in ("", "status", "test"):
        err(f"unknown action {action!r}: use `channels` or `channels test`")
        return 2
    if action != "test":
        store = Store.open(config.data_dir, lock=False)
        try:
            services = Services.create(config, store, clock or SystemClock(), catalog)
            out(to_plain(status_text(services, lang)))
        finally:
            store.close()
        return 0
    if not config.channels.channels:
        out(to_plain(catalog.t(lang, "channels.test.none")))
        return 1
    try:
        store = Store.open(config.data_dir)
    except DataDirInUse:
        err(f"error: {RUNNING}")
        return 2
    try:
        services = Services.create(config, store, clock or SystemClock(), catalog)
        channels = ChannelPass(services)
        when = when_text(services, config.channels.language)
        results = asyncio.run(channels.send_tests(when))
        out(to_plain(results_text(services, lang, results)))
    finally:
        store.close()
    delivered = all(reply is not None and reply.answer is Answer.SENT for _, reply, _ in results)
    return 0 if delivered else 1


__all__ = ["RUNNING", "run"]
