"""The one place the running bot reads time. Injectable: tests and the sandbox move it.

Every clock returns timezone-aware instants (R15). ``OffsetClock`` is real time plus an offset
the sandbox's ``/clock +3d`` moves; ``FakeClock`` stands still until a test moves it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """Wall-clock time in UTC (callers convert to the configured zone when they need a date)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Wall-clock time shifted by an offset that can only be moved forward or back explicitly."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class FakeClock:
    """A clock that stands still; ``advance`` and ``set`` move it. Refuses naive instants."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware instant")
        self._now = when
