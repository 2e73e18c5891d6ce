"""回头看 in chat (ledger.lookback has the rules, storage.paper the records).

``/lookback CODE`` (inspectors, private chat) starts a 回头看 of the unit — or resumes the one
in progress. The bot picks the sample (the items the sweep has proposed for 回头看 first, then
a hashed draw of the other closed items; ``[alerts] lookback_sample`` items) and shows one
sampled item at a time: its problem, measures, closing date and evidence, and three rows of
buttons for the checks 改到位 / 巩固措施定到位 / 民主生活会开到位 (是 / 否, the last also 不适用).
Each press is stored at once. 确认本项 then asks for a note (typed; 无需说明 when every check
passed). A failed check makes the note required: the finding is stored and the item is
reopened as 反弹 through the workflow's reopen, with the failed checks and the note as its
reason, and the unit is told as for any reopen. Then the next item; at the end, the summary.

The record shows in /unit, the export and the report.

Callback data: ``lb:<CODE>:<record>:<n>:<check>:<verdict>`` (a check press; ``n`` is the
item's place in the sample, check ``r``/``m``/``d``, verdict ``p``/``f``/``n``),
``lb:<CODE>:<record>:<n>:ok`` (确认本项) and ``lb:<CODE>:<record>:<n>:skip`` (无需说明).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from app.actions import Inputs
from app.paper import paper_of
from handlers.acting import perform
from handlers.buttons import button, parse
from handlers.common import (
    Who,
    edit_or_send,
    for_roles,
    reply_text,
    send,
    stale_button,
    who_is,
    word_error,
)
from handlers.conversation import flows_of
from handlers.paper_render import lookback_lines, unit_label
from handlers.queries import private_only
from handlers.render import format_date, join, one_line
from handlers.workflow import confirmation, notify
from ledger.alerts import lookback_due
from ledger.calendar import local_date
from ledger.errors import LedgerError, UnknownUnit
from ledger.lookback import (
    CHECKS,
    NOTE_MAX,
    Check,
    Lookback,
    Verdict,
    failed_checks,
    mark,
    ready,
    record_finding,
    start_lookback,
)
from ledger.lookback import latest as latest_lookback
from ledger.model import Item, Role, Status
from ledger.workflow import Action
from locales import Html

log = logging.getLogger(__name__)

FLOW = "lookback"
PENDING_KEY = "lookback_notes"  # bot_data: user id -> (unit, record id, sample index)
CHECK_CODES = {"r": Check.RECTIFIED, "m": Check.MEASURES, "d": Check.MEETING}
VERDICT_CODES = {"p": Verdict.PASS, "f": Verdict.FAIL, "n": Verdict.NOT_APPLICABLE}
_CODE_OF_CHECK = {v: k for k, v in CHECK_CODES.items()}
_CODE_OF_VERDICT = {v: k for k, v in VERDICT_CODES.items()}


# --------------------------------------------------------------------------- /lookback


@for_roles(Role.INSPECTOR)
async def lookback_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/lookback CODE: start (or resume) the unit's 回头看."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if len(args) != 1:
        await send(update, who.t("lookback.usage"))
        return
    services = who.services
    code = args[0].strip().upper()
    if len(code) > 10 or services.store.registry.get_unit(code) is None:
        raise UnknownUnit(unit=one_line(args[0], 20))
    paper = paper_of(services)
    current = latest_lookback(paper.lookbacks(code))
    if current is not None and not current.done:
        await send(update, who.t("lookback.resumed", count=len(current.sample)))
        await show_next(update, who, current)
        return
    now = services.clock.now()
    items = services.store.ledger(code).items()
    today = local_date(now, services.config.tz)
    person = who.person
    assert person is not None

    def make(existing: list[Lookback]) -> Lookback:
        checked = {f.item_id for r in existing for f in r.findings}
        fresh = [i for i in items if i.id not in checked]
        pool = fresh if any(_closed(i) for i in fresh) else items
        proposed = lookback_due(pool, today, services.config.tz, services.rules)
        return start_lookback(
            code,
            pool,
            proposed=proposed,
            size=services.rules.lookback_sample,
            by=person.user_id,
            now=now,
            cohort=today.isoformat(),
            existing=existing,
        )

    record = await services.store.run(paper.add_lookback, code, make)
    log.info("回头看 %s of %s started: %s", record.id, code, ", ".join(record.sample))
    unit = services.store.registry.get_unit(code)
    await send(
        update,
        who.t(
            "lookback.started",
            unit=unit_label(unit, code),
            count=len(record.sample),
            items=who.plain("paper.sep").join(record.sample),
        ),
    )
    await show_next(update, who, record)


def _closed(item: Item) -> bool:
    return item.status in (Status.CLOSED, Status.MONITORING)


async def show_next(update: Update, who: Who, record: Lookback) -> None:
    """Send the next unchecked item's checks, or the summary when all are done."""
    item_id = record.next_item
    if item_id is None:
        await send(update, summary(who, record))
        return
    text, markup = item_checks(who, record, record.sample.index(item_id))
    await send(update, text, markup)


