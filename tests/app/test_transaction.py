"""app.transaction.change: read → decide → write as one ledger transaction; a refusal writes
nothing; the decided writes land in order, the item with its events."""

from __future__ import annotations

from datetime import date

import pytest

from app.actions import Inputs, NewItem, create_item, record_action
from app.services import Services
from app.transaction import Decided, change
from ledger.access import Action
from ledger.errors import InvalidTransition, NotAllowed, UnknownItem
from ledger.model import Person, Role, Status
from storage.repo import Transaction
from tests.app.conftest import CONTACT, I1, T0


def inspector() -> Person:
    return Person(I1, "巡察办", Role.INSPECTOR)


def fields(**kw: object) -> NewItem:
    values: dict[str, object] = {
        "unit": "HZ",
        "category": "党的建设",
        "problem": "三会一课不规范",
        "deadline": date(2026, 12, 31),
    }
    values.update(kw)
    return NewItem(**values)  # type: ignore[arg-type]


def test_create_item_writes_the_item_and_its_create_event(services: Services) -> None:
    item = create_item(services, inspector(), fields(), T0)
    ledger = services.store.ledger("HZ")
    assert item.id == "HZ-001"
    assert ledger.get_item("HZ-001") == item
    assert [e.action for e in ledger.events("HZ-001")] == ["create"]


def test_record_action_reads_decides_and_writes_once(services: Services) -> None:
    create_item(services, inspector(), fields(), T0)
    done = record_action(
        services, CONTACT, "HZ-001", Action.PROGRESS, T0, Inputs(text="已召开会议")
    )
    assert done.before.status is Status.OPEN
    assert done.item.status is Status.IN_PROGRESS
    ledger = services.store.ledger("HZ")
    assert ledger.get_item("HZ-001") == done.item
    assert ledger.events("HZ-001")[-1] == done.event


def test_a_refused_action_writes_nothing(services: Services) -> None:
    create_item(services, inspector(), fields(), T0)
    ledger = services.store.ledger("HZ")
    before = (ledger.get_item("HZ-001"), ledger.events("HZ-001"))
    with pytest.raises((InvalidTransition, NotAllowed)):
        record_action(services, CONTACT, "HZ-001", Action.APPROVE, T0)
    assert (ledger.get_item("HZ-001"), ledger.events("HZ-001")) == before


def test_an_item_of_an_unknown_unit_is_an_unknown_item(services: Services) -> None:
    with pytest.raises(UnknownItem):
        record_action(services, CONTACT, "ZZ-001", Action.PROGRESS, T0, Inputs(text="x"))
    with pytest.raises(UnknownItem):
        record_action(services, CONTACT, "not an id", Action.PROGRESS, T0, Inputs(text="x"))


def test_a_failing_decision_leaves_the_ledger_and_its_counter_alone(services: Services) -> None:
    ledger = services.store.ledger("HZ")

    def decide(tx: Transaction) -> Decided[None]:
        tx.new_item_seq()  # a number taken inside the failed transaction is not consumed
        raise NotAllowed(action="create", role="contact")

    with pytest.raises(NotAllowed):
        change(services.store, "HZ", decide)
    assert ledger.items() == []
    assert create_item(services, inspector(), fields(), T0).id == "HZ-001"


def test_writes_are_staged_in_order_and_visible_to_the_next_transaction(
    services: Services,
) -> None:
    first = create_item(services, inspector(), fields(), T0)
    second = create_item(services, inspector(), fields(problem="第二个问题"), T0)
    assert (first.id, second.id) == ("HZ-001", "HZ-002")

    def decide(tx: Transaction) -> Decided[list[str]]:
        return Decided([item.id for item in tx.items()])

    assert change(services.store, "HZ", decide) == ["HZ-001", "HZ-002"]
