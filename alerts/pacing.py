"""Pacing alert sends under Telegram's limits (R13): overall per second, per chat per second,
per group chat per minute — strictly, as sliding windows, never as a bursty token bucket.

Why our own pacer and not PTB's ``AIORateLimiter``: that limiter wraps *every* request of the
bot, so a user's reply would queue behind a sweep of 1,000 alerts, and its leaky buckets allow
a burst of a whole second's quota at once, which a strict sliding window (Telegram's worst
case, and the emulator's flood mode) answers with 429. Here only alert delivery is paced;
replies to users bypass it, and the default overall rate (28/s) leaves them headroom under
Telegram's 30/s. (28, not 25: a send holds its place until a second after it *completed*,
so the rate achieved is a little under the limit, and 1,000 alerts must go out within 1.2× of
Telegram's own 33 s — issue 14; two replies a second during a sweep's minute still fit.)

How a send is counted: :meth:`Pacer.slot` is entered right before the API call and left when
the call returns. A send occupies its windows from the moment it is let through until
``span`` seconds after it *completed*; while in flight it counts too. Telegram counts a
message when the request arrives, which is after we let it through and before it completes,
so any ``span``-long window on Telegram's side holds at most ``limit`` of our sends: of the
sends arriving within one window, the one let through last saw every other one either in
flight or completed less than ``span`` before (it arrived before the last one's arrival,
which is within the window). This holds whatever the network latency, and with concurrent
senders.

``RetryAfter(n)``: :meth:`Pacer.pause` holds every send until ``n`` seconds have passed (a
flood answer may concern the whole bot, not one chat).

Time is injectable: ``monotonic`` and ``sleep`` default to the real ones; tests pass a fake
pair so 1,000 paced sends take no real time (the emulator reads the same fake ``monotonic``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Waits are rounded up by this much so that a float that lands a hair before a window frees
# does not loop, and so that real-network jitter has a little slack.
MARGIN = 0.001


@dataclass(frozen=True)
class Limits:
    """Sends allowed: ``overall_per_second`` in any 1 s, ``per_chat_per_second`` to one chat
    in any 1 s, ``group_per_minute`` to one group (negative chat id) in any 60 s."""

    overall_per_second: int = 28
    per_chat_per_second: int = 1
    group_per_minute: int = 20

    def __post_init__(self) -> None:
        for name in ("overall_per_second", "per_chat_per_second", "group_per_minute"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


class _Send:
    """One send in the windows: let through at ``start``, completed at ``end`` (``None``
    while in flight)."""

    __slots__ = ("end", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.end: float | None = None


class _Window:
    """At most ``limit`` sends per ``span`` seconds, counting in-flight ones."""

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self.span = span
        self.sends: list[_Send] = []

    def prune(self, now: float) -> None:
        self.sends = [s for s in self.sends if s.end is None or s.end > now - self.span]

    def wait(self, now: float) -> float | None:
        """Seconds until one more send fits (0: now); ``None``: only an in-flight send's
        completion can free a place, so wait for that first."""
        self.prune(now)
        excess = len(self.sends) - self.limit + 1
        if excess <= 0:
            return 0.0
        ends = sorted(s.end for s in self.sends if s.end is not None)
        if len(ends) < excess:
            return None
        return ends[excess - 1] + self.span - now + MARGIN


class Pacer:
    """Lets alert sends through under :class:`Limits` (see the module docstring).

    Usage::

        async with pacer.slot(chat_id):
            await bot.send_message(chat_id, ...)
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self.monotonic = monotonic
        self._sleep = sleep
        self._overall = _Window(self.limits.overall_per_second, 1.0)
        self._chats: dict[int, list[_Window]] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._global = asyncio.Lock()
        self._paused_until = float("-inf")
        self._completed = asyncio.Event()
        self.sent = 0  # sends let through, for reports and tests
        self.in_flight = 0  # sends let through and not completed yet
        self.waited = 0.0  # seconds spent waiting on windows or pauses

    async def sleep(self, seconds: float) -> None:
        """The injected sleep (network backoff uses it too)."""
        await self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` from now (``RetryAfter``)."""
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)

    def _chat_windows(self, chat_id: int) -> list[_Window]:
        windows = self._chats.get(chat_id)
        if windows is None:
            windows = [_Window(self.limits.per_chat_per_second, 1.0)]
            if chat_id < 0:
                windows.append(_Window(self.limits.group_per_minute, 60.0))
            self._chats[chat_id] = windows
        return windows

    async def _wait_for(self, windows: list[_Window]) -> None:
        """Return once one more send fits ``windows`` and no pause is on."""
        while True:
            completed = self._completed  # taken before looking: no completion slips by
            now = self.monotonic()
            waits = [w.wait(now) for w in windows]
            if any(w is None for w in waits):
                await completed.wait()
                continue
            delay = max([self._paused_until - now, *(w for w in waits if w is not None)])
            if delay <= 0:
                return
            self.waited += delay
            await self._sleep(delay)

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Wait until a send to ``chat_id`` fits every window, hold its place while the
        block runs (the API call), and count it until ``span`` after the block ends."""
        chat_windows = self._chat_windows(chat_id)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            # The chat's own windows first, without holding up other chats; then the overall
            # window under the global lock. Time only moves on and only this chat's holder
            # adds to its windows, so the chat windows still fit afterwards.
            await self._wait_for(chat_windows)
            async with self._global:
                await self._wait_for([self._overall])
                send = _Send(self.monotonic())
                for window in (self._overall, *chat_windows):
                    window.sends.append(send)
                self.sent += 1
                self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            send.end = self.monotonic()
            completed, self._completed = self._completed, asyncio.Event()
            completed.set()


__all__ = ["MARGIN", "Limits", "Monotonic", "Pacer", "Sleep"]
