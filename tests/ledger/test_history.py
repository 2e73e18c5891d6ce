"""ledger.history: a reason the bot writes is stored as a key + parameters beside its text;
reading falls back to the text for old or damaged events."""

from __future__ import annotations

from ledger.history import StoredReason, stored_reason, with_reason_key
from ledger.model import Event, Status
from tests.ledger.factories import at


def event(**data: object) -> Event:
    return Event("HZ-001", 2, at(2026, 5, 1), 1, "set_deadline", Status.OPEN, Status.OPEN, data)


def test_a_keyed_reason_keeps_its_text_beside_the_key() -> None:
    keyed = with_reason_key(event(reason="台账导入更新（a.xlsx）"), "stored.x", {"file": "a.xlsx"})
    assert keyed.data["reason"] == "台账导入更新（a.xlsx）"
    assert stored_reason(keyed.data) == StoredReason(
        "台账导入更新（a.xlsx）", "stored.x", {"file": "a.xlsx"}
    )


def test_old_typed_missing_and_damaged_reasons() -> None:
    assert stored_reason(event(reason="  按期无法完成  ").data) == StoredReason("按期无法完成")
    assert stored_reason(event().data) is None
    assert stored_reason(event(reason="x", reason_key=7, reason_params={}).data) == StoredReason(
        "x"
    )
    assert stored_reason(event(reason="x", reason_key="k", reason_params="?").data) == (
        StoredReason("x")
    )
