"""企业微信 / 钉钉 groups through the real bot (``build_app``), the Bot API emulator and the
local robot stubs (issue 17): a sweep with both channels delivers once to each group, a
restart resends nothing, a throttled robot gets the rest after the pause (moved clock, no
sleeping), a wrong secret is reported to inspectors in Telegram once; ``/channels`` shows the
last delivery per group and ``/channels test`` reaches every group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.channels.deliver import retry_due
from alerts.jobs import sweep_now
from alerts.log import AlertLog, State
from app.clock import FakeClock
from config import Config
from ledger.model import Person, Role, Unit
from ledger.rules import Rules
from sandbox.emulator import Emulator
from sandbox.robots import RobotStub
from sandbox.users import EmulatedUser
from storage.repo import Store
from tests.alerts.helpers import fake_pacing, new_item
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, running_bot

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID = 2001, 2002
WECOM_KEY = "wk-e2e-inspectors"
DING_TOKEN = "dt-e2e-hz"
DING_SECRET = "SECe2e0123456789"


@pytest.fixture
async def stub(emulator_clock: FakeClock) -> AsyncIterator[RobotStub]:
    robots = RobotStub(now=emulator_clock.now, monotonic=lambda: emulator_clock.now().timestamp())
    robots.wecom(WECOM_KEY)
    robots.dingtalk(DING_TOKEN, secret=DING_SECRET)
    await robots.start()
    try:
        yield robots
    finally:
        await robots.stop()


def channels_toml(tmp_path: Path, stub: RobotStub, secret: str = DING_SECRET) -> str:
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "inspectors.key").write_text(WECOM_KEY, encoding="utf-8")
    (secrets / "hz.token").write_text(DING_TOKEN, encoding="utf-8")
    (secrets / "hz.secret").write_text(secret, encoding="utf-8")
    return f"""
