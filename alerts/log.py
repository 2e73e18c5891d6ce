"""The alert log: one record per delivery key (``<key>@<user_id>``, ``ledger.alerts``) and the
state machine that makes every alert go out once in the record (R7, R9, R10).

States and moves (every move is one durable write of ``alerts.json`` for a whole batch)::

    (decided) ──record──▶ pending ──claim──▶ sending ──finish──▶ sent | uncertain
                                                                 | unreachable | failed
                             ▲                  │                | pending (not sent)
                             └──────────────────┘
    pending ──(no longer decided)──▶ superseded ──(decided again)──▶ pending
    sending ──(found at start-up: the process died mid-send)──▶ uncertain

- ``pending``: decided and recorded *before* any API call; a later sweep that still decides it
  sends it, one that no longer does marks it ``superseded``.
- ``sending``: claimed right before the API call (compare-and-set from ``pending``). Whatever
  is ``sending`` when no sweep is running was interrupted between the call and its record.
- ``sent``: delivered; ``data`` has ``message_id`` and ``at`` (when).
- ``uncertain``: the call may or may not have reached Telegram (a crash while ``sending``, a
  ``TimedOut``, a connection lost after the request went out). Never resent; inspectors get
  one notice listing it (``data["notice"]`` names that notice once it is recorded).
- ``unreachable``: Telegram refused the recipient (``Forbidden``, chat not found); the person
  is marked unreachable in the registry and inspectors are told once.
- ``failed``: Telegram refused the message itself (a ``BadRequest`` other than an unknown
  chat): retrying the same text would fail again; it is logged as an error.
- ``superseded``: recorded but never sent, and no longer due (a newer step, the item moved).

What counts as done for ``decide_alerts`` (:data:`DONE`): ``sent``, ``sending``,
``uncertain``, ``unreachable`` and ``failed``. An ``uncertain`` alert in particular must never
be decided again, or a message Telegram did deliver would be delivered twice; the notice lets
a person follow up instead. ``unreachable`` counts as done so a blocked chat is not retried in
a loop (the person is skipped by the policy anyway until they are reachable again, and then
gets the next step). ``pending`` and ``superseded`` never reached Telegram, so they are not
done: deciding them again is how a pending alert is sent by the next sweep.

Records stay small — a province's first sweep records ~90,000 of them, and every alert-log
write rewrites them all (``data/alerts.json``, apart from the registry so that onboarding and
de-duplication writes stay small): kind, item and recipient are read back from the key
(:func:`describe`), and ``data`` holds only ``at`` (the time of the last move) and what the
state adds (``message_id``; ``reason``/``error``; ``notice``).

Retention (R33; README "The alert log"): what exactly-once needs is the record of every
delivery the policy could still decide. ``ledger.alerts`` decides only the *current* step of
each family ``<item>:<kind>:<anchor>@<user>`` and steps move one way as time passes, so a
record of an earlier step, once a later step of its family has been recorded, can never be
decided again. :meth:`AlertLog.prune` (once a day, at the start of a sweep) drops, in a
final state (``sent``, ``unreachable``, ``failed``, ``superseded``, and ``uncertain`` once
its notice is recorded):

- an earlier step of a family with a later step recorded, :data:`STEP_DAYS` after it;
- digests and notices, :data:`NOTICE_DAYS` after them (a digest is only decided for its own
  period, a notice only once);
- any other record :data:`FAMILY_DAYS` after it (the newest step of a family: an escalation
  of an item still overdue after more than a year may then be sent once more).

``pending``, ``sending`` and ``uncertain`` records not yet reported are always kept. After
a simulated year at 300 units × 100 items (``bench/alertlog.py``) the log holds the last
weeks' records plus the newest step of each family.

Only the alerts package writes the alert log. Multi-key compare-and-set (``claim``,
``finish``) reads and writes under one process-wide lock; the alert log's own storage lock
makes each write atomic, and the data-directory lock (R5) keeps other processes out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.records import AlertMove, AlertRecord, Registry


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNCERTAIN = "uncertain"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    SUPERSEDED = "superseded"


DONE = frozenset({State.SENT, State.SENDING, State.UNCERTAIN, State.UNREACHABLE, State.FAILED})
AFTER_SEND = frozenset(
    {State.SENT, State.UNCERTAIN, State.UNREACHABLE, State.FAILED, State.PENDING}
)
NOTICE_PREFIX = "notice:"
STEP_DAYS = 35
NOTICE_DAYS = 90
FAMILY_DAYS = 400
_FINAL = frozenset(
    {State.SENT, State.UNREACHABLE, State.FAILED, State.SUPERSEDED, State.UNCERTAIN}
)

_WRITE_LOCK = threading.Lock()


def split_delivery_key(delivery_key: str) -> tuple[str, int]:
    """``"HZ-007:overdue:2026-05-01:0@1001"`` → ``("HZ-007:overdue:2026-05-01:0", 1001)``."""
    key, _, user = delivery_key.rpartition("@")
    return key, int(user)


def is_notice(delivery_key: str) -> bool:
    return delivery_key.startswith(NOTICE_PREFIX)


def describe(delivery_key: str) -> tuple[str, str | None, int]:
    """``(kind, item id or None, recipient)`` read back from a delivery key, so records need
    not repeat them: ``HZ-007:overdue:2026-05-01:0@11`` → ``("overdue", "HZ-007", 11)``;
    digests → ``("digest_daily" | "digest_weekly", None, …)``; notices → ``("notice", …)``."""
    key, user_id = split_delivery_key(delivery_key)
    parts = key.split(":")
    if parts[0] == "digest" and len(parts) > 1:
        return f"digest_{parts[1]}", None, user_id
    if parts[0] == "notice" or len(parts) < 2:
        return "notice", None, user_id
    return parts[1], parts[0], user_id


def iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


def _recorded_at(record: AlertRecord) -> datetime | None:
    at = record.data.get("at")
    if not isinstance(at, str):
        return None
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def expired(records: Iterable[AlertRecord], now: datetime) -> list[str]:
    """The delivery keys the retention drops at ``now`` (see the module docstring)."""
    newest: dict[str, datetime] = {}  # family -> when its latest record was written
    dated: list[tuple[AlertRecord, datetime, str | None]] = []
    for record in records:
        at = _recorded_at(record)
        if at is None or record.state not in _FINAL:
            continue
        if record.state == State.UNCERTAIN and "notice" not in record.data:
            continue  # inspectors not told yet
        key, user = split_delivery_key(record.key) if "@" in record.key else (record.key, 0)
        parts = key.split(":")
        family = None
        if len(parts) == 4 and not is_notice(record.key) and parts[0] != "digest":
            family = f"{parts[0]}:{parts[1]}:{parts[2]}@{user}"
            if at > newest.get(family, at - timedelta(seconds=1)):
                newest[family] = at
        dated.append((record, at, family))
    drop: list[str] = []
    for record, at, family in dated:
        age = now - at
        if family is None:
            if age > timedelta(days=NOTICE_DAYS):
                drop.append(record.key)
        elif age > timedelta(days=FAMILY_DAYS) or (
            age > timedelta(days=STEP_DAYS) and newest[family] > at
        ):
            drop.append(record.key)
    return drop


class _Lazy:
    """A set computed on the first ``in``."""

    def __init__(self, compute: Callable[[], set[str]]) -> None:
        self._compute = compute
        self._value: set[str] | None = None

    def __contains__(self, key: object) -> bool:
        if self._value is None:
            self._value = self._compute()
        return key in self._value


PRUNED_META = "alerts.pruned_on"  # the calendar day the retention last ran (AlertLog.prune)


class Done:
    """``key in done``: whether the alert log holds ``key`` in a :data:`DONE` state now."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._registry.alert_state(key) in DONE


