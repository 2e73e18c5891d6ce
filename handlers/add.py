"""``/add``: an inspector adds one 台账 item through a guided conversation (DESIGN §5).

Steps, one question each (buttons where there is a choice; ``/cancel`` or 取消 at any step;
``[workflow] conversation_timeout_seconds`` of silence cancels, and says so):

1. unit (buttons, or the code typed; ``/add HZ`` skips this step)   2. category (buttons)
3. problem (问题描述, required)   4–7. leader, department, owner, measures (跳过 allowed)
8. deadline, typed leniently (``2026-12-31``, ``12月31日``, ``30天内``, ``15个工作日``; not
   before today) or the 长期坚持 button — then a summary with 确认新增 / 修改 / 取消.

The step count is the questions actually asked: the first question is 1/N, and ``/add HZ``
(the unit given) asks N = 7. 修改 under the summary offers one button per field; the chosen
field alone is asked again (its usual buttons included) and the summary comes back with a new
token, so the buttons of the superseded summary are stale.

Confirming creates the item with ``app.actions.create_item`` in one transaction of the
unit's ledger (the id is allocated there, so a concurrent import cannot take it), sends the
new card and tells the unit's contacts and leaders. The confirm button carries a one-time
token (``ok:add…`` / ``no:add…``): a second press, or a press after the conversation ended,
finds no token and changes nothing. Nothing is stored before the confirmation.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from app import roster
from app.actions import NewItem, create_item
from app.services import Services
from handlers.buttons import button, parse
from handlers.common import Who, edit_or_send, send, stale_button, to_plain, who_is
from handlers.conversation import FlowState, conversation, flows_of, is_cancel, known
from handlers.deadline_input import parse_typed_deadline, parsed_deadline_word
from handlers.notices import Notified, notified_lines, tell
from handlers.queries import draw_card, private_only, unit_code
from handlers.render import (
    FIELD_MAX,
    MEASURES_MAX,
    PROBLEM_MAX,
    Words,
    clip,
    enabled_card_actions,
    format_date,
    join,
    one_line,
)
from ledger.access import Action
from ledger.dates import ParsedDate, normalise_text
from ledger.errors import InvalidValue, NotAllowed
from ledger.model import Item, Person
from ledger.told import Audience, who_is_told
from ledger.workflow import MAX_FIELD_LEN
from locales import Html

log = logging.getLogger(__name__)

END = ConversationHandler.END
FLOW = "add"
DRAFT_KEY = "add.draft"
TOKEN_PREFIX = "add"  # ok:add… / no:add… are this module's (the import's are ok:imp…)
UNIT_BUTTONS = 24  # more units than this: the code is typed
SKIP_WORDS = frozenset({"跳过", "无", "没有", "-", "—", "skip", "none"})
STEPS = ("unit", "category", "problem", "leader", "department", "owner", "measures", "deadline")
OPTIONAL = ("leader", "department", "owner", "measures")
CONFIRM = len(STEPS)  # the state after the last step; steps are states 0 … 7
CHOOSE = CONFIRM + 1  # the state while 修改 waits for the field to ask again

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class Draft:
    """The answers so far and the ``step`` being asked (an index of :data:`STEPS`, or
    :data:`CONFIRM`); ``token`` is set once the summary is shown. ``first`` is the first step
    asked (1 when the unit came with the command), ``editing`` that the step is a correction
    asked from the summary (its answer goes back to the summary), ``choosing`` that 修改 was
    pressed and the field to correct is not chosen yet."""

    step: int = 0
    first: int = 0
    editing: bool = False
    choosing: bool = False
    unit: str = ""
    category: str = ""
    problem: str = ""
    leader: str = ""
    department: str = ""
    owner: str = ""
    measures: str = ""
    deadline: ParsedDate | None = None
    token: str = ""

    @property
    def asking(self) -> str | None:
        """The field being asked for; ``None`` at the summary."""
        if self.choosing or self.step >= len(STEPS):
            return None
        return STEPS[self.step]

    @property
    def state(self) -> int:
        """The conversation state: the step, or :data:`CHOOSE`."""
        return CHOOSE if self.choosing else self.step

    def answered(self, value: Any) -> Draft:
        """The draft with the current field set to ``value``, moved to the next step (back to
        the summary after a correction)."""
        field = self.asking
        assert field is not None
        following = CONFIRM if self.editing else self.step + 1
        return replace(self, **{field: value}, step=following, editing=False)

    def numbered(self) -> tuple[int, int]:
        """(this question's number, how many questions) as the inspector is asked them."""
        return self.step - self.first + 1, len(STEPS) - self.first


DRAFT = FlowState(FLOW, DRAFT_KEY, Draft)
"""The /add answers so far, while the conversation lasts."""


# =========================================================================== questions


def question(who: Who, draft: Draft) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The text and buttons of the draft's step (or of the summary, or of the 修改 choice)."""
    services = who.services
    if draft.choosing:
        return who.t("add.edit.which"), field_buttons(who)
    name = draft.asking
    if name is None:
        return summary(who, draft), InlineKeyboardMarkup(
            [
                [
                    button(who.plain("add.button.confirm"), "ok", draft.token),
                    button(who.plain("add.edit.button"), "add", "edit", draft.token),
                    button(who.plain("add.button.cancel"), "no", draft.token),
                ]
            ]
        )
    text = question_text(who, draft, name)
    rows: list[list[InlineKeyboardButton]] = []
    if name == "unit":
        units = services.store.registry.list_units()[:UNIT_BUTTONS]
        buttons = [button(u.code, "add", "unit", u.code) for u in units]
        rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    elif name == "category":
        cats = services.rules.categories
        buttons = [button(one_line(c, 20), "add", "cat", i) for i, c in enumerate(cats)]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    elif name in OPTIONAL:
        rows = [[button(who.plain("add.button.skip"), "add", "skip", name)]]
    elif name == "deadline":
        rows = [[button(who.plain("add.button.long_term"), "add", "long", "deadline")]]
    return text, InlineKeyboardMarkup(rows) if rows else None


def question_text(who: Who, draft: Draft, name: str) -> Html:
    """One question: "第 n/N 步：…" (the first one under the heading), or "修改…：…" when it is
    a correction asked from the summary."""
    body = who.t(f"add.ask.{name}", example=f"{who.words.today.year}-12-31")
    if draft.editing:
        return who.t("add.edit.ask", field=field_label(who, name), question=body)
    number, total = draft.numbered()
    line = who.t("add.step", step=number, total=total, question=body)
    if number > 1:
        return line
    if draft.first == 0:
        heading = who.t("add.heading", total=total)
    else:
        unit = who.services.store.registry.get_unit(draft.unit)
        heading = who.t(
            "add.heading_unit",
            unit=draft.unit,
            unit_name=one_line(unit.name, 40) if unit else draft.unit,
            total=total,
        )
    return join([heading, line])


def field_label(who: Who, name: str) -> str:
    """How a field is named on the summary (单位, 问题类别 …)."""
    return who.plain("add.edit.unit") if name == "unit" else who.plain(f"field.{name}")


def field_buttons(who: Who) -> InlineKeyboardMarkup:
    """One button per field of the summary, and one to go back to it unchanged."""
    buttons = [button(field_label(who, name), "add", "fix", name) for name in STEPS]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button(who.plain("add.edit.back"), "add", "back", "summary")])
    return InlineKeyboardMarkup(rows)


