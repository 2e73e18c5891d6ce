"""Invitation rules (R23): who may invite whom, what a code looks like, how long it lives.

- Only inspectors invite, and only contacts and leaders of a unit: inspectors come from
  ``[bot] inspectors`` alone, never from an invitation.
- A code is :data:`CODE_BYTES` random bytes, URL-safe base64: 192 bits in 32 characters of
  ``[A-Za-z0-9_-]`` (the deep link's alphabet); anything typed that is not 16–64 of those
  characters is no code at all, and gets the same answer as an unknown one.
- An invitation expires ``ttl_hours`` after it was made and is used once (the registry
  enforces single use and binds the redeemer). An inspector never redeems one.
- Someone already bound to a unit who opens an invitation to another unit, or to another
  role, is *moved* (:func:`would_move`): that needs their 确认 first, and the unit they leave
  is told (:func:`told_of_move`). Until then nothing changes and the invitation stays usable.

Drawing the random code is the caller's (``app.invites``): this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from ledger.errors import NotAllowed
from ledger.model import Person, Role, require_aware

CODE_BYTES = 24  # secrets.token_urlsafe(24): 192 bits, 32 characters
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
INVITABLE: tuple[Role, ...] = (Role.CONTACT, Role.LEADER)


def require_may_invite(actor: Person, role: Role) -> None:
    """``NotAllowed`` unless an inspector invites a contact or a leader."""
    if actor.role is not Role.INSPECTOR or role not in INVITABLE:
        raise NotAllowed(action="invite", role=str(actor.role))


def well_formed(code: str) -> bool:
    """Whether ``code`` could be an invitation code at all (charset and length)."""
    return CODE_RE.fullmatch(code) is not None


def expires_at(now: datetime, ttl_hours: int) -> datetime:
    """When an invitation made at ``now`` stops working."""
    return require_aware(now, "now") + timedelta(hours=ttl_hours)


def may_redeem(person: Person | None) -> bool:
    """Whether someone may use an invitation: anyone but an inspector."""
    return person is None or person.role is not Role.INSPECTOR


def would_move(person: Person | None, role: Role, unit: str | None) -> bool:
    """Whether using an invitation to ``unit`` as ``role`` would take ``person`` away from a
    unit binding they have now (another unit, or another role in the same unit). Someone
    unbound, or already bound exactly so, is not moved."""
    if person is None or person.role is Role.INSPECTOR or person.unit is None:
        return False
    return (person.unit, person.role) != (unit, role)


def told_of_move(
    mover: Person, left_behind: Sequence[Person], inspectors: Sequence[Person]
) -> tuple[Person, ...]:
    """Who hears that ``mover`` (as they were before: their old unit and role) left their unit
    for another by an invitation, each once and never the mover: every inspector (they look
    after who is bound where, and may have to invite a successor), and of the old unit's
    remaining people (``left_behind``) its leaders — or, when it has no other leader, its
    contacts — so the unit learns it has lost its contact or leader."""
    others = [p for p in left_behind if p.user_id != mover.user_id and p.unit == mover.unit]
    leaders = [p for p in others if p.role is Role.LEADER]
    unit_side = leaders or [p for p in others if p.role is Role.CONTACT]
    told: dict[int, Person] = {}
    for p in [*inspectors, *unit_side]:
        if p.user_id != mover.user_id:
            told.setdefault(p.user_id, p)
    return tuple(told.values())


__all__ = [
    "CODE_BYTES",
    "CODE_RE",
    "INVITABLE",
    "expires_at",
    "may_redeem",
    "require_may_invite",
    "told_of_move",
    "well_formed",
    "would_move",
]
