"""R28: the token is never printed: not when Telegram rejects it at start-up, not when it is
revoked while the bot runs (one line, non-zero exit instead of idling deaf), and not when it is
pasted into the wrong config key. Runs ``python bot.py run`` as a process against the
emulator, as an operator would."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config
from sandbox.emulator import Emulator
from tests.e2e.harness import INSPECTOR_ID, write_config
from tests.reliability.test_runtime import ROOT, start_bot, wait_polling

# Looks like a real token (digits, colon, 35 url-safe characters) but the emulator knows only
# its own: it answers 401 Unauthorized to this one, as Telegram does to a revoked token.
REJECTED = "7012345678:AAHk3xQz_Ls0-f9WvP2mB4nR7tYc1dE8uJo"


def _secret_parts(token: str) -> list[str]:
    return [token, token.split(":", 1)[1]]


async def test_a_rejected_token_at_start_up_is_one_line_exit_1_and_never_printed(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = write_config(tmp_path, [INSPECTOR_ID])
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": REJECTED,
        "TELEGRAM_API_URL": emulator.url,
        "PYTHONUNBUFFERED": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--config",
        str(config),
        "--debug",
        "run",
        cwd=str(tmp_path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 1, stderr[-3000:]
    for part in _secret_parts(REJECTED):
        assert part not in stdout + stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "error: the token was rejected by Telegram; check TELEGRAM_BOT_TOKEN"
    )


async def test_a_token_revoked_while_running_stops_the_bot_non_zero_with_one_masked_line(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = write_config(tmp_path, [INSPECTOR_ID])
    proc = await start_bot(config, emulator, "--debug")
    try:
        await wait_polling(emulator)
        # Revoked: from now on every getUpdates answers 401. A message ends the parked poll.
        emulator.fail_next("getUpdates", code=401, times=1000)
        await emulator.user(INSPECTOR_ID, "巡察组").send("/start")
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = out.decode() + err.decode()
    assert proc.returncode not in (0, None), log[-3000:]
    for part in _secret_parts(emulator.token):
        assert part not in log
    assert "Traceback" not in log
    revoked = [line for line in log.splitlines() if "rejected by Telegram while running" in line]
    assert len(revoked) == 1
    assert "InvalidToken" not in log


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[bot]\nlanguage = "{t}"\n', "language"),
        ('[bot]\ntimezone = "{t}"\n', "timezone"),
        ('[bot]\ntoken = "{t}"\n', "token"),
        ('[bot]\ninspectors = ["{t}"]\n', "inspectors"),
        ('[alerts]\n"{t}" = 1\n', "alerts"),
        ('["{t}"]\nx = 1\n', "section"),
        ("[bot]\nlanguage = {t}\n", "bare value"),
    ],
)
def test_a_config_error_never_echoes_a_token_whichever_key_it_was_pasted_into(
    tmp_path: Path, toml: str, key: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml.format(t=REJECTED), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    for part in _secret_parts(REJECTED):
        assert part not in str(caught.value), key


def test_the_shell_never_echoes_a_token_from_a_bad_config_or_api_url(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\nlanguage = "{REJECTED}"\n', encoding="utf-8")
    for env in ({}, {"TELEGRAM_API_URL": REJECTED}):
        if env:
            path.write_text("", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(path), "check"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **env},
            cwd=str(tmp_path),
        )
        assert done.returncode != 0
        for part in _secret_parts(REJECTED):
            assert part not in done.stdout + done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
