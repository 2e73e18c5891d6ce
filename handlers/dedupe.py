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

How durable before handling (issue 14: the mark's fsync was the largest fixed cost of a
reply). An update that may record anything — every command, button, text, file and member
update not named below — waits for its mark's fsync before any handler runs, as before. A
*pure query* (:data:`QUERY_COMMANDS`, :data:`QUERY_BUTTONS`: they only read and answer) has its
mark written to the journal at once from the event loop, without waiting for the disk, and
fsynced right after on a worker thread, not waited for. A killed or crashed bot still finds the
mark after its restart (the line is in the file); only a power cut in the millisecond before
that fsync, with the update not yet acknowledged to Telegram by the next poll, could bring the
query back — and its answer would be the same answer again, nothing recorded twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from app.services import services_of
from handlers.buttons import parse

log = logging.getLogger(__name__)

GROUP = -100

# Commands that only read and answer (their handlers write nothing; a repeat answers again).
QUERY_COMMANDS = frozenset(
    {"open", "overdue", "due", "item", "history", "todo", "unit", "units", "people", "help"}
)
# Buttons that only read and answer: open a card, its history, a unit's list, turn a page.
QUERY_BUTTONS = frozenset({"card", "hist", "unit", "page"})


def update_key(update: Update) -> str:
    """``<update_id>:<digest of the update's content>``."""
    body = json.dumps(update.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    return f"{update.update_id}:{digest}"


def is_pure_query(update: Update) -> bool:
    """Whether ``update`` is a typed query command (``/open``, ``/item HZ-001``,
    ``/units@bot 2``) or a press of a query button, and nothing else."""
    query = update.callback_query
    if query is not None:
        data = parse(query.data)
        return data is not None and data.verb in QUERY_BUTTONS
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return False
    if message.effective_attachment is not None:
        return False
    words = message.text[1:].split(maxsplit=1)
    return bool(words) and words[0].split("@", 1)[0].lower() in QUERY_COMMANDS


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
    marks = store.update_marks
    if marks.check_and_remember(key):
        log.info("update %s delivered again: ignored", update.update_id)
        raise ApplicationHandlerStop
    if is_pure_query(update) and marks.write_now(key):
        context.application.create_task(_sync_marks(context), name="sync update marks")
        return
    await store.run(marks.persist, key)


async def _sync_marks(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Make the marks written by ``write_now`` durable; a failure is logged (the next
    persisted mark, a compaction or the store's close syncs them again)."""
    store = services_of(context).store
    try:
        await store.run(store.update_marks.sync)
    except Exception:  # a background fsync must not reach the error handler as the update's
        log.exception("could not fsync the update marks")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, drop_repeats), group=GROUP)
