"""storage.paper: surveys and 回头看 records in the registry's meta, written crash-safe and
read-decide-write under the registry's lock (answer once, even at the same instant)."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.model import Item
from ledger.survey import AlreadyAnswered, Choice, open_survey, record_response
from storage import Store
from storage.errors import CorruptFile
from storage.paper import PaperStore
from tests.storage.storage_helpers import HZ

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 9, tzinfo=TZ)
CLOSES = datetime(2026, 6, 15, tzinfo=TZ)


def an_item() -> Item:
    return Item(id="HZ-001", unit="HZ", category="党的建设", problem="问题", created_at=NOW)


def open_one(paper: PaperStore, token: str = "A" * 22) -> None:
    paper.add_survey(
        "HZ",
        lambda existing: open_survey(
            "HZ",
            [an_item()],
            ["党的建设"],
            token=token,
            salt="00" * 16,
            by=1,
            now=NOW,
            closes_at=CLOSES,
            existing=existing,
        ),
    )


def answer(paper: PaperStore, voter: str) -> None:
    paper.update_survey(
        "HZ", "A" * 22, lambda s: record_response(s, voter, (Choice.BASIC,), "", NOW)
    )


def test_concurrent_answers_are_all_kept_and_each_voter_counts_once(store: Store) -> None:
    paper = PaperStore(store.registry)
    open_one(paper)
    refused: list[str] = []

    def worker(n: int) -> None:
        voter = f"v{n % 10}"  # every voter tries twice
        try:
            answer(paper, voter)
        except AlreadyAnswered:
            refused.append(voter)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [survey] = paper.surveys("HZ")
    assert sorted(r.voter for r in survey.responses) == sorted(f"v{n}" for n in range(10))
    assert sorted(refused) == sorted(f"v{n}" for n in range(10))


def test_a_refused_change_writes_nothing(store: Store) -> None:
    paper = PaperStore(store.registry)
    open_one(paper)
    answer(paper, "v1")
    before = store.registry.get_meta("survey:HZ")
    with pytest.raises(AlreadyAnswered):
        answer(paper, "v1")
    with pytest.raises(LookupError):
        paper.update_survey("HZ", "B" * 22, lambda s: s)
    assert store.registry.get_meta("survey:HZ") == before


def test_surveys_survive_a_reopen_and_damage_is_named(tmp_path: Path) -> None:
    with Store.open(tmp_path / "data") as s:
        s.add_unit(HZ)
        open_one(PaperStore(s.registry))
        answer(PaperStore(s.registry), "v1")
    with Store.open(tmp_path / "data", lock=False) as s:
        [survey] = PaperStore(s.registry).surveys("HZ")
        assert [r.voter for r in survey.responses] == ["v1"]
    with Store.open(tmp_path / "data") as s:
        s.registry.set_meta("survey:HZ", [{"unit": "HZ"}])
        with pytest.raises(CorruptFile, match="survey:HZ"):
            PaperStore(s.registry).surveys("HZ")