def summary(who: Who, record: Lookback) -> Html:
    return join([who.t("lookback.finished"), *lookback_lines(who.words, record)])


def item_checks(who: Who, record: Lookback, n: int) -> tuple[Html, InlineKeyboardMarkup]:
    """One sampled item and its three check rows (the current verdicts marked)."""
    services = who.services
    words = who.words
    item_id = record.sample[n]
    item = services.store.ledger(record.unit).get_item(item_id)
    given = record.marks.get(item_id, {})
    closed = (
        format_date(words, local_date(item.closed_at, services.config.tz))
        if item is not None and item.closed_at is not None
        else "—"
    )
    last = item.last_progress if item is not None else None
    text = join(
        [
            who.t("lookback.item.head", index=n + 1, total=len(record.sample), item_id=item_id),
            who.t("lookback.item.problem", text=one_line(item.problem, 300) if item else "—"),
            who.t("lookback.item.measures", text=one_line(item.measures, 300) if item else "—"),
            who.t(
                "lookback.item.closed",
                date=closed,
                evidence=len(item.evidence) if item else 0,
                progress=one_line(last.text, 120) if last else "—",
            ),
            "",
            who.t("lookback.item.ask"),
        ]
    )
    data = (record.unit, record.id, str(n))
    rows = []
    for check in CHECKS:
        verdicts = [Verdict.PASS, Verdict.FAIL]
        if check is Check.MEETING:
            verdicts.append(Verdict.NOT_APPLICABLE)
        row = []
        for verdict in verdicts:
            label = who.plain(f"lookback.button.{check}.{verdict}")
            if given.get(check) is verdict:
                label = f"● {label}"
            code = (_CODE_OF_CHECK[check], _CODE_OF_VERDICT[verdict])
            row.append(button(label, "lb", *data, *code))
        rows.append(row)
    if ready(record, item_id):
        rows.append([button(who.plain("lookback.button.confirm"), "lb", *data, "ok")])
    return text, InlineKeyboardMarkup(rows)


# --------------------------------------------------------------------------- buttons


