"""/units pages kept per state of the province (handlers.people.units_page, app.overview.province)
are the pages drawn from scratch: random ledgers, random writes, new units and random moves of
the clock; after each step every page in both languages is drawn on the live store (memos warm)
and again with every memo switched off, and the pages (text and keyboard) must be identical."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import User
from telegram.ext import ApplicationBuilder

import app.overview as overview
from app.clock import FakeClock
from app.overview import Province
from app.services import Services
from handlers import people
from handlers.common import Who, language_of_id
from handlers.people import draw_units_page, units_page, warm_units
from handlers.queries import ALL
from handlers.render import Page
from ledger.model import Item, Unit
from locales import Catalog, Html
from storage.repo import Ledger, Store
from tests.handlers.test_list_memo import INSPECTOR, an_item
from tests.handlers.test_list_memo import services_over as list_services_over

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 9, 30, tzinfo=TZ)
CATALOG = Catalog.load()
CODES = ("HZ", "NB", "JX", "WZ", "SX")


def services_over(store: Store, now: datetime) -> Services:
    return list_services_over(store, now, page_size=2)


def pages(services: Services) -> list[Page | None]:
    """Every page of /units (and one past the end, which shows the last) in both languages."""
    drawn: list[Page | None] = []
    user = User(INSPECTOR.user_id, INSPECTOR.name, is_bot=False)
    for lang in ("zh-CN", "en"):
        who = Who(services, user, INSPECTOR, lang)
        for page in (1, 2, 3, 4):
            drawn.append(units_page(who, (), ALL, page))
    return drawn


@contextmanager
def nothing_kept() -> Iterator[None]:
    """Every memo computes afresh: ledgers' derived values, the province (none kept, and a
    new version token on every ask) and the province's derived pages."""
    real = Ledger.derived, Ledger.version, Province.derived
    kept = overview._PROVINCES

    def derived(self: Ledger, key: Hashable, compute: Callable[[list[Item]], Any]) -> Any:
        return compute(self.items())

    def version(self: Ledger) -> object:
        return object()

    def province_derived(self: Province, key: Hashable, compute: Callable[..., Any]) -> Any:
        return compute(self)

    Ledger.derived = derived  # type: ignore[method-assign]
    Ledger.version = version  # type: ignore[method-assign]
    Province.derived = province_derived  # type: ignore[method-assign]
    overview._PROVINCES = _Forgetful()  # type: ignore[assignment]
    try:
        yield
    finally:
        Ledger.derived, Ledger.version, Province.derived = real  # type: ignore[method-assign]
        overview._PROVINCES = kept


class _Forgetful(dict[Any, Any]):
    """A province cache that keeps nothing."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


step = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(CODES), st.integers(1, 4)),
    st.tuples(st.just("unit"), st.sampled_from(("LS", "QZ")), st.just(0)),
    st.tuples(st.just("hours"), st.integers(1, 40), st.just(0)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.lists(step, max_size=8))
def test_kept_units_pages_equal_pages_drawn_from_scratch(
    data: st.DataObject, steps: list[tuple[str, Any, int]]
) -> None:
    store = Store.memory()
    for code in CODES:
        store.add_unit(Unit(code, f"{code}单位"))
    store.registry.upsert_person(INSPECTOR)
    now = NOW
    live = services_over(store, now)
    for move, what, seq in [("write", "HZ", 1), ("write", "NB", 2), *steps]:
        if move == "write":
            with store.ledger(what).transaction() as tx:
                tx.put(data.draw(an_item(what, seq, now)))
        elif move == "unit":
            if store.registry.get_unit(what) is None:
                store.add_unit(Unit(what, f"{what}单位"))
        else:
            now += timedelta(hours=what)
            live.clock = FakeClock(now)
        kept = pages(live)
        assert pages(live) == kept  # asked again: the same pages (from the memos)
        with nothing_kept():
            assert kept == pages(live)


def test_warm_units_draws_the_first_page_before_anyone_asks(monkeypatch: Any) -> None:
    """After ``warm_units`` (run once the start-up sweep has the day's figures) an inspector's
    first /units is the memo: nothing is worded then (a unit line would now fail), and the page
    is the one drawn from scratch."""
    store = Store.memory()
    for code in CODES:
        store.add_unit(Unit(code, f"{code}单位"))
    store.registry.upsert_person(INSPECTOR)
    with store.ledger("HZ").transaction() as tx:
        tx.put(item("HZ", 1))
    services = services_over(store, NOW)
    lang = language_of_id(services, INSPECTOR.user_id)
    with nothing_kept():
        expected = draw_units_page(services, lang, 1)
    warm_units(services)

    def no_wording(*args: Any) -> Html:
        raise AssertionError("a /units line was worded after the warm-up")

    monkeypatch.setattr(people, "unit_line", no_wording)
    who = Who(services, User(INSPECTOR.user_id, INSPECTOR.name, is_bot=False), INSPECTOR, lang)
    assert units_page(who, (), ALL, 1) == expected
    with store.ledger("NB").transaction() as tx:  # a write: the next /units words again
        tx.put(item("NB", 2))
    with pytest.raises(AssertionError, match="worded after the warm-up"):
        units_page(who, (), ALL, 1)


def item(unit: str, seq: int) -> Item:
    return Item(
        id=f"{unit}-{seq:03d}",
        unit=unit,
        category="党的建设",
        problem=f"问题{seq}",
        created_at=NOW - timedelta(days=9),
        deadline=NOW.date() - timedelta(days=1),
    )


def test_the_warm_up_is_a_job_that_runs_late_rather_than_never() -> None:
    """The /units warm-up is registered with /units, and like every job (R14) runs however
    late a busy start makes it, once."""
    app = ApplicationBuilder().token("123:ABC").build()  # no network until initialize()
    people.register(app)
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name("warm /units")
    assert job.job.misfire_grace_time is None
    assert job.job.coalesce is True
