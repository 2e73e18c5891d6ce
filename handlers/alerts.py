"""``/alerts`` for inspectors, and people's reachability kept in step with what they do (R12).

- ``/alerts`` — the alert timetable (quiet hours, next sweep and digests), the last sweep's
  counts (sent, uncertain, unreachable, failed, left for later) and a dry run of what a sweep
  would send now: counts per kind and per recipient and the first lines of the first message.
  Nothing is sent or recorded by it. Private chats only: the dry run names people, units and
  problems, which a group must not read.
- Reachability: a person the alert sender marked unreachable (``Forbidden``) who writes to
  the bot again, or unblocks it, is reachable again; one who blocks the bot is marked at once
  (Telegram's ``my_chat_member`` update), so inspectors hear of it before the next alert
  would have bounced. Runs before the feature handlers (group :data:`GROUP`) and never stops
  them.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, CommandHandler, ContextTypes, TypeHandler

from alerts.jobs import sweeper_of
from alerts.summary import summary
from app.roster import is_inspector, set_reachable
from app.services import services_of
from handlers.common import Who, for_roles, send
from handlers.queries import private_only
from ledger.model import Role

log = logging.getLogger(__name__)

GROUP = -10  # after handlers.dedupe (-100), before every feature (0)


@for_roles(Role.INSPECTOR)
async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """Show the alert timetable, the last sweep and a dry run of the next one."""
    if not await private_only(update, who):
        return
    sweeper = sweeper_of(context.application)
    text = await who.services.store.run(summary, sweeper, who.lang)
    await send(update, text)


async def track_reachability(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark the sender reachable again when they write or unblock, unreachable when they
    block the bot. Only people the registry or config knows are touched."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    services = services_of(context)
    member = update.my_chat_member
    if member is not None:
        if member.chat.type != ChatType.PRIVATE:
            return
        reachable = member.new_chat_member.status not in (
            ChatMemberStatus.BANNED,
            ChatMemberStatus.LEFT,
        )
    else:
        reachable = True
    known = services.store.registry.get_person(user.id)
    if known is None and not is_inspector(services, user.id):
        return
    if known is not None and known.reachable == reachable:
        return  # the common case: nothing to write
    if known is None and reachable:
        return  # an inspector without a record is reachable by default
    await services.store.run(set_reachable, services, user.id, reachable, services.clock.now())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, track_reachability), group=GROUP)
    app.add_handler(CommandHandler("alerts", alerts_command))


__all__ = ["GROUP", "alerts_command", "register", "track_reachability"]
