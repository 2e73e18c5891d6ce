"""Lines about a unit's 满意度测评 and 回头看, shared by /unit, /stats and /survey.

Pure rendering (words in, Html out); the records come from storage.paper. Individual answers
are never shown here: a survey shows counts, 满意率 and — only when ``comments`` is true,
i.e. for inspectors — the comments, sorted (their order reveals nothing).
"""

from __future__ import annotations

from datetime import datetime

from handlers.render import Words, format_date, format_datetime, one_line
from ledger.lookback import CHECKS, Lookback
from ledger.model import Unit
from ledger.survey import Survey, Tally, result
from locales import Html

COMMENT_SHOWN = 120  # characters of one comment in a chat message
COMMENTS_SHOWN = 5  # comments listed in a chat message (the report has them all)


def unit_label(unit: Unit | None, code: str) -> str:
    return f"{one_line(unit.name, 40)}（{code}）" if unit is not None else code


def rate_text(rate: float | None) -> str:
    """满意率 as a percentage cut (not rounded) to one decimal: 2 of 3 is 66.6%; ``—`` with
    no answers. Cut like every other rate of the bot, so 99.96% never reads 100%."""
    if rate is None:
        return "—"
    tenths = int(rate * 1000 + 1e-9)
    return f"{tenths // 10}.{tenths % 10}%"


def tally_text(words: Words, tally: Tally) -> str:
    return words.plain(
        "paper.survey.tally",
        satisfied=tally.satisfied,
        basic=tally.basic,
        unsatisfied=tally.unsatisfied,
        rate=rate_text(tally.rate),
    )


def survey_lines(
    words: Words, survey: Survey | None, now: datetime, *, comments: bool
) -> list[Html]:
    """The unit's latest survey: state, respondents, 满意率 overall and per category, and
    (inspectors) a few comments. ``[]`` when the unit never had one."""
    if survey is None:
        return []
    outcome = result(survey)
    state = (
        words.plain("paper.survey.open_until", closes=format_datetime(words, survey.closes_at))
        if survey.is_open(now)
        else words.plain("paper.survey.closed_on", closes=format_datetime(words, survey.closes_at))
    )
    lines = [
        words.t(
            "paper.survey.head",
            state=state,
            respondents=outcome.respondents,
            overall=tally_text(words, outcome.overall),
        )
    ]
    for tally in outcome.categories:
        lines.append(
            words.t(
                "paper.survey.category", category=tally.category, tally=tally_text(words, tally)
            )
        )
    if comments and outcome.comments:
        lines.append(words.t("paper.survey.comments", count=len(outcome.comments)))
        lines += [
            words.t("paper.survey.comment", text=one_line(c, COMMENT_SHOWN))
            for c in outcome.comments[:COMMENTS_SHOWN]
        ]
    return lines


def lookback_lines(words: Words, record: Lookback | None) -> list[Html]:
    """The unit's latest 回头看: date, sample, passed, rebounded items and their failed
    checks."""
    if record is None:
        return []
    started = format_date(words, record.started_at.astimezone(words.tz).date())
    passed = sum(1 for f in record.findings if f.passed)
    rebounded = [f for f in record.findings if not f.passed]
    key = "paper.lookback.head_done" if record.done else "paper.lookback.head_open"
    lines = [
        words.t(
            key,
            started=started,
            sampled=len(record.sample),
            checked=len(record.findings),
            passed=passed,
            rebounded=len(rebounded),
        )
    ]
    for finding in rebounded:
        failed = words.plain("paper.sep").join(
            words.plain(f"paper.check.{c}") for c in CHECKS if c in finding.failed
        )
        lines.append(
            words.t(
                "paper.lookback.rebound",
                item_id=finding.item_id,
                checks=failed,
                note=one_line(finding.note, 80),
            )
        )
    return lines
