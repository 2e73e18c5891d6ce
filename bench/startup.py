"""Start-up at 0 / 20k / 100k items: time to the first ``getUpdates`` and peak RSS (issue 14).

Runs ``python bot.py run`` as a child process against the Bot API emulator (in this process)
on a data directory of that many items (``_world``), and, as the floor, a bare PTB echo bot
(``bench/_echo.py``). Measured: seconds from spawning to the first ``getUpdates`` the emulator
receives, and the child's peak resident memory (``VmHWM``) once it has been idle for a second
— no API call but polls, and under 5% of a CPU — so the start-up sweep and the day's figures
of every unit (seconds of work on a worker thread, without an API call) are included.
Targets at the largest size: ≤ 2 s and ≤ 250 MB.

Each size is started twice on the same data directory: the figures are the second start's,
the bot's ordinary one; the first (``first_start`` in ``runs``) is a directory without
verified stamps (``storage.stamps``: a copy made by another build, say), where every ledger is
decoded record by record. Both run by day whatever the hour (``[alerts] quiet = false``): in
quiet hours the start-up sweep only recovers and defers, which would leave its work out of
the figures. So the first start makes the data directory's first sweep (every due alert sent
to the emulator, ``api_calls``), and the second is a restart with that day's alert log
(300,000 records at 100k items) whose start-up sweep decides every unit again and finds
nothing left to send. (A sweep with the day's 日报 due reads every item at once; the first
sweep of a data directory marks the latest digests served, so the restart has none due.)

    python bench/startup.py [--sizes 0,20000,100000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._world import INSPECTORS, ROOT, bot_process, emit, figure, world
from sandbox.emulator import Emulator

BENCH = Path(__file__).resolve().parent


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(argv: list[str], cwd: Path) -> dict[str, Any]:
    """One child on its own emulator (so no poll of an earlier child is counted)."""
    async with Emulator() as emulator:
        return await _measure(emulator, argv, cwd)


async def _measure(emulator: Emulator, argv: list[str], cwd: Path) -> dict[str, Any]:
    before = len(emulator.calls)
    started = time.perf_counter()
    async with bot_process(argv, emulator, cwd, stdout=subprocess.DEVNULL) as child:
        first = None
        while first is None:
            if child.returncode is not None:
                raise RuntimeError(f"{argv} exited with {child.returncode}")
            # A call is recorded when answered, and a long poll is answered late: a poll
            # waiting (or one answered at once) marks the first getUpdates.
            if emulator.waiting_polls or any(
                c.method == "getUpdates" for c in emulator.calls[before:]
            ):
                first = time.perf_counter() - started
            else:
                await asyncio.sleep(0.005)
        # Let the start-up work finish: idle = for a second no API call but polls, and (the
        # sweep's deciding and the figures make no call) under 5% of a CPU.
        quiet_since, seen = time.perf_counter(), len(emulator.calls)
        cpu = cpu_seconds(child.pid)
        while time.perf_counter() - quiet_since < 1.0 and time.perf_counter() - started < 600:
            await asyncio.sleep(0.1)
            busy = [c for c in emulator.calls[seen:] if c.method != "getUpdates"]
            used, cpu = cpu_seconds(child.pid) - cpu, cpu_seconds(child.pid)
            if busy or used > 0.005:
                quiet_since = time.perf_counter()
            seen = len(emulator.calls)
        idle = time.perf_counter() - started
        rss = peak_rss_mb(child.pid)
        calls = sum(1 for c in emulator.calls[before:] if c.method != "getUpdates")
    return {
        "first_get_updates_s": round(first, 3),
        "peak_rss_mb": round(rss, 1),
        "api_calls": calls,
        "idle_s": round(idle, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,20000,100000")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = []
    floor = await measure([sys.executable, str(BENCH / "_echo.py")], BENCH)
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            work = Path(tmp)
            if n:
                world(max(1, n // 100), min(n, 100), work / "data")
            ids = ", ".join(str(i) for i in INSPECTORS)
            (work / "config.toml").write_text(
                f'[bot]\ndata_dir = "data"\ninspectors = [{ids}]\n[alerts]\nquiet = false\n',
                encoding="utf-8",
            )
            argv = [sys.executable, str(ROOT / "bot.py"), "--config", "config.toml", "run"]
            (work / "data" / "verified.json").unlink(missing_ok=True)
            first = await measure(argv, work)
            runs.append({"items": n, **await measure(argv, work), "first_start": first})
    top = runs[-1]
    emit(
        "startup",
        {"sizes": sizes},
        [
            figure(
                f"start-up @{top['items']}",
                top["first_get_updates_s"],
                unit="s",
                floor=floor["first_get_updates_s"],
                target="≤ 2 s",
                ok=top["first_get_updates_s"] <= 2,
            ),
            figure(
                f"peak RSS @{top['items']}",
                top["peak_rss_mb"],
                unit="MB",
                floor=floor["peak_rss_mb"],
                target="≤ 250 MB",
                ok=top["peak_rss_mb"] <= 250,
            ),
        ],
        echo=floor,
        runs=runs,
    )


if __name__ == "__main__":
    asyncio.run(main())
