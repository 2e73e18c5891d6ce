"""Telling people of what others did in the chat (the workflow's and /add's notifications).

Every notification goes out through the alerts' :class:`~alerts.delivery.Deliverer` on the
application's one pacer (``alerts.jobs.deliverer_for``): the same limits as alerts (R13), the
same reading of Telegram's answers (R10–R12). What differs is only what a flood wait means
here: the actor is not kept waiting — the notice counts as told and a JobQueue job sends it
once the wait is over (R11), at most :data:`RETRY_ATTEMPTS` times. A recipient who blocked
the bot is marked unreachable (``app.roster.set_reachable``) and the actor is told who could
not be reached; one who could be reached again is marked reachable. A timed-out send may have
arrived and counts as told; any other failure (a 5xx, a refused text) is reported to the actor
as not told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from alerts.delivery import Outbound, Outcome, Result
from alerts.jobs import deliverer_for
from app.roster import set_reachable
from app.services import Services
from handlers.buttons import card_button
from handlers.common import Who, language_for
from handlers.conversation import Context
from handlers.render import Names, Words, role_word
from ledger.model import Person
from ledger.told import Audience
from locales import Html

log = logging.getLogger(__name__)

NAMES_SHOWN = 6  # recipients named in a confirmation before "等 N 人"


RETRY_ATTEMPTS = 3  # notifications that met flood control are retried this often


SENT, LATER, UNCERTAIN = "sent", "later", "uncertain"


UNREACHABLE, FAILED = "unreachable", "failed"


@dataclass(frozen=True)
class Delivery:
    """How a notification to ``person`` went: ``sent``; ``later`` (flood control: retried by
    a job) or ``uncertain`` counts as told; ``unreachable`` (blocked, never started) and
    ``failed`` do not."""

    person: Person
    outcome: str

    @property
    def told(self) -> bool:
        return self.outcome not in (UNREACHABLE, FAILED)


def card_markup(words: Words, item_id: str) -> InlineKeyboardMarkup:
    """The one button every notification and confirmation carries: open the item's card."""
    return InlineKeyboardMarkup(
        [[card_button(words.plain("workflow.button.card", item_id=item_id), item_id)]]
    )


async def deliver(
    context: Context, services: Services, person: Person, text: str, item_id: str
) -> Delivery:
    """Send one notification; never raises for a Telegram failure (see :class:`Delivery`)."""
    lang = language_for(services, person, None)
    outbound = Outbound(person.user_id, text, card_markup(Words.of(services, lang), item_id))
    result = await _send(context, outbound)
    if result.outcome is Outcome.SENT:
        if not person.reachable:
            await _mark(services, person, reachable=True)
        return Delivery(person, SENT)
    if result.outcome is Outcome.UNREACHABLE:
        await _mark(services, person, reachable=False)
        return Delivery(person, UNREACHABLE)
    if result.outcome is Outcome.UNCERTAIN and result.timed_out:
        # it may have arrived: counted as told, never sent twice
        return Delivery(person, UNCERTAIN)
    if result.flood_waits and _retry_later(context, outbound, result.flood_waits[-1], 1):
        return Delivery(person, LATER)
    log.warning("notification to %s not sent: %s", person.user_id, result.error)
    return Delivery(person, FAILED)


async def _send(context: Context, outbound: Outbound) -> Result:
    """One try through the shared deliverer: a flood wait or a connection that never came is
    answered at once (``retry``), never waited out while the actor waits."""
    deliverer = deliverer_for(context.application, retry_after_attempts=1, backoff=())
    return await deliverer.send(outbound)


async def _mark(services: Services, person: Person, *, reachable: bool) -> None:
    if services.store.registry.get_person(person.user_id) is None and reachable:
        return
    await services.store.run(
        set_reachable, services, person.user_id, reachable, services.clock.now()
    )


