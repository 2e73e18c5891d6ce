"""Domain records (DESIGN §3). Immutable dataclasses; changes produce new values.

Instants are timezone-aware ``datetime``s (R15: constructors reject naive ones); deadlines are
plain ``date``s in the configured zone. ``to_dict``/``from_dict`` give a JSON-compatible form
used by storage/ (schema versioning lives there, not here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ledger.errors import InvalidValue

UNIT_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
ITEM_ID_RE = re.compile(r"^([A-Z][A-Z0-9]{0,9})-(\d{3,})$")


class Role(StrEnum):
    INSPECTOR = "inspector"
    LEADER = "leader"
    CONTACT = "contact"


class Status(StrEnum):
    OPEN = "open"  # 未整改
    IN_PROGRESS = "in_progress"  # 整改中
    SUBMITTED = "submitted"  # 待签字
    ENDORSED = "endorsed"  # 待核验
    CLOSED = "closed"  # 已销号
    MONITORING = "monitoring"  # 长期坚持, closed into monitoring
    WITHDRAWN = "withdrawn"  # 撤销

    @property
    def is_active(self) -> bool:
        """Still to be rectified (not closed, monitoring or withdrawn)."""
        return self in (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.ENDORSED)


class Light(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    CLOSED = "closed"


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` if it is timezone-aware; naive instants are refused (R15)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(f"{name} must be timezone-aware", field=name)
    return value


def valid_unit_code(code: str) -> bool:
    return bool(UNIT_CODE_RE.match(code))


def make_item_id(unit: str, seq: int) -> str:
    """``HZ``, 7 -> ``HZ-007`` (ids are never reused; seq grows per unit)."""
    return f"{unit}-{seq:03d}"


def split_item_id(item_id: str) -> tuple[str, int]:
    m = ITEM_ID_RE.match(item_id)
    if not m:
        raise InvalidValue(f"bad item id {item_id!r}", field="item_id", value=item_id)
    return m.group(1), int(m.group(2))


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    round: str = ""

    def __post_init__(self) -> None:
        if not valid_unit_code(self.code):
            raise InvalidValue(f"bad unit code {self.code!r}", field="code", value=self.code)
        if not self.name.strip():
            raise InvalidValue("unit name is empty", field="name")


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    role: Role
    unit: str | None = None
    language: str | None = None
    reachable: bool = True

    def __post_init__(self) -> None:
        if self.role is Role.INSPECTOR and self.unit is not None:
            raise InvalidValue("inspectors belong to no unit", field="unit")
        if self.role is not Role.INSPECTOR and self.unit is None:
            raise InvalidValue("contacts and leaders belong to a unit", field="unit")


@dataclass(frozen=True)
class ProgressNote:
    at: datetime
    by: int
    text: str


@dataclass(frozen=True)
class Evidence:
    file_id: str
    name: str
    size: int
    sha256: str
    at: datetime
    by: int
    file_unique_id: str = ""
    stored_path: str = ""  # relative to the data directory; "" until downloaded


@dataclass(frozen=True)
class Endorsement:
    by: int
    at: datetime


@dataclass(frozen=True)
class Verification:
    by: int
    at: datetime
    result: str  # "approved" | "rejected"
    note: str = ""


@dataclass(frozen=True)
class ExtensionRequest:
    """A unit's pending request for more time (申请延期): the deadline asked for (or 长期坚持)
    and why; ``seq`` is the request's event. Settled by the inspectors' decision or by any
    change of the deadline."""

    by: int
    at: datetime
    seq: int
    deadline: date | None
    long_term: bool
    reason: str


@dataclass(frozen=True)
class Measure:
    """One 整改措施 of a problem that has several (one row each in the 台账), with its own
    责任人, 责任部门 and 时限: a date, or ``long_term`` (长期坚持). ``wording`` keeps the 时限
    as the file wrote it when that was not a plain date (``立行立改``, ``12月底前``)."""

    text: str
    owner: str = ""
    department: str = ""
    deadline: date | None = None
    long_term: bool = False
    wording: str = ""


@dataclass(frozen=True)
class Item:
    """One problem of the 台账 (one row, or several rows when it has several measures).

    ``measure_list`` is empty for an item with one measure (its text in ``measures``); with
    several, it holds each and ``measures``/``owner``/``department`` hold their joined texts
    while ``deadline`` is the latest dated one (see :func:`ledger.workflow.measure_summary`).
    ``note`` keeps what the 台账 said beside the fields (备注, columns not imported as fields).
    """

    id: str
    unit: str
    category: str
    problem: str
    created_at: datetime
    leader: str = ""
    department: str = ""
    owner: str = ""
    measures: str = ""
    deadline: date | None = None
    long_term: bool = False
    status: Status = Status.OPEN
    progress: tuple[ProgressNote, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    endorsement: Endorsement | None = None
    verification: Verification | None = None
    closed_at: datetime | None = None
    withdrawn_reason: str = ""
    source_ref: str = ""  # e.g. the 序号 in an imported spreadsheet, for idempotent re-import
    extension: ExtensionRequest | None = None  # 申请延期 waiting for the inspectors
    measure_list: tuple[Measure, ...] = ()
    note: str = ""
    # 反弹: evidence[:evidence_from] belongs to rounds before the last reopen; a new close-out
    # request needs evidence of this round (ledger.workflow: submit).
    evidence_from: int = 0

    @property
    def last_progress(self) -> ProgressNote | None:
        return self.progress[-1] if self.progress else None

    @property
    def round_evidence(self) -> tuple[Evidence, ...]:
        """The evidence of the current round (all of it unless the item was reopened)."""
        return self.evidence[self.evidence_from :]

    @property
    def earlier_evidence(self) -> tuple[Evidence, ...]:
        """The evidence sent before the last reopen (反弹): the previous rounds'."""
        return self.evidence[: self.evidence_from]


