"""Local stand-ins of the 企业微信 group-robot and 钉钉 custom-robot webhooks, for the test
suite and the sandbox (never the internet). One aiohttp server on 127.0.0.1 serves both::

    stub = RobotStub(now=clock.now)                 # the bot clock: 加签 timestamps
    wecom = stub.wecom("k-inspectors")              # key in ?key=
    ding = stub.dingtalk("t-hz", secret="SEC…")     # access_token; sign or keyword mode
    await stub.start()                              # stub.url → [channels] *_url
    ...
    wecom.received                                  # what the group would show

What each checks, and answers as the real services do (HTTP 200, ``{"errcode", "errmsg"}``):

- WeCom ``POST /cgi-bin/webhook/send?key=…``: an unknown key → 93000 ``invalid webhook url``;
  ``markdown.content`` over 4,096 bytes or ``text.content`` over 2,048 → 40058 ``… exceed
  max length …``; an unknown ``msgtype`` → 40008; more than 20 accepted messages in any
  60 s → 45009 ``api freq out of limit``.
- DingTalk ``POST /robot/send?access_token=…``: unknown token → 300001 ``token is not
  exist``; 加签: ``timestamp`` more than an hour from ``now`` → 310000 ``invalid timestamp``,
  a ``sign`` that is not base64(HMAC-SHA256(secret, "timestamp\\nsecret")) → 310000 ``sign
  not match``; keyword mode: a message without the keyword → 310000 ``keywords not in
  content``; over 20,000 bytes → 460101; the 21st message in a minute → 130101 ``send too
  fast, exceed 20 times per minute`` and every request refused the same way for ten minutes.
- Faults: :meth:`StubRobot.stall_next` accepts the next message (it is received) and holds
  the answer until the client gives up — the "uncertain" case.

Windows and the DingTalk penalty are measured with ``monotonic`` (tests pass fake time, so
"ten minutes later" needs no sleeping).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from config import ChannelConfig, ChannelsConfig

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PER_MINUTE = 20
DINGTALK_PENALTY_SECONDS = 600.0
WECOM_LIMITS = {"markdown": 4096, "text": 2048}
DINGTALK_LIMIT = 20000
_HINT = "hint: [{n}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
_DING_MORE = "more: [https://open.dingtalk.com/document/robots/custom-robot-access]"


@dataclass
class Received:
    """One message a group shows: its type, DingTalk title, body, and when (``now``)."""

    msgtype: str
    title: str
    content: str
    at: datetime


@dataclass
class StubRobot:
    """One group's robot. ``received`` holds accepted messages; ``answers`` every errcode
    answered, in order."""

    kind: str  # "wecom" | "dingtalk"
    key: str
    secret: str | None = None
    keyword: str | None = None
    name: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    window: list[float] = field(default_factory=list)
    throttled_until: float = float("-inf")
    stall: int = 0  # the next N accepted messages: answer never comes

    def stall_next(self, count: int = 1) -> None:
        """Accept the next ``count`` messages but hold their answers (client time-out)."""
        self.stall += count

    def fill_window(self, at: float, count: int = PER_MINUTE) -> None:
        """Pretend ``count`` messages were accepted at ``at`` (another sender used the robot
        this minute): the next one is over the limit."""
        self.window.extend([at] * count)

    def transcript(self) -> str:
        """What the group shows, oldest first (the sandbox prints it)."""
        parts = [f"--- {r.at:%Y-%m-%d %H:%M} [{r.msgtype}]\n{r.content}" for r in self.received]
        return "\n\n".join(parts)


class RobotStub:
    """The server (see the module docstring). Construction does no I/O."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.now = now
        self.monotonic = monotonic
        self.port = port
        self.robots: dict[tuple[str, str], StubRobot] = {}
        self.requests = 0
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._closing = asyncio.Event()

    # ------------------------------------------------------------------ robots

    def wecom(self, key: str, name: str = "") -> StubRobot:
        robot = StubRobot("wecom", key, name=name)
        self.robots[("wecom", key)] = robot
        return robot

    def dingtalk(
        self, token: str, *, secret: str | None = None, keyword: str | None = None, name: str = ""
    ) -> StubRobot:
        robot = StubRobot("dingtalk", token, secret=secret, keyword=keyword, name=name)
        self.robots[("dingtalk", token)] = robot
        return robot

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the robot stub is not running: await stub.start() first")
        return self._url

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._wecom)
        app.router.add_post("/robot/send", self._dingtalk)
        # access_log=None: request lines carry the keys.
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.port = port
        self._url = f"http://{host}:{port}"
        self._runner = runner
        self._closing = asyncio.Event()

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing.set()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._url = None

    async def __aenter__(self) -> RobotStub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ handlers

    def _answer(self, robot: StubRobot | None, code: int, message: str) -> web.Response:
        if robot is not None:
            robot.answers.append(code)
        return web.json_response({"errcode": code, "errmsg": message})

    async def _body(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _over_limit(self, robot: StubRobot) -> bool:
        now = self.monotonic()
        robot.window = [t for t in robot.window if t > now - WINDOW_SECONDS]
        return len(robot.window) >= PER_MINUTE

    async def _accept(
        self, robot: StubRobot, msgtype: str, title: str, content: str
    ) -> web.Response:
        robot.window.append(self.monotonic())
        robot.received.append(Received(msgtype, title, content, self.now()))
        if robot.stall:
            robot.stall -= 1
            await self._closing.wait()  # the client times out first
        return self._answer(robot, 0, "ok")

    async def _wecom(self, request: web.Request) -> web.Response:
        self.requests += 1
        n = self.requests
        robot = self.robots.get(("wecom", request.query.get("key", "")))
        if robot is None:
            return self._answer(
                None, 93000, "invalid webhook url, " + _HINT.format(n=n, code=93000)
            )
        body = await self._body(request)
        if body is None:
            return self._answer(robot, 40035, "invalid json, " + _HINT.format(n=n, code=40035))
        msgtype = body.get("msgtype")
        part = body.get(msgtype) if isinstance(msgtype, str) else None
        if msgtype not in WECOM_LIMITS or not isinstance(part, dict):
            return self._answer(
                robot, 40008, "invalid message type, " + _HINT.format(n=n, code=40008)
            )
        content = part.get("content")
        if not isinstance(content, str) or not content:
            return self._answer(robot, 40035, "empty content, " + _HINT.format(n=n, code=40035))
        if self._over_limit(robot):
            return self._answer(
                robot, 45009, "api freq out of limit, " + _HINT.format(n=n, code=45009)
            )
        limit = WECOM_LIMITS[msgtype]
        if len(content.encode("utf-8")) > limit:
            text = f"{msgtype}.content exceed max length {limit}. invalid Request Parameter, "
            return self._answer(robot, 40058, text + _HINT.format(n=n, code=40058))
        return await self._accept(robot, msgtype, "", content)

    async def _dingtalk(self, request: web.Request) -> web.Response:
        self.requests += 1
        q = request.query
        robot = self.robots.get(("dingtalk", q.get("access_token", "")))
        if robot is None:
            return self._answer(None, 300001, "token is not exist")
        if self.monotonic() < robot.throttled_until:
            return self._answer(robot, 130101, "send too fast, exceed 20 times per minute")
        if robot.secret is not None:
            refused = self._check_sign(robot.secret, q.get("timestamp", ""), q.get("sign", ""))
            if refused:
                return self._answer(robot, 310000, f"{refused}, {_DING_MORE}")
        body = await self._body(request)
        if body is None:
            return self._answer(robot, 400105, "not supported msgtype or invalid json")
        msgtype = body.get("msgtype")
        part = body.get(msgtype) if isinstance(msgtype, str) else None
        if msgtype not in ("text", "markdown") or not isinstance(part, dict):
            return self._answer(robot, 400105, "not supported msgtype")
        title = str(part.get("title", "")) if msgtype == "markdown" else ""
        content = part.get("text" if msgtype == "markdown" else "content")
        if not isinstance(content, str) or not content or (msgtype == "markdown" and not title):
            return self._answer(robot, 400106, "param error: missing title or text")
        if robot.keyword is not None and robot.keyword not in content:
            return self._answer(robot, 310000, f"keywords not in content, {_DING_MORE}")
        if self._over_limit(robot):
            robot.throttled_until = self.monotonic() + DINGTALK_PENALTY_SECONDS
            return self._answer(robot, 130101, "send too fast, exceed 20 times per minute")
        if len(content.encode("utf-8")) > DINGTALK_LIMIT:
            return self._answer(robot, 460101, f"message too long, exceed {DINGTALK_LIMIT} bytes")
        return await self._accept(robot, msgtype, title, content)

    def _check_sign(self, secret: str, timestamp: str, sign: str) -> str | None:
        """``None`` if the 加签 parameters are right, else the errmsg DingTalk gives."""
        if not timestamp.isdigit() or not sign:
            return "sign not match"
        now_ms = self.now().timestamp() * 1000
        if abs(int(timestamp) - now_ms) > 3600 * 1000:
            return "invalid timestamp"
        to_sign = f"{timestamp}\n{secret}".encode()
        digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode("ascii")
        return None if hmac.compare_digest(expected, sign) else "sign not match"


def sandbox_channels(
    config: ChannelsConfig, stub: RobotStub, units: Sequence[str]
) -> ChannelsConfig:
    """The ``[channels]`` a sandboxed bot runs with, all pointing at ``stub`` (never the
    internet): each configured group gets a stand-in robot with its own key, secret and
    keyword; with none configured, two demo groups — the inspectors' group on 企业微信 and
    the first unit's work group on 钉钉 (加签) — so the demo shows what groups receive."""
    channels = list(config.channels)
    if not channels:
        channels.append(ChannelConfig("inspectors", "wecom", f"demo-{secrets.token_hex(8)}"))
        if units:
            channels.append(
                ChannelConfig(
                    f"unit:{units[0]}",
                    "dingtalk",
                    f"demo{secrets.token_hex(16)}",
                    unit=units[0],
                    security="sign",
                    secret=f"SEC{secrets.token_hex(16)}",
                )
            )
    for channel in channels:
        if channel.kind == "wecom":
            stub.wecom(channel.key, name=channel.name)
        else:
            stub.dingtalk(
                channel.key, secret=channel.secret, keyword=channel.keyword, name=channel.name
            )
    return replace(config, channels=tuple(channels), wecom_url=stub.url, dingtalk_url=stub.url)


__all__ = ["PER_MINUTE", "Received", "RobotStub", "StubRobot", "sandbox_channels"]
