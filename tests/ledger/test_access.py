"""Who sees which item and which buttons a card shows (R22)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.access import PERMISSIONS, Action, allowed_actions, may, require_visible, visible
from ledger.errors import UnknownItem
from ledger.model import Person, Status
from ledger.rules import Rules
from tests.ledger.factories import (
    CONTACT,
    INSPECTOR,
    LEADER,
    OTHER_CONTACT,
    OTHER_LEADER,
    RULES,
    at,
    drive,
    track,
)

A = Action


def item_in(status: Status, long_term: bool = False):
    return drive(track(long_term=long_term), status, at(2026, 5, 1)).item


def test_visibility() -> None:
    item = item_in(Status.OPEN)
    assert visible(item, INSPECTOR) and visible(item, CONTACT) and visible(item, LEADER)
    assert not visible(item, OTHER_CONTACT) and not visible(item, OTHER_LEADER)
    assert require_visible(item, CONTACT, "HZ-001") is item
    with pytest.raises(UnknownItem) as foreign:
        require_visible(item, OTHER_CONTACT, "HZ-001")
    with pytest.raises(UnknownItem) as missing:
        require_visible(None, OTHER_CONTACT, "HZ-001")
    assert foreign.value.params == missing.value.params == {"item_id": "HZ-001"}
    with pytest.raises(UnknownItem) as default_id:
        require_visible(item, OTHER_LEADER)
    assert default_id.value.params == {"item_id": "HZ-001"}


CARD = {
    (Status.OPEN, "contact"): {A.PROGRESS, A.ADD_EVIDENCE, A.REQUEST_EXTENSION},
    (Status.OPEN, "leader"): {A.PROGRESS, A.ADD_EVIDENCE, A.REQUEST_EXTENSION},
    (Status.OPEN, "inspector"): {A.ADD_EVIDENCE, A.SET_DEADLINE, A.URGE, A.WITHDRAW, A.EDIT},
    (Status.IN_PROGRESS, "contact"): {A.PROGRESS, A.ADD_EVIDENCE, A.SUBMIT, A.REQUEST_EXTENSION},
    (Status.IN_PROGRESS, "leader"): {A.PROGRESS, A.ADD_EVIDENCE, A.SUBMIT, A.REQUEST_EXTENSION},
    (Status.SUBMITTED, "contact"): {A.PROGRESS, A.ADD_EVIDENCE, A.REQUEST_EXTENSION},
    (Status.SUBMITTED, "leader"): {
        A.PROGRESS,
        A.ADD_EVIDENCE,
        A.ENDORSE,
        A.REJECT,
        A.REQUEST_EXTENSION,
    },
    (Status.SUBMITTED, "inspector"): {
        A.ADD_EVIDENCE,
        A.REJECT,
        A.SET_DEADLINE,
        A.URGE,
        A.WITHDRAW,
        A.EDIT,
    },
    (Status.ENDORSED, "contact"): {A.ADD_EVIDENCE, A.REQUEST_EXTENSION},
    (Status.ENDORSED, "leader"): {A.ADD_EVIDENCE, A.REQUEST_EXTENSION},
    (Status.ENDORSED, "inspector"): {
        A.ADD_EVIDENCE,
        A.APPROVE,
        A.REJECT,
        A.SET_DEADLINE,
        A.URGE,
        A.WITHDRAW,
        A.EDIT,
    },
    (Status.CLOSED, "contact"): set(),
    (Status.CLOSED, "inspector"): {A.REOPEN},
    (Status.WITHDRAWN, "inspector"): set(),
    (Status.WITHDRAWN, "contact"): set(),
}
# 同意延期 / 不同意延期 appear only while a request is pending (test_extension_decisions).


@pytest.mark.parametrize(("status", "role"), list(CARD))
def test_card_buttons(status: Status, role: str) -> None:
    person = {"contact": CONTACT, "leader": LEADER, "inspector": INSPECTOR}[role]
    assert allowed_actions(item_in(status), person, RULES) == CARD[(status, role)]


def test_monitoring_card() -> None:
    item = item_in(Status.MONITORING, long_term=True)
    assert allowed_actions(item, CONTACT, RULES) == {A.PROGRESS, A.ADD_EVIDENCE}
    assert allowed_actions(item, INSPECTOR, RULES) == {A.ADD_EVIDENCE, A.URGE, A.REOPEN, A.EDIT}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("outsider", [OTHER_CONTACT, OTHER_LEADER])
def test_other_units_get_no_buttons(status: Status, outsider: Person) -> None:
    item = item_in(status, long_term=status is Status.MONITORING)
    assert allowed_actions(item, outsider, RULES) == set()
    assert not any(may(item, outsider, a, RULES) for a in Action)


def test_create_is_not_an_item_action_and_rules_do_not_change_buttons() -> None:
    assert A.CREATE not in PERMISSIONS
    item = item_in(Status.SUBMITTED)
    off = Rules(endorsement_required=False)
    assert allowed_actions(item, LEADER, off) == allowed_actions(item, LEADER, RULES)
    assert date(2026, 1, 1)  # dates are plain data here


def test_extension_decisions_only_while_a_request_is_pending() -> None:
    from dataclasses import replace

    from ledger.access import authorize
    from ledger.errors import AlreadyDone
    from ledger.model import ExtensionRequest

    item = item_in(Status.IN_PROGRESS)
    assert not {A.GRANT_EXTENSION, A.REFUSE_EXTENSION} & allowed_actions(item, INSPECTOR, RULES)
    with pytest.raises(AlreadyDone):
        authorize(item, INSPECTOR, A.GRANT_EXTENSION, RULES)
    asked = ExtensionRequest(CONTACT.user_id, item.created_at, 3, date(2027, 1, 31), False, "x")
    pending = replace(item, extension=asked)
    assert {A.GRANT_EXTENSION, A.REFUSE_EXTENSION} <= allowed_actions(pending, INSPECTOR, RULES)
    assert A.GRANT_EXTENSION not in allowed_actions(pending, CONTACT, RULES)
