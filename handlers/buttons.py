"""Inline-button callback data: one compact, versioned format for every feature.

``callback_data`` is ``<verb>:<arg>[:<arg>…]`` and at most 64 bytes (Telegram's limit). It is
never trusted: a handler decodes it with :func:`parse` and then re-checks who may do what
exactly as for a typed command (R22). Anything that does not parse — a stale button from an
older version, or forged data — yields ``None`` and the user is told the button has expired.

Verbs in use (the module that handles each is in brackets):

- ``card:<ITEM>`` open an item card (queries; alert messages carry these too)
- ``hist:<ITEM>`` send an item's history (queries; the card's 整改记录 button)
- ``unit:<CODE>`` send a unit's figures and open list (queries; /units buttons, inspectors)
- ``page:<list>:<scope>:<page>`` move a paged list (queries): ``<list>`` is a pager name with
  ``_``-separated arguments (``open``, ``overdue``, ``due_20260302_20260309``, ``unit``,
  ``hist``, ``units``, ``people``), ``<scope>`` a unit code, ``all`` or an item id
- ``do:<action>:<ITEM>`` an action button on a card (workflow; shown only for actions the
  workflow module enabled with ``handlers.render.enable_card_actions``)
- ``ev:<ITEM>:<n>`` re-send evidence n of an item (workflow)
- ``ok:<token>`` / ``no:<token>`` confirm or cancel a pending operation (import, add)
- ``cf:<action>:<ITEM>`` / ``cf:no:<ITEM>`` confirm or cancel a formal act asked for in words
  or by a card button (confirm)
- ``ph:<phrase>`` a phrase offered under "没太明白" (``open``, ``overdue``, ``due``, ``todo``,
  ``sign``, ``verify``, ``units``, ``help``; phrases)
- ``iu:<token>:<n>:<CODE>`` the unit of the n-th unit name a 台账 upload gave (excel: pick a
  registered unit, or create one under a proposed code)
- ``lang:<zh|en>`` choose the language (start; the /lang buttons)
- ``mv:<ok|no>:<invite code>:<UNIT>:<role>`` 确认 / 取消 leaving UNIT's role for another
  unit's invitation (start; the holder of the code is its redeemer anyway)
- ``inv:<CODE>:<contact|leader>`` make an invitation (people; under /newunit's answer)
- ``sv:<CODE>:<token>:x<answers>[:ok|:note]`` answer a 满意度测评 (survey; anyone holding the
  link's token, which the data carries)
- ``lb:<CODE>:<record>:<n>:<check>:<verdict>`` / ``…:<n>:ok`` / ``…:<n>:skip`` a 回头看 check,
  确认本项, 无需说明 (lookback; inspectors)

A button no handler takes gets the "button expired" toast (handlers.phrases, registered last).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton

MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...]


def encode(verb: str, *args: str | int) -> str:
    """``encode("card", "HZ-007")`` -> ``"card:HZ-007"``; refuses parts that would not parse."""
    parts = [verb, *(str(a) for a in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"bad callback part {part!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """Decode callback data; ``None`` for anything malformed (never raises)."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    parts = data.split(":")
    if not all(_PART.match(p) for p in parts):
        return None
    return Callback(parts[0], tuple(parts[1:]))


def button(label: str, verb: str, *args: str | int) -> InlineKeyboardButton:
    """An inline button whose label is plain text (Telegram does not parse HTML there)."""
    return InlineKeyboardButton(label, callback_data=encode(verb, *args))


def card_button(label: str, item_id: str) -> InlineKeyboardButton:
    """The button that opens an item's card — used by lists, alerts and digests alike."""
    return button(label, "card", item_id)
