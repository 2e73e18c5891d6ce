"""The report milestone of a unit: the round's feedback date (巡察反馈), the date its
整改情况报告 is due — by default ``report_due_months`` calendar months after the feedback
(the usual "两个月内报送"), or a date the inspectors set — and the signed reports the unit's
leader has submitted (each kept, newest last: the history).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ledger.calendar import add_months
from ledger.errors import InvalidValue
from ledger.model import require_aware


@dataclass(frozen=True)
class Submission:
    """One signed report the leader sent: the file as stored evidence, who and when."""

    at: datetime
    by: int
    file_id: str
    name: str
    size: int
    sha256: str
    stored_path: str = ""


@dataclass(frozen=True)
class Milestone:
    unit: str
    feedback: date
    due: date | None = None  # set explicitly; None: feedback + report_due_months
    set_by: int = 0
    set_at: datetime | None = None
    submissions: tuple[Submission, ...] = ()

    def due_on(self, months: int) -> date:
        """The report's due date."""
        return self.due if self.due is not None else add_months(self.feedback, months)

    @property
    def submitted(self) -> Submission | None:
        """The latest submission, or ``None``."""
        return self.submissions[-1] if self.submissions else None


def set_feedback(
    current: Milestone | None,
    unit: str,
    feedback: date,
    due: date | None,
    *,
    by: int,
    now: datetime,
) -> Milestone:
    """The milestone with a (new) feedback date and optional explicit due date; earlier
    submissions are kept. A due date before the feedback is refused (``InvalidValue``)."""
    require_aware(now, "now")
    if due is not None and due < feedback:
        raise InvalidValue("due before feedback", field="due", problem="before_feedback")
    submissions = current.submissions if current is not None else ()
    return Milestone(unit, feedback, due, by, now, submissions)


def add_submission(current: Milestone, submission: Submission) -> Milestone:
    return replace(current, submissions=(*current.submissions, submission))


# --------------------------------------------------------------------------- codec


def milestone_to_dict(m: Milestone) -> dict[str, Any]:
    return {
        "unit": m.unit,
        "feedback": m.feedback.isoformat(),
        "due": m.due.isoformat() if m.due else None,
        "set_by": m.set_by,
        "set_at": require_aware(m.set_at).isoformat() if m.set_at else None,
        "submissions": [
            {
                "at": require_aware(s.at).isoformat(),
                "by": s.by,
                "file_id": s.file_id,
                "name": s.name,
                "size": s.size,
                "sha256": s.sha256,
                "stored_path": s.stored_path,
            }
            for s in m.submissions
        ],
    }


def milestone_from_dict(d: dict[str, Any]) -> Milestone:
    return Milestone(
        unit=str(d["unit"]),
        feedback=date.fromisoformat(d["feedback"]),
        due=date.fromisoformat(d["due"]) if d.get("due") else None,
        set_by=int(d.get("set_by", 0)),
        set_at=require_aware(datetime.fromisoformat(d["set_at"])) if d.get("set_at") else None,
        submissions=tuple(
            Submission(
                at=require_aware(datetime.fromisoformat(s["at"])),
                by=int(s["by"]),
                file_id=str(s["file_id"]),
                name=str(s["name"]),
                size=int(s["size"]),
                sha256=str(s["sha256"]),
                stored_path=str(s.get("stored_path", "")),
            )
            for s in d.get("submissions", [])
        ),
    )
