"""Shared builders for the ledger unit tests: people, items driven through the workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ledger.model import Event, Item, Person, Role, Status
from ledger.rules import Rules
from ledger.workflow import Action, NewEvidence, act, create_item

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules()

INSPECTOR = Person(1, "巡察办", Role.INSPECTOR)
INSPECTOR2 = Person(2, "巡察组", Role.INSPECTOR)
CONTACT = Person(11, "联络员", Role.CONTACT, unit="HZ")
LEADER = Person(12, "书记", Role.LEADER, unit="HZ")
OTHER_CONTACT = Person(21, "别的联络员", Role.CONTACT, unit="NB")
OTHER_LEADER = Person(22, "别的书记", Role.LEADER, unit="NB")
PEOPLE = (INSPECTOR, INSPECTOR2, CONTACT, LEADER, OTHER_CONTACT, OTHER_LEADER)


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    """An aware instant in Asia/Shanghai."""
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def evidence(n: int = 1) -> NewEvidence:
    return NewEvidence(file_id=f"file-{n}", name=f"佐证{n}.pdf", size=1000 + n, sha256=f"{n:064x}")


@dataclass
class Track:
    """One item and its history, moved through the real workflow."""

    item: Item
    events: list[Event] = field(default_factory=list)

    def do(
        self, actor: Person, action: Action | str, now: datetime, rules: Rules = RULES, **kw: Any
    ) -> Event:
        item, event = act(
            self.item, actor, action, now=now, rules=rules, seq=len(self.events) + 1, **kw
        )
        self.item = item
        self.events.append(event)
        return event


def track(
    *,
    unit: str = "HZ",
    seq: int = 1,
    deadline: date | None = date(2026, 6, 30),
    long_term: bool = False,
    now: datetime | None = None,
) -> Track:
    created = now or at(2026, 5, 1)
    item, event = create_item(
        unit,
        seq,
        category="党的建设",
        problem="三会一课制度落实不到位",
        actor=INSPECTOR,
        now=created,
        rules=RULES,
        deadline=None if long_term else deadline,
        long_term=long_term,
        leader="张三",
        department="办公室",
        owner="李四",
        measures="建立台账，按月检查",
    )
    return Track(item, [event])


def drive(t: Track, status: Status, now: datetime, rules: Rules = RULES) -> Track:
    """Move ``t`` from open to ``status`` by the shortest legal path, one minute per step,
    acting as the item's own unit (HZ or NB)."""
    step = timedelta(minutes=1)
    clock = now

    def do(actor: Person, action: Action, **kw: Any) -> None:
        nonlocal clock
        t.do(actor, action, clock, rules, **kw)
        clock += step

    contact, leader = (CONTACT, LEADER) if t.item.unit == "HZ" else (OTHER_CONTACT, OTHER_LEADER)
    if status is Status.OPEN:
        return t
    if status is Status.WITHDRAWN:
        do(INSPECTOR, Action.WITHDRAW, reason="重复问题")
        return t
    do(contact, Action.PROGRESS, text="已制定方案")
    if status is Status.IN_PROGRESS:
        return t
    do(contact, Action.ADD_EVIDENCE, evidence=evidence(len(t.item.evidence) + 1))
    do(contact, Action.SUBMIT)
    if status is Status.SUBMITTED:
        return t
    if t.item.status is Status.SUBMITTED:
        do(leader, Action.ENDORSE)
    if status is Status.ENDORSED:
        return t
    do(INSPECTOR, Action.APPROVE, text="核验通过")
    assert t.item.status is status, (t.item.status, status)
    return t
