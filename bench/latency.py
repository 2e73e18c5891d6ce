"""Reply latency at 20k items against a bare PTB echo bot in the same minutes (issue 14).

Each bot runs alone in its own process, as a bot does in production: the real bot
(``bench/_bot.py``: ``bot.py run`` on the bench world's clock) on a data directory of
``--units`` × 100 items (``_world``), and the floor, a bare python-telegram-bot echo bot
(``bench/_echo.py``: polling, one handler, one reply). This process is Telegram: a Bot API
emulator per bot (``sandbox.emulator``: an emulator serves one bot token) and the people
sending. (Until round 2's fourth pass all of it ran in one process; the bot's worker thread
then waited for the interpreter lock after each system call of a durable write while the
emulators' Python ran: a write of 0.8 ms alone took 3.5–7 ms there.) A unit contact sends
``/open``, ``/item``, ``/progress`` (a durable ledger write) and an inspector ``/units``, each
``--rounds`` times, one command after the other; every request to the real bot follows one to
the echo bot, and each command is compared with the echo requests made between its own, so
the floor is measured under the same load as the figure (the machine is shared: measured a
phase apart, the two drifted by more than the targets). Latency = from the update being
queued to the bot's first reply arriving at the emulator. Targets: p50 ≤ 1.5× the echo p50,
p99 ≤ echo p99 + 50 ms, for each command.

``/units`` is paged (``[workflow] page_size`` units to a page, those needing attention first,
the whole province's figures in the header): what is measured is its first page, which is
what an inspector gets for ``/units``. The JSON says what each reply was (``replies``: median
characters, buttons, and for /units the units shown of how many), and that every progress
note was recorded (``progress_recorded``, read from the data directory once the bot has
stopped), so a figure cannot come from a short or failed answer unnoticed.

Informational, not a target: a reply is not the echo's one word — ``/units``' is a page of
~1,300 characters with 15 buttons, a card has its buttons too — and sending, checking and
parsing that message costs what it costs whatever the bot does before it. So after each
request a third bare PTB bot (``bench/_same.py``, in its own process on its own emulator)
answers with *the same message* (the HTML text and keyboard of the reply just received) and
is timed too: ``"<command>"."same_message_echo_p50_ms"`` and ``"vs_same_message_echo"`` in
the JSON say how much of each command's gap to the one-word echo is its message and how much
is the bot.

    python bench/latency.py [--units 200] [--rounds 30] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.clock import FakeClock
from bench._world import (
    INSPECTORS,
    NOW,
    bot_process,
    contact_id,
    emit,
    figure,
    median,
    ms,
    percentile,
    world,
)
from sandbox.emulator import Emulator
from sandbox.users import BotMessage, EmulatedUser
from storage.repo import Store

BENCH = Path(__file__).resolve().parent
REPLIES: dict[str, list[BotMessage]] = {}
# Before each request: both bots finish what follows their last reply (the next long poll),
# so a request meets idle bots, as a person's does, and neither is timed with the other's.
SETTLE = 0.01


async def timed(user: EmulatedUser, text: str, label: str | None = None) -> float:
    """Seconds from sending ``text`` to the bot's first new message in that chat (the
    message is kept in :data:`REPLIES` under ``label``, by default the command)."""
    await asyncio.sleep(SETTLE)
    user._reply_cursor = len(user.replies)
    started = time.perf_counter()
    await user.send(text)
    reply = await user.next_reply(timeout=30)
    took = time.perf_counter() - started
    REPLIES.setdefault(label or text.split()[0], []).append(reply)
    return took


def described(replies: list[BotMessage]) -> dict[str, Any]:
    """What the replies to one command were: median characters and buttons."""
    return {
        "chars": median(len(r.text) for r in replies),
        "buttons": median(sum(len(row) for row in r.buttons) for r in replies),
    }


async def ready(process: Process) -> None:
    """Until the real bot says its start-up sweep has finished (``bench/_bot.py``)."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 600)
    if line.strip() != b"ready":
        raise RuntimeError(f"the bot did not start (exit {await process.wait()})")


