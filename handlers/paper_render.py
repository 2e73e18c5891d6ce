"""Lines about a unit's 满意度测评 and 回头看, shared by /unit, /stats and /survey.

Pure rendering (words in, Html out); the records come from storage.paper. Individual answers
are never shown here: a survey shows counts, 满意率 and — only when ``comments`` is true,
i.e. for inspectors — the comments, sorted (their order reveals nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from app.paper import paper_of
from app.services import Services
from handlers.render import Words, format_date, format_datetime, one_line
from ledger.figures import format_rate
from ledger.lookback import CHECKS, Lookback
from ledger.lookback import latest as latest_lookback
from ledger.model import Unit
from ledger.survey import Survey, Tally, result
from ledger.survey import latest as latest_survey
from locales import Html

COMMENT_SHOWN = 120  # characters of one comment in a chat message
COMMENTS_SHOWN = 5  # comments listed in a chat message (the report has them all)


def unit_label(unit: Unit | None, code: str) -> str:
    return f"{one_line(unit.name, 40)}（{code}）" if unit is not None else code


def rate_text(rate: Fraction | None) -> str:
    """满意率 written as every rate of the bot (``ledger.figures.format_rate``: one decimal,
    cut, so 2 of 3 is 66.6% and 99.96% never reads 100%); ``—`` with no answers."""
    return format_rate(rate)


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


def unit_paper_lines(services: Services, words: Words, unit: str, *, comments: bool) -> list[Html]:
    """/unit's lines on the unit's latest 满意度测评 and 回头看 (none when it had neither)."""
    paper = paper_of(services)
    survey = latest_survey(paper.surveys(unit))
    record = latest_lookback(paper.lookbacks(unit))
    return [
        *milestone_lines(services, words, unit),
        *survey_lines(words, survey, words.now, comments=comments),
        *lookback_lines(words, record),
    ]


def stats_paper_lines(services: Services, words: Words, units: Sequence[str]) -> list[Html]:
    """/stats' caption lines: for one unit its survey and 回头看 headlines; for several, one
    line each summing the units' latest surveys (answers, overall 满意率) and 回头看s. No
    comments: /stats is also the unit's own people's."""
    paper = paper_of(services)
    surveys = [s for s in (latest_survey(paper.surveys(u)) for u in units) if s is not None]
    records = [r for r in (latest_lookback(paper.lookbacks(u)) for u in units) if r is not None]
    if len(units) == 1:
        lines = survey_lines(words, surveys[0], words.now, comments=False)[:1] if surveys else []
        return [*lines, *lookback_lines(words, records[0])[:1]] if records else lines
    out: list[Html] = []
    if surveys:
        outcomes = [result(s) for s in surveys]
        overall = Tally(
            None,
            sum(o.overall.satisfied for o in outcomes),
            sum(o.overall.basic for o in outcomes),
            sum(o.overall.unsatisfied for o in outcomes),
        )
        out.append(
            words.t(
                "paper.stats.surveys",
                units=len(surveys),
                respondents=sum(o.respondents for o in outcomes),
                rate=rate_text(overall.rate),
            )
        )
    if records:
        out.append(
            words.t(
                "paper.stats.lookbacks",
                units=len(records),
                sampled=sum(len(r.sample) for r in records),
                rebounded=sum(len(r.rebounded) for r in records),
            )
        )
    return out


def milestone_lines(services: Services, words: Words, unit: str) -> list[Html]:
    """The unit's 整改情况报告 milestone: feedback, due date (and days left), the latest
    submission and how many there were. ``[]`` before a feedback date is set."""
    milestone = paper_of(services).milestone(unit)
    if milestone is None:
        return []
    due = milestone.due_on(services.config.paper.report_due_months)
    lines = [
        words.t(
            "paper.milestone.head",
            feedback=format_date(words, milestone.feedback),
            due=format_date(words, due),
            days=(due - words.today).days,
        )
    ]
    last = milestone.submitted
    if last is None:
        lines.append(words.t("paper.milestone.not_submitted"))
    else:
        lines.append(
            words.t(
                "paper.milestone.submitted",
                when=format_datetime(words, last.at),
                name=one_line(last.name, 60),
                count=len(milestone.submissions),
            )
        )
    return lines
