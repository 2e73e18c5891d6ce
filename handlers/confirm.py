"""Formal acts asked for in words or by a button are confirmed before they are recorded.

"确认对 HZ-006 申请销号？" with the item's one-line summary and two buttons:

- ``cf:<action>:<ITEM>`` records the action (through ``handlers.workflow.act_now``, with every
  check a typed command gets, R22) and turns the question into the item's card;
- ``cf:no:<ITEM>`` answers "已取消，未做任何更改" and changes nothing.

Words that came with the phrase (a reason, a note, an urge's message) wait in the asker's
``user_data`` under the action and item until the press; a press without them (a restarted
bot) records the action with no words, or — for an action that needs a reason — says so.
A second press of 确认 finds the item already moved and is answered with what happened
("已由 … 签字背书"), so a double tap changes the ledger once (R18).
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from app.actions import Inputs
from handlers.buttons import button, parse
from handlers.common import Who, edit_or_send, for_roles, is_private, send, stale_button
from handlers.queries import find_item
from handlers.render import action_word, join, keyboard, one_line, status_word
from ledger.access import Action
from ledger.dates import normalise_item_id
from ledger.errors import UnknownItem
from ledger.model import Item
from locales import Html

PENDING_KEY = "confirm.pending"
KEPT = 20  # pending confirmations remembered per person (the oldest are forgotten)
SUMMARY_MAX = 40
# Actions a confirmation may record, and those that cannot be recorded without a reason.
CONFIRMABLE = frozenset(
    {
        Action.SUBMIT,
        Action.ENDORSE,
        Action.APPROVE,
        Action.URGE,
        Action.REJECT,
        Action.REOPEN,
        Action.WITHDRAW,
        Action.SET_DEADLINE,
        Action.GRANT_EXTENSION,
        Action.REFUSE_EXTENSION,
    }
)
NEEDS_REASON = frozenset({Action.REJECT, Action.REOPEN, Action.WITHDRAW, Action.SET_DEADLINE})


def summary(who: Who, item: Item) -> Html:
    """``HZ-006 · 整改中 · 问题描述的前 40 字…`` — the item on one line."""
    return who.t(
        "everyday.confirm.summary",
        item_id=item.id,
        status=status_word(who.words, item.status),
        problem=one_line(item.problem, SUMMARY_MAX),
    )


def _pending(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Inputs]:
    assert context.user_data is not None
    found = context.user_data.setdefault(PENDING_KEY, {})
    return found if isinstance(found, dict) else {}


def prompt(who: Who, item: Item, action: Action) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The question and its two buttons."""
    word = action_word(who.words, action)
    text = join([who.t("everyday.confirm.ask", action=word, item_id=item.id), summary(who, item)])
    markup = keyboard(
        [
            [
                button(who.plain("everyday.confirm.yes", action=word), "cf", str(action), item.id),
                button(who.plain("everyday.confirm.no"), "cf", "no", item.id),
            ]
        ]
    )
    return text, markup


async def ask(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    item: Item,
    action: Action,
    inputs: Inputs | None = None,
) -> None:
    """Put the question; ``inputs`` wait for the press."""
    pending = _pending(context)
    key = f"{action}:{item.id}"
    pending.pop(key, None)
    pending[key] = inputs or Inputs()
    while len(pending) > KEPT:
        pending.pop(next(iter(pending)))
    text, markup = prompt(who, item, action)
    query = update.callback_query
    if query is not None:
        await query.answer()
    await send(update, text, markup)


@for_roles()
async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """``cf:<action>:<ITEM>`` (record it) or ``cf:no:<ITEM>`` (nothing changes)."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    if (
        data is None
        or len(data.args) != 2
        or normalise_item_id(data.args[1]) != data.args[1]
        or not is_private(update)
    ):
        await stale_button(update, who)
        return
    name, item_id = data.args
    pending = _pending(context)
    if name == "no":
        try:
            find_item(who, item_id)  # a forged cancel of an unseen item: a stale button (R22)
        except UnknownItem:
            await stale_button(update, who)
            return
        for key in [k for k in pending if k.endswith(f":{item_id}")]:
            pending.pop(key, None)
        await edit_or_send(update, who.t("everyday.confirm.cancelled", item_id=item_id))
        await query.answer()
        return
    try:
        action = Action(name)
    except ValueError:
        await stale_button(update, who)
        return
    if action not in CONFIRMABLE:
        await stale_button(update, who)
        return
    inputs = pending.pop(f"{action}:{item_id}", None)
    if inputs is None and action in NEEDS_REASON:
        await query.answer()
        await send(update, who.t("everyday.confirm.expired", item_id=item_id))
        return
    # handlers.workflow asks its confirmations through this module, so it is imported here,
    # when a confirmation is pressed, not at import time.
    from handlers.workflow import act_now

    await act_now(update, context, who, item_id, action, inputs or Inputs())


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=r"^cf:"))


__all__ = ["CONFIRMABLE", "NEEDS_REASON", "ask", "prompt", "register", "summary"]