async def measure(
    floor_emulator: Emulator,
    emulator: Emulator,
    same_emulator: Emulator,
    root: Path,
    units: int,
    n: int,
) -> dict[str, Any]:
    """Each command's latencies with the echo latencies taken between them."""
    world(units, 100, root / "data")
    ids = ", ".join(str(i) for i in INSPECTORS)
    cfg = root / "config.toml"
    cfg.write_text(f'[bot]\ndata_dir = "data"\ninspectors = [{ids}]\n', encoding="utf-8")
    echo_user = floor_emulator.user(900_001, "回声")
    same_user = same_emulator.user(900_002, "同样的消息")
    contact = emulator.user(contact_id(0), "联络员0")
    inspector = emulator.user(INSPECTORS[0], "巡察组")
    steps: dict[str, Callable[[int], Awaitable[float]]] = {
        "/open": lambda k: timed(contact, "/open"),
        "/item": lambda k: timed(contact, f"/item U000-{k % 60 + 1:03d}"),
        "progress": lambda k: timed(
            contact, f"/progress U000-{k % 30 + 31:03d} 第{k}次整改进展", "progress"
        ),
        "/units": lambda k: timed(inspector, "/units"),
    }
    out: dict[str, Any] = {}
    same_file = root / "same-message.json"
    before = progress_notes(root / "data")
    async with (
        bot_process([sys.executable, str(BENCH / "_echo.py")], floor_emulator, BENCH),
        bot_process([sys.executable, str(BENCH / "_bot.py"), str(cfg)], emulator, root) as real,
        bot_process(
            [sys.executable, str(BENCH / "_same.py")],
            same_emulator,
            BENCH,
            SAME_MESSAGE=str(same_file),
        ),
    ):
        await ready(real)
        await timed(echo_user, "warm-up")
        await timed(same_user, "warm-up", "same-message warm-up")
        await timed(contact, "/open")  # warm-up
        REPLIES.clear()  # the warm-ups are not what is described
        for name, step in steps.items():
            floor, times, same = [], [], []
            for k in range(n):
                floor.append(await timed(echo_user, f"/open {k}", "echo"))
                times.append(await step(k))
                # Informational: the reply just received, sent by a bare bot.
                reply = REPLIES[label_of(name)][-1]
                message = {"html": reply.html, "reply_markup": reply.reply_markup}
                same_file.write_text(json.dumps(message, ensure_ascii=False), "utf-8")
                same.append(await timed(same_user, name, f"same message {name}"))
            out[name] = {"times": times, "floor": floor, "same": same}
        # The first page of /units: its unit buttons (``unit:CODE``) are the units shown.
        first = REPLIES["/units"][-1]
        shown = sum(
            1 for row in first.buttons for b in row if (b.callback_data or "")[:5] == "unit:"
        )
    with Store.open(root / "data") as store:
        out["units_shown"] = {"shown": shown, "of": len(store.registry.list_units())}
    out["progress_recorded"] = progress_notes(root / "data") - before
    return out


def label_of(command: str) -> str:
    """Under which label :func:`timed` keeps the replies to ``command``."""
    return command.split()[0]


def progress_notes(data: Path) -> int:
    """Progress notes on U000's items, read from the data directory (no bot holds it)."""
    with Store.open(data) as store:
        return sum(len(i.progress) for i in store.ledger("U000").items())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the start-up sweep's warnings are not the output
    clock = FakeClock(NOW)
    async with (
        Emulator(clock=clock) as floor_emulator,
        Emulator(clock=clock) as emulator,
        Emulator(clock=clock) as same_emulator,
    ):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            runs = await measure(
                floor_emulator, emulator, same_emulator, Path(tmp), args.units, args.rounds
            )
    recorded = runs.pop("progress_recorded")
    units_shown = runs.pop("units_shown")
    every_floor = [t for run in runs.values() for t in run["floor"]]
    figures: list[dict[str, Any]] = []
    detail: dict[str, Any] = {
        "echo": {"p50_ms": ms(median(every_floor)), "p99_ms": ms(percentile(every_floor, 99))}
    }
    REPLIES.pop("echo", None)
    REPLIES.pop("same-message warm-up", None)
    same_replies = {name: REPLIES.pop(f"same message {name}", []) for name in runs}
    replies = {name: described(got) for name, got in REPLIES.items()}
    replies["/units"]["units"] = units_shown
    detail["replies"] = replies
    detail["progress_recorded"] = recorded
    for name, run in runs.items():
        times, floor = run["times"], run["floor"]
        p50, p99 = median(times), percentile(times, 99)
        f50, f99 = median(floor), percentile(floor, 99)
        detail[name] = {
            "p50_ms": ms(p50),
            "p99_ms": ms(p99),
            "echo_p50_ms": ms(f50),
            "echo_p99_ms": ms(f99),
        }
        # Informational, not a target (see the module's docstring).
        s50 = median(run["same"])
        detail[name]["same_message_echo_p50_ms"] = ms(s50)
        detail[name]["same_message_echo_p99_ms"] = ms(percentile(run["same"], 99))
        detail[name]["same_message_echo_vs_echo"] = round(s50 / f50, 2)
        detail[name]["vs_same_message_echo"] = round(p50 / s50, 2)
        # The bare bot answered with the real reply: same text and buttons, or it is void.
        detail[name]["same_message"] = described(same_replies[name])
        figures.append(
            figure(
                f"{name} p50",
                ms(p50),
                unit="ms",
                floor=ms(f50),
                target="≤ 1.5× echo",
                ok=p50 <= 1.5 * f50,
            )
        )
        figures.append(
            figure(
                f"{name} p99",
                ms(p99),
                unit="ms",
                floor=ms(f99),
                target="≤ echo p99 + 50 ms",
                ok=p99 <= f99 + 0.05,
            )
        )
    emit("latency", {"items": args.units * 100, "rounds": args.rounds}, figures, **detail)


if __name__ == "__main__":
    asyncio.run(main())