@dataclass(frozen=True)
class Event:
    """One append-only history entry: who did what to which item, when, before → after.

    ``data`` holds exactly what is needed to replay the change (see ledger.workflow.apply_event).
    """

    item_id: str
    seq: int  # 1-based position in the item's history
    at: datetime
    by: int
    action: str
    before: Status | None
    after: Status
    data: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- codec
# JSON-compatible dicts for storage. Dates are ISO strings; instants keep their offset.


def _enc(value: Any) -> Any:
    if isinstance(value, datetime):
        return require_aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, tuple | list):
        return [_enc(v) for v in value]
    if isinstance(value, dict):
        return {k: _enc(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return to_dict(value)
    return value


def to_dict(obj: Any) -> dict[str, Any]:
    """Any record above -> JSON-compatible dict."""
    return {f.name: _enc(getattr(obj, f.name)) for f in fields(obj)}


def _dt(value: str | None) -> datetime | None:
    return None if value is None else require_aware(datetime.fromisoformat(value))


def _d(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def unit_from_dict(d: dict[str, Any]) -> Unit:
    return Unit(code=d["code"], name=d["name"], round=d.get("round", ""))


def person_from_dict(d: dict[str, Any]) -> Person:
    return Person(
        user_id=int(d["user_id"]),
        name=d["name"],
        role=Role(d["role"]),
        unit=d.get("unit"),
        language=d.get("language"),
        reachable=bool(d.get("reachable", True)),
    )


def progress_from_dict(d: dict[str, Any]) -> ProgressNote:
    at = _dt(d["at"])
    assert at is not None
    return ProgressNote(at=at, by=int(d["by"]), text=d["text"])


def evidence_from_dict(d: dict[str, Any]) -> Evidence:
    at = _dt(d["at"])
    assert at is not None
    return Evidence(
        file_id=d["file_id"],
        name=d["name"],
        size=int(d["size"]),
        sha256=d["sha256"],
        at=at,
        by=int(d["by"]),
        file_unique_id=d.get("file_unique_id", ""),
        stored_path=d.get("stored_path", ""),
    )


def measure_from_dict(d: dict[str, Any]) -> Measure:
    """A stored measure; raises KeyError/TypeError/ValueError when malformed."""
    text = d["text"]
    if not isinstance(text, str):
        raise TypeError("measure text is not text")
    return Measure(
        text=text,
        owner=str(d.get("owner", "")),
        department=str(d.get("department", "")),
        deadline=_d(d.get("deadline")),
        long_term=bool(d.get("long_term", False)),
        wording=str(d.get("wording", "")),
    )


def item_from_dict(d: dict[str, Any]) -> Item:
    created = _dt(d["created_at"])
    assert created is not None
    endorsement = d.get("endorsement")
    verification = d.get("verification")
    return Item(
        id=d["id"],
        unit=d["unit"],
        category=d["category"],
        problem=d["problem"],
        created_at=created,
        leader=d.get("leader", ""),
        department=d.get("department", ""),
        owner=d.get("owner", ""),
        measures=d.get("measures", ""),
        deadline=_d(d.get("deadline")),
        long_term=bool(d.get("long_term", False)),
        status=Status(d.get("status", "open")),
        progress=tuple(progress_from_dict(p) for p in d.get("progress", [])),
        evidence=tuple(evidence_from_dict(e) for e in d.get("evidence", [])),
        endorsement=None
        if endorsement is None
        else Endorsement(by=int(endorsement["by"]), at=_dt(endorsement["at"])),  # type: ignore[arg-type]
        verification=None
        if verification is None
        else Verification(
            by=int(verification["by"]),
            at=_dt(verification["at"]),  # type: ignore[arg-type]
            result=verification["result"],
            note=verification.get("note", ""),
        ),
        closed_at=_dt(d.get("closed_at")),
        withdrawn_reason=d.get("withdrawn_reason", ""),
        source_ref=d.get("source_ref", ""),
        measure_list=tuple(measure_from_dict(m) for m in d.get("measure_list", [])),
        note=d.get("note", ""),
        extension=_extension(d.get("extension")),
        evidence_from=int(d.get("evidence_from", 0)),
    )


def _extension(d: dict[str, Any] | None) -> ExtensionRequest | None:
    if d is None:
        return None
    at = _dt(d["at"])
    assert at is not None
    return ExtensionRequest(
        by=int(d["by"]),
        at=at,
        seq=int(d["seq"]),
        deadline=_d(d.get("deadline")),
        long_term=bool(d.get("long_term", False)),
        reason=str(d.get("reason", "")),
    )


def event_from_dict(d: dict[str, Any]) -> Event:
    at = _dt(d["at"])
    assert at is not None
    return Event(
        item_id=d["item_id"],
        seq=int(d["seq"]),
        at=at,
        by=int(d["by"]),
        action=d["action"],
        before=None if d.get("before") is None else Status(d["before"]),
        after=Status(d["after"]),
        data=dict(d.get("data", {})),
    )


__all__ = [
    "Endorsement",
    "Event",
    "Evidence",
    "ExtensionRequest",
    "Item",
    "Light",
    "Measure",
    "Person",
    "ProgressNote",
    "Role",
    "Status",
    "Unit",
    "Verification",
    "event_from_dict",
    "evidence_from_dict",
    "item_from_dict",
    "make_item_id",
    "measure_from_dict",
    "person_from_dict",
    "replace",
    "require_aware",
    "split_item_id",
    "to_dict",
    "unit_from_dict",
]
