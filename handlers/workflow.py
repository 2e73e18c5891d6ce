"""Moving an item along (DESIGN §3, §5): progress, close-out, endorsement, verification, and
telling the next person — the "second half of the article" (后半篇文章).

Commands (private chats; every item id is re-checked like a typed one, R22):

- contacts and leaders: ``/progress ID text`` (报送进展), ``/submit ID`` (申请销号; refused
  without evidence); leaders also ``/endorse ID`` (签字背书) and ``/reject ID reason``;
- inspectors: ``/approve ID [note]`` (核验通过 → 已销号), ``/reject ID reason`` (退回),
  ``/reopen ID [date] reason`` (反弹, on a closed item), ``/deadline ID date [reason]`` (调整时限),
  ``/urge ID [text]`` (催办: the unit's contacts and leaders are told at once),
  ``/withdraw ID reason``.
- the phrase ``HZ-007 进展 …`` records a progress note like ``/progress``.

Card buttons ``do:<action>:<ITEM>`` (see ``handlers.render.enable_card_actions``): 进展, 申请销号,
签字, 核验通过, 退回, 重新打开, 催办, 调整时限, 撤销 (佐证 is ``handlers.evidence``'s). Submit,
endorse, approve and urge act at once and redraw the pressed card in place; the others ask
for what they need in a conversation (below). A second press after the state changed is
answered with what happened ("已由 张三 于 … 签字背书") and changes nothing (R18).

Writes: one ledger transaction per action on a worker thread — read the item, decide with
``ledger.workflow.act`` (``seq = tx.next_event_seq``), put the item and append the event. The
ledger's lock serialises concurrent actions: of two endorsements at once the second finds the
item endorsed and gets ``AlreadyDone``. Only after the write are the next people told
(:func:`notify`), so a Telegram outage can delay a notice but never undo a ledger change; a
recipient who blocked the bot is marked unreachable (``app.roster.set_reachable``) and the
actor is told who could not be reached.

Who is told of each action is ``ledger.told.WHO_IS_TOLD`` (the actor never is; each message
has a card button; a role may get its own words, ``workflow.notify.<kind>_to_<role>``: the
contact hears a signature as news, not as a request to verify).

Conversations: a PTB ``ConversationHandler`` per flow, per user and chat, with
``[workflow] conversation_timeout_seconds``, ``/cancel`` (or 取消) at every step and a word on
timeout. :class:`Flows` records which flow a person's next typed answer belongs to, so that
starting one flow (this one's, the evidence upload's, /add's) quietly supersedes another
instead of both waiting for the same text.

反弹 asked in steps (the card's 重新打开, or ``/reopen ID`` alone): the new 整改时限 first — the
default a month on (``app.actions.reopen_default``) as a button, 另定日期 to type one (a date
typed straight away works too, with the reason after it) — then the reason. A long-term item
stays long-term and is asked only the reason.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from app import roster
from app.actions import Done, Inputs, reopen_default
from app.services import Services
from handlers import confirm
from handlers.acting import CardRef, card_of, explain, perform, redraw_card
from handlers.buttons import button, parse
from handlers.common import (
    TOAST_LIMIT,
    Who,
    edit_or_send,
    reply_text,
    send,
    stale_button,
    to_plain,
    who_is,
)
from handlers.conversation import (
    END,
    Context,
    FlowState,
    StateCallback,
    conversation,
    flows_of,
    is_cancel,
    known,
)
from handlers.deadline_input import (
    parse_typed_deadline,
    parsed_deadline_word,
    reopen_inputs,
    split_deadline,
)
from handlers.notices import Delivery, Notified, card_markup, notified_lines, tell
from handlers.queries import draw_card, example_id, find_item, private_only
from handlers.render import (
    Names,
    Words,
    action_word,
    deadline_word,
    enable_card_actions,
    enabled_card_actions,
    format_date,
    join,
    one_line,
    role_word,
    status_word,
    view_item,
    when_text,
)
from ledger.access import Action, authorize
from ledger.calendar import local_date
from ledger.dates import (
    ParsedDate,
    normalise_item_id,
)
from ledger.errors import (
    InvalidValue,
    LedgerError,
    MissingReason,
)
from ledger.model import Item, Person, Role, Status
from ledger.told import Audience, who_is_told
from locales import Html

log = logging.getLogger(__name__)

WAITING = 1  # the one state of this module's conversation: waiting for typed text
FLOW = "workflow"
PENDING_KEY = "workflow.pending"
PROBLEM_MAX = 60  # the problem as quoted in notifications

# The card buttons this module handles, in the order they appear on a card.
CARD_ACTIONS: dict[Action, str] = {
    Action.PROGRESS: "workflow.button.progress",
    Action.SUBMIT: "workflow.button.submit",
    Action.ENDORSE: "workflow.button.endorse",
    Action.APPROVE: "workflow.button.approve",
    Action.REJECT: "workflow.button.reject",
    Action.REOPEN: "workflow.button.reopen",
    Action.URGE: "workflow.button.urge",
    Action.SET_DEADLINE: "workflow.button.deadline",
    Action.WITHDRAW: "workflow.button.withdraw",
}
# Actions that need typed input first (a conversation), and those that act on the press.
ASKING = (Action.PROGRESS, Action.REJECT, Action.REOPEN, Action.WITHDRAW, Action.SET_DEADLINE)
DIRECT = (Action.SUBMIT, Action.ENDORSE, Action.APPROVE, Action.URGE)
# Formal acts a card button asks "确认…？" for (handlers.confirm), with the item's summary:
# 签字背书 and 核验通过 on the press, 退回 and 撤销 once their reason is typed.
CONFIRMED_ON_PRESS = frozenset({Action.ENDORSE, Action.APPROVE, Action.REJECT, Action.WITHDRAW})


def audience(services: Services, done: Done, actor: Person) -> Audience:
    """Who must hear of ``done`` (``ledger.told.WHO_IS_TOLD``), without the actor."""
    told = who_is_told(done.action, actor.role, done.item.status)
    return roster.audience(services, told, done.item.unit, actor)


def notice_kind(done: Done) -> str:
    """The ``workflow.notify.<kind>`` message of a recorded action."""
    action = done.action
    if action is Action.SUBMIT and done.item.status is Status.ENDORSED:
        return "submit_direct"
    if action is Action.APPROVE and done.item.status is Status.MONITORING:
        return "approve_monitoring"
    return str(action)


def notice_text(
    services: Services,
    lang: str,
    done: Done,
    actor: Person,
    *,
    fallback: bool = False,
    role: Role | None = None,
) -> Html:
    """The notification of ``done`` in ``lang`` (module docstring's matrix). ``fallback``: the
    words for those told instead of an unreachable role (``workflow.notify.<kind>_fallback``
    where the plain notice would ask them for what they cannot do)."""
    words = Words.of(services, lang)
    names = Names(services, words)
    item, data = done.item, done.event.data
    unit = services.store.registry.get_unit(item.unit)
    params: dict[str, Any] = {
        "unit": item.unit,
        "unit_name": one_line(unit.name, 40) if unit else item.unit,
        "item_id": item.id,
        "problem": one_line(item.problem, PROBLEM_MAX),
        "who": names.with_role(actor.user_id),
        "evidence": len(item.evidence),
        "reason": str(data.get("reason", "")),
        "date": format_date(words, local_date(done.event.at, services.config.tz)),
        "old": deadline_word(words, data.get("old"), data.get("old_long_term")),
        "new": deadline_word(words, data.get("new"), data.get("new_long_term")),
        "when": when_text(words, view_item(item, words.now, services.config.tz, services.rules)),
    }
    note = str(data.get("note", "")).strip()
    params["note"] = words.t("workflow.notify.note", note=note) if note else Html("")
    text = str(data.get("text", "")).strip()
    params["text"] = text or words.plain("workflow.urge.default")
    key = f"workflow.notify.{notice_kind(done)}"
    if fallback and services.catalog.has(f"{key}_fallback"):
        key = f"{key}_fallback"
    elif role is not None and services.catalog.has(f"{key}_to_{role}"):
        key = f"{key}_to_{role}"  # e.g. endorse_to_contact: told, not asked to act
    return words.t(key, **params)


async def notify(context: Context, services: Services, done: Done, actor: Person) -> Notified:
    """Tell the next people about ``done`` (after it was written)."""
    found = audience(services, done, actor)
    deliveries: list[Delivery] = []
    for role in dict.fromkeys(p.role for p in found.primary):  # each role its own words

        def render(lang: str, role: Role = role) -> Html:
            return notice_text(services, lang, done, actor, role=role)

        people = [p for p in found.primary if p.role is role]
        deliveries += await tell(context, services, people, render, done.item.id)
    fallback: list[Delivery] = []
    if found.fallback and not any(d.told for d in deliveries):

        def render_fallback(lang: str) -> Html:
            words = Words.of(services, lang)
            role = role_word(words, found.fallback_role or Role.CONTACT)
            text = notice_text(services, lang, done, actor, fallback=True)
            return join([text, words.t("workflow.notify.fallback", role=role)])

        fallback = await tell(context, services, found.fallback, render_fallback, done.item.id)
    return Notified(found, tuple(deliveries), tuple(fallback))


# =========================================================================== replies


def _default_for(who: Who, done: Done) -> str:
    """The default 反弹 deadline on the day ``done`` was recorded, as stored (ISO)."""
    return reopen_default(who.services, done.event.at).isoformat()


def confirmation(who: Who, done: Done, notified: Notified | None) -> Html:
    """What the actor is told: what changed, who was told (or could not be), what is next."""
    words = who.words
    item, event = done.item, done.event
    data = event.data
    kind = notice_kind(done)
    key = f"workflow.done.{kind}"
    if kind == "reopen" and data.get("new") not in (None, _default_for(who, done)):
        key = "workflow.done.reopen_chosen"  # a date was chosen: no "默认一个月" note
    lines = [
        who.t(
            key,
            item_id=item.id,
            before=status_word(words, event.before or item.status),
            after=status_word(words, event.after),
            count=len(item.progress),
            reason=str(data.get("reason", "")),
            date=format_date(words, local_date(event.at, who.services.config.tz)),
            old=deadline_word(words, data.get("old"), data.get("old_long_term")),
            new=deadline_word(words, data.get("new"), data.get("new_long_term")),
        )
    ]
    if notified is not None:
        lines += notified_lines(who, notified)
    next_key = f"workflow.next.{kind}"
    if who.services.catalog.has(next_key):
        lines.append(who.t(next_key))
    return join(lines)


async def after_action(
    update: Update, context: Context, who: Who, done: Done, card: CardRef | None = None
) -> None:
    """Tell the next people, then the actor: a pressed card is redrawn in place with a toast
    (and a message only if someone could not be told); otherwise a confirmation message."""
    person = who.person
    assert person is not None
    notified = await notify(context, who.services, done, person)
    text = confirmation(who, done, notified)
    query = update.callback_query
    if query is not None and (card is None or card == card_of(update)):
        page = draw_card(who, done.item, enabled_card_actions(context.bot_data))
        try:
            await edit_or_send(update, page.text, page.keyboard)
        except BadRequest as error:  # e.g. a message too old to edit: send the card anew
            log.info("card of %s not edited in place: %s", done.item.id, error)
            await send(update, page.text, page.keyboard)
        await query.answer(to_plain(text)[:TOAST_LIMIT])
        if any(not d.told for d in notified.all) or notified.audience.vacant:
            await send(update, text, card_markup(who.words, done.item.id))
        return
    if card is not None:
        await redraw_card(context, who, done.item, card)
    await send(update, text, card_markup(who.words, done.item.id))


async def act_now(
    update: Update,
    context: Context,
    who: Who,
    typed: str,
    action: Action,
    inputs: Inputs | None = None,
) -> Done | None:
    """Find the item ``typed`` names (R22), record ``action`` and answer; a refusal is
    worded (a toast for a button) and changes nothing."""
    item_id: str | None = None
    try:
        item = find_item(who, typed)
        item_id = item.id
        done = await perform(who, item.id, action, inputs)
    except LedgerError as error:
        await reply_text(update, who, explain(who, error, item_id))
        return None
    await after_action(update, context, who, done)
    return done


# =========================================================================== pending input


@dataclass(frozen=True)
class Pending:
    """The question this module is waiting to have answered: which action on which item,
    a deadline already given (for 调整时限: date first, then the reason), and the card the
    question came from."""

    action: Action
    item_id: str
    card: CardRef | None = None
    deadline: ParsedDate | None = None


PENDING = FlowState(FLOW, PENDING_KEY, Pending)
"""The question a person was asked and has not answered yet."""


def _rest(message: Message | None, skip: int) -> str:
    """The message text after its first ``skip`` words, newlines kept."""
    text = message.text if message is not None and message.text else ""
    spans = [m.end() for m in re.finditer(r"\S+", text)]
    return text[spans[skip - 1] :].strip() if len(spans) >= skip else ""


async def ask(update: Update, context: Context, who: Who, pending: Pending, item: Item) -> object:
    """Put the question for ``pending`` and wait for the answer."""
    assert context.user_data is not None and who.person is not None
    try:
        authorize(item, who.person, pending.action, who.services.rules)
    except LedgerError as error:  # a stale button or a wrong role: say so before asking
        await reply_text(update, who, explain(who, error, item.id))
        return END
    replaced = PENDING.start(context, who.user.id, pending)
    query = update.callback_query
    if query is not None:
        await query.answer()
    lines = [prompt(who, pending, item)]
    if replaced is not None:
        lines.append(who.t("workflow.replaced"))
    await send(update, join(lines), prompt_markup(who, pending, item))
    return WAITING


def asks_reopen_date(pending: Pending, item: Item) -> bool:
    """A 反弹 whose new 整改时限 is still to be chosen (a long-term item keeps none)."""
    return pending.action is Action.REOPEN and pending.deadline is None and not item.long_term


def prompt_markup(who: Who, pending: Pending, item: Item) -> InlineKeyboardMarkup | None:
    """The buttons of a question: for the new 整改时限 of a 反弹, the default and 另定日期."""
    if not asks_reopen_date(pending, item):
        return None
    default = reopen_default(who.services, who.services.clock.now())
    return InlineKeyboardMarkup(
        [
            [
                button(
                    who.plain("reopen.button.default", date=format_date(who.words, default)),
                    "ro",
                    "def",
                    item.id,
                ),
                button(who.plain("reopen.button.own"), "ro", "own", item.id),
            ]
        ]
    )


def prompt(who: Who, pending: Pending, item: Item) -> Html:
    action = pending.action
    example = who.plain(
        f"reason_example.{action}"
        if who.services.catalog.has(f"reason_example.{action}")
        else "reason_example.other"
    )
    if action is Action.SET_DEADLINE and pending.deadline is None:
        current = deadline_word(
            who.words, item.deadline.isoformat() if item.deadline else None, item.long_term
        )
        today = who.words.today
        return who.t(
            "workflow.ask.set_deadline",
            item_id=item.id,
            current=current,
            example=f"{today.year}-12-31",
        )
    if action is Action.SET_DEADLINE and pending.deadline is not None:
        return who.t(
            "workflow.ask.set_deadline_reason",
            item_id=item.id,
            new=parsed_deadline_word(who, pending.deadline),
            example=example,
        )
    if asks_reopen_date(pending, item):
        default = reopen_default(who.services, who.services.clock.now())
        return who.t(
            "reopen.ask.deadline",
            item_id=item.id,
            default=format_date(who.words, default),
            example=f"{who.words.today.year}-12-31",
        )
    if action is Action.REOPEN and pending.deadline is not None:
        return who.t(
            "reopen.ask.reason",
            item_id=item.id,
            new=parsed_deadline_word(who, pending.deadline),
            example=example,
        )
    return who.t(f"workflow.ask.{action}", item_id=item.id, example=example)


def inputs_for(pending: Pending, text: str) -> Inputs:
    """The answer ``text`` as the inputs of the pending action."""
    if pending.action is Action.PROGRESS:
        return Inputs(text=text)
    if pending.action is Action.SET_DEADLINE and pending.deadline is not None:
        return Inputs(
            reason=text,
            deadline=pending.deadline.deadline,
            long_term=pending.deadline.long_term,
        )
    if pending.action is Action.REOPEN and pending.deadline is not None:
        return Inputs(reason=text, deadline=pending.deadline.deadline)
    return Inputs(reason=text)


# =========================================================================== entry points


async def start_typed(update: Update, context: Context, who: Who, action: Action) -> object:
    """``/progress ID [text]``, ``/reject|/reopen|/withdraw ID [reason]``,
    ``/deadline ID [date [reason]]``: act when everything is given, else ask for the rest."""
    message = update.effective_message
    args = context.args or []
    if not args or normalise_item_id(args[0]) is None:
        await send(update, who.t(f"workflow.usage.{action}", example=example_id(who)))
        return END
    if not await private_only(update, who):
        return END
    item = find_item(who, args[0])
    rest = _rest(message, 2)
    if action is Action.SET_DEADLINE:
        if not rest:
            return await ask(update, context, who, Pending(action, item.id), item)
        found = split_deadline(who, rest)
        if isinstance(found, Html):
            await send(update, found)
            return END
        parsed, reason = found
        if not reason:
            return await ask(update, context, who, Pending(action, item.id, None, parsed), item)
        inputs = Inputs(reason=reason, deadline=parsed.deadline, long_term=parsed.long_term)
        await act_now(update, context, who, item.id, action, inputs)
        return END
    if not rest:
        return await ask(update, context, who, Pending(action, item.id), item)
    inputs = Inputs(text=rest) if action is Action.PROGRESS else Inputs(reason=rest)
    if action is Action.REOPEN:
        # ``/reopen ID [new deadline] reason``: without a date, app.actions gives the default
        # (a month on), which the reply names
        inputs = reopen_inputs(who, rest)
    await act_now(update, context, who, item.id, action, inputs)
    return END


def _typed_entry(action: Action) -> StateCallback:
    async def entry(update: Update, context: Context, who: Who) -> object:
        return await start_typed(update, context, who, action)

    entry.__name__ = f"{action}_command"
    entry.__doc__ = f"/{action}: record it, or ask for what is missing."
    return known(entry)


@known
async def progress_phrase(update: Update, context: Context, who: Who) -> object:
    """``HZ-007 进展 已召开专题会议``: a progress note, as /progress (no text: ask for it)."""
    message = update.effective_message
    found = read_progress_phrase(message.text if message and message.text else "")
    if found is None:  # the filter matched; cannot happen
        return END
    typed, note = found
    item = find_item(who, typed)
    if not note:
        return await ask(update, context, who, Pending(Action.PROGRESS, item.id), item)
    await act_now(update, context, who, item.id, Action.PROGRESS, Inputs(text=note))
    return END


_PROGRESS_PHRASE = re.compile(
    r"^\s*(\S+?)\s*(?:整改进展|进展|progress)(?:\s*[:：,，]\s*|\s+|$)(.*)$", re.S | re.I
)


def read_progress_phrase(text: str) -> tuple[str, str] | None:
    """``HZ-007 进展 …`` → (the typed id, the note); ``None`` for any other text. The word must
    be followed by a space, a colon or the end (``HZ-007 进展情况如何`` is no note)."""
    m = _PROGRESS_PHRASE.match(text or "")
    if m is None or normalise_item_id(m.group(1)) is None:
        return None
    return m.group(1), m.group(2).strip()


class _ProgressPhrase(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return read_progress_phrase(message.text or "") is not None


def _do_args(update: Update, actions: Sequence[Action]) -> tuple[Action, str] | None:
    """``do:<action>:<ITEM>`` of one of ``actions`` with a canonical id, else ``None``."""
    query = update.callback_query
    data = parse(query.data if query is not None else None)
    if data is None or data.verb != "do" or len(data.args) != 2:
        return None
    name, item_id = data.args
    if name not in {str(a) for a in actions} or normalise_item_id(item_id) != item_id:
        return None
    return Action(name), item_id


@known
async def ask_from_card(update: Update, context: Context, who: Who) -> object:
    """A card's 进展 / 退回 / 重新打开 / 撤销 / 调整时限: ask for the note, reason or date."""
    found = _do_args(update, ASKING)
    if found is None:
        await stale_button(update, who)
        return END
    if not await private_only(update, who):
        return END
    action, item_id = found
    item = find_item(who, item_id)
    return await ask(update, context, who, Pending(action, item.id, card_of(update)), item)


# =========================================================================== answers


@known
async def on_answer(update: Update, context: Context, who: Who) -> object:
    """The typed answer to the pending question."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    pending = PENDING.get(context)
    if pending is None:
        PENDING.finish(context, who.user.id)
        return END
    if is_cancel(text):
        return await cancelled(update, context, who, pending)
    try:
        if pending.action is Action.SET_DEADLINE and pending.deadline is None:
            found = parse_typed_deadline(who, text)
            if isinstance(found, Html):
                await send(update, found)
                return None  # stay: try again
            pending = replace(pending, deadline=found)
            PENDING.keep(context, pending)
            await send(update, prompt(who, pending, find_item(who, pending.item_id)))
            return None
        if pending.action is Action.REOPEN and pending.deadline is None:
            item = find_item(who, pending.item_id)
            if not item.long_term:
                return await reopen_date_typed(update, context, who, pending, item, text)
        if pending.card is not None and pending.action in CONFIRMED_ON_PRESS:
            # 退回 / 撤销 from a card button: the reason is asked, then "确认…？" (typed
            # commands with the id and the reason are deliberate and act at once).
            if not text.strip():
                raise MissingReason(action=str(pending.action))
            item = find_item(who, pending.item_id)
            PENDING.finish(context, who.user.id)
            await confirm.ask(update, context, who, item, pending.action, Inputs(reason=text))
            return END
        done = await perform(who, pending.item_id, pending.action, inputs_for(pending, text))
    except (InvalidValue, MissingReason) as error:
        await send(update, explain(who, error, pending.item_id))
        return None  # stay: the answer can be given again
    except LedgerError as error:
        PENDING.finish(context, who.user.id)
        await send(update, explain(who, error, pending.item_id))
        return END
    PENDING.finish(context, who.user.id)
    await after_action(update, context, who, done, card=pending.card)
    return END


async def reopen_date_typed(
    update: Update, context: Context, who: Who, pending: Pending, item: Item, text: str
) -> object:
    """The new 整改时限 of a 反弹, typed (after 另定日期, or instead of a button): a date, or a
    date and the reason at once (as ``/reopen ID date reason``). Anything else is asked
    again; a long-term deadline is no 反弹 deadline."""
    found = split_deadline(who, text)
    if isinstance(found, Html):
        markup = prompt_markup(who, pending, item)
        await send(update, join([found, who.t("reopen.or_default")]), markup)
        return None
    parsed, reason = found
    if parsed.long_term or parsed.deadline is None:
        await send(update, who.t("reopen.need_date"), prompt_markup(who, pending, item))
        return None
    pending = replace(pending, deadline=parsed)
    if not reason:
        PENDING.keep(context, pending)
        await send(update, prompt(who, pending, item))
        return None
    done = await perform(who, pending.item_id, Action.REOPEN, inputs_for(pending, reason))
    PENDING.finish(context, who.user.id)
    await after_action(update, context, who, done, card=pending.card)
    return END


@known
async def on_reopen_choice(update: Update, context: Context, who: Who) -> object:
    """``ro:def:<ITEM>`` (the default new 整改时限 of a 反弹) or ``ro:own:<ITEM>`` (另定日期: a
    date is typed next), under the question the pending 反弹 asked; otherwise stale."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    pending = PENDING.get(context)
    if (
        data is None
        or len(data.args) != 2
        or data.args[0] not in ("def", "own")
        or pending is None
        or pending.action is not Action.REOPEN
        or pending.deadline is not None
        or data.args[1] != pending.item_id
    ):
        await stale_button(update, who)
        return None
    item = find_item(who, pending.item_id)
    await query.answer()
    with contextlib.suppress(TelegramError):  # the choice is made; stale anyway if they stay
        await query.edit_message_reply_markup(None)
    if data.args[0] == "own":
        await send(update, who.t("reopen.ask.own", example=f"{who.words.today.year}-12-31"))
        return None
    default = reopen_default(who.services, who.services.clock.now())
    pending = replace(pending, deadline=ParsedDate(default))
    PENDING.keep(context, pending)
    await send(update, prompt(who, pending, item))
    return None


@known
async def stale_choice(update: Update, context: Context, who: Who) -> object:
    """A 反弹 date button with no question waiting for it."""
    await stale_button(update, who)
    return END


async def cancelled(update: Update, context: Context, who: Who, pending: Pending | None) -> object:
    PENDING.finish(context, who.user.id)
    if pending is None:
        await send(update, who.t("workflow.cancel_idle"))
    else:
        action = action_word(who.words, pending.action)
        await send(update, who.t("workflow.cancelled", item_id=pending.item_id, action=action))
    return END


@known
async def on_cancel(update: Update, context: Context, who: Who) -> object:
    """/cancel (or 取消) while a question is pending."""
    return await cancelled(update, context, who, PENDING.get(context))


async def on_timeout(update: Update, context: Context) -> None:
    """The conversation timed out: say so, unless another flow had taken over."""
    who = who_is(update, context)
    known_id = who.user.id if who is not None and who.person is not None else None
    pending = PENDING.timed_out(context, known_id)
    if who is None or pending is None:
        return
    text = who.t(
        "workflow.timeout",
        item_id=pending.item_id,
        action=action_word(who.words, pending.action),
    )
    try:
        await send(update, text)
    except TelegramError as error:
        log.info("could not tell user %s the question timed out: %s", who.user.id, error)


@known
async def cancel_idle(update: Update, context: Context, who: Who) -> object:
    """/cancel with nothing pending."""
    await send(update, who.t("workflow.cancel_idle"))
    return END


# =========================================================================== direct actions


def _direct_command(action: Action) -> StateCallback:
    async def command(update: Update, context: Context, who: Who) -> object:
        args = context.args or []
        if not args or normalise_item_id(args[0]) is None:
            await send(update, who.t(f"workflow.usage.{action}", example=example_id(who)))
            return END
        if not await private_only(update, who):
            return END
        rest = _rest(update.effective_message, 2)
        if action in (Action.SUBMIT, Action.ENDORSE) and rest:
            await send(update, who.t(f"workflow.usage.{action}", example=example_id(who)))
            return END
        inputs = Inputs(text=rest)  # approve: the note; urge: the message
        await act_now(update, context, who, args[0], action, inputs)
        return END

    command.__name__ = f"{action}_command"
    command.__doc__ = f"/{action} ID: record it and tell the next people."
    return known(command)


@known
async def direct_from_card(update: Update, context: Context, who: Who) -> object:
    """A card's 申请销号 / 签字 / 核验通过 / 催办: act on the press, redraw the card."""
    found = _do_args(update, DIRECT)
    if found is None:
        await stale_button(update, who)
        return END
    if not await private_only(update, who):
        return END
    action, item_id = found
    if action in CONFIRMED_ON_PRESS:
        item = find_item(who, item_id)
        assert who.person is not None
        authorize(item, who.person, action, who.services.rules)  # refused before asking
        await confirm.ask(update, context, who, item, action)
        return END
    await act_now(update, context, who, item_id, action)
    return END


# =========================================================================== registration


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The workflow conversation, the direct commands and buttons, and the card buttons."""
    flows = flows_of(app)
    private = filters.ChatType.PRIVATE
    mine = flows.owns(FLOW)
    asking = "|".join(str(a) for a in ASKING)
    app.add_handler(
        conversation(
            app,
            FLOW,
            entry_points=[
                *(CommandHandler(_command_name(a), _typed_entry(a)) for a in ASKING),
                CallbackQueryHandler(ask_from_card, pattern=rf"^do:({asking}):"),
                MessageHandler(
                    private
                    & filters.TEXT
                    & ~filters.COMMAND
                    & (flows.idle() | mine)  # not while another flow waits for text
                    & _ProgressPhrase(),
                    progress_phrase,
                ),
            ],
            states={
                WAITING: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND & mine, on_answer),
                    CallbackQueryHandler(on_reopen_choice, pattern=r"^ro:"),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("cancel", on_cancel, filters=mine)],
        )
    )
    for action in DIRECT:
        app.add_handler(CommandHandler(str(action), _direct_command(action)))
    direct = "|".join(str(a) for a in DIRECT)
    app.add_handler(CallbackQueryHandler(direct_from_card, pattern=rf"^do:({direct}):"))
    app.add_handler(CommandHandler("cancel", cancel_idle, filters=flows.idle()))
    # a 反弹 date button pressed after its question was answered, cancelled or timed out
    app.add_handler(CallbackQueryHandler(stale_choice, pattern=r"^ro:"))
    enable_card_actions(app.bot_data, CARD_ACTIONS)


def _command_name(action: Action) -> str:
    return "deadline" if action is Action.SET_DEADLINE else str(action)


__all__ = [
    "ASKING",
    "CARD_ACTIONS",
    "DIRECT",
    "Notified",
    "act_now",
    "after_action",
    "audience",
    "confirmation",
    "direct_from_card",
    "notified_lines",
    "notify",
    "read_progress_phrase",
    "register",
    "split_deadline",
]
