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
reply, and a progress note paid it, with a thread hop, before its ledger write's own fsyncs).
Decision: every update has its mark's line written to the journal at once from the event
loop (``UpdateMarks.write_now``: one small ``write``, no fsync, no thread hop) and its handler
runs straight after. What keeps R18 is the store's *barrier* (``storage.marks``): every write
of recorded state — a ledger, the registry, the alert log — first makes the marks written
before it durable, on its own worker thread, just before its commit point (the rename; for
the alert journal, the append). So:

* a kill at any point finds the mark after the restart (the line is in the file before any
  handler runs), and the repeat is dropped: nothing recorded twice, nothing answered twice;
* a power cut cannot keep a ledger change whose update's mark it lost: the change was renamed
  into place only after the mark's fsync returned;
* a progress note pays one thread hop (its write) instead of two, and the mark's fsync comes
  right after its temp file's, when the file system has usually written the appended line
  already (the fsync then has little left to do).

An update that records nothing has its mark fsynced :data:`SYNC_AFTER` later on a worker
(unless a write's barrier did it first), so its answer may leave before its mark is durable:
only a power cut in that moment, before the next poll told Telegram the update was taken,
could bring it back — to be answered the same way again, with nothing recorded twice.

Measured and decided against: starting the mark's fsync on a second thread at once so that it
overlaps the ledger write (the two fsyncs share the file system's journal commit and ran no
faster, and on two busy cores the extra thread's wake-up cost more than it saved); carrying the
update id in the ledger event so that the ledger write is the mark (a re-delivery after a power
cut would have to be recognised in ledgers that start-up does not parse, and updates recording
elsewhere would still need the journal). When the quick line cannot be written at once
(another thread is writing the journal, it is being compacted, or someone changed it: R31),
the update waits for a durable mark (``UpdateMarks.persist``) before any handler runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from app.data import Store
from app.services import services_of

log = logging.getLogger(__name__)

GROUP = -100
# Seconds after a quick mark before its fsync is started in the background, unless a write's
# barrier made it durable first: an update that records something does that itself, on the
# thread of its write, without waking another thread on a busy machine.
SYNC_AFTER = 0.2


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
    marks = store.update_marks
    if marks.check_and_remember(key):
        log.info("update %s delivered again: ignored", update.update_id)
        raise ApplicationHandlerStop
    if marks.write_now(key):
        asyncio.get_running_loop().call_later(SYNC_AFTER, _sync_soon, store)
        return
    await store.run(marks.persist, key)


def _sync_soon(store: Store) -> None:
    """On the event loop, :data:`SYNC_AFTER` after a quick mark: fsync the marks on a worker
    thread unless a write's barrier already did (then nothing is started)."""
    marks = store.update_marks
    if not marks.unsynced:
        return
    try:
        syncing = asyncio.get_running_loop().run_in_executor(None, marks.sync)
    except RuntimeError:  # the loop is shutting down: the store's close fsyncs the marks
        return
    syncing.add_done_callback(_log_failure)


def _log_failure(syncing: asyncio.Future[None]) -> None:
    """A background fsync that failed is logged, not raised into an update's handling (the
    next write's barrier, a persisted mark, a compaction or the store's close fsync again;
    a write whose barrier fails is refused)."""
    if not syncing.cancelled() and syncing.exception() is not None:
        log.error("could not fsync the update marks", exc_info=syncing.exception())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, drop_repeats), group=GROUP)
