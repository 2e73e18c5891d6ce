"""Reading what people type for a deadline or an item id (pure: ``today`` is a parameter).

Accepted deadline forms (after Unicode NFKC, so full-width digits and separators such as
``２０２６－１２－３１`` work, and surrounding spaces are ignored):

=====================================  =====================================================
``2026-12-31`` ``2026/12/31``          a date; the two separators must match; month and day
``2026.12.31`` ``2026年12月31日``       may have one or two digits; 日 may be 号 or left out
``12月31日``                            this year, or next year if that day has already
                                        passed (today itself counts as not passed)
``15个工作日`` ``15 个工作日``           ``n`` working days from today, counted by the
``15个工作日内``                          ``add_workdays`` the caller passes in
``30天`` ``30日内`` ``30天以内``       ``n`` calendar days from today (a bare ``30日`` is
                                        refused: it could mean the 30th of a month)
``长期坚持`` ``长期`` ``long-term``      long-term (长期坚持): no deadline; text after it
``长期坚持，每季度通报一次``              (``，每季度通报一次``) is kept as ``ParsedDate.note``
``2026年12月底前`` ``2027年6月``         the last day of that month (``底``, ``末``, ``前``
``2027年6月底``                          may follow)
``12月底前`` ``6月``                     that month's last day this year, or next year if it
                                        has passed (today counts as not passed)
``2027年第一季度`` ``2027年一季度末``    the last day of the quarter (Q1 03-31 … Q4 12-31);
``一季度末`` ``第三季度``                without a year: this year, or next if it has passed
``2027年上半年`` ``2027年年中``          06-30; ``下半年`` 12-31; without a year as above
``年中`` ``上半年``
``年底前`` ``年底`` ``年末`` ``今年底``  12-31 of this year; ``明年底`` next year's
``2026年底`` ``2026年年底前``            12-31 of that year
``立行立改`` ``即知即改`` ``立即整改``   ``immediate_days`` working days from today (the
                                        caller's ``[workflow] immediate_days``), kind
                                        ``IMMEDIATE``: shown as 立行立改
=====================================  =====================================================

A date may be followed by ``前``, ``之前``, ``以前``, ``止``, ``完成``, ``前完成`` or ``内``
(``2027年1月15日前``, ``2026年12月底前完成``): a deadline is the last day work may be done.
Excel dates that carry a time are the caller's (the day is kept, the time ignored).
:func:`explain` words how a text was read (``12月底前 → 2026-12-31``) for the import preview.

Counts are 1 … 3650; years 1900 … 2200. Dates in the past are accepted: whether a past
deadline is acceptable is the caller's decision. Anything else raises
:class:`ledger.errors.InvalidValue` with ``params`` ``field``, ``value`` (the text as given),
``example`` (a deadline in the preferred form) and ``problem``: ``empty`` | ``format`` (not
one of the forms) | ``no_such_date`` (e.g. ``2026-02-30``, ``13月1日``) | ``out_of_range``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ledger.errors import InvalidValue

AddWorkdays = Callable[[date, int], tuple[date, bool]]
"""``add_workdays(start, n) -> (day, estimated)``: the day ``n`` working days after ``start``,
and whether the Monday–Friday fallback was used for any day counted (see ledger/calendar.py:
``lambda d, n: dataclasses.astuple(calendar.add_workdays(d, n))``)."""

MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_COUNT = 3650
LONG_TERM_WORDS = frozenset({"长期坚持", "长期", "long-term", "long term", "longterm"})


class DeadlineKind(StrEnum):
    DATE = "date"  # a full date
    MONTH_DAY = "month_day"  # 12月31日: the year was inferred
    WORKDAYS = "workdays"  # N 个工作日
    DAYS = "days"  # N 天 / N 日内
    LONG_TERM = "long_term"  # 长期坚持
    MONTH_END = "month_end"  # 2026年12月底前 / 2027年6月 (year given)
    PERIOD_END = "period_end"  # 2027年第一季度 / 2027年上半年 / 2026年底 (year given)
    INFERRED_END = "inferred_end"  # 12月底前 / 一季度末 / 年中 / 年底前: the year was inferred
    IMMEDIATE = "immediate"  # 立行立改: immediate_days working days


RELATIVE_KINDS = frozenset(
    {
        DeadlineKind.WORKDAYS,
        DeadlineKind.DAYS,
        DeadlineKind.MONTH_DAY,
        DeadlineKind.INFERRED_END,
        DeadlineKind.IMMEDIATE,
    }
)
"""Kinds whose date depends on ``today``: the same text read a week later may give another
day, so a re-import must not compare them with what is stored."""
IMMEDIATE_WORDS = ("立行立改", "即知即改", "立即整改", "立查立改", "马上就改")
DEFAULT_IMMEDIATE_DAYS = 10


@dataclass(frozen=True)
class ParsedDate:
    """A parsed deadline. ``deadline`` is None exactly when ``long_term`` is True.

    ``workdays_estimated`` is True when a working-day count crossed days that the calendar
    only knows as Monday–Friday (the UI must say the date is an estimate)."""

    deadline: date | None
    long_term: bool = False
    workdays_estimated: bool = False
    kind: DeadlineKind = DeadlineKind.DATE
    note: str = ""  # what followed 长期坚持 (``每季度通报一次``), kept for the item's note


_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−﹘"})
_SPACES = re.compile(r"\s+")
_YMD = re.compile(r"([0-9]{4}) ?([-/.]) ?([0-9]{1,2}) ?\2 ?([0-9]{1,2})")
_YMD_ZH = re.compile(r"([0-9]{4}) ?年 ?([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?[日号]?")
_MD_ZH = re.compile(r"([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?[日号]?")
_WORKDAYS = re.compile(r"([0-9]{1,5}) ?个? ?工作日(?:内|以内|之内)?")
_DAYS = re.compile(r"([0-9]{1,5}) ?(?:(?:个自然日|自然日|天)(?:内|以内|之内)?|日(?:内|以内|之内))")
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR = r"(?:([0-9]{4}) ?年 ?)?"
_TAIL = re.compile(r"(?:前完成|之前完成|以前完成|内完成|完成|之前|以前|前|止|内)$")
_MONTH_END = re.compile(_YEAR + r"([0-9]{1,2}) ?月(?:份)? ?(?:底|末|月底|月末)?")
_QUARTER = re.compile(_YEAR + r"第? ?([一二三四1-4]) ?季度(?:末|底)?")
_HALF = re.compile(_YEAR + r"(?:(上半年|年中)|(下半年))(?:末|底)?")
_YEAR_END = re.compile(r"(?:([0-9]{4}) ?年|(今年|本年|本年度|年)|(明年))(?:年)?(?:底|末|终)")
_LONG_TERM_HEAD = re.compile(r"(长期坚持|长期|持续推进|常态化推进|持续整改)[,，;；:：、。 ]*(.*)")
_ITEM_ID = re.compile(r"([A-Z][A-Z0-9]{0,9})(?: ?[-_] ?| )([0-9]{1,6})")
_ITEM_ID_PLAIN = re.compile(r"([A-Z]{1,10})([0-9]{1,6})")


def normalise_text(text: str) -> str:
    """NFKC (full-width → ASCII), every dash to ``-``, runs of whitespace to one space,
    stripped."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub(" ", folded).strip()


