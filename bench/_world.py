"""Shared by the benchmarks: a province-like data directory built through the real workflow,
built once per size and copied for each run (building 100k items takes a while), timing and
the one JSON line every bench prints.

Not a bench itself (the leading underscore keeps ``bench/run.py`` from running it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ledger.model import Person, Role, Status, Unit  # noqa: E402
from ledger.rules import Rules  # noqa: E402
from ledger.workflow import Action, NewEvidence, act, create_item  # noqa: E402
from storage.repo import Store  # noqa: E402

if TYPE_CHECKING:
    from sandbox.emulator import Emulator

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday, a working day
INSPECTORS = (1, 2, 3, 4, 5)
PROBLEM = "落实全面从严治党主体责任不到位，对下属单位监督检查流于形式"
# Per 100 items: the status each one ends in (the rest of the item's life is its history).
MIX = (
    [Status.OPEN] * 30
    + [Status.IN_PROGRESS] * 30
    + [Status.SUBMITTED] * 8
    + [Status.ENDORSED] * 7
    + [Status.CLOSED] * 25
)
PATH = (Action.PROGRESS, Action.ADD_EVIDENCE, Action.SUBMIT, Action.ENDORSE, Action.APPROVE)
STEPS = {Status.OPEN: 0, Status.IN_PROGRESS: 1, Status.SUBMITTED: 3, Status.ENDORSED: 4}
CACHE = Path(os.environ.get("ZGT_BENCH_CACHE", Path(tempfile.gettempdir()) / "zgt-bench-cache"))


def contact_id(u: int) -> int:
    return 10_000 + u


def leader_id(u: int) -> int:
    return 200_000 + u


def unit_code(u: int) -> str:
    return f"U{u:03d}" if u < 1000 else f"U{u}"


def build(store: Store, units: int, per_unit: int, rules: Rules) -> int:
    """Fill ``store`` with ``units`` × ``per_unit`` items in every state, deadlines spread
    around :data:`NOW`, a contact and a leader per unit; returns the events written."""
    inspector = Person(INSPECTORS[0], "巡察组", Role.INSPECTOR)
    events = 0
    for u in range(units):
        code = unit_code(u)
        store.add_unit(Unit(code, f"第{u}单位党组"))
        contact = Person(contact_id(u), f"联络员{u}", Role.CONTACT, unit=code)
        leader = Person(leader_id(u), f"书记{u}", Role.LEADER, unit=code)
        store.registry.upsert_person(contact)
        store.registry.upsert_person(leader)
        actors = {Action.PROGRESS: contact, Action.ADD_EVIDENCE: contact, Action.SUBMIT: contact}
        actors |= {Action.ENDORSE: leader, Action.APPROVE: inspector}
        with store.ledger(code).transaction() as tx:
            for n in range(per_unit):
                status = MIX[n % len(MIX)]
                closed = status is Status.CLOSED
                offset = (n * 7 + u) % 120 - 60  # deadlines 60 days ago .. 60 days ahead
                created = NOW - timedelta(days=200 if closed else 90)
                deadline = (
                    (NOW - timedelta(days=250 - n % 60)).date()
                    if closed
                    else (NOW + timedelta(days=offset)).date()
                )
                item, event = create_item(
                    code,
                    tx.new_item_seq(),
                    category=rules.categories[n % len(rules.categories)],
                    problem=f"{PROBLEM}（第{n}项）",
                    actor=inspector,
                    now=created,
                    rules=rules,
                    deadline=deadline,
                )
                history = [event]
                steps = len(PATH) if closed else STEPS[status]
                at = created + timedelta(days=1 + n % 40)
                for k, action in enumerate(PATH[:steps]):
                    kw: dict[str, Any] = {}
                    if action is Action.PROGRESS:
                        kw["text"] = "已召开专题会议研究整改"
                    elif action is Action.ADD_EVIDENCE:
                        kw["evidence"] = NewEvidence(f"f{u}-{n}", "佐证.pdf", 1000, f"{n:064x}")
                    elif action is Action.APPROVE:
                        kw["text"] = "核验通过"
                    item, event = act(
                        item,
                        actors[action],
                        action,
                        now=at + timedelta(hours=k),
                        rules=rules,
                        seq=len(history) + 1,
                        **kw,
                    )
                    history.append(event)
                tx.put(item)
                for event in history:
                    tx.append(event)
                events += len(history)
    return events


def world(units: int, per_unit: int, target: Path) -> Path:
    """A fresh copy of the ``units`` × ``per_unit`` world at ``target`` (the data directory);
    the pristine one is built once under :data:`CACHE` and reused."""
    pristine = CACHE / f"world-{units}x{per_unit}"
    if not (pristine / "registry.json").is_file():
        building = CACHE / f".building-{units}x{per_unit}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        with Store.open(building) as store:
            build(store, units, per_unit, Rules())
        (building / ".lock").unlink(missing_ok=True)
        shutil.rmtree(pristine, ignore_errors=True)
        building.rename(pristine)
    shutil.copytree(pristine, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def data_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else 0.0


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def figure(
    name: str,
    value: float,
    *,
    unit: str,
    floor: float | None = None,
    target: str,
    ok: bool,
) -> dict[str, Any]:
    """One row of ``make bench``'s table: the figure, its floor measured in the same run (if
    any), ratio to the floor, the target in words and whether it is met."""
    ratio = None if not floor else round(value / floor, 2)
    return {
        "figure": name,
        "value": round(value, 3),
        "unit": unit,
        "floor": None if floor is None else round(floor, 3),
        "ratio": ratio,
        "target": target,
        "pass": bool(ok),
    }


def emit(bench: str, params: dict[str, Any], figures: list[dict[str, Any]], **extra: Any) -> None:
    """Print the bench's one JSON object (one line)."""
    out = {"bench": bench, "params": params, "figures": figures, **extra}
    print(json.dumps(out, ensure_ascii=False), flush=True)


@asynccontextmanager
async def bot_process(
    argv: list[str], emulator: Emulator, cwd: Path, *, stdout: int = subprocess.PIPE, **env: str
) -> AsyncIterator[Process]:
    """A bot in its own process polling ``emulator`` (``env``: more environment), stopped as
    a service is when the block ends: SIGTERM (PTB stops polling and shuts the application
    down), waited for without blocking the loop — the emulator must answer the child's last
    calls — and killed after 60 s."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env={
            **os.environ,
            **env,
            "TELEGRAM_API_URL": emulator.url,
            "TELEGRAM_BOT_TOKEN": emulator.token,
            "PYTHONPATH": str(ROOT),
        },
        stdout=stdout,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()
