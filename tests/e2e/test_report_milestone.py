"""The report milestone through the emulator: the inspector records the feedback date, the
sweep reminds the unit's leader and contact before the report is due (through the alert
policy and the alert log: once per step), the leader submits the signed file (stored as the
unit's evidence, history kept, inspectors told) and the reminders stop."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.jobs import sweep_now
from sandbox.emulator import Emulator
from storage.paper import PaperStore
from tests.alerts.helpers import fake_pacing
from tests.e2e.harness import BotUnderTest
from tests.e2e.workflow_helpers import pdf

TZ = ZoneInfo("Asia/Shanghai")


def reminders(emulator: Emulator, chat_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in emulator.calls_of("sendMessage")
        if c.ok and c.chat_id == chat_id and "【整改情况报告】" in c.params["text"]
    ]


async def test_feedback_reminders_and_the_signed_report(bot: BotUnderTest) -> None:
    await fake_pacing(bot.app)
    bot.add_unit("HZ", "杭州市局党组")
    contact, leader, inspector = bot.contact("HZ"), bot.leader("HZ"), bot.inspector()

    await inspector.send("/feedback HZ 2026-03-02")
    shown = (await inspector.next_reply()).text
    assert "2026年3月2日（周一）反馈，应于 2026年5月2日（周六）前报送" in shown, shown
    assert "尚未报送" in shown

    # 12 days before (a Monday, within work hours): the 14-day step, to leader and contact.
    bot.clock.set(datetime(2026, 4, 20, 10, tzinfo=TZ))
    first = await sweep_now(bot.app)
    assert first.sent >= 2
    for person in (leader, contact):
        [text] = reminders(bot.emulator, person.id)
        assert "杭州市局党组（HZ）：应于 5月2日前报送，还有 12 天" in text
        assert (await person.next_reply()).text == text  # read: later replies come after it
    assert reminders(bot.emulator, inspector.id) == []
    await sweep_now(bot.app)  # the same instant again: nothing twice
    assert all(len(reminders(bot.emulator, p.id)) == 1 for p in (leader, contact))
    record = bot.store.registry.get_alert(f"HZ:report_due:2026-05-02:14@{leader.id}")
    assert record is not None and record.state == "sent"

    # Only the leader submits; the file is the unit's evidence and the inspectors are told.
    await contact.send_document("整改情况报告.pdf", pdf("报告"), caption="整改情况报告")
    assert "主要负责人" in (await contact.next_reply()).text
    await leader.send_document("整改情况报告（签字版）.pdf", pdf("签字"), caption="整改情况报告")
    assert "已收到整改情况报告" in (await leader.next_reply(timeout=15)).text
    notice = await inspector.next_reply()
    assert "HZ 已报送整改情况报告" in notice.text
    milestone = PaperStore(bot.store.registry).milestone("HZ")
    assert milestone is not None and len(milestone.submissions) == 1
    stored = milestone.submissions[0].stored_path
    assert stored.startswith("evidence/HZ/HZ-000/")
    assert (bot.config.data_dir / stored).read_bytes() == pdf("签字")

    # A second (corrected) file: history kept.
    await leader.send_document("整改情况报告v2.pdf", pdf("签字2"), caption="整改情况报告 修改稿")
    assert "第 2 次报送" in (await leader.next_reply(timeout=15)).text
    assert "整改情况报告v2.pdf" in (await inspector.next_reply()).text
    milestone = PaperStore(bot.store.registry).milestone("HZ")
    assert milestone is not None and [s.name for s in milestone.submissions] == [
        "整改情况报告（签字版）.pdf",
        "整改情况报告v2.pdf",
    ]

    # Submitted: the 7-day step is not sent.
    bot.clock.set(datetime(2026, 4, 27, 10, tzinfo=TZ))
    await sweep_now(bot.app)
    assert len(reminders(bot.emulator, leader.id)) == 1
    await inspector.send("/unit HZ")
    assert "共报送 2 次" in (await inspector.next_reply()).text
    bot.check_clean()


async def test_feedback_refusals(bot: BotUnderTest) -> None:
    bot.add_unit("HZ", "杭州市局党组")
    inspector = bot.inspector()
    for text, expected in (
        ("/feedback", "用法"),
        ("/feedback HZ", "尚未登记"),
        ("/feedback HZ 明天之后", "看不懂日期"),
        ("/feedback HZ 2026-03-02 2026-03-01", "不能早于反馈日期"),
        ("/feedback ZZ 2026-03-02", "ZZ"),
    ):
        await inspector.send(text)
        assert expected in (await inspector.next_reply()).text, text
    assert PaperStore(bot.store.registry).milestone("HZ") is None
    leader = bot.leader("HZ")
    await leader.send_document("整改情况报告.pdf", pdf(), caption="整改情况报告")
    assert "尚未登记本单位的反馈日期" in (await leader.next_reply()).text
    bot.check_clean()
