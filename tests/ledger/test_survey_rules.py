"""ledger.survey: opening, answering once, closing, 满意率 and the anonymous voter hash."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.errors import InvalidValue
from ledger.model import Status
from ledger.survey import (
    AlreadyAnswered,
    Choice,
    NothingToSurvey,
    SurveyClosed,
    SurveyOpen,
    open_survey,
    parse_answers,
    reclose,
    record_response,
    result,
    survey_categories,
    survey_from_dict,
    survey_to_dict,
    voter_hash,
)
from tests.ledger.factories import RULES, at, drive, track

S, B, U = Choice.SATISFIED, Choice.BASIC, Choice.UNSATISFIED
TOKEN = "A" * 22
SALT = "00" * 16


def items() -> list:
    first = track(seq=1).item
    second = replace(track(seq=2).item, category="选人用人")
    third = replace(track(seq=3).item, category="外来类别")
    gone = replace(drive(track(seq=4), Status.WITHDRAWN, at(2026, 5, 2)).item, category="其他")
    return [first, second, third, gone]


def survey(**kw):
    return open_survey(
        "HZ",
        items(),
        RULES.categories,
        token=TOKEN,
        salt=SALT,
        by=1,
        now=at(2026, 6, 1),
        closes_at=at(2026, 6, 15, 0),
        **kw,
    )


def test_categories_follow_the_configured_order_without_withdrawn_items() -> None:
    assert survey_categories(items(), RULES.categories) == ("党的建设", "选人用人", "外来类别")
    assert survey().categories == ("党的建设", "选人用人", "外来类别")


def test_each_voter_answers_once_and_only_while_open() -> None:
    s = survey()
    s = record_response(s, "v1", (S, B, U), "  好 \n 的 ", at(2026, 6, 2))
    assert s.responses[0].comment == "好 的"
    with pytest.raises(AlreadyAnswered):
        record_response(s, "v1", (S, S, S), "", at(2026, 6, 3))
    with pytest.raises(SurveyClosed):
        record_response(s, "v2", (S, S, S), "", at(2026, 6, 15, 0))
    with pytest.raises(InvalidValue):
        record_response(s, "v2", (S, S), "", at(2026, 6, 3))
    with pytest.raises(InvalidValue):
        record_response(s, "v2", (S, S, S), "长" * 501, at(2026, 6, 3))


def test_responses_are_sorted_by_hash_so_order_reveals_nothing() -> None:
    s = survey()
    for voter in ("c", "a", "b"):
        s = record_response(s, voter, (S, S, S), "", at(2026, 6, 2))
    assert [r.voter for r in s.responses] == ["a", "b", "c"]


def test_rates_count_basic_as_satisfied_per_category_and_overall() -> None:
    s = survey()
    for voter, answers, note in (
        ("a", (S, U, S), "继续加强"),
        ("b", (B, U, S), ""),
        ("c", (U, S, S), "公开整改结果"),
    ):
        s = record_response(s, voter, answers, note, at(2026, 6, 2))
    r = result(s)
    assert r.respondents == 3
    first, second, third = r.categories
    assert (first.satisfied, first.basic, first.unsatisfied) == (1, 1, 1)
    assert first.rate == pytest.approx(2 / 3)
    assert second.rate == pytest.approx(1 / 3)
    assert third.rate == 1
    assert (r.overall.total, r.overall.rate) == (9, pytest.approx(6 / 9))
    assert r.comments == ("公开整改结果", "继续加强")
    assert result(survey()).overall.rate is None


def test_one_open_survey_per_unit_and_something_to_ask() -> None:
    first = survey()
    with pytest.raises(SurveyOpen):
        survey(existing=[first])
    later = open_survey(
        "HZ",
        items(),
        RULES.categories,
        token="B" * 22,
        salt=SALT,
        by=1,
        now=at(2026, 6, 16),
        closes_at=at(2026, 6, 30),
        existing=[first],
    )
    assert later.token == "B" * 22
    with pytest.raises(NothingToSurvey):
        open_survey(
            "HZ",
            [],
            RULES.categories,
            token=TOKEN,
            salt=SALT,
            by=1,
            now=at(2026, 6, 1),
            closes_at=at(2026, 6, 2),
        )
    with pytest.raises(InvalidValue):
        survey_closing_in_the_past = at(2026, 5, 1)
        open_survey(
            "HZ",
            items(),
            RULES.categories,
            token=TOKEN,
            salt=SALT,
            by=1,
            now=at(2026, 6, 1),
            closes_at=survey_closing_in_the_past,
        )
    with pytest.raises(InvalidValue):
        open_survey(
            "HZ",
            items(),
            RULES.categories,
            token="short",
            salt=SALT,
            by=1,
            now=at(2026, 6, 1),
            closes_at=at(2026, 6, 2),
        )


def test_reclose_moves_an_open_survey_only() -> None:
    s = survey()
    assert reclose(s, at(2026, 7, 1), at(2026, 6, 2)).closes_at == at(2026, 7, 1)
    with pytest.raises(InvalidValue):
        reclose(s, at(2026, 6, 1), at(2026, 6, 2))
    with pytest.raises(SurveyClosed):
        reclose(s, at(2026, 7, 1), at(2026, 6, 20))


def test_button_digits_must_fit_the_survey() -> None:
    s = survey()
    assert parse_answers(s, "") == ()
    assert parse_answers(s, "13") == (S, U)
    assert parse_answers(s, "1234") is None
    assert parse_answers(s, "4") is None
    assert parse_answers(s, "1a") is None


def test_voter_hash_is_salted_stable_and_not_the_id() -> None:
    h = voter_hash(SALT, 123456789)
    assert h == voter_hash(SALT, 123456789)
    assert h != voter_hash("11" * 16, 123456789)
    assert h != voter_hash(SALT, 123456780)
    assert "123456789" not in h and len(h) == 64


def test_codec_round_trip() -> None:
    s = record_response(survey(), "v", (S, B, U), "意见", at(2026, 6, 2))
    assert survey_from_dict(survey_to_dict(s)) == s
