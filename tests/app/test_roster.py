"""app.roster: one rule for who the inspectors are and how a configured inspector without a
record is represented (no made-up stored names), who alerts go to, reachability."""

from __future__ import annotations

from dataclasses import replace

from app import roster
from app.roster import UNREACHABLE_META
from app.services import Services
from ledger.model import Person, Role
from tests.app.conftest import CONTACT, I1, I2, LEADER, T0


def test_configured_inspectors_without_a_record_are_nameless_not_invented(
    services: Services,
) -> None:
    found = roster.inspectors(services)
    assert found == [Person(I1, "", Role.INSPECTOR), Person(I2, "", Role.INSPECTOR)]


def test_a_stored_inspector_record_is_used_and_a_chosen_language_kept(services: Services) -> None:
    services.store.registry.upsert_person(Person(I1, "巡察办", Role.INSPECTOR, language="en"))
    # I2 was once a unit's contact: config outranks that binding, but the language stays
    services.store.registry.upsert_person(Person(I2, "旧联络员", Role.CONTACT, "HZ", "en"))
    first, second = roster.inspectors(services)
    assert first == Person(I1, "巡察办", Role.INSPECTOR, language="en")
    assert second == Person(I2, "", Role.INSPECTOR, language="en")


def test_person_for_knows_inspectors_from_config_and_others_from_the_registry(
    services: Services,
) -> None:
    assert roster.person_for(services, I1, "王巡察") == Person(I1, "王巡察", Role.INSPECTOR)
    assert roster.person_for(services, CONTACT.user_id, "x") == CONTACT
    assert roster.person_for(services, 999, "stranger") is None
    # a stored inspector no longer named in config has no access
    services.store.registry.upsert_person(Person(555, "前巡察", Role.INSPECTOR))
    assert roster.person_for(services, 555, "前巡察") is None


def test_roster_is_the_bound_people_and_exactly_the_configured_inspectors(
    services: Services,
) -> None:
    services.store.registry.upsert_person(Person(555, "前巡察", Role.INSPECTOR))
    ids = [p.user_id for p in roster.roster(services)]
    assert sorted(ids) == sorted([CONTACT.user_id, LEADER.user_id, I1, I2])


def test_remember_name_writes_only_a_change(services: Services) -> None:
    assert roster.remember_name(services, I1, "王巡察")
    assert services.store.registry.get_person(I1) == Person(I1, "王巡察", Role.INSPECTOR)
    assert not roster.remember_name(services, I1, "王巡察")
    assert not roster.remember_name(services, CONTACT.user_id, "改名")  # not an inspector
    assert services.store.registry.get_person(CONTACT.user_id) == CONTACT


def test_set_reachable_records_the_episode_and_its_end(services: Services) -> None:
    assert roster.set_reachable(services, CONTACT.user_id, False, T0)
    stored = services.store.registry.get_person(CONTACT.user_id)
    assert stored == replace(CONTACT, reachable=False)
    assert str(CONTACT.user_id) in services.store.registry.get_meta(UNREACHABLE_META, {})
    assert not roster.set_reachable(services, CONTACT.user_id, False, T0)  # no change
    assert roster.set_reachable(services, CONTACT.user_id, True, T0)
    assert str(CONTACT.user_id) not in services.store.registry.get_meta(UNREACHABLE_META, {})


def test_an_unrecorded_inspector_marked_unreachable_gets_a_nameless_record(
    services: Services,
) -> None:
    assert roster.set_reachable(services, I2, False, T0)
    assert services.store.registry.get_person(I2) == Person(
        I2, "", Role.INSPECTOR, reachable=False
    )
    assert not roster.set_reachable(services, 999, False, T0)  # a stranger: nothing to mark


def test_name_is_current_says_exactly_when_remember_name_would_write(services: Services) -> None:
    assert not roster.name_is_current(services, I1, "王巡察")  # no record yet
    assert roster.remember_name(services, I1, "王巡察")
    assert roster.name_is_current(services, I1, "王巡察")
    assert not roster.name_is_current(services, I1, "王巡察组")  # renamed in Telegram
    assert roster.name_is_current(services, CONTACT.user_id, "改名")  # not an inspector
    assert roster.name_is_current(services, 999, "stranger")
