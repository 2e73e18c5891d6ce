"""Lists kept per ledger state and day (handlers.queries.ledger_views / list_lines) are the
lists drawn from scratch: random ledgers, random writes (with history) and random moves of the
clock; after each step every list of a contact and of an inspector is drawn on the live store
(memo warm) and again with the memo switched off, and the pages must be identical."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import User

from app.clock import FakeClock
from app.services import Services
from config import BotConfig, Config, WorkflowConfig
from handlers.common import Who
from handlers.queries import ALL, ListSpec, draw_list
from ledger.model import Event, Item, Person, ProgressNote, Role, Status, Unit
from locales import Catalog
from storage.repo import Ledger, Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 9, 30, tzinfo=TZ)
CATALOG = Catalog.load()
UNITS = (Unit("HZ", "杭州"), Unit("NB", "宁波"))
INSPECTOR = Person(100, "巡察组", Role.INSPECTOR)
CONTACT = Person(200, "联络员", Role.CONTACT, unit="HZ")
KINDS = ("open", "overdue", "sign", "verify")


@st.composite
def an_item(draw: st.DrawFn, unit: str, seq: int, now: datetime) -> Item:
    status = draw(st.sampled_from(list(Status)))
    long_term = status is Status.MONITORING or draw(st.booleans())
    created = now - timedelta(days=draw(st.integers(1, 60)))
    deadline = None if long_term else now.date() + timedelta(draw(st.integers(-10, 10)))
    closed_at = created if status in (Status.CLOSED, Status.MONITORING) else None
    return Item(
        id=f"{unit}-{seq:03d}",
        unit=unit,
        category="党的建设",
        problem=f"问题{seq}",
        created_at=created,
        deadline=deadline,
        long_term=long_term,
        status=status,
        closed_at=closed_at,
    )


def services_over(store: Store, now: datetime, page_size: int = 3) -> Services:
    config = Config(
        path=Path("t.toml"),
        bot=BotConfig(inspectors=(INSPECTOR.user_id,)),
        workflow=WorkflowConfig(page_size=page_size),
    )
    return Services.create(config, store, FakeClock(now), CATALOG)


def from_scratch(services: Services) -> list[object]:
    """:func:`pages` with ``Ledger.derived`` computing every time (nothing kept)."""
    real = Ledger.derived

    def always(self: Ledger, key: Hashable, compute: Callable[[list[Item]], Any]) -> Any:
        return compute(self.items())

    Ledger.derived = always  # type: ignore[method-assign]
    try:
        return pages(services)
    finally:
        Ledger.derived = real  # type: ignore[method-assign]


def pages(services: Services) -> list[object]:
    drawn: list[object] = []
    for person, scope in ((CONTACT, "HZ"), (INSPECTOR, ALL), (INSPECTOR, "NB")):
        for lang in ("zh-CN", "en"):
            who = Who(services, User(person.user_id, person.name, is_bot=False), person, lang)
            for kind in (*KINDS, "unit") if scope != ALL else KINDS:
                for page in (1, 2):
                    drawn.append(draw_list(who, ListSpec(kind, scope), page))
    return drawn


step = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(["HZ", "NB"]), st.integers(1, 5)),
    st.tuples(st.just("progress"), st.sampled_from(["HZ", "NB"]), st.integers(1, 5)),
    st.tuples(st.just("hours"), st.integers(1, 40)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.lists(step, max_size=8))
def test_kept_lists_equal_lists_drawn_from_scratch(
    data: st.DataObject, steps: list[tuple[object, ...]]
) -> None:
    store = Store.memory()
    for unit in UNITS:
        store.add_unit(unit)
    for person in (INSPECTOR, CONTACT):
        store.registry.upsert_person(person)
    now = NOW
    live = services_over(store, now)
    for move in [("write", "HZ", 1), ("write", "NB", 2), *steps]:
        if move[0] in ("write", "progress"):
            code, seq = move[1], move[2]
            assert isinstance(code, str) and isinstance(seq, int)
            item_id = f"{code}-{seq:03d}"
            with store.ledger(code).transaction() as tx:
                old = tx.get_item(item_id)
                if move[0] == "write" or old is None:
                    item = data.draw(an_item(code, seq, now))
                else:  # a progress note: new activity and a history entry
                    note = ProgressNote(at=now, by=CONTACT.user_id, text="进展")
                    item = dataclasses.replace(old, progress=(*old.progress, note))
                seq_no = tx.next_event_seq(item_id)
                tx.put(item)
                tx.append(
                    Event(item_id, seq_no, now, CONTACT.user_id, "progress", None, item.status)
                )
        else:
            hours = move[1]
            assert isinstance(hours, int)
            now += timedelta(hours=hours)
            live.clock = FakeClock(now)
        assert pages(live) == from_scratch(live)
