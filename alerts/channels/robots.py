"""Clients of the two group-robot webhook APIs, and what each answer means for the record.

- 企业微信群机器人: ``POST {wecom_url}/cgi-bin/webhook/send?key=KEY`` with JSON
  ``{"msgtype": "markdown", "markdown": {"content": …}}`` (content ≤ 4,096 bytes) or
  ``{"msgtype": "text", "text": {"content": …}}`` (≤ 2,048 bytes).
- 钉钉自定义机器人: ``POST {dingtalk_url}/robot/send?access_token=TOKEN`` with JSON
  ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`` or ``text``; in 加签 mode
  the URL also carries ``timestamp`` (ms) and ``sign`` = URL-encoded base64 of
  HMAC-SHA256(key=secret, "timestamp\\nsecret"); in keyword mode the text must hold the
  robot's keyword (the renderer makes sure it does).

Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` or an error code. What an answer
means (:class:`Answer`):

- ``sent`` — errcode 0.
- ``throttled`` — 45009 ``api freq out of limit`` (WeCom; a minute), 130101 ``send too fast``
  (DingTalk, which then refuses the robot for ten minutes): not delivered; kept ``pending``
  and merged into the next message after the pause.
- ``refused`` — the robot refuses *us*, whatever we send: 93000 invalid webhook key,
  300001 token does not exist, 310000 sign mismatch / keyword not in content / bad
  timestamp / IP not allowed, robot stopped. Recorded ``failed``, inspectors told once.
- ``failed`` — the robot refuses this message (any other code, e.g. 40058 / 460101 too
  long): recorded ``failed``, never retried.
- ``uncertain`` — the request may have arrived: a read timeout or a connection lost after it
  was sent, a 5xx, an unreadable answer. Never resent; inspectors told.
- ``retry`` — the request certainly never left (connection refused, connect timeout): kept
  ``pending`` for the next sweep.

Secrets: the key, the secret and the signature only ever travel in the request URL, which is
never logged here (and ``bot.SecretFilter`` masks them in any log line that would hold them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

import httpx

from config import ChannelConfig, ChannelsConfig

log = logging.getLogger(__name__)

WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
DINGTALK_BYTES = 20000
RATE_PER_MINUTE = 20
WECOM_THROTTLE_SECONDS = 60.0
DINGTALK_THROTTLE_SECONDS = 600.0

_THROTTLED = {
    "wecom": {45009: WECOM_THROTTLE_SECONDS},
    "dingtalk": {130101: DINGTALK_THROTTLE_SECONDS, 410100: DINGTALK_THROTTLE_SECONDS},
}
_REFUSED = {
    "wecom": frozenset({93000, 93004, 93008, 40001, 40014}),
    "dingtalk": frozenset({300001, 300005, 310000, 400101, 400102}),
}
# httpx failures that prove the request never left this machine: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
ERRMSG_CHARS = 160


class Answer(StrEnum):
    SENT = "sent"
    THROTTLED = "throttled"
    REFUSED = "refused"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    RETRY = "retry"


@dataclass(frozen=True)
class Reply:
    """What one request came to. ``pause``: seconds the robot will refuse everything."""

    answer: Answer
    errcode: int | None = None
    errmsg: str = ""
    pause: float = 0.0


@dataclass(frozen=True)
class Message:
    """One group message: ``markdown`` (the default) or plain ``text``; ``title`` is what
    DingTalk shows in the notification."""

    title: str
    body: str
    markdown: bool = True


class Robot(Protocol):
    """Sends one message to one group."""

    channel: ChannelConfig

    async def send(self, client: httpx.AsyncClient, message: Message) -> Reply: ...


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def limit_of(channel: ChannelConfig, markdown: bool = True) -> int:
    """The byte limit of one message body on ``channel``'s robot."""
    if channel.kind == "wecom":
        return WECOM_MARKDOWN_BYTES if markdown else WECOM_TEXT_BYTES
    return DINGTALK_BYTES


def mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text


