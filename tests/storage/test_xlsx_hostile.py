"""Hostile and broken uploads: each one is a clear ImportErrors entry, never a traceback, and
nothing in the file is ever evaluated."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl.xml.functions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.xlsx_import import ImportErrors, ImportIssue, ImportPlan, IssueCode, xml_is_defused
from tests.storage.xlsx_helpers import (
    book_bytes,
    errors_of,
    ledger_sheet,
    patch_zip,
    plan_of,
    read,
    row,
)

SHEET = "xl/worksheets/sheet1.xml"


def only_issue(source: object, **kw: object) -> ImportIssue:
    errors = errors_of(read(source, **kw))
    assert len(errors.issues) == 1, errors
    return errors.issues[0]


def good() -> bytes:
    return book_bytes({"JB": ledger_sheet([row(1), row(2)])})


def zip_of(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_openpyxl_parses_through_defusedxml() -> None:
    assert xml_is_defused()
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    assert openpyxl.xml.functions.fromstring.__module__.startswith("defusedxml")


def future_zip() -> bytes:
    """A zip whose directory asks for a zip version Python cannot read (NotImplementedError)."""
    data = bytearray(zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<w/>"}))
    at = data.index(b"PK\x01\x02")
    data[at + 6 : at + 8] = (230).to_bytes(2, "little")  # "version needed to extract" 23.0
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not_zip"),
        (future_zip(), "not_zip"),
        (b"hello, this is a csv\n1,2,3\n", "not_zip"),
        ("序号,问题描述\n1,问题\n".encode(), "not_zip"),
        (b"PK\x03\x04 truncated zip", "not_zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "xls_or_encrypted"),
        (zip_of({"hello.txt": "hi"}), "not_workbook"),
        (zip_of({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), "not_workbook"),
        (zip_of({"[Content_Types].xml": "<Types/>", "xl/styles.xml": "<x/>"}), "not_workbook"),
    ],
)
def test_not_a_workbook(data: bytes, reason: str) -> None:
    issue = only_issue(data)
    assert issue == ImportIssue(IssueCode.NOT_XLSX, params={"reason": reason})


def test_damaged_sheet_xml() -> None:
    data = patch_zip(good(), SHEET, lambda xml: xml[: len(xml) // 2])
    assert only_issue(data).params == {"reason": "damaged"}


def test_too_big_bytes_are_refused_before_reading() -> None:
    issue = only_issue(b"x" * 1001, max_bytes=1000)
    assert issue == ImportIssue(
        IssueCode.TOO_BIG, params={"size": 1001, "limit": 1000, "what": "file"}
    )


def test_too_big_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as fh:
        fh.truncate(20_000_001)  # sparse: nothing is written or read
    issue = only_issue(path)
    assert issue.params == {"size": 20_000_001, "limit": 20_000_000, "what": "file"}


def test_zip_bomb_is_refused_from_the_directory() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(260):  # 260 MiB of zeros: over the default unpacked limit
                member.write(zeros)
    bomb = out.getvalue()
    assert len(bomb) < 400_000
    issue = only_issue(bomb)
    assert issue.code is IssueCode.TOO_BIG
    assert issue.params == {"size": 260 * (1 << 20) + 8, "limit": 250_000_000, "what": "unpacked"}


def test_unpacked_limit_is_a_parameter() -> None:
    issue = only_issue(good(), max_unpacked_bytes=1000)
    assert (issue.code, issue.params["what"]) == (IssueCode.TOO_BIG, "unpacked")


def test_too_many_rows() -> None:
    data = book_bytes({"JB": ledger_sheet([row(n) for n in range(1, 5)])})
    assert isinstance(read(data, max_rows=4), ImportErrors) is False
    issue = only_issue(data, max_rows=3)
    assert issue == ImportIssue(IssueCode.TOO_MANY_ROWS, "JB", 6, params={"limit": 3})


def test_too_many_rows_counts_the_whole_workbook() -> None:
    data = book_bytes({"JB": ledger_sheet([row(1), row(2)]), "HX": ledger_sheet([row(1)])})
    issue = only_issue(data, max_rows=2)
    assert (issue.code, issue.sheet, issue.row) == (IssueCode.TOO_MANY_ROWS, "HX", 3)


def test_too_many_sheets() -> None:
    data = book_bytes({f"U{n}": ledger_sheet([row(1)]) for n in range(3)})
    issue = only_issue(data, max_sheets=2)
    assert issue == ImportIssue(IssueCode.TOO_MANY_SHEETS, params={"count": 3, "limit": 2})


def test_formula_reads_as_its_cached_value_and_is_never_evaluated() -> None:
    data = book_bytes(
        {"JB": ledger_sheet([row(1, problem='=WEBSERVICE("http://127.0.0.1/x")'), row(2)])}
    )

    def cache(xml: bytes) -> bytes:
        formula = b'<c r="C3"><f>WEBSERVICE("http://127.0.0.1/x")</f><v /></c>'
        assert formula in xml
        cached = '<c r="C3" t="str"><f>WEBSERVICE("http://127.0.0.1/x")</f><v>缓存的问题</v></c>'
        return xml.replace(formula, cached.encode())

    plan = plan_of(read(patch_zip(data, SHEET, cache)))
    assert plan.drafts[0].problem == "缓存的问题"


def test_formula_without_a_cached_value_is_an_empty_cell() -> None:
    data = book_bytes({"JB": ledger_sheet([row(1, problem="=1+1")])})
    issue = only_issue(data)
    assert (issue.code, issue.row, issue.column) == (IssueCode.MISSING, 3, "问题描述")


def test_text_that_looks_like_a_formula_stays_text() -> None:
    data = book_bytes({"JB": ledger_sheet([row(1, problem="=1+1")])})
    as_text = patch_zip(
        data,
        SHEET,
        lambda xml: xml.replace(
            b'<c r="C3"><f>1+1</f><v /></c>', b'<c r="C3" t="inlineStr"><is><t>=1+1</t></is></c>'
        ),
    )
    assert plan_of(read(as_text)).drafts[0].problem == "=1+1"


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_entity_expansion_in_the_workbook_is_refused() -> None:
    data = patch_zip(good(), "xl/workbook.xml", lambda xml: LAUGHS + xml.split(b"?>", 1)[-1])
    assert only_issue(data).params == {"reason": "unsafe_xml"}


def test_external_entity_in_a_sheet_is_refused() -> None:
    doctype = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

    def inject(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[-1] if xml.startswith(b"<?xml") else xml
        return doctype + body.replace(b"<t>\xe9\x97\xae\xe9\xa2\x98</t>", b"<t>&xxe;</t>", 1)

    assert only_issue(patch_zip(good(), SHEET, inject)).params == {"reason": "unsafe_xml"}


def test_a_lying_dimension_does_not_hide_rows() -> None:
    data = book_bytes({"JB": ledger_sheet([row(n) for n in range(1, 6)])})
    lying = patch_zip(
        data,
        SHEET,
        lambda xml: xml.replace(b'<dimension ref="A1:J7" />', b'<dimension ref="A1:B2" />'),
    )
    assert len(plan_of(read(lying)).drafts) == 5


def test_formatted_empty_rows_below_the_data_are_ignored() -> None:
    from openpyxl import load_workbook
    from openpyxl.styles import PatternFill

    wb = load_workbook(io.BytesIO(good()))
    ws = wb["JB"]
    for r in range(10, 1500):
        ws.cell(r, 3).fill = PatternFill("solid", fgColor="FFFF00")
    out = io.BytesIO()
    wb.save(out)
    assert len(plan_of(read(out.getvalue())).drafts) == 2


def test_unreadable_path_is_the_callers_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read(tmp_path / "missing.xlsx")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    assert isinstance(read(data), ImportErrors)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(0, 255))
def test_corrupted_workbooks_never_raise(cut: int, flip: int) -> None:
    data = bytearray(good())
    index = cut % len(data)
    data[index] ^= flip
    result = read(bytes(data))  # never an exception
    if isinstance(result, ImportErrors):
        # refused with at least one named problem, each one a catalogued code
        assert result.issues
        assert all(isinstance(issue.code, IssueCode) for issue in result.issues)
    else:
        # the byte did not matter: at most the two rows of the good file, nothing invented
        assert isinstance(result, ImportPlan)
        assert len(result.drafts) <= 2
        assert {draft.source_ref for draft in result.drafts} <= {"1", "2"}


def test_environment_switch_off_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl  # what storage.xlsx_import imports on first use

    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(RuntimeError):
        read(good())
    assert os.environ.get("OPENPYXL_DEFUSEDXML", "True") == "True"
