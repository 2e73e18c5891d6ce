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

The memory is bounded (the newest :data:`KEEP` updates) and persisted in the registry's meta
(``dedupe.updates``) *before* the update is handled, so a repeat after a crash and restart is
caught too. That makes handling at-most-once: an update whose handling crashed is not handled
again when re-delivered — the person simply asks again — which is the right side to err on
for ledger writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from app.services import Services, services_of

log = logging.getLogger(__name__)

META_KEY = "dedupe.updates"
STATE_KEY = "dedupe"
KEEP = 500
GROUP = -100


def update_key(update: Update) -> str:
    """``<update_id>:<digest of the update's content>``."""
    body = json.dumps(update.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return f"{update.update_id}:{digest}"


@dataclass
class Seen:
    """The newest ``KEEP`` update keys, oldest first, with a set for lookups."""

    order: deque[str] = field(default_factory=lambda: deque(maxlen=KEEP))
    keys: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, services: Services) -> Seen:
        stored = services.store.registry.get_meta(META_KEY, [])
        seen = cls()
        if isinstance(stored, list):
            for key in stored[-KEEP:]:
                if isinstance(key, str):
                    seen.add(key)
        return seen

    def add(self, key: str) -> None:
        if len(self.order) == self.order.maxlen:
            self.keys.discard(self.order[0])
        self.order.append(key)
        self.keys.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys


def _seen(context: ContextTypes.DEFAULT_TYPE, services: Services) -> Seen:
    state = context.bot_data.get(STATE_KEY)
    if not isinstance(state, Seen):
        state = Seen.load(services)
        context.bot_data[STATE_KEY] = state
    return state


async def drop_repeats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update already handled; remember (durably) every other one.

    An *edited* message is stopped too: it is not a new request, and handling it would repeat
    the original's effect (a second progress note for a corrected ``/progress`` text). To change
    what they reported, people send a new message.
    """
    if update.edited_message is not None or update.edited_channel_post is not None:
        raise ApplicationHandlerStop
    services = services_of(context)
    seen = _seen(context, services)
    key = update_key(update)
    if key in seen:
        log.info("update %s delivered again: ignored", update.update_id)
        raise ApplicationHandlerStop
    seen.add(key)
    await services.store.run(services.store.registry.set_meta, META_KEY, list(seen.order))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, drop_repeats), group=GROUP)
