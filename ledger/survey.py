"""满意度测评: a unit's satisfaction survey, as pure data and rules.

An inspector opens a :class:`Survey` for a unit; its link (a random ``token``) is passed to the
unit's staff. Each Telegram user answers once: one of 满意 / 基本满意 / 不满意 for every
category of the unit's problems (fixed when the survey opens), and an optional comment.

Anonymity. A response is stored under :func:`voter_hash` — scrypt of the user id with the
survey's own random salt — and never with the id, a name or a time. Responses are kept sorted
by that hash, so their order says nothing about who answered when. scrypt (not a plain salted
SHA-256) because Telegram user ids are a small space: with the salt beside the hashes, a fast
hash could be reversed by trying every id; at ~50 ms an attempt that takes years.

Closing. A survey takes answers while ``now < closes_at``; after that it is closed, and what
it shows is its result. Only one survey per unit is open at a time.

满意率 (satisfaction rate) = (满意 + 基本满意) / answers, per category and over all answers of
all categories — the usual reading in 巡察 work, where 基本满意 counts as satisfied.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

from ledger.errors import InvalidValue, LedgerError
from ledger.model import Item, Status, require_aware

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16): 128 bits
COMMENT_MAX = 500  # characters of an optional comment
# scrypt cost: ~50 ms and 16 MiB per hash on a server core (see the module docstring).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class Choice(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


CHOICES: tuple[Choice, ...] = (Choice.SATISFIED, Choice.BASIC, Choice.UNSATISFIED)


class SurveyClosed(LedgerError):
    key = "survey.error.closed"


class AlreadyAnswered(LedgerError):
    key = "survey.error.already_answered"


class SurveyOpen(LedgerError):
    key = "survey.error.already_open"


class NothingToSurvey(LedgerError):
    key = "survey.error.no_items"


@dataclass(frozen=True)
class Response:
    """One person's answers: ``voter`` is :func:`voter_hash`, ``answers`` one choice per
    category of the survey (same order), ``comment`` may be empty."""

    voter: str
    answers: tuple[Choice, ...]
    comment: str = ""


@dataclass(frozen=True)
class Survey:
    unit: str
    token: str  # the link's secret; also the survey's id within the unit
    salt: str  # hex, 16 random bytes
    categories: tuple[str, ...]
    opened_at: datetime
    opened_by: int
    closes_at: datetime
    responses: tuple[Response, ...] = ()

    def is_open(self, now: datetime) -> bool:
        return require_aware(now, "now") < self.closes_at

    def answered(self, voter: str) -> bool:
        return any(r.voter == voter for r in self.responses)


@dataclass(frozen=True)
class Tally:
    """Counts of one category (``category=None``: every answer of every category)."""

    category: str | None
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def rate(self) -> Fraction | None:
        """满意率: (满意 + 基本满意) / answers, exact; ``None`` without answers."""
        return None if self.total == 0 else Fraction(self.satisfied + self.basic, self.total)


@dataclass(frozen=True)
class Result:
    """What a survey shows: respondents, one tally per category, the overall tally and the
    comments (sorted, so that their order reveals nothing)."""

    respondents: int
    categories: tuple[Tally, ...]
    overall: Tally
    comments: tuple[str, ...]


def voter_hash(salt: str, user_id: int) -> str:
    """The stored stand-in for ``user_id`` in the survey with ``salt`` (hex)."""
    digest = hashlib.scrypt(
        str(int(user_id)).encode(),
        salt=bytes.fromhex(salt),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=32,
    )
    return digest.hex()


def survey_categories(items: Iterable[Item], configured: Sequence[str]) -> tuple[str, ...]:
    """The categories of a unit's problems (withdrawn items left out): configured ones in
    their configured order, then others alphabetically."""
    present = {i.category for i in items if i.status is not Status.WITHDRAWN and i.category}
    first = [c for c in configured if c in present]
    return (*first, *sorted(present - set(first)))


def open_survey(
    unit: str,
    items: Iterable[Item],
    configured: Sequence[str],
    *,
    token: str,
    salt: str,
    by: int,
    now: datetime,
    closes_at: datetime,
    existing: Sequence[Survey] = (),
) -> Survey:
    """A new survey of ``unit``. Raises ``SurveyOpen`` while another is open,
    ``NothingToSurvey`` when the unit has no problems to ask about and ``InvalidValue`` for
    a closing time not after ``now`` or a malformed token/salt."""
    require_aware(now, "now")
    require_aware(closes_at, "closes_at")
    for survey in existing:
        if survey.is_open(now):
            raise SurveyOpen(unit=unit, closes_at=survey.closes_at)
    if not TOKEN_RE.fullmatch(token):
        raise InvalidValue("bad survey token", field="token")
    if len(bytes.fromhex(salt)) < 16:
        raise InvalidValue("survey salt too short", field="salt")
    if closes_at <= now:
        raise InvalidValue("closing time not in the future", field="closes_at", problem="past")
    categories = survey_categories(items, configured)
    if not categories:
        raise NothingToSurvey(unit=unit)
    return Survey(unit, token, salt, categories, now, by, closes_at)


def parse_answers(survey: Survey, digits: str) -> tuple[Choice, ...] | None:
    """Answers as carried by buttons (``"132"``: 1 满意, 2 基本满意, 3 不满意, one digit per
    category so far), or ``None`` when they do not fit this survey."""
    if len(digits) > len(survey.categories) or any(d not in "123" for d in digits):
        return None
    return tuple(CHOICES[int(d) - 1] for d in digits)


def answer_digits(answers: Sequence[Choice]) -> str:
    return "".join(str(CHOICES.index(a) + 1) for a in answers)


def record_response(
    survey: Survey, voter: str, answers: Sequence[Choice], comment: str, now: datetime
) -> Survey:
    """``survey`` with one more response. Raises ``SurveyClosed`` after its closing time,
    ``AlreadyAnswered`` for a voter who answered before, ``InvalidValue`` for answers that
    do not cover every category or a comment over :data:`COMMENT_MAX` characters."""
    if not survey.is_open(now):
        raise SurveyClosed(unit=survey.unit, closes_at=survey.closes_at)
    if survey.answered(voter):
        raise AlreadyAnswered(unit=survey.unit)
    if len(answers) != len(survey.categories) or any(a not in CHOICES for a in answers):
        raise InvalidValue("answers do not cover the survey", field="answers")
    comment = " ".join(comment.split())
    if len(comment) > COMMENT_MAX:
        raise InvalidValue(
            "comment too long", field="comment", problem="too_long", max=COMMENT_MAX
        )
    response = Response(voter, tuple(Choice(a) for a in answers), comment)
    responses = tuple(sorted((*survey.responses, response), key=lambda r: r.voter))
    return replace(survey, responses=responses)


def reclose(survey: Survey, closes_at: datetime, now: datetime) -> Survey:
    """An open survey with a new closing time (later or earlier, but after ``now``)."""
    require_aware(closes_at, "closes_at")
    if not survey.is_open(now):
        raise SurveyClosed(unit=survey.unit, closes_at=survey.closes_at)
    if closes_at <= now:
        raise InvalidValue("closing time not in the future", field="closes_at", problem="past")
    return replace(survey, closes_at=closes_at)


def result(survey: Survey) -> Result:
    """Counts per category and overall, and the non-empty comments."""
    per: list[Tally] = []
    for index, category in enumerate(survey.categories):
        counts = dict.fromkeys(CHOICES, 0)
        for response in survey.responses:
            counts[response.answers[index]] += 1
        per.append(
            Tally(
                category,
                counts[Choice.SATISFIED],
                counts[Choice.BASIC],
                counts[Choice.UNSATISFIED],
            )
        )
    overall = Tally(
        None,
        sum(t.satisfied for t in per),
        sum(t.basic for t in per),
        sum(t.unsatisfied for t in per),
    )
    comments = tuple(sorted(r.comment for r in survey.responses if r.comment))
    return Result(len(survey.responses), tuple(per), overall, comments)


def latest(surveys: Sequence[Survey]) -> Survey | None:
    """The most recently opened survey, or ``None``."""
    return max(surveys, key=lambda s: s.opened_at, default=None)


# --------------------------------------------------------------------------- codec


def survey_to_dict(survey: Survey) -> dict[str, Any]:
    return {
        "unit": survey.unit,
        "token": survey.token,
        "salt": survey.salt,
        "categories": list(survey.categories),
        "opened_at": require_aware(survey.opened_at).isoformat(),
        "opened_by": survey.opened_by,
        "closes_at": require_aware(survey.closes_at).isoformat(),
        "responses": [
            {"voter": r.voter, "answers": [str(a) for a in r.answers], "comment": r.comment}
            for r in survey.responses
        ],
    }


def survey_from_dict(d: dict[str, Any]) -> Survey:
    return Survey(
        unit=str(d["unit"]),
        token=str(d["token"]),
        salt=str(d["salt"]),
        categories=tuple(str(c) for c in d["categories"]),
        opened_at=require_aware(datetime.fromisoformat(d["opened_at"])),
        opened_by=int(d["opened_by"]),
        closes_at=require_aware(datetime.fromisoformat(d["closes_at"])),
        responses=tuple(
            Response(
                voter=str(r["voter"]),
                answers=tuple(Choice(a) for a in r["answers"]),
                comment=str(r.get("comment", "")),
            )
            for r in d.get("responses", [])
        ),
    )
