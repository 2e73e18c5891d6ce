"""Services over an in-memory store with unit HZ, two configured inspectors and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.clock import FakeClock
from app.services import Services
from config import BotConfig, Config
from ledger.model import Person, Role, Unit
from locales import Catalog
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 1, 10, 0, tzinfo=TZ)
I1, I2 = 100, 101
CONTACT = Person(11, "联络员甲", Role.CONTACT, unit="HZ")
LEADER = Person(12, "书记乙", Role.LEADER, unit="HZ")


@pytest.fixture
def services() -> Iterator[Services]:
    store = Store.memory()
    store.add_unit(Unit("HZ", "杭州市局党组"))
    store.registry.upsert_person(CONTACT)
    store.registry.upsert_person(LEADER)
    config = Config(path=Path("config.toml"), bot=BotConfig(inspectors=(I1, I2)))
    yield Services.create(config, store, FakeClock(T0), Catalog.load())
    store.close()
