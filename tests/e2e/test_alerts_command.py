"""``/alerts`` for inspectors, ``python bot.py sweep --dry-run``, and the clock jump the sandbox
makes with ``/clock +8d`` (its hook runs the alert watch job, as here): exactly the alerts a
careful inspector expects, once."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import runtime_of, sweep_now
from alerts.summary import dry_run_text
from bot import COMMANDS, parse_args
from ledger.model import Person, Role, Status
from tests.alerts.helpers import drive, fake_pacing, new_item, sections
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID = 2001, 2002


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


def seed(bot: BotUnderTest) -> None:
    """Monday 03-02: HZ-001 due Fri 03-06; HZ-002 due Thu 03-12; HZ-003 overdue since 02-21;
    HZ-004 submitted today, waiting for the leader's endorsement."""
    bot.contact("HZ", CONTACT_ID, "王联络")
    bot.leader("HZ", LEADER_ID, "李书记")
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    rules = bot.config.rules
    created = at(2026, 1, 5)
    for deadline in (date(2026, 3, 6), date(2026, 3, 12), date(2026, 2, 20), date(2026, 6, 30)):
        new_item(bot.store, "HZ", now=created, deadline=deadline, rules=rules)
    contact = Person(CONTACT_ID, "王联络", Role.CONTACT, unit="HZ")
    leader = Person(LEADER_ID, "李书记", Role.LEADER, unit="HZ")
    drive(
        bot.store,
        "HZ-004",
        Status.SUBMITTED,
        now=at(2026, 3, 2, 8),
        rules=rules,
        contact=contact,
        leader=leader,
    )


async def test_alerts_shows_the_timetable_the_last_sweep_and_a_dry_run(bot: BotUnderTest) -> None:
    await fake_pacing(bot.app)
    seed(bot)
    inspector = bot.emulator.user(INSPECTOR_ID, "")
    before = bot.store.registry.list_alerts()
    await inspector.send("/alerts")
    text = (await inspector.next_reply()).text
    assert bot.store.registry.list_alerts() == before  # a dry run records nothing
    assert text.startswith("提醒推送情况\n静默时段：仅在工作日 08:30–18:00 发送，其余时间顺延。")
    assert "下次提醒推送：3月3日（周二）09:00" in text
    assert "下次日报：3月2日（周一）17:30；下次周报：3月6日（周五）17:30" in text
    assert "上次提醒推送：3月2日（周一）09:00（启动时），共 0 条消息" in text
    # HZ-003 overdue to contact and leader, escalated to both inspectors; HZ-001 临期 step 7:
    # 5 entries in 4 messages, about 2 items (one item told to several people counts once).
    assert "此刻推送将发送（预演，不会实际发送）：4 条消息，涉及 2 个事项。" in text
    assert "按类别：超期升级 2 · 超期预警 2 · 临期提醒 1\n" in text
    assert "· 王联络（联络员，HZ单位党组）：2 项" in text
    assert "· 李书记（主要负责人，HZ单位党组）：1 项" in text
    assert "首条预览：\n【超期升级 · 提醒】以下事项已超过整改时限，请督促责任单位整改：" in text

    report = await sweep_now(bot.app)
    assert report.sent == 4
    await inspector.next_reply()  # the escalation itself
    await inspector.send("/alerts")
    text = (await inspector.next_reply()).text
    assert "共 4 条消息：已发送 4，状态不明 0，无法送达 0，发送失败 0，留待下次 0。" in text
    assert "此刻推送将发送（预演）：无。" in text


async def test_alerts_is_for_inspectors_only(bot: BotUnderTest) -> None:
    contact = bot.contact("HZ", CONTACT_ID)
    await contact.send("/alerts")
    assert (await contact.next_reply()).text == "您没有权限执行此操作。"
    stranger = bot.user(9999, "路人")
    await stranger.send("/alerts")
    assert "仅供受邀人员使用" in (await stranger.next_reply()).text


