"""Sending alert messages through the pacer, and what each Telegram answer means for the
record (R10–R13). Nothing here writes storage: :func:`Deliverer.send` returns a
:class:`Result` and :mod:`alerts.sweep` records it.

Outcomes:

- ``sent`` — Telegram answered with a message.
- ``RetryAfter(n)`` — the pacer holds every send for ``n`` seconds, then the same message is
  sent again (R11: wait ≥ n s, deliver once). After ``retry_after_attempts`` flood answers
  for one message it is left ``pending`` for the next sweep rather than held forever.
- ``Forbidden`` (blocked, kicked, never started) and ``BadRequest: chat not found`` —
  ``unreachable``: no retry (R12); the sweep marks the person and tells inspectors.
- other ``BadRequest`` — ``failed``: Telegram refuses this text; sending it again would fail
  again. Logged as an error with the traceback.
- ``TimedOut`` and connection errors *after* the request went out (read timeout, connection
  closed without an answer, 5xx) — ``uncertain``: Telegram may have delivered it (R10), so
  it is not retried.
- connection errors *before* the request went out (connection refused or failed, connect
  timeout, no free connection in the pool) — retried with exponential backoff
  (``backoff`` seconds), then left ``pending`` (``retry``) for the next sweep.
- any other ``TelegramError`` — left ``pending`` (``retry``), logged.

A failing recipient never stops the others: every outcome is a value, and
:meth:`Deliverer.send_all` sends distinct chats concurrently (at most ``concurrency``
requests in flight), each through :class:`alerts.pacing.Pacer`.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

import httpx
from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from alerts.pacing import Pacer

log = logging.getLogger(__name__)

# httpx failures that prove the request never left this machine: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Outcome(StrEnum):
    SENT = "sent"
    UNCERTAIN = "uncertain"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    RETRY = "retry"  # certainly not delivered; left pending for the next sweep


@dataclass(frozen=True)
class Outbound:
    """One message to send: ``text`` is Telegram HTML, already safe (R24)."""

    chat_id: int
    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    attempts: int = 1
    flood_waits: tuple[float, ...] = field(default=())

    @property
    def timed_out(self) -> bool:
        """The request timed out (``TimedOut``), as opposed to another uncertain end."""
        return (self.error or "").startswith("TimedOut:")


class SendsMessages(Protocol):
    """The part of ``telegram.Bot`` delivery uses (a fake in unit tests)."""

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        parse_mode: str | None = ...,
        reply_markup: InlineKeyboardMarkup | None = ...,
        read_timeout: float | None = ...,
        write_timeout: float | None = ...,
        connect_timeout: float | None = ...,
        pool_timeout: float | None = ...,
    ) -> Message: ...


def retry_after_seconds(error: RetryAfter) -> float:
    """``error.retry_after`` in seconds (PTB 22 gives an int or a timedelta and warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def not_sent(error: NetworkError) -> bool:
    """True if ``error`` proves the request never reached Telegram (see the module doc)."""
    return isinstance(error.__cause__, _NOT_SENT)


def _unreachable(error: BadRequest) -> bool:
    return "chat not found" in error.message.lower()


@dataclass
class Deliverer:
    """Sends :class:`Outbound` messages through ``pacer`` with the policy above.

    ``timeouts`` are passed to every ``send_message`` (``read_timeout`` …; PTB's defaults
    when empty). ``backoff`` lists the waits before each retry of a not-sent request.
    """

    bot: SendsMessages
    pacer: Pacer
    concurrency: int = 8
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0)
    retry_after_attempts: int = 3
    timeouts: dict[str, float] = field(default_factory=dict)
    _gate: asyncio.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._gate = asyncio.Semaphore(max(1, self.concurrency))

    async def send(self, message: Outbound) -> Result:
        """Send one message; never raises for a Telegram or network failure."""
        floods: list[float] = []
        network_tries = 0
        attempts = 0
        while True:
            attempts += 1
            try:
                async with self.pacer.slot(message.chat_id), self._gate:
                    sent = await self.bot.send_message(
                        message.chat_id,
                        message.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=message.keyboard,
                        **self.timeouts,
                    )
                return Result(Outcome.SENT, sent.message_id, None, attempts, tuple(floods))
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                floods.append(wait)
                self.pacer.pause(wait)
                log.warning("flood control on chat %s: waiting %.0f s", message.chat_id, wait)
                if len(floods) >= self.retry_after_attempts:
                    return self._result(Outcome.RETRY, error, attempts, floods)
            except Forbidden as error:
                return self._result(Outcome.UNREACHABLE, error, attempts, floods)
            except BadRequest as error:
                if _unreachable(error):
                    return self._result(Outcome.UNREACHABLE, error, attempts, floods)
                log.error("Telegram refused an alert to chat %s", message.chat_id, exc_info=error)
                return self._result(Outcome.FAILED, error, attempts, floods)
            except NetworkError as error:  # TimedOut included
                if not not_sent(error):
                    log.warning(
                        "alert to chat %s may or may not have been delivered: %s",
                        message.chat_id,
                        error,
                    )
                    return self._result(Outcome.UNCERTAIN, error, attempts, floods)
                if network_tries >= len(self.backoff):
                    log.warning(
                        "alert to chat %s not sent, kept for the next sweep", message.chat_id
                    )
                    return self._result(Outcome.RETRY, error, attempts, floods)
                await self.pacer.sleep(self.backoff[network_tries])
                network_tries += 1
            except TelegramError as error:
                log.error("alert to chat %s not sent", message.chat_id, exc_info=error)
                return self._result(Outcome.RETRY, error, attempts, floods)

    @staticmethod
    def _result(
        outcome: Outcome, error: TelegramError, attempts: int, floods: list[float]
    ) -> Result:
        kind = "TimedOut" if isinstance(error, TimedOut) else type(error).__name__
        return Result(outcome, None, f"{kind}: {error.message}", attempts, tuple(floods))

    async def send_all(self, messages: Sequence[Outbound]) -> list[Result]:
        """Send every message; results in input order. Each chat's messages go in order, one
        after the other; chats go concurrently, at most ``concurrency`` requests in flight.
        (A worker pool over the flat list would stall on a chat's 1 msg/s while other chats
        could go.)"""
        self._gate = asyncio.Semaphore(max(1, self.concurrency))
        results: list[Result | None] = [None] * len(messages)
        by_chat: dict[int, list[int]] = {}
        for index, message in enumerate(messages):
            by_chat.setdefault(message.chat_id, []).append(index)

        async def chat(indexes: list[int]) -> None:
            for index in indexes:
                results[index] = await self.send(messages[index])

        await asyncio.gather(*(chat(indexes) for indexes in by_chat.values()))
        return [r for r in results if r is not None]


__all__ = [
    "Deliverer",
    "Outbound",
    "Outcome",
    "Result",
    "SendsMessages",
    "not_sent",
    "retry_after_seconds",
]
