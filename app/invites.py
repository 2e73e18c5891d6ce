"""Issuing and using an invitation (the rules are ``ledger.invites``; the code is drawn here).

Using one (:func:`redeem`) binds the sender; someone bound elsewhere is moved only after
their 确认 (``move_from``), and the move's audience (``ledger.invites.told_of_move``) is
worked out here, from the registry as it is right after the move.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from app import roster
from app.services import Services
from ledger.errors import UnknownUnit
from ledger.invites import CODE_BYTES, expires_at, require_may_invite, told_of_move
from ledger.model import Person, Role, Unit
from storage.records import Invite


@dataclass(frozen=True)
class Issued:
    """An invitation just stored: the plain code (only its hash is kept) and its deadline."""

    code: str
    unit: Unit
    role: Role
    expires: datetime


def issue(services: Services, actor: Person, unit_code: str, role: Role) -> Issued:
    """Blocking: a new single-use invitation to ``unit_code`` as ``role``, made by ``actor``.
    ``NotAllowed`` / ``UnknownUnit`` and nothing stored when the rules say no."""
    require_may_invite(actor, role)
    registry = services.store.registry
    unit = registry.get_unit(unit_code)
    if unit is None:
        raise UnknownUnit(unit=unit_code)
    code = secrets.token_urlsafe(CODE_BYTES)
    now = services.clock.now()
    expires = expires_at(now, services.config.workflow.invite_ttl_hours)
    registry.add_invite(
        code, role=role, unit=unit.code, created_by=actor.user_id, now=now, expires_at=expires
    )
    return Issued(code, unit, role, expires)


@dataclass(frozen=True)
class Redeemed:
    """An invitation just used: the invite as stored, the person as now bound, and for a
    confirmed move the person as they were (``left``), who is to hear of it (``told``) and
    whether the unit they left has nobody of their old role any more (``vacant``)."""

    invite: Invite
    person: Person
    left: Person | None = None
    told: tuple[Person, ...] = ()
    vacant: bool = False


def redeem(
    services: Services,
    code: str,
    *,
    user_id: int,
    name: str,
    move_from: tuple[str, Role] | None = None,
) -> Redeemed:
    """Blocking: use invitation ``code`` for ``user_id`` (``Registry.redeem_invite``).
    ``InviteRejected`` (``"move"`` when they are bound elsewhere and ``move_from`` does not
    name that binding) or ``UnknownUnit``, and nothing stored, when it cannot be used."""
    registry = services.store.registry
    invite, person = registry.redeem_invite(
        code, user_id=user_id, name=name, now=services.clock.now(), move_from=move_from
    )
    if invite.moved_from is None:
        return Redeemed(invite, person)
    unit, role = invite.moved_from
    left = Person(user_id, person.name, role, unit=unit, language=person.language)
    remaining = registry.list_people(unit=unit)
    told = told_of_move(left, remaining, roster.inspectors(services))
    vacant = not any(p.role is role for p in remaining if p.user_id != user_id)
    return Redeemed(invite, person, left, told, vacant)


__all__ = ["Issued", "Redeemed", "issue", "redeem"]