def parse_deadline(
    text: str,
    today: date,
    add_workdays: AddWorkdays,
    *,
    field: str = "deadline",
    immediate_days: int = DEFAULT_IMMEDIATE_DAYS,
) -> ParsedDate:
    """Parse ``text`` in one of the forms of the module docstring, relative to ``today``.

    ``immediate_days`` is how many working days 立行立改 gives. Raises ``InvalidValue``
    (params ``field``, ``value``, ``example``, ``problem``); no other exception escapes for
    any string. ``field`` names the field in that error.
    """

    def invalid(problem: str) -> InvalidValue:
        return InvalidValue(
            f"bad {field}: {text!r} ({problem})",
            field=field,
            value=text,
            example=f"{today.year}-12-31",
            problem=problem,
        )

    if not isinstance(text, str):
        raise invalid("format")
    s = normalise_text(text)
    if not s:
        raise invalid("empty")
    if s.lower() in LONG_TERM_WORDS:
        return ParsedDate(None, long_term=True, kind=DeadlineKind.LONG_TERM)
    if m := _LONG_TERM_HEAD.fullmatch(s):
        return ParsedDate(None, long_term=True, kind=DeadlineKind.LONG_TERM, note=m[2].strip())
    if s in IMMEDIATE_WORDS:
        try:
            day, estimated = add_workdays(today, max(1, min(immediate_days, MAX_COUNT)))
        except (InvalidValue, OverflowError, ValueError) as exc:
            raise invalid("out_of_range") from exc
        _check_year(day, invalid)
        return ParsedDate(day, workdays_estimated=bool(estimated), kind=DeadlineKind.IMMEDIATE)
    stripped = _TAIL.sub("", s).strip()
    for candidate in (s, stripped) if stripped and stripped != s else (s,):
        found = _read_form(candidate, today, add_workdays, invalid)
        if found is not None:
            return found
    raise invalid("format")


