"""Plain Chinese (and English) phrases, and the answers of last resort. Registered LAST, so
every command, button and conversation of another feature is tried first.

Phrases (private chats only; NFKC-normalised, so full-width text works) route to the very
same queries and actions as the commands, with the same checks (README "Words people type"
has the table; ``tests/app/test_phrase_routing.py`` holds ≥ 60 real phrasings):

- lists: 还有哪些没整改 / 还有几项没完成 → /open, 超期 → /overdue, 临期 / 本周到期 / N天内到期 →
  /due, 待办 / 待我签字 → /todo (by role), 待签字 / 待核验 → those lists, 各单位 → /units;
- words: 你好 → a greeting and the help, 帮助 → /help;
- an item id alone → its card; with 历史 / 佐证 → history / evidence; with a question or a
  noun (``HZ-003 的会议纪要``) → its card; with a workflow verb before or after it
  (:data:`VERBS`) → "确认…？" (``handlers.confirm``), nothing recorded before 确认; with any
  other words → a progress note (``HZ-004 已完成 召开了专题会``).

A phrase may start with a unit code (``HZ 超期``): inspectors get that unit, contacts and
leaders their own (another code answers like an unknown unit). Anything else gets "没太明白"
with the closest phrases for the person's role as ``ph:<kind>`` buttons, never silence; an
unknown command gets a pointer to /help. A button nobody handled — stale or forged — gets the
"button expired" toast (R22). Unknown users get the refusal for all of it (R21). In groups
only commands are answered: chatter is not for the bot.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from app.actions import Inputs
from handlers import confirm, extension, queries
from handlers.buttons import button, parse
from handlers.common import (
    Who,
    for_roles,
    refuse,
    reply_text,
    send,
    stale_button,
    who_is,
    word_error,
)
from handlers.deadline_input import reopen_inputs, split_deadline
from handlers.evidence import draw_evidence
from handlers.people import units_command
from handlers.render import join, keyboard
from handlers.start import help_text
from handlers.workflow import act_now
from ledger.access import Action, authorize
from ledger.dates import normalise_item_id, normalise_text
from ledger.errors import LedgerError
from ledger.model import Person, Role
from locales import Html

_TRIM = " 。.!！?？~～,，、：:；;"
# A unit code, then a phrase: "HZ 超期", "hz未销号" (not "overdue": the code must be
# followed by a space or by a character that cannot be part of it).
_LEADING_UNIT = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,9})(?:\s+|(?=[^A-Za-z0-9\s]))(\S.*)$")
_N_DAYS = re.compile(r"^(\d{1,3})\s*(?:天|日)(?:内|以内|之内)?(?:到期|临期)$")
# An item id at the start (``HZ-006 申请销号``, ``HZ-006签字``) or at the end
# (``申请销号 HZ-006``) of a phrase; the rest is matched against the verbs below.
_ID_FIRST = re.compile(
    r"^([A-Za-z][A-Za-z0-9]{0,9}(?: ?[-_] ?)?[0-9]{1,6})(?![0-9])\s*(.*)$", re.S
)
_ID_LAST = re.compile(r"^(.*?)\s*([A-Za-z][A-Za-z0-9]{0,9} ?[-_] ?[0-9]{1,6})$", re.S)
_QUESTION = re.compile(r"(吗|呢|么|怎么|如何|什么|哪|多少|几|是否|有没有|\?|？)")

_OPEN_WORDS = (
    "还有哪些没整改",
    "哪些没整改",
    "没整改",
    "未整改",
    "未销号",
    "没销号",
    "我的事项",
    "待整改",
    "整改清单",
    "没完成",
    "未完成",
    "还有几项",
    "还剩几项",
    "还剩哪些",
    "what's open",
    "open items",
)
_OVERDUE_WORDS = ("超期", "逾期", "过期", "overdue")
_DUE_WORDS = ("临期", "快到期", "即将到期", "近期到期", "due soon")
_THIS_WEEK_WORDS = ("本周到期", "这周到期", "本星期到期")
_NEXT_WEEK_WORDS = ("下周到期", "下星期到期")
_UNITS_WORDS = ("各单位", "单位情况", "所有单位")
_HELP_WORDS = ("帮助", "怎么用", "使用说明", "说明", "菜单", "功能", "help", "menu")
_HELLO_WORDS = ("你好", "您好", "在吗", "在不在", "hi", "hello", "早上好", "上午好", "下午好")
# "What waits for me": by role (/todo), or a named stage whoever asks.
_TODO_WORDS = ("待办", "我的待办", "待我处理", "待处理", "待我签字", "待我核验", "todo", "to do")
_SIGN_WORDS = ("待签字", "等待签字", "需要签字", "要签字", "待背书")
_VERIFY_WORDS = ("待核验", "等待核验", "需要核验", "要核验", "待销号")

# Workflow verbs after (or before) an item id, longest first within each action. ``agree``
# is 同意: a leader's signature, an inspector's verification (decided by role when answered).
VERBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("history", ("整改记录", "历史", "记录", "history")),
    ("evidence", ("佐证材料", "佐证", "材料", "evidence")),
    ("progress", ("整改进展", "进展", "progress")),
    ("extend", ("申请延期", "延期申请", "申请延长时限", "延期", "extension")),
    ("submit", ("申请销号", "提请销号", "销号申请", "提交销号", "申请验收", "提交", "submit")),
    ("endorse", ("签字背书", "已签字", "签字", "背书", "签批", "endorse", "sign")),
    ("approve", ("核验通过", "通过核验", "验收通过", "同意销号", "核验", "销号", "approve")),
    ("agree", ("同意",)),
    ("reject", ("退回补充", "退回", "驳回", "打回", "reject")),
    ("reopen", ("重新打开", "反弹", "重开", "reopen")),
    ("urge", ("催办", "督办", "催一下", "urge")),
    ("set_deadline", ("调整时限", "修改时限", "改时限", "deadline")),
    ("withdraw", ("撤销", "withdraw")),
)


@dataclass(frozen=True)
class Route:
    """What a phrase asks for.

    ``kind``: open | overdue | due | todo | sign | verify | units | help | hello (lists and
    words); card | history | evidence (an item); act (``action`` on ``item``, ``text`` the
    words after the verb; ``item`` is ``None`` when the verb came without an id); note (a
    progress note ``text`` on ``item``). ``unit`` a leading unit code, ``window`` due dates."""

    kind: str
    unit: str | None = None
    window: tuple[date, date] | None = None
    item: str | None = None
    action: str | None = None
    text: str = ""


def this_week(today: date) -> tuple[date, date]:
    """Today to this week's Sunday."""
    return today, today + timedelta(days=6 - today.weekday())