class AlertLog:
    """Reads and state moves over ``registry``'s alert table (see the module docstring).

    Blocking: call from a worker thread (``await store.run(log.claim, …)``).
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._pruned_on: date | None = None

    def prune(self, now: datetime) -> int:
        """Apply the retention (module docstring) once per calendar day of ``now``; returns
        how many records were dropped. The log is compacted when any was.

        The day is remembered in the registry (:data:`PRUNED_META`), not only in memory: a
        bot restarted the same day does not read all 300,000 records again (at 100k items
        that pass was the peak of a restart's memory, ~110 MB for a second)."""
        today = now.date()
        if self._pruned_on == today:
            return 0
        if self.registry.get_meta(PRUNED_META) == today.isoformat():
            self._pruned_on = today
            return 0
        with _WRITE_LOCK:
            dropped = self.registry.drop_alerts(expired(self.registry.list_alerts(), now))
        self.registry.set_meta(PRUNED_META, today.isoformat())
        self._pruned_on = today
        return dropped

    def snapshot(self) -> dict[str, AlertRecord]:
        """Every record by delivery key."""
        return {r.key: r for r in self.registry.list_alerts()}

    @staticmethod
    def done_keys(records: Mapping[str, AlertRecord]) -> frozenset[str]:
        """The delivery keys ``decide_alerts`` must treat as sent (:data:`DONE`)."""
        return frozenset(k for k, r in records.items() if r.state in DONE)

    def done(self) -> Done:
        """What ``decide_alerts`` must treat as sent, read from the log on each ``in``
        (nothing is copied: a sweep asks about its candidates, not about 300,000 records)."""
        return Done(self.registry)

    def keys_in(self, state: State) -> list[str]:
        """The keys of the records in ``state``, from the log's state index."""
        return self.registry.alert_keys(state)

    def notices_recorded(self) -> Container[str]:
        """The notices recorded for anyone, in any state (``notice:…`` without ``@<user>``);
        the keys are only scanned when first asked about."""
        return _Lazy(
            lambda: {
                k.rpartition("@")[0] for k in self.registry.alert_keys_starting(NOTICE_PREFIX)
            }
        )

    def records_in(self, state: State) -> list[AlertRecord]:
        """The records in ``state`` (shared, read-only), from the log's state index."""
        return self.registry.list_alerts(state)

    def write(self, records: Iterable[AlertRecord]) -> None:
        """Store records as given, in one write (recording ``pending``, ``superseded`` …)."""
        batch = list(records)
        if batch:
            with _WRITE_LOCK:
                self.registry.put_alerts(batch)

    def move(self, moves: Iterable[AlertMove]) -> None:
        """Move many records in one write (``AlertMove``: the keys, the state, the data
        merged over each record's or in its place) — a sweep's thousands of keys cost one
        short journal line, not a record each."""
        batch = [m for m in moves if m.keys]
        if batch:
            with _WRITE_LOCK:
                self.registry.move_alerts(batch)

    def claim(self, keys: Iterable[str]) -> set[str]:
        """``pending → sending`` for each of ``keys`` that is ``pending`` now, in one write;
        returns the keys claimed (the others were moved by someone else: not ours to send)."""
        return self.settle({}, keys)

    def finish(self, outcomes: Mapping[str, tuple[State, Mapping[str, Any]]]) -> int:
        """``sending → <state>`` with extra ``data`` for each key still ``sending``, in one
        write; returns how many moved. ``<state>`` must be one of :data:`AFTER_SEND` (``pending``:
        the request certainly did not reach Telegram; the next sweep may send it)."""
        with _WRITE_LOCK:
            moves = self._finished(outcomes)
            if moves:
                self.registry.move_alerts(moves)
            return sum(len(m.keys) for m in moves)

    def settle(
        self, outcomes: Mapping[str, tuple[State, Mapping[str, Any]]], claim: Iterable[str]
    ) -> set[str]:
        """:meth:`finish` one wave's ``outcomes`` and :meth:`claim` the next wave's keys in
        the same write (each record still moves ``pending → sending`` before its API call and
        ``sending → …`` after it; the two moves just share a file write). Returns the keys
        claimed."""
        with _WRITE_LOCK:
            moves = self._finished(outcomes)
            asked = list(dict.fromkeys(claim))
            states = self.registry.alert_states_of(asked)
            claimed = [k for k, s in zip(asked, states, strict=True) if s == State.PENDING]
            if claimed:
                moves.append(AlertMove(claimed, State.SENDING))  # data kept as it is
            if moves:
                self.registry.move_alerts(moves)
            return set(claimed)

    def _finished(
        self, outcomes: Mapping[str, tuple[State, Mapping[str, Any]]]
    ) -> list[AlertMove]:
        """One move per (state, extra data) among the keys still ``sending``: a message's
        keys share their outcome's data, so a wave of 16 messages is 16 moves."""
        groups: dict[tuple[State, int], tuple[list[str], Mapping[str, Any]]] = {}
        now = self.registry.alert_states_of(outcomes)
        for (key, (state, extra)), current in zip(outcomes.items(), now, strict=True):
            if state not in AFTER_SEND:
                raise ValueError(f"{state} cannot follow sending")
            if current != State.SENDING:
                continue
            groups.setdefault((state, id(extra)), ([], extra))[0].append(key)
        return [
            AlertMove(keys, state, dict(extra)) for (state, _), (keys, extra) in groups.items()
        ]

    def recover(self, now: datetime) -> list[AlertRecord]:
        """At start-up (and at the start of every sweep, when no send is in flight): every
        ``sending`` record becomes ``uncertain`` with ``reason = "interrupted"``. Returns the
        records as stored."""
        with _WRITE_LOCK:
            keys = self.registry.alert_keys(State.SENDING)
            if not keys:
                return []
            extra = {"at": iso(now), "reason": "interrupted"}
            self.registry.move_alerts([AlertMove(keys, State.UNCERTAIN, extra)])
            moved = (self.registry.peek_alert(k) for k in keys)
            return [r for r in moved if r is not None]


__all__ = [
    "AFTER_SEND",
    "DONE",
    "Done",
    "NOTICE_PREFIX",
    "AlertLog",
    "State",
    "is_notice",
    "describe",
    "expired",
    "iso",
    "split_delivery_key",
]