@dataclass
class WebhookRobot:
    """A WeCom or DingTalk group robot (``channel.kind``). ``now`` is the bot clock (the
    DingTalk timestamp must be within an hour of the robot's own)."""

    channel: ChannelConfig
    base_url: str
    now: Callable[[], datetime]

    def url(self) -> str:
        c = self.channel
        if c.kind == "wecom":
            return f"{self.base_url}/cgi-bin/webhook/send?key={quote(c.key, safe='')}"
        url = f"{self.base_url}/robot/send?access_token={quote(c.key, safe='')}"
        if c.security == "sign" and c.secret:
            timestamp = int(self.now().timestamp() * 1000)
            url += f"&timestamp={timestamp}&sign={sign(c.secret, timestamp)}"
        return url

    def payload(self, message: Message) -> dict[str, Any]:
        if self.channel.kind == "wecom":
            if message.markdown:
                return {"msgtype": "markdown", "markdown": {"content": message.body}}
            return {"msgtype": "text", "text": {"content": message.body}}
        if message.markdown:
            return {
                "msgtype": "markdown",
                "markdown": {"title": message.title, "text": message.body},
            }
        return {"msgtype": "text", "text": {"content": message.body}}

    async def send(self, client: httpx.AsyncClient, message: Message) -> Reply:
        """Send ``message``; never raises for a network or API failure."""
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secrets = (self.channel.key, self.channel.secret or "")
        try:
            response = await client.post(self.url(), content=body, headers=headers)
        except _NOT_SENT as error:
            return Reply(Answer.RETRY, None, type(error).__name__)
        except httpx.HTTPError as error:  # read timeout, connection lost after sending …
            return Reply(Answer.UNCERTAIN, None, mask(f"{type(error).__name__}", secrets))
        if response.status_code >= 500:
            return Reply(Answer.UNCERTAIN, None, f"HTTP {response.status_code}")
        try:
            answer = response.json()
            errcode = int(answer.get("errcode", -1))
            errmsg = mask(str(answer.get("errmsg", "")), secrets)[:ERRMSG_CHARS]
        except (ValueError, AttributeError, TypeError):
            if response.status_code >= 400:
                return Reply(Answer.REFUSED, None, f"HTTP {response.status_code}")
            return Reply(Answer.UNCERTAIN, None, f"HTTP {response.status_code}: not JSON")
        return classify(self.channel.kind, errcode, errmsg)


def classify(kind: str, errcode: int, errmsg: str) -> Reply:
    """The :class:`Reply` for a robot's ``errcode`` (see the module docstring)."""
    if errcode == 0:
        return Reply(Answer.SENT, 0, errmsg)
    pause = _THROTTLED.get(kind, {}).get(errcode)
    if pause is not None:
        return Reply(Answer.THROTTLED, errcode, errmsg, pause)
    if errcode in _REFUSED.get(kind, frozenset()):
        return Reply(Answer.REFUSED, errcode, errmsg)
    return Reply(Answer.FAILED, errcode, errmsg)


def robots_for(config: ChannelsConfig, now: Callable[[], datetime]) -> dict[str, Robot]:
    """A robot per configured channel, by channel name."""
    out: dict[str, Robot] = {}
    for channel in config.channels:
        base = config.wecom_url if channel.kind == "wecom" else config.dingtalk_url
        out[channel.name] = WebhookRobot(channel, base, now)
    return out


def client_for(config: ChannelsConfig) -> httpx.AsyncClient:
    """The HTTP client of one pass (connect timeout ≤ 5 s: a refused connection is certain)."""
    timeout = httpx.Timeout(config.timeout_seconds, connect=min(5.0, config.timeout_seconds))
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


__all__ = [
    "DINGTALK_BYTES",
    "RATE_PER_MINUTE",
    "WECOM_MARKDOWN_BYTES",
    "WECOM_TEXT_BYTES",
    "Answer",
    "Message",
    "Reply",
    "Robot",
    "WebhookRobot",
    "classify",
    "client_for",
    "limit_of",
    "mask",
    "robots_for",
    "sign",
]
