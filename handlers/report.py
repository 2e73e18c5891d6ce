"""``/report [CODE]``: the 整改情况报告 as a Word document (app.report has the use-case).

Inspectors name the unit (``/report HZ``); a unit's leader gets their own unit's report with
``/report`` (naming any other unit answers exactly like a unit that does not exist, R22).
Contacts are not given it: the report is the party group's, signed by its leader. The
leader's copy carries the survey's counts and 满意率 but not its comments. Private chats only.

``run_report`` is ``bot.py report [--unit CODE] [-o PATH]``: one unit's report to ``PATH``
(default ``整改情况报告_<CODE>_<YYYYMMDD>.docx`` here), or with no ``--unit`` every unit's
report, one file each, into the directory ``PATH`` (default here). Reads only: works while
the bot runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import astuple
from datetime import date
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from app.clock import SystemClock
from app.data import Store
from app.evidence import save_evidence
from app.paper import paper_of
from app.report import report_bytes, report_file_name
from app.roster import inspectors
from app.services import Services
from config import Config
from handlers.common import Who, for_roles, language_for, send
from handlers.evidence import evidence_root, offered_file, refusal
from handlers.paper_render import milestone_lines
from handlers.queries import ALL, private_only, resolve_scope
from handlers.render import format_day, join, one_line
from ledger.calendar import local_date
from ledger.dates import normalise_text, parse_deadline
from ledger.errors import InvalidValue, UnknownUnit
from ledger.milestone import Milestone, Submission, add_submission, set_feedback
from ledger.model import Role
from locales import Catalog, Html

log = logging.getLogger(__name__)
REPORT_CAPTION = re.compile(r"^(整改(情况)?报告|rectification report)", re.IGNORECASE)

Out = Callable[[str], None]


@for_roles(Role.INSPECTOR, Role.LEADER)
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/report [CODE]: the unit's 整改情况报告 (.docx)."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if len(args) > 1 or (who.is_inspector and not args):
        await send(update, who.t("report.usage"))
        return
    code = resolve_scope(who, args[0] if args else None)
    if code == ALL:
        await send(update, who.t("report.usage"))
        return
    message = update.effective_message
    assert message is not None
    await message.reply_chat_action(ChatAction.UPLOAD_DOCUMENT)
    services = who.services
    now = services.clock.now()
    data = await services.store.run(
        report_bytes, services, code, who.lang, comments=who.is_inspector, now=now
    )
    today = local_date(now, services.config.tz)
    await message.reply_document(
        document=data,
        filename=report_file_name(services, who.lang, code, today),
        caption=who.t("report.caption", unit=code, date=format_day(who.words, today)),
        parse_mode="HTML",
    )


# --------------------------------------------------------------------------- the milestone


@for_roles(Role.INSPECTOR)
async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/feedback CODE [DATE [DUE]]: set (or show) the round's feedback date and report due."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if not args or len(args) > 3:
        await send(update, who.t("milestone.usage"))
        return
    services = who.services
    code = normalise_text(args[0]).upper()
    if len(code) > 10 or services.store.registry.get_unit(code) is None:
        raise UnknownUnit(unit=one_line(args[0], 20))
    paper = paper_of(services)
    if len(args) > 1:
        days = [_day(who, text) for text in args[1:]]
        if any(d is None for d in days):
            await send(update, who.t("milestone.bad_date", value=one_line(" ".join(args[1:]), 40)))
            return
        feedback, due = days[0], days[1] if len(days) > 1 else None
        assert feedback is not None
        if due is not None and due < feedback:
            await send(update, who.t("milestone.due_before_feedback"))
            return
        person = who.person
        assert person is not None
        now = services.clock.now()
        await services.store.run(
            paper.change_milestone,
            code,
            lambda m: set_feedback(m, code, feedback, due, by=person.user_id, now=now),
        )
    await send(update, milestone_text(who, code))


def _day(who: Who, text: str) -> date | None:
    calendar = who.services.calendar
    try:
        parsed = parse_deadline(
            text, who.words.today, lambda d, n: astuple(calendar.add_workdays(d, n))
        )
    except InvalidValue:
        return None
    return parsed.deadline


def milestone_text(who: Who, code: str) -> Html:
    """The unit's milestone as /feedback shows it (and /unit, one line)."""
    lines = milestone_lines(who.services, who.words, code)
    return join(lines) if lines else who.t("milestone.none", unit=code)


