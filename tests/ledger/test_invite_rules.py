"""ledger.invites: who may invite whom, what a code looks like, when it expires (R23)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest

from ledger.errors import InvalidValue, NotAllowed
from ledger.invites import (
    CODE_BYTES,
    expires_at,
    may_redeem,
    require_may_invite,
    well_formed,
)
from ledger.model import Role
from tests.ledger.factories import CONTACT, INSPECTOR, LEADER, at


def test_only_inspectors_invite_and_only_contacts_and_leaders() -> None:
    require_may_invite(INSPECTOR, Role.CONTACT)
    require_may_invite(INSPECTOR, Role.LEADER)
    with pytest.raises(NotAllowed):
        require_may_invite(INSPECTOR, Role.INSPECTOR)  # inspectors come from config alone
    with pytest.raises(NotAllowed):
        require_may_invite(LEADER, Role.CONTACT)
    with pytest.raises(NotAllowed):
        require_may_invite(CONTACT, Role.CONTACT)


def test_a_drawn_code_has_at_least_128_bits_and_is_well_formed() -> None:
    assert CODE_BYTES * 8 >= 128
    code = secrets.token_urlsafe(CODE_BYTES)
    assert len(code) == 32 and well_formed(code)


@pytest.mark.parametrize(
    "code",
    ["A" * 15, "A" * 65, "", "abc def" * 4, "<b>" * 8, "码" * 20, "A" * 31 + "!", "A" * 31 + "\n"],
)
def test_anything_else_is_no_code(code: str) -> None:
    assert not well_formed(code)


def test_the_edges_of_the_length_are_codes() -> None:
    assert well_formed("A" * 16) and well_formed("z_-9" * 16)


def test_an_invitation_expires_after_its_hours_and_needs_an_aware_now() -> None:
    assert expires_at(at(2026, 5, 1), 72) == at(2026, 5, 4)
    with pytest.raises(InvalidValue):
        expires_at(datetime(2026, 5, 1), 72)  # noqa: DTZ001 — naive on purpose
    assert expires_at(at(2026, 5, 1), 1) - at(2026, 5, 1) == timedelta(hours=1)


def test_inspectors_never_redeem() -> None:
    assert may_redeem(None) and may_redeem(CONTACT) and may_redeem(LEADER)
    assert not may_redeem(INSPECTOR)
