"""What ``/channels`` and ``python bot.py channels`` show: each configured group with its
robot, the last delivery (when, how it ended, how many alerts it carried), a throttling pause
and a refusal episode; and the results of a test message to each group. Telegram HTML in the
reader's language (``locales.to_plain`` for a terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts.channels.deliver import GroupStatus, status
from alerts.channels.notices import group_name, kind_name, reason
from alerts.channels.robots import Answer, Reply
from app.services import Services
from config import ChannelConfig
from locales import Html


def _when(services: Services, lang: str, stamp: str) -> str:
    """An ISO instant as ``3月2日（周一）09:00`` in the configured zone."""
    catalog = services.catalog
    try:
        local = datetime.fromisoformat(stamp).astimezone(services.config.tz)
    except ValueError:
        return stamp
    month = catalog.plain(lang, "alerts.months").split(",")[local.month - 1]
    today = services.clock.now().astimezone(services.config.tz).date()
    key = "alerts.date" if local.year == today.year else "alerts.date_year"
    day = catalog.plain(lang, key, year=local.year, month=month, day=local.day)
    weekday = catalog.plain(lang, "alerts.weekdays").split(",")[local.weekday()]
    return catalog.plain(lang, "alerts.datetime", date=day, weekday=weekday, time=f"{local:%H:%M}")


def _group_line(services: Services, lang: str, channel: ChannelConfig) -> Html:
    catalog = services.catalog
    units = {u.code: u for u in services.store.registry.list_units()}
    security = ""
    if channel.security in ("sign", "keyword"):
        security = catalog.plain(lang, f"channels.status.security.{channel.security}")
    return catalog.t(
        lang,
        "channels.status.line",
        group=group_name(catalog, lang, services.config.channels, channel.name, units),
        kind=kind_name(catalog, lang, services.config.channels, channel.name),
        security=security,
    )


def status_text(
    services: Services, lang: str, groups: Sequence[GroupStatus] | None = None
) -> Html:
    """Blocking (reads the alert log): the ``/channels`` answer."""
    catalog = services.catalog
    if not services.config.channels.channels:
        return catalog.t(lang, "channels.status.none")
    groups = status(services) if groups is None else groups
    lines: list[str] = [catalog.t(lang, "channels.status.title")]
    for group in groups:
        lines.append(_group_line(services, lang, group.channel))
        last = group.last
        if last is None:
            lines.append(catalog.t(lang, "channels.status.never"))
        else:
            if last.data.get("test"):
                what = catalog.plain(lang, "channels.status.test")
            else:
                what = catalog.plain(lang, "channels.status.items", count=group.last_count)
            state = catalog.plain(lang, f"channels.status.state.{last.state}")
            lines.append(
                catalog.t(
                    lang,
                    "channels.status.last",
                    when=_when(services, lang, str(last.data.get("at", ""))),
                    state=state,
                    what=what,
                )
            )
        if group.paused_until:
            until = _when(services, lang, group.paused_until)
            lines.append(catalog.t(lang, "channels.status.paused", until=until))
        if group.broken:
            errcode = group.broken.get("errcode")
            why = reason(
                catalog,
                lang,
                group.channel.kind,
                errcode if isinstance(errcode, int) else None,
                str(group.broken.get("errmsg", "")),
            )
            since = _when(services, lang, str(group.broken.get("since", "")))
            lines.append(catalog.t(lang, "channels.status.broken", reason=why, since=since))
    lines.append("")
    lines.append(catalog.t(lang, "channels.status.hint"))
    return Html("\n".join(lines))


def results_text(
    services: Services,
    lang: str,
    results: Sequence[tuple[ChannelConfig, Reply | None, str]],
) -> Html:
    """The answer to ``/channels test``: one line per group."""
    catalog = services.catalog
    if not results:
        return catalog.t(lang, "channels.test.none")
    units = {u.code: u for u in services.store.registry.list_units()}
    config = services.config.channels
    lines: list[str] = [catalog.t(lang, "channels.test.title")]
    now = services.clock.now()
    for channel, reply, paused in results:
        if reply is None:
            result = catalog.plain(
                lang, "channels.test.result.paused", until=_when(services, lang, paused)
            )
        elif reply.answer is Answer.THROTTLED:
            until = (now.timestamp() + reply.pause) if reply.pause else now.timestamp()
            when = _when(services, lang, datetime.fromtimestamp(until, now.tzinfo).isoformat())
            result = catalog.plain(lang, "channels.test.result.throttled", until=when)
        elif reply.answer in (Answer.REFUSED, Answer.FAILED):
            why = reason(catalog, lang, channel.kind, reply.errcode, reply.errmsg)
            result = catalog.plain(lang, f"channels.test.result.{reply.answer}", reason=why)
        else:
            result = catalog.plain(lang, f"channels.test.result.{reply.answer}")
        lines.append(
            catalog.t(
                lang,
                "channels.test.line",
                group=group_name(catalog, lang, config, channel.name, units),
                kind=kind_name(catalog, lang, config, channel.name),
                result=result,
            )
        )
    return Html("\n".join(lines))


def when_text(services: Services, lang: str) -> str:
    """Now, as the test message says it."""
    return _when(services, lang, services.clock.now().isoformat())


__all__ = ["results_text", "status_text", "when_text"]
