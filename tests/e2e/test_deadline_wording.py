"""The chat accepts the deadline wording of real 台账 (issue 10): /deadline with 12月底前,
2027年第一季度, 年中 and 立行立改 (due [workflow] immediate_days working days on)."""

from __future__ import annotations

from datetime import date

from ledger.model import Status
from tests.e2e.harness import BotUnderTest
from tests.e2e.workflow_helpers import ask, item_of, personas


async def test_deadline_accepts_the_wording_offices_write(bot: BotUnderTest) -> None:
    p = await personas(bot, Status.IN_PROGRESS)  # today: Monday 2026-03-02
    reply = await ask(p.inspector, "/deadline HZ-001 12月底前 配合年度考核")
    assert "→ 2026年12月31日（周四）。理由：配合年度考核" in reply.text
    assert item_of(bot).deadline == date(2026, 12, 31)
    reply = await ask(p.inspector, "/deadline HZ-001 2027年第一季度 跨年度工作")
    assert "→ 2027年3月31日（周三）。" in reply.text
    reply = await ask(p.inspector, "/deadline HZ-001 年中 上半年完成")
    assert "→ 2026年6月30日（周二）。" in reply.text
    reply = await ask(p.inspector, "/deadline HZ-001 立行立改 马上整改")
    assert "→ 2026年3月16日（周一）。理由：马上整改" in reply.text  # 10 working days
    assert item_of(bot).deadline == date(2026, 3, 16)
    refused = await ask(p.inspector, "/deadline HZ-001 2026年2月30日前 理由")
    assert item_of(bot).deadline == date(2026, 3, 16)  # nothing changed
    assert "2026年2月30日前" in refused.text