async def lookback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``lb:`` buttons: a check, 确认本项, 无需说明."""
    who = who_is(update, context)
    query = update.callback_query
    if who is None or query is None:
        return
    parsed = parse(query.data)
    args = parsed.args if parsed is not None else ()
    found = _press(who, args)
    if found is None:
        await stale_button(update, who)
        return
    record, n, rest = found
    services = who.services
    paper = paper_of(services)
    item_id = record.sample[n]
    try:
        if len(rest) == 2:
            check, verdict = CHECK_CODES[rest[0]], VERDICT_CODES[rest[1]]
            record = await services.store.run(
                paper.update_lookback,
                record.unit,
                record.id,
                lambda r: mark(r, item_id, check, verdict),
            )
            text, markup = item_checks(who, record, n)
            await edit_or_send(update, text, markup)
        elif rest == ("ok",):
            if not ready(record, item_id):
                await stale_button(update, who)
                return
            await ask_note(update, context, who, record, n)
        else:  # skip: no note, only when every check passed
            if failed_checks(record, item_id):
                await reply_text(update, who, who.t("lookback.note_required"))
                return
            _drop_pending(context, who)
            await finish_item(update, context, who, record, n, "")
    except LedgerError as error:
        await reply_text(update, who, word_error(who, error))
        return
    await query.answer()


def _press(who: Who, args: tuple[str, ...]) -> tuple[Lookback, int, tuple[str, ...]] | None:
    """The record, sample index and the rest of a press, if it still means something."""
    if who.person is None or not who.is_inspector or len(args) not in (4, 5):
        return None
    unit, record_id, index, *rest = args
    if who.services.store.registry.get_unit(unit) is None or not index.isdigit():
        return None
    record = paper_of(who.services).lookback(unit, record_id)
    n = int(index)
    if record is None or n >= len(record.sample) or record.finding(record.sample[n]):
        return None
    if len(rest) == 2 and (rest[0] not in CHECK_CODES or rest[1] not in VERDICT_CODES):
        return None
    if len(rest) == 1 and rest[0] not in ("ok", "skip"):
        return None
    return record, n, tuple(rest)


async def ask_note(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, record: Lookback, n: int
) -> None:
    item_id = record.sample[n]
    failed = failed_checks(record, item_id)
    pending: dict[int, tuple[str, str, int]] = context.bot_data.setdefault(PENDING_KEY, {})
    pending[who.user.id] = (record.unit, record.id, n)
    flows_of(context).take(who.user.id, FLOW)
    if failed:
        text = who.t(
            "lookback.ask_note_failed",
            item_id=item_id,
            checks=_checks_text(who, failed),
            max=NOTE_MAX,
        )
        await edit_or_send(update, text)
        return
    markup = InlineKeyboardMarkup(
        [[button(who.plain("lookback.button.skip"), "lb", record.unit, record.id, str(n), "skip")]]
    )
    await edit_or_send(update, who.t("lookback.ask_note", item_id=item_id, max=NOTE_MAX), markup)


def _checks_text(who: Who, checks: tuple[Check, ...]) -> str:
    return who.plain("paper.sep").join(who.plain(f"paper.check.{c}") for c in checks)


def _drop_pending(context: ContextTypes.DEFAULT_TYPE, who: Who) -> tuple[str, str, int] | None:
    entry = context.bot_data.setdefault(PENDING_KEY, {}).pop(who.user.id, None)
    flows_of(context).release(who.user.id, FLOW)
    return entry


async def note_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The typed note after 确认本项: record the finding (and reopen on a failed check)."""
    who = who_is(update, context)
    message = update.message
    if who is None or message is None or not who.is_inspector:
        return
    text = message.text or ""
    if len(text) > NOTE_MAX:
        await send(update, who.t("lookback.note_too_long", max=NOTE_MAX, length=len(text)))
        return
    pending: dict[int, tuple[str, str, int]] = context.bot_data.setdefault(PENDING_KEY, {})
    entry = pending.get(who.user.id)
    if entry is None:
        flows_of(context).release(who.user.id, FLOW)
        return
    unit, record_id, n = entry
    record = paper_of(who.services).lookback(unit, record_id)
    if record is None or n >= len(record.sample) or record.finding(record.sample[n]):
        _drop_pending(context, who)
        await send(update, who.t("lookback.gone"))
        return
    try:
        await finish_item(update, context, who, record, n, text)
    except LedgerError as error:  # e.g. a blank note for a failed check: ask again
        await send(update, word_error(who, error))
        return
    _drop_pending(context, who)


async def cancel_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel while a note is awaited: the checks stay as pressed; nothing else changes."""
    who = who_is(update, context)
    if who is None:
        return
    _drop_pending(context, who)
    await send(update, who.t("lookback.cancelled"))


async def finish_item(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    record: Lookback,
    n: int,
    note: str,
) -> None:
    """Store the item's finding; reopen it as 反弹 when a check failed; go on."""
    services = who.services
    item_id = record.sample[n]
    person = who.person
    assert person is not None
    now = services.clock.now()
    record = await services.store.run(
        paper_of(services).update_lookback,
        record.unit,
        record.id,
        lambda r: record_finding(r, item_id, note, by=person.user_id, now=now),
    )
    finding = record.finding(item_id)
    assert finding is not None
    if finding.passed:
        await send(update, who.t("lookback.item_passed", item_id=item_id))
    else:
        reason = who.plain(
            "lookback.reopen_reason", checks=_checks_text(who, finding.failed), note=finding.note
        )
        try:
            done = await perform(who, item_id, Action.REOPEN, Inputs(reason=reason))
        except LedgerError as error:
            await send(
                update,
                join([who.t("lookback.not_reopened", item_id=item_id), word_error(who, error)]),
            )
        else:
            notified = await notify(context, services, done, person)
            lines = [who.t("lookback.item_rebounded", item_id=item_id)]
            await send(update, join([*lines, confirmation(who, done, notified)]))
    await show_next(update, who, record)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register before handlers.phrases (the note is free text)."""
    flows = flows_of(app)
    mine = flows.owns(FLOW)
    app.add_handler(CommandHandler("lookback", lookback_command))
    app.add_handler(CallbackQueryHandler(lookback_button, pattern=r"^lb:"))
    app.add_handler(CommandHandler("cancel", cancel_note, filters=mine))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & mine, note_text))


__all__ = ["register"]
