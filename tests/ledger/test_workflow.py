"""Workflow transitions, who may take them, and the events they write (DESIGN §3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from ledger.access import require_visible
from ledger.errors import (
    AlreadyDone,
    InconsistentEvent,
    InvalidTransition,
    InvalidValue,
    MissingEvidence,
    MissingReason,
    MissingRoundEvidence,
    NotAllowed,
    UnknownItem,
)
from ledger.model import Event, Person, Status, event_from_dict, to_dict
from ledger.rules import Rules
from ledger.workflow import (
    EDITABLE_FIELDS,
    MAX_TEXT_LEN,
    SYSTEM_ACTOR_ID,
    Action,
    NewEvidence,
    apply_event,
    create_item,
    decide,
    import_progress,
    reopen_deadline,
    replay,
    status_since,
    status_since_newest_first,
)
from tests.ledger.factories import (
    CONTACT,
    INSPECTOR,
    INSPECTOR2,
    LEADER,
    OTHER_CONTACT,
    OTHER_LEADER,
    RULES,
    at,
    drive,
    evidence,
    track,
)

T0 = at(2026, 5, 1)


# --------------------------------------------------------------------------- create


def test_create_item_builds_open_item_and_event_with_every_field() -> None:
    item, event = create_item(
        "HZ",
        7,
        category="选人用人",
        problem="  干部档案管理不规范  ",
        actor=INSPECTOR,
        now=T0,
        rules=RULES,
        deadline=date(2026, 6, 30),
        owner="李四",
        source_ref="3",
    )
    assert item.id == "HZ-007" and item.unit == "HZ" and item.status is Status.OPEN
    assert item.problem == "干部档案管理不规范" and item.created_at == T0
    assert item.deadline == date(2026, 6, 30) and not item.long_term
    assert (event.seq, event.action, event.before, event.after) == (1, "create", None, "open")
    assert event.by == INSPECTOR.user_id and event.data["via"] == "chat"
    assert event.data["deadline"] == "2026-06-30"
    json.dumps(event.data)  # JSON-compatible as it is
    assert apply_event(None, event) == item


def test_create_by_import_has_system_actor() -> None:
    item, event = create_item(
        "HZ", 1, category="其他", problem="p", actor=None, now=T0, rules=RULES, long_term=True
    )
    assert event.by == SYSTEM_ACTOR_ID and event.data["via"] == "import"
    assert item.long_term and item.deadline is None


@pytest.mark.parametrize("who", [CONTACT, LEADER])
def test_only_inspectors_create(who: Person) -> None:
    with pytest.raises(NotAllowed) as exc:
        create_item(
            "HZ", 1, category="其他", problem="p", actor=who, now=T0, rules=RULES, long_term=True
        )
    assert exc.value.params == {"action": "create", "role": str(who.role)}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category": "不存在"}, "category"),
        ({"problem": "   "}, "problem"),
        ({"deadline": None}, "deadline"),
        ({"deadline": date(2026, 6, 1), "long_term": True}, "deadline"),
        ({"deadline": datetime(2026, 6, 1, tzinfo=at(2026, 1, 1).tzinfo)}, "deadline"),
        ({"unit": "hz"}, "unit"),
        ({"seq": 0}, "seq"),
        ({"problem": "x" * 5000}, "problem"),
    ],
)
def test_create_rejects_bad_fields(kwargs: dict, field: str) -> None:
    args: dict = {
        "unit": "HZ",
        "seq": 1,
        "category": "其他",
        "problem": "p",
        "deadline": date(2026, 6, 1),
    } | kwargs
    with pytest.raises(InvalidValue) as exc:
        create_item(actor=INSPECTOR, now=T0, rules=RULES, **args)
    assert exc.value.params["field"] == field


def test_naive_now_is_refused() -> None:
    naive = datetime(2026, 5, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(InvalidValue):
        create_item(
            "HZ",
            1,
            category="其他",
            problem="p",
            actor=INSPECTOR,
            now=naive,
            rules=RULES,
            long_term=True,
        )
    t = track()
    with pytest.raises(InvalidValue):
        decide(t.item, CONTACT, Action.PROGRESS, now=naive, rules=RULES, seq=2, text="x")


# --------------------------------------------------------------------------- happy paths


def test_full_path_to_closed_records_every_step() -> None:
    t = track()
    e = t.do(CONTACT, Action.PROGRESS, T0 + timedelta(days=1), text=" 已召开专题会 ")
    assert (e.before, e.after, e.data) == (
        Status.OPEN,
        Status.IN_PROGRESS,
        {"text": "已召开专题会"},
    )
    t.do(CONTACT, Action.ADD_EVIDENCE, T0 + timedelta(days=2), evidence=evidence())
    assert t.item.evidence[0].by == CONTACT.user_id
    assert t.item.evidence[0].at == T0 + timedelta(days=2)
    e = t.do(CONTACT, Action.SUBMIT, T0 + timedelta(days=3))
    assert (e.before, e.after) == (Status.IN_PROGRESS, Status.SUBMITTED)
    e = t.do(LEADER, Action.ENDORSE, T0 + timedelta(days=4))
    assert (e.before, e.after) == (Status.SUBMITTED, Status.ENDORSED)
    assert t.item.endorsement is not None and t.item.endorsement.by == LEADER.user_id
    e = t.do(INSPECTOR, Action.APPROVE, T0 + timedelta(days=5), text="材料齐全")
    assert (e.before, e.after) == (Status.ENDORSED, Status.CLOSED)
    assert t.item.closed_at == T0 + timedelta(days=5)
    v = t.item.verification
    assert v is not None and (v.by, v.result, v.note) == (
        INSPECTOR.user_id,
        "approved",
        "材料齐全",
    )
    assert [ev.seq for ev in t.events] == [1, 2, 3, 4, 5, 6]


def test_long_term_item_closes_into_monitoring_and_keeps_taking_progress() -> None:
    t = drive(track(long_term=True), Status.MONITORING, T0)
    assert t.item.status is Status.MONITORING and t.item.closed_at is not None
    e = t.do(CONTACT, Action.PROGRESS, T0 + timedelta(days=30), text="本月持续落实")
    assert e.before == e.after == Status.MONITORING
    e = t.do(INSPECTOR, Action.REOPEN, T0 + timedelta(days=31), reason="回头看发现反弹")
    assert (e.before, e.after) == (Status.MONITORING, Status.IN_PROGRESS)


def test_submit_goes_straight_to_endorsed_when_endorsement_is_off() -> None:
    rules = Rules(endorsement_required=False)
    t = drive(track(), Status.IN_PROGRESS, T0, rules)
    t.do(CONTACT, Action.ADD_EVIDENCE, T0 + timedelta(hours=1), rules, evidence=evidence())
    e = t.do(CONTACT, Action.SUBMIT, T0 + timedelta(hours=2), rules)
    assert (e.before, e.after) == (Status.IN_PROGRESS, Status.ENDORSED)
    assert t.item.endorsement is None
    with pytest.raises(AlreadyDone) as exc:
        decide(t.item, LEADER, Action.ENDORSE, now=T0, rules=rules, seq=9)
    assert exc.value.params["by"] is None
    t.do(INSPECTOR, Action.APPROVE, T0 + timedelta(hours=3), rules)
    assert t.item.status is Status.CLOSED


def test_leader_may_submit_too() -> None:
    t = drive(track(), Status.IN_PROGRESS, T0)
    t.do(LEADER, Action.ADD_EVIDENCE, T0 + timedelta(hours=1), evidence=evidence())
    assert t.do(LEADER, Action.SUBMIT, T0 + timedelta(hours=2)).after is Status.SUBMITTED


# --------------------------------------------------------------------------- refusals


def test_submit_needs_evidence() -> None:
    t = drive(track(), Status.IN_PROGRESS, T0)
    with pytest.raises(MissingEvidence) as exc:
        decide(t.item, CONTACT, Action.SUBMIT, now=T0, rules=RULES, seq=3)
    assert exc.value.params == {"item_id": "HZ-001"}


def test_endorse_twice_says_by_whom_and_when() -> None:
    t = drive(track(), Status.ENDORSED, T0)
    endorsement = t.item.endorsement
    assert endorsement is not None
    with pytest.raises(AlreadyDone) as exc:
        decide(t.item, LEADER, Action.ENDORSE, now=T0 + timedelta(days=1), rules=RULES, seq=9)
    assert exc.value.params == {
        "action": "endorse",
        "status": "endorsed",
        "by": LEADER.user_id,
        "at": endorsement.at,
    }


def test_approve_twice_says_by_whom_and_when() -> None:
    t = drive(track(), Status.CLOSED, T0)
    with pytest.raises(AlreadyDone) as exc:
        decide(t.item, INSPECTOR2, Action.APPROVE, now=T0 + timedelta(days=1), rules=RULES, seq=9)
    assert exc.value.params["by"] == INSPECTOR.user_id
    assert exc.value.params["at"] == t.item.closed_at


def test_submit_twice_is_already_done() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    with pytest.raises(AlreadyDone):
        decide(t.item, CONTACT, Action.SUBMIT, now=T0, rules=RULES, seq=9)


@pytest.mark.parametrize(
    ("actor", "action", "status"),
    [
        (CONTACT, Action.ENDORSE, Status.SUBMITTED),
        (CONTACT, Action.APPROVE, Status.ENDORSED),
        (LEADER, Action.APPROVE, Status.ENDORSED),
        (INSPECTOR, Action.ENDORSE, Status.SUBMITTED),
        (CONTACT, Action.REJECT, Status.SUBMITTED),
        (LEADER, Action.REJECT, Status.ENDORSED),  # already with the inspectors
        (CONTACT, Action.REOPEN, Status.CLOSED),
        (LEADER, Action.WITHDRAW, Status.OPEN),
        (CONTACT, Action.SET_DEADLINE, Status.OPEN),
        (CONTACT, Action.URGE, Status.OPEN),
        (INSPECTOR, Action.PROGRESS, Status.IN_PROGRESS),
        (INSPECTOR, Action.SUBMIT, Status.IN_PROGRESS),
    ],
)
def test_roles_are_enforced(actor: Person, action: Action, status: Status) -> None:
    t = drive(track(), status, T0)
    with pytest.raises(NotAllowed) as exc:
        decide(
            t.item,
            actor,
            action,
            now=T0,
            rules=RULES,
            seq=9,
            reason="r",
            text="t",
            deadline=date(2026, 7, 1),
        )
    assert exc.value.params["action"] == action and exc.value.params["role"] == actor.role


@pytest.mark.parametrize(
    ("actor", "action", "status"),
    [
        (CONTACT, Action.SUBMIT, Status.OPEN),
        (LEADER, Action.ENDORSE, Status.IN_PROGRESS),
        (INSPECTOR, Action.APPROVE, Status.SUBMITTED),
        (INSPECTOR, Action.REJECT, Status.IN_PROGRESS),
        (INSPECTOR, Action.REOPEN, Status.IN_PROGRESS),
        (CONTACT, Action.PROGRESS, Status.ENDORSED),
        (CONTACT, Action.PROGRESS, Status.CLOSED),
        (CONTACT, Action.ADD_EVIDENCE, Status.CLOSED),
        (INSPECTOR, Action.SET_DEADLINE, Status.CLOSED),
        (INSPECTOR, Action.URGE, Status.WITHDRAWN),
        (INSPECTOR, Action.REOPEN, Status.WITHDRAWN),
        (INSPECTOR, Action.WITHDRAW, Status.CLOSED),
    ],
)
def test_invalid_transitions(actor: Person, action: Action, status: Status) -> None:
    t = drive(track(), status, T0)
    with pytest.raises(InvalidTransition) as exc:
        decide(
            t.item,
            actor,
            action,
            now=T0,
            rules=RULES,
            seq=9,
            reason="r",
            text="t",
            deadline=date(2026, 7, 1),
            evidence=evidence(9),
        )
    assert exc.value.params == {"action": str(action), "status": str(status)}


@pytest.mark.parametrize("outsider", [OTHER_CONTACT, OTHER_LEADER])
@pytest.mark.parametrize("action", [a for a in Action if a is not Action.CREATE])
def test_other_unit_item_is_unknown_exactly_like_a_missing_one(
    outsider: Person, action: Action
) -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    with pytest.raises(UnknownItem) as other:
        decide(t.item, outsider, action, now=T0, rules=RULES, seq=9, text="x", reason="x")
    with pytest.raises(UnknownItem) as missing:
        require_visible(None, outsider, "HZ-001")
    assert other.value.params == missing.value.params == {"item_id": "HZ-001"}
    assert str(other.value) == str(missing.value)


def test_reasons_are_required() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(MissingReason) as exc:
            decide(t.item, LEADER, Action.REJECT, now=T0, rules=RULES, seq=9, reason=blank)
        assert exc.value.params == {"action": "reject"}
    with pytest.raises(MissingReason):
        decide(t.item, INSPECTOR, Action.WITHDRAW, now=T0, rules=RULES, seq=9)
    with pytest.raises(MissingReason):
        decide(
            t.item,
            INSPECTOR,
            Action.SET_DEADLINE,
            now=T0,
            rules=RULES,
            seq=9,
            deadline=date(2026, 9, 1),
        )
    closed = drive(track(), Status.CLOSED, T0).item
    with pytest.raises(MissingReason):
        decide(closed, INSPECTOR, Action.REOPEN, now=T0, rules=RULES, seq=9, reason=" ")


def test_progress_text_must_not_be_empty_or_too_long() -> None:
    t = track()
    with pytest.raises(InvalidValue) as exc:
        decide(t.item, CONTACT, Action.PROGRESS, now=T0, rules=RULES, seq=2, text="  ")
    assert exc.value.params == {"field": "text", "problem": "empty"}
    with pytest.raises(InvalidValue) as exc:
        decide(
            t.item,
            CONTACT,
            Action.PROGRESS,
            now=T0,
            rules=RULES,
            seq=2,
            text="x" * (MAX_TEXT_LEN + 1),
        )
    assert exc.value.params["problem"] == "too_long"


def test_bad_seq_and_unknown_action_are_invalid_values() -> None:
    t = track()
    with pytest.raises(InvalidValue):
        decide(t.item, CONTACT, Action.PROGRESS, now=T0, rules=RULES, seq=0, text="x")
    with pytest.raises(InvalidValue):
        decide(t.item, CONTACT, "dance", now=T0, rules=RULES, seq=2)
    with pytest.raises(InvalidValue):
        decide(t.item, INSPECTOR, Action.CREATE, now=T0, rules=RULES, seq=2)


# --------------------------------------------------------------------------- reject / reopen


def test_leader_reject_sends_back_without_verification() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    e = t.do(LEADER, Action.REJECT, T0 + timedelta(days=1), reason="材料不全")
    assert (e.before, e.after, e.data) == (
        Status.SUBMITTED,
        Status.IN_PROGRESS,
        {"reason": "材料不全", "role": "leader"},
    )
    assert t.item.verification is None and t.item.endorsement is None


def test_inspector_reject_from_endorsed_records_verification_and_clears_endorsement() -> None:
    t = drive(track(), Status.ENDORSED, T0)
    t.do(INSPECTOR, Action.REJECT, T0 + timedelta(days=1), reason="佐证不足")
    v = t.item.verification
    assert t.item.status is Status.IN_PROGRESS and t.item.endorsement is None
    assert v is not None and (v.result, v.note) == ("rejected", "佐证不足")
    # and the cycle can run again
    t.do(CONTACT, Action.ADD_EVIDENCE, T0 + timedelta(days=2), evidence=evidence(2))
    t.do(CONTACT, Action.SUBMIT, T0 + timedelta(days=2))
    assert t.item.status is Status.SUBMITTED


def test_reopen_clears_closing() -> None:
    t = drive(track(), Status.CLOSED, T0)
    t.do(INSPECTOR, Action.REOPEN, T0 + timedelta(days=180), reason="回头看发现反弹")
    v = t.item.verification
    assert t.item.status is Status.IN_PROGRESS and t.item.closed_at is None
    assert v is not None and v.result == "reopened" and v.at == T0 + timedelta(days=180)


def test_a_reopened_item_gets_a_new_deadline_and_needs_new_evidence() -> None:
    t = drive(track(), Status.CLOSED, T0)  # deadline 2026-06-30, one piece of evidence
    later = T0 + timedelta(days=180)
    new = reopen_deadline(later.date())
    assert new == date(2026, 11, 27)  # a month on
    event = t.do(INSPECTOR, Action.REOPEN, later, reason="回头看发现反弹", deadline=new)
    assert event.data == {"reason": "回头看发现反弹", "old": "2026-06-30", "new": "2026-11-27"}
    item = t.item
    assert item.deadline == new and item.status is Status.IN_PROGRESS
    # the evidence sent before is the previous round's: a new close-out needs new evidence
    assert len(item.earlier_evidence) == 1 and item.round_evidence == ()
    with pytest.raises(MissingRoundEvidence) as refused:
        t.do(CONTACT, Action.SUBMIT, later + timedelta(days=1))
    assert refused.value.params == {"item_id": item.id, "earlier": 1}
    t.do(CONTACT, Action.ADD_EVIDENCE, later + timedelta(days=2), evidence=evidence(2))
    assert [e.name for e in t.item.round_evidence] == ["佐证2.pdf"]
    t.do(CONTACT, Action.SUBMIT, later + timedelta(days=3))
    assert t.item.status is Status.SUBMITTED
    assert replay(t.events) == t.item  # the history rebuilds the rounds exactly
    back = event_from_dict(json.loads(json.dumps(to_dict(event))))
    assert back == event


def test_a_reopen_without_a_deadline_keeps_the_old_one_in_the_ledger() -> None:
    # (app.actions always offers the default: this is the ledger's own rule, for old events)
    t = drive(track(), Status.CLOSED, T0)
    event = t.do(INSPECTOR, Action.REOPEN, T0 + timedelta(days=1), reason="反弹")
    assert event.data == {"reason": "反弹"} and t.item.deadline == date(2026, 6, 30)


# --------------------------------------------------------------------------- non-status actions


def test_evidence_rules() -> None:
    t = track()
    t.do(INSPECTOR, Action.ADD_EVIDENCE, T0, evidence=evidence(1))  # inspectors may add
    assert t.item.status is Status.OPEN and len(t.item.evidence) == 1
    with pytest.raises(AlreadyDone) as exc:
        decide(
            t.item,
            CONTACT,
            Action.ADD_EVIDENCE,
            now=T0,
            rules=RULES,
            seq=3,
            evidence=replace(evidence(1), file_id="other-id"),
        )
    assert exc.value.params["by"] == INSPECTOR.user_id
    with pytest.raises(InvalidValue):
        decide(t.item, CONTACT, Action.ADD_EVIDENCE, now=T0, rules=RULES, seq=3)
    with pytest.raises(InvalidValue):
        decide(
            t.item,
            CONTACT,
            Action.ADD_EVIDENCE,
            now=T0,
            rules=RULES,
            seq=3,
            evidence=NewEvidence(file_id=" ", name="a", size=1),
        )
    with pytest.raises(InvalidValue):
        decide(
            t.item,
            CONTACT,
            Action.ADD_EVIDENCE,
            now=T0,
            rules=RULES,
            seq=3,
            evidence=NewEvidence(file_id="f", name="a", size=-1),
        )
    # not downloaded yet: no sha256, dedup falls back to file_unique_id
    t.do(CONTACT, Action.ADD_EVIDENCE, T0, evidence=NewEvidence("f2", "a", 1, file_unique_id="u"))
    with pytest.raises(AlreadyDone):
        decide(
            t.item,
            CONTACT,
            Action.ADD_EVIDENCE,
            now=T0,
            rules=RULES,
            seq=4,
            evidence=NewEvidence("f3", "b", 2, file_unique_id="u"),
        )


def test_set_deadline_records_old_and_new() -> None:
    t = drive(track(), Status.IN_PROGRESS, T0)
    e = t.do(INSPECTOR, Action.SET_DEADLINE, T0, deadline=date(2026, 9, 30), reason="客观原因延期")
    assert e.before == e.after == Status.IN_PROGRESS
    assert e.data == {
        "old": "2026-06-30",
        "new": "2026-09-30",
        "old_long_term": False,
        "new_long_term": False,
        "reason": "客观原因延期",
    }
    assert t.item.deadline == date(2026, 9, 30)
    with pytest.raises(InvalidValue) as exc:
        decide(
            t.item,
            INSPECTOR,
            Action.SET_DEADLINE,
            now=T0,
            rules=RULES,
            seq=9,
            deadline=date(2026, 9, 30),
            reason="x",
        )
    assert exc.value.params["problem"] == "unchanged"
    t.do(INSPECTOR, Action.SET_DEADLINE, T0, long_term=True, reason="转为长期坚持")
    assert t.item.long_term and t.item.deadline is None
    with pytest.raises(InvalidValue):
        decide(t.item, INSPECTOR, Action.SET_DEADLINE, now=T0, rules=RULES, seq=9, reason="x")


def test_an_extension_request_waits_for_the_inspectors_decision() -> None:
    t = drive(track(), Status.IN_PROGRESS, T0)
    asked = t.do(
        CONTACT, Action.REQUEST_EXTENSION, T0, deadline=date(2026, 9, 30), reason="需跨部门协调"
    )
    assert asked.before == asked.after == Status.IN_PROGRESS
    assert asked.data == {
        "old": "2026-06-30",
        "new": "2026-09-30",
        "old_long_term": False,
        "new_long_term": False,
        "reason": "需跨部门协调",
    }
    pending = t.item.extension
    assert pending is not None and pending.seq == asked.seq
    assert (pending.deadline, pending.reason, pending.by) == (
        date(2026, 9, 30),
        "需跨部门协调",
        CONTACT.user_id,
    )
    assert t.item.deadline == date(2026, 6, 30)  # nothing changes before the decision
    granted = t.do(INSPECTOR, Action.GRANT_EXTENSION, T0)
    assert granted.data["request"] == asked.seq and granted.data["new"] == "2026-09-30"
    assert t.item.deadline == date(2026, 9, 30) and t.item.extension is None
    with pytest.raises(AlreadyDone):  # a second tap: decided already
        decide(t.item, INSPECTOR, Action.GRANT_EXTENSION, now=T0, rules=RULES, seq=99)
    assert replay(t.events) == t.item  # the history holds request and decision


def test_a_refused_extension_keeps_the_deadline_and_needs_a_reason_to_ask() -> None:
    t = drive(track(), Status.IN_PROGRESS, T0)
    with pytest.raises(MissingReason):
        decide(
            t.item,
            LEADER,
            Action.REQUEST_EXTENSION,
            now=T0,
            rules=RULES,
            seq=9,
            deadline=date(2026, 9, 30),
        )
    with pytest.raises(NotAllowed):
        decide(
            t.item,
            INSPECTOR,
            Action.REQUEST_EXTENSION,
            now=T0,
            rules=RULES,
            seq=9,
            deadline=date(2026, 9, 30),
            reason="x",
        )
    t.do(LEADER, Action.REQUEST_EXTENSION, T0, long_term=True, reason="转为长期坚持")
    refused = t.do(INSPECTOR, Action.REFUSE_EXTENSION, T0, reason="时限不宜延长")
    assert refused.data == {"reason": "时限不宜延长", "request": 3}
    assert t.item.extension is None and t.item.deadline == date(2026, 6, 30)
    # any deadline change settles a pending request too
    t.do(CONTACT, Action.REQUEST_EXTENSION, T0, deadline=date(2026, 8, 1), reason="再议")
    t.do(INSPECTOR, Action.SET_DEADLINE, T0, deadline=date(2026, 7, 15), reason="折中")
    assert t.item.extension is None and replay(t.events) == t.item


def test_urge_text_is_optional_and_keeps_status() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    e = t.do(INSPECTOR, Action.URGE, T0)
    assert e.before == e.after == Status.SUBMITTED and e.data == {"text": ""}
    assert t.do(INSPECTOR, Action.URGE, T0, text="请尽快签字").data == {"text": "请尽快签字"}


@pytest.mark.parametrize("status", [s for s in Status if s.is_active])
def test_withdraw_from_any_active_status_is_terminal(status: Status) -> None:
    t = drive(track(), status, T0)
    e = t.do(INSPECTOR, Action.WITHDRAW, T0 + timedelta(days=1), reason="与HZ-002重复")
    assert (e.before, e.after) == (status, Status.WITHDRAWN)
    assert t.item.withdrawn_reason == "与HZ-002重复"
    with pytest.raises(AlreadyDone):
        decide(t.item, INSPECTOR, Action.WITHDRAW, now=T0, rules=RULES, seq=99, reason="x")
    for action in Action:
        if action in (Action.CREATE, Action.WITHDRAW):
            continue
        for actor in (CONTACT, LEADER, INSPECTOR):
            with pytest.raises((InvalidTransition, NotAllowed)):
                decide(
                    t.item,
                    actor,
                    action,
                    now=T0,
                    rules=RULES,
                    seq=99,
                    text="x",
                    reason="x",
                    deadline=date(2027, 1, 1),
                    evidence=evidence(5),
                )


# --------------------------------------------------------------------------- events and replay


def test_decide_changes_nothing() -> None:
    t = drive(track(), Status.ENDORSED, T0)
    before = t.item
    decide(t.item, INSPECTOR, Action.APPROVE, now=T0, rules=RULES, seq=9)
    assert t.item == before


def test_replay_rebuilds_the_item_also_after_a_storage_round_trip() -> None:
    t = drive(track(), Status.CLOSED, T0)
    t.do(INSPECTOR, Action.REOPEN, T0 + timedelta(days=200), reason="反弹")
    t.do(
        INSPECTOR,
        Action.SET_DEADLINE,
        T0 + timedelta(days=200),
        deadline=date(2027, 3, 1),
        reason="重新整改",
    )
    assert replay(t.events) == t.item
    stored = [event_from_dict(json.loads(json.dumps(to_dict(e)))) for e in t.events]
    assert stored == t.events
    assert replay(stored) == t.item


def test_replay_refuses_damaged_history() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    with pytest.raises(InconsistentEvent):
        replay(t.events[1:])  # no create
    with pytest.raises(InconsistentEvent):
        replay([t.events[0], t.events[2]])  # gap in seq
    with pytest.raises(InconsistentEvent):
        replay([])
    wrong_before = replace(t.events[-1], before=Status.OPEN)
    with pytest.raises(InconsistentEvent):
        apply_event(t.item, wrong_before)
    impossible = Event("HZ-001", 9, T0, 1, "approve", Status.OPEN, Status.CLOSED)
    with pytest.raises(InconsistentEvent):
        apply_event(replace(t.item, status=Status.OPEN), impossible)
    with pytest.raises(InconsistentEvent):
        apply_event(t.item, replace(t.events[-1], item_id="HZ-002", before=Status.SUBMITTED))
    broken = Event("HZ-001", 9, T0, 1, "progress", Status.SUBMITTED, Status.SUBMITTED, {})
    with pytest.raises(InconsistentEvent):
        apply_event(t.item, broken)


def test_status_since_is_the_last_status_change() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    submitted_at = t.events[-1].at
    t.do(CONTACT, Action.PROGRESS, T0 + timedelta(days=3), text="补充说明")
    assert status_since(t.events) == submitted_at
    assert status_since(t.events[:1]) == T0
    assert status_since([]) is None
    read: list[Event] = []

    def newest_first() -> Iterator[Event]:
        for event in reversed(t.events):
            read.append(event)
            yield event

    # Newest first, the history is read only back to the last change (the sweep's way).
    assert status_since_newest_first(newest_first()) == submitted_at
    assert read == t.events[-2:][::-1]


# --------------------------------------------------------------------------- edit


def test_edit_changes_the_ledger_text_and_records_old_and_new() -> None:
    t = drive(track(), Status.SUBMITTED, T0)
    e = t.do(
        INSPECTOR,
        Action.EDIT,
        T0,
        changes={"measures": " 建立台账，按季度检查 ", "owner": "李四", "category": "其他"},
    )
    assert e.before == e.after == Status.SUBMITTED
    assert e.data == {  # owner was already 李四: only real changes are kept
        "measures": {"old": "建立台账，按月检查", "new": "建立台账，按季度检查"},
        "category": {"old": "党的建设", "new": "其他"},
    }
    assert (t.item.measures, t.item.owner, t.item.category) == (
        "建立台账，按季度检查",
        "李四",
        "其他",
    )
    json.dumps(e.data)
    assert replay(t.events) == t.item


def test_edit_fields_are_the_ledger_text_columns() -> None:
    assert set(EDITABLE_FIELDS) == {
        "category",
        "problem",
        "measures",
        "leader",
        "department",
        "owner",
        "note",  # what the 台账 says beside the fields (备注, columns not imported as fields)
    }


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        (None, "changes", "missing"),
        ({}, "changes", "unchanged"),
        ({"owner": "李四"}, "changes", "unchanged"),
        ({"status": "closed"}, "status", "unknown"),
        ({"deadline": "2026-12-31"}, "deadline", "unknown"),
        ({"problem": "  "}, "problem", "empty"),
        ({"category": "不存在"}, "category", "unknown"),
        ({"measures": "x" * 4001}, "measures", "too_long"),
    ],
)
def test_edit_refuses_bad_changes(changes: dict | None, field: str, problem: str) -> None:
    t = track()
    with pytest.raises(InvalidValue) as exc:
        decide(t.item, INSPECTOR, Action.EDIT, now=T0, rules=RULES, seq=2, changes=changes)
    assert (exc.value.params["field"], exc.value.params["problem"]) == (field, problem)


@pytest.mark.parametrize("who", [CONTACT, LEADER])
def test_only_inspectors_edit(who: Person) -> None:
    with pytest.raises(NotAllowed):
        decide(track().item, who, Action.EDIT, now=T0, rules=RULES, seq=2, changes={"owner": "x"})


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_finished_items_are_not_edited(status: Status) -> None:
    t = drive(track(), status, T0)
    with pytest.raises(InvalidTransition):
        decide(t.item, INSPECTOR, Action.EDIT, now=T0, rules=RULES, seq=9, changes={"owner": "x"})


def test_monitoring_items_may_be_edited() -> None:
    t = drive(track(long_term=True), Status.MONITORING, T0)
    t.do(INSPECTOR, Action.EDIT, T0, changes={"leader": "王五"})
    assert t.item.leader == "王五" and t.item.status is Status.MONITORING


def test_an_edit_that_does_not_fit_the_item_is_inconsistent() -> None:
    t = track()
    e = decide(t.item, INSPECTOR, Action.EDIT, now=T0, rules=RULES, seq=2, changes={"owner": "x"})
    other = replace(t.item, owner="已被改过")
    with pytest.raises(InconsistentEvent):
        apply_event(other, e)
    with pytest.raises(InconsistentEvent):
        apply_event(t.item, replace(e, data={"status": {"old": "open", "new": "closed"}}))
    with pytest.raises(InconsistentEvent):
        apply_event(t.item, replace(e, data={}))


# --------------------------------------------------------------------------- import notes


@pytest.mark.parametrize("actor", [None, INSPECTOR])
def test_import_progress_records_the_reported_state_without_closing(actor: Person | None) -> None:
    t = track()
    item, e = import_progress(t.item, " 已完成整改 ", actor=actor, now=T0, seq=2)
    assert (e.action, e.before, e.after) == ("progress", Status.OPEN, Status.IN_PROGRESS)
    assert e.data == {"text": "已完成整改", "via": "import"}
    assert e.by == (SYSTEM_ACTOR_ID if actor is None else actor.user_id)
    assert item.status is Status.IN_PROGRESS and item.last_progress is not None
    assert item.last_progress.text == "已完成整改" and item.closed_at is None
    assert replay([*t.events, e]) == item


def test_import_progress_is_only_for_a_fresh_item_by_an_importer() -> None:
    t = track()
    with pytest.raises(NotAllowed):
        import_progress(t.item, "已完成", actor=CONTACT, now=T0, seq=2)
    with pytest.raises(InvalidValue):
        import_progress(t.item, "  ", actor=None, now=T0, seq=2)
    moved = drive(track(), Status.IN_PROGRESS, T0)
    with pytest.raises(InvalidTransition):
        import_progress(moved.item, "已完成", actor=None, now=T0, seq=3)
