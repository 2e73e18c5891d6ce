"""The group-robot pass of a sweep against the local robot stubs (sandbox/robots.py): once per
group through the alert log, nothing resent after a restart, throttling paused and merged
after the pause, refusals and timeouts reported to inspectors in Telegram once (issue 17).

Real HTTP to the stub on 127.0.0.1; the bot clock (FakeClock) drives the 加签 timestamps, the
stub's windows and the recorded pause: moved, never slept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from alerts.channels.deliver import ROBOT_LIMITS, ChannelPass, status
from alerts.channels.keys import BROKEN_META, PAUSED_META
from alerts.channels.robots import Answer, Message, Reply, Robot
from alerts.log import AlertLog, State
from alerts.pacing import Pacer
from alerts.summary import summary
from alerts.sweep import ChannelHook, Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from config import AlertConfig, BotConfig, ChannelConfig, ChannelsConfig, Config
from ledger.model import Person, Role, Unit
from locales import Catalog, to_plain
from sandbox.robots import RobotStub, StubRobot
from storage.repo import Store
from tests.alerts.helpers import Crash, FakeBot, FakeTime, new_item

TZ = ZoneInfo("Asia/Shanghai")
CONTACT = Person(11, "王联络", Role.CONTACT, unit="HZ")
LEADER = Person(12, "李书记", Role.LEADER, unit="HZ")
I1, I2 = 100, 101
WECOM_KEY = "wk-inspectors-0001"
DING_TOKEN = "dt-hz-0002"
DING_SECRET = "SECtest0123456789abcdef"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


@dataclass
class World:
    store: Store
    services: Services
    clock: FakeClock
    bot: FakeBot
    stub: RobotStub
    wecom: StubRobot
    ding: StubRobot

    def sweeper(self) -> Sweeper:
        """A sweeper as a freshly started bot has one (its own runtime and channel pass)."""
        time = FakeTime()
        channels = ChannelPass(
            self.services, pacer=Pacer(monotonic=time.monotonic, sleep=time.sleep)
        )
        runtime = Runtime(pacer=Pacer(monotonic=time.monotonic, sleep=time.sleep))
        runtime.channels = channels
        return Sweeper(self.services, self.bot, runtime)

    def states(self, prefix: str = "channel:") -> dict[str, str]:
        records = AlertLog(self.store.registry).snapshot()
        return {k: r.state for k, r in records.items() if k.startswith(prefix)}

    def notices(self, chat_id: int) -> list[str]:
        return [s.text for s in self.bot.to(chat_id) if "群" in s.text.split("】")[0]]


def channels_config(
    url: str, *, secret: str = DING_SECRET, keyword: str | None = None
) -> ChannelsConfig:
    ding = (
        ChannelConfig("unit:HZ", "dingtalk", DING_TOKEN, unit="HZ", security="sign", secret=secret)
        if keyword is None
        else ChannelConfig(
            "unit:HZ", "dingtalk", DING_TOKEN, unit="HZ", security="keyword", keyword=keyword
        )
    )
    return ChannelsConfig(
        channels=(
            ChannelConfig("inspectors", "wecom", WECOM_KEY, label="巡察办工作群"),
            ding,
        ),
        bot_username="zgt_bot",
        wecom_url=url,
        dingtalk_url=url,
        timeout_seconds=0.5,
    )


async def make_world(
    tmp_path: Path, *, secret: str = DING_SECRET, keyword: str | None = None
) -> World:
    clock = FakeClock(MONDAY)
    stub = RobotStub(now=clock.now, monotonic=lambda: clock.now().timestamp())
    wecom = stub.wecom(WECOM_KEY)
    ding = stub.dingtalk(
        DING_TOKEN, secret=DING_SECRET if keyword is None else None, keyword=keyword
    )
    await stub.start()
    store = Store.memory()
    store.add_unit(Unit("HZ", "杭州市局党组"))
    for person in (CONTACT, LEADER):
        store.registry.upsert_person(person)
    config = Config(
        path=tmp_path / "config.toml",
        bot=BotConfig(inspectors=(I1, I2)),
        alerts=AlertConfig(quiet=True),
        channels=channels_config(stub.url, secret=secret, keyword=keyword),
    )
    services = Services.create(config, store, clock, Catalog.load())
    return World(store, services, clock, FakeBot(time=FakeTime()), stub, wecom, ding)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(tmp_path)
    try:
        yield w
    finally:
        await w.stub.stop()


def overdue_item(w: World, deadline: date = date(2026, 2, 25), leader: str = "张副局长") -> str:
    item_id = new_item(
        w.store,
        "HZ",
        now=datetime(2026, 1, 5, 9, tzinfo=TZ),
        deadline=deadline,
        rules=w.services.config.rules,
    )
    with w.store.ledger("HZ").transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None
        from dataclasses import replace

        tx.put(replace(item, leader=leader))
    return item_id


# --------------------------------------------------------------------------- exactly once


async def test_a_sweep_delivers_once_to_each_group_and_a_restart_resends_nothing(
    world: World,
) -> None:
    item = overdue_item(world)
    report = await world.sweeper().tick(force=True)
    assert report is not None and report.channels == {"sent": 2}
    [inspectors] = world.wecom.received
    [unit] = world.ding.received
    assert inspectors.msgtype == "markdown" and unit.msgtype == "markdown"
    # The inspectors' group hears the escalation; the unit's group the overdue alert.
    assert (
        "【超期升级 · 提醒】" in inspectors.content
        and f"{item} 杭州市局党组 超期 5 天" in inspectors.content
    )
    assert "【超期预警】" in unit.content and f"{item} 超期 5 天" in unit.content
    assert "责任领导：张副局长" in unit.content and "三会一课" not in unit.content
    assert "[在 Telegram 中打开整改通](https://t.me/zgt_bot)" in unit.content
    assert world.states() == {
        f"channel:inspectors|{item}:escalation:2026-02-25:1": State.SENT,
        f"channel:unit:HZ|{item}:overdue:2026-02-25:0": State.SENT,
    }
    # Same instant, then a restarted bot (new sweeper, new channel pass), then the next day.
    await world.sweeper().tick(force=True)
    world.clock.advance(timedelta(minutes=3))
    await world.sweeper().tick(trigger="startup", force=True)
    world.clock.advance(timedelta(days=1))
    await world.sweeper().tick(force=True)
    # The next day only brings Monday's 日报, which the moved clock skipped: sent late to
    # the inspectors' group, for Monday; nothing is sent twice.
    assert len(world.ding.received) == 1 and world.ding.answers == [0]
    assert len(world.wecom.received) == 2 and world.wecom.answers == [0, 0]
    assert "日报" in world.wecom.received[1].content
    # Telegram got its own alerts, unchanged by the groups (and the inspector Monday's 日报).
    assert len(world.bot.to(CONTACT.user_id)) == 1
    assert [s.text.startswith("【日报】") for s in world.bot.to(I1)] == [False, True]


async def test_one_message_per_group_per_sweep_holds_every_item_within_the_byte_limit(
    world: World,
) -> None:
    ids = [overdue_item(world, leader="欧阳" + "长" * (n % 7) + "名领导") for n in range(160)]
    await world.sweeper().tick(force=True)
    [inspectors] = world.wecom.received
    [unit] = world.ding.received
    assert len(inspectors.content.encode()) <= 4096  # the stub refuses anything longer
    assert ids[0] in inspectors.content and ids[-1] not in inspectors.content
    assert re.search(r"……另有 \d+ 项未列出", inspectors.content)
    assert "本次提醒 160 项" in inspectors.content
    assert len(world.states()) == 2 * 160  # every entry recorded sent with the message
    assert set(world.states().values()) == {State.SENT}
    assert "本次提醒 160 项" in unit.content


# --------------------------------------------------------------------------- failures


async def test_a_throttled_robot_gets_the_rest_after_the_pause_merged(world: World) -> None:
    first = overdue_item(world)
    world.ding.fill_window(world.clock.now().timestamp())  # another sender used it this minute
    report = await world.sweeper().tick(force=True)
    assert report is not None and report.channels == {"sent": 1, "throttled": 1}
    assert world.ding.received == [] and world.ding.answers == [130101]
    key = f"channel:unit:HZ|{first}:overdue:2026-02-25:0"
    assert world.states()[key] == State.PENDING
    paused = world.store.registry.get_meta(PAUSED_META)
    assert paused == {"unit:HZ": "2026-03-02T09:10:00+08:00"}  # DingTalk's ten minutes
    assert world.notices(I1) == []  # throttling is handled, not reported
    overview = to_plain(summary(world.sweeper(), "zh-CN"))  # what /alerts shows
    assert "群机器人（企业微信 / 钉钉）：已送达 1 个群、限流 1 个群（暂停后合并补发）" in overview

    # Five minutes later a new item falls due; the robot is still paused: nothing is tried.
    world.clock.advance(timedelta(minutes=5))
    second = overdue_item(world, deadline=date(2026, 3, 1))
    report = await world.sweeper().tick(force=True)
    assert report is not None and report.channels.get("paused") == 1
    assert world.ding.answers == [130101]

    # After the pause: one message with both items, each recorded once.
    world.clock.advance(timedelta(minutes=6))
    await world.sweeper().tick(force=True)
    [merged] = world.ding.received
    assert first in merged.content and second in merged.content
    assert world.states()[key] == State.SENT
    assert world.store.registry.get_meta(PAUSED_META) == {}
    await world.sweeper().tick(force=True)
    assert len(world.ding.received) == 1


async def test_a_wrong_secret_is_recorded_and_reported_once_never_retried(tmp_path: Path) -> None:
    world = await make_world(tmp_path, secret="SECwrong")
    try:
        item = overdue_item(world)
        report = await world.sweeper().tick(force=True)
        assert report is not None and report.channels == {"sent": 1, "refused": 1}
        key = f"channel:unit:HZ|{item}:overdue:2026-02-25:0"
        record = world.store.registry.get_alert(key)
        assert record is not None and record.state == State.FAILED
        assert record.data["errcode"] == 310000 and "sign not match" in record.data["error"]
        for inspector in (I1, I2):
            [notice] = world.notices(inspector)
            assert notice.startswith("【群机器人拒收】")
            assert "杭州市局党组工作群（钉钉）" in notice and "加签不匹配" in notice
        assert world.store.registry.get_meta(BROKEN_META)["unit:HZ"]["errcode"] == 310000
        # Later sweeps: the failed entry is never retried; a new entry is tried once more,
        # refused the same way, and not reported again.
        world.clock.advance(timedelta(days=3))
        overdue_item(world, deadline=date(2026, 3, 4))
        await world.sweeper().tick(force=True)
        assert world.ding.answers == [310000, 310000]
        assert len(world.notices(I1)) == 1 and len(world.notices(I2)) == 1
        assert world.ding.received == []
    finally:
        await world.stub.stop()


async def test_a_timeout_after_the_robot_accepted_is_uncertain_reported_and_never_resent(
    world: World,
) -> None:
    item = overdue_item(world)
    world.wecom.stall_next()
    report = await world.sweeper().tick(force=True)
    assert report is not None and report.channels == {"sent": 1, "uncertain": 1}
    assert len(world.wecom.received) == 1  # it did arrive
    key = f"channel:inspectors|{item}:escalation:2026-02-25:1"
    assert world.states()[key] == State.UNCERTAIN
    [notice] = world.notices(I1)
    assert notice.startswith("【群消息状态不明】") and "巡察办工作群（企业微信）" in notice
    for _ in range(2):
        world.clock.advance(timedelta(hours=1))
        await world.sweeper().tick(force=True)
    assert len(world.wecom.received) == 1 and len(world.notices(I1)) == 1
    # The Telegram uncertain notice does not list group records (they have their own).
    assert not [t for t in (s.text for s in world.bot.to(I1)) if "发送状态不明" in t]


async def test_keyword_mode_messages_carry_the_keyword(tmp_path: Path) -> None:
    world = await make_world(tmp_path, keyword="督办")
    try:
        overdue_item(world)
        report = await world.sweeper().tick(force=True)
        assert report is not None and report.channels == {"sent": 2}
        [unit] = world.ding.received
        assert unit.content.rstrip().endswith("督办")
    finally:
        await world.stub.stop()


async def test_digests_reach_the_groups_with_the_telegram_digests(world: World) -> None:
    sweeper = world.sweeper()
    assert await sweeper.tick() is not None  # the first sweep ever: digests count as served
    overdue_item(world)
    world.clock.set(datetime(2026, 3, 6, 17, 30, tzinfo=TZ))  # Friday: daily and weekly
    report = await sweeper.tick()
    assert report is not None and report.digests == ["daily", "weekly"]
    daily = [r.content for r in world.wecom.received if "【日报 · 3月6日】" in r.content]
    weekly = [
        r.content
        for r in world.ding.received
        if "【周报 · 杭州市局党组 · 2026 年第 10 周】" in r.content
    ]
    assert len(daily) == 1 and "HZ 杭州市局党组：超期 1" in daily[0]
    assert len(weekly) == 1 and "超期 1 项：HZ-001" in weekly[0]
    assert await sweeper.tick() is None
    # One message per group per sweep: the alerts and the digest travel together.
    assert len(world.wecom.received) == 1 and len(world.ding.received) == 1
    assert "【超期升级 · 提醒】" in daily[0] and "【超期预警】" in weekly[0]


async def test_status_shows_the_last_delivery_per_group(world: World) -> None:
    overdue_item(world)
    overdue_item(world, deadline=date(2026, 2, 26))
    before = status(world.services)
    assert [s.last for s in before] == [None, None]
    await world.sweeper().tick(force=True)
    after = status(world.services)
    assert [(s.channel.name, s.last.state if s.last else None, s.last_count) for s in after] == [
        ("inspectors", State.SENT, 2),
        ("unit:HZ", State.SENT, 2),
    ]
    assert all(s.paused_until is None and s.broken is None for s in after)


class _CrashAfterSending:
    """A robot that delivers, then the process dies before the answer is recorded."""

    def __init__(self, robot: Robot) -> None:
        self.robot = robot
        self.channel = robot.channel

    async def send(self, client: httpx.AsyncClient, message: Message) -> Reply:
        await self.robot.send(client, message)
        raise Crash()


async def test_a_crash_mid_send_is_uncertain_reported_once_and_never_resent(
    world: World,
) -> None:
    item = overdue_item(world)
    sweeper = world.sweeper()
    assert sweeper.runtime.channels is not None
    channels = sweeper.runtime.channels
    assert isinstance(channels, ChannelPass)
    channels.robots["unit:HZ"] = _CrashAfterSending(channels.robots["unit:HZ"])
    with pytest.raises(Crash):
        await sweeper.tick(force=True)
    key = f"channel:unit:HZ|{item}:overdue:2026-02-25:0"
    assert world.states()[key] == State.SENDING
    assert len(world.ding.received) == 1
    # The bot starts again: both groups' messages were in flight when it died (the WeCom one
    # had its answer, unrecorded): uncertain, one notice per group, never resent.
    world.clock.advance(timedelta(minutes=5))
    await world.sweeper().tick(trigger="startup", force=True)
    assert set(world.states().values()) == {State.UNCERTAIN}
    for inspector in (I1, I2):
        notices = world.notices(inspector)
        assert len(notices) == 2 and all(n.startswith("【群消息状态不明】") for n in notices)
        text = "".join(notices)
        assert "杭州市局党组工作群（钉钉）" in text and "巡察办工作群（企业微信）" in text
    for _ in range(2):
        world.clock.advance(timedelta(hours=1))
        await world.sweeper().tick(force=True)
    assert len(world.ding.received) == 1 and len(world.wecom.received) == 1
    assert len(world.notices(I1)) == 2


async def test_test_messages_are_paced_under_twenty_a_minute_per_robot(world: World) -> None:
    time = FakeTime()
    world.stub.monotonic = time.monotonic  # the robots count minutes on the pacer's time
    channels = ChannelPass(
        world.services, pacer=Pacer(ROBOT_LIMITS, monotonic=time.monotonic, sleep=time.sleep)
    )
    for _ in range(25):
        results = await channels.send_tests("3月2日 09:00")
        assert [r.answer for _, r, _ in results if r is not None] == [Answer.SENT] * 2
    assert len(world.wecom.received) == 25 and len(world.ding.received) == 25
    assert set(world.wecom.answers) == {0} and set(world.ding.answers) == {0}  # never 45009/130101
    assert 60 <= time.now - 1000.0 < 70  # the 21st waited for the first one's minute to end
    tests = [k for k in world.states() if "|test:" in k]
    assert len(tests) == 50 and set(world.states().values()) == {State.SENT}


async def test_a_units_group_hears_its_report_due_reminder_once(world: World) -> None:
    """The 整改情况报告 reminder (issue 16) goes where the unit's people are told: its group
    gets a 【整改情况报告】 line with the due date, once; the inspectors' group does not."""
    from ledger.milestone import set_feedback
    from storage.paper import PaperStore

    PaperStore(world.store.registry).change_milestone(
        "HZ",
        lambda current: set_feedback(
            current, "HZ", date(2026, 1, 9), date(2026, 3, 9), by=I1, now=MONDAY
        ),
    )
    await world.sweeper().tick(force=True)
    [unit] = world.ding.received
    assert "【整改情况报告】" in unit.content
    assert "杭州市局党组（HZ）整改情况报告应于 3月9日前报送，还有 7 天" in unit.content
    assert "整改情况报告报送提醒 1" in unit.content  # counted in the summary line like any kind
    assert all("整改情况报告" not in m.content for m in world.wecom.received)
    assert world.states() == {"channel:unit:HZ|HZ:report_due:2026-03-09:7": State.SENT}
    await world.sweeper().tick(force=True)
    world.clock.advance(timedelta(days=1))
    await world.sweeper().tick(force=True)
    assert len(world.ding.received) == 1  # the next step (1 day) is not due yet


