"""Reading a deadline someone typed, and saying it back (the workflow's 调整时限, /add,
phrases): ``ledger.dates`` reads, the working-day calendar counts, the words are the user's.
"""

from __future__ import annotations

import re
from dataclasses import astuple

from app.actions import Inputs
from handlers.common import Who
from handlers.render import format_date, join, one_line
from ledger.dates import DeadlineKind, ParsedDate, parse_deadline
from ledger.errors import InvalidValue
from locales import Html


def parse_typed_deadline(who: Who, text: str) -> ParsedDate | Html:
    """A deadline someone typed (see ``ledger.dates``), never before today; or the refusal
    in their words with an example of the right form."""
    services = who.services
    today = who.words.today
    calendar = services.calendar
    try:
        parsed = parse_deadline(
            text,
            today,
            lambda d, n: astuple(calendar.add_workdays(d, n)),
            field="deadline",
            immediate_days=services.config.workflow.immediate_days,
        )
    except InvalidValue as error:
        problem = str(error.params.get("problem", "format"))
        key = f"workflow.date.{problem}"
        if not services.catalog.has(key):
            key = "workflow.date.format"
        return join(
            [
                who.t(key, value=one_line(text, 40)),
                who.t("workflow.date.example", example=error.params.get("example", "")),
            ]
        )
    if parsed.deadline is not None and parsed.deadline < today:
        return join(
            [
                who.t(
                    "workflow.date.past",
                    value=format_date(who.words, parsed.deadline),
                    today=format_date(who.words, today),
                ),
                who.t("workflow.date.example", example=f"{today.year}-12-31"),
            ]
        )
    return parsed


def parsed_deadline_word(who: Who, parsed: ParsedDate) -> str:
    """``2026年3月23日（周一）``, with the calendar's estimate note when it applies."""
    words = who.words
    if parsed.long_term or parsed.deadline is None:
        return words.plain("render.when.long_term")
    text = format_date(words, parsed.deadline)
    if parsed.kind is DeadlineKind.IMMEDIATE:  # 立行立改: said as such, with the day it means
        text = words.plain("intake.immediate", date=text)
    if parsed.workdays_estimated:
        text += words.plain("calendar.fallback_note", year=parsed.deadline.year)
    return text


def split_deadline(who: Who, rest: str) -> tuple[ParsedDate, str] | Html:
    """``2026-12-31 理由…`` / ``15 个工作日 理由…`` → (deadline, reason): the longest run of
    leading words (at most 8) that reads as a deadline, the rest (newlines kept) as the
    reason; the refusal of the first word when no run does."""
    ends = [m.end() for m in re.finditer(r"\S+", rest)][:8]
    if not ends:
        return who.t("workflow.date.empty")
    for end in reversed(ends):
        found = parse_typed_deadline(who, rest[:end])
        # "长期坚持 属于长效机制" reads whole as long-term with a note: the words after the
        # deadline are the reason here, so a shorter run that leaves them is preferred.
        if isinstance(found, ParsedDate):
            if found.note and end != ends[0]:
                continue
            return found, rest[end:].strip()
        if end == ends[0]:
            return found
    raise AssertionError("unreachable")  # the loop returns at the first word at the latest


def reopen_inputs(who: Who, rest: str) -> Inputs:
    """The words after a 反弹 (``/reopen ID …``, ``HZ-004 反弹 …``): a leading date is the new
    整改时限 and the rest the reason; without one (or with 长期坚持) all of it is the reason and
    ``app.actions`` gives the default deadline, a month on."""
    found = split_deadline(who, rest)
    if isinstance(found, tuple) and found[1] and not found[0].long_term:
        return Inputs(reason=found[1], deadline=found[0].deadline)
    return Inputs(reason=rest)


__all__ = ["parse_typed_deadline", "parsed_deadline_word", "reopen_inputs", "split_deadline"]
