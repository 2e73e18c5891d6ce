"""R34 (issue 15, rough edges): write order and ``check`` agree, so a crash or a running import
never looks like damage.

An import registers a new unit the way ``Store.add_unit`` does — its empty ledger file first,
then the registry naming it — and then fills the ledger. Killed anywhere in that sequence, or
looked at by ``check`` while it runs, the data directory may hold a ledger the registry does
not name yet: that is a warning (the next ``add_unit`` adopts the file), never a problem.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import time
from pathlib import Path

from ledger.model import Unit
from storage import Store, check
from storage.maintenance import CheckReport
from tests.reliability.importing import units_being_created
from tests.storage.storage_helpers import add_item

UNITS = 40


def _importer(data_dir: str, first: int, ready_fd: int) -> None:
    """The victim: creates and fills units like an import, until SIGKILLed."""
    with Store.open(data_dir) as store:
        os.write(ready_fd, b"1")
        for n in range(first, first + UNITS):
            code = f"U{n:03d}"
            store.add_unit(Unit(code, f"单位{n}"))
            add_item(store, unit=code)


def test_kills_during_an_import_never_look_like_damage_to_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    ctx = multiprocessing.get_context("fork")  # fast start: the child needs no re-import
    rng = random.Random(15)
    kills, unregistered, in_window = 30, 0, 0
    for k in range(kills):
        read_fd, write_fd = os.pipe()
        child = ctx.Process(target=_importer, args=(str(data), k * UNITS, write_fd))
        child.start()
        os.close(write_fd)
        assert os.read(read_fd, 1) == b"1"  # the store is open: the writes begin now
        os.close(read_fd)
        # Random jitter so the kill lands anywhere among the unit writes: the point of the
        # test, not a wait for time to pass.
        time.sleep(rng.uniform(0.0, 0.05))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        report = check(data)
        assert report.ok, report.text  # never a problem, whatever the kill interrupted
        assert all(line.startswith(("warning:", "all ")) for line in report.text.splitlines()[:-1])
        in_window += len(report.unregistered) > unregistered  # this kill left a new one
        unregistered = len(report.unregistered)
    sys.stdout.write(
        f"R34: {kills} kills, {in_window} between a ledger and its registration, 0 problems\n"
    )
    assert in_window > 0, "no kill landed between a ledger and its registration"
    with Store.open(data) as store:  # and the bot starts from what the kills left
        assert store.damaged() == {}


def test_check_beside_a_running_import_never_reports_damage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    reports: list[CheckReport] = []
    with units_being_created(data, 300) as importing:
        while importing.alive() and len(reports) < 2000:
            reports.append(check(data))
    created = importing.created
    assert created and len(reports) > 1
    for report in reports:
        assert report.ok, report.text
    assert any(report.unregistered for report in reports), "no check saw a unit mid-creation"
    assert check(data).text.startswith("all ")
