"""ledger.told: the one table of who is told of each action, and the audience it yields."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.access import Action
from ledger.model import Person, Role, Status
from ledger.told import NOBODY, WHO_IS_TOLD, Audience, Case, Told, audience, who_is_told

C, L, INS = Role.CONTACT, Role.LEADER, Role.INSPECTOR
CONTACT = Person(11, "联络员", C, unit="HZ")
CONTACT2 = Person(13, "联络员二", C, unit="HZ")
LEADER = Person(12, "书记", L, unit="HZ")
INSPECTOR = Person(1, "巡察办", INS)
INSPECTOR2 = Person(2, "巡察组", INS)
EVERYONE = {C: [CONTACT, CONTACT2], L: [LEADER], INS: [INSPECTOR, INSPECTOR2]}


def people_of(table: dict[Role, list[Person]]) -> Callable[[Role], list[Person]]:
    return lambda role: table.get(role, [])


@pytest.mark.parametrize(
    ("action", "actor", "after", "told"),
    [
        (Action.SUBMIT, C, Status.SUBMITTED, Told((L,), fallback=INS)),
        (Action.SUBMIT, C, Status.ENDORSED, Told((INS,))),  # endorsement switched off
        (Action.ENDORSE, L, Status.ENDORSED, Told((INS, C))),
        (Action.REJECT, INS, Status.IN_PROGRESS, Told((C, L))),
        (Action.REJECT, L, Status.IN_PROGRESS, Told((C,))),
        (Action.URGE, INS, Status.IN_PROGRESS, Told((C, L))),
        (Action.APPROVE, INS, Status.CLOSED, Told((C, L))),
        (Action.REOPEN, INS, Status.IN_PROGRESS, Told((C, L))),
        (Action.WITHDRAW, INS, Status.WITHDRAWN, Told((C, L))),
        (Action.SET_DEADLINE, INS, Status.IN_PROGRESS, Told((C, L))),
        (Action.CREATE, INS, Status.OPEN, Told((C, L))),
        (Action.PROGRESS, C, Status.IN_PROGRESS, NOBODY),
        (Action.ADD_EVIDENCE, C, Status.IN_PROGRESS, NOBODY),
    ],
)
def test_the_table_row_for_each_action(
    action: Action, actor: Role, after: Status, told: Told
) -> None:
    assert who_is_told(action, actor, after) == told


def test_every_row_names_roles_and_no_row_falls_back_to_its_own_role() -> None:
    for (action, case), told in WHO_IS_TOLD.items():
        assert isinstance(action, Action) and isinstance(case, Case)
        assert told.primary, (action, case)
        assert told.fallback not in told.primary


def test_the_actor_is_never_told_and_nobody_twice() -> None:
    found = audience(
        Told((C, L)), CONTACT, people_of({C: [CONTACT, CONTACT2], L: [LEADER, LEADER]})
    )
    assert found.primary == (CONTACT2, LEADER)
    assert found.roles == (C, L)


def test_fallback_when_the_actor_is_not_of_the_primary_roles() -> None:
    found = audience(Told((L,), fallback=INS), CONTACT, people_of(EVERYONE))
    assert found == Audience((LEADER,), (L,), (INSPECTOR, INSPECTOR2), fallback_role=L)
    # a leader urging their own contacts has nobody to fall back on
    found = audience(Told((C,), fallback=L), LEADER, people_of(EVERYONE))
    assert found.fallback == ()


def test_a_unit_with_nobody_of_the_roles_is_vacant_but_inspectors_never_are() -> None:
    assert audience(Told((C, L)), INSPECTOR, people_of({})).vacant
    assert not audience(Told((INS,)), CONTACT, people_of({})).vacant
    # the actor alone in the role: nobody else to tell, but the role is not vacant
    assert not audience(Told((L,), fallback=INS), LEADER, people_of(EVERYONE)).vacant


def test_nobody_told_is_an_empty_audience() -> None:
    assert audience(NOBODY, CONTACT, people_of(EVERYONE)) == Audience(())


def readme_table() -> dict[tuple[Action, Case], Told]:
    """The who-is-told table of README.md, read back into rows of ``WHO_IS_TOLD``."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- who-is-told table")
    end = text.index("<!-- end of the who-is-told table -->")
    roles = {"contact": C, "leader": L, "inspector": INS}
    rows: dict[tuple[Action, Case], Told] = {}
    for line in text[start:end].splitlines()[3:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        action = Action(re.findall(r"`(\w+)`", cells[0])[0])
        case = Case(re.findall(r"`(\w+)`", cells[1])[0])
        told = tuple(roles[w] for w in re.findall(r"\b(contact|leader|inspector)\b", cells[2]))
        instead = re.findall(r"\b(contact|leader|inspector)\b", cells[3])
        assert (action, case) not in rows, line
        rows[(action, case)] = Told(told, roles[instead[0]] if instead else None)
    return rows


def test_the_readme_table_is_the_code_table() -> None:
    assert readme_table() == dict(WHO_IS_TOLD)


def test_an_endorsement_tells_the_contact_and_an_urge_the_leader() -> None:
    endorsed = audience(
        who_is_told(Action.ENDORSE, L, Status.ENDORSED), LEADER, people_of(EVERYONE)
    )
    assert endorsed.primary == (INSPECTOR, INSPECTOR2, CONTACT, CONTACT2)
    urged = audience(
        who_is_told(Action.URGE, INS, Status.IN_PROGRESS), INSPECTOR, people_of(EVERYONE)
    )
    assert urged.primary == (CONTACT, CONTACT2, LEADER)
