"""Telegram's sending limits, as the emulator enforces them when flood control is on."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.botapi import ApiError

__all__ = ["FloodControl", "FloodLimits"]


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's sending limits, enforced strictly (no bursts) over sliding windows.

    Counted: successful ``sendMessage``/``sendDocument``/``sendPhoto``; refused calls do not
    count. Per chat: at most ``per_chat_per_second`` in any 1 s; overall:
    ``overall_per_second`` in any 1 s; per group (negative chat id): ``group_per_minute`` in
    any 60 s. Exceeding one answers 429 "Too Many Requests: retry after N" with
    ``parameters.retry_after = N``, N the whole seconds until the window frees (≥ 1).
    Telegram tolerates short bursts; the emulator does not, so a bot that passes here is
    within the documented limits (R13).
    """

    overall_per_second: int = 30
    per_chat_per_second: int = 1
    group_per_minute: int = 20


class FloodControl:
    """Sliding windows of send times (seconds from ``monotonic``) overall, per chat, per
    group. ``check`` raises the 429 before a send; ``count`` records a send that happened."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self.monotonic = monotonic
        self._overall: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}
        self._per_group: dict[int, deque[float]] = {}

    def _windows(self, limits: FloodLimits, chat_id: int) -> list[tuple[deque[float], int, float]]:
        windows = [
            (self._overall, limits.overall_per_second, 1.0),
            (self._per_chat.setdefault(chat_id, deque()), limits.per_chat_per_second, 1.0),
        ]
        if chat_id < 0:
            group = self._per_group.setdefault(chat_id, deque())
            windows.append((group, limits.group_per_minute, 60.0))
        return windows

    def check(self, limits: FloodLimits | None, chat_id: int) -> None:
        """Raise ``ApiError(429)`` if one more send to ``chat_id`` now would exceed a limit."""
        if limits is None:
            return
        now = self.monotonic()
        wait = 0.0
        for sent, limit, span in self._windows(limits, chat_id):
            while sent and sent[0] <= now - span:
                sent.popleft()
            if len(sent) >= limit:
                # The window frees when the oldest of the last `limit` sends leaves it.
                wait = max(wait, sent[len(sent) - limit] + span - now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def count(self, limits: FloodLimits | None, chat_id: int) -> None:
        if limits is None:
            return
        now = self.monotonic()
        for sent, _limit, _span in self._windows(limits, chat_id):
            sent.append(now)
