"""What ``/alerts`` shows and ``python bot.py sweep --dry-run`` prints: the timetable, the last
sweep's counts, and a dry run of what a sweep would send now (counts per kind and per
recipient, and the first lines of the first message). Blocking; reads only.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from alerts.channels.notices import group_outcomes
from alerts.sweep import Runtime, Sweeper
from app.clock import Clock, SystemClock
from app.data import Store
from app.overview import total_figures
from app.services import Services
from config import Config
from ledger.model import Role
from locales import Catalog, Html, to_plain
from locales.figures import figures_lines

MAX_RECIPIENTS = 10
PREVIEW_LINES = 6


def summary(sweeper: Sweeper, lang: str, now: datetime | None = None) -> Html:
    """The whole summary in ``lang`` (Telegram HTML; ``handlers.common.to_plain`` for a
    terminal). ``now`` defaults to the bot clock."""
    now = now or sweeper.now()
    plan, last, waiting = sweeper.dry_run(now)
    r = plan.renderer
    catalog = sweeper.services.catalog
    schedule = sweeper.schedule

    def t(key: str, **params: object) -> Html:
        return catalog.t(lang, key, **params)

    start, end = schedule.work_hours
    lines: list[str] = [t("alerts.summary.title")]
    if schedule.quiet:
        lines.append(t("alerts.summary.quiet_on", start=f"{start:%H:%M}", end=f"{end:%H:%M}"))
    else:
        lines.append(t("alerts.summary.quiet_off"))
    lines.append(t("alerts.summary.next_sweep", when=r.when(lang, schedule.next_sweep_after(now))))
    lines.append(
        t(
            "alerts.summary.next_digests",
            daily=r.when(lang, schedule.next_digest_after("daily", now)),
            weekly=r.when(lang, schedule.next_digest_after("weekly", now)),
        )
    )

    lines.append("")
    lines.append(t("figures.ledger_title"))
    lines.extend(ledger_figures(sweeper, lang, now))

    lines.append("")
    if last is None:
        lines.append(t("alerts.summary.never"))
    else:
        when = r.when(lang, datetime.fromisoformat(last.at))
        trigger = catalog.plain(lang, f"alerts.summary.trigger.{last.trigger}")
        if last.quiet and last.next_allowed:
            deferred = r.when(lang, datetime.fromisoformat(last.next_allowed))
            lines.append(t("alerts.summary.last_quiet", when=when, trigger=trigger, next=deferred))
        else:
            lines.append(
                t(
                    "alerts.summary.last",
                    when=when,
                    trigger=trigger,
                    messages=last.messages,
                    sent=last.sent,
                    uncertain=last.uncertain,
                    unreachable=last.unreachable,
                    failed=last.failed,
                    pending=last.pending,
                )
            )
        if last.channels:
            lines.append(group_outcomes(catalog, lang, last.channels))

    lines.append("")
    if not plan.messages:
        lines.append(t("alerts.summary.plan_empty"))
        lines.append(t("shell.sweep.why"))
        lines.extend(t(f"shell.sweep.{reason}") for reason in why_nothing(sweeper))
    else:
        # items, not item × recipient: one item told to three people is 3 messages, 1 item
        items = {
            e.item_id
            for m in plan.messages
            if m.outgoing is not None
            for e in m.outgoing.entries
            if e.item_id is not None
        }
        lines.append(t("alerts.summary.plan", messages=len(plan.messages), entries=len(items)))
        if plan.quiet:
            deferred = r.when(lang, schedule.next_allowed(now))
            lines.append(t("alerts.summary.plan_quiet", next=deferred))
        lines.append(t("alerts.summary.by_kind", kinds=r.kind_counts(lang, plan.by_kind)))
        lines.append(t("alerts.summary.by_recipient"))
        ranked = plan.by_recipient.most_common()
        for user_id, count in ranked[:MAX_RECIPIENTS]:
            lines.append(t("alerts.summary.recipient", who=r.who(lang, user_id), count=count))
        if len(ranked) > MAX_RECIPIENTS:
            more = len(ranked) - MAX_RECIPIENTS
            lines.append(t("alerts.summary.more_recipients", count=more))
        lines.append(t("alerts.summary.preview"))
        first = plan.messages[0].rendered.text.split("\n")[:PREVIEW_LINES]
        lines.append(Html("<blockquote>" + "\n".join(first) + "</blockquote>"))
    if waiting:
        lines.append(t("alerts.summary.pending_notices", count=waiting))
    return Html("\n".join(lines))


def why_nothing(sweeper: Sweeper) -> list[str]:
    """Why a sweep would send nothing, most basic first (``shell.sweep.<reason>``): no
    inspectors configured, no units, no items, nobody bound to a unit — or, with all of that
    in place, nothing due for a reminder now."""
    services = sweeper.services
    registry = services.store.registry
    reasons: list[str] = []
    if not services.config.bot.inspectors:
        reasons.append("no_inspectors")
    units = registry.list_units()
    if not units:
        reasons.append("no_units")
    elif not any(services.store.ledger(u.code).items() for u in units):
        reasons.append("no_items")
    if not any(p.role in (Role.CONTACT, Role.LEADER) for p in registry.list_people()):
        reasons.append("nobody_bound")
    return reasons or ["nothing_due"]


def ledger_figures(sweeper: Sweeper, lang: str, now: datetime) -> list[Html]:
    """Every unit's items at ``now``, as the figures block /units shows (``ledger.figures``)."""
    services = sweeper.services
    f = total_figures(services, now)
    t = functools.partial(services.catalog.t, lang)
    return figures_lines(t, f, services.rules.yellow_days, lights=True)


class _NoBot:
    """A dry run never sends; this makes sure of it."""

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a dry run does not send")


def dry_run_text(config: Config, clock: Clock | None = None, lang: str | None = None) -> str:
    """``python bot.py sweep --dry-run``: :func:`summary` as plain text, from the data
    directory opened read-only (works while the bot runs; needs no token or network).
    Language: ``lang``, else ``[bot] language`` (zh-CN for ``auto``)."""
    store = Store.open(config.data_dir, lock=False)
    try:
        services = Services.create(config, store, clock or SystemClock(), Catalog.load())
        sweeper = Sweeper(services, _NoBot(), Runtime())
        lang = services.catalog.normalise(
            lang or (None if config.bot.language == "auto" else config.bot.language)
        )
        return to_plain(summary(sweeper, lang))
    finally:
        store.close()


__all__ = ["dry_run_text", "ledger_figures", "summary"]
