"""The report milestone: due date (feedback + months, or set), submissions kept, and the
``report_due`` reminders of the alert policy (steps, keys, audience, exactly once)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.alerts import AlertKind, decide_alerts, report_alerts
from ledger.calendar import WorkCalendar
from ledger.errors import InvalidValue
from ledger.milestone import (
    Submission,
    add_submission,
    milestone_from_dict,
    milestone_to_dict,
    set_feedback,
)
from ledger.model import Unit
from tests.ledger.factories import CONTACT, INSPECTOR, LEADER, OTHER_CONTACT, PEOPLE, RULES, TZ, at

DUE = date(2026, 5, 2)


def test_due_date_defaults_to_months_after_feedback_and_can_be_set() -> None:
    m = set_feedback(None, "HZ", date(2026, 3, 2), None, by=1, now=at(2026, 3, 2))
    assert m.due_on(2) == DUE and m.due_on(1) == date(2026, 4, 2)
    assert set_feedback(m, "HZ", date(2026, 1, 31), None, by=1, now=at(2026, 3, 2)).due_on(1) == (
        date(2026, 2, 28)
    )
    later = set_feedback(m, "HZ", date(2026, 3, 2), date(2026, 6, 30), by=1, now=at(2026, 3, 3))
    assert later.due_on(2) == date(2026, 6, 30)
    with pytest.raises(InvalidValue):
        set_feedback(m, "HZ", date(2026, 3, 2), date(2026, 3, 1), by=1, now=at(2026, 3, 3))


def test_submissions_are_kept_in_order_and_survive_a_new_feedback_date() -> None:
    m = set_feedback(None, "HZ", date(2026, 3, 2), None, by=1, now=at(2026, 3, 2))
    first = Submission(at(2026, 4, 20), 12, "f1", "报告.pdf", 10, "a" * 64, "evidence/HZ/HZ-000/x")
    second = Submission(at(2026, 4, 21), 12, "f2", "报告v2.pdf", 11, "b" * 64)
    m = add_submission(add_submission(m, first), second)
    assert m.submitted == second and m.submissions == (first, second)
    m = set_feedback(m, "HZ", date(2026, 3, 5), None, by=1, now=at(2026, 4, 22))
    assert m.submissions == (first, second)
    assert milestone_from_dict(milestone_to_dict(m)) == m


@pytest.mark.parametrize(
    ("today", "step"),
    [
        (date(2026, 4, 17), None),
        (date(2026, 4, 18), 14),
        (date(2026, 4, 24), 14),
        (date(2026, 4, 25), 7),
        (date(2026, 5, 1), 1),
        (date(2026, 5, 2), 1),  # still sent on the due day if missed
        (date(2026, 5, 3), None),
    ],
)
def test_report_reminder_steps(today: date, step: int | None) -> None:
    got = report_alerts({"HZ": DUE}, today, (14, 7, 1))
    assert [e.step for _, e in got] == ([] if step is None else [step])
    if step is not None:
        assert got[0][1].key == f"HZ:report_due:2026-05-02:{step}"


def test_the_policy_tells_the_unit_once_per_step() -> None:
    units = [Unit("HZ", "杭州"), Unit("NB", "宁波")]
    calendar = WorkCalendar(TZ)
    now = at(2026, 4, 25)

    def run(sent: set[str]) -> dict[int, list[str]]:
        out = decide_alerts(now, TZ, [], units, PEOPLE, sent, RULES, calendar, reports={"HZ": DUE})
        return {
            o.user_id: [e.key for e in o.entries if e.kind is AlertKind.REPORT_DUE] for o in out
        }

    first = run(set())
    assert set(first) == {CONTACT.user_id, LEADER.user_id}  # the unit, not NB, not inspectors
    assert first[CONTACT.user_id] == ["HZ:report_due:2026-05-02:7"]
    assert OTHER_CONTACT.user_id not in first and INSPECTOR.user_id not in first
    sent = {f"HZ:report_due:2026-05-02:7@{uid}" for uid in first}
    assert run(sent) == {}
