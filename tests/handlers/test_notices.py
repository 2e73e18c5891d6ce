"""Chat notifications go through the alerts' Deliverer on the application's one pacer: a flood
wait Telegram imposed during a sweep holds them too (R11, R13), and each Telegram answer means
for the actor what it meant before (told, later, unreachable, not told)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from alerts.jobs import RUNTIME_KEY
from alerts.pacing import Pacer
from alerts.sweep import Runtime
from app.clock import FakeClock
from app.services import Services
from config import Config
from handlers import notices
from ledger.model import Person, Role, Unit
from locales import Catalog
from storage.repo import Store
from tests.alerts.helpers import FakeBot, FakeTime

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CONTACT = Person(11, "联络员甲", Role.CONTACT, unit="HZ")


def world() -> tuple[Services, Any, FakeBot, FakeTime]:
    store = Store.memory()
    store.add_unit(Unit("HZ", "杭州市局党组"))
    store.registry.upsert_person(CONTACT)
    services = Services.create(
        Config(path=Path("config.toml")), store, FakeClock(T0), Catalog.load()
    )
    time = FakeTime()
    bot = FakeBot(time=time)
    runtime = Runtime(pacer=Pacer(monotonic=time.monotonic, sleep=time.sleep))
    app = SimpleNamespace(bot=bot, bot_data={RUNTIME_KEY: runtime}, job_queue=None)
    return services, SimpleNamespace(application=app, bot=bot), bot, time


async def test_a_notification_waits_out_the_flood_wait_an_alert_met() -> None:
    services, context, bot, time = world()
    start = time.monotonic()
    context.application.bot_data[RUNTIME_KEY].pacer.pause(30)  # as a sweep's RetryAfter(30) does
    told = await notices.deliver(context, services, CONTACT, "通知", "HZ-001")
    assert told.outcome == notices.SENT
    assert [(chat, at - start >= 30) for chat, at in bot.attempts] == [(CONTACT.user_id, True)]


async def test_two_notifications_to_one_chat_keep_a_second_apart() -> None:
    services, context, bot, _ = world()
    await notices.deliver(context, services, CONTACT, "一", "HZ-001")
    await notices.deliver(context, services, CONTACT, "二", "HZ-001")
    (_, first), (_, second) = bot.attempts
    assert second - first >= 1.0


async def test_what_each_answer_means_for_the_actor() -> None:
    services, context, bot, _ = world()
    bot.fail[CONTACT.user_id] = [
        TimedOut(),
        NetworkError("Bad Gateway"),
        BadRequest("Bad Request: x"),
        Forbidden("Forbidden: bot was blocked by the user"),
    ]
    outcomes = [
        (await notices.deliver(context, services, CONTACT, "x", "HZ-001")).outcome
        for _ in range(4)
    ]
    assert outcomes == [notices.UNCERTAIN, notices.FAILED, notices.FAILED, notices.UNREACHABLE]
    stored = services.store.registry.get_person(CONTACT.user_id)
    assert stored is not None and not stored.reachable
