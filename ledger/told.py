"""Who is told of each action on an item (pure; the chat's counterpart of the alert audiences
in ``ledger.alerts``).

:data:`WHO_IS_TOLD` is the one table. A row names the roles told at once (``primary``) and,
for some actions, a ``fallback`` role told instead when none of the primary people could be
reached — unless the actor is of the primary roles themselves. The actor is never told of
their own action. Inspectors are whoever config names; contacts and leaders are the unit's.

Some actions are told differently by circumstance (:class:`Case`): a close-out request waits
for the leader's 签字背书 when endorsement is required, and goes straight to the inspectors
when it is not; a return (退回) by an inspector is told to the leaders as well, who had signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ledger.access import Action
from ledger.model import Person, Role, Status

CONTACT, LEADER, INSPECTOR = Role.CONTACT, Role.LEADER, Role.INSPECTOR


class Case(StrEnum):
    ANY = "any"
    AWAITING_ENDORSEMENT = "awaiting_endorsement"  # submit → 待签字
    AWAITING_VERIFICATION = "awaiting_verification"  # submit with endorsement off → 待核验
    BY_INSPECTOR = "by_inspector"
    BY_UNIT = "by_unit"  # a contact or leader acted


@dataclass(frozen=True)
class Told:
    """One row of the table: roles told at once, and the role told when none of them can be."""

    primary: tuple[Role, ...]
    fallback: Role | None = None


NOBODY = Told(())

WHO_IS_TOLD: Mapping[tuple[Action, Case], Told] = {
    (Action.CREATE, Case.ANY): Told((CONTACT, LEADER)),  # /add: a new item for the unit
    (Action.SUBMIT, Case.AWAITING_ENDORSEMENT): Told((LEADER,), fallback=INSPECTOR),
    (Action.SUBMIT, Case.AWAITING_VERIFICATION): Told((INSPECTOR,)),
    # 签字背书: the inspectors verify next; the contact who asked hears it is signed (the help
    # promises every step is told).
    (Action.ENDORSE, Case.ANY): Told((INSPECTOR, CONTACT)),
    (Action.REJECT, Case.BY_INSPECTOR): Told((CONTACT, LEADER)),
    (Action.REJECT, Case.BY_UNIT): Told((CONTACT,)),
    # 催办 reaches the contacts and the unit's 主要负责人, who carries 主体责任.
    (Action.URGE, Case.ANY): Told((CONTACT, LEADER)),
    (Action.APPROVE, Case.ANY): Told((CONTACT, LEADER)),
    (Action.REOPEN, Case.ANY): Told((CONTACT, LEADER)),
    (Action.WITHDRAW, Case.ANY): Told((CONTACT, LEADER)),
    (Action.SET_DEADLINE, Case.ANY): Told((CONTACT, LEADER)),
    (Action.REQUEST_EXTENSION, Case.ANY): Told((INSPECTOR,)),  # 申请延期: they decide
    (Action.GRANT_EXTENSION, Case.ANY): Told((CONTACT, LEADER)),  # the unit hears the outcome
    (Action.REFUSE_EXTENSION, Case.ANY): Told((CONTACT, LEADER)),
    # progress notes and evidence: nobody (the card and the digests show them)
}


def case_of(action: Action, actor_role: Role, status_after: Status) -> Case:
    """Which row of ``action`` applies."""
    if action is Action.SUBMIT:
        if status_after is Status.SUBMITTED:
            return Case.AWAITING_ENDORSEMENT
        return Case.AWAITING_VERIFICATION
    if action is Action.REJECT:
        return Case.BY_INSPECTOR if actor_role is Role.INSPECTOR else Case.BY_UNIT
    return Case.ANY


def who_is_told(action: Action, actor_role: Role, status_after: Status) -> Told:
    """The row for ``action`` taken by someone of ``actor_role``, leaving the item in
    ``status_after``; :data:`NOBODY` for actions nobody is told of."""
    return WHO_IS_TOLD.get((action, case_of(action, actor_role, status_after)), NOBODY)


@dataclass(frozen=True)
class Audience:
    """Who hears of an action: ``primary`` (of ``roles``); if none of them could be reached
    and the actor is not of those roles, ``fallback`` (with a line saying why it reached them,
    naming ``fallback_role``: the role that could not be reached). ``vacant``: the unit has
    nobody of ``roles`` bound at all — not even the actor — which the actor is told."""

    primary: tuple[Person, ...]
    roles: tuple[Role, ...] = ()
    fallback: tuple[Person, ...] = ()
    fallback_role: Role | None = None
    vacant: bool = False


def audience(told: Told, actor: Person, people: Callable[[Role], Sequence[Person]]) -> Audience:
    """The people of ``told`` (``people(role)``: the unit's people of a role, or the
    inspectors), each once, without the actor. Nobody told: an empty audience."""
    if not told.primary:
        return Audience(())
    primary = [p for role in told.primary for p in people(role)]
    fallback: Sequence[Person] = ()
    if told.fallback is not None and actor.role not in told.primary:
        fallback = people(told.fallback)
    return Audience(
        primary=_once_without(actor, primary),
        roles=told.primary,
        fallback=_once_without(actor, fallback),
        fallback_role=told.primary[0] if told.fallback is not None else None,
        vacant=not primary and INSPECTOR not in told.primary,
    )


def _once_without(actor: Person, people: Iterable[Person]) -> tuple[Person, ...]:
    seen: set[int] = {actor.user_id}
    kept: list[Person] = []
    for p in people:
        if p.user_id not in seen:
            seen.add(p.user_id)
            kept.append(p)
    return tuple(kept)


__all__ = [
    "NOBODY",
    "WHO_IS_TOLD",
    "Audience",
    "Case",
    "Told",
    "audience",
    "case_of",
    "who_is_told",
]
