"""handlers.identity: a configured inspector's name is written only when it changed, and an
update that changes nothing costs no worker-thread hop (issue 14: a fixed cost of every
inspector's reply)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Update, User
from telegram.ext import ContextTypes

from app.clock import FakeClock
from app.services import SERVICES_KEY, Services
from config import BotConfig, Config
from handlers.identity import remember_inspector
from ledger.model import Person, Role
from locales import Catalog
from storage.repo import Store
from tests.app.conftest import T0

INSPECTOR = 100


@pytest.fixture
def services() -> Iterator[Services]:
    store = Store.memory()
    config = Config(path=Path("config.toml"), bot=BotConfig(inspectors=(INSPECTOR,)))
    yield Services.create(config, store, FakeClock(T0), Catalog.load())
    store.close()


def update_from(user_id: int, name: str) -> Update:
    return cast(Update, SimpleNamespace(effective_user=User(user_id, name, is_bot=False)))


async def test_an_unchanged_inspector_name_is_not_written_and_not_sent_to_a_worker(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[Callable[..., Any]] = []
    run = services.store.run

    async def counting_run(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        hops.append(fn)
        return await run(fn, *args, **kwargs)

    monkeypatch.setattr(services.store, "run", counting_run)
    context = cast(ContextTypes.DEFAULT_TYPE, SimpleNamespace(bot_data={SERVICES_KEY: services}))

    await remember_inspector(update_from(INSPECTOR, "王巡察"), context)
    assert services.store.registry.get_person(INSPECTOR) == Person(
        INSPECTOR, "王巡察", Role.INSPECTOR
    )
    assert len(hops) == 1
    for _ in range(3):  # the same name again: nothing to write, no hop
        await remember_inspector(update_from(INSPECTOR, "王巡察"), context)
    await remember_inspector(update_from(555, "路人"), context)  # not an inspector
    assert len(hops) == 1
    await remember_inspector(update_from(INSPECTOR, "王巡察组"), context)  # renamed
    assert len(hops) == 2
    assert services.store.registry.get_person(INSPECTOR).name == "王巡察组"  # type: ignore[union-attr]