# --------------------------------------------------------------------------- quiet units


async def test_with_groups_a_unit_whose_groups_were_told_too_is_left_out_until_it_changes(
    world: World,
) -> None:
    """A unit is left out of later sweeps (QuietMark) only when its Telegram alerts *and* its
    groups' ended done; a write to its ledger decides it again, groups included."""
    overdue_item(world)
    sweeper = world.sweeper()
    first = await sweeper.tick(force=True)
    assert first is not None and first.channels == {"sent": 2} and first.quiet_units == 0
    again = await sweeper.tick(force=True)
    assert again is not None and again.quiet_units == 1 and again.sent == 0
    assert again.channels == {} and len(world.ding.received) == 1
    assert len(world.wecom.received) == 1
    # A new overdue item is a write to HZ's ledger: decided again, and its groups hear it.
    second = overdue_item(world, deadline=date(2026, 2, 27))
    later = await sweeper.tick(force=True)
    assert later is not None and later.quiet_units == 0 and later.channels == {"sent": 2}
    assert second in world.ding.received[-1].content


async def test_a_unit_whose_group_was_throttled_is_decided_again_until_it_is_told(
    world: World,
) -> None:
    """Telegram done but the unit's group throttled (its record still pending): the unit is
    not quiet, so the sweep after the pause decides it and the group gets it, once."""
    item = overdue_item(world)
    world.ding.fill_window(world.clock.now().timestamp())
    sweeper = world.sweeper()
    first = await sweeper.tick(force=True)
    assert first is not None and first.channels == {"sent": 1, "throttled": 1}
    assert sweeper.runtime.quiet == {}
    world.clock.advance(timedelta(minutes=11))  # past DingTalk's ten-minute pause
    after = await sweeper.tick(force=True)
    assert after is not None and after.quiet_units == 0 and after.channels == {"sent": 1}
    [told] = world.ding.received
    assert item in told.content
    settled = await sweeper.tick(force=True)
    assert settled is not None and settled.quiet_units == 1 and settled.channels == {}
    assert len(world.ding.received) == 1


async def test_without_the_groups_keys_from_the_channel_pass_no_unit_is_marked_quiet(
    world: World,
) -> None:
    """With groups configured, a sweep whose channel pass did not hand over what the groups
    got (Plan.channel_keys) marks nothing quiet: the unit is decided again next time."""
    overdue_item(world)
    sweeper = world.sweeper()
    assert sweeper.runtime.channels is not None
    channels: ChannelHook = sweeper.runtime.channels

    class SilentPass:
        def decider(self, now: datetime) -> Any:
            return channels.decider(now)

        async def run(self, sweeper: Sweeper, plan: Any, report: Any) -> None:
            return None

    sweeper.runtime.channels = SilentPass()
    await sweeper.tick(force=True)
    assert sweeper.runtime.quiet == {}
    again = await sweeper.tick(force=True)
    assert again is not None and again.quiet_units == 0
