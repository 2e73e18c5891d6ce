"""The real bot against the emulator: ``build_app`` from bot.py, polling, its own data directory
and the shared fake clock. Tests talk to it as users of the emulator::

    async def test_open(bot: BotUnderTest) -> None:
        alice = bot.contact("HZ")
        await alice.send("/open")
        assert "未销号" in (await alice.next_reply()).text

Every test fails if the bot's error handler saw any exception (``check_clean``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from alerts import jobs as alerts_jobs
from app.clock import FakeClock
from app.services import Services
from bot import build_app
from config import Config, load_config
from handlers.errors import ERRORS_KEY
from ledger.model import Person, Role, Unit
from locales import Catalog
from sandbox.emulator import Emulator
from sandbox.ptb import polling
from sandbox.users import EmulatedUser
from storage.repo import Store

INSPECTOR_ID = 100
OTHER_INSPECTOR_ID = 101


@dataclass
class BotUnderTest:
    """A running bot: its emulator, Application, services, clock and config."""

    emulator: Emulator
    app: Application[Any, Any, Any, Any, Any, Any]
    services: Services
    clock: FakeClock
    config: Config
    _next_user_id: int = field(default=1000)

    @property
    def store(self) -> Store:
        return self.services.store

    def errors(self) -> list[BaseException]:
        return list(self.app.bot_data.get(ERRORS_KEY, []))

    def user(self, user_id: int, name: str, language_code: str = "zh-hans") -> EmulatedUser:
        return self.emulator.user(user_id, name, language_code=language_code)

    def inspector(self, user_id: int = INSPECTOR_ID) -> EmulatedUser:
        return self.user(user_id, f"巡察组{user_id}")

    def add_unit(self, code: str, name: str | None = None, round_: str = "") -> Unit:
        unit = Unit(code=code, name=name or f"{code}单位党组", round=round_)
        if self.store.registry.get_unit(code) is None:
            self.store.add_unit(unit)
        return unit

    def bind(self, user_id: int, name: str, role: Role, unit: str, language: str | None = None):
        """Bind a user directly in the registry (tests of onboarding use real invites)."""
        self.add_unit(unit)
        self.store.registry.upsert_person(
            Person(user_id=user_id, name=name, role=role, unit=unit, language=language)
        )
        return self.user(user_id, name)

    def contact(self, unit: str, user_id: int | None = None, name: str = "") -> EmulatedUser:
        uid = user_id or self._fresh_id()
        return self.bind(uid, name or f"{unit}联络员{uid}", Role.CONTACT, unit)

    def leader(self, unit: str, user_id: int | None = None, name: str = "") -> EmulatedUser:
        uid = user_id or self._fresh_id()
        return self.bind(uid, name or f"{unit}负责人{uid}", Role.LEADER, unit)

    def _fresh_id(self) -> int:
        self._next_user_id += 1
        return self._next_user_id

    def advance(self, delta: timedelta) -> datetime:
        self.clock.advance(delta)
        return self.clock.now()

    def check_clean(self) -> None:
        errors = self.errors()
        assert not errors, f"the bot's error handler saw {len(errors)} error(s): {errors!r}"


def write_config(directory: Path, inspectors: Iterable[int], extra: str = "") -> Path:
    """A config.toml for a test: its own data directory, the given inspectors, extra TOML."""
    ids = ", ".join(str(i) for i in inspectors)
    path = directory / "config.toml"
    path.write_text(f'[bot]\ndata_dir = "data"\ninspectors = [{ids}]\n{extra}', encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def running_bot(
    directory: Path,
    emulator: Emulator,
    clock: FakeClock,
    *,
    inspectors: Iterable[int] = (INSPECTOR_ID, OTHER_INSPECTOR_ID),
    config_extra: str = "",
    setup: Any = None,
) -> AsyncIterator[BotUnderTest]:
    """Start the production Application (``build_app``) against ``emulator``; stop it after.

    ``config_extra`` is TOML appended to the test's config (its ``[bot]`` table is open, so
    ``language = "en"`` lands there; start other tables explicitly). ``setup(store)`` runs on
    the opened store before the bot starts (seed data).
    """
    path = write_config(directory, inspectors, config_extra)
    env = {"TELEGRAM_API_URL": emulator.url, "TELEGRAM_BOT_TOKEN": emulator.token}
    config = load_config(path, env=env)
    store = Store.open(config.data_dir)
    try:
        if setup is not None:
            setup(store)
        services = Services.create(config, store, clock, Catalog.load())
        app = build_app(config, services)
        under_test = BotUnderTest(emulator, app, services, clock, config)
        async with polling(app, poll_timeout=1.0):
            # run_polling would call these hooks; the bare lifecycle in polling() does not.
            if app.post_init is not None:
                await app.post_init(app)
            # The start-up sweep reads the ledgers once; let it finish before the test acts,
            # so what a test sees never depends on that race.
            await alerts_jobs.wait_started(app)
            try:
                yield under_test
            finally:
                if app.post_shutdown is not None:
                    await app.post_shutdown(app)
    finally:
        store.close()


def with_config(config: Config, **bot: Any) -> Config:
    return replace(config, bot=replace(config.bot, **bot))
