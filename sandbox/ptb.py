"""Pointing a python-telegram-bot Application at the emulator, and running it briefly.

``builder_for(emu)`` is an ``ApplicationBuilder`` with the token and both base URLs set; the
real bot's ``build_app`` can instead take ``emu.base_url`` / ``emu.base_file_url`` from its
config. ``polling(app)`` runs the full Application lifecycle around a block and tears it down
quickly: stopping the updater cancels the pending long poll, so teardown does not wait for
the poll ``timeout``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from sandbox.emulator import Emulator

__all__ = ["builder_for", "polling"]


def builder_for(emulator: Emulator) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """An ``ApplicationBuilder`` already aimed at ``emulator`` (which must be started)."""
    return (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
    )


@contextlib.asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: float = 1.0,
    allowed_updates: list[str] | None = None,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """``initialize → start → start_polling`` on enter; ``updater.stop → stop → shutdown`` on
    exit, even when the block fails. ``poll_timeout`` is getUpdates' long-poll timeout in
    seconds; it does not slow teardown (stopping cancels the pending poll)."""
    updater = app.updater
    if updater is None:
        raise ValueError("polling() needs an Application built with an Updater")
    await app.initialize()
    try:
        await app.start()
        try:
            await updater.start_polling(
                poll_interval=0,
                timeout=timedelta(seconds=poll_timeout),
                allowed_updates=allowed_updates,
            )
            try:
                yield app
            finally:
                await updater.stop()
        finally:
            await app.stop()
    finally:
        await app.shutdown()
