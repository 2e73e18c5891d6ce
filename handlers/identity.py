"""Keeps the registry's record of configured inspectors current (name, once per change).

Inspectors come from ``[bot] inspectors`` alone (see handlers/common.py), so nothing else ever
stores them; without a record, notices and ``/alerts`` could only call them "ID 100". Before
other handlers (group -90, after de-duplication), an inspector's Telegram name is upserted
when it is missing or has changed. The write happens on a worker thread; it is skipped, not
failed, if the store refuses it (a later update tries again).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from handlers.services import services_of
from ledger.model import Person, Role
from storage.errors import StorageError

log = logging.getLogger(__name__)
GROUP = -90


async def remember_inspector(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store or refresh a configured inspector's name; nothing for anyone else."""
    user = update.effective_user
    if user is None:
        return
    services = services_of(context)
    if user.id not in services.config.bot.inspectors:
        return
    name = user.full_name or str(user.id)
    stored = services.store.registry.get_person(user.id)
    if stored is not None and stored.role is Role.INSPECTOR and stored.name == name:
        return
    if stored is not None and stored.role is Role.INSPECTOR:
        person = replace(stored, name=name)
    else:
        # A configured inspector outranks any unit binding they may once have had.
        language = stored.language if stored is not None else None
        person = Person(user_id=user.id, name=name, role=Role.INSPECTOR, language=language)
    try:
        await services.store.run(services.store.registry.upsert_person, person)
    except StorageError:
        log.warning("could not record inspector %s's name", user.id, exc_info=True)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, remember_inspector), group=GROUP)
