"""Per-ledger figures kept current on write (app.overview) never disagree with the one
figures function (``ledger.figures.figures``): random ledgers, random writes and random moves
of the clock, compared after every step; and a write recomputes only its own unit."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app.overview as overview
from app.clock import FakeClock
from app.services import Services
from config import BotConfig, Config
from ledger.figures import EMPTY, Figures, figures
from ledger.model import Item, ProgressNote, Status, Unit
from locales import Catalog
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 9, 30, tzinfo=TZ)
CODES = ("HZ", "NB", "JX")
CATALOG = Catalog.load()


@st.composite
def items_of(draw: st.DrawFn, unit: str, seq: int, now: datetime) -> Item:
    """One item in any status, with a deadline around ``now`` and maybe recent progress."""
    status = draw(st.sampled_from(list(Status)))
    long_term = status is Status.MONITORING or draw(st.booleans())
    created = now - timedelta(days=draw(st.integers(1, 90)), hours=draw(st.integers(0, 23)))
    deadline = None if long_term else now.date() + timedelta(draw(st.integers(-20, 12)))
    closed_at = None
    if status in (Status.CLOSED, Status.MONITORING):
        closed_at = created + (now - created) * draw(st.floats(0, 1))
    progress: tuple[ProgressNote, ...] = ()
    if draw(st.booleans()):
        at = now - timedelta(days=draw(st.integers(0, 30)), minutes=draw(st.integers(0, 1439)))
        progress = (ProgressNote(at=max(at, created), by=1, text="进展"),)
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
        progress=progress,
    )


def services_with(store: Store) -> Services:
    config = Config(path=Path("test.toml"), bot=BotConfig(inspectors=(100,)))
    return Services.create(config, store, FakeClock(NOW), CATALOG)


def check(services: Services, now: datetime) -> None:
    """Every unit's memoised figures, and their sum, equal ``figures`` of the items now."""
    tz, rules = services.config.tz, services.rules
    everything: list[Item] = []
    for code in CODES:
        items = services.store.ledger(code).items()
        everything += items
        assert overview.unit_figures(services, code, now) == figures(items, now, tz, rules)
    assert overview.total_figures(services, now) == figures(everything, now, tz, rules)
    # /units' province: every unit once, needing attention first, the total of all items
    drawn = overview.province(services, now)
    fresh = {c: figures(services.store.ledger(c).items(), now, tz, rules) for c in CODES}
    assert [u.code for u in drawn.units] == sorted(
        CODES, key=lambda c: (-fresh[c].red, -fresh[c].yellow, -fresh[c].active, c)
    )
    assert list(drawn.figures) == [fresh[u.code] for u in drawn.units]
    assert drawn.total == figures(everything, now, tz, rules)
    assert overview.province(services, now) is drawn  # nothing changed: kept


# One step of the scenario: write an item (new or replaced) or move the clock.
step = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(CODES), st.integers(1, 6)),
    st.tuples(st.just("hours"), st.integers(1, 30)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.lists(step, max_size=12))
def test_memoised_figures_equal_the_figures_function_after_writes_and_days(
    data: st.DataObject, steps: list[tuple[object, ...]]
) -> None:
    store = Store.memory()
    for code in CODES:
        store.add_unit(Unit(code, f"{code}单位"))
    services = services_with(store)
    now = NOW
    for code in CODES[:2]:  # JX starts empty
        with store.ledger(code).transaction() as tx:
            for seq in range(1, data.draw(st.integers(0, 6)) + 1):
                tx.put(data.draw(items_of(code, seq, now)))
    check(services, now)
    for move in steps:
        if move[0] == "write":
            unit, number = move[1], move[2]
            assert isinstance(unit, str) and isinstance(number, int)
            with store.ledger(unit).transaction() as tx:
                tx.put(data.draw(items_of(unit, number, now)))
        else:
            hours = move[1]
            assert isinstance(hours, int)
            now += timedelta(hours=hours)  # sometimes the same day, sometimes the next ones
        check(services, now)