def _read_form(
    s: str, today: date, add_workdays: AddWorkdays, invalid: Callable[[str], InvalidValue]
) -> ParsedDate | None:
    """``s`` (normalised) in one of the dated forms, or None if it is none of them."""
    if m := _YMD.fullmatch(s):
        return ParsedDate(_make_date(int(m[1]), int(m[3]), int(m[4]), invalid))
    if m := _YMD_ZH.fullmatch(s):
        return ParsedDate(_make_date(int(m[1]), int(m[2]), int(m[3]), invalid))
    if m := _MD_ZH.fullmatch(s):
        month, dom = int(m[1]), int(m[2])
        for year in (today.year, today.year + 1):
            try:
                candidate = _make_date(year, month, dom, invalid)
            except InvalidValue:
                continue
            if candidate >= today:
                return ParsedDate(candidate, kind=DeadlineKind.MONTH_DAY)
        raise invalid("no_such_date")
    if (period := _period_end(s, today, invalid)) is not None:
        return period
    if m := _WORKDAYS.fullmatch(s):
        n = _count(m[1], invalid)
        try:
            day, estimated = add_workdays(today, n)
        except (InvalidValue, OverflowError, ValueError) as exc:
            raise invalid("out_of_range") from exc
        _check_year(day, invalid)
        return ParsedDate(day, workdays_estimated=bool(estimated), kind=DeadlineKind.WORKDAYS)
    if m := _DAYS.fullmatch(s):
        n = _count(m[1], invalid)
        try:
            day = today + timedelta(days=n)
        except OverflowError as exc:
            raise invalid("out_of_range") from exc
        _check_year(day, invalid)
        return ParsedDate(day, kind=DeadlineKind.DAYS)
    return None


def _period_end(s: str, today: date, invalid: Callable[[str], InvalidValue]) -> ParsedDate | None:
    """A month, quarter, half year or year given as its last day, or None if ``s`` is none
    of those. Without a year: this year's, or next year's once this year's has passed."""
    if m := _YEAR_END.fullmatch(s):
        if m[1]:
            return ParsedDate(_make_date(int(m[1]), 12, 31, invalid), kind=DeadlineKind.PERIOD_END)
        year = today.year + (1 if m[3] else 0)
        return ParsedDate(_make_date(year, 12, 31, invalid), kind=DeadlineKind.INFERRED_END)
    month: int | None = None
    year_text: str | None = None
    if m := _MONTH_END.fullmatch(s):
        year_text, month = m[1], int(m[2])
        if not 1 <= month <= 12:
            raise invalid("no_such_date")
    elif m := _QUARTER.fullmatch(s):
        year_text, month = m[1], 3 * _CN_NUM[m[2]]
    elif m := _HALF.fullmatch(s):
        year_text, month = m[1], 6 if m[2] else 12
    if month is None:
        return None
    if year_text:
        end = _month_end(int(year_text), month, invalid)
        return ParsedDate(
            end,
            kind=DeadlineKind.MONTH_END
            if m is not None and m.re is _MONTH_END
            else DeadlineKind.PERIOD_END,
        )
    end = _month_end(today.year, month, invalid)
    if end < today:
        end = _month_end(today.year + 1, month, invalid)
    return ParsedDate(end, kind=DeadlineKind.INFERRED_END)


