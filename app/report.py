"""整改情况报告: the use-case behind ``/report`` and ``bot.py report``.

Reads one unit's ledger, its latest 回头看 and 满意度测评 (storage.paper) and its feedback
date, decides what the report says (``ledger.report.report_content``, whose figures are
``ledger.figures.figures`` — the numbers of /unit at the same instant) and writes the .docx
(``storage.report_docx``) in the reader's language. ``comments`` says whether the survey's
comments are included: yes for inspectors and the shell, no for a unit's own leader, who sees
counts and 满意率 only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from app.services import Services
from ledger.errors import UnknownUnit
from ledger.lookback import latest as latest_lookback
from ledger.model import Unit
from ledger.report import ReportContent, report_content
from ledger.survey import latest as latest_survey
from storage.paper import PaperStore


def unit_report(services: Services, code: str, now: datetime, *, comments: bool) -> ReportContent:
    """What the report of unit ``code`` says at ``now``; ``UnknownUnit`` for no such unit."""
    unit = services.store.registry.get_unit(code)
    if unit is None:
        raise UnknownUnit(unit=code)
    paper = PaperStore(services.store.registry)
    milestone = paper.milestone(code)
    return report_content(
        unit,
        services.store.ledger(code).items(),
        now,
        services.config.tz,
        services.rules,
        feedback=milestone.feedback if milestone is not None else None,
        lookback=latest_lookback(paper.lookbacks(code)),
        survey=latest_survey(paper.surveys(code)),
        comments=comments,
    )


def report_bytes(
    services: Services, code: str, lang: str, *, comments: bool, now: datetime | None = None
) -> bytes:
    """The .docx of unit ``code`` in ``lang`` at ``now`` (default: the services' clock).
    Blocking: call through ``store.run`` from async code."""
    content = unit_report(services, code, now or services.clock.now(), comments=comments)

    def say(key: str, **params: object) -> str:
        return services.catalog.plain(lang, key, **params)

    # python-docx is imported when a report is written, not with the bot (~0.1 s of every
    # start, issue 14).
    from storage.report_docx import write_report

    return write_report(content, say, lang)


def report_due_dates(services: Services, units: Iterable[Unit]) -> dict[str, date]:
    """Unit → the due date of its 整改情况报告, for units with a feedback date whose report
    has not been submitted (what the sweep reminds of)."""
    paper = PaperStore(services.store.registry)
    months = services.config.paper.report_due_months
    out: dict[str, date] = {}
    for unit in units:
        milestone = paper.milestone(unit.code)
        if milestone is not None and milestone.submitted is None:
            out[unit.code] = milestone.due_on(months)
    return out


def report_file_name(services: Services, lang: str, code: str, today: date) -> str:
    """``整改情况报告_<CODE>_<YYYYMMDD>.docx``."""
    return services.catalog.plain(
        lang, "report.file_name", unit=code, date=today.strftime("%Y%m%d")
    )
