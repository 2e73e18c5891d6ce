"""Durable single-item write on a 1,000-item ledger against the raw floor (R20, issue 14).

Builds a ledger of ``--items`` items (5 events each), then times ``--writes`` transactions
that each read one item, append a progress note and its event — a /progress command's
write — through the real path. The floor, in the same run: writing the same file's bytes
with bare ``os`` calls (temp file, write, fsync, ``os.replace``, directory fsync), i.e. what
any durable whole-file write costs, each right after the write it mirrors. Target: p50 ≤ 2×
the floor's p50.

    python bench/write.py [--items 1000] [--writes 200] [--dir PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._world import NOW, emit, figure, median, ms, percentile, world
from ledger.model import Event, ProgressNote, Status
from storage.repo import Store


def one_write(store: Store, unit: str, item_id: str, n: int) -> None:
    """What a /progress handler does: read-modify-write one item plus its event."""
    at = NOW + timedelta(minutes=n + 1)
    with store.ledger(unit).transaction() as tx:
        item = tx.get_item(item_id)
        assert item is not None
        note = ProgressNote(at=at, by=10_000, text=f"本周完成第{n}项整改任务")
        tx.put(replace(item, progress=(*item.progress, note)))
        tx.append(
            Event(
                item_id=item_id,
                seq=tx.next_event_seq(item_id),
                at=at,
                by=10_000,
                action="progress",
                before=item.status,
                after=Status.IN_PROGRESS if item.status is Status.OPEN else item.status,
                data={"text": note.text},
            )
        )


def raw_write(path: Path, data: bytes) -> None:
    """The floor: the same bytes, durably, with nothing but os calls."""
    tmp = path.with_name(f".{path.name}.floor.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = world(1, args.items, Path(tmp) / "data")
        ledger_file = root / "ledgers" / "U000.json"
        times: list[float] = []
        floors: list[float] = []
        floor_file = Path(tmp) / "floor.json"
        with Store.open(root) as store:
            # Each write is followed by the floor's write of the bytes it just wrote: both
            # see the same load of the shared machine, so the ratio is fair.
            for n in range(args.writes):
                item_id = f"U000-{(n * 7919) % args.items + 1:03d}"
                started = time.perf_counter()
                one_write(store, "U000", item_id, n)
                times.append(time.perf_counter() - started)
                data = ledger_file.read_bytes()
                started = time.perf_counter()
                raw_write(floor_file, data)
                floors.append(time.perf_counter() - started)
            size = ledger_file.stat().st_size
    p50, floor50 = median(times), median(floors)
    p95 = percentile(times, 95)
    emit(
        "write",
        {"items": args.items, "writes": args.writes},
        [
            figure(
                "write p50",
                ms(p50),
                unit="ms",
                floor=ms(floor50),
                target="≤ 2× floor",
                ok=p50 <= 2 * floor50,
            ),
            figure(
                "write p95",
                ms(p95),
                unit="ms",
                floor=ms(percentile(floors, 95)),
                target="< 100 ms (R20)",
                ok=p95 < 0.1,
            ),
        ],
        file_bytes=size,
    )


if __name__ == "__main__":
    main()