def _month_end(year: int, month: int, invalid: Callable[[str], InvalidValue]) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid("out_of_range")
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def explain(text: str, parsed: ParsedDate) -> str:
    """How ``text`` was read, for a preview: ``12月底前 → 2026-12-31``; ``长期坚持`` alone
    when long-term (the note after it kept); the plain date when the text was one."""
    shown = normalise_text(text)
    if parsed.deadline is None:
        return shown
    iso = parsed.deadline.isoformat()
    return iso if shown == iso else f"{shown} → {iso}"


def _make_date(year: int, month: int, day: int, invalid: Callable[[str], InvalidValue]) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid("out_of_range")
    try:
        return date(year, month, day)
    except ValueError:
        raise invalid("no_such_date") from None


def _count(digits: str, invalid: Callable[[str], InvalidValue]) -> int:
    n = int(digits)
    if not 1 <= n <= MAX_COUNT:
        raise invalid("out_of_range")
    return n


def _check_year(day: date, invalid: Callable[[str], InvalidValue]) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise invalid("out_of_range")


def normalise_item_id(text: str) -> str | None:
    """The canonical item id (``HZ-007``) for what someone typed, or None if it is not one.

    Case, full-width characters (``ＨＺ－００７``), surrounding spaces, ``_`` or a space
    instead of ``-`` and any number of leading zeros are accepted: ``hz-7``, ``HZ_007``,
    ``hz 0007`` → ``HZ-007``. Without a separator (``HZ007``) the code is read as the leading
    letters only: ``A1007`` is ``A-1007``, never ``A1-007`` (which could as well be
    ``A10-07``), so ids of units whose code holds digits must be typed with the ``-``. The
    number is zero-padded to three digits (``HZ-1234`` stays four) and must be at least 1.
    Nothing here says whether the item exists.
    """
    if not isinstance(text, str) or len(text) > 40:
        return None
    s = normalise_text(text).upper()
    m = _ITEM_ID.fullmatch(s) or _ITEM_ID_PLAIN.fullmatch(s)
    if m is None:
        return None
    seq = int(m[2])
    if seq < 1:
        return None
    return f"{m[1]}-{seq:03d}"


# An item id inside a sentence ("这是HZ-003的会议纪要"): the separator is required there, and
# the id may not be glued to more letters or digits on either side.
_ITEM_ID_INSIDE = re.compile(r"(?<![A-Z0-9])([A-Z][A-Z0-9]{0,9}) ?[-_] ?([0-9]{1,6})(?![0-9A-Z])")


def item_ids_in(text: str) -> list[str]:
    """Every distinct canonical item id written inside ``text`` (``HZ-003 的会议纪要``,
    ``会议纪要（hz-3）``), in order of appearance. Inside a sentence only the forms with a
    ``-`` or ``_`` count (``HZ003`` could be a file name); a text that is nothing but an id
    is read like :func:`normalise_item_id`."""
    if not isinstance(text, str):
        return []
    whole = normalise_item_id(text)
    if whole is not None:
        return [whole]
    s = normalise_text(text).upper()
    found: list[str] = []
    for m in _ITEM_ID_INSIDE.finditer(s[:2000]):
        item_id = normalise_item_id(f"{m[1]}-{m[2]}")
        if item_id is not None and item_id not in found:
            found.append(item_id)
    return found


__all__ = [
    "DEFAULT_IMMEDIATE_DAYS",
    "IMMEDIATE_WORDS",
    "RELATIVE_KINDS",
    "AddWorkdays",
    "explain",
    "DeadlineKind",
    "ParsedDate",
    "item_ids_in",
    "normalise_item_id",
    "normalise_text",
    "parse_deadline",
]
