"""What inspectors read in Telegram about a group robot (``locales/*/channels.toml``): a
robot that refuses us, a message it refused, a message whose fate is uncertain. The channel
pass records each as a notice (``notice:channel:…@<inspector>``, data ``{"notice":
"channel", "problem", "channel", "errcode", "errmsg", "count"}``) and the sweep's notice step
sends it once, like every other notice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alerts.channels.keys import reason_key
from config import ChannelsConfig
from ledger.model import Unit
from locales import Catalog, Html


def group_name(
    catalog: Catalog, lang: str, config: ChannelsConfig, channel: str, units: Mapping[str, Unit]
) -> str:
    """A channel's name as people call it (config ``name``, else a default by audience)."""
    found = config.get(channel)
    if found is not None and found.label:
        return found.label
    if channel == "inspectors":
        return catalog.plain(lang, "channels.group.inspectors")
    code = channel.partition(":")[2] or channel
    unit = units.get(code)
    name = unit.name if unit is not None and unit.name else code
    return catalog.plain(lang, "channels.group.unit", unit=name)


def kind_name(catalog: Catalog, lang: str, config: ChannelsConfig, channel: str) -> str:
    found = config.get(channel)
    return catalog.plain(lang, f"channels.kind.{found.kind}") if found else "?"


def reason(catalog: Catalog, lang: str, kind: str, errcode: int | None, errmsg: str) -> str:
    key = reason_key(kind, errcode, errmsg)
    return catalog.plain(lang, f"channels.reason.{key}", errcode=errcode, errmsg=errmsg)


def notice_text(
    catalog: Catalog,
    lang: str,
    config: ChannelsConfig,
    units: Mapping[str, Unit],
    data: Mapping[str, Any],
) -> Html:
    """The Telegram HTML of one channel notice (``data`` as recorded)."""
    channel = str(data.get("channel", ""))
    found = config.get(channel)
    problem = str(data.get("problem", "failed"))
    if problem not in ("refused", "failed", "uncertain"):
        problem = "failed"
    errcode = data.get("errcode")
    return catalog.t(
        lang,
        f"channels.notice.{problem}",
        group=group_name(catalog, lang, config, channel, units),
        kind=kind_name(catalog, lang, config, channel),
        reason=reason(
            catalog,
            lang,
            found.kind if found else "",
            int(errcode) if isinstance(errcode, int) else None,
            str(data.get("errmsg", "")),
        ),
        count=int(data.get("count", 0) or 0),
    )


OUTCOMES = ("sent", "throttled", "paused", "uncertain", "refused", "failed", "retry")


def group_outcomes(catalog: Catalog, lang: str, counts: Mapping[str, int]) -> Html:
    """One line for ``/alerts``: the last sweep's group messages by outcome."""
    parts = [
        catalog.plain(lang, f"channels.summary.{name}", count=counts[name])
        for name in OUTCOMES
        if counts.get(name)
    ]
    return catalog.t(
        lang,
        "channels.summary.line",
        counts=catalog.plain(lang, "channels.md.separator").join(parts),
    )


__all__ = ["OUTCOMES", "group_outcomes", "group_name", "kind_name", "notice_text", "reason"]
