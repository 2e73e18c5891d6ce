"""Use-cases that change items: record an action on an item, create an item.

Both are blocking (one ledger transaction, :func:`app.transaction.change`); async callers run
them on a worker thread with ``services.store.run`` (R20). Refusals are the typed
``ledger.errors`` failures ``ledger.workflow`` raises; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.services import Services
from app.transaction import Decided, change
from ledger.access import Action, require_visible
from ledger.calendar import local_date
from ledger.errors import InvalidValue, UnknownItem
from ledger.model import Event, Item, Person, split_item_id
from ledger.workflow import NewEvidence, act, reopen_deadline
from ledger.workflow import create_item as new_item
from storage.repo import Transaction


@dataclass(frozen=True)
class Inputs:
    """What an action takes besides who and which item (see ``ledger.workflow.decide``)."""

    text: str = ""
    reason: str = ""
    deadline: date | None = None
    long_term: bool = False
    evidence: NewEvidence | None = None


@dataclass(frozen=True)
class Done:
    """A recorded action: the item before and after, and the event written."""

    before: Item
    item: Item
    event: Event

    @property
    def action(self) -> Action:
        return Action(self.event.action)


def unit_of(services: Services, item_id: str) -> str:
    """The unit of a canonical item id; ``UnknownItem`` when no such unit is registered."""
    try:
        unit, _ = split_item_id(item_id)
    except InvalidValue:
        raise UnknownItem(item_id=item_id) from None
    if services.store.registry.get_unit(unit) is None:
        raise UnknownItem(item_id=item_id)
    return unit


def reopen_default(services: Services, now: datetime) -> date:
    """The new 整改时限 a 反弹 gets when nobody chose one (a month on, in the configured
    zone); what the chat offers as the default button."""
    return reopen_deadline(local_date(now, services.config.tz))


def record_action(
    services: Services,
    actor: Person,
    item_id: str,
    action: Action,
    now: datetime,
    inputs: Inputs | None = None,
) -> Done:
    """Blocking: decide and record ``action`` on ``item_id`` in one ledger transaction.

    Raises what ``ledger.workflow.act`` raises (``UnknownItem`` for a missing or invisible
    item, R22); nothing is written then."""
    given = inputs or Inputs()

    def decide(tx: Transaction) -> Decided[Done]:
        item = require_visible(tx.get_item(item_id), actor, item_id)
        deadline = given.deadline
        if action is Action.REOPEN and deadline is None and not item.long_term:
            # 反弹 needs a new 整改时限: the default when none was chosen (never the old,
            # already passed one)
            deadline = reopen_default(services, now)
        new, event = act(
            item,
            actor,
            action,
            now=now,
            rules=services.rules,
            seq=tx.next_event_seq(item_id),
            text=given.text,
            reason=given.reason,
            deadline=deadline,
            long_term=given.long_term,
            evidence=given.evidence,
        )
        return Decided(Done(item, new, event), [(new, [event])])

    return change(services.store, unit_of(services, item_id), decide)


@dataclass(frozen=True)
class NewItem:
    """The 台账 fields of an item an inspector adds by hand (``/add``)."""

    unit: str
    category: str
    problem: str
    deadline: date | None
    long_term: bool = False
    leader: str = ""
    department: str = ""
    owner: str = ""
    measures: str = ""


def create_item(services: Services, actor: Person, fields: NewItem, now: datetime) -> Item:
    """Blocking: the new item (next number of its unit) and its ``create`` event, in one
    transaction. Refusals as ``ledger.workflow.create_item`` raises them."""

    def decide(tx: Transaction) -> Decided[Item]:
        item, event = new_item(
            fields.unit,
            tx.new_item_seq(),
            category=fields.category,
            problem=fields.problem,
            actor=actor,
            now=now,
            rules=services.rules,
            deadline=fields.deadline,
            long_term=fields.long_term,
            leader=fields.leader,
            department=fields.department,
            owner=fields.owner,
            measures=fields.measures,
        )
        return Decided(item, [(item, [event])])

    return change(services.store, fields.unit, decide)


__all__ = [
    "Done",
    "Inputs",
    "NewItem",
    "create_item",
    "record_action",
    "reopen_default",
    "unit_of",
]
