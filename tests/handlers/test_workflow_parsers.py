"""The small readers of the workflow and evidence chat (pure; R27): the ``HZ-007 进展 …`` phrase,
a file's type, sizes in words, and the flow ownership that keeps two conversations apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.conversation import Flows
from handlers.evidence import Offered, size_text
from handlers.workflow import read_progress_phrase


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("HZ-007 进展 已召开专题会议", ("HZ-007", "已召开专题会议")),
        ("hz-7 进展：已整改", ("hz-7", "已整改")),
        ("ＨＺ－００７　整改进展，完成制度修订", ("ＨＺ－００７", "完成制度修订")),
        ("HZ-007进展 第一行\n第二行", ("HZ-007", "第一行\n第二行")),
        ("HZ-007 进展", ("HZ-007", "")),
        ("HZ-007 progress: done", ("HZ-007", "done")),
    ],
)
def test_progress_phrases(text: str, found: tuple[str, str]) -> None:
    assert read_progress_phrase(text) == found


@pytest.mark.parametrize(
    "text",
    ["HZ-007 进展情况如何", "进展 HZ-007", "HZ 进展 x", "HZ-007 历史", "", "进展"],
)
def test_other_texts_are_no_progress_phrase(text: str) -> None:
    assert read_progress_phrase(text) is None


@given(st.text(max_size=200))
def test_the_progress_phrase_reader_never_raises(text: str) -> None:
    found = read_progress_phrase(text)
    assert found is None or (found[0] and isinstance(found[1], str))


def offered(name: str, mime: str = "", photo: bool = False) -> Offered:
    return Offered("id", "unique", name, 10, mime, photo)


@pytest.mark.parametrize(
    ("name", "mime", "extension"),
    [
        ("会议记录.PDF", "", "pdf"),
        ("a.tar.gz", "", "gz"),
        ("扫描件", "application/pdf", "pdf"),
        ("无后缀", "", ""),
        ("  spaced.Docx ", "", "docx"),
        (".hidden", "", ""),
    ],
)
def test_a_files_extension(name: str, mime: str, extension: str) -> None:
    assert offered(name, mime).extension == extension


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1 KB"), (349_600, "350 KB"), (20_000_001, "20.0 MB")],
)
def test_sizes_in_words(size: int, text: str) -> None:
    assert size_text(size) == text


def test_flows_keep_one_owner_per_person() -> None:
    flows = Flows()
    assert flows.take(1, "workflow") is None
    assert flows.take(1, "workflow") is None  # taking again is not a takeover
    assert flows.take(1, "add") == "workflow"
    assert flows.release(1, "workflow") is False  # superseded: nothing to release
    assert flows.owner(1) == "add" and flows.owner(2) is None
    assert flows.release(1, "add") is True and flows.owner(1) is None
