"""Properties (hypothesis): the workflow only walks the diagram, history replays exactly, the
light is never red while waiting for review, and the alert policy is idempotent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.alerts import AlertKind, decide_alerts
from ledger.calendar import WorkCalendar
from ledger.errors import InvalidValue, LedgerError, UnknownItem
from ledger.light import light
from ledger.model import (
    Endorsement,
    Evidence,
    Item,
    Light,
    Person,
    ProgressNote,
    Role,
    Status,
    Unit,
    event_from_dict,
    make_item_id,
    to_dict,
)
from ledger.rules import Rules
from ledger.workflow import Action, NewEvidence, replay
from tests.ledger.factories import (
    CONTACT,
    INSPECTOR,
    INSPECTOR2,
    LEADER,
    OTHER_CONTACT,
    OTHER_LEADER,
    TZ,
    at,
    track,
)

S = Status
ACTIVE = {S.OPEN, S.IN_PROGRESS, S.SUBMITTED, S.ENDORSED}

# The diagram of DESIGN §3, written out independently of ledger.workflow.EDGES.
CHANGES = {
    ("progress", S.OPEN, S.IN_PROGRESS),
    ("submit", S.IN_PROGRESS, S.SUBMITTED),
    ("submit", S.IN_PROGRESS, S.ENDORSED),  # endorsement switched off
    ("endorse", S.SUBMITTED, S.ENDORSED),
    ("approve", S.ENDORSED, S.CLOSED),
    ("approve", S.ENDORSED, S.MONITORING),  # long-term
    ("reject", S.SUBMITTED, S.IN_PROGRESS),
    ("reject", S.ENDORSED, S.IN_PROGRESS),
    ("reopen", S.CLOSED, S.IN_PROGRESS),
    ("reopen", S.MONITORING, S.IN_PROGRESS),
    *(("withdraw", s, S.WITHDRAWN) for s in ACTIVE),
}
KEEPS = {
    "progress": {S.IN_PROGRESS, S.SUBMITTED, S.MONITORING},
    "add_evidence": ACTIVE | {S.MONITORING},
    "set_deadline": ACTIVE,
    "urge": ACTIVE | {S.MONITORING},
    "edit": ACTIVE | {S.MONITORING},
    # 申请延期 and its decision keep the status of an item still being worked on
    "request_extension": ACTIVE,
    "grant_extension": ACTIVE,
    "refuse_extension": ACTIVE,
}
WHO = {
    "progress": {Role.CONTACT, Role.LEADER},
    "add_evidence": {Role.CONTACT, Role.LEADER, Role.INSPECTOR},
    "submit": {Role.CONTACT, Role.LEADER},
    "endorse": {Role.LEADER},
    "approve": {Role.INSPECTOR},
    "reject": {Role.LEADER, Role.INSPECTOR},
    "reopen": {Role.INSPECTOR},
    "set_deadline": {Role.INSPECTOR},
    "urge": {Role.INSPECTOR},
    "withdraw": {Role.INSPECTOR},
    "edit": {Role.INSPECTOR},
    "request_extension": {Role.CONTACT, Role.LEADER},
    "grant_extension": {Role.INSPECTOR},
    "refuse_extension": {Role.INSPECTOR},
}
NEEDS_REASON = {"reject", "reopen", "withdraw", "set_deadline", "request_extension"}
EDITABLE = {"category", "problem", "measures", "leader", "department", "owner"}

ACTORS = [INSPECTOR, INSPECTOR2, CONTACT, LEADER, OTHER_CONTACT, OTHER_LEADER]
TEXTS = st.one_of(
    st.just("已整改"),
    st.sampled_from(["", "   ", "\n", "x" * 2001, "<b>&'\"</b>"]),
    st.text(max_size=12),
)
EVIDENCE = st.one_of(
    st.none(),
    st.builds(NewEvidence, file_id=st.just("f"), name=st.just("a.pdf"), size=st.just(1)),
    st.builds(
        NewEvidence,
        file_id=st.sampled_from(["f1", "f2", "", " "]),
        name=st.sampled_from(["a.pdf", ""]),
        size=st.integers(min_value=-1, max_value=10**6),
        sha256=st.sampled_from(["", "a" * 64, "b" * 64, "c" * 64]),
        file_unique_id=st.sampled_from(["", "u1", "u2"]),
    ),
)
# ``edit`` inputs: mostly real fields (some unchanged, some blank), sometimes a field that is
# not editable, or no mapping at all.
CHANGES_IN = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(
            ["problem", "measures", "leader", "department", "owner", "category", "status"]
        ),
        st.one_of(TEXTS, st.sampled_from(["党的建设", "其他", "不存在的类别"])),
        max_size=3,
    ),
)
DEADLINES = st.one_of(
    st.none(),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.just(datetime(2026, 9, 1, tzinfo=TZ)),  # a datetime is not a date: refused
)


def _check_event(actor: Person, before: Item, after: Item, event: Any, rules: Rules) -> None:
    action = event.action
    assert event.before == before.status and event.after == after.status
    if event.before == event.after:
        assert event.before in KEEPS.get(action, set()), (action, event.before)
    else:
        assert (action, event.before, event.after) in CHANGES, (action, event.before, event.after)
    assert actor.role in WHO[action]
    assert actor.role is Role.INSPECTOR or actor.unit == before.unit
    if action == "reject" and actor.role is Role.LEADER:
        assert event.before == S.SUBMITTED
    if action == "submit":
        assert before.evidence
        assert event.after == (S.SUBMITTED if rules.endorsement_required else S.ENDORSED)
    if action == "approve":
        assert event.after == (S.MONITORING if before.long_term else S.CLOSED)
    if action in NEEDS_REASON:
        assert event.data["reason"].strip()
    if action == "progress":
        assert event.data["text"].strip()
    if action == "request_extension":  # asked for, not yet granted: the deadline stands
        assert after.extension is not None and after.extension.seq == event.seq
        assert (after.deadline, after.long_term) == (before.deadline, before.long_term)
    if action in ("grant_extension", "refuse_extension"):  # only a pending request is decided
        assert before.extension is not None and after.extension is None
        assert event.data["request"] == before.extension.seq
    if action == "grant_extension":
        assert before.extension is not None
        assert after.deadline == before.extension.deadline
        assert after.long_term == before.extension.long_term
    elif action == "refuse_extension":
        assert (after.deadline, after.long_term) == (before.deadline, before.long_term)
    if action == "set_deadline":  # any new deadline settles a pending request
        assert after.extension is None
    if action == "edit":
        assert event.data and set(event.data) <= EDITABLE
        for name, change in event.data.items():
            assert getattr(before, name) == change["old"] != change["new"]
            assert getattr(after, name) == change["new"]
        if "category" in event.data:
            assert after.category in rules.categories
        assert after.problem.strip()
    else:  # only an edit changes the 台账 text
        assert all(getattr(before, f) == getattr(after, f) for f in EDITABLE)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(long_term=st.booleans(), data=st.data())
def test_random_actions_walk_only_the_diagram_and_replay_exactly(
    long_term: bool, data: st.DataObject
) -> None:
    t = track(long_term=long_term)
    now = at(2026, 5, 1)
    statuses = {t.item.status}
    for _ in range(data.draw(st.integers(min_value=0, max_value=30), label="steps")):
        # Mostly an action the diagram offers from here (withdraw, being terminal, only by
        # chance) by someone of the right role and unit; else anything by anyone.
        status = t.item.status
        offered = sorted(
            {a for a, b, _ in CHANGES if b == status and a != "withdraw"}
            | {a for a, froms in KEEPS.items() if status in froms}
        )
        sensible = bool(offered) and data.draw(st.integers(0, 3), label="sensible") > 0
        action = data.draw(
            st.sampled_from(offered) if sensible else st.sampled_from([*Action, "bogus"]),
            label="action",
        )
        pool = [p for p in (CONTACT, LEADER, INSPECTOR) if p.role in WHO.get(str(action), ())]
        actor = data.draw(
            st.sampled_from(pool) if sensible and pool else st.sampled_from(ACTORS), label="actor"
        )
        rules = Rules(endorsement_required=data.draw(st.booleans(), label="endorse"))
        now += timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60), label="minutes"))
        kw = {
            "text": data.draw(TEXTS, label="text"),
            "reason": data.draw(TEXTS, label="reason"),
            "deadline": data.draw(DEADLINES, label="deadline"),
            "long_term": data.draw(st.booleans(), label="long_term"),
            "evidence": data.draw(EVIDENCE, label="evidence"),
            "changes": data.draw(CHANGES_IN, label="changes"),
        }
        before = t.item
        try:
            ev = t.do(actor, action, now, rules, **kw)
        except LedgerError as exc:
            assert t.item == before  # a refusal changes nothing
            if actor.unit is not None and actor.unit != before.unit:
                assert isinstance(exc, UnknownItem)
                assert exc.params == {"item_id": before.id}
            continue
        _check_event(actor, before, t.item, ev, rules)
        statuses.add(t.item.status)
        event(f"did {ev.action}")
    for status in statuses:
        event(f"reached {status}")  # shown by --hypothesis-show-statistics
    assert [e.seq for e in t.events] == list(range(1, len(t.events) + 1))
    assert replay(t.events) == t.item
    stored = [event_from_dict(json.loads(json.dumps(to_dict(e)))) for e in t.events]
    assert replay(stored) == t.item


# --------------------------------------------------------------------------- light

INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by API
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(TZ),
)


@st.composite
def items(draw: st.DrawFn, unit: str | None = None, seq: int = 1) -> Item:
    """An item in any status with plausible dates (not necessarily reachable by workflow)."""
    unit = unit or draw(st.sampled_from(["HZ", "NB"]))
    status = draw(st.sampled_from(list(Status)))
    long_term = draw(st.booleans())
    created = draw(
        st.datetimes(
            min_value=datetime(2025, 6, 1),  # noqa: DTZ001
            max_value=datetime(2026, 12, 31),  # noqa: DTZ001
            timezones=st.just(TZ),
        )
    )

    def later() -> datetime:
        return created + timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))

    progress = tuple(ProgressNote(later(), 11, "p") for _ in range(draw(st.integers(0, 2))))
    evidence = tuple(
        Evidence(f"f{i}", "a", 1, f"{i:064x}", later(), 11) for i in range(draw(st.integers(0, 2)))
    )
    endorsement = (
        Endorsement(12, later()) if status is S.ENDORSED and draw(st.booleans()) else None
    )
    closed_at = later() if status in (S.CLOSED, S.MONITORING) else None
    return Item(
        id=make_item_id(unit, seq),
        unit=unit,
        category="其他",
        problem="p",
        created_at=created,
        deadline=None
        if long_term
        else draw(st.dates(min_value=date(2025, 9, 1), max_value=date(2027, 9, 30))),
        long_term=long_term,
        status=status,
        progress=tuple(sorted(progress, key=lambda p: p.at)),
        evidence=tuple(sorted(evidence, key=lambda e: e.at)),
        endorsement=endorsement,
        closed_at=closed_at,
    )


@settings(max_examples=300, deadline=None)
@given(item=items(), now=INSTANTS, yellow=st.integers(0, 30), stale=st.integers(1, 60))
def test_light_is_red_exactly_while_not_closed_past_the_deadline(
    item: Item, now: datetime, yellow: int, stale: int
) -> None:
    lit = light(item, now, TZ, Rules(yellow_days=yellow, stale_days=stale))
    past = item.deadline is not None and now.astimezone(TZ).date() > item.deadline
    overdue = item.status.is_active and not item.long_term and past
    assert (lit is Light.RED) == overdue
    assert (lit is Light.CLOSED) == (not item.status.is_active)


# --------------------------------------------------------------------------- alerts

CAL = WorkCalendar(TZ)
UNITS = [Unit("HZ", "杭州"), Unit("NB", "宁波")]


@st.composite
def ledgers(draw: st.DrawFn) -> list[Item]:
    n = draw(st.integers(0, 8))
    return [draw(items(seq=i + 1)) for i in range(n)]


@st.composite
def rosters(draw: st.DrawFn) -> list[Person]:
    people = [INSPECTOR, INSPECTOR2, CONTACT, LEADER, OTHER_CONTACT, OTHER_LEADER]
    chosen = draw(st.lists(st.sampled_from(people), unique=True))
    return [
        Person(p.user_id, p.name, p.role, p.unit, reachable=draw(st.booleans())) for p in chosen
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ledger=ledgers(),
    people=rosters(),
    now=INSTANTS,
    later=st.integers(0, 40 * 24 * 60),
    digests=st.sets(st.sampled_from(["daily", "weekly"])),
    with_since=st.booleans(),
)
def test_decide_alerts_is_idempotent_and_coalesced(
    ledger: list[Item],
    people: list[Person],
    now: datetime,
    later: int,
    digests: set[str],
    with_since: bool,
) -> None:
    since = {i.id: i.created_at + timedelta(days=1) for i in ledger} if with_since else None

    def sweep(at_: datetime, sent: set[str]) -> list[Any]:
        return decide_alerts(
            at_, TZ, ledger, UNITS, people, sent, Rules(), CAL, digests=digests, status_since=since
        )

    sent: set[str] = set()
    for instant in (now, now + timedelta(minutes=later)):
        out = sweep(instant, sent)
        reachable = {p.user_id for p in people if p.reachable}
        withdrawn = {i.id for i in ledger if i.status is S.WITHDRAWN}
        for o in out:
            assert o.entries and o.user_id in reachable
            # one entry per item and kind per message: catch-up is coalesced
            pairs = Counter((e.item_id, e.kind) for e in o.entries if e.item_id)
            assert max(pairs.values(), default=1) == 1
            assert not any(e.item_id in withdrawn for e in o.entries)
            assert not sent & set(o.delivery_keys)
            for e in o.entries:
                if e.kind in (AlertKind.DUE_SOON, AlertKind.OVERDUE, AlertKind.ESCALATION):
                    assert e.light is Light.RED or e.kind is AlertKind.DUE_SOON
        sent |= {k for o in out for k in o.delivery_keys}
        assert sweep(instant, sent) == []  # the same sweep again sends nothing


# --------------------------------------------------------------------------- R15

NAIVE = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))  # noqa: DTZ001


@settings(max_examples=50, deadline=None)
@given(naive=NAIVE)
def test_naive_instants_are_refused_everywhere(naive: datetime) -> None:
    t = track()
    calls = [
        lambda: light(t.item, naive, TZ, Rules()),
        lambda: decide_alerts(naive, TZ, [t.item], UNITS, [], set(), Rules(), CAL),
        lambda: t.do(CONTACT, Action.PROGRESS, naive, text="x"),
        lambda: CAL.today(naive),
    ]
    for call in calls:
        try:
            call()
        except InvalidValue as exc:
            assert exc.params.get("field") == "now"
        else:
            raise AssertionError("naive datetime accepted")
    assert t.item.status is S.OPEN and len(t.events) == 1