[channels]
bot_username = "zgt_bot"
wecom_url = "{stub.url}"
dingtalk_url = "{stub.url}"
timeout_seconds = 2
[channels.inspectors]
kind = "wecom"
name = "巡察办工作群"
key_file = "secrets/inspectors.key"
[channels.units.HZ]
kind = "dingtalk"
security = "sign"
key_file = "secrets/hz.token"
secret_file = "secrets/hz.secret"
"""


def seed(store: Store) -> str:
    """Unit HZ with a contact and a leader; HZ-001 five days overdue."""
    store.add_unit(Unit("HZ", "杭州市局党组"))
    store.registry.upsert_person(Person(CONTACT_ID, "王联络", Role.CONTACT, unit="HZ"))
    store.registry.upsert_person(Person(LEADER_ID, "李书记", Role.LEADER, unit="HZ"))
    return new_item(
        store,
        "HZ",
        now=datetime(2026, 1, 5, 9, tzinfo=TZ),
        deadline=date(2026, 2, 25),
        rules=_rules(),
    )


def _rules() -> Rules:  # the defaults: the test config changes no rule
    return Config(path=Path("config.toml")).rules


def people(emulator: Emulator) -> None:
    """Everyone has started the bot (the emulator knows their chats)."""
    for uid, name in (
        (CONTACT_ID, "王联络"),
        (LEADER_ID, "李书记"),
        (INSPECTOR_ID, "巡察组100"),
        (OTHER_INSPECTOR_ID, "巡察组101"),
    ):
        emulator.user(uid, name)


async def drain(user: EmulatedUser) -> None:
    """Skip what the bot sent before (alerts, notices)."""
    for _ in user.unread_replies():
        await user.next_reply()


def texts_to(emulator: Emulator, chat_id: int, marker: str) -> list[str]:
    return [
        c.params["text"]
        for c in emulator.calls_of("sendMessage")
        if c.ok and c.chat_id == chat_id and marker in c.params["text"]
    ]


async def test_both_groups_once_and_a_restart_resends_nothing(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, stub: RobotStub
) -> None:
    people(emulator)
    extra = channels_toml(tmp_path, stub)
    wecom, ding = stub.robots[("wecom", WECOM_KEY)], stub.robots[("dingtalk", DING_TOKEN)]
    async with running_bot(
        tmp_path, emulator, emulator_clock, config_extra=extra, setup=seed
    ) as bot:
        await fake_pacing(bot.app)
        # The start-up sweep reached both groups, once each.
        assert [len(wecom.received), len(ding.received)] == [1, 1]
        assert "HZ-001 杭州市局党组 超期 5 天" in wecom.received[0].content
        assert "HZ-001 超期 5 天" in ding.received[0].content
        for _ in range(2):
            report = await sweep_now(bot.app)
            assert report.channels == {}
        bot.check_clean()
    emulator_clock.advance(timedelta(minutes=10))
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        await fake_pacing(bot.app)
        await sweep_now(bot.app)
        assert [len(wecom.received), len(ding.received)] == [1, 1]
        records = AlertLog(bot.store.registry).snapshot()
        channel = {k: r.state for k, r in records.items() if k.startswith("channel:")}
        assert sorted(channel.values()) == [State.SENT, State.SENT]

        # /channels: the last delivery per group; /channels test reaches both.
        inspector = bot.inspector(INSPECTOR_ID)
        await drain(inspector)
        await inspector.send("/channels")
        answer = (await inspector.next_reply()).text
        assert "巡察办工作群" in answer and "杭州市局党组工作群" in answer
        assert answer.count("已送达（1 项提醒）") == 2 and "加签" in answer
        await inspector.send("/channels test")
        answer = (await inspector.next_reply()).text
        assert answer.count("✅ 已送达") == 2
        assert (
            wecom.received[-1].msgtype == "text"
            and "巡察办工作群已接通" in wecom.received[-1].content
        )
        assert "https://t.me/zgt_bot" in ding.received[-1].content
        await inspector.send("/channels")
        assert (await inspector.next_reply()).text.count("（测试消息）") == 2
        bot.check_clean()


async def test_a_throttled_robot_gets_the_rest_after_the_pause(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, stub: RobotStub
) -> None:
    ding = stub.robots[("dingtalk", DING_TOKEN)]
    people(emulator)
    ding.fill_window(emulator_clock.now().timestamp())  # the robot's minute is used up
    extra = channels_toml(tmp_path, stub)
    async with running_bot(
        tmp_path, emulator, emulator_clock, config_extra=extra, setup=seed
    ) as bot:
        await fake_pacing(bot.app)
        assert ding.received == [] and ding.answers == [130101]
        assert await retry_due(bot.app) is None  # still paused: nothing is tried
        emulator_clock.advance(timedelta(minutes=4))
        new_item(
            bot.store,
            "HZ",
            now=datetime(2026, 1, 5, 9, tzinfo=TZ),
            deadline=date(2026, 3, 1),
            rules=bot.config.rules,
        )
        await sweep_now(bot.app)
        assert ding.answers == [130101]
        emulator_clock.advance(timedelta(minutes=7))  # the ten minutes are over
        report = await retry_due(bot.app)
        assert report is not None and report.channels == {"sent": 1}
        [merged] = ding.received
        assert "HZ-001 超期 5 天" in merged.content and "HZ-002 超期 1 天" in merged.content
        assert await retry_due(bot.app) is None
        assert texts_to(bot.emulator, INSPECTOR_ID, "【群") == []  # throttling is no incident
        bot.check_clean()


async def test_a_wrong_secret_is_reported_to_inspectors_once(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, stub: RobotStub
) -> None:
    people(emulator)
    extra = channels_toml(tmp_path, stub, secret="SECwrong")
    ding = stub.robots[("dingtalk", DING_TOKEN)]
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        await fake_pacing(bot.app)
        seed(bot.store)  # the unit, its people and an overdue item, after the start
        await sweep_now(bot.app)
        for inspector in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
            [notice] = texts_to(bot.emulator, inspector, "【群机器人拒收】")
            assert "杭州市局党组工作群（钉钉）" in notice and "加签不匹配" in notice
        emulator_clock.advance(timedelta(days=1))
        await sweep_now(bot.app)
        emulator_clock.advance(timedelta(days=7))
        await sweep_now(bot.app)  # a new overdue step: tried, refused, not reported again
        assert ding.answers == [310000, 310000] and ding.received == []
        for chat in (INSPECTOR_ID, OTHER_INSPECTOR_ID):
            assert len(texts_to(bot.emulator, chat, "【群机器人拒收】")) == 1
        user = bot.inspector(INSPECTOR_ID)
        await drain(user)
        await user.send("/channels")
        answer = (await user.next_reply()).text
        assert "机器人拒收：加签不匹配" in answer and "失败" in answer
        bot.check_clean()