def next_week(today: date) -> tuple[date, date]:
    """Next Monday to next Sunday."""
    monday = today + timedelta(days=7 - today.weekday())
    return monday, monday + timedelta(days=6)


def route(text: str, today: date, due_days: int) -> Route | None:
    """What ``text`` asks for, or ``None`` when it is no phrase we know (pure).

    An item id with words: a workflow verb first (``HZ-006 申请销号``, ``申请销号 HZ-006``,
    ``HZ-006签字``) is that action; a question (``HZ-004 什么时候到期？``) opens the card;
    any other words after the id are a progress note (``HZ-004 已完成 召开了专题会``)."""
    s = normalise_text(text).strip(_TRIM)
    if not s or len(s) > 500:
        return None
    if normalise_item_id(s) is not None:
        return Route("card", item=s)
    found = _item_phrase(s)
    if found is not None:
        return replace(found, text=_as_typed(text, found.text)) if found.text else found
    if len(s) > 60:
        return None
    m = _LEADING_UNIT.match(s)
    if m:
        rest = _route_words(m.group(2).strip(_TRIM).lower(), today, due_days)
        if rest is not None and rest.kind in ("open", "overdue", "due"):
            return Route(rest.kind, unit=m.group(1), window=rest.window)
    words = _route_words(s.lower(), today, due_days)
    if words is not None:
        return words
    verb = _verb(s)
    if verb is not None and verb[1] == "" and verb[0] not in ("history", "evidence"):
        return Route("act", action=verb[0])  # a verb without an id: say how
    return None


def _as_typed(text: str, rest: str) -> str:
    """The words ``rest`` (found in the normalised text) as they were typed: full-width
    punctuation and line breaks kept (a reason or a note is recorded as written)."""
    for i in range(len(text)):
        if normalise_text(text[i:]).startswith(rest):
            return text[i:].strip().lstrip(" ：:，,").strip()
    return rest


