"""Channel records in the alert log, and the per-group state kept in registry meta.

Keys: ``channel:<channel>|<alert key>`` — ``<channel>`` is ``inspectors`` or ``unit:<CODE>``
(:attr:`config.ChannelConfig.name`), ``<alert key>`` the ``ledger.alerts`` key of the entry
(``HZ-007:overdue:2026-05-01:0``, ``digest:weekly:HZ:2026-W18`` …) or ``test:<instant>`` for a
test message. One record per group and entry: a group is one audience, whoever in it reads.
The Telegram sweep leaves these records alone (:func:`is_channel`); the channel pass moves
them through the same states (:mod:`alerts.log`).

Meta: ``channels.paused`` — ``{channel: ISO instant}`` until which the robot throttles us
(45009 / 130101); ``channels.broken`` — ``{channel: {"errcode", "errmsg", "since"}}`` while the
robot refuses us (invalid key, sign or keyword mismatch …): the notice about it goes out once
per episode, and the first delivery that succeeds ends the episode.
"""

from __future__ import annotations

CHANNEL_PREFIX = "channel:"
PAUSED_META = "channels.paused"
BROKEN_META = "channels.broken"
TEST_PREFIX = "test:"


def channel_key(channel: str, key: str) -> str:
    return f"{CHANNEL_PREFIX}{channel}|{key}"


def is_channel(key: str) -> bool:
    return key.startswith(CHANNEL_PREFIX)


def split_channel_key(key: str) -> tuple[str, str]:
    """``"channel:unit:HZ|HZ-007:overdue:2026-05-01:0"`` → ``("unit:HZ", "HZ-007:…")``."""
    channel, _, rest = key[len(CHANNEL_PREFIX) :].partition("|")
    return channel, rest


def reason_key(kind: str, errcode: int | None, errmsg: str) -> str:
    """The ``channels.reason.*`` key that says in words why a robot refused."""
    low = errmsg.lower()
    if errcode is None:
        return "http"
    if errcode in (93000, 300001, 300005, 40001, 40014):
        return "invalid_key"
    if errcode == 310000:
        for word, key in (("sign", "sign"), ("keyword", "keyword"), ("timestamp", "timestamp")):
            if word in low:
                return key
        return "ip" if "ip" in low.split() or "whitelist" in low else "security"
    if errcode in (93004, 400101, 400102):
        return "stopped"
    if errcode in (40058, 460101):
        return "too_long"
    if errcode in (45009, 130101, 410100):
        return "throttled"
    return "other"


__all__ = [
    "BROKEN_META",
    "CHANNEL_PREFIX",
    "PAUSED_META",
    "TEST_PREFIX",
    "channel_key",
    "is_channel",
    "reason_key",
    "split_channel_key",
]
