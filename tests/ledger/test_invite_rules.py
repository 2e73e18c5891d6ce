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
    told_of_move,
    well_formed,
    would_move,
)
from ledger.model import Person, Role
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


def test_only_a_change_of_unit_or_role_is_a_move() -> None:
    contact = Person(1, "联络员", Role.CONTACT, unit="HZ")
    assert would_move(contact, Role.CONTACT, "NB")
    assert would_move(contact, Role.LEADER, "HZ")
    assert not would_move(contact, Role.CONTACT, "HZ")  # the same binding: nothing moves
    assert not would_move(None, Role.CONTACT, "HZ")
    assert not would_move(Person(9, "巡察", Role.INSPECTOR), Role.CONTACT, "HZ")


def test_a_move_is_told_to_inspectors_and_the_leaders_left_behind_or_else_the_contacts() -> None:
    mover = Person(1, "王", Role.CONTACT, unit="HZ")
    leader = Person(2, "赵", Role.LEADER, unit="HZ")
    other_contact = Person(3, "钱", Role.CONTACT, unit="HZ")
    elsewhere = Person(4, "孙", Role.LEADER, unit="NB")
    inspectors = [Person(100, "甲", Role.INSPECTOR), Person(101, "乙", Role.INSPECTOR)]
    people = [mover, leader, other_contact, elsewhere]
    assert [p.user_id for p in told_of_move(mover, people, inspectors)] == [100, 101, 2]
    leaving_leader = Person(2, "赵", Role.LEADER, unit="HZ")
    told = told_of_move(leaving_leader, [other_contact, elsewhere], inspectors)
    assert [p.user_id for p in told] == [100, 101, 3]  # no leader left: the contacts
    assert [p.user_id for p in told_of_move(mover, [], inspectors)] == [100, 101]
