"""The sandbox as a person meets it (``python bot.py sandbox`` in a pseudo-terminal): the
start-up sweep's alerts summed up in one line before the first prompt instead of a wall of
messages, ``/inbox`` to read them, and scheduled work told in people's words."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pexpect

ROOT = Path(__file__).resolve().parents[2]


def spawn(config: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZGT_"))}
    env.update(NO_COLOR="1", TERM="xterm", LANG="C.UTF-8")
    return pexpect.spawn(
        sys.executable,
        ["bot.py", "--config", str(config), "sandbox"],
        cwd=ROOT,
        env=env,
        encoding="utf-8",
        codec_errors="replace",
        timeout=15,
        dimensions=(50, 200),
    )


def days_past_next_working_day() -> int:
    """Whole days from now (in the sandbox's zone) to the day after the next working day:
    a shift by that many days spans that working day's sweep and 日报."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    n = 1
    while not chinese_calendar.is_workday(today + timedelta(days=n)):
        n += 1
    return n + 1


def test_start_up_alerts_are_summed_up_before_the_first_prompt(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    # quiet = false: the start-up sweep delivers whatever the hour of the test run; the demo
    # always holds overdue items, so it always sends.
    config.write_text(
        '[bot]\nlanguage = "zh-CN"\ndata_dir = "data"\n[alerts]\nquiet = false\n',
        encoding="utf-8",
    )
    child = spawn(config)
    try:
        child.expect(r"启动时的巡检推送了 (\d+) 条提醒给 (\d+) 人：([^\r\n]+?)。输入 /inbox")
        before_summary = child.before
        messages, people = int(child.match.group(1)), int(child.match.group(2))
        assert messages >= people >= 2
        assert "HZ 联络员 1 条" in child.match.group(3)
        child.expect_exact("巡察组 > ")
        before_prompt = before_summary + child.before
        # No alert text, no message header before the first prompt: only the summary.
        assert "【" not in before_prompt and "整改通 →" not in before_prompt
        assert "整改通 ›" not in before_prompt

        child.sendline("/as HZ contact")
        child.expect_exact("HZ 联络员 > ")
        child.sendline("/inbox")
        child.expect_exact("【超期预警】")
        child.expect_exact("HZ-001")
        child.expect_exact("HZ 联络员 > ")

        # The sandbox starts at real time: move past the whole of the next working day (a
        # Saturday's "+1d" is a Sunday, when no sweep or 日报 is scheduled).
        child.sendline(f"/clock +{days_past_next_working_day()}d")
        child.expect(r"已按新时间补跑到点的定时任务：([^\r\n]+?)。")
        told = child.match.group(1)
        assert "巡检提醒" in told and "日报" in told
        assert not re.search(r"alerts\.|backup\.|channels\.", told)
        child.expect_exact("HZ 联络员 > ")
        child.sendline("/quit")
        child.expect_exact("已退出沙盒。")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
