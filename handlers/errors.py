"""The one error handler: log with the traceback first, then a calm word to the user.

Every exception that escapes a handler or job lands here. It is logged with ``exc_info`` and
counted in ``bot_data["errors"]`` (the end-to-end harness fails a test that produced any).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from app.errors import DamagedLedger
from app.services import services_of

log = logging.getLogger(__name__)
ERRORS_KEY = "errors"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception with its traceback and tell the user, once, that nothing was lost."""
    error = context.error
    log.error("unhandled error while handling %r", update, exc_info=error)
    context.bot_data.setdefault(ERRORS_KEY, []).append(error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(error, Forbidden):
        return
    services = services_of(context)
    user = update.effective_user
    lang = services.catalog.normalise(user.language_code if user else None)
    if isinstance(error, DamagedLedger):
        # A write to a ledger quarantined for a damaged record (R29): say so, not "internal".
        unit = services.store.registry.get_unit(error.unit)
        name = unit.name if unit is not None else error.unit
        text = services.catalog.t(lang, "harden.damaged_write", unit=name)
    else:
        text = services.catalog.t(lang, "error.internal")
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell chat %s about the error", update.effective_chat.id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_error_handler(on_error)
