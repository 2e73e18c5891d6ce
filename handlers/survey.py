"""满意度测评 in chat (ledger.survey has the rules, storage.paper the records).

- ``/survey CODE [closing date]`` (inspectors): opens a survey of the unit's problems, closing
  at the end of the given day (any form ``ledger.dates`` reads: 2026-03-20, 3月20日, 10个工作日,
  14天; default ``[paper] survey_days`` days), and answers with the deep link
  ``t.me/<bot>?start=sv-<CODE>-<token>`` to pass to the unit's staff. While a survey is open,
  ``/survey CODE`` shows its link and how many have answered, and ``/survey CODE DATE`` moves
  its closing time. Results are shown by /unit, /stats, the export and the report.
- Anyone with the link answers once, in a private chat: one question per category (满意 /
  基本满意 / 不满意 buttons, the answers so far carried in the buttons' data, so nothing is
  kept in memory between presses), then 提交 or 写意见建议 (a typed comment, then it is
  submitted). Only then is the response stored — under a salted scrypt hash of the user id,
  never the id. A second submission, a closed survey or forged data change nothing.
- The unit's own contact and leader are not shown individual answers anywhere: /survey, /unit
  and /stats are the inspectors'; the report a leader drafts carries counts and 满意率 only.

Callback data: ``sv:<CODE>:<token>:x<digits>[:ok|:note]`` (see handlers.buttons).
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import astuple
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from app.paper import paper_of
from app.services import Services, services_of
from handlers.buttons import button, parse
from handlers.common import (
    Who,
    edit_or_send,
    for_roles,
    is_private,
    refuse,
    reply_text,
    send,
    stale_button,
    who_is,
    word_error,
)
from handlers.conversation import flows_of
from handlers.paper_render import survey_lines, unit_label
from handlers.queries import private_only
from handlers.render import format_date, format_datetime, join, one_line
from ledger.dates import parse_deadline
from ledger.errors import InvalidValue, LedgerError, UnknownUnit
from ledger.model import Role
from ledger.survey import (
    CHOICES,
    COMMENT_MAX,
    AlreadyAnswered,
    Survey,
    SurveyClosed,
    open_survey,
    parse_answers,
    reclose,
    record_response,
    voter_hash,
)
from ledger.survey import latest as latest_survey
from locales import Html

log = logging.getLogger(__name__)

FLOW = "survey"
PENDING_KEY = "survey_comments"  # bot_data: user id -> (unit, token, digits)
LINK_PREFIX = "sv"
LINK = re.compile(r"^sv-([A-Z][A-Z0-9]{0,9})-([A-Za-z0-9_-]{22})$")
TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 128 bits, 22 characters


def closing_instant(services: Services, day: date) -> datetime:
    """The end of ``day`` in the configured zone (the next day's 00:00)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=services.config.tz)


def closing_day(who: Who, text: str) -> date | Html:
    """The closing day typed after the unit (any form of ``ledger.dates``, not before
    today), or the refusal in the inspector's words."""
    today = who.words.today
    calendar = who.services.calendar
    try:
        parsed = parse_deadline(
            text, today, lambda d, n: astuple(calendar.add_workdays(d, n)), field="closes_at"
        )
    except InvalidValue:
        return who.t("survey.date_invalid", value=one_line(text, 40))
    if parsed.deadline is None:
        return who.t("survey.no_long_term")
    if parsed.deadline < today:
        return who.t(
            "survey.date_past",
            value=format_date(who.words, parsed.deadline),
            today=format_date(who.words, today),
        )
    return parsed.deadline


def survey_link(context: ContextTypes.DEFAULT_TYPE, survey: Survey) -> str:
    payload = f"{LINK_PREFIX}-{survey.unit}-{survey.token}"
    return create_deep_linked_url(context.bot.username, payload)


# --------------------------------------------------------------------------- /survey


@for_roles(Role.INSPECTOR)
async def survey_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/survey CODE [closing date]: open (or show, or re-time) the unit's survey."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if not args:
        await send(update, who.t("survey.usage"))
        return
    services = who.services
    code = args[0].strip().upper()
    unit = services.store.registry.get_unit(code) if len(code) <= 10 else None
    if unit is None:
        raise UnknownUnit(unit=one_line(args[0], 20))
    now = services.clock.now()
    paper = paper_of(services)
    current = latest_survey(paper.surveys(code))
    closes_at: datetime | None = None
    if len(args) > 1:
        day = closing_day(who, " ".join(args[1:]))
        if isinstance(day, Html):
            await send(update, day)
            return
        closes_at = closing_instant(services, day)
    if current is not None and current.is_open(now):
        shown = current
        if closes_at is not None:
            new_close = closes_at
            shown = await services.store.run(
                paper.update_survey, code, current.token, lambda s: reclose(s, new_close, now)
            )
            head = who.t("survey.retimed", closes=format_datetime(who.words, shown.closes_at))
        else:
            head = who.t("survey.already_open")
        await send(update, join([head, "", *status_lines(context, who, shown)]))
        return
    if closes_at is None:
        days = services.config.paper.survey_days
        closes_at = closing_instant(services, who.words.today + timedelta(days=days - 1))
    items = services.store.ledger(code).items()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    salt = secrets.token_hex(16)
    person = who.person
    assert person is not None

    def make(existing: list[Survey]) -> Survey:
        return open_survey(
            code,
            items,
            services.rules.categories,
            token=token,
            salt=salt,
            by=person.user_id,
            now=now,
            closes_at=closes_at,
            existing=existing,
        )

    survey = await services.store.run(paper.add_survey, code, make)
    log.info("survey of %s opened by %s, closing %s", code, person.user_id, survey.closes_at)
    await send(update, join([who.t("survey.opened"), "", *status_lines(context, who, survey)]))


def status_lines(context: ContextTypes.DEFAULT_TYPE, who: Who, survey: Survey) -> list[str]:
    """An open survey for its inspector: unit, link, closing time, categories, answers."""
    unit = who.services.store.registry.get_unit(survey.unit)
    return [
        who.t("survey.status.unit", unit=unit_label(unit, survey.unit)),
        who.t("survey.status.link", link=survey_link(context, survey)),
        who.t("survey.status.closes", closes=format_datetime(who.words, survey.closes_at)),
        who.t(
            "survey.status.categories", categories=who.plain("paper.sep").join(survey.categories)
        ),
        who.t("survey.status.answers", count=len(survey.responses)),
        Html(""),
        who.t("survey.status.pass_on"),
    ]


# --------------------------------------------------------------------------- answering


class _SurveyLink(filters.MessageFilter):
    """``/start sv-<CODE>-<token>`` of a survey that exists (other payloads are invites)."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(name="survey_link")
        self._app = app

    def filter(self, message: Message) -> bool:
        parts = (message.text or "").split()
        if len(parts) != 2 or parts[0].split("@")[0] != "/start":
            return False
        match = LINK.fullmatch(parts[1])
        if match is None:
            return False
        services = services_of(self._app)
        if services.store.registry.get_unit(match[1]) is None:
            return False
        return paper_of(services).survey(match[1], match[2]) is not None


def find_survey(services: Services, unit: str, token: str) -> Survey | None:
    if services.store.registry.get_unit(unit) is None:
        return None
    return paper_of(services).survey(unit, token)


async def open_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start sv-<CODE>-<token>: the first question (or why not)."""
    who = who_is(update, context)
    if who is None or update.message is None:
        return
    match = LINK.fullmatch((context.args or [""])[0])
    survey = None if match is None else find_survey(who.services, match[1], match[2])
    if survey is None:  # gone between the filter and here
        await send(update, who.t("survey.link_invalid"))
        return
    if not is_private(update):
        await send(update, who.t("survey.private_only"))
        return
    services = who.services
    if not survey.is_open(services.clock.now()):
        await send(update, who.t("survey.closed"))
        return
    voter = await services.store.run(voter_hash, survey.salt, who.user.id)
    if survey.answered(voter):
        await send(update, who.t("survey.already_answered"))
        return
    text, markup = question(who, survey, "")
    await send(update, text, markup)


def question(who: Who, survey: Survey, digits: str) -> tuple[Html, InlineKeyboardMarkup]:
    """The next question after ``digits``, or the summary with 提交 / 写意见建议."""
    unit = who.services.store.registry.get_unit(survey.unit)
    head = who.t("survey.ask.head", unit=unit_label(unit, survey.unit))
    n = len(survey.categories)
    data = (survey.unit, survey.token)
    if len(digits) < n:
        category = survey.categories[len(digits)]
        text = join(
            [
                head,
                "",
                who.t("survey.ask.question", index=len(digits) + 1, total=n, category=category),
            ]
        )
        row = [
            button(who.plain(f"survey.choice.{choice}"), "sv", *data, f"x{digits}{i + 1}")
            for i, choice in enumerate(CHOICES)
        ]
        return text, InlineKeyboardMarkup([row])
    answers = parse_answers(survey, digits) or ()
    lines = [head, "", who.t("survey.ask.review")]
    lines += [
        who.t(
            "survey.ask.review_line",
            category=category,
            choice=who.plain(f"survey.choice.{answer}"),
        )
        for category, answer in zip(survey.categories, answers, strict=True)
    ]
    markup = InlineKeyboardMarkup(
        [
            [button(who.plain("survey.button.submit"), "sv", *data, f"x{digits}", "ok")],
            [button(who.plain("survey.button.comment"), "sv", *data, f"x{digits}", "note")],
            [button(who.plain("survey.button.restart"), "sv", *data, "x")],
        ]
    )
    return join(lines), markup


async def answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``sv:`` buttons: the next question, 提交, or 写意见建议."""
    who = who_is(update, context)
    query = update.callback_query
    if who is None or query is None:
        return
    parsed = parse(query.data)
    args = parsed.args if parsed is not None else ()
    survey = None
    digits: str | None = None
    if len(args) in (3, 4) and args[2].startswith("x"):
        survey = find_survey(who.services, args[0], args[1])
        digits = args[2][1:]
    if survey is None or digits is None or parse_answers(survey, digits) is None:
        if who.person is None:
            await refuse(update, who)
        else:
            await stale_button(update, who)
        return
    services = who.services
    if not survey.is_open(services.clock.now()):
        await reply_text(update, who, who.t("survey.closed"))
        return
    verb = args[3] if len(args) == 4 else ""
    complete = len(digits) == len(survey.categories)
    if verb and not complete or verb not in ("", "ok", "note"):
        await stale_button(update, who)
        return
    if verb == "ok":
        await submit(update, context, who, survey, digits, "")
        await query.answer()
        return
    if verb == "note":
        pending: dict[int, tuple[str, str, str]] = context.bot_data.setdefault(PENDING_KEY, {})
        pending[who.user.id] = (survey.unit, survey.token, digits)
        flows_of(context).take(who.user.id, FLOW)
        await edit_or_send(update, who.t("survey.ask.comment", max=COMMENT_MAX))
        await query.answer()
        return
    text, markup = question(who, survey, digits)
    await edit_or_send(update, text, markup)
    await query.answer()


async def comment_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The typed comment after 写意见建议: submit with it (or /cancel to drop it)."""
    who = who_is(update, context)
    message = update.message
    if who is None or message is None:
        return
    pending: dict[int, tuple[str, str, str]] = context.bot_data.setdefault(PENDING_KEY, {})
    entry = pending.get(who.user.id)
    if entry is None:
        flows_of(context).release(who.user.id, FLOW)
        return
    text = message.text or ""
    if len(text) > COMMENT_MAX:
        await send(update, who.t("survey.comment_too_long", max=COMMENT_MAX, length=len(text)))
        return
    pending.pop(who.user.id, None)
    flows_of(context).release(who.user.id, FLOW)
    unit, token, digits = entry
    survey = find_survey(who.services, unit, token)
    if survey is None:
        await send(update, who.t("survey.link_invalid"))
        return
    await submit(update, context, who, survey, digits, text)


async def cancel_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel while a comment is awaited: nothing is submitted."""
    who = who_is(update, context)
    if who is None:
        return
    context.bot_data.setdefault(PENDING_KEY, {}).pop(who.user.id, None)
    flows_of(context).release(who.user.id, FLOW)
    await send(update, who.t("survey.cancelled"))


async def submit(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    survey: Survey,
    digits: str,
    comment: str,
) -> None:
    """Store the response once (hash, answers, comment) and thank the person."""
    services = who.services
    answers = parse_answers(survey, digits)
    assert answers is not None
    now = services.clock.now()
    voter = await services.store.run(voter_hash, survey.salt, who.user.id)
    paper = paper_of(services)
    try:
        await services.store.run(
            paper.update_survey,
            survey.unit,
            survey.token,
            lambda s: record_response(s, voter, answers, comment, now),
        )
    except LedgerError as error:
        text = _answer_error(who, error)
        if update.callback_query is not None:
            await edit_or_send(update, text)
        else:
            await send(update, text)
        return
    log.info("survey of %s: one response recorded", survey.unit)
    thanks = who.t("survey.thanks")
    if update.callback_query is not None:
        await edit_or_send(update, thanks)
    else:
        await send(update, thanks)


def _answer_error(who: Who, error: LedgerError) -> Html:
    if isinstance(error, AlreadyAnswered):
        return who.t("survey.already_answered")
    if isinstance(error, SurveyClosed):
        return who.t("survey.closed")
    return word_error(who, error)


# --------------------------------------------------------------------------- registration


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register BEFORE handlers.start (the survey link is a /start payload) and before
    handlers.phrases (the comment is free text, also from people the bot does not know)."""
    flows = flows_of(app)
    mine = flows.owns(FLOW)
    app.add_handler(CommandHandler("start", open_link, filters=_SurveyLink(app)))
    app.add_handler(CommandHandler("survey", survey_command))
    app.add_handler(CallbackQueryHandler(answer_button, pattern=r"^sv:"))
    app.add_handler(CommandHandler("cancel", cancel_comment, filters=mine))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & mine, comment_text))


__all__ = ["register", "survey_lines"]
