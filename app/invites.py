"""Issuing an invitation (the rules are ``ledger.invites``; the code is drawn here)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from app.services import Services
from ledger.errors import UnknownUnit
from ledger.invites import CODE_BYTES, expires_at, require_may_invite
from ledger.model import Person, Role, Unit


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


__all__ = ["Issued", "issue"]
