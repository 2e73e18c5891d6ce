"""ledger.evidence: the acceptance rule for evidence files, decided before download (R25)."""

from __future__ import annotations

from ledger.access import Action
from ledger.evidence import MB, Refusal, attached, refusal, too_big
from ledger.workflow import NewEvidence
from tests.ledger.factories import CONTACT, at, track

ALLOWED = ("pdf", "jpg", "docx")


def test_the_limit_is_decimal_megabytes_inclusive() -> None:
    assert not too_big(20 * MB, 20)
    assert too_big(20 * MB + 1, 20)
    assert not too_big(None, 20)  # unknown until the bytes are there


def test_type_is_checked_before_size_and_photos_are_always_welcome() -> None:
    assert refusal("exe", 30 * MB, photo=False, allowed=ALLOWED, max_mb=20) is Refusal.TYPE
    assert refusal("pdf", 30 * MB, photo=False, allowed=ALLOWED, max_mb=20) is Refusal.SIZE
    assert refusal("pdf", 20 * MB, photo=False, allowed=ALLOWED, max_mb=20) is None
    assert refusal("", 1000, photo=True, allowed=ALLOWED, max_mb=20) is None
    assert refusal("", 21 * MB, photo=True, allowed=ALLOWED, max_mb=20) is Refusal.SIZE
    assert refusal("", 1000, photo=False, allowed=ALLOWED, max_mb=20) is Refusal.TYPE


def test_the_same_file_is_found_attached_by_its_unique_id() -> None:
    t = track()
    new = NewEvidence(file_id="f1", name="会议纪要.pdf", size=100, file_unique_id="U-1")
    t.do(CONTACT, Action.ADD_EVIDENCE, at(2026, 5, 2), evidence=new)
    found = attached(t.item, "U-1")
    assert found is not None and found.name == "会议纪要.pdf" and found.by == CONTACT.user_id
    assert attached(t.item, "U-2") is None
    assert attached(t.item, "") is None  # no id: nothing can be said to match
