"""The sandbox's demo ledger: every status and light at any "now", real histories, real files."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from ledger.calendar import add_months, local_date
from ledger.light import light
from ledger.model import Light, Role, Status
from ledger.rules import Rules
from ledger.workflow import SYSTEM_ACTOR_ID, replay, status_since
from sandbox.demo import DEMO_INSPECTOR, DEMO_UNITS, SeedResult, seed
from sandbox.emulator import Emulator
from sandbox.session import restore_files
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
NOWS = (
    datetime(2026, 3, 2, 9, 0, tzinfo=TZ),  # the e2e epoch, a Monday morning
    datetime(2031, 7, 15, 0, 10, tzinfo=TZ),  # past midnight, beyond chinese-calendar's years
)
CUSTOM = Rules(
    yellow_days=10,
    stale_days=30,
    review_days=5,
    lookback_months=12,
    endorsement_required=False,
    categories=("党的领导", "党的建设", "其他"),
)


def seeded(tmp_path: Path, now: datetime, rules: Rules) -> tuple[Store, SeedResult]:
    store = Store.open(tmp_path / "data")
    return store, seed(store, now=now, rules=rules, tz=TZ, inspector=DEMO_INSPECTOR)


def lights(store: Store, now: datetime, rules: Rules) -> dict[str, tuple[Status, Light]]:
    found = {}
    for ledger in store.ledgers():
        for item in ledger.items():
            since = status_since(ledger.events(item.id))
            found[item.id] = (item.status, light(item, now, TZ, rules, status_since=since))
    return found


@pytest.mark.parametrize("now", NOWS, ids=["2026", "2031"])
@pytest.mark.parametrize("rules", [Rules(), CUSTOM], ids=["defaults", "custom"])
def test_every_item_shows_its_planned_status_and_light(
    tmp_path: Path, now: datetime, rules: Rules
) -> None:
    store, result = seeded(tmp_path, now, rules)
    with store:
        shown = lights(store, now, rules)
        planned = {i: (plan.status, plan.light) for i, (_, plan) in result.items.items()}
        assert shown == planned
        statuses = {status for status, _ in shown.values()}
        expected = set(Status) - ({Status.SUBMITTED} if not rules.endorsement_required else set())
        assert statuses == expected
        for unit in DEMO_UNITS:
            mine = [lit for item_id, (_, lit) in shown.items() if item_id.startswith(unit.code)]
            assert 8 <= len(mine) <= 12, unit.code
            assert set(mine) == set(Light), unit.code  # red, yellow, green and closed in each


def test_the_default_demo_in_figures(tmp_path: Path) -> None:
    store, result = seeded(tmp_path, NOWS[0], Rules())
    with store:
        assert [u.code for u in result.units] == ["HZ", "NB", "WZ", "JH"]
        assert len(result.items) == 41
        assert result.by_light == Counter(
            {Light.RED: 8, Light.YELLOW: 6, Light.GREEN: 16, Light.CLOSED: 11}
        )
        assert result.by_status == Counter(
            {
                Status.OPEN: 6,
                Status.IN_PROGRESS: 18,
                Status.SUBMITTED: 4,
                Status.ENDORSED: 2,
                Status.CLOSED: 6,
                Status.MONITORING: 3,
                Status.WITHDRAWN: 2,
            }
        )
        # Both reasons for yellow are there (due soon, stale), and an item waiting for review
        # past its date, which is red: overdue until closed.
        names = Counter(name for name, _ in result.items.values())
        assert {"due_soon_open", "stale", "submitted_waiting"} <= set(names)


@pytest.mark.parametrize("rules", [Rules(), CUSTOM], ids=["defaults", "custom"])
def test_histories_are_real_and_in_the_past(tmp_path: Path, rules: Rules) -> None:
    now = NOWS[1]
    store, _ = seeded(tmp_path, now, rules)
    assert store.layout is not None
    root = store.layout.root
    with store:
        for ledger in store.ledgers():
            for item in ledger.items():
                events = ledger.events(item.id)
                assert replay(events) == item
                moments = [e.at for e in events]
                assert moments == sorted(moments) and len(set(moments)) == len(moments)
                assert moments[-1] <= now
                assert events[0].by == DEMO_INSPECTOR.user_id != SYSTEM_ACTOR_ID
                assert item.category in rules.categories
                assert item.problem and item.measures and item.owner and item.department
                for evidence in item.evidence:
                    content = (root / evidence.stored_path).read_bytes()
                    assert content.startswith(b"%PDF-1.4") and content.endswith(b"%%EOF\n")
                    assert hashlib.sha256(content).hexdigest() == evidence.sha256
                    assert evidence.size == len(content)


def test_look_back_comes_due_in_two_days(tmp_path: Path) -> None:
    now = NOWS[0]
    rules = Rules()
    store, result = seeded(tmp_path, now, rules)
    with store:
        due = [i for i, (name, _) in result.items.items() if name == "lookback_due"]
        assert len(due) == 2
        for item_id in due:
            item = store.ledger(item_id[:2]).get_item(item_id)
            assert item is not None and item.closed_at is not None
            look_back = add_months(local_date(item.closed_at, TZ), rules.lookback_months)
            assert look_back == local_date(now, TZ) + timedelta(days=2)


def test_people_are_bound_to_their_units(tmp_path: Path) -> None:
    store, _ = seeded(tmp_path, NOWS[0], Rules())
    with store:
        people = store.registry.list_people()
        assert len(people) == 2 * len(DEMO_UNITS)
        by_unit = {(p.unit, p.role) for p in people}
        for unit in DEMO_UNITS:
            assert {(unit.code, Role.CONTACT), (unit.code, Role.LEADER)} <= by_unit
        assert DEMO_INSPECTOR.user_id not in {p.user_id for p in people}


def test_seeds_only_an_empty_store(tmp_path: Path) -> None:
    store, _ = seeded(tmp_path, NOWS[0], Rules())
    with store, pytest.raises(ValueError, match="empty store"):
        seed(store, now=NOWS[0], rules=Rules(), tz=TZ, inspector=DEMO_INSPECTOR)


def test_in_memory_store_gets_no_files() -> None:
    with Store.memory() as store:
        seed(store, now=NOWS[0], rules=Rules(), tz=TZ, inspector=DEMO_INSPECTOR)
        files = [e for ledger in store.ledgers() for i in ledger.items() for e in i.evidence]
        assert files and all(e.stored_path == "" for e in files)


async def test_the_bot_can_send_seeded_evidence_again(tmp_path: Path, emulator: Emulator) -> None:
    """A fresh emulator learns the seeded files under their ids, as Telegram keeps files."""
    store, _ = seeded(tmp_path, NOWS[0], Rules())
    with store:
        evidence = [e for ledger in store.ledgers() for i in ledger.items() for e in i.evidence]
        assert restore_files(emulator, store) == len(evidence)
        reader = emulator.user(20_101, "陈晓燕")
        async with Bot(
            emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
        ) as bot:
            await bot.send_document(reader.id, evidence[0].file_id, caption="佐证")
        received = await reader.next_reply()
        assert received.document is not None
        assert received.document.name == evidence[0].name
        assert (
            received.document.content == (tmp_path / "data" / evidence[0].stored_path).read_bytes()
        )
