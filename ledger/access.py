"""Who may see which item and who may do what to it (DESIGN §3, §5; R22).

Inspectors see every item. Contacts and leaders see only their own unit's items; for them any
other unit's item is reported exactly like a missing one (``UnknownItem`` with the same
``item_id`` parameter), so nothing reveals that it exists.

:data:`PERMISSIONS` is the single table of which role may take which action from which status;
``ledger.workflow`` enforces it through :func:`authorize` and card buttons come from
:func:`allowed_actions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ledger.errors import AlreadyDone, InvalidTransition, NotAllowed, UnknownItem
from ledger.model import Item, Person, Role, Status
from ledger.rules import Rules


class Action(StrEnum):
    """Every kind of event. The value is what ``Event.action`` holds."""

    CREATE = "create"  # inspector (chat) or import
    PROGRESS = "progress"  # 整改进展
    ADD_EVIDENCE = "add_evidence"  # 佐证材料
    SUBMIT = "submit"  # 申请销号
    ENDORSE = "endorse"  # 签字背书
    APPROVE = "approve"  # 核验通过, 销号
    REJECT = "reject"  # 退回补充
    REOPEN = "reopen"  # 重新打开 (回头看发现反弹)
    SET_DEADLINE = "set_deadline"  # 调整时限
    URGE = "urge"  # 催办
    WITHDRAW = "withdraw"  # 撤销
    EDIT = "edit"  # 修改台账内容 (问题描述、整改措施、责任人 …), e.g. by a re-imported ledger
    REQUEST_EXTENSION = "request_extension"  # 申请延期 (a contact or leader asks for time)
    GRANT_EXTENSION = "grant_extension"  # 同意延期 (inspector: the deadline asked for)
    REFUSE_EXTENSION = "refuse_extension"  # 不同意延期 (inspector: the deadline stays)


_ACTIVE = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED})
_UNIT_ROLES = (Role.CONTACT, Role.LEADER)


def _for(roles: tuple[Role, ...], statuses: frozenset[Status]) -> dict[Role, frozenset[Status]]:
    return dict.fromkeys(roles, statuses)


# action -> role -> statuses the action may be taken from. CREATE is not item-bound and is
# checked by ledger.workflow.create_item (inspectors only, or the import path).
PERMISSIONS: Mapping[Action, Mapping[Role, frozenset[Status]]] = {
    Action.PROGRESS: _for(
        _UNIT_ROLES,
        frozenset({Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.MONITORING}),
    ),
    Action.ADD_EVIDENCE: _for(
        (Role.CONTACT, Role.LEADER, Role.INSPECTOR), _ACTIVE | {Status.MONITORING}
    ),
    Action.SUBMIT: _for(_UNIT_ROLES, frozenset({Status.IN_PROGRESS})),
    Action.ENDORSE: {Role.LEADER: frozenset({Status.SUBMITTED})},
    Action.APPROVE: {Role.INSPECTOR: frozenset({Status.ENDORSED})},
    Action.REJECT: {
        Role.LEADER: frozenset({Status.SUBMITTED}),
        Role.INSPECTOR: frozenset({Status.SUBMITTED, Status.ENDORSED}),
    },
    Action.REOPEN: {Role.INSPECTOR: frozenset({Status.CLOSED, Status.MONITORING})},
    Action.SET_DEADLINE: {Role.INSPECTOR: _ACTIVE},
    Action.URGE: {Role.INSPECTOR: _ACTIVE | {Status.MONITORING}},
    Action.WITHDRAW: {Role.INSPECTOR: _ACTIVE},
    Action.EDIT: {Role.INSPECTOR: _ACTIVE | {Status.MONITORING}},
    Action.REQUEST_EXTENSION: _for(_UNIT_ROLES, _ACTIVE),
    Action.GRANT_EXTENSION: {Role.INSPECTOR: _ACTIVE},
    Action.REFUSE_EXTENSION: {Role.INSPECTOR: _ACTIVE},
}
# Actions that decide a pending 申请延期: refused as already done when none is pending.
_DECIDING = frozenset({Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION})

# Statuses in which repeating the action means "someone already did it" (AlreadyDone), rather
# than "not possible from here" (InvalidTransition).
_DONE_IN: Mapping[Action, frozenset[Status]] = {
    Action.SUBMIT: frozenset({Status.SUBMITTED, Status.ENDORSED}),
    Action.ENDORSE: frozenset({Status.ENDORSED}),
    Action.APPROVE: frozenset({Status.CLOSED, Status.MONITORING}),
    Action.WITHDRAW: frozenset({Status.WITHDRAWN}),
}


def visible(item: Item, person: Person) -> bool:
    """Inspectors see everything; contacts and leaders see their own unit's items only."""
    return person.role is Role.INSPECTOR or person.unit == item.unit


