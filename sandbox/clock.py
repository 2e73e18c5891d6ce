"""A clock tests and the sandbox can move: a callable returning an aware ``datetime``."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["FakeClock"]


class FakeClock:
    """Returns a fixed instant until moved; never reads the system clock.

    ``clock()`` gives the current instant. ``advance(timedelta)`` or ``advance(days=3)`` moves
    it forward (never backwards); ``set(dt)`` jumps to any aware instant. Naive datetimes are
    refused (R15) with ``ValueError``.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def __call__(self) -> datetime:
        return self._now

    def now(self) -> datetime:
        """Same as calling the clock."""
        return self._now

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; return the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError(f"a clock only moves forward (got {step})")
        self._now += step
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (aware), forwards or backwards."""
        self._now = _aware(instant)

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"the clock needs a timezone-aware datetime, got {value!r}")
    return value
