"""The 企业微信 / 钉钉 groups the sandbox simulates, as the console names and shows them: the
start line naming them, and ``/groups`` (what each group's robot received). Groups are named
as the alert jobs name them (``alerts.channels.notices``: one wording)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from alerts.channels.notices import group_name, kind_name
from config import ChannelsConfig
from ledger.model import Unit
from locales import Catalog
from sandbox.robots import RobotStub
from sandbox.words import Words

__all__ = ["GROUP_MESSAGES", "group_messages", "groups_line"]

GROUP_MESSAGES = 5  # /groups shows each group's latest messages


def groups_line(
    catalog: Catalog, lang: str, channels: ChannelsConfig, units: Sequence[Unit]
) -> str:
    """The line saying which group robots the sandbox simulates (``/groups`` shows them)."""
    by_code = {u.code: u for u in units}
    names = catalog.plain(lang, "channels.md.separator").join(
        catalog.plain(
            lang,
            "channels.sandbox.group",
            group=group_name(catalog, lang, channels, c.name, by_code),
            kind=kind_name(catalog, lang, channels, c.name),
        )
        for c in channels.channels
    )
    return catalog.plain(lang, "channels.sandbox.ready", groups=names)


def group_messages(
    catalog: Catalog,
    words: Words,
    channels: ChannelsConfig,
    units: Sequence[Unit],
    robots: RobotStub | None,
    tz: tzinfo,
) -> list[str]:
    """``/groups``: per group a title, then its robot's latest :data:`GROUP_MESSAGES`
    messages as the group would show them (the markdown the robot was sent)."""
    lang = words.lang
    by_code = {u.code: u for u in units}
    out: list[str] = []
    for channel in channels.channels:
        robot = robots.robots.get((channel.kind, channel.key)) if robots else None
        received = robot.received if robot is not None else []
        out.append(
            catalog.plain(
                lang,
                "channels.sandbox.title",
                group=group_name(catalog, lang, channels, channel.name, by_code),
                kind=kind_name(catalog, lang, channels, channel.name),
                count=len(received),
            )
        )
        if not received:
            out.append(catalog.plain(lang, "channels.sandbox.empty"))
        if len(received) > GROUP_MESSAGES:
            out.append(catalog.plain(lang, "channels.sandbox.more", shown=GROUP_MESSAGES))
        for message in received[-GROUP_MESSAGES:]:
            out.append(f"[{words.time(message.at, tz)}]\n{message.content}\n")
    return out
