"""The same update delivered twice is handled once (R18).

Telegram re-delivers an update when its ``getUpdates`` offset was not acknowledged (the bot
died between fetching and the next poll) and webhooks retry on errors. Before any other
handler (group -100), this module remembers each update and stops a repeat with
``ApplicationHandlerStop``: no handler sees it, so the ledger changes once and the user gets
one reply.

An update is remembered by its ``update_id`` *and* a digest of its content. Telegram only
promises ids unique per bot — after a week without updates it restarts them at a random
number, and the sandbox's emulator starts from the same number each run — so an old id with
new content is a new update, not a repeat.

The memory is bounded (the newest 500 updates, ``storage.marks``) and persisted in its own
journal (``updates.jsonl``: one appended line, not a registry rewrite) *before* the update is
handled, so a repeat after a crash and restart is caught too. That makes handling
at-most-once: an update whose handling crashed is not handled again when re-delivered — the
person simply asks again — which is the right side to err on for ledger writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from app.services import services_of

log = logging.getLogger(__name__)

GROUP = -100


def update_key(update: Update) -> str:
    """``<update_id>:<digest of the update's content>``."""
    body = json.dumps(update.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return f"{update.update_id}:{digest}"


async def drop_repeats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update already handled; remember (durably) every other one.

    An *edited* message is stopped too: it is not a new request, and handling it would repeat
    the original's effect (a second progress note for a corrected ``/progress`` text). To change
    what they reported, people send a new message.
    """
    if update.edited_message is not None or update.edited_channel_post is not None:
        raise ApplicationHandlerStop
    store = services_of(context).store
    key = update_key(update)
    if store.update_marks.check_and_remember(key):
        log.info("update %s delivered again: ignored", update.update_id)
        raise ApplicationHandlerStop
    await store.run(store.update_marks.persist, key)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, drop_repeats), group=GROUP)
