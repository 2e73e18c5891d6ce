"""Shared by the alert tests (unit and end-to-end): items moved through the real workflow in a
real store, a fake bot, and a fake time source for the pacer and the emulator's flood mode."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from telegram import Chat, InlineKeyboardMarkup, Message
from telegram.error import NetworkError

from alerts.pacing import Pacer
from ledger.model import Item, Person, Role, Status
from ledger.rules import Rules
from ledger.workflow import Action, NewEvidence, act, create_item
from storage.repo import Store

INSPECTOR = Person(100, "巡察组", Role.INSPECTOR)


def new_item(
    store: Store,
    unit: str,
    *,
    now: datetime,
    deadline: date | None,
    rules: Rules,
    problem: str = "三会一课制度落实不到位",
) -> str:
    """Create an open item through ``ledger.workflow.create_item``; returns its id."""
    with store.ledger(unit).transaction() as tx:
        item, event = create_item(
            unit,
            tx.new_item_seq(),
            category=rules.categories[0],
            problem=problem,
            actor=INSPECTOR,
            now=now,
            rules=rules,
            deadline=deadline,
            long_term=deadline is None,
        )
        tx.put(item)
        tx.append(event)
    return item.id


def act_on(
    store: Store,
    item_id: str,
    actor: Person,
    action: Action,
    *,
    now: datetime,
    rules: Rules,
    **kw: Any,
) -> Item:
    """One workflow action on a stored item, written like a handler writes it."""
    unit = item_id.split("-")[0]
    with store.ledger(unit).transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None, item_id
        new, event = act(
            item, actor, action, now=now, rules=rules, seq=tx.next_event_seq(item_id), **kw
        )
        tx.put(new)
        tx.append(event)
    return new


def drive(
    store: Store,
    item_id: str,
    status: Status,
    *,
    now: datetime,
    rules: Rules,
    contact: Person,
    leader: Person,
) -> Item:
    """Move a stored open item to ``status`` by the shortest legal path, a minute a step."""
    clock = itertools.count()

    def step(actor: Person, action: Action, **kw: Any) -> Item:
        at = now + timedelta(minutes=next(clock))
        return act_on(store, item_id, actor, action, now=at, rules=rules, **kw)

    item = store.ledger(item_id.split("-")[0]).get_item(item_id)
    assert item is not None
    if status is Status.OPEN:
        return item
    item = step(contact, Action.PROGRESS, text="已制定整改方案")
    if status is Status.IN_PROGRESS:
        return item
    n = len(item.evidence) + 1
    evidence = NewEvidence(file_id=f"f{n}", name=f"佐证{n}.pdf", size=100, sha256=f"{n:064x}")
    step(contact, Action.ADD_EVIDENCE, evidence=evidence)
    item = step(contact, Action.SUBMIT)
    if status is Status.SUBMITTED:
        return item
    item = step(leader, Action.ENDORSE)
    if status is Status.ENDORSED:
        return item
    item = step(INSPECTOR, Action.APPROVE, text="核验通过")
    assert item.status is status, (item.status, status)
    return item


# --------------------------------------------------------------------------- fake time


class Crash(BaseException):
    """Stands for the process dying: nothing in the bot catches it."""


class FakeTime:
    """A virtual monotonic clock for the pacer and the emulator's flood windows: ``sleep(d)``
    wakes when the clock reaches ``now + d``, and the clock jumps to the earliest wake-up
    once the tasks that can run have run (a few loop turns: requests in flight to the
    emulator are real I/O, and may complete "later" in fake time, like a slow network).
    1,000 paced sends take no real time, and concurrent sleeps overlap as they would."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        # While this says so, time stands still (see ``hold_while_in_flight``).
        self.busy: Callable[[], bool] = lambda: False
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        await woken

    def hold_while_in_flight(self, pacer: Pacer) -> None:
        """Real HTTP to the emulator: no fake time passes while a paced request is in
        flight (the network is instant in fake time; Telegram counts at that instant)."""
        self.busy = lambda: pacer.in_flight > 0

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(5):
                await asyncio.sleep(0)  # whatever can run without time passing, runs
            # Requests in flight are real I/O this clock does not see finish: keep turning
            # the loop until they have.
            while self.busy():  # noqa: ASYNC110
                await asyncio.sleep(0)
            target = self._sleepers[0][0]
            self.now = max(self.now, target)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                _, _, woken = heapq.heappop(self._sleepers)
                if not woken.done():
                    woken.set_result(None)