class _ReportCaption(filters.MessageFilter):
    """A document whose caption names the 整改情况报告."""

    def filter(self, message: Message) -> bool:
        return message.document is not None and bool(
            REPORT_CAPTION.match(normalise_text(message.caption or ""))
        )


@for_roles()
async def submission(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """A leader's signed report (a document captioned 整改情况报告): stored as the unit's
    evidence, recorded in the milestone (history kept), the inspectors told."""
    message = update.effective_message
    assert message is not None
    if who.role is not Role.LEADER or who.unit is None:
        await send(update, who.t("milestone.leaders_only"))
        return
    if not await private_only(update, who):
        return
    services = who.services
    code = who.unit
    paper = paper_of(services)
    if paper.milestone(code) is None:
        await send(update, who.t("milestone.no_feedback_yet"))
        return
    offered = offered_file(message, services)
    if offered is None:
        return
    refused = refusal(who, offered)
    if refused is not None:
        await send(update, refused)
        return
    remote = await context.bot.get_file(offered.file_id)
    data = bytes(await remote.download_as_bytearray())
    stored_path = ""
    digest = hashlib.sha256(data).hexdigest()
    if services.store.layout is not None:
        stored = await services.store.run(
            save_evidence, evidence_root(services), code, unit_folder(code), offered.name, data
        )
        stored_path = stored.path
    person = who.person
    assert person is not None
    entry = Submission(
        at=services.clock.now(),
        by=person.user_id,
        file_id=offered.file_id,
        name=offered.name,
        size=len(data),
        sha256=digest,
        stored_path=stored_path,
    )
    milestone = await services.store.run(
        paper.change_milestone, code, lambda m: add_submission(_require(m), entry)
    )
    log.info("整改情况报告 of %s submitted by %s (%s)", code, person.user_id, offered.name)
    await send(
        update,
        who.t(
            "milestone.received", name=one_line(offered.name, 60), count=len(milestone.submissions)
        ),
    )
    for inspector in inspectors(services):
        lang = language_for(services, inspector, None)
        text = services.catalog.t(
            lang,
            "milestone.inspector_notice",
            unit=code,
            name=one_line(person.name, 40),
            file=one_line(offered.name, 60),
        )
        try:
            await context.bot.send_message(inspector.user_id, text, parse_mode="HTML")
        except TelegramError as exc:
            log.warning("could not tell inspector %s of a report: %s", inspector.user_id, exc)


def _require(milestone: Milestone | None) -> Milestone:
    if milestone is None:
        raise InvalidValue("no milestone", field="feedback")
    return milestone


def unit_folder(code: str) -> str:
    """The unit's own evidence folder name: ``<CODE>-000`` (no item is numbered 0)."""
    return f"{code}-000"


def run_report(
    config: Config, *, unit: str | None, output: Path | None, out: Out, err: Out
) -> int:
    """``bot.py report [--unit CODE] [-o PATH]`` (see the module docstring). Exit status: 0
    written; 1 no such unit, no units at all, or a file cannot be written."""
    catalog = Catalog.load()
    lang = catalog.normalise(config.bot.language)
    with Store.open(config.data_dir, lock=False) as store:
        services = Services.create(config, store, SystemClock(), catalog)
        units = store.registry.list_units()
        if unit is not None:
            code = normalise_text(unit).upper()
            found = store.registry.get_unit(code)
            if found is None:
                err(catalog.plain(lang, "error.unknown_unit", unit=unit[:20]))
                return 1
            units = [found]
        if not units:
            err(catalog.plain(lang, "excel.export.no_units"))
            return 1
        now = services.clock.now()
        today = local_date(now, config.tz)
        for found in units:
            name = report_file_name(services, lang, found.code, today)
            one = unit is not None
            target = (output or Path(name)) if one else (output or Path(".")) / name
            data = report_bytes(services, found.code, lang, comments=True, now=now)
            temp = target.with_name(f".{target.name}.tmp")
            try:
                temp.write_bytes(data)
                os.replace(temp, target)  # a reader never sees half a document
            except OSError as exc:
                temp.unlink(missing_ok=True)
                err(
                    catalog.plain(lang, "report.cli.cannot_write", path=target, error=exc.strerror)
                )
                return 1
            out(catalog.plain(lang, "report.cli.written", unit=found.code, path=target))
    return 0


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register BEFORE handlers.evidence: a document captioned 整改情况报告 is the signed
    report, not an item's evidence."""
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(MessageHandler(_ReportCaption(), submission))


__all__ = ["register", "run_report"]
