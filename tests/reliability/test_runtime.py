"""The bot as an operator runs it: ``python bot.py run`` as a separate process against the
emulator. Proves R5 (one process per data directory), R17 (SIGTERM stops cleanly with exit 0)
and R26 (the token appears in no log line even at DEBUG)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.emulator import Emulator
from tests.e2e.harness import INSPECTOR_ID, write_config

ROOT = Path(__file__).resolve().parents[2]


async def start_bot(config: Path, emulator: Emulator, *extra: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "PYTHONUNBUFFERED": "1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--config",
        str(config),
        *extra,
        "run",
        cwd=str(config.parent),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_polling(emulator: Emulator) -> None:
    """Until the bot is parked in a long poll with nothing left to fetch (calls are logged
    only when answered, so a pending poll is seen through ``waiting_polls``)."""
    await emulator.wait_for(
        lambda: (emulator.waiting_polls > 0 and not emulator.unfetched_updates) or None,
        timeout=30,
        what="the bot to poll",
    )


async def test_sigterm_stops_cleanly_and_the_token_never_reaches_the_log(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = write_config(tmp_path, [INSPECTOR_ID])
    proc = await start_bot(config, emulator, "--debug")
    try:
        await wait_polling(emulator)
        inspector = emulator.user(INSPECTOR_ID, "巡察组")
        stranger = emulator.user(555, "陌生人")
        await inspector.send("/start")
        await stranger.send("/open")
        await wait_polling(emulator)  # both updates fetched, back in a long poll
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = out.decode() + err.decode()
    assert proc.returncode == 0, log[-3000:]
    assert "DEBUG" in log  # the run really logged at DEBUG
    assert emulator.token not in log
    secret = emulator.token.split(":", 1)[1]
    assert secret not in log
    assert not (tmp_path / "data" / ".lock").exists() or _lock_free(tmp_path / "data")


def _lock_free(data_dir: Path) -> bool:
    """The lock file may stay on disk; what matters is that a new opener can take it."""
    from storage.repo import Store

    with Store.open(data_dir):
        return True


async def test_a_second_bot_on_the_same_data_directory_exits_with_the_pid(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = write_config(tmp_path, [INSPECTOR_ID])
    first = await start_bot(config, emulator)
    try:
        await wait_polling(emulator)
        loop = asyncio.get_running_loop()
        started = loop.time()
        second = await start_bot(config, emulator)
        out, err = await asyncio.wait_for(second.communicate(), timeout=10)
        elapsed = loop.time() - started
        message = out.decode() + err.decode()
        assert second.returncode not in (0, None)
        assert f"data directory in use by PID {first.pid}" in message
        assert elapsed < 5
    finally:
        first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.communicate(), timeout=30)
    assert first.returncode == 0
