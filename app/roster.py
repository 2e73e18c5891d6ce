"""Who is who: the inspectors, the person behind a user id, who alerts go to, reachability.

Inspectors come from ``[bot] inspectors`` alone (R21): an id listed there is an inspector
whatever the registry says, and one removed there loses access even if a record remains. The
registry keeps a configured inspector's record (name, language, reachable) once there is
something to keep. A configured inspector without a record is a :class:`Person` with the name
the caller knows (their Telegram name) or ``""`` — renderers show an unnamed person by id —
and no stored name is ever made up here.

Contacts and leaders are exactly the people the registry binds to a unit (through invites).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from app.services import Services
from ledger.errors import LedgerError
from ledger.model import Person, Role
from ledger.told import Audience, Told
from ledger.told import audience as told_audience

log = logging.getLogger(__name__)

UNREACHABLE_META = "alerts.unreachable"
"""Registry meta: ``{user id: since (YYYYmmddTHHMMSS)}`` of the current unreachable episodes."""


def is_inspector(services: Services, user_id: int) -> bool:
    """Whether ``user_id`` is a configured inspector."""
    return user_id in services.config.bot.inspectors


def inspector(
    services: Services, user_id: int, name: str = "", stored: Person | None = None
) -> Person:
    """Configured inspector ``user_id`` as a person: their registry record when it is an
    inspector's, otherwise a new one named ``name`` keeping the language they chose.
    ``stored`` is their registry record when the caller has already read it."""
    if stored is None:
        stored = services.store.registry.get_person(user_id)
    if stored is not None and stored.role is Role.INSPECTOR:
        return stored
    language = stored.language if stored is not None else None
    return Person(user_id, name, Role.INSPECTOR, language=language)


def inspectors(services: Services) -> list[Person]:
    """Every configured inspector, in config order (see :func:`inspector`)."""
    stored = {p.user_id: p for p in services.store.registry.list_people(role=Role.INSPECTOR)}
    return [
        inspector(services, uid, stored=stored.get(uid)) for uid in services.config.bot.inspectors
    ]


def person_for(services: Services, user_id: int, name: str) -> Person | None:
    """The known person behind user ``user_id`` (``name``: their display name), or ``None``
    for a stranger (R21)."""
    stored = services.store.registry.get_person(user_id)
    if is_inspector(services, user_id):
        return inspector(services, user_id, name, stored)
    if stored is None or stored.role is Role.INSPECTOR:
        # Inspectors come from config alone: one removed there loses access here too.
        return None
    return stored


def name_is_current(services: Services, user_id: int, name: str) -> bool:
    """Whether :func:`remember_name` would write nothing (not an inspector, or the registry
    already holds this inspector under ``name``). A read of the registry in memory, so an
    update from an inspector whose name did not change costs no worker-thread hop."""
    return _named_inspector(services, user_id, name) is None


def remember_name(services: Services, user_id: int, name: str) -> bool:
    """Blocking: record configured inspector ``user_id`` under ``name`` (their Telegram name)
    when the registry lacks it or holds another; whether anything was written. A configured
    inspector outranks any unit binding they may once have had."""
    person = _named_inspector(services, user_id, name)
    if person is None:
        return False
    services.store.registry.upsert_person(person)
    return True


def _named_inspector(services: Services, user_id: int, name: str) -> Person | None:
    """The record :func:`remember_name` would write, or ``None`` when nothing is to change."""
    if not is_inspector(services, user_id):
        return None
    stored = services.store.registry.get_person(user_id)
    person = replace(inspector(services, user_id, name, stored), name=name)
    return None if person == stored else person


def unit_people(services: Services, unit: str, *roles: Role) -> list[Person]:
    """The unit's bound people of ``roles``, in the order of ``roles``."""
    people = services.store.registry.list_people(unit=unit)
    return [p for role in roles for p in people if p.role is role]


def audience(services: Services, told: Told, unit: str, actor: Person) -> Audience:
    """The people ``told`` names for an action on ``unit``'s item by ``actor``
    (``ledger.told.audience``): the unit's contacts and leaders, the configured inspectors."""

    def people(role: Role) -> list[Person]:
        return (
            inspectors(services) if role is Role.INSPECTOR else unit_people(services, unit, role)
        )

    return told_audience(told, actor, people)


def roster(services: Services) -> list[Person]:
    """The people alerts go to: contacts and leaders bound in the registry, and exactly the
    inspectors named in config (a stored inspector not in config receives nothing)."""
    configured = set(services.config.bot.inspectors)
    stored = services.store.registry.list_people()
    people = [p for p in stored if p.role is not Role.INSPECTOR and p.user_id not in configured]
    by_id = {p.user_id: p for p in stored}
    people += [
        inspector(services, uid, stored=by_id.get(uid)) for uid in services.config.bot.inspectors
    ]
    return people


def set_reachable(services: Services, user_id: int, reachable: bool, now: datetime) -> bool:
    """Blocking: mark person ``user_id`` (un)reachable; returns whether anything changed.

    Unreachable (``Forbidden``, a blocked bot, R12): the policy skips them and, if nobody else
    in their unit is reachable, sends their unit's alerts to inspectors; the episode is
    remembered (meta :data:`UNREACHABLE_META`: since when) so that the next notice pass tells
    inspectors once about it. Reachable again (they wrote to the bot or unblocked it): the
    episode ends, and a later one is told again. A configured inspector without a registry
    record gets one, so the flag has somewhere to live.
    """
    registry = services.store.registry
    person = registry.get_person(user_id)
    if person is None and is_inspector(services, user_id):
        person = inspector(services, user_id)
    if person is None or person.reachable == reachable:
        return False
    try:
        registry.upsert_person(replace(person, reachable=reachable))
    except LedgerError:
        log.exception(
            "could not mark person %s %s", user_id, "reachable" if reachable else "unreachable"
        )
        return False
    epochs = dict(registry.get_meta(UNREACHABLE_META, {}) or {})
    if reachable:
        epochs.pop(str(user_id), None)
        log.info("person %s is reachable again", user_id)
    else:
        epochs[str(user_id)] = now.strftime("%Y%m%dT%H%M%S")
        log.warning("person %s is unreachable (blocked or never started the bot)", user_id)
    registry.set_meta(UNREACHABLE_META, epochs)
    return True


__all__ = [
    "UNREACHABLE_META",
    "audience",
    "inspector",
    "inspectors",
    "is_inspector",
    "person_for",
    "remember_name",
    "roster",
    "set_reachable",
    "unit_people",
]
