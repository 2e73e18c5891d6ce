"""Items for the chat tests, created and moved through the real workflow into a bot's store.

    seed_item(bot.store, "HZ", deadline=date(2026, 3, 10), now=bot.clock.now())
    seed_item(store, "HZ", status=Status.SUBMITTED, ...)   # progress + evidence + submit

Everything goes through ``ledger.workflow`` and one ledger transaction per item, so histories
are genuine (create, progress, add_evidence, submit, endorse, approve …).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ledger.model import Item, Person, Role, Status
from ledger.rules import Rules
from ledger.workflow import Action, NewEvidence, act, create_item
from storage.repo import Store

RULES = Rules()
SEED_INSPECTOR = Person(100, "巡察组100", Role.INSPECTOR)

# The steps that bring a new item to each status (actors: the unit's contact/leader, an
# inspector). Withdrawn and monitoring have their own paths below.
_PATHS: dict[Status, tuple[Action, ...]] = {
    Status.OPEN: (),
    Status.IN_PROGRESS: (Action.PROGRESS,),
    Status.SUBMITTED: (Action.PROGRESS, Action.ADD_EVIDENCE, Action.SUBMIT),
    Status.ENDORSED: (Action.PROGRESS, Action.ADD_EVIDENCE, Action.SUBMIT, Action.ENDORSE),
    Status.CLOSED: (
        Action.PROGRESS,
        Action.ADD_EVIDENCE,
        Action.SUBMIT,
        Action.ENDORSE,
        Action.APPROVE,
    ),
    Status.WITHDRAWN: (Action.WITHDRAW,),
}


def seed_item(
    store: Store,
    unit: str,
    *,
    now: datetime,
    deadline: date | None = None,
    long_term: bool = False,
    status: Status = Status.OPEN,
    problem: str = "“三会一课”制度落实不到位",
    measures: str = "建立台账，按月检查",
    leader: str = "张三",
    department: str = "办公室",
    owner: str = "李四",
    category: str = "党的建设",
    progress_text: str = "已召开专题会议研究整改",
    created: datetime | None = None,
) -> Item:
    """Create one item in ``unit`` (which must exist) and move it to ``status``."""
    contact = Person(9_000_001, "联络员", Role.CONTACT, unit=unit)
    leader_person = Person(9_000_002, "书记", Role.LEADER, unit=unit)
    start = created or now - timedelta(days=2)
    ledger = store.ledger(unit)
    with ledger.transaction() as tx:
        item, event = create_item(
            unit,
            tx.new_item_seq(),
            category=category,
            problem=problem,
            actor=SEED_INSPECTOR,
            now=start,
            rules=RULES,
            deadline=None if long_term else (deadline or date(2026, 12, 31)),
            long_term=long_term,
            leader=leader,
            department=department,
            owner=owner,
            measures=measures,
        )
        tx.put(item)
        tx.append(event)
        at = start
        for step in _PATHS[status]:
            at = at + timedelta(minutes=10)
            actor = {
                Action.ENDORSE: leader_person,
                Action.APPROVE: SEED_INSPECTOR,
                Action.WITHDRAW: SEED_INSPECTOR,
            }.get(step, contact)
            item, event = act(
                item,
                actor,
                step,
                now=at,
                rules=RULES,
                seq=tx.next_event_seq(item.id),
                text=progress_text,
                reason="合并到其他事项",
                evidence=NewEvidence(
                    file_id=f"file-{item.id}", name="会议记录.pdf", size=1000, sha256="ab" * 32
                ),
            )
            tx.put(item)
            tx.append(event)
    return item


def seed_many(
    store: Store, unit: str, count: int, *, now: datetime, problem: str = "问题"
) -> list[Item]:
    """``count`` open items with deadlines one day apart, starting tomorrow."""
    return [
        seed_item(
            store,
            unit,
            now=now,
            deadline=(now + timedelta(days=1 + i)).date(),
            problem=f"{problem}{i + 1}",
        )
        for i in range(count)
    ]


INVITE_LINK = re.compile(r"https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)")


def invite_code(text: str) -> str:
    """The invite code in an /invite answer (from its deep link)."""
    found = INVITE_LINK.search(text)
    assert found is not None, text
    return found.group(2)
