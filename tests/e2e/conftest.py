"""Fixtures for end-to-end tests: the local Bot API emulator and its movable clock.

``emulator`` is started on 127.0.0.1 with an OS-chosen port and stopped after the test; its
``clock`` is the ``emulator_clock`` fixture (the project's :class:`app.clock.FakeClock`),
so a test moves message dates with ``emulator_clock.advance(timedelta(days=3))`` — hand the
same clock to the bot's services and one move shifts both. Build an Application against it
with ``sandbox.ptb.builder_for(emulator)`` (or ``emulator.base_url`` / ``base_file_url``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.clock import FakeClock
from sandbox.emulator import Emulator
from tests.e2e.harness import BotUnderTest, running_bot

EMULATOR_EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def emulator_clock() -> FakeClock:
    """The emulator's clock: Monday 2026-03-02 09:00 Asia/Shanghai until moved."""
    return FakeClock(EMULATOR_EPOCH)


@pytest.fixture
async def emulator(emulator_clock: FakeClock) -> AsyncIterator[Emulator]:
    """A running Bot API emulator (127.0.0.1, port 0) using ``emulator_clock``."""
    emu = Emulator(clock=emulator_clock)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


# --------------------------------------------------------------------------- the real bot


@pytest.fixture
async def bot(
    tmp_path: Path, emulator: Emulator, emulator_clock: FakeClock
) -> AsyncIterator[BotUnderTest]:
    """The production bot (``bot.build_app``) polling the emulator, on a fresh data directory,
    with inspectors 100 and 101 from config. Fails the test if the bot's error handler saw
    any exception."""
    async with running_bot(tmp_path, emulator, emulator_clock) as under_test:
        yield under_test
        under_test.check_clean()
