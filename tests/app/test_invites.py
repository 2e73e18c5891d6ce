"""app.invites.issue: a drawn code under the ledger's rules, stored hashed, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.invites import issue
from app.services import Services
from ledger.errors import NotAllowed, UnknownUnit
from ledger.invites import well_formed
from ledger.model import Person, Role
from tests.app.conftest import CONTACT, I1, T0


def test_an_issued_invitation_is_stored_hashed_and_redeemable_once(services: Services) -> None:
    inspector = Person(I1, "巡察办", Role.INSPECTOR)
    issued = issue(services, inspector, "HZ", Role.LEADER)
    assert well_formed(issued.code) and issued.unit.code == "HZ"
    assert issued.expires == T0 + timedelta(hours=services.config.workflow.invite_ttl_hours)
    registry = services.store.registry
    stored = registry.get_invite(issued.code)
    assert stored is not None and stored.code_hash != issued.code and stored.role is Role.LEADER
    _, person = registry.redeem_invite(issued.code, user_id=77, name="新书记", now=T0)
    assert person.role is Role.LEADER and person.unit == "HZ"


def test_the_rules_refuse_before_anything_is_stored(services: Services) -> None:
    inspector = Person(I1, "巡察办", Role.INSPECTOR)
    with pytest.raises(UnknownUnit):
        issue(services, inspector, "ZZ", Role.CONTACT)
    with pytest.raises(NotAllowed):
        issue(services, CONTACT, "HZ", Role.CONTACT)
    with pytest.raises(NotAllowed):
        issue(services, inspector, "HZ", Role.INSPECTOR)