async def test_alerts_in_a_group_shows_nothing(bot: BotUnderTest) -> None:
    """The dry run names people, units and problems: not for a group's eyes."""
    seed(bot)
    inspector = bot.emulator.user(INSPECTOR_ID, "")
    group = bot.emulator.group(-5001, "工作群", [inspector])
    await inspector.send("/alerts", chat=group)
    assert (await group.next_reply()).text == "为保护整改信息，请在与机器人的私聊中查询。"
    await inspector.send("/help", chat=group)
    assert (await group.next_reply()).text.startswith("整改通 · 使用说明")  # nothing in between


async def test_the_command_line_dry_run_prints_the_same_summary(
    bot: BotUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    await fake_pacing(bot.app)
    seed(bot)
    await sweep_now(bot.app)
    bot.advance(timedelta(days=1))
    text = dry_run_text(bot.config, bot.clock)  # the data directory is locked by the bot
    assert "提醒推送情况" in text and "<b>" not in text
    assert "上次提醒推送：3月2日（周一）09:00（手动），共 4 条消息：已发送 4" in text
    # 临期 step 7, and Monday's 日报 (17:30 passed while the clock jumped) for each inspector
    assert "此刻推送将发送（预演，不会实际发送）：3 条消息，涉及 1 个事项。" in text
    assert parse_args(["sweep", "--dry-run"]).dry_run is True
    assert COMMANDS["sweep"](bot.config, argparse.Namespace(dry_run=True)) == 0
    assert "提醒推送情况" in capsys.readouterr().out
    assert COMMANDS["sweep"](bot.config, argparse.Namespace(dry_run=False)) == 2
    assert "提醒推送在机器人运行时进行" in capsys.readouterr().err  # Chinese unless --lang en


async def test_a_clock_jump_of_eight_days_sends_what_is_due_once(bot: BotUnderTest) -> None:
    """What ``/clock +8d`` does in the sandbox: the watch job runs once on the new time."""
    await fake_pacing(bot.app)
    seed(bot)
    await sweep_now(bot.app)  # Monday: what was due then
    calls = len(bot.emulator.calls_of("sendMessage"))
    bot.advance(timedelta(days=8))  # Tuesday 03-10 09:00
    assert bot.app.job_queue is not None
    [watch] = bot.app.job_queue.get_jobs_by_name("alerts.watch")
    await watch.run(bot.app)
    got: dict[int, list[tuple[str, str]]] = {}
    for call in bot.emulator.calls_of("sendMessage")[calls:]:
        got.setdefault(call.chat_id or 0, []).extend(sections(call.params["text"]))
    assert sorted(got) == sorted([CONTACT_ID, LEADER_ID, INSPECTOR_ID, OTHER_INSPECTOR_ID])
    # HZ-001 four days overdue (first notice; 提醒 to inspectors); HZ-002 due in two days
    # (临期 step 3: step 7 fell on 03-05, unsent while the clock jumped); HZ-003 18 days
    # overdue (repeat step 2; 告诫); HZ-004 waiting six working days for the leader.
    # The jump also passed a Friday 17:30 and Monday 17:30: one 周报 (last week's) to the
    # unit and one 日报 (Monday's) to each inspector, the rest collapsed into them.
    assert sorted(got[CONTACT_ID]) == [
        ("digest_weekly", ""),
        ("due_soon", "HZ-002"),
        ("overdue", "HZ-001"),
        ("overdue", "HZ-003"),
    ]
    assert sorted(got[LEADER_ID]) == [
        ("await_endorsement", "HZ-004"),
        ("digest_weekly", ""),
        ("overdue", "HZ-001"),
        ("overdue", "HZ-003"),
    ]
    assert sorted(got[INSPECTOR_ID]) == [
        ("digest_daily", ""),
        ("escalation_1", "HZ-001"),
        ("escalation_2", "HZ-003"),
    ]
    [alert] = [
        m
        for m in bot.emulator.user(CONTACT_ID, "").replies[-2:]
        if m.text.startswith("【超期预警】")
    ]
    assert "已超期 18 天" in alert.text
    calls = len(bot.emulator.calls_of("sendMessage"))
    await watch.run(bot.app)
    bot.advance(timedelta(hours=3))
    await watch.run(bot.app)
    assert len(bot.emulator.calls_of("sendMessage")) == calls  # once
    assert runtime_of(bot.app).last_report is not None