def test_a_write_recomputes_only_its_own_unit_and_a_new_day_every_unit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Store.memory()
    for code in CODES:
        store.add_unit(Unit(code, f"{code}单位"))
        with store.ledger(code).transaction() as tx:
            tx.put(Item(f"{code}-001", code, "党的建设", "问题", NOW - timedelta(days=3)))
    services = services_with(store)
    counted: list[list[str]] = []
    real = overview.figures

    def counting(items: list[Item], *args: object, **kwargs: object) -> object:
        counted.append([i.unit for i in items])
        return real(items, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(overview, "figures", counting)
    first = overview.total_figures(services, NOW)
    assert len(counted) == 3
    assert overview.total_figures(services, NOW + timedelta(hours=5)) == first  # same day
    assert len(counted) == 3
    with store.ledger("NB").transaction() as tx:
        item = tx.get_item("NB-001")
        assert item is not None
        tx.put(dataclasses.replace(item, status=Status.IN_PROGRESS))
    changed = overview.total_figures(services, NOW)
    assert counted[3:] == [["NB"]]  # only the written unit
    assert changed.in_progress == first.in_progress + 1 and changed.open == first.open - 1
    overview.total_figures(services, NOW + timedelta(days=1))
    assert len(counted) == 3 + 1 + 3  # a new day: every unit


def test_figures_survive_a_reopen_of_the_data_directory(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.add_unit(Unit("HZ", "杭州"))
        with store.ledger("HZ").transaction() as tx:
            tx.put(Item("HZ-001", "HZ", "党的建设", "问题", NOW - timedelta(days=3)))
        services = services_with(store)
        before = overview.total_figures(services, NOW)
    assert before != EMPTY
    with Store.open(tmp_path) as store:
        services = services_with(store)
        assert overview.unit_figures(services, "HZ", NOW) == before
        with store.ledger("HZ").transaction() as tx:
            tx.put(Item("HZ-002", "HZ", "党的建设", "问题", NOW - timedelta(days=1)))
        assert overview.unit_figures(services, "HZ", NOW).open == before.open + 1


def test_the_province_is_redrawn_after_a_write_a_new_unit_or_a_new_day() -> None:
    store = Store.memory()
    for code in CODES:
        store.add_unit(Unit(code, f"{code}单位"))
    services = services_with(store)
    first = overview.province(services, NOW)
    assert [u.code for u in first.units] == sorted(CODES)  # all empty: by code
    assert first.derived("k", lambda p: len(p.units)) == 3
    assert first.derived("k", lambda p: -1) == 3  # computed once per state
    with store.ledger("NB").transaction() as tx:  # NB gets an overdue item: it leads
        tx.put(
            Item("NB-001", "NB", "党的建设", "问题", NOW - timedelta(days=30), deadline=NOW.date())
        )
    due_today = overview.province(services, NOW)  # due today: 🟡, not yet overdue...
    assert due_today is not first
    assert [u.code for u in due_today.units] == ["NB", "HZ", "JX"]
    assert due_today.figures[0].yellow == 1 and due_today.total.red == 0
    assert overview.province(services, NOW + timedelta(hours=3)) is due_today  # same day
    later = overview.province(services, NOW + timedelta(days=1))  # ...tomorrow it is
    assert later is not first
    assert [u.code for u in later.units] == ["NB", "HZ", "JX"]
    assert later.figures[0].red == later.total.red == 1
    with store.ledger("JX").transaction() as tx:  # JX: two overdue items outrank NB's one
        for n in (1, 2):
            tx.put(
                Item(
                    f"JX-00{n}", "JX", "党的建设", "问题", NOW - timedelta(30), deadline=NOW.date()
                )
            )
    later = overview.province(services, NOW + timedelta(days=1))
    assert [u.code for u in later.units] == ["JX", "NB", "HZ"]
    store.add_unit(Unit("AA", "新单位"))
    grown = overview.province(services, NOW + timedelta(days=1))
    assert [u.code for u in grown.units] == ["JX", "NB", "AA", "HZ"]


@given(st.lists(st.builds(Figures, *[st.integers(0, 10**6)] * len(dataclasses.fields(Figures)))))
def test_add_up_is_the_sum_of_the_figures(parts: list[Figures]) -> None:
    """The province's total (``add_up``, field by field at once) is ``sum(parts, EMPTY)``:
    the sum of the units' figures, ``EMPTY`` for none."""
    assert overview.add_up(parts) == sum(parts, EMPTY)
    assert overview.add_up(iter(parts)) == sum(parts, EMPTY)
