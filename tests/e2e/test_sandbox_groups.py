"""The sandbox simulates the 企业微信 / 钉钉 group robots (sandbox/robots.py) and ``/groups``
shows what each group received: the demo groups when config names none, never the internet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def quiet(child: pexpect.spawn, seconds: float = 2.0, limit: int = 200) -> None:
    """Wait until the sandbox has printed nothing for ``seconds`` (at most ``limit`` rounds)."""
    for _ in range(limit):
        if child.expect([pexpect.TIMEOUT, r"[\s\S]+"], timeout=seconds) == 0:
            return
    raise AssertionError("the sandbox never went quiet")


def test_groups_shows_what_each_demo_group_received(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    # quiet = false: the start-up sweep delivers whatever the hour of the test run.
    config.write_text(
        '[bot]\nlanguage = "zh-CN"\ndata_dir = "data"\n[alerts]\nquiet = false\n'
        '[channels]\nbot_username = "zgt_demo_bot"\n',
        encoding="utf-8",
    )
    child = spawn(config)
    try:
        child.expect_exact(
            "演示群机器人（本机模拟，不连接真实企业微信 / 钉钉）：巡察办工作群（企业微信）、"
        )
        child.expect_exact("巡察组 > ")
        # The start-up sweep prints beside the prompt: type only once the console is quiet
        # (the pty's echo of typed input must not land inside a multi-byte character).
        quiet(child)
        child.sendline("/groups")
        child.expect_exact("—— 巡察办工作群（企业微信）共收到 1 条 ——")
        child.expect_exact("### 整改通 · 巡察办工作群 ·")
        child.expect_exact("[在 Telegram 中打开整改通](https://t.me/zgt_demo_bot)")
        child.expect(r"—— (\S+)工作群（钉钉）共收到 1 条 ——")
        child.expect_exact("### 整改通 · ")
        child.expect_exact("巡察组 > ")
        child.sendline("/quit")
        child.expect_exact("已退出沙盒。")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
