"""A unit asks for more time (申请延期), the inspectors decide.

- ``/extend ID 新时限 理由`` (or the phrase ``HZ-006 申请延期 2026-12-31 理由``): a contact or
  leader asks for a new deadline (a date not before today, 15个工作日, 长期坚持 …) with a reason.
  The request is recorded in the item's history (``request_extension``) and kept on the item
  until decided; the inspectors are told, and the card shows the request with two buttons.
- The card's ``do:grant_extension:<ITEM>`` (同意延期) and ``do:refuse_extension:<ITEM>``
  (不同意) ask "确认…？" first (``handlers.confirm``); the decision is recorded
  (``grant_extension`` sets the deadline asked for; ``refuse_extension`` keeps it) and the
  unit's contacts and leaders hear the outcome. A second tap finds nothing pending and is
  answered as already done; a deadline an inspector sets meanwhile settles the request too.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from app.actions import Inputs
from handlers import confirm
from handlers.acting import explain
from handlers.buttons import parse
from handlers.common import Who, for_roles, reply_text, send, stale_button
from handlers.deadline_input import split_deadline
from handlers.queries import example_id, find_item, private_only
from handlers.render import enable_card_actions
from handlers.workflow import act_now
from ledger.access import Action, authorize
from ledger.dates import normalise_item_id
from ledger.errors import LedgerError
from ledger.model import Role
from locales import Html

# The unit asks by /extend or in words (a card button that could only explain how would add
# a button to every card); the decisions are card buttons while a request is pending.
CARD_ACTIONS: dict[Action, str] = {
    Action.GRANT_EXTENSION: "everyday.extension.button.grant",
    Action.REFUSE_EXTENSION: "everyday.extension.button.refuse",
}


def usage(who: Who, item_id: str | None = None) -> Html:
    return who.t("everyday.extension.usage", example=item_id or example_id(who))


async def request(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, typed: str, rest: str
) -> None:
    """Record ``who``'s request for the item ``typed`` names: ``rest`` is the new deadline
    then the reason (both required: without them, how to ask)."""
    if not await private_only(update, who):
        return
    item = find_item(who, typed)
    assert who.person is not None
    authorize(item, who.person, Action.REQUEST_EXTENSION, who.services.rules)
    if not rest.strip():
        await send(update, usage(who, item.id))
        return
    found = split_deadline(who, rest)
    if isinstance(found, str):
        await send(update, found)
        return
    parsed, reason = found
    if not reason:
        await send(update, join_usage(who, item.id))
        return
    inputs = Inputs(reason=reason, deadline=parsed.deadline, long_term=parsed.long_term)
    await act_now(update, context, who, item.id, Action.REQUEST_EXTENSION, inputs)


def join_usage(who: Who, item_id: str) -> Html:
    return who.t("everyday.extension.reason_missing", example=item_id)


@for_roles(Role.CONTACT, Role.LEADER)
async def extend_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/extend ID 新时限 理由: ask the inspectors for more time."""
    args = context.args or []
    if not args or normalise_item_id(args[0]) is None:
        await send(update, usage(who))
        return
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    rest = text.split(None, 2)[2] if len(text.split(None, 2)) > 2 else ""
    await request(update, context, who, args[0], rest)


@for_roles()
async def on_card_button(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """A card's 申请延期 (how to ask) or 同意延期 / 不同意 (confirmed first)."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    if data is None or len(data.args) != 2 or normalise_item_id(data.args[1]) != data.args[1]:
        await stale_button(update, who)
        return
    name, item_id = data.args
    if not await private_only(update, who):
        return
    try:
        action = Action(name)
        item = find_item(who, item_id)
        assert who.person is not None
        authorize(item, who.person, action, who.services.rules)
    except (ValueError, LedgerError) as error:
        if isinstance(error, LedgerError):
            await reply_text(update, who, explain(who, error, item_id))
        else:
            await stale_button(update, who)
        return
    if action is Action.REQUEST_EXTENSION:
        await query.answer()
        await send(update, usage(who, item.id))
        return
    await confirm.ask(update, context, who, item, action)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("extend", extend_command))
    actions = "|".join(str(a) for a in (*CARD_ACTIONS, Action.REQUEST_EXTENSION))
    app.add_handler(CallbackQueryHandler(on_card_button, pattern=rf"^do:({actions}):"))
    enable_card_actions(app.bot_data, CARD_ACTIONS)


__all__ = ["CARD_ACTIONS", "extend_command", "register", "request", "usage"]
