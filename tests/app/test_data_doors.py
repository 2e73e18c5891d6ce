"""app.data: the data directory's doors for callers that do not import storage (the sandbox):
open it (refused while another process holds it), register units, bind only a unit's contact
or leader (inspectors come from config alone, R21), read back the evidence copies kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.data import DataError, add_unit, bind, data_root, kept_evidence, open_data
from app.transaction import Decided, Transaction, change
from ledger.access import Action
from ledger.model import Event, Evidence, Item, Person, Role, Unit
from ledger.rules import Rules
from ledger.workflow import NewEvidence, act, create_item

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
INSPECTOR = Person(10_001, "王建国", Role.INSPECTOR)
CONTACT = Person(20_101, "陈晓燕", Role.CONTACT, unit="HZ")


def test_a_data_directory_is_held_by_one_process(tmp_path: Path) -> None:
    with open_data(tmp_path / "data") as store:
        assert data_root(store) == tmp_path / "data"
        with pytest.raises(DataError):
            open_data(tmp_path / "data")
    open_data(tmp_path / "data").close()  # free again once closed


def test_units_are_registered_and_only_their_contacts_and_leaders_bound(
    tmp_path: Path,
) -> None:
    with open_data(tmp_path / "data") as store:
        with pytest.raises(ValueError, match="not registered"):
            bind(store, CONTACT)
        add_unit(store, Unit("HZ", "杭州市局党组"))
        with pytest.raises(DataError):
            add_unit(store, Unit("HZ", "杭州市局党组"))
        bind(store, CONTACT)
        with pytest.raises(ValueError, match="contact or leader"):
            bind(store, INSPECTOR)
        assert store.registry.list_people() == [CONTACT]


def test_kept_evidence_comes_with_its_copy_or_none(tmp_path: Path) -> None:
    rules = Rules()
    with open_data(tmp_path / "data") as store:
        add_unit(store, Unit("HZ", "杭州市局党组"))
        copy = Path("evidence/HZ/HZ-001/纪要.pdf")
        (tmp_path / "data" / copy).parent.mkdir(parents=True)
        (tmp_path / "data" / copy).write_bytes(b"%PDF-kept")

        def decide(tx: Transaction) -> Decided[None]:
            item, created = create_item(
                "HZ",
                tx.new_item_seq(),
                category=rules.categories[0],
                problem="问题",
                actor=INSPECTOR,
                now=NOW,
                rules=rules,
                deadline=None,
                long_term=True,
            )
            events: list[Event] = [created]
            for n, stored in enumerate((copy.as_posix(), ""), start=1):
                item, event = act(
                    item,
                    CONTACT,
                    Action.ADD_EVIDENCE,
                    now=NOW,
                    rules=rules,
                    seq=len(events) + 1,
                    evidence=NewEvidence(
                        f"BQAC{n}", f"纪要{n}.pdf", 9, f"{n:064x}", stored_path=stored
                    ),
                )
                events.append(event)
            writes: list[tuple[Item, list[Event]]] = [(item, events)]
            return Decided(None, writes)

        change(store, "HZ", decide)
        kept = [(e.name, content) for e, content in kept_evidence(store)]
        assert kept == [("纪要1.pdf", b"%PDF-kept"), ("纪要2.pdf", None)]
        assert all(isinstance(e, Evidence) for e, _ in kept_evidence(store))
