"""Words kept in an item's history, in the reader's language.

An event's ``reason`` is what a person typed, kept as typed. A reason the bot itself writes
(an import's "台账导入更新（file）") is stored as a catalog key with its parameters
(``reason_key``, ``reason_params``) and rendered when the history is read, so an English
reader sees English; the text is stored beside it, so any reader that does not know the key —
and every event stored before keys existed — still shows a readable reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ledger.model import Event

REASON_KEY = "reason_key"
REASON_PARAMS = "reason_params"


def with_reason_key(event: Event, key: str, params: Mapping[str, str]) -> Event:
    """``event`` with its reason also stored as ``key`` + ``params``."""
    return replace(event, data={**event.data, REASON_KEY: key, REASON_PARAMS: dict(params)})


@dataclass(frozen=True)
class StoredReason:
    """An event's reason as stored: ``key``/``params`` when keyed, ``text`` always."""

    text: str
    key: str | None = None
    params: Mapping[str, str] | None = None


def stored_reason(data: Mapping[str, Any]) -> StoredReason | None:
    """The reason in an event's ``data`` (``None`` when there is none); a damaged key or
    parameters fall back to the text."""
    text = data.get("reason")
    text = text.strip() if isinstance(text, str) else ""
    key, params = data.get(REASON_KEY), data.get(REASON_PARAMS)
    if isinstance(key, str) and key and isinstance(params, Mapping):
        clean = {str(k): str(v) for k, v in params.items()}
        return StoredReason(text, key, clean)
    return StoredReason(text) if text else None


__all__ = ["REASON_KEY", "REASON_PARAMS", "StoredReason", "stored_reason", "with_reason_key"]
