"""The rectification workflow (DESIGN §3): every change to an item as a decided ``Event``.

Shape:

- :func:`decide` validates an action (who, from which status, with which inputs) and returns
  the ``Event`` describing it, or raises a typed ``ledger.errors`` failure; it changes nothing.
- :func:`apply_event` performs an event on an item; it trusts the event's permissions (they
  were checked when it was decided, under the rules of that day) but refuses an event that does
  not fit the item (``InconsistentEvent``).
- :func:`act` is ``decide`` + ``apply_event``; :func:`create_item` makes a new item and its
  ``create`` event; :func:`replay` rebuilds an item from its history, exactly.

Status edges (:data:`EDGES`, ``before → after``)::

    create        None → open
    progress      open → in_progress                    (contact/leader; note added)
    submit        in_progress → submitted               (contact/leader; needs evidence)
                  in_progress → endorsed                (same, when endorsement is switched off)
    endorse       submitted → endorsed                  (leader of the unit)
    approve       endorsed → closed | monitoring        (inspector; monitoring if long_term)
    reject        submitted → in_progress               (leader or inspector; reason)
                  endorsed → in_progress                (inspector; reason)
    reopen        closed | monitoring → in_progress     (inspector; reason)
    withdraw      open | in_progress | submitted | endorsed → withdrawn   (inspector; reason)

Actions that keep the status (``before == after``) but still write an event: ``progress`` on
in_progress / submitted / monitoring, ``add_evidence`` (not on closed/withdrawn),
``set_deadline`` and ``urge`` (inspector), ``edit`` (inspector; the 台账 text fields of an
active or monitoring item, e.g. from a re-imported ledger). Who may act from which status is
``ledger.access.PERMISSIONS``.

:func:`import_progress` records the 完成情况 of an imported row as the first progress note of
the item just created from it (a ``progress`` event by the importer, open → in_progress).

``Event.data`` is JSON-compatible (dates as ISO strings) so an event survives storage's
``to_dict``/``event_from_dict`` unchanged; its contents per action are listed at
:func:`decide`. ``Event.seq`` is the event's 1-based position in the item's history: the caller
(storage) knows the history length and passes ``seq=len(history) + 1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from ledger.access import PERMISSIONS, Action, authorize, require_visible
from ledger.calendar import require_date
from ledger.errors import (
    AlreadyDone,
    InconsistentEvent,
    InvalidTransition,
    InvalidValue,
    LedgerError,
    MissingEvidence,
    MissingReason,
    MissingRoundEvidence,
    NotAllowed,
)
from ledger.model import (
    Endorsement,
    Event,
    Evidence,
    ExtensionRequest,
    Item,
    Measure,
    Person,
    ProgressNote,
    Role,
    Status,
    Verification,
    make_item_id,
    measure_from_dict,
    require_aware,
    valid_unit_code,
)
from ledger.rules import Rules

SYSTEM_ACTOR_ID = 0  # ``Event.by`` of items created by the shell import (no Telegram user)
MAX_TEXT_LEN = 2000  # progress notes, reasons, notes; longer input raises InvalidValue
MAX_FIELD_LEN = 4000  # item fields (problem, measures …)
EDITABLE_FIELDS = ("category", "problem", "measures", "leader", "department", "owner", "note")
MEASURE_LIST = "measure_list"  # edited by a 台账 re-import only: a list of measure dicts
MAX_MEASURES = 50  # measures of one problem
"""The 台账 text fields an ``edit`` event may change (the deadline has ``set_deadline``)."""

_S = Status
EDGES: frozenset[tuple[Action, Status | None, Status]] = frozenset(
    {
        (Action.CREATE, None, _S.OPEN),
        (Action.PROGRESS, _S.OPEN, _S.IN_PROGRESS),
        (Action.SUBMIT, _S.IN_PROGRESS, _S.SUBMITTED),
        (Action.SUBMIT, _S.IN_PROGRESS, _S.ENDORSED),
        (Action.ENDORSE, _S.SUBMITTED, _S.ENDORSED),
        (Action.APPROVE, _S.ENDORSED, _S.CLOSED),
        (Action.APPROVE, _S.ENDORSED, _S.MONITORING),
        (Action.REJECT, _S.SUBMITTED, _S.IN_PROGRESS),
        (Action.REJECT, _S.ENDORSED, _S.IN_PROGRESS),
        (Action.REOPEN, _S.CLOSED, _S.IN_PROGRESS),
        (Action.REOPEN, _S.MONITORING, _S.IN_PROGRESS),
        *((Action.WITHDRAW, s, _S.WITHDRAWN) for s in _S if s.is_active),
        # status-keeping actions: from every status PERMISSIONS lets anyone take them
        *(
            (action, s, s)
            for action in (
                Action.PROGRESS,
                Action.ADD_EVIDENCE,
                Action.SET_DEADLINE,
                Action.URGE,
                Action.EDIT,
                Action.REQUEST_EXTENSION,
                Action.GRANT_EXTENSION,
                Action.REFUSE_EXTENSION,
            )
            for statuses in PERMISSIONS[action].values()
            for s in statuses
            if not (action is Action.PROGRESS and s is _S.OPEN)
        ),
    }
)
"""Every ``(action, before, after)`` an event may carry."""


@dataclass(frozen=True)
class NewEvidence:
    """A file offered as evidence (佐证材料); ``at``/``by`` come from the event.

    ``sha256`` may be ``""`` when the file is not downloaded yet; a non-empty ``sha256`` (or, if
    that is empty, ``file_unique_id``) equal to an attached file's raises ``AlreadyDone``.
    """

    file_id: str
    name: str
    size: int
    sha256: str = ""
    file_unique_id: str = ""
    stored_path: str = ""


# --------------------------------------------------------------------------- input checks


def _text(value: object, field: str, *, required: bool, limit: int = MAX_TEXT_LEN) -> str:
    """Stripped text; empty → ``InvalidValue(field, problem="empty")`` when required."""
    if not isinstance(value, str):
        raise InvalidValue(f"{field} must be text", field=field, problem="type")
    text = value.strip()
    if required and not text:
        raise InvalidValue(f"{field} is empty", field=field, problem="empty")
    if len(text) > limit:
        raise InvalidValue(f"{field} too long", field=field, problem="too_long", max=limit)
    if "\x00" in text:
        raise InvalidValue(f"{field} holds NUL", field=field, problem="bad_char")
    return text


def _reason(value: object, action: Action) -> str:
    """A required reason; blank → ``MissingReason(action)``."""
    if isinstance(value, str) and not value.strip():
        raise MissingReason(action=str(action))
    return _text(value, "reason", required=True)


def _deadline(deadline: object, long_term: object) -> tuple[date | None, bool]:
    """Exactly one of a deadline date or ``long_term=True``."""
    if not isinstance(long_term, bool):
        raise InvalidValue("long_term must be a bool", field="long_term", problem="type")
    if long_term:
        if deadline is not None:
            raise InvalidValue("long_term item with a deadline", field="deadline", problem="both")
        return None, True
    if deadline is None:
        raise InvalidValue("deadline missing", field="deadline", problem="missing")
    return require_date(deadline, "deadline"), False


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _undate(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(value)


def _check_seq(seq: object) -> int:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidValue("seq must be an int >= 1", field="seq", value=seq)
    return seq


# --------------------------------------------------------------------------- decide


def decide(
    item: Item,
    actor: Person,
    action: Action | str,
    *,
    now: datetime,
    rules: Rules,
    seq: int,
    text: str = "",
    reason: str = "",
    deadline: date | None = None,
    long_term: bool = False,
    evidence: NewEvidence | None = None,
    changes: Mapping[str, object] | None = None,
) -> Event:
    """Validate ``actor`` taking ``action`` on ``item`` at ``now``; return the event.

    Raises, in this order: ``InvalidValue`` for a naive ``now`` or a bad ``seq``;
    ``UnknownItem(item_id)`` if ``actor`` may not see the item (whatever the action, R22);
    ``InvalidValue(field="action")`` for an unknown action or ``create``; what
    ``ledger.access.authorize`` raises (``NotAllowed``, ``AlreadyDone``,
    ``InvalidTransition``); then the input checks below.
    Parameters that an action does not use are ignored.

    Per action (inputs → ``Event.data``):

    - ``progress``: ``text`` required (``InvalidValue(field="text", problem="empty")``) →
      ``{"text"}``. From ``open`` it moves the item to ``in_progress``.
    - ``add_evidence``: ``evidence`` required (``InvalidValue(field="evidence")``; empty
      ``file_id`` or negative ``size`` → ``InvalidValue``) → the ``NewEvidence`` fields.
      A file already attached (same sha256, else same file_unique_id) →
      ``AlreadyDone(action, by, at)`` of the earlier upload.
    - ``submit``: no inputs; ``MissingEvidence(item_id)`` without any evidence → ``{}``;
      ``after`` is ``endorsed`` when ``rules.endorsement_required`` is false.
    - ``endorse``: → ``{}``.
    - ``approve``: ``text`` optional note → ``{"note"}``; ``after`` is ``monitoring`` for a
      ``long_term`` item, else ``closed``.
    - ``reject``: ``reason`` required (``MissingReason(action)``) → ``{"reason", "role"}``.
    - ``reopen`` (反弹): ``reason`` required; ``deadline`` (a date) optional: the new 整改时限
      of a dated item → ``{"reason"}`` plus ``{"old", "new"}`` (ISO) when a deadline is given
      (``app.actions`` offers :func:`reopen_deadline` by default). The evidence sent so far
      becomes the previous round's (``Item.evidence_from``).
    - ``set_deadline``: ``deadline`` (a date) xor ``long_term=True``, and ``reason`` →
      ``{"old", "new", "old_long_term", "new_long_term", "reason"}`` (dates ISO or null). An
      unchanged deadline raises ``InvalidValue(field="deadline", problem="unchanged")``.
    - ``urge``: ``text`` optional → ``{"text"}``.
    - ``withdraw``: ``reason`` required → ``{"reason"}``.
    - ``request_extension`` (申请延期): ``deadline`` xor ``long_term`` and ``reason``, as
      ``set_deadline`` → the same data; the item keeps it as its pending ``extension`` (a new
      request replaces an older one).
    - ``grant_extension``: the pending request's deadline becomes the item's →
      ``{"old", "new", "old_long_term", "new_long_term", "reason", "request"}`` (the request's
      reason and event seq); ``refuse_extension``: ``reason`` optional →
      ``{"reason", "request"}``. Without a pending request both raise ``AlreadyDone``.
    - ``edit``: ``changes`` maps fields of :data:`EDITABLE_FIELDS` to their new text →
      ``{field: {"old", "new"}}`` for each field whose stripped text differs (the others are
      dropped). A field outside that list → ``InvalidValue(field, problem="unknown")``; an
      empty ``problem``/``category`` → ``problem="empty"``; a ``category`` not in
      ``rules.categories`` → ``problem="unknown"``; texts over :data:`MAX_FIELD_LEN` →
      ``problem="too_long"``; no change at all (or ``changes`` missing) →
      ``InvalidValue(field="changes", problem="unchanged" | "missing")``.

    Texts are stripped; over :data:`MAX_TEXT_LEN` characters → ``InvalidValue(problem=
    "too_long", max)``.
    """
    require_aware(now, "now")
    seq = _check_seq(seq)
    require_visible(item, actor, item.id)  # R22: before anything else can tell items apart
    try:
        act_ = Action(action)
    except ValueError as exc:
        raise InvalidValue("unknown action", field="action", value=str(action)) from exc
    if act_ is Action.CREATE:
        raise InvalidValue("use create_item", field="action", value=str(act_))
    authorize(item, actor, act_, rules)

    after = item.status
    data: dict[str, Any] = {}
    if act_ is Action.PROGRESS:
        data["text"] = _text(text, "text", required=True)
        if item.status is _S.OPEN:
            after = _S.IN_PROGRESS
    elif act_ is Action.ADD_EVIDENCE:
        data = _evidence_data(item, evidence)
    elif act_ is Action.SUBMIT:
        if item.evidence_from and not item.round_evidence:  # reopened: this round's
            raise MissingRoundEvidence(item_id=item.id, earlier=item.evidence_from)
        if not item.evidence:
            raise MissingEvidence(item_id=item.id)
        after = _S.SUBMITTED if rules.endorsement_required else _S.ENDORSED
    elif act_ is Action.ENDORSE:
        after = _S.ENDORSED
    elif act_ is Action.APPROVE:
        data["note"] = _text(text, "text", required=False)
        after = _S.MONITORING if item.long_term else _S.CLOSED
    elif act_ is Action.REJECT:
        data["reason"] = _reason(reason, act_)
        data["role"] = str(actor.role)
        after = _S.IN_PROGRESS
    elif act_ is Action.REOPEN:
        data["reason"] = _reason(reason, act_)
        if deadline is not None and not item.long_term:
            new, _ = _deadline(deadline, False)
            data["old"], data["new"] = _iso(item.deadline), _iso(new)
        after = _S.IN_PROGRESS
    elif act_ in (Action.SET_DEADLINE, Action.REQUEST_EXTENSION):  # the same inputs
        new, new_long_term = _deadline(deadline, long_term)
        if (new, new_long_term) == (item.deadline, item.long_term):
            raise InvalidValue(
                "deadline unchanged", field="deadline", problem="unchanged", value=_iso(new)
            )
        data = {
            "old": _iso(item.deadline),
            "new": _iso(new),
            "old_long_term": item.long_term,
            "new_long_term": new_long_term,
            "reason": _reason(reason, act_),
        }
    elif act_ is Action.GRANT_EXTENSION:
        asked = item.extension
        assert asked is not None  # authorize refuses a decision without a request
        data = {
            "old": _iso(item.deadline),
            "new": _iso(asked.deadline),
            "old_long_term": item.long_term,
            "new_long_term": asked.long_term,
            "reason": asked.reason,
            "request": asked.seq,
        }
    elif act_ is Action.REFUSE_EXTENSION:
        asked = item.extension
        assert asked is not None
        data = {"reason": _text(reason, "reason", required=False), "request": asked.seq}
    elif act_ is Action.URGE:
        data["text"] = _text(text, "text", required=False)
    elif act_ is Action.WITHDRAW:
        data["reason"] = _reason(reason, act_)
        after = _S.WITHDRAWN
    elif act_ is Action.EDIT:
        data = _edit_data(item, changes, rules)
    return Event(
        item_id=item.id,
        seq=seq,
        at=now,
        by=actor.user_id,
        action=str(act_),
        before=item.status,
        after=after,
        data=data,
    )


def _evidence_data(item: Item, evidence: NewEvidence | None) -> dict[str, Any]:
    if not isinstance(evidence, NewEvidence):
        raise InvalidValue("evidence missing", field="evidence", problem="missing")
    file_id = _text(evidence.file_id, "file_id", required=True, limit=MAX_TEXT_LEN)
    name = _text(evidence.name, "name", required=False, limit=MAX_TEXT_LEN)
    if not isinstance(evidence.size, int) or isinstance(evidence.size, bool) or evidence.size < 0:
        raise InvalidValue("bad size", field="size", value=evidence.size)
    sha = _text(evidence.sha256, "sha256", required=False).lower()
    unique = _text(evidence.file_unique_id, "file_unique_id", required=False)
    for old in item.evidence:
        if (sha and old.sha256.lower() == sha) or (
            not sha and unique and old.file_unique_id == unique
        ):
            raise AlreadyDone(action=str(Action.ADD_EVIDENCE), by=old.by, at=old.at)
    return {
        "file_id": file_id,
        "name": name,
        "size": evidence.size,
        "sha256": sha,
        "file_unique_id": unique,
        "stored_path": _text(evidence.stored_path, "stored_path", required=False),
    }


def _edit_data(item: Item, changes: Mapping[str, object] | None, rules: Rules) -> dict[str, Any]:
    if not isinstance(changes, Mapping):
        raise InvalidValue("changes missing", field="changes", problem="missing")
    data: dict[str, Any] = {}
    for name, value in changes.items():
        if name == MEASURE_LIST:
            new_list = [_enc_measure(m) for m in _measures(value)]
            old_list = [_enc_measure(m) for m in item.measure_list]
            if new_list != old_list:
                data[name] = {"old": old_list, "new": new_list}
            continue
        if name not in EDITABLE_FIELDS:
            raise InvalidValue("not an editable field", field=str(name), problem="unknown")
        required = name in ("problem", "category")
        new = _text(value, name, required=required, limit=MAX_FIELD_LEN)
        if name == "category" and new not in rules.categories:
            raise InvalidValue("unknown category", field=name, value=new, problem="unknown")
        old = getattr(item, name)
        if new != old:
            data[name] = {"old": old, "new": new}
    if not data:
        raise InvalidValue("nothing changes", field="changes", problem="unchanged")
    return data


def _measures(value: object) -> tuple[Measure, ...]:
    """Measures checked as item fields are (texts stripped, bounded)."""
    if not isinstance(value, tuple | list) or len(value) > MAX_MEASURES:
        raise InvalidValue("bad measures", field="measures", problem="type")
    found: list[Measure] = []
    for m in value:
        if not isinstance(m, Measure):
            raise InvalidValue("bad measure", field="measures", problem="type")
        if m.long_term == (m.deadline is not None) and (m.long_term or m.deadline is not None):
            raise InvalidValue("deadline and long-term", field="deadline", problem="both")
        found.append(
            Measure(
                text=_text(m.text, "measures", required=False, limit=MAX_FIELD_LEN),
                owner=_text(m.owner, "owner", required=False, limit=MAX_FIELD_LEN),
                department=_text(m.department, "department", required=False, limit=MAX_FIELD_LEN),
                deadline=m.deadline,
                long_term=m.long_term,
                wording=_text(m.wording, "deadline", required=False),
            )
        )
    return tuple(found)


def _enc_measure(m: Measure) -> dict[str, Any]:
    return {
        "text": m.text,
        "owner": m.owner,
        "department": m.department,
        "deadline": _iso(m.deadline),
        "long_term": m.long_term,
        "wording": m.wording,
    }


def measure_summary(measures: Sequence[Measure]) -> dict[str, Any]:
    """The item fields several measures give (DESIGN: one problem, several measures):
    ``measures`` their texts numbered one per line, ``owner`` and ``department`` their
    distinct values joined with "、", ``deadline`` the latest dated one — or ``long_term``
    when none is dated (a 长期坚持 measure beside dated ones stays long-term in the list)."""
    dated = [m.deadline for m in measures if m.deadline is not None]
    return {
        "measures": "\n".join(f"{i}. {m.text}" for i, m in enumerate(measures, 1) if m.text),
        "owner": "、".join(dict.fromkeys(m.owner for m in measures if m.owner)),
        "department": "、".join(dict.fromkeys(m.department for m in measures if m.department)),
        "deadline": max(dated) if dated else None,
        "long_term": not dated and any(m.long_term for m in measures),
    }


# --------------------------------------------------------------------------- reopen

REOPEN_DAYS = 30  # the default new 整改时限 after a 反弹: a month from the reopening day


def reopen_deadline(today: date) -> date:
    """The new deadline offered when an item is reopened (反弹) on ``today``: 30 days on."""
    return today + timedelta(days=REOPEN_DAYS)


# --------------------------------------------------------------------------- create


def create_item(
    unit: str,
    seq: int,
    *,
    category: str,
    problem: str,
    actor: Person | None,
    now: datetime,
    rules: Rules,
    deadline: date | None = None,
    long_term: bool = False,
    leader: str = "",
    department: str = "",
    owner: str = "",
    measures: str = "",
    source_ref: str = "",
    measure_list: Sequence[Measure] = (),
    note: str = "",
) -> tuple[Item, Event]:
    """A new ``open`` item ``<unit>-<seq:03d>`` and its ``create`` event (``Event.seq`` 1).

    ``seq`` is the unit's item number (ids are never reused: the caller passes the next one).
    ``actor`` is an inspector, or ``None`` for the shell import (``Event.by`` is
    :data:`SYSTEM_ACTOR_ID`); anyone else raises ``NotAllowed(action="create", role)``.
    Checks: unit code, ``category`` in ``rules.categories``, non-empty ``problem``, exactly one
    of ``deadline`` / ``long_term`` — each failure an ``InvalidValue(field, problem)``.
    ``Event.data`` holds every field (``deadline`` as ISO), plus ``via``: ``"chat"``|``"import"``;
    ``measure_list`` and ``note`` only when given (older events have neither).
    """
    require_aware(now, "now")
    if actor is not None and actor.role is not Role.INSPECTOR:
        raise NotAllowed(action=str(Action.CREATE), role=str(actor.role))
    if not isinstance(unit, str) or not valid_unit_code(unit):
        raise InvalidValue("bad unit code", field="unit", value=unit)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidValue("bad item number", field="seq", value=seq)
    category = _text(category, "category", required=True)
    if category not in rules.categories:
        raise InvalidValue("unknown category", field="category", value=category, problem="unknown")
    due, is_long = _deadline(deadline, long_term)
    data: dict[str, Any] = {
        "unit": unit,
        "category": category,
        "problem": _text(problem, "problem", required=True, limit=MAX_FIELD_LEN),
        "leader": _text(leader, "leader", required=False, limit=MAX_FIELD_LEN),
        "department": _text(department, "department", required=False, limit=MAX_FIELD_LEN),
        "owner": _text(owner, "owner", required=False, limit=MAX_FIELD_LEN),
        "measures": _text(measures, "measures", required=False, limit=MAX_FIELD_LEN),
        "deadline": _iso(due),
        "long_term": is_long,
        "source_ref": _text(source_ref, "source_ref", required=False),
        "via": "import" if actor is None else "chat",
    }
    if measure_list:
        data["measure_list"] = [_enc_measure(m) for m in _measures(measure_list)]
    if note:
        data["note"] = _text(note, "note", required=False, limit=MAX_FIELD_LEN)
    event = Event(
        item_id=make_item_id(unit, seq),
        seq=1,
        at=now,
        by=SYSTEM_ACTOR_ID if actor is None else actor.user_id,
        action=str(Action.CREATE),
        before=None,
        after=_S.OPEN,
        data=data,
    )
    return apply_event(None, event), event


# --------------------------------------------------------------------------- apply / replay


def apply_event(item: Item | None, event: Event) -> Item:
    """The item after ``event``. ``item`` is ``None`` exactly for a ``create`` event.

    Raises ``InconsistentEvent`` if the event is for another item, its ``before`` is not the
    item's status, ``(action, before, after)`` is not in :data:`EDGES`, or its data is
    malformed. Effects beyond ``status = after``:

    - progress: appends ``ProgressNote(at, by, text)``;
    - add_evidence: appends ``Evidence(…, at, by)``;
    - endorse: ``endorsement = (by, at)``;
    - approve: ``verification = (by, at, "approved", note)``, ``closed_at = at``;
    - reject: ``endorsement = None``; by an inspector also
      ``verification = (by, at, "rejected", reason)``;
    - reopen: ``verification = (by, at, "reopened", reason)``, ``endorsement`` and ``closed_at``
      cleared, ``evidence_from = len(evidence)``, and ``deadline = new`` when given;
    - set_deadline: ``deadline``/``long_term`` = new; withdraw: ``withdrawn_reason``;
    - edit: each field = its ``new`` text (its ``old`` text must be the item's).
    """
    try:
        action = Action(event.action)
    except ValueError as exc:
        raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="action") from exc
    if (action, event.before, event.after) not in EDGES:
        raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="edge")
    if (item is None) != (action is Action.CREATE):
        raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="create")
    if item is not None and (item.id != event.item_id or item.status != event.before):
        raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="before")
    try:
        return _apply(item, action, event)
    except (KeyError, TypeError, ValueError, LedgerError) as exc:
        if isinstance(exc, InconsistentEvent):
            raise
        raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="data") from exc


def _apply(item: Item | None, action: Action, event: Event) -> Item:
    d, at, by = event.data, require_aware(event.at, "at"), event.by
    if item is None:  # create
        return Item(
            id=event.item_id,
            unit=d["unit"],
            category=d["category"],
            problem=d["problem"],
            created_at=at,
            leader=d.get("leader", ""),
            department=d.get("department", ""),
            owner=d.get("owner", ""),
            measures=d.get("measures", ""),
            deadline=_undate(d.get("deadline")),
            long_term=bool(d.get("long_term", False)),
            source_ref=d.get("source_ref", ""),
            measure_list=tuple(measure_from_dict(m) for m in d.get("measure_list", [])),
            note=d.get("note", ""),
        )
    changes: dict[str, Any] = {"status": event.after}
    if action is Action.PROGRESS:
        changes["progress"] = (*item.progress, ProgressNote(at=at, by=by, text=d["text"]))
    elif action is Action.ADD_EVIDENCE:
        ev = Evidence(
            file_id=d["file_id"],
            name=d["name"],
            size=int(d["size"]),
            sha256=d.get("sha256", ""),
            at=at,
            by=by,
            file_unique_id=d.get("file_unique_id", ""),
            stored_path=d.get("stored_path", ""),
        )
        changes["evidence"] = (*item.evidence, ev)
    elif action is Action.ENDORSE:
        changes["endorsement"] = Endorsement(by=by, at=at)
    elif action is Action.APPROVE:
        changes["verification"] = Verification(by=by, at=at, result="approved", note=d["note"])
        changes["closed_at"] = at
    elif action is Action.REJECT:
        changes["endorsement"] = None
        if d["role"] == Role.INSPECTOR:
            changes["verification"] = Verification(
                by=by, at=at, result="rejected", note=d["reason"]
            )
    elif action is Action.REOPEN:
        changes["verification"] = Verification(by=by, at=at, result="reopened", note=d["reason"])
        changes["endorsement"] = None
        changes["closed_at"] = None
        changes["evidence_from"] = len(item.evidence)
        if "new" in d:
            changes["deadline"] = _undate(d["new"])
    elif action in (Action.SET_DEADLINE, Action.GRANT_EXTENSION):
        changes["deadline"] = _undate(d["new"])
        changes["long_term"] = bool(d["new_long_term"])
        changes["extension"] = None  # any new deadline settles a pending request
    elif action is Action.REQUEST_EXTENSION:
        changes["extension"] = ExtensionRequest(
            by=by,
            at=at,
            seq=event.seq,
            deadline=_undate(d["new"]),
            long_term=bool(d["new_long_term"]),
            reason=str(d["reason"]),
        )
    elif action is Action.REFUSE_EXTENSION:
        changes["extension"] = None
    elif action is Action.WITHDRAW:
        changes["withdrawn_reason"] = d["reason"]
    elif action is Action.EDIT:
        if not d:
            raise ValueError("an edit changes nothing")
        for name, change in d.items():
            if name == MEASURE_LIST:
                old = [_enc_measure(m) for m in item.measure_list]
                if old != change["old"]:
                    raise ValueError("edit of the measures does not fit the item")
                changes[name] = tuple(measure_from_dict(m) for m in change["new"])
                continue
            if name not in EDITABLE_FIELDS or getattr(item, name) != change["old"]:
                raise ValueError(f"edit of {name!r} does not fit the item")
            if not isinstance(change["new"], str):
                raise TypeError(f"edit of {name!r}: new value is not text")
            changes[name] = change["new"]
    return replace(item, **changes)


def act(
    item: Item,
    actor: Person,
    action: Action | str,
    *,
    now: datetime,
    rules: Rules,
    seq: int,
    text: str = "",
    reason: str = "",
    deadline: date | None = None,
    long_term: bool = False,
    evidence: NewEvidence | None = None,
    changes: Mapping[str, object] | None = None,
) -> tuple[Item, Event]:
    """:func:`decide` then :func:`apply_event`: ``(new item, event)``; raises as ``decide``."""
    event = decide(
        item,
        actor,
        action,
        now=now,
        rules=rules,
        seq=seq,
        text=text,
        reason=reason,
        deadline=deadline,
        long_term=long_term,
        evidence=evidence,
        changes=changes,
    )
    return apply_event(item, event), event


def import_progress(
    item: Item, text: str, *, actor: Person | None, now: datetime, seq: int
) -> tuple[Item, Event]:
    """The 完成情况 an imported row reports, as the first progress note of the item just
    created from it: a ``progress`` event (open → in_progress) by the importer, with
    ``data = {"text", "via": "import"}``.

    An import never closes an item — closing needs evidence, endorsement and verification —
    so a row reported 已完成 becomes an item in progress whose note says so. ``actor`` is an
    inspector or ``None`` (the shell import, :data:`SYSTEM_ACTOR_ID`); anyone else raises
    ``NotAllowed(action="progress", role)``. Only for an open item without progress notes
    (``InvalidTransition(action, status)`` otherwise); ``text`` as for ``progress``.
    """
    require_aware(now, "now")
    seq = _check_seq(seq)
    if actor is not None and actor.role is not Role.INSPECTOR:
        raise NotAllowed(action=str(Action.PROGRESS), role=str(actor.role))
    if item.status is not _S.OPEN or item.progress:
        raise InvalidTransition(action=str(Action.PROGRESS), status=str(item.status))
    event = Event(
        item_id=item.id,
        seq=seq,
        at=now,
        by=SYSTEM_ACTOR_ID if actor is None else actor.user_id,
        action=str(Action.PROGRESS),
        before=item.status,
        after=_S.IN_PROGRESS,
        data={"text": _text(text, "text", required=True), "via": "import"},
    )
    return apply_event(item, event), event


def replay(events: Iterable[Event]) -> Item:
    """Fold :func:`apply_event` over one item's history, which must start with its ``create``
    event and run ``seq`` 1, 2, 3 … without gaps (else ``InconsistentEvent``)."""
    item: Item | None = None
    expected = 1
    for event in events:
        if event.seq != expected:
            raise InconsistentEvent(item_id=event.item_id, seq=event.seq, problem="seq")
        item = apply_event(item, event)
        expected += 1
    if item is None:
        raise InconsistentEvent(item_id=None, seq=0, problem="empty")
    return item


def status_since(events: Sequence[Event]) -> datetime | None:
    """When the item entered its current status: ``at`` of the last event that changed the
    status (``create`` included); ``None`` for an empty history. Feed it to
    ``ledger.alerts.decide_alerts(status_since=…)`` and ``ledger.light.light``."""
    return status_since_newest_first(reversed(events))


def status_since_newest_first(events: Iterable[Event]) -> datetime | None:
    """:func:`status_since` of a history given newest first (read only as far as needed)."""
    for event in events:
        if event.before != event.after:
            return event.at
    return None


__all__ = [
    "EDGES",
    "EDITABLE_FIELDS",
    "MEASURE_LIST",
    "measure_summary",
    "MAX_FIELD_LEN",
    "MAX_TEXT_LEN",
    "SYSTEM_ACTOR_ID",
    "Action",
    "NewEvidence",
    "act",
    "apply_event",
    "create_item",
    "decide",
    "import_progress",
    "reopen_deadline",
    "status_since_newest_first",
    "replay",
    "status_since",
]
