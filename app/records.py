"""The use-cases' vocabulary of stored records and the stores that hold them: the
``storage.records`` and ``storage.repo`` types a handler or an alert job names in its
signatures, re-exported so callers above ``app`` never import ``storage``
(docs/ARCHITECTURE.md §2).

- :class:`Invite` — an invitation as stored; :class:`AlertRecord` — one alert's delivery state;
  :class:`AlertMove` — many alerts' records moved to one state in one write.
- :class:`Store` — a data directory; :class:`Registry` — its units, people, invites and alert
  records; :class:`Ledger` — one unit's items and their events.
"""

from __future__ import annotations

from storage.records import AlertMove, AlertRecord, Invite
from storage.repo import Ledger, Registry, Store

__all__ = ["AlertMove", "AlertRecord", "Invite", "Ledger", "Registry", "Store"]
