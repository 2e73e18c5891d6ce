"""R20: latency of one single-item ledger write at 2× the largest expected unit.

Builds a ledger of 1,000 items with 5 events each (Chinese text, progress notes, evidence),
then times N transactions that each read one item, append a progress note to it and append
its event — the shape of a /progress command — through the real durable write path
(temp file, fsync, rename, directory fsync). Prints JSON; the R20 target is p95 < 100 ms.

    python bench/ledger_write.py [--items 1000] [--events 5] [--writes 200] [--dir PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.model import Event, Evidence, Item, ProgressNote, Status, Unit
from storage import Store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROBLEM = "落实全面从严治党主体责任不到位，对下属单位监督检查流于形式，问题整改跟踪不及时。"
MEASURES = "一是召开专题会议研究部署；二是建立问题清单、责任清单、整改清单；三是逐项销号。"


def _item(unit: str, item_id: str, k: int, events: int) -> Item:
    progress = tuple(
        ProgressNote(at=T0 + timedelta(days=j), by=1000 + k, text=f"第{j}次进展：{MEASURES}")
        for j in range(events - 2)
    )
    evidence = (
        Evidence(
            file_id=f"BQACAgUAAxkBAAI{k:08d}",
            name=f"整改佐证材料{k}.pdf",
            size=123_456,
            sha256=f"{k:064x}",
            at=T0,
            by=1000 + k,
        ),
    )
    return Item(
        id=item_id,
        unit=unit,
        category="全面从严治党",
        problem=f"{PROBLEM}（第{k}项）",
        created_at=T0,
        leader="张书记",
        department="办公室",
        owner="李主任",
        measures=MEASURES,
        deadline=date(2026, 6, 30),
        status=Status.IN_PROGRESS,
        progress=progress,
        evidence=evidence,
    )


def _event(item_id: str, seq: int, at: datetime, text: str) -> Event:
    return Event(
        item_id=item_id,
        seq=seq,
        at=at,
        by=1001,
        action="progress",
        before=Status.IN_PROGRESS,
        after=Status.IN_PROGRESS,
        data={"text": text},
    )


def build(store: Store, unit: str, items: int, events: int) -> None:
    ledger = store.add_unit(Unit(unit, "杭州市局党组"))
    with ledger.transaction() as tx:  # one write for the whole fixture
        for k in range(items):
            item_id = tx.new_item_id()
            tx.put(_item(unit, item_id, k, events))
            for seq in range(1, events + 1):
                tx.append(_event(item_id, seq, T0 + timedelta(days=seq), MEASURES))


def one_write(store: Store, unit: str, item_id: str, n: int) -> None:
    """What a /progress handler does: read-modify-write one item plus its event."""
    at = T0 + timedelta(days=30, minutes=n)
    with store.ledger(unit).transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None
        note = ProgressNote(at=at, by=1001, text=f"本周完成第{n}项整改任务")
        tx.put(replace(item, progress=(*item.progress, note)))
        tx.append(_event(item_id, tx.next_event_seq(item_id), at, note.text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="data dir parent (default: tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        data_dir = Path(tmp) / "data"
        with Store.open(data_dir) as store:
            build(store, "HZ", args.items, args.events)
            size = (data_dir / "ledgers" / "HZ.json").stat().st_size
            times: list[float] = []
            for n in range(args.writes):
                item_id = f"HZ-{(n * 7919) % args.items + 1:03d}"
                start = time.perf_counter()
                one_write(store, "HZ", item_id, n)
                times.append((time.perf_counter() - start) * 1000)
        reopen_start = time.perf_counter()
        with Store.open(data_dir, lock=False) as store:
            store.ledger("HZ").items()
        reopen_ms = (time.perf_counter() - reopen_start) * 1000
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(
        json.dumps(
            {
                "bench": "ledger_write",
                "items": args.items,
                "events_per_item": args.events,
                "file_bytes": size,
                "writes": len(times),
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(p95, 2),
                "max_ms": round(times[-1], 2),
                "open_and_decode_all_ms": round(reopen_ms, 2),
                "target_p95_ms": 100,
                "ok": p95 < 100,
            }
        )
    )


if __name__ == "__main__":
    main()
