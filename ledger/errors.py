"""Typed domain failures. Handlers word them for the user through locales/; nothing here is
user-facing text. Each error carries a catalog ``key`` and the values its message needs."""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every domain failure; ``key`` names the locales/ message."""

    key = "error.generic"

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.key)
        self.params: dict[str, Any] = params


class NotAllowed(LedgerError):
    """The actor's role or unit does not permit the action."""

    key = "error.not_allowed"


class InvalidTransition(LedgerError):
    """The action is not possible from the item's current status."""

    key = "error.invalid_transition"


class UnknownItem(LedgerError):
    """No such item, or one the actor may not see (the two are indistinguishable, R22)."""

    key = "error.unknown_item"


class UnknownUnit(LedgerError):
    """No such unit."""

    key = "error.unknown_unit"


class MissingEvidence(LedgerError):
    """Submit needs at least one piece of evidence."""

    key = "error.missing_evidence"


class MissingRoundEvidence(MissingEvidence):
    """Submit after a reopen (反弹) needs evidence of the new round; ``earlier`` files are the
    previous round's."""

    key = "rounds.missing_evidence"


class MissingReason(LedgerError):
    """Reject, reopen, withdraw and deadline changes need a reason."""

    key = "error.missing_reason"


class AlreadyDone(LedgerError):
    """Someone already did this (e.g. endorsed) — carries who and when."""

    key = "error.already_done"


class InvalidValue(LedgerError):
    """A field value is malformed (bad id, empty text, bad date, naive datetime …)."""

    key = "error.invalid_value"


class InconsistentEvent(LedgerError):
    """An event does not fit the item it is applied to (wrong item, status, order or data).

    Raised by ``ledger.workflow.apply_event``/``replay``: the stored history is damaged or was
    written by something other than the workflow. Never caused by user input.
    """

    key = "error.inconsistent_event"
