"""The conversation framework every guided flow shares (/add, the workflow's questions, the
evidence upload): who owns a person's next typed answer, the ConversationHandler shape, the
``known`` guard, cancel words, and the pending state a flow keeps between two messages.

- :class:`Flows` records which flow a person's next typed answer belongs to, so that starting
  one flow (the workflow's, the evidence upload's, /add's) quietly supersedes another instead
  of both waiting for the same text.
- :func:`conversation` builds a PTB ``ConversationHandler`` per user and chat, re-entrant,
  with ``[workflow] conversation_timeout_seconds``.
- :class:`FlowState` is one flow's state for a person (kept in ``user_data``) together with its
  ownership in :class:`Flows`: started, kept, finished, or dropped on timeout — written once
  here instead of in every flow.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine, Sequence
from functools import wraps
from typing import Any, Generic, TypeVar

from telegram import Update
from telegram.ext import Application, BaseHandler, ContextTypes, ConversationHandler, filters
from telegram.warnings import PTBUserWarning

from app.services import services_of
from handlers.common import Who, refuse, reply_text, who_is, word_error
from ledger.dates import normalise_text
from ledger.errors import LedgerError

END = ConversationHandler.END

Context = ContextTypes.DEFAULT_TYPE
StateCallback = Callable[[Update, Context], Coroutine[Any, Any, object]]
WhoCallback = Callable[[Update, Context, Who], Coroutine[Any, Any, object]]
T = TypeVar("T")


FLOWS_KEY = "flows"


CANCEL_WORDS = frozenset({"取消", "算了", "不用了", "cancel", "/cancel"})


class Flows:
    """Which conversation a person's next typed answer belongs to (user id → flow name).

    Kept in ``bot_data`` (:func:`flows_of`), in memory like PTB's conversation states. A flow
    *takes* the person when it starts asking and *releases* them when it ends; the filters
    :meth:`owns` and :meth:`idle` let only the owning conversation see the typed text, so a
    flow superseded by another one simply stops listening (its timeout then passes silently).
    """

    def __init__(self) -> None:
        self._owner: dict[int, str] = {}

    def take(self, user_id: int, flow: str) -> str | None:
        """Make ``flow`` the owner; returns the other flow it superseded, if any."""
        previous = self._owner.get(user_id)
        self._owner[user_id] = flow
        return previous if previous not in (None, flow) else None

    def release(self, user_id: int, flow: str) -> bool:
        """End ``flow``'s ownership; False (and nothing changes) if another flow owns."""
        if self._owner.get(user_id) != flow:
            return False
        del self._owner[user_id]
        return True

    def owner(self, user_id: int) -> str | None:
        return self._owner.get(user_id)

    def owns(self, flow: str) -> filters.UpdateFilter:
        """A filter: the update's user is in ``flow``."""
        return _Owns(self, flow)

    def idle(self) -> filters.UpdateFilter:
        """A filter: the update's user is in no flow."""
        return _Idle(self)


class _Owns(filters.UpdateFilter):
    def __init__(self, flows: Flows, flow: str) -> None:
        super().__init__(name=f"owns({flow})")
        self._flows = flows
        self._flow = flow

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and self._flows.owner(user.id) == self._flow


class _Idle(filters.UpdateFilter):
    def __init__(self, flows: Flows) -> None:
        super().__init__(name="idle")
        self._flows = flows

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and self._flows.owner(user.id) is None


def flows_of(app_or_context: Application[Any, Any, Any, Any, Any, Any] | Context) -> Flows:
    """The application's :class:`Flows` (created on first use)."""
    bot_data: dict[str, Any] = app_or_context.bot_data
    flows = bot_data.get(FLOWS_KEY)
    if not isinstance(flows, Flows):
        flows = bot_data[FLOWS_KEY] = Flows()
    return flows


def conversation(
    app: Application[Any, Any, Any, Any, Any, Any],
    name: str,
    *,
    entry_points: Sequence[BaseHandler[Any, Any, Any]],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
    fallbacks: Sequence[BaseHandler[Any, Any, Any]],
) -> ConversationHandler[Any]:
    """A conversation in this project's shape: per user *and* chat (a person's own state in
    their private chat), re-entrant (starting again replaces the pending question), timing
    out after ``[workflow] conversation_timeout_seconds``."""
    timeout = services_of(app).config.workflow.conversation_timeout_seconds
    with warnings.catch_warnings():
        # PTB warns that with per_message=False a CallbackQueryHandler is not tracked per
        # message. That is the intent: the state belongs to the person, not to one card.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states=states,
            fallbacks=list(fallbacks),
            name=name,
            per_chat=True,
            per_user=True,
            per_message=False,
            allow_reentry=True,
            conversation_timeout=timeout,
        )


def known(callback: WhoCallback) -> StateCallback:
    """Decorator for conversation callbacks: unknown people get the refusal (R21) and the
    conversation does not start; a domain error is worded and ends it. The callback's return
    value is the next state."""

    @wraps(callback)
    async def wrapper(update: Update, context: Context) -> object:
        who = who_is(update, context)
        if who is None:
            return END
        if who.person is None:
            await refuse(update, who)
            return END
        try:
            return await callback(update, context, who)
        except LedgerError as error:
            await reply_text(update, who, word_error(who, error))
            return END

    return wrapper


def is_cancel(text: str | None) -> bool:
    return normalise_text(text or "").strip("。.!！").lower() in CANCEL_WORDS


class FlowState(Generic[T]):
    """One flow's pending state for a person: a ``kind`` value kept in ``user_data[key]`` while
    the flow owns the person's typed answers (:class:`Flows`)."""

    def __init__(self, flow: str, key: str, kind: type[T]) -> None:
        self.flow = flow
        self.key = key
        self.kind = kind

    def get(self, context: Context) -> T | None:
        """The state, or ``None`` when there is none (or it is not this flow's kind)."""
        found = context.user_data.get(self.key) if context.user_data is not None else None
        return found if isinstance(found, self.kind) else None

    def keep(self, context: Context, value: T) -> None:
        """Store ``value`` (the flow goes on; ownership does not change)."""
        if context.user_data is not None:
            context.user_data[self.key] = value

    def take(self, context: Context, user_id: int) -> str | None:
        """Make this flow the owner of ``user_id``'s answers; the flow it superseded, if any."""
        return flows_of(context).take(user_id, self.flow)

    def start(self, context: Context, user_id: int, value: T) -> str | None:
        """:meth:`keep` ``value`` and :meth:`take` the person; the superseded flow, if any."""
        self.keep(context, value)
        return self.take(context, user_id)

    def finish(self, context: Context, user_id: int) -> T | None:
        """End the flow: drop the state, release the person; the state it had."""
        value = self.get(context)
        if context.user_data is not None:
            context.user_data.pop(self.key, None)
        flows_of(context).release(user_id, self.flow)
        return value

    def timed_out(self, context: Context, user_id: int | None) -> T | None:
        """On the conversation's timeout: drop the state and return it, but only if this flow
        still owned the person (``None`` otherwise: another flow took over, nothing is said).
        ``user_id`` ``None`` (nobody known) releases nothing."""
        value = self.get(context)
        if context.user_data is not None:
            context.user_data.pop(self.key, None)
        if user_id is None or not flows_of(context).release(user_id, self.flow):
            return None
        return value


__all__ = [
    "CANCEL_WORDS",
    "END",
    "Context",
    "Flows",
    "FlowState",
    "StateCallback",
    "WhoCallback",
    "conversation",
    "flows_of",
    "is_cancel",
    "known",
]
