"""The start-up job freezes the collector's view only for ``bot.py run`` (app.memory):
tests, which start many bots in one process, never freeze theirs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from alerts import jobs
from alerts.sweep import Runtime
from app.clock import FakeClock
from app.services import SERVICES_KEY, Services
from config import BotConfig, Config
from locales import Catalog
from storage.repo import Store
from tests.alerts.test_alerts_sweep import MONDAY


@dataclass
class _App:
    bot: Any
    bot_data: dict[str, Any] = field(default_factory=dict)


@pytest.mark.parametrize("flag", [True, False])
async def test_the_start_up_job_freezes_only_when_asked(
    flag: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(jobs, "freeze_loaded", lambda: frozen.append(True))
    store = Store.memory()
    config = Config(path=Path("config.toml"), bot=BotConfig(inspectors=(100,)))
    services = Services.create(config, store, FakeClock(MONDAY), Catalog.load())
    runtime = Runtime(freeze_after_start=flag)
    app = _App(bot=SimpleNamespace(), bot_data={SERVICES_KEY: services, jobs.RUNTIME_KEY: runtime})
    await jobs._startup(SimpleNamespace(application=app))  # type: ignore[arg-type]
    assert runtime.started.is_set()
    assert frozen == ([True] if flag else [])