def summary(who: Who, draft: Draft) -> Html:
    """Everything answered, for a last look before 确认新增."""
    unit = who.services.store.registry.get_unit(draft.unit)

    def field(text: str, limit: int = FIELD_MAX) -> str:
        return clip(text.strip(), limit) if text.strip() else "—"

    return who.t(
        "add.summary",
        unit=draft.unit,
        unit_name=one_line(unit.name, 40) if unit else draft.unit,
        category=draft.category,
        problem=field(draft.problem, PROBLEM_MAX),
        leader=field(draft.leader),
        department=field(draft.department),
        owner=field(draft.owner),
        measures=field(draft.measures, MEASURES_MAX),
        deadline=parsed_deadline_word(who, draft.deadline) if draft.deadline else "—",
    )


async def ask_next(update: Update, context: Context, who: Who, draft: Draft) -> object:
    """Keep ``draft`` and put its question; the conversation state is its step."""
    if draft.asking is None and not draft.choosing and not draft.token:
        draft = replace(draft, token=TOKEN_PREFIX + secrets.token_urlsafe(9))
    DRAFT.keep(context, draft)
    text, markup = question(who, draft)
    await send(update, text, markup)
    return draft.state


# =========================================================================== entry


@known
async def add_command(update: Update, context: Context, who: Who) -> object:
    """/add [CODE]: start a new item (inspectors)."""
    person = who.person
    assert person is not None
    if not who.is_inspector:
        raise NotAllowed(action=str(Action.CREATE), role=str(person.role))
    if not await private_only(update, who):
        return END
    registry = who.services.store.registry
    if not registry.list_units():
        await send(update, who.t("add.no_units"))
        return END
    replaced = DRAFT.take(context, who.user.id)
    draft = Draft()
    code = unit_code(" ".join(context.args)) if context.args else None
    if code is not None and registry.get_unit(code) is not None:
        draft = replace(draft.answered(code), first=1)  # the unit is not asked: 1/7 … 7/7
    if replaced is not None:
        await send(update, who.t("workflow.replaced"))
    return await ask_next(update, context, who, draft)