def require_visible(item: Item | None, person: Person, item_id: str | None = None) -> Item:
    """Return ``item`` if ``person`` may see it, else raise ``UnknownItem(item_id=…)``.

    Pass the id the person asked for as ``item_id`` and the lookup result (possibly ``None``)
    as ``item``: a missing item and another unit's item then raise identical errors (R22).
    """
    if item is None or not visible(item, person):
        raise UnknownItem(item_id=item_id if item_id is not None else getattr(item, "id", None))
    return item


def authorize(item: Item, actor: Person, action: Action | str, rules: Rules) -> None:
    """Raise unless ``actor`` may take ``action`` on ``item`` in its current status.

    Checks, in order: visibility (``UnknownItem(item_id)``), the role
    (``NotAllowed(action, role)``), repetition (``AlreadyDone(action, status, by, at)``; ``by``
    and ``at`` are the endorser/approver when the item records them, else ``None``), then the
    status (``NotAllowed(action, role, status)`` if another role could act from this status —
    e.g. a leader rejecting an item already with the inspectors — else
    ``InvalidTransition(action, status)``). Inputs (texts, reasons, evidence) are checked by
    ``ledger.workflow``, not here. ``rules`` is accepted so deployment switches can narrow
    permissions in one place; none does today.
    """
    del rules  # no permission depends on a deployment switch yet
    act = Action(action)
    require_visible(item, actor, item.id)
    table = PERMISSIONS.get(act)
    if table is None or actor.role not in table:
        raise NotAllowed(action=str(act), role=str(actor.role))
    if item.status in _DONE_IN.get(act, frozenset()):
        by, at = None, None
        if act is Action.ENDORSE and item.endorsement is not None:
            by, at = item.endorsement.by, item.endorsement.at
        elif act is Action.APPROVE and item.verification is not None:
            by, at = item.verification.by, item.verification.at
        raise AlreadyDone(action=str(act), status=str(item.status), by=by, at=at)
    if act in _DECIDING and item.status in table[actor.role] and item.extension is None:
        # no request pending: decided already (a second tap), or the deadline was changed
        raise AlreadyDone(action=str(act), status=str(item.status), by=None, at=None)
    if item.status in table[actor.role]:
        return
    if any(item.status in statuses for statuses in table.values()):
        raise NotAllowed(action=str(act), role=str(actor.role), status=str(item.status))
    raise InvalidTransition(action=str(act), status=str(item.status))


def may(item: Item, actor: Person, action: Action | str, rules: Rules) -> bool:
    """:func:`authorize` as a predicate."""
    try:
        authorize(item, actor, action, rules)
    except (UnknownItem, NotAllowed, AlreadyDone, InvalidTransition):
        return False
    return True


def allowed_actions(item: Item, person: Person, rules: Rules) -> set[Action]:
    """The actions ``person`` may take on ``item`` now, by role, unit and status (for card
    buttons). Empty for an item the person may not see. Input checks still apply when the
    action is taken: ``submit`` is listed without evidence and then raises ``MissingEvidence``.
    """
    return {action for action in PERMISSIONS if may(item, person, action, rules)}


__all__ = [
    "PERMISSIONS",
    "Action",
    "allowed_actions",
    "authorize",
    "may",
    "require_visible",
    "visible",
]
