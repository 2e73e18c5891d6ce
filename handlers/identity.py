"""Keeps the registry's record of configured inspectors current (name, once per change).

Inspectors come from ``[bot] inspectors`` alone (see handlers/common.py), so nothing else ever
stores them; without a record, notices and ``/alerts`` could only call them "ID 100". Before
other handlers (group -90, after de-duplication), an inspector's Telegram name is upserted
when it is missing or has changed. Whether it changed is read in memory on the event loop, so
the usual update (same name) costs nothing; the write happens on a worker thread; it is
skipped, not failed, if the store refuses it (a later update tries again).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from app.errors import StorageError
from app.roster import name_is_current, remember_name
from app.services import services_of

log = logging.getLogger(__name__)
GROUP = -90


async def remember_inspector(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store or refresh a configured inspector's name; nothing for anyone else."""
    user = update.effective_user
    if user is None:
        return
    services = services_of(context)
    name = user.full_name or str(user.id)
    if name_is_current(services, user.id, name):
        return  # not an inspector, or nothing new: no worker-thread hop on every update
    try:
        await services.store.run(remember_name, services, user.id, name)
    except StorageError:
        log.warning("could not record inspector %s's name", user.id, exc_info=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, remember_inspector), group=GROUP)
