"""Registry records that have no domain type in ledger.model: invites and alert-log entries,
with their JSON codec (same conventions as ledger.model.to_dict: ISO instants with offset).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.model import Role, require_aware


def hash_invite_code(code: str) -> str:
    """The SHA-256 hex digest stored in place of an invite code (R23: codes are stored hashed;
    a code has ≥ 128 random bits, so an unsalted hash cannot be reversed by guessing)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Invite:
    """A single-use onboarding invite. The code itself is never stored, only ``code_hash``."""

    code_hash: str
    role: Role
    unit: str | None  # None for inspector invites
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None
    # The binding its redeemer left for it (a move they confirmed): unit code and role.
    moved_from: tuple[str, Role] | None = None

    @property
    def used(self) -> bool:
        return self.used_by is not None

    def expired(self, now: datetime) -> bool:
        """True from ``expires_at`` on (an invite is valid strictly before it)."""
        return require_aware(now, "now") >= self.expires_at


@dataclass(frozen=True)
class AlertRecord:
    """One alert-log entry: a deterministic ``key`` (e.g. ``"HZ-007:overdue:2"``), its delivery
    ``state`` (``pending``/``sending``/``sent``/``uncertain``… — the alerts package owns the
    vocabulary) and any JSON-compatible ``data`` (message ids, times as ISO strings…)."""

    key: str
    state: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertMove:
    """Many alert records moved to one ``state`` in one write (``Registry.move_alerts``):
    each of ``keys`` gets ``data`` — merged over the record's current data (``merge``, what
    a state move keeps: when it was decided, what a notice said…) or in its place. Stored as
    one journal line naming the keys, not one record per key: a wave of 2,400 deliveries
    claimed ``pending → sending`` is one short line."""

    keys: tuple[str, ...] | list[str]
    state: str
    data: Mapping[str, Any] = field(default_factory=dict)
    merge: bool = True


def _instant(value: str | None) -> datetime | None:
    return None if value is None else require_aware(datetime.fromisoformat(value))


def invite_to_dict(invite: Invite) -> dict[str, Any]:
    return {
        "code_hash": invite.code_hash,
        "role": str(invite.role),
        "unit": invite.unit,
        "created_by": invite.created_by,
        "created_at": require_aware(invite.created_at).isoformat(),
        "expires_at": require_aware(invite.expires_at).isoformat(),
        "used_by": invite.used_by,
        "used_at": None if invite.used_at is None else require_aware(invite.used_at).isoformat(),
        **(
            {}
            if invite.moved_from is None
            else {"moved_from": {"unit": invite.moved_from[0], "role": str(invite.moved_from[1])}}
        ),
    }


def invite_from_dict(d: dict[str, Any]) -> Invite:
    created_at = _instant(d["created_at"])
    expires_at = _instant(d["expires_at"])
    if created_at is None or expires_at is None:
        raise ValueError("invite without created_at/expires_at")
    return Invite(
        code_hash=str(d["code_hash"]),
        role=Role(d["role"]),
        unit=d.get("unit"),
        created_by=int(d["created_by"]),
        created_at=created_at,
        expires_at=expires_at,
        used_by=None if d.get("used_by") is None else int(d["used_by"]),
        used_at=_instant(d.get("used_at")),
        moved_from=_moved_from(d.get("moved_from")),
    )


def _moved_from(value: Any) -> tuple[str, Role] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("unit"), str):
        raise ValueError("invite moved_from needs a unit and a role")
    return value["unit"], Role(value["role"])


def alert_to_dict(record: AlertRecord) -> dict[str, Any]:
    return {"key": record.key, "state": record.state, "data": record.data}


def alert_from_dict(d: dict[str, Any]) -> AlertRecord:
    key, state, data = d["key"], d["state"], d.get("data", {})
    if not isinstance(key, str) or not isinstance(state, str) or not isinstance(data, dict):
        raise ValueError("alert record needs string key and state and an object data")
    # A deep copy: the caller may mutate ``data``; the stored document must not change with it.
    return AlertRecord(key=key, state=state, data=copy_json(data))


def alert_group_from_dict(d: dict[str, Any]) -> list[AlertRecord]:
    """A group row of the alert snapshot (alerts schema 2: the records of one message, one
    state and one data for all its keys) -> its records (sharing the data)."""
    keys, state, data = d["keys"], d["state"], d.get("data", {})
    if (
        not isinstance(keys, list)
        or not keys
        or not all(isinstance(k, str) and k for k in keys)
        or not isinstance(state, str)
        or not isinstance(data, dict)
    ):
        raise ValueError("an alert group needs string keys, a string state and an object data")
    return [AlertRecord(key=k, state=state, data=data) for k in keys]


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars) — several times cheaper than
    ``copy.deepcopy``, which a sweep ran on every one of ~100,000 alert records (and of
    150,000 events for "status since")."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value
