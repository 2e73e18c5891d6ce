"""The bot's promises with every ledger dropped as soon as another is read (issue 14).

``storage.repo`` holds at most ``RESIDENT_BYTES`` of ledger files parsed and reads a dropped
ledger back on its next use; a province (100k items) drops and re-reads all day. Here the bound
is one byte, so every read of one unit drops every other unit's parsed ledger, and these
end-to-end tests of several units — the alert sweeps with a damaged record set aside (R29),
an inspector's lists across units and their pages, /units' figures — run again on ledgers
that are parsed on demand, again and again (the fixture checks that ledgers were dropped).
The tests are the same functions as in their own modules; only the bound differs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import storage.repo
from tests.e2e.test_people import test_units_shows_each_units_figures_and_rate
from tests.e2e.test_queries import (
    test_inspector_pages_across_units,
    test_inspectors_see_every_unit_or_the_one_named,
)
from tests.reliability.test_damaged_record import (
    test_one_damaged_ledger_record_never_stops_other_units_alerts_or_answers,
)

__all__ = [
    "test_inspector_pages_across_units",
    "test_inspectors_see_every_unit_or_the_one_named",
    "test_one_damaged_ledger_record_never_stops_other_units_alerts_or_answers",
    "test_units_shows_each_units_figures_and_rate",
]


@pytest.fixture(autouse=True)
def one_ledger_parsed_at_a_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(storage.repo, "RESIDENT_BYTES", 1)
    opened: list[storage.repo.Store] = []
    real = storage.repo.Store.open.__func__  # type: ignore[attr-defined]

    def tracking(cls: type[storage.repo.Store], *args: object, **kwargs: object) -> object:
        store = real(cls, *args, **kwargs)
        opened.append(store)
        return store

    monkeypatch.setattr(storage.repo.Store, "open", classmethod(tracking))
    dropped: list[str] = []
    evict = storage.repo.Ledger._evict

    def counting(ledger: storage.repo.Ledger) -> bool:
        done = evict(ledger)
        if done:
            dropped.append(ledger.unit)
        return done

    monkeypatch.setattr(storage.repo.Ledger, "_evict", counting)
    yield
    # The bound was in force: ledgers were dropped and read back, and each store held at most
    # one parsed ledger after its last read.
    assert opened, "no store was opened"
    assert dropped, "no ledger was ever dropped"
    for store in opened:
        assert len(store.resident()) <= 1
