"""Hostile .xls and .docx uploads (issue 10 readers): refused with a clear issue, within bounded
time, never an exception — the same promise as for .xlsx (R32)."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date

import docx
import pytest

from ledger.rules import DEFAULT_CATEGORIES
from storage.xlsx_import import MAX_DOCX_XML_BYTES, OLE_MAGIC, ImportErrors, read_ledger
from tests.storage.ledger_corpus import add_workdays

TODAY = date(2026, 3, 2)


def read(data: bytes) -> ImportErrors:
    started = time.monotonic()
    result = read_ledger(
        data, today=TODAY, add_workdays=add_workdays, categories=DEFAULT_CATEGORIES
    )
    assert time.monotonic() - started < 30
    assert isinstance(result, ImportErrors), result
    return result


def docx_with_body(body: bytes) -> bytes:
    document = docx.Document()
    out = io.BytesIO()
    document.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = body if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, content)
    return patched.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (OLE_MAGIC + b"\x00" * 4096, "xls_or_encrypted"),  # OLE header, garbage body
        (OLE_MAGIC, "xls_or_encrypted"),
    ],
)
def test_a_broken_xls_is_refused_clearly(data: bytes, reason: str) -> None:
    (issue,) = read(data).issues
    assert issue.code.value == "not_xlsx" and issue.params == {"reason": reason}


def test_a_docx_whose_body_unpacks_too_big_is_refused_before_parsing() -> None:
    body = b'<?xml version="1.0"?><w:document>' + b" " * (MAX_DOCX_XML_BYTES + 1)
    (issue,) = read(docx_with_body(body + b"</w:document>")).issues
    assert issue.code.value == "too_big" and issue.params["what"] == "unpacked"


def test_a_docx_with_entity_expansion_is_not_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode()
            for i in range(8)
        )
        + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        + b"<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
    )
    issues = read(docx_with_body(laughs)).issues
    assert [i.code.value for i in issues] in (["no_ledger"], ["not_xlsx"])


def test_a_docx_that_is_not_a_document_is_refused() -> None:
    (issue,) = read(docx_with_body(b"not xml at all")).issues
    assert issue.code.value == "not_xlsx"