# =========================================================================== answers


@known
async def on_text(update: Update, context: Context, who: Who) -> object:
    """A typed answer to the current step."""
    message = update.effective_message
    text = (message.text if message is not None and message.text else "").strip()
    draft = DRAFT.get(context)
    if draft is None:
        DRAFT.finish(context, who.user.id)
        return END
    if is_cancel(text):
        return await cancelled(update, context, who)
    name = draft.asking
    if name is None:
        await send(update, who.t("add.edit.press" if draft.choosing else "add.press_confirm"))
        return None
    if name == "unit":
        code = unit_code(text)
        if code is None or who.services.store.registry.get_unit(code) is None:
            await send(update, who.t("add.bad_unit", unit=one_line(text, 20)))
            return None
        return await ask_next(update, context, who, draft.answered(code))
    if name == "category":
        found = _category(who.services, text)
        if found is None:
            cats = who.plain("workflow.separator").join(who.services.rules.categories)
            await send(update, who.t("add.bad_category", categories=cats))
            return None
        return await ask_next(update, context, who, draft.answered(found))
    if name == "deadline":
        parsed = parse_typed_deadline(who, text)
        if isinstance(parsed, Html):
            await send(update, parsed)
            return None
        return await ask_next(update, context, who, draft.answered(parsed))
    if len(text) > MAX_FIELD_LEN:
        await send(update, who.t("add.too_long", max=MAX_FIELD_LEN))
        return None
    if name in OPTIONAL and normalise_text(text).lower() in SKIP_WORDS:
        text = ""
    return await ask_next(update, context, who, draft.answered(text))


def _category(services: Services, text: str) -> str | None:
    wanted = normalise_text(text)
    for category in services.rules.categories:
        if normalise_text(category) == wanted:
            return category
    return None


@known
async def on_button(update: Update, context: Context, who: Who) -> object:
    """``add:unit:<CODE>`` · ``add:cat:<n>`` · ``add:skip:<field>`` · ``add:long:deadline``:
    a choice for the current step (buttons of earlier steps are stale); ``add:edit:<token>``
    (修改 under the summary), ``add:fix:<field>`` (the field to ask again) and
    ``add:back:summary`` (no correction after all)."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    draft = DRAFT.get(context)
    if data is None or len(data.args) != 2 or draft is None:
        await stale_button(update, who)
        return None
    kind, value = data.args
    if kind in ("edit", "fix", "back"):
        return await on_correction(update, context, who, draft, kind, value)
    expected = {"unit": "unit", "cat": "category", "skip": value, "long": "deadline"}.get(kind)
    choice: Any = None
    if kind == "unit" and who.services.store.registry.get_unit(value) is not None:
        choice = value
    elif kind == "cat" and value.isdecimal() and int(value) < len(who.services.rules.categories):
        choice = who.services.rules.categories[int(value)]
    elif kind == "skip" and value in OPTIONAL:
        choice = ""
    elif kind == "long":
        choice = ParsedDate(None, long_term=True)
    if expected is None or draft.asking != expected or choice is None:
        await stale_button(update, who)
        return None
    await drop_buttons(update)
    return await ask_next(update, context, who, draft.answered(choice))


async def on_correction(
    update: Update, context: Context, who: Who, draft: Draft, kind: str, value: str
) -> object:
    """修改: from the summary (its token) to the field buttons, from a field button to that
    one question, or back to the summary. Nothing is recorded; the superseded summary's token
    is dropped, so its 确认新增 is stale."""
    if kind == "edit" and draft.token and value == draft.token:
        following = replace(draft, token="", choosing=True)
    elif kind == "fix" and draft.choosing and value in STEPS:
        following = replace(draft, choosing=False, editing=True, step=STEPS.index(value))
    elif kind == "back" and draft.choosing:
        following = replace(draft, choosing=False)
    else:
        await stale_button(update, who)
        return None
    await drop_buttons(update)
    return await ask_next(update, context, who, following)


async def drop_buttons(update: Update) -> None:
    """Answer the press and take the pressed message's buttons away (the choice is made)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    # If removing them fails they stay, and are stale anyway.
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)


