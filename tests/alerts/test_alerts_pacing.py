"""The pacer keeps alert sends within Telegram's limits (R13), judged by the emulator's own
sliding-window flood control, on fake time (no test sleeps)."""

from __future__ import annotations

import asyncio
import random

import pytest

from alerts.pacing import Limits, Pacer
from sandbox.botapi import ApiError
from sandbox.flood import FloodControl, FloodLimits
from tests.alerts.helpers import FakeTime

TELEGRAM = FloodLimits(overall_per_second=30, per_chat_per_second=1, group_per_minute=20)


class Oracle:
    """Telegram's side: counts each send when it arrives, answers 429 like the emulator."""

    def __init__(self, time: FakeTime, limits: FloodLimits = TELEGRAM) -> None:
        self.flood = FloodControl(time.monotonic)
        self.limits = limits
        self.refused = 0
        self.arrivals: dict[int, list[float]] = {}
        self.time = time

    def arrive(self, chat_id: int) -> None:
        try:
            self.flood.check(self.limits, chat_id)
        except ApiError:
            self.refused += 1
            return
        self.flood.count(self.limits, chat_id)
        self.arrivals.setdefault(chat_id, []).append(self.time.now)


async def send(
    pacer: Pacer, oracle: Oracle, time: FakeTime, chat_id: int, there: float, back: float
) -> None:
    """One paced send whose request takes ``there`` seconds to arrive and ``back`` to answer."""
    async with pacer.slot(chat_id):
        await time.sleep(there)
        oracle.arrive(chat_id)
        await time.sleep(back)


async def test_one_chat_gets_at_most_one_message_a_second() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(30, 1, 20), monotonic=time.monotonic, sleep=time.sleep)
    oracle = Oracle(time)
    start = time.now
    for _ in range(5):
        await send(pacer, oracle, time, 42, 0.05, 0.05)
    arrivals = oracle.arrivals[42]
    assert oracle.refused == 0 and len(arrivals) == 5
    assert all(b - a >= 1.0 for a, b in zip(arrivals, arrivals[1:], strict=False))
    assert 4.0 <= time.now - start < 5.0


async def test_many_chats_share_the_overall_rate_without_bursts() -> None:
    time = FakeTime()
    pacer = Pacer(Limits(30, 1, 20), monotonic=time.monotonic, sleep=time.sleep)
    oracle = Oracle(time)
    start = time.now
    await asyncio.gather(*(send(pacer, oracle, time, 1000 + n, 0.0, 0.0) for n in range(120)))
    assert oracle.refused == 0
    # 120 sends at 30 per any second: at least three full seconds, and not much more.
    assert 3.0 <= time.now - start < 4.5
    times = sorted(t for ts in oracle.arrivals.values() for t in ts)
    assert max(sum(1 for u in times if t - 1.0 < u <= t) for t in times) <= 30


async def test_a_group_gets_at_most_twenty_a_minute() -> None:
    time = FakeTime()
    pacer = Pacer(monotonic=time.monotonic, sleep=time.sleep)
    oracle = Oracle(time)
    start = time.now
    for _ in range(45):
        await send(pacer, oracle, time, -100_123, 0.01, 0.01)
    assert oracle.refused == 0 and len(oracle.arrivals[-100_123]) == 45
    assert time.now - start >= 120.0  # 45 = 20 + 20 + 5: two full windows at least


async def test_an_in_flight_send_holds_its_place_until_it_completes() -> None:
    time = FakeTime()
    pacer = Pacer(monotonic=time.monotonic, sleep=time.sleep)
    released = asyncio.Event()
    order: list[tuple[str, float]] = []

    async def slow() -> None:
        async with pacer.slot(7):
            order.append(("slow in", time.now))
            await released.wait()  # a request that takes long, in real time
        order.append(("slow done", time.now))

    async def next_one() -> None:
        async with pacer.slot(7):
            order.append(("next in", time.now))

    first = asyncio.create_task(slow())
    await asyncio.sleep(0)
    second = asyncio.create_task(next_one())
    for _ in range(5):
        await asyncio.sleep(0)
    assert [name for name, _ in order] == ["slow in"]  # waits on the completion, not on time
    time.now += 30.0
    released.set()
    await asyncio.gather(first, second)
    assert [name for name, _ in order] == ["slow in", "slow done", "next in"]
    assert order[2][1] >= order[1][1] + 1.0  # counted from completion


async def test_pause_holds_every_chat() -> None:
    time = FakeTime()
    pacer = Pacer(monotonic=time.monotonic, sleep=time.sleep)
    start = time.now
    pacer.pause(5)
    async with pacer.slot(1):
        first = time.now
    async with pacer.slot(2):
        second = time.now
    assert first >= start + 5 and second >= start + 5


@pytest.mark.parametrize("seed", range(5))
async def test_random_latency_and_concurrency_never_draw_a_429(seed: int) -> None:
    """Telegram counts at arrival, anywhere between release and completion: the pacer's
    guarantee must hold for any latency, with many senders at once."""
    rng = random.Random(seed)
    time = FakeTime()
    pacer = Pacer(Limits(30, 1, 20), monotonic=time.monotonic, sleep=time.sleep)
    oracle = Oracle(time)
    chats = [1000 + n for n in range(40)] + [-100_000 - n for n in range(3)]
    gate = asyncio.Semaphore(8)

    async def one(chat_id: int) -> None:
        async with gate:
            await send(pacer, oracle, time, chat_id, rng.uniform(0, 0.4), rng.uniform(0, 0.4))

    await asyncio.gather(*(one(rng.choice(chats)) for _ in range(400)))
    assert oracle.refused == 0
    assert sum(len(v) for v in oracle.arrivals.values()) == 400
    assert pacer.sent == 400


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Limits(overall_per_second=0)
