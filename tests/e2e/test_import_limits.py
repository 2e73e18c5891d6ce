"""R32 through the emulator: while a 台账 that would take minutes is read (in a child process
under [workflow] import_seconds), the bot goes on answering everyone else; the file is then
refused in one line naming the limit, and nothing is imported."""

from __future__ import annotations

import time
from pathlib import Path

from app.clock import FakeClock
from sandbox.emulator import Emulator
from tests.e2e.harness import running_bot
from tests.reliability.hostile_files import empty_paragraphs_docx

SECONDS = 4  # the configured limit: long enough to ask something meanwhile


async def test_other_users_are_answered_while_a_hostile_file_is_read_then_it_is_refused(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    extra = f"\n[workflow]\nimport_seconds = {SECONDS}\n"
    async with running_bot(tmp_path, emulator, emulator_clock, config_extra=extra) as bot:
        bot.add_unit("HZ", "杭州市局党组")
        boss = bot.inspector()
        contact = bot.contact("HZ", 2001, "王小红")
        leader = bot.leader("HZ", 2002, "赵书记")
        data = empty_paragraphs_docx(1_000_000)  # ~30 s of python-docx without the limit
        started = time.monotonic()
        await boss.send_document("整改方案.docx", data)
        await contact.send("/open")
        answer = await contact.next_reply(timeout=SECONDS)
        await leader.send("/todo")
        todo = await leader.next_reply(timeout=SECONDS)
        # Both were answered while the file was still being read.
        assert [m for m in boss.unread_replies() if m.text.startswith("❌")] == []
        assert "杭州市局党组" in answer.text or "HZ" in answer.text
        assert todo.text

        refused = await boss.next_reply(timeout=30)
        elapsed = time.monotonic() - started
        assert refused.text.startswith(
            "❌ 台账未导入，未作任何更改。“整改方案.docx”中发现 1 处问题："
        )
        assert f"读取这个文件超过 {SECONDS} 秒仍未完成" in refused.text
        assert elapsed < 30
        assert bot.store.ledger("HZ").items() == []
        bot.check_clean()
