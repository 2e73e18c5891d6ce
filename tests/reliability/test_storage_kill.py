"""R1: ``kill -9`` during a ledger write leaves a file that parses and holds the old or the new
state — never a mix, never empty.

A writer process moves a ledger through numbered states through the real Store (each state
one transaction: items appear, every item is rewritten with a filler whose length jumps up and
down, so the file grows and shrinks by hundreds of KB; one event per state). After each commit
returns it acknowledges the state number on a pipe. The test SIGKILLs it at a random moment,
reads every acknowledgement that made it into the pipe, and checks the file: it must parse and
be exactly state ``last_ack`` or ``last_ack + 1`` (killed after the rename, before the ack).
The next writer starts from whatever the file holds (and so re-takes the directory lock the
killed one held, and clears its temp file).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.model import Event, Item, Status, Unit
from storage import Store, check
from storage.repo import Ledger
from storage.safe import UnusableDocument, is_temp_file, parse_document

UNIT = "HZ"
MAX_ITEMS = 12
T0 = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
ACK_TIMEOUT_S = 20.0  # a writer that acknowledges nothing for this long is broken, not slow


def n_items(k: int) -> int:
    """Items in state k: none at first, then one more every third state, up to MAX_ITEMS."""
    return min(MAX_ITEMS, (k + 2) // 3)


def filler(k: int, i: int) -> str:
    """Item i's text in state k: 0–45 KB, jumping between states so the file shrinks too."""
    return "整" * (((k * 31 + i * 17) % 7) * 2500)


def apply_state(ledger: Ledger, k: int) -> None:
    """Move the ledger from state k-1 to state k in one transaction."""
    with ledger.transaction() as tx:
        for i in range(len(tx.items()) + 1, n_items(k) + 1):
            assert tx.new_item_id() == f"{UNIT}-{i:03d}"
        for i in range(1, n_items(k) + 1):
            tx.put(_item(i, k))
        tx.append(
            Event(
                item_id=f"{UNIT}-001",
                seq=k,
                at=T0,
                by=1,
                action="state",
                before=None,
                after=Status.OPEN,
                data={"k": k},
            )
        )


def _item(i: int, k: int) -> Item:
    return Item(
        id=f"{UNIT}-{i:03d}",
        unit=UNIT,
        category="其他",
        problem=f"state {k}",
        created_at=T0,
        measures=filler(k, i),
    )


class Mismatch(AssertionError):
    pass


def observed_state(path: Path) -> int:
    """The state number the file holds; ``UnusableDocument`` if it does not parse,
    ``Mismatch`` if it is not exactly one state."""
    raw = path.read_bytes()
    json.loads(raw)  # plain JSON first: "parses" must not depend on our own reader
    doc = parse_document(raw, kind="ledger", expect={"unit": UNIT})
    events = doc.get("events", {})
    k = len(events)
    items = doc.get("items", {})
    problems = []
    if sorted(e["seq"] for e in events.values()) != list(range(1, k + 1)):
        problems.append("events are not 1..k")
    if len(items) != n_items(k):
        problems.append(f"{len(items)} items, expected {n_items(k)}")
    if doc["_meta"]["1"]["next_seq"] != n_items(k) + 1:
        problems.append(f"next_seq {doc['_meta']['1']['next_seq']}")
    for doc_id, item in items.items():
        i = int(doc_id)
        if item["problem"] != f"state {k}" or item["measures"] != filler(k, i):
            problems.append(f"item {i} holds {item['problem']!r}, expected state {k}")
    if problems:
        raise Mismatch(f"{path}: not one state: {problems}")
    return k


def _writer(data_dir: str, ack_fd: int) -> None:
    """The victim: runs in a forked child until SIGKILLed."""
    store = Store.open(data_dir)
    ledger = store.ledger(UNIT)
    k = len(ledger.events(f"{UNIT}-001"))
    while True:
        k += 1
        apply_state(ledger, k)
        os.write(ack_fd, f"{k}\n".encode())  # < PIPE_BUF: one atomic write


@dataclass
class Figures:
    kills: int = 0
    unparseable: int = 0
    mismatches: list[str] = field(default_factory=list)
    mid_write: int = 0  # kills that left a temp file: the writer died inside a write
    after_commit_before_ack: int = 0  # file one state ahead of the last acknowledgement
    states: int = 0

    def line(self) -> str:
        return (
            f"R1: {self.kills} kills, {self.unparseable} unparseable, "
            f"{len(self.mismatches)} mismatches, {self.mid_write} mid-write, "
            f"{self.after_commit_before_ack} committed-but-unacknowledged, "
            f"{self.states} states written"
        )


class _Acks:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.values: list[int] = []
        self.eof = False

    def pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            raise AssertionError(f"writer acknowledged nothing for {timeout} s")
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.eof = True
            return
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        self.values += [int(line) for line in lines]


def run_kills(data_dir: Path, kills: int, seed: int) -> Figures:
    with Store.open(data_dir) as store:
        store.add_unit(Unit(UNIT, "杭州"))
    path = data_dir / "ledgers" / f"{UNIT}.json"
    ctx = multiprocessing.get_context("fork")  # fast start: the child needs no re-import
    rng = random.Random(seed)
    figures = Figures()
    state = 0
    for _ in range(kills):
        r, w = os.pipe()
        child = ctx.Process(target=_writer, args=(str(data_dir), w), daemon=True)
        child.start()
        os.close(w)
        acks = _Acks(r)
        try:
            wanted = rng.randint(0, 3)
            while len(acks.values) < wanted and not acks.eof:
                acks.pump(ACK_TIMEOUT_S)
            # Random jitter so the kill lands anywhere in the write cycle; this is the point
            # of the test, not a wait for time to pass.
            time.sleep(rng.uniform(0, 0.012))
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            while not acks.eof:
                acks.pump(ACK_TIMEOUT_S)
        finally:
            os.close(r)
        assert child.exitcode == -signal.SIGKILL, f"writer died on its own ({child.exitcode})"
        figures.kills += 1
        last_ack = acks.values[-1] if acks.values else state
        if any(is_temp_file(p) for p in path.parent.iterdir()):
            figures.mid_write += 1
        try:
            observed = observed_state(path)
        except (ValueError, UnusableDocument):  # json.JSONDecodeError is a ValueError
            figures.unparseable += 1
            break  # nothing after this is meaningful
        except Mismatch as exc:
            figures.mismatches.append(str(exc))
            break
        if observed not in (last_ack, last_ack + 1):
            figures.mismatches.append(f"file holds state {observed}, last ack was {last_ack}")
            break
        figures.after_commit_before_ack += observed == last_ack + 1
        state = observed
    figures.states = state
    return figures


def _run(tmp_path: Path, kills: int) -> None:
    seed = random.randrange(1 << 30)
    figures = run_kills(tmp_path / "data", kills, seed)
    sys.stdout.write(figures.line() + f" (seed {seed})\n")
    assert figures.unparseable == 0, figures.line()
    assert figures.mismatches == [], figures.mismatches
    assert figures.kills == kills
    assert figures.mid_write > 0, "no kill landed inside a write: the test proves nothing"
    report = check(tmp_path / "data")
    assert report.ok, report.text


def test_kill_during_ledger_writes(tmp_path: Path) -> None:
    _run(tmp_path, kills=100)


@pytest.mark.slow
def test_kill_during_ledger_writes_500(tmp_path: Path) -> None:
    _run(tmp_path, kills=500)