def _retry_later(context: Context, outbound: Outbound, seconds: float, attempt: int) -> bool:
    """Schedule the send again after Telegram's wait of ``seconds`` (R11); False when that is
    not possible (no job queue, or tried often enough)."""
    queue = context.application.job_queue
    if queue is None or attempt > RETRY_ATTEMPTS:
        return False
    queue.run_once(
        _resend,
        when=seconds + 0.5,
        data=_Retry(outbound, attempt),
        name=f"notify:{outbound.chat_id}",
    )
    log.warning("notification to %s delayed %.0f s by flood control", outbound.chat_id, seconds)
    return True


@dataclass(frozen=True)
class _Retry:
    outbound: Outbound
    attempt: int


async def _resend(context: Context) -> None:
    """JobQueue callback: one retry of a notification that met flood control."""
    job = context.job
    retry = job.data if job is not None else None
    if not isinstance(retry, _Retry):
        return
    chat = retry.outbound.chat_id
    result = await _send(context, retry.outbound)
    if result.outcome is Outcome.SENT:
        return
    if result.flood_waits:
        if not _retry_later(context, retry.outbound, result.flood_waits[-1], retry.attempt + 1):
            log.warning("notification to %s dropped after %s flood waits", chat, retry.attempt)
        return
    log.warning("notification to %s not sent on retry: %s", chat, result.error)


async def tell(
    context: Context,
    services: Services,
    people: Sequence[Person],
    render: Callable[[str], Html],
    item_id: str,
) -> list[Delivery]:
    """Send ``render(lang)`` to each person in their language, one after the other."""
    out: list[Delivery] = []
    for person in people:
        text = render(language_for(services, person, None))
        out.append(await deliver(context, services, person, text, item_id))
    return out


@dataclass(frozen=True)
class Notified:
    """What :func:`notify` did: the audience and each delivery (primary, then fallback)."""

    audience: Audience
    primary: tuple[Delivery, ...]
    fallback: tuple[Delivery, ...] = ()

    @property
    def all(self) -> tuple[Delivery, ...]:
        return self.primary + self.fallback


def names_text(words: Words, names: Names, people: Sequence[Person]) -> str:
    """``书记（主要负责人）、张三（联络员）`` — at most :data:`NAMES_SHOWN`, then 等 N 人."""
    shown = [names.with_role(p.user_id) for p in people[:NAMES_SHOWN]]
    text = words.plain("workflow.separator").join(shown)
    if len(people) > NAMES_SHOWN:
        text = words.plain("workflow.and_more", names=text, count=len(people))
    return text


def notified_lines(who: Who, notified: Notified) -> list[Html]:
    """ "已通知：…" / "未能通知：…" / "本单位尚未绑定…" lines for a confirmation."""
    words = who.words
    names = Names(who.services, words)
    out: list[Html] = []
    told = [d.person for d in notified.all if d.told]
    unreachable = [d.person for d in notified.all if d.outcome == UNREACHABLE]
    failed = [d.person for d in notified.all if d.outcome == FAILED]
    if told:
        out.append(who.t("workflow.notified", names=names_text(words, names, told)))
    if unreachable:
        out.append(who.t("workflow.unreachable", names=names_text(words, names, unreachable)))
    if failed:
        out.append(who.t("workflow.failed", names=names_text(words, names, failed)))
    found = notified.audience
    if found.vacant:
        roles = words.plain("workflow.separator").join(role_word(words, r) for r in found.roles)
        if notified.fallback:
            instead = role_word(words, notified.fallback[0].person.role)
            out.append(who.t("workflow.nobody_fallback", role=roles, instead=instead))
        else:
            out.append(who.t("workflow.nobody", role=roles))
    return out


__all__ = [
    "FAILED",
    "LATER",
    "SENT",
    "UNCERTAIN",
    "UNREACHABLE",
    "Delivery",
    "Notified",
    "card_markup",
    "deliver",
    "names_text",
    "notified_lines",
    "tell",
]