def _item_phrase(s: str) -> Route | None:
    """An item id with words before or after it, or ``None``."""
    m = _ID_FIRST.match(s)
    if m and normalise_item_id(m.group(1)) is not None and m.group(2):
        item, rest = m.group(1), m.group(2).strip(" ：:，,")
        verb = _verb(rest)
        if verb is not None:
            return _verb_route(item, *verb)
        if (_QUESTION.search(rest) and len(rest) <= 30) or rest.startswith("的"):
            return Route("card", item=item)  # a question, or "HZ-003 的会议纪要": its card
        return Route("note", item=item, text=rest)
    m = _ID_LAST.match(s)
    if m and normalise_item_id(m.group(2)) is not None and m.group(1):
        verb = _verb(m.group(1).strip(_TRIM))
        if verb is not None and verb[1] == "":
            return _verb_route(m.group(2), verb[0], "")
    return None


def _verb(text: str) -> tuple[str, str] | None:
    """``(action, the words after it, as typed)`` when ``text`` starts with a workflow verb
    (in any case)."""
    s = text.lower()
    kept = text if len(s) == len(text) else s
    for action, words in VERBS:
        for word in words:
            if s.startswith(word):
                rest = kept[len(word) :]
                if rest and word.isascii() and rest[0].isalnum():
                    continue  # "submitted" is no "submit"
                return action, rest.strip(" ：:，,")
    return None


def _verb_route(item: str, action: str, rest: str) -> Route:
    if rest and _QUESTION.search(rest) and action != "progress":
        return Route("card", item=item)  # "HZ-004 销号了吗？" asks, it does not act
    if action in ("history", "evidence"):
        return Route(action, item=item)
    if action == "progress":
        return Route("note", item=item, text=rest)
    return Route("act", item=item, action=action, text=rest)


def _route_words(s: str, today: date, due_days: int) -> Route | None:
    m = _N_DAYS.match(s)
    if m and 1 <= int(m.group(1)) <= queries.MAX_DUE_DAYS:
        return Route("due", window=(today, today + timedelta(days=int(m.group(1)))))
    if any(w in s for w in _NEXT_WEEK_WORDS):
        return Route("due", window=next_week(today))
    if any(w in s for w in _THIS_WEEK_WORDS):
        return Route("due", window=this_week(today))
    if any(w in s for w in _DUE_WORDS):
        return Route("due", window=(today, today + timedelta(days=due_days)))
    if any(w in s for w in _OVERDUE_WORDS):
        return Route("overdue")
    if any(w in s for w in _TODO_WORDS):
        return Route("todo")
    if any(w in s for w in _SIGN_WORDS):
        return Route("sign")
    if any(w in s for w in _VERIFY_WORDS):
        return Route("verify")
    if any(w in s for w in _OPEN_WORDS):
        return Route("open")
    if s in _UNITS_WORDS:
        return Route("units")
    if s in _HELP_WORDS or s in ("/help", "?", "？"):
        return Route("help")
    if s in _HELLO_WORDS or (len(s) <= 8 and any(s.startswith(w) for w in _HELLO_WORDS[:4])):
        return Route("hello")
    return None


# Offered under "没太明白": the phrase each button stands for, by role, in the order tried.
SUGGESTIONS: dict[Role, tuple[str, ...]] = {
    Role.CONTACT: ("open", "overdue", "due", "todo", "help"),
    Role.LEADER: ("sign", "open", "overdue", "due", "help"),
    Role.INSPECTOR: ("verify", "units", "overdue", "due", "sign", "help"),
}
SUGGESTED = 3
_SAMPLES: dict[str, tuple[str, ...]] = {
    "open": _OPEN_WORDS[:-2] + ("还有哪些", "完成", "整改"),
    "overdue": _OVERDUE_WORDS[:-1] + ("超时", "过了期限", "晚了"),
    "due": _DUE_WORDS[:-1] + _THIS_WEEK_WORDS + _NEXT_WEEK_WORDS + ("到期", "期限"),
    "todo": _TODO_WORDS[:-2] + ("要办", "处理"),
    "sign": _SIGN_WORDS + ("签字", "签", "背书"),
    "verify": _VERIFY_WORDS + ("核验", "验收", "销号"),
    "units": _UNITS_WORDS + ("单位", "全部"),
    "help": _HELP_WORDS[:-2] + ("怎么", "用法", "命令"),
}


