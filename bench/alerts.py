"""A province-sized alert sweep: 30,000 items in 300 units, through the real store on disk.

Builds a data directory with 300 units of 100 items each, every item moved through the real
workflow (``ledger.workflow.create_item`` / ``act``: genuine histories), in every state and
with deadlines spread around "now" (Monday 2026-03-02 09:00), plus a contact and a leader per
unit and five inspectors. Then times one sweep's parts as ``alerts.sweep`` runs them:

- ``gather``: every item, and ``status_since`` from each active item's history (cold, then
  warm with the sweep's cache);
- ``decide``: ``ledger.alerts.decide_alerts`` over all of it;
- ``render``: the messages, in the recipients' language;
- ``record``: the one registry write that records every delivery key ``pending``;
- ``begin``: all of the above as one sweep runs it (cold cache, worker thread excluded);
- ``deliver``: claiming waves, an instant transport, recording outcomes (the pacer off), to
  show the alert log's write cost apart from Telegram's pacing;
- a second sweep at the same instant (everything already recorded: it sends nothing).

Prints JSON. ``python bench/alerts.py [--units 300] [--items 100] [--dir PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.log import AlertLog
from alerts.pacing import Limits, Pacer
from alerts.sweep import Runtime, Sweeper
from config import BotConfig, Config
from handlers.clock import FakeClock
from handlers.services import Services
from ledger.model import Person, Role, Status, Unit
from ledger.rules import Rules
from ledger.workflow import Action, NewEvidence, act, create_item
from locales import Catalog
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
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


def build(store: Store, units: int, per_unit: int, rules: Rules) -> int:
    """Fill ``store``; returns the number of events written."""
    inspector = Person(INSPECTORS[0], "巡察组", Role.INSPECTOR)
    events = 0
    for u in range(units):
        code = f"U{u:03d}"
        store.add_unit(Unit(code, f"第{u}单位党组"))
        contact = Person(10_000 + u, f"联络员{u}", Role.CONTACT, unit=code)
        leader = Person(20_000 + u, f"书记{u}", Role.LEADER, unit=code)
        store.registry.upsert_person(contact)
        store.registry.upsert_person(leader)
        actors = {Action.PROGRESS: contact, Action.ADD_EVIDENCE: contact, Action.SUBMIT: contact}
        actors |= {Action.ENDORSE: leader, Action.APPROVE: inspector}
        with store.ledger(code).transaction() as tx:
            for n in range(per_unit):
                status = MIX[n % len(MIX)]
                closed = status is Status.CLOSED
                # Deadlines from 60 days ago to 60 days ahead; closed ones last year.
                offset = (n * 7 + u) % 120 - 60
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


@dataclass
class InstantBot:
    """Answers every send at once (the transport is not what this bench measures)."""

    sent: int = 0

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        self.sent += 1
        return type("Sent", (), {"message_id": self.sent})()


def seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="zgt-bench-alerts-"))
    config = Config(path=Path("config.toml"), bot=BotConfig(data_dir=root, inspectors=INSPECTORS))
    out: dict[str, Any] = {"units": args.units, "items": args.units * args.items}

    with Store.open(root) as store:
        started = time.perf_counter()
        out["events"] = build(store, args.units, args.items, config.rules)
        out["build_seconds"] = seconds(started)

    with Store.open(root) as store:  # a fresh start: nothing decoded or cached yet
        services = Services.create(config, store, FakeClock(NOW), Catalog.load())
        bot = InstantBot()
        unlimited = Pacer(Limits(10**6, 10**6, 10**6))
        sweeper = Sweeper(services, bot, Runtime(pacer=unlimited, concurrency=64))

        started = time.perf_counter()
        world = sweeper._world()
        out["gather_cold_seconds"] = seconds(started)
        started = time.perf_counter()
        sweeper._world()
        out["gather_warm_seconds"] = seconds(started)
        out["items_with_status_since"] = len(world.since)

        records = AlertLog(store.registry).snapshot()
        plan = sweeper._plan(NOW, {}, records)
        out["decide_seconds"] = round(plan.decide_seconds, 3)
        started = time.perf_counter()
        for message in plan.messages:
            assert message.outgoing is not None
            plan.renderer.outgoing(message.outgoing)
        out["render_seconds"] = seconds(started)
        out["messages"] = len(plan.messages)
        out["alerts"] = plan.entries
        out["by_kind"] = dict(plan.by_kind)

        sweeper.runtime.since = type(sweeper.runtime.since)()  # cold again for the real run
        started = time.perf_counter()
        begun = sweeper._begin(NOW, "bench", True)
        out["begin_seconds"] = seconds(started)
        assert begun is not None
        report, ready = begun
        assert ready is not None
        out["record_pending_keys"] = len(store.registry.list_alerts())

        started = time.perf_counter()
        await sweeper._deliver(ready.messages, ready.renderer, report)
        out["deliver_seconds_without_pacing"] = seconds(started)
        out["waves"] = -(-len(ready.messages) // sweeper.runtime.wave_size)
        out["sent"] = report.sent
        out["paced_seconds_at_25_per_second"] = round(len(ready.messages) / 25, 1)

        started = time.perf_counter()
        again = await sweeper.tick(force=True)
        out["second_sweep_seconds"] = seconds(started)
        out["second_sweep_sent"] = again.sent if again else None
        out["registry_bytes"] = (root / "registry.json").stat().st_size
        out["alert_records"] = len(store.registry.list_alerts())
        started = time.perf_counter()
        store.registry.list_alerts()
        out["alert_log_read_seconds"] = seconds(started)
    out["data_dir"] = str(root)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
