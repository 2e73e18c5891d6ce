"""storage.safe.write_output: files handed to people (exports) are written like data files —
all or nothing, no temp file left — but readable as the umask allows."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.safe import temp_files, write_output


def test_an_output_file_replaces_the_old_one_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "整改台账_全部_20260302.xlsx"
    target.write_bytes(b"old")
    write_output(target, b"new workbook")
    assert target.read_bytes() == b"new workbook"
    assert temp_files(tmp_path) == []


def test_an_output_file_is_readable_by_others_as_the_umask_allows(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_output(tmp_path / "a.xlsx", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.xlsx").stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "a.xlsx"
    with pytest.raises(OSError):
        write_output(target, b"x")
    assert not target.exists()
