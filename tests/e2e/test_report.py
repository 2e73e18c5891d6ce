"""/report through the emulator: the inspector's and the leader's Word report, its figures
equal to ``ledger.figures`` and to what /unit shows at the same instant, the leader's copy
without survey comments, refusals that reveal nothing, and ``bot.py report``."""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document

from app.clock import FakeClock
from bot import main
from ledger.figures import figures
from sandbox.emulator import Emulator
from sandbox.users import BotMessage, EmulatedUser
from storage.repo import Store
from tests.e2e.harness import BotUnderTest, running_bot, write_config
from tests.storage.report_world import COMMENTS, UNIT, build

# /unit's and the report's words for the same figures (Figures attribute → label).
LABELS = {
    "open": "未整改",
    "in_progress": "整改中",
    "submitted": "待签字",
    "endorsed": "待核验",
    "closed": "已销号",
    "monitoring": "长期坚持",
    "overdue": "超期",
    "closed_late": "逾期完成",
}


def numbers(text: str) -> dict[str, int]:
    """``label N`` pairs of a figures line, by Figures attribute (first occurrence)."""
    found: dict[str, int] = {}
    for name, label in LABELS.items():
        match = re.search(rf"{label}\s*(\d+)", text)
        if match is not None:
            found[name] = int(match[1])
    return found


async def report_of(user: EmulatedUser, command: str) -> BotMessage:
    await user.send(command)
    message = await user.next_reply(timeout=20)
    assert message.document is not None, message.text
    return message


def paragraphs(message: BotMessage) -> list[str]:
    assert message.document is not None and message.document.content is not None
    return [p.text for p in Document(io.BytesIO(message.document.content)).paragraphs]


async def test_reports_match_the_figures_and_unit_and_leaders_get_no_comments(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> None:
    async with running_bot(tmp_path, emulator, emulator_clock, setup=build) as bot:
        inspector = bot.inspector()
        await inspector.send(f"/unit {UNIT}")
        shown = (await inspector.next_reply()).text
        message = await report_of(inspector, f"/report {UNIT.lower()}")
        assert message.document is not None
        assert message.document.name == f"整改情况报告_{UNIT}_20260302.docx"
        lines = paragraphs(message)
        stated = next(line for line in lines if line.startswith("截至2026年3月2日，台账共"))

        items = bot.store.ledger(UNIT).items()
        f = figures(items, bot.clock.now(), bot.config.tz, bot.config.rules)
        # Zero parts are left out on both, as everywhere: a missing label reads 0.
        in_report = numbers(stated)
        assert {k: in_report.get(k, 0) for k in LABELS} == {k: getattr(f, k) for k in LABELS}
        assert f"台账共 {f.total} 项" in stated
        on_unit = numbers(shown.split("📊")[0])  # the figures block, before the survey lines
        assert len(on_unit) >= 4, shown
        assert {k: on_unit.get(k, 0) for k in LABELS} == {k: in_report.get(k, 0) for k in LABELS}
        assert f"共 {f.total} 项" in shown
        assert all(any(c in line for line in lines) for c in COMMENTS)

        leader = bot.leader(UNIT)
        own = await report_of(leader, "/report")
        theirs = paragraphs(own)
        assert stated in theirs  # the same figures at the same instant
        assert not any(c in line for c in COMMENTS for line in theirs)

        # Another unit answers exactly like one that does not exist; contacts get no report.
        await leader.send("/report NB")
        other = await leader.next_reply()
        await leader.send("/report ZZ")
        missing = await leader.next_reply()
        assert other.document is None and other.text.replace("NB", "ZZ") == missing.text
        contact = bot.contact(UNIT)
        await contact.send("/report")
        assert (await contact.next_reply()).document is None
        bot.check_clean()


async def test_inspectors_name_the_unit(bot: BotUnderTest) -> None:
    inspector = bot.inspector()
    await inspector.send("/report")
    assert "用法" in (await inspector.next_reply()).text
    bot.check_clean()


def test_shell_report_writes_the_document(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100])
    with Store.open(tmp_path / "data") as store:
        build(store)
        units = len(store.registry.list_units())
    out = tmp_path / "r.docx"
    assert main(["--config", str(config), "report", "--unit", UNIT, "-o", str(out)]) == 0
    lines = [p.text for p in Document(str(out)).paragraphs]
    assert "一、基本情况" in lines and any(c in line for c in COMMENTS for line in lines)
    folder = tmp_path / "all"
    folder.mkdir()
    assert main(["--config", str(config), "report", "-o", str(folder)]) == 0
    assert len(list(folder.glob("*.docx"))) == units
    assert main(["--config", str(config), "report", "--unit", "ZZ"]) == 1
