"""R32: a file inside every cap that would exhaust memory or time is refused in bounded time,
read in a child process with an address-space and a wall-time limit (storage.parse_worker).

The hostile file (tests/reliability/hostile_files.py) passes every pre-scan; without the
limits python-docx spends minutes and gigabytes on it in the reading process.
"""

from __future__ import annotations

import resource
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.clock import FakeClock
from app.imports import read_workbook
from app.services import Services
from config import BotConfig, Config, WorkflowConfig
from handlers.excel_text import issue_text
from ledger.calendar import WorkCalendar
from locales import Catalog
from storage import xlsx_import
from storage.parse_worker import CalendarDays, ParseLimits, read_ledger_limited
from storage.repo import Store
from storage.xlsx_import import ImportErrors, ImportPlan, IssueCode, read_ledger
from tests.reliability.hostile_files import empty_paragraphs_docx
from tests.storage.ledger_corpus import LAYOUTS, write_corpus

MAX_SECONDS = 30
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
OPTIONS: dict[str, Any] = {
    "today": date(2026, 3, 2),
    "add_workdays": CalendarDays(WorkCalendar(ZoneInfo("Asia/Shanghai"))),
    "categories": ("党的领导", "党的建设", "全面从严治党", "选人用人", "作风建设", "其他"),
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_docx_that_would_exhaust_memory_is_refused_within_30_s_naming_the_limit() -> None:
    data = empty_paragraphs_docx(3_000_000)
    assert len(data) < 100_000  # tiny, and inside every cap of the pre-scans
    assert xlsx_import.check_upload(data, xlsx_import.MAX_UNPACKED_BYTES) is None
    before = peak_rss_mb()
    started = time.monotonic()
    result = read_ledger_limited(data, limits=ParseLimits(memory_mb=512, seconds=60), **OPTIONS)
    elapsed = time.monotonic() - started
    assert isinstance(result, ImportErrors)
    [issue] = result.issues
    assert issue.code is IssueCode.TOO_COMPLEX
    assert issue.params == {"what": "memory", "limit": 512}
    assert elapsed < MAX_SECONDS
    # The reading process held the parse, not this one: its own peak barely moved.
    assert peak_rss_mb() - before < 100


def test_a_read_over_the_time_limit_is_killed_and_refused_then_the_next_file_reads(
    tmp_path: Path,
) -> None:
    data = empty_paragraphs_docx(1_000_000)  # ~350 MB, about half a minute of python-docx
    started = time.monotonic()
    result = read_ledger_limited(data, limits=ParseLimits(memory_mb=2048, seconds=1), **OPTIONS)
    elapsed = time.monotonic() - started
    assert isinstance(result, ImportErrors)
    assert [(i.code, i.params) for i in result.issues] == [
        (IssueCode.TOO_COMPLEX, {"what": "time", "limit": 1})
    ]
    assert elapsed < 15  # killed at 1 s, not left to run
    # The killed child leaves the reader usable: a real ledger reads at once after it.
    sample = write_corpus(tmp_path)[LAYOUTS[0].name].read_bytes()
    assert isinstance(read_ledger_limited(sample, limits=ParseLimits(), **OPTIONS), ImportPlan)


def test_a_real_ledger_reads_the_same_in_the_child_as_in_process(tmp_path: Path) -> None:
    files = write_corpus(tmp_path)
    for layout in LAYOUTS:
        data = files[layout.name].read_bytes()
        limited = read_ledger_limited(data, limits=ParseLimits(), **OPTIONS)
        direct = read_ledger(data, **OPTIONS)
        assert isinstance(limited, ImportPlan), layout.name
        assert limited == direct, layout.name


def test_a_path_that_cannot_be_opened_raises_as_in_process(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_ledger_limited(str(tmp_path / "missing.xlsx"), limits=ParseLimits(), **OPTIONS)


def test_the_chat_and_the_shell_read_through_the_configured_limits() -> None:
    """``app.imports.read_workbook`` — the one reader of the chat and of ``bot.py import`` —
    takes ``[workflow] import_memory_mb`` / ``import_seconds``."""
    workflow = WorkflowConfig(import_seconds=1, import_memory_mb=2048)
    config = Config(path=Path("config.toml"), bot=BotConfig(inspectors=(1,)), workflow=workflow)
    with Store.memory() as store:
        services = Services.create(config, store, FakeClock(T0), Catalog.load())
        result = read_workbook(services, empty_paragraphs_docx(1_000_000))
    assert isinstance(result, ImportErrors)
    assert result.issues[0].params == {"what": "time", "limit": 1}


@pytest.mark.parametrize(
    ("what", "limit", "zh", "en"),
    [
        ("memory", 512, "需要的内存超过 512 MB", "more than 512 MB of memory"),
        ("time", 60, "超过 60 秒仍未完成", "took more than 60 seconds"),
    ],
)
def test_the_refusal_is_one_line_in_the_users_language(
    what: str, limit: int, zh: str, en: str
) -> None:
    catalog = Catalog.load()
    issue = xlsx_import.ImportIssue(IssueCode.TOO_COMPLEX, params={"what": what, "limit": limit})
    for lang, words in (("zh-CN", zh), ("en", en)):
        line = issue_text(catalog, lang, issue)
        assert words in line and "\n" not in line
