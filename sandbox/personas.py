"""Who the console speaks as: the demo's (or the config's) inspectors and each unit's bound
contacts and leaders, found by what is typed after ``/as``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.model import Person, Role
from sandbox.demo import DEMO_INSPECTOR
from sandbox.words import Words

__all__ = ["NoPersona", "Persona", "find_persona", "personas_of"]


@dataclass(frozen=True)
class Persona:
    """Someone the console can speak as. ``role`` is ``None`` for a stranger (any user id the
    bot does not know); ``how`` is what to type after ``/as``."""

    user_id: int
    name: str
    role: Role | None
    unit: str | None = None

    @property
    def how(self) -> str:
        if self.role is Role.INSPECTOR:
            return "inspector"
        if self.role is not None and self.unit:
            return f"{self.unit} {self.role}"
        return str(self.user_id)


def personas_of(bound: Sequence[Person], inspectors: Sequence[int], words: Words) -> list[Persona]:
    """Inspectors first (the config's, else the demo's), then each unit's contacts and leaders
    among the people ``bound`` in the registry."""
    people = [
        Persona(
            uid, DEMO_INSPECTOR.name if n == 0 else words("inspector_name", id=uid), Role.INSPECTOR
        )
        for n, uid in enumerate(inspectors)
    ]
    order = {Role.CONTACT: 0, Role.LEADER: 1}
    for person in sorted(
        (p for p in bound if p.role in order),
        key=lambda p: (p.unit or "", order[p.role], p.user_id),
    ):
        people.append(Persona(person.user_id, person.name, person.role, person.unit))
    return people


class NoPersona(Exception):
    """``/as`` named nobody; ``key`` (``sandbox.<key>``) and ``params`` word the reason."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def find_persona(
    arg: str, personas: Sequence[Persona], units: Sequence[str], role_words: Mapping[str, Role]
) -> Persona:
    """The persona ``/as ARG`` names: ``inspector``, ``<UNIT> contact``, ``<UNIT> leader``
    (either order, any case, or any word of ``role_words``: 巡察组, 联络员, 负责人 …), or a
    user id. An id nobody holds is a stranger the bot does not know — worth trying too.
    Raises :class:`NoPersona`."""
    words = arg.split()
    if len(words) == 1 and words[0].isdigit() and int(words[0]) > 0:
        uid = int(words[0])
        return next((p for p in personas if p.user_id == uid), Persona(uid, "", None))
    roles = [role_words[w.lower()] for w in words if w.lower() in role_words]
    others = [w for w in words if w.lower() not in role_words]
    if len(roles) != 1 or len(others) != (0 if roles[0] is Role.INSPECTOR else 1):
        raise NoPersona("unknown_persona", arg=arg)
    role = roles[0]
    unit = others[0].upper() if others else None
    if unit is not None and unit not in units:
        raise NoPersona("unknown_unit", unit=unit, units=" ".join(units))
    found = next((p for p in personas if p.role is role and p.unit == unit), None)
    if found is None:
        raise NoPersona("no_person", unit=unit or "", role=role)
    return found
