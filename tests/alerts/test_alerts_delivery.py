"""What each Telegram answer means for an alert (R10–R12), with a fake transport on fake time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut

from alerts.delivery import Deliverer, Outbound, Outcome, retry_after_seconds
from alerts.pacing import Pacer
from tests.alerts.helpers import FakeBot, FakeTime, connection_lost, connection_refused

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def deliverer(bot: FakeBot, time: FakeTime, **kw: object) -> Deliverer:
    pacer = Pacer(monotonic=time.monotonic, sleep=time.sleep)
    return Deliverer(bot, pacer, **kw)  # type: ignore[arg-type]


def setup() -> tuple[FakeTime, FakeBot]:
    time = FakeTime()
    return time, FakeBot(time=time)


async def test_a_sent_message_returns_its_id() -> None:
    time, bot = setup()
    result = await deliverer(bot, time).send(Outbound(1, "<b>hi</b>"))
    assert result.outcome is Outcome.SENT and result.message_id == bot.sent[0].message_id
    assert result.attempts == 1


async def test_retry_after_waits_at_least_n_seconds_then_delivers_once() -> None:
    time, bot = setup()
    bot.fail[1] = [RetryAfter(7)]
    result = await deliverer(bot, time).send(Outbound(1, "x"))
    assert result.outcome is Outcome.SENT and result.attempts == 2
    assert result.flood_waits == (7.0,)
    [(_, refused_at), (_, sent_at)] = bot.attempts
    assert sent_at - refused_at >= 7.0
    assert len(bot.sent) == 1


async def test_endless_flood_answers_leave_the_alert_for_the_next_sweep() -> None:
    time, bot = setup()
    bot.fail[1] = [RetryAfter(1)] * 5
    result = await deliverer(bot, time, retry_after_attempts=3).send(Outbound(1, "x"))
    assert result.outcome is Outcome.RETRY and result.attempts == 3 and not bot.sent


@pytest.mark.parametrize(
    "error",
    [
        Forbidden("Forbidden: bot was blocked by the user"),
        Forbidden("Forbidden: bot can't initiate conversation with a user"),
        BadRequest("Bad Request: chat not found"),
    ],
)
async def test_a_refused_recipient_is_unreachable_without_retry(error: Exception) -> None:
    time, bot = setup()
    bot.fail[1] = [error]
    result = await deliverer(bot, time).send(Outbound(1, "x"))
    assert result.outcome is Outcome.UNREACHABLE and len(bot.attempts) == 1


async def test_a_refused_text_fails_without_retry() -> None:
    time, bot = setup()
    bot.fail[1] = [BadRequest("Bad Request: can't parse entities: unclosed tag")]
    result = await deliverer(bot, time).send(Outbound(1, "<b>x"))
    assert result.outcome is Outcome.FAILED and len(bot.attempts) == 1
    assert result.error is not None and "parse entities" in result.error


async def test_timed_out_is_uncertain_and_never_retried() -> None:
    time, bot = setup()
    bot.fail[1] = [("deliver", TimedOut())]
    result = await deliverer(bot, time).send(Outbound(1, "x"))
    assert result.outcome is Outcome.UNCERTAIN and len(bot.attempts) == 1
    assert len(bot.sent) == 1  # it did arrive: resending would have doubled it


async def test_a_connection_lost_after_sending_is_uncertain() -> None:
    time, bot = setup()
    bot.fail[1] = [connection_lost()]
    result = await deliverer(bot, time).send(Outbound(1, "x"))
    assert result.outcome is Outcome.UNCERTAIN and len(bot.attempts) == 1


async def test_connection_refused_is_retried_with_backoff() -> None:
    time, bot = setup()
    bot.fail[1] = [connection_refused(), connection_refused()]
    start = time.now
    result = await deliverer(bot, time, backoff=(1.0, 2.0, 4.0)).send(Outbound(1, "x"))
    assert result.outcome is Outcome.SENT and result.attempts == 3
    assert time.now - start >= 3.0  # waited 1 s, then 2 s
    assert [t for _, t in bot.attempts] == sorted(t for _, t in bot.attempts)


async def test_a_connection_that_never_comes_leaves_the_alert_pending() -> None:
    time, bot = setup()
    bot.fail[1] = [connection_refused() for _ in range(10)]
    result = await deliverer(bot, time, backoff=(1.0, 2.0)).send(Outbound(1, "x"))
    assert result.outcome is Outcome.RETRY and result.attempts == 3 and not bot.sent


async def test_other_telegram_errors_leave_the_alert_pending() -> None:
    time, bot = setup()
    bot.fail[-5] = [ChatMigrated(-1005)]
    result = await deliverer(bot, time).send(Outbound(-5, "x"))
    assert result.outcome is Outcome.RETRY


async def test_a_failing_recipient_never_stops_the_others() -> None:
    time, bot = setup()
    bot.fail[2] = [Forbidden("Forbidden: bot was blocked by the user")]
    bot.fail[3] = [("deliver", TimedOut())]
    bot.fail[4] = [BadRequest("Bad Request: message is too long")]
    messages = [Outbound(n, f"m{n}") for n in range(1, 7)]
    results = await deliverer(bot, time, concurrency=3).send_all(messages)
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.UNREACHABLE,
        Outcome.UNCERTAIN,
        Outcome.FAILED,
        Outcome.SENT,
        Outcome.SENT,
    ]
    assert sorted(s.chat_id for s in bot.sent) == [1, 3, 5, 6]


def test_retry_after_in_seconds_whatever_ptb_hands_out() -> None:
    assert retry_after_seconds(RetryAfter(12)) == 12.0
    assert retry_after_seconds(RetryAfter(timedelta(seconds=3))) == 3.0