# --------------------------------------------------------------------------- fake bot


@dataclass
class Sent:
    chat_id: int
    text: str
    keyboard: InlineKeyboardMarkup | None
    message_id: int
    at: float


@dataclass
class FakeBot:
    """``send_message`` that records calls; ``fail[chat_id]`` is a list of exceptions to raise
    on the next calls to that chat (``("deliver", error)`` pairs deliver first, the way a
    timed-out request may still arrive, or the process may die right after the call)."""

    time: FakeTime | None = None
    sent: list[Sent] = field(default_factory=list)
    attempts: list[tuple[int, float]] = field(default_factory=list)
    fail: dict[int, list[BaseException | tuple[str, BaseException]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        parse_mode: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        **timeouts: Any,
    ) -> Message:
        now = self.time.now if self.time else 0.0
        self.attempts.append((chat_id, now))
        await asyncio.sleep(0)
        queue = self.fail.get(chat_id)
        if queue:
            failure = queue.pop(0)
            if isinstance(failure, tuple):
                self._deliver(chat_id, text, reply_markup, now)
                raise failure[1]
            raise failure
        return self._deliver(chat_id, text, reply_markup, now)

    def _deliver(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None, now: float
    ) -> Message:
        message_id = next(self._ids)
        self.sent.append(Sent(chat_id, text, keyboard, message_id, now))
        return _message(chat_id, message_id)

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]


def _message(chat_id: int, message_id: int) -> Message:
    return Message(
        message_id=message_id,
        date=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        chat=Chat(chat_id, Chat.PRIVATE),
    )


def connection_refused() -> NetworkError:
    """What PTB raises when the connection could not be made (the request never left)."""
    try:
        raise httpx.ConnectError("[Errno 111] Connection refused")
    except httpx.ConnectError as cause:
        error = NetworkError(f"httpx.ConnectError: {cause}")
        error.__cause__ = cause
        return error


def connection_lost() -> NetworkError:
    """What PTB raises when the server closed the connection after the request was sent."""
    cause = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    error = NetworkError(f"httpx.RemoteProtocolError: {cause}")
    error.__cause__ = cause
    return error


# --------------------------------------------------------------------------- the running bot

_SECTIONS = {
    "【临期提醒】": "due_soon",
    "【超期预警】": "overdue",
    "【超期升级 · 提醒】": "escalation_1",
    "【超期升级 · 告诫】": "escalation_2",
    "【超期升级 · 建议问责】": "escalation_3",
    "【无进展提醒】": "stale",
    "【待签字】": "await_endorsement",
    "【待核验】": "await_verification",
    "【回头看】": "lookback",
    "【日报】": "digest_daily",
    "【周报】": "digest_weekly",
    "【发送状态不明】": "notice_uncertain",
    "【无法送达】": "notice_unreachable",
}
_ITEM = re.compile(r"\b([A-Z][A-Z0-9]{0,9}-\d{3,})\b")


def sections(text: str) -> list[tuple[str, str]]:
    """``(kind, item id)`` for every item line of an alert message (Chinese wording, plain or
    HTML), and ``(kind, "")`` for a message without item lines (digests, notices)."""
    out: list[tuple[str, str]] = []
    kind = ""
    for line in re.sub(r"<[^>]+>", "", text).splitlines():
        head = next((k for title, k in _SECTIONS.items() if line.startswith(title)), None)
        if head is not None:
            kind = head
            if head.startswith(("digest", "notice")):
                out.append((kind, ""))
            continue
        match = _ITEM.match(line.lstrip("🔴🟡🟢✅ "))
        if kind and match and not kind.startswith(("digest", "notice")):
            out.append((kind, match.group(1)))
    return out


async def fake_pacing(app: Any, time: FakeTime | None = None) -> FakeTime:
    """Wait for the start-up sweep, then pace the bot's alert sends on fake time."""
    from alerts.jobs import runtime_of, wait_started

    await wait_started(app)
    time = time or FakeTime()
    pacer = Pacer(monotonic=time.monotonic, sleep=time.sleep)
    time.hold_while_in_flight(pacer)
    runtime_of(app).pacer = pacer
    return time
