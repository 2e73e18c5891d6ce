"""Exactly once in the record, through the real bot and the emulator (R7, R9, R10).

- three sweeps at one instant send each alert once, recorded ``sent`` with its message id;
- a crash injected between the API call and its record leaves ``sending``; the restarted bot
  turns it into ``uncertain``, resends nothing and tells each inspector once;
- a ``TimedOut`` (the emulator holds the answer past the read timeout, after delivering) is
  ``uncertain`` too: reported, never resent.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import runtime_of, sweep_now, tick, wait_started
from alerts.log import AlertLog, State
from app.clock import FakeClock
from sandbox.emulator import Emulator
from tests.alerts.helpers import Crash, fake_pacing, new_item
from tests.e2e.harness import INSPECTOR_ID, OTHER_INSPECTOR_ID, BotUnderTest, running_bot

TZ = ZoneInfo("Asia/Shanghai")
CONTACT_ID, LEADER_ID = 2001, 2002


def alert_calls(emulator: Emulator, chat_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in emulator.calls_of("sendMessage")
        if c.ok and c.chat_id == chat_id and "【" in c.params["text"]
    ]


def overdue(bot: BotUnderTest) -> str:
    """Unit HZ with a contact, a leader and both inspectors; HZ-001 five days overdue."""
    bot.contact("HZ", CONTACT_ID)
    bot.leader("HZ", LEADER_ID)
    bot.inspector(INSPECTOR_ID)
    bot.inspector(OTHER_INSPECTOR_ID)
    created = datetime(2026, 1, 5, 9, tzinfo=TZ)
    return new_item(
        bot.store, "HZ", now=created, deadline=date(2026, 2, 25), rules=bot.config.rules
    )


async def test_three_sweeps_at_one_instant_send_once(bot: BotUnderTest) -> None:
    await fake_pacing(bot.app)
    item = overdue(bot)
    reports = [await sweep_now(bot.app) for _ in range(3)]
    assert [r.sent for r in reports] == [4, 0, 0]
    reports = await asyncio.gather(*(sweep_now(bot.app) for _ in range(3)))
    assert [r.sent for r in reports] == [0, 0, 0]
    assert len(alert_calls(bot.emulator, CONTACT_ID)) == 1
    record = bot.store.registry.get_alert(f"{item}:overdue:2026-02-25:0@{CONTACT_ID}")
    assert record is not None and record.state == State.SENT
    contact_message = bot.emulator.user(CONTACT_ID, "").replies[-1]
    assert record.data["message_id"] == contact_message.message_id


async def test_a_crash_between_send_and_record_is_uncertain_reported_and_never_resent(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await fake_pacing(bot.app)
        item = overdue(bot)

        settle = AlertLog.settle

        def crash(self: AlertLog, outcomes: dict[str, Any], claim: list[str]) -> set[str]:
            if outcomes:  # recording what the API calls did: the process dies first
                raise Crash("died after the API calls, before recording them")
            return settle(self, outcomes, claim)

        with monkeypatch.context() as patch:
            patch.setattr(AlertLog, "settle", crash)
            with pytest.raises(Crash):
                await sweep_now(bot.app)
        states = {r.key: r.state for r in bot.store.registry.list_alerts()}
        assert set(states.values()) == {State.SENDING}
        bot.check_clean()
    sent = len(emulator.calls_of("sendMessage"))
    assert len(alert_calls(emulator, CONTACT_ID)) == 1  # it reached Telegram

    emulator_clock.advance(timedelta(minutes=10))
    async with running_bot(tmp_path, emulator, emulator_clock) as bot:
        await wait_started(bot.app)
        report = runtime_of(bot.app).last_report
        assert report is not None and report.trigger == "startup" and report.recovered == 4
        key = f"{item}:overdue:2026-02-25:0@{CONTACT_ID}"
        record = bot.store.registry.get_alert(key)
        assert record is not None and record.state == State.UNCERTAIN
        new = [c for c in emulator.calls_of("sendMessage")[sent:] if c.ok]
        assert sorted(c.chat_id or 0 for c in new) == [INSPECTOR_ID, OTHER_INSPECTOR_ID]
        notice = new[0].params["text"]
        assert notice.startswith("【发送状态不明】以下 4 条提醒在发送过程中中断")
        assert "HZ-001 超期预警" in notice and "HZ-001 超期升级" in notice
        # later sweeps: nothing resent, no second notice
        await fake_pacing(bot.app)
        for hours in (1, 24):
            bot.advance(timedelta(hours=hours))
            await sweep_now(bot.app)
        assert len(alert_calls(emulator, CONTACT_ID)) == 1
        later = [c for c in emulator.calls_of("sendMessage")[sent:] if c.ok]
        # the two notices, then only the 日报 the day's jump skipped (one per inspector)
        assert [c.params["text"][:4] for c in later[2:]] == ["【日报】", "【日报】"]
        assert sum(c.params["text"].startswith("【发送状态不明】") for c in later) == 2
        bot.check_clean()


async def test_timed_out_is_uncertain_reported_once_and_not_resent(bot: BotUnderTest) -> None:
    await fake_pacing(bot.app)
    runtime_of(bot.app).timeouts = {"read_timeout": 0.2}
    overdue(bot)
    bot.emulator.stall_next("sendMessage", chat_id=LEADER_ID, seconds=0.6, deliver=True)
    report = await sweep_now(bot.app)
    assert report.uncertain == 1 and report.sent == 3 + 2  # 3 alerts, 2 notices
    leader = bot.emulator.user(LEADER_ID, "")
    assert len(leader.replies) == 1  # delivered although the bot timed out
    inspector = bot.emulator.user(INSPECTOR_ID, "")
    notices = [m for m in inspector.replies if m.text.startswith("【发送状态不明】")]
    assert len(notices) == 1 and "HZ负责人2002" in notices[0].text
    bot.advance(timedelta(days=1))
    await tick(bot.app)
    assert len(leader.replies) == 1
    assert len([m for m in inspector.replies if m.text.startswith("【发送状态不明】")]) == 1