def closest(text: str, kinds: tuple[str, ...], n: int = SUGGESTED) -> list[str]:
    """The ``n`` routes of ``kinds`` whose phrases look most like ``text`` (pure): by the
    best ``difflib`` ratio over each route's phrases, ties in ``kinds``' order; with no
    likeness at all, the first ``n`` of ``kinds``."""
    s = normalise_text(text).lower()

    def score(kind: str) -> float:
        return max(
            (difflib.SequenceMatcher(None, s, w).ratio() for w in _SAMPLES.get(kind, ())),
            default=0.0,
        )

    scored = sorted(kinds, key=lambda k: (-score(k), kinds.index(k)))
    return scored[:n]


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain text in a private chat: a phrase, an item id, or the closest phrases."""
    who = who_is(update, context)
    message = update.effective_message
    if who is None or message is None or message.text is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    services = who.services
    found = route(message.text, who.words.today, services.config.alerts.due_days)
    if found is None:
        await send_hint(update, who, message.text)
        return
    await answer(update, context, who, found)


async def answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, found: Route
) -> None:
    """Carry out a routed phrase exactly as the matching command would."""
    try:
        if found.kind in ("open", "overdue"):
            await queries.show_list(update, who, found.kind, found.unit)
        elif found.kind == "due":
            await queries.show_list(update, who, "due", found.unit, found.window)
        elif found.kind in ("todo", "sign", "verify"):
            await queries.show_list(update, who, todo_kind(who, found.kind))
        elif found.kind == "card" and found.item is not None:
            await queries.show_card(update, context, who, found.item)
        elif found.kind == "history" and found.item is not None:
            await queries.show_history(update, who, found.item)
        elif found.kind == "evidence" and found.item is not None:
            await show_evidence(update, who, found.item)
        elif found.kind == "units" and who.is_inspector:
            await units_command(update, context)
        elif found.kind == "help":
            await send(update, help_text(context.application, who))
        elif found.kind == "hello":
            hello = who.t("everyday.hello")
            await send(update, join([hello, help_text(context.application, who)]))
        elif found.kind == "note" and found.item is not None:
            await note(update, context, who, found.item, found.text)
        elif found.kind == "act":
            await act(update, context, who, found)
        else:
            await send_hint(update, who, "")
    except LedgerError as error:
        typed = normalise_item_id(found.item) if found.item is not None else None
        await reply_text(update, who, word_error(who, error, item_id=typed))


def todo_kind(who: Who, kind: str) -> str:
    """The list "what waits for me" is for ``who``: a leader's 待签字, an inspector's 待核验
    (with endorsement switched off the items skip 待签字), a contact's open items."""
    if kind != "todo":
        return kind
    if who.role is Role.LEADER:
        return "sign"
    if who.is_inspector:
        return "verify"
    return "open"


async def show_evidence(update: Update, who: Who, typed: str) -> None:
    """``HZ-003 佐证``: the item's evidence list, as /evidence."""
    if not await queries.private_only(update, who):
        return
    item = queries.find_item(who, typed)
    page = draw_evidence(who, item, 1)
    await send(update, page.text, page.keyboard)


async def note(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, typed: str, text: str
) -> None:
    """``HZ-004 已完成 召开了专题会``: a progress note, recorded like /progress (no words:
    the usage)."""
    if not await queries.private_only(update, who):
        return
    item = queries.find_item(who, typed)
    if not text:
        await send(update, who.t("workflow.usage.progress", example=item.id))
        return
    await act_now(update, context, who, item.id, Action.PROGRESS, Inputs(text=text))


def verb_action(who: Who, verb: str) -> Action | None:
    """The action a typed verb stands for for ``who`` (同意: a leader signs, an inspector
    verifies; 延期: an inspector sets the deadline)."""
    if verb == "agree":
        if who.role is Role.LEADER:
            return Action.ENDORSE
        return Action.APPROVE if who.is_inspector else None
    if verb == "extend":
        return Action.SET_DEADLINE if who.is_inspector else None
    try:
        return Action(verb)
    except ValueError:
        return None


