"""What every feature that acts on an item from the chat shares (the workflow, evidence, /add,
phrases, confirmations): record the action, word a refusal, and the card a flow came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from app.actions import Done, Inputs, record_action
from handlers.common import Who, word_error
from handlers.conversation import Context
from handlers.queries import draw_card
from handlers.render import enabled_card_actions, join
from ledger.access import Action
from ledger.errors import LedgerError, MissingEvidence
from ledger.model import Item
from locales import Html

log = logging.getLogger(__name__)


async def perform(who: Who, item_id: str, action: Action, inputs: Inputs | None = None) -> Done:
    """Record ``who`` taking ``action`` on ``item_id`` (on a worker thread, R20)."""
    person = who.person
    assert person is not None
    services = who.services
    return await services.store.run(
        record_action, services, person, item_id, action, services.clock.now(), inputs
    )


def explain(who: Who, error: LedgerError, item_id: str | None) -> Html:
    """A domain refusal in the person's words, with the way forward where there is one."""
    text = word_error(who, error, item_id=item_id)
    if isinstance(error, MissingEvidence):
        return join([text, who.t("workflow.hint.evidence", item_id=item_id or "")])
    return text


@dataclass(frozen=True)
class CardRef:
    """A card message a conversation was started from (redrawn when the action is done)."""

    chat_id: int
    message_id: int


def card_of(update: Update) -> CardRef | None:
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message):
        return CardRef(message.chat.id, message.message_id)
    return None


async def redraw_card(context: Context, who: Who, item: Item, card: CardRef) -> None:
    """Edit a card message to the item's current state; a card that cannot be edited any
    more (deleted, unchanged) is left as it is."""
    page = draw_card(who, item, enabled_card_actions(context.bot_data))
    try:
        await context.bot.edit_message_text(
            page.text,
            chat_id=card.chat_id,
            message_id=card.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=page.keyboard,
        )
    except TelegramError as error:
        log.info("card %s not redrawn: %s", card, error)


__all__ = ["CardRef", "card_of", "explain", "perform", "redraw_card"]