# =========================================================================== confirm


def new_item(draft: Draft) -> NewItem:
    """The confirmed draft as the fields ``app.actions.create_item`` takes."""
    parsed = draft.deadline
    if parsed is None:
        raise InvalidValue("deadline missing", field="deadline", problem="missing")
    return NewItem(
        unit=draft.unit,
        category=draft.category,
        problem=draft.problem,
        deadline=parsed.deadline,
        long_term=parsed.long_term,
        leader=draft.leader,
        department=draft.department,
        owner=draft.owner,
        measures=draft.measures,
    )


@known
async def on_decision(update: Update, context: Context, who: Who) -> object:
    """确认新增 (``ok:add…``) or 取消 (``no:add…``) under the summary."""
    query = update.callback_query
    assert query is not None
    data = parse(query.data)
    draft = DRAFT.get(context)
    token = data.args[0] if data is not None and len(data.args) == 1 else ""
    if draft is None or not draft.token or token != draft.token:
        await stale_button(update, who)
        return None
    DRAFT.finish(
        context, who.user.id
    )  # the token is used up before anything else: no second press
    if data is not None and data.verb == "no":
        await query.answer()
        await edit_or_send(update, who.t("add.cancelled"))
        return END
    person = who.person
    assert person is not None
    services = who.services
    item = await services.store.run(
        create_item, services, person, new_item(draft), services.clock.now()
    )
    notified = await tell_unit(context, services, item, person)
    await query.answer(to_plain(who.t("add.done", item_id=item.id)))
    await edit_or_send(
        update, join([who.t("add.done", item_id=item.id), *notified_lines(who, notified)])
    )
    page = draw_card(who, item, enabled_card_actions(context.bot_data))
    await send(update, page.text, page.keyboard)
    return END


async def tell_unit(context: Context, services: Services, item: Item, actor: Person) -> Notified:
    """Tell the unit's contacts and leaders about the new item (``ledger.told``)."""
    told = who_is_told(Action.CREATE, actor.role, item.status)
    found = roster.audience(services, told, item.unit, actor)
    people = found.primary
    unit = services.store.registry.get_unit(item.unit)

    def render(lang: str) -> Html:
        words = Words.of(services, lang)
        deadline = (
            words.plain("render.when.long_term")
            if item.long_term or item.deadline is None
            else format_date(words, item.deadline)
        )
        return words.t(
            "add.notify",
            unit=item.unit,
            unit_name=one_line(unit.name, 40) if unit else item.unit,
            item_id=item.id,
            problem=one_line(item.problem, 60),
            deadline=deadline,
        )

    deliveries = await tell(context, services, people, render, item.id)
    # the confirmation names who was told; a unit with nobody bound yet is not news here
    return Notified(Audience(people, found.roles), tuple(deliveries))


# =========================================================================== cancel, timeout


async def cancelled(update: Update, context: Context, who: Who) -> object:
    DRAFT.finish(context, who.user.id)
    await send(update, who.t("add.cancelled"))
    return END


@known
async def on_cancel(update: Update, context: Context, who: Who) -> object:
    """/cancel during /add."""
    return await cancelled(update, context, who)


async def on_timeout(update: Update, context: Context) -> None:
    """Silence for too long: the draft is dropped, and the inspector told."""
    who = who_is(update, context)
    if DRAFT.timed_out(context, who.user.id if who is not None else None) is None:
        return
    assert who is not None
    try:
        await send(update, who.t("add.timeout"))
    except TelegramError as error:  # a timeout notice must never raise into the job queue
        log.info("could not tell user %s that /add timed out: %s", who.user.id, error)


# =========================================================================== registration


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    mine = flows_of(app).owns(FLOW)
    answers = [
        MessageHandler(filters.TEXT & ~filters.COMMAND & mine, on_text),
        CallbackQueryHandler(on_button, pattern=r"^add:"),
        CallbackQueryHandler(on_decision, pattern=rf"^(ok|no):{TOKEN_PREFIX}[A-Za-z0-9_-]*$"),
    ]
    states: dict[object, list[Any]] = {step: list(answers) for step in range(CHOOSE + 1)}
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, on_timeout)]
    app.add_handler(
        conversation(
            app,
            FLOW,
            entry_points=[CommandHandler("add", add_command)],
            states=states,
            fallbacks=[CommandHandler("cancel", on_cancel, filters=mine)],
        )
    )


__all__ = ["Draft", "new_item", "register"]