async def act(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, found: Route) -> None:
    """A workflow verb with an item id: ask "确认…？" (the words typed with it wait for the
    press); a verb without an id, or one that needs words not given: how to say it."""
    action = verb_action(who, found.action or "")
    if found.action == "extend" and not who.is_inspector:
        if found.item is None:
            await send(update, extension.usage(who))
        else:
            await extension.request(update, context, who, found.item, found.text)
        return
    if action is None:
        await send_hint(update, who, "")
        return
    example = found.item or queries.example_id(who)
    usage = who.t(f"workflow.usage.{action}", example=example)
    if found.item is None and action in (Action.ENDORSE, Action.APPROVE):
        # "签字" / "核验" alone: what waits for this person's signature or verification.
        await queries.show_list(update, who, todo_kind(who, "todo"))
        return
    if found.item is None or action not in confirm.CONFIRMABLE:
        await send(update, usage)
        return
    if not await queries.private_only(update, who):
        return
    item = queries.find_item(who, found.item)
    authorize(item, _person(who), action, who.services.rules)  # refused before asking
    text = found.text
    inputs: Inputs | Html
    if action is Action.SET_DEADLINE:
        inputs = _deadline_inputs(who, text, usage)
    elif action is Action.REOPEN and text:
        inputs = reopen_inputs(who, text)  # "HZ-004 反弹 2026-05-31 理由", as /reopen
    elif action in confirm.NEEDS_REASON:
        inputs = Inputs(reason=text) if text else usage
    elif action in (Action.APPROVE, Action.URGE):
        inputs = Inputs(text=text)
    else:
        inputs = Inputs()
    if isinstance(inputs, Inputs):
        await confirm.ask(update, context, who, item, action, inputs)
    else:
        await send(update, inputs)


def _person(who: Who) -> Person:
    assert who.person is not None
    return who.person


def _deadline_inputs(who: Who, text: str, usage: Html) -> Inputs | Html:
    if not text:
        return usage
    found = split_deadline(who, text)
    if isinstance(found, str):
        return found
    parsed, reason = found
    if not reason:
        return usage
    return Inputs(reason=reason, deadline=parsed.deadline, long_term=parsed.long_term)


async def send_hint(update: Update, who: Who, text: str) -> None:
    """ "没太明白" with the closest phrases for the person's role as buttons."""
    await send(update, hint(who), suggestions(who, text))


def suggestions(who: Who, text: str) -> InlineKeyboardMarkup | None:
    kinds = SUGGESTIONS.get(who.role or Role.CONTACT, SUGGESTIONS[Role.CONTACT])
    if not who.services.config.rules.endorsement_required:
        kinds = tuple(k for k in kinds if k != "sign")
    picked = closest(text, kinds)
    return keyboard(
        [[button(who.plain(f"everyday.suggest.{kind}"), "ph", kind) for kind in picked]]
    )


def hint(who: Who) -> str:
    key = "phrases.hint.inspector" if who.is_inspector else "phrases.hint.unit"
    return who.t(key, item_id=queries.example_id(who))


async def on_suggestion(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``ph:<kind>``: a button under "没太明白" — answered as the phrase it stands for."""
    who = who_is(update, context)
    query = update.callback_query
    if who is None or query is None:
        return
    if who.person is None:
        await refuse(update, who)
        return
    data = parse(query.data)
    kind = data.args[0] if data is not None and len(data.args) == 1 else ""
    if kind not in _SAMPLES or (kind == "units" and not who.is_inspector):
        await stale_button(update, who)
        return
    if not await queries.private_only(update, who):  # a toast in a group (R21/R22 sweeps)
        return
    await query.answer()
    today = who.words.today
    window = (today, today + timedelta(days=who.services.config.alerts.due_days))
    # The list is sent as a new message (a reply to a press: send, not a toast).
    await answer(update, context, who, Route(kind, window=window if kind == "due" else None))


@for_roles()
async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """A command no feature handles."""
    await send(update, who.t("phrases.unknown_command"))


@for_roles()
async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """Any other message in a private chat (sticker, photo, file nobody took)."""
    message = update.effective_message
    if message is not None and (message.document is not None or message.photo):
        # A file without an item id: most likely evidence whose caption was forgotten.
        await send(update, who.t("evidence.no_caption", item_id=queries.example_id(who)))
        return
    await send(update, who.t("phrases.not_understood", item_id=queries.example_id(who)))


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler took: stale or forged data (R22)."""
    who = who_is(update, context)
    if who is None or update.callback_query is None:
        return
    await stale_button(update, who)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, on_other))
    app.add_handler(CallbackQueryHandler(on_suggestion, pattern=r"^ph:"))
    app.add_handler(CallbackQueryHandler(on_stale_button))
