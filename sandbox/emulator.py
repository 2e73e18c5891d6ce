"""A local Telegram Bot API server: the e2e harness and the engine of the offline sandbox.

It speaks the Bot API wire format over HTTP on 127.0.0.1 only, so the bot talks to it through
its real networking stack (python-telegram-bot → httpx)::

    emu = Emulator(clock=FakeClock(start))        # app.clock.FakeClock or a callable
    await emu.start()
    app = sandbox.ptb.builder_for(emu).build()      # token + base_url + base_file_url
    alice = emu.user(1001, "Alice")
    ...
    await emu.stop()

Construction is cheap and does no I/O; :meth:`Emulator.start` binds the socket. Attributes a
caller relies on: ``token``, ``url`` (``http://127.0.0.1:<port>``, after start), ``base_url``
(``url + "/bot"``), ``base_file_url`` (``url + "/file/bot"``), ``clock``, ``calls``,
``answered_callbacks``, ``flood_limits``, ``strict_html``, ``files`` (its ``download_limit``),
``bot_user``.

What is emulated, and how (descriptions are Telegram's own unless marked *approximate*):

* Routes ``/bot<token>/<method>`` (GET or POST; query string, JSON body, form-urlencoded or
  multipart) and ``/file/bot<token>/<file_path>``. A wrong token answers 401 "Unauthorized"
  (404 "Not Found" if it is not even shaped like a token); an unknown method 404 "Not Found",
  which PTB turns into ``InvalidToken`` (``EndPointNotFound`` through ``do_api_request``).
  Method names are case-insensitive, as on Telegram.
* Updates: real long polling (``timeout``), ``offset`` acknowledgement (updates below it are
  forgotten; a negative offset keeps only the last ``-offset``), ``limit``, ``allowed_updates``
  (remembered across calls, applied when an update is created; default: everything except
  ``chat_member``, ``message_reaction``, ``message_reaction_count``). A second ``getUpdates``
  while one is pending terminates the first with 409 "Conflict: terminated by other
  getUpdates request; …". ``setWebhook`` makes ``getUpdates`` answer 409 until
  ``deleteWebhook`` (which can ``drop_pending_updates``).
* Messages: ids increase per chat; ``date`` comes from ``clock``. HTML parse mode goes through
  :mod:`sandbox.htmlcheck` ("can't parse entities: …"; with ``strict_html``, the default, a
  bare ``&`` or unknown entity is refused too, which Telegram shows garbled instead). Text is
  1–4096 characters after parsing ("message text is empty" / "message is too long"),
  captions ≤ 1024 ("message caption is too long"). Inline keyboards are checked
  (callback_data 1–64 bytes else "BUTTON_DATA_INVALID"; url buttons need http(s)/tg links
  else "BUTTON_URL_INVALID"; a button needs an action, *approximate* wording). Editing to
  identical text, entities and markup answers "message is not modified: …";
  editMessageText without ``reply_markup`` drops the keyboard, as on Telegram. Messages
  older than 48 h cannot be deleted.
* Chats: unknown ids answer "chat not found"; a user who blocked the bot 403 "Forbidden: bot
  was blocked by the user"; a group that removed it 403 "Forbidden: bot was kicked from the
  group chat"; a user created with ``started=False`` 403 "Forbidden: bot can't initiate
  conversation with a user" until they write.
* Files: uploads are stored and get ``file_id``/``file_unique_id``; re-sending by ``file_id``
  works (same kind only); getFile assigns ``file_path`` and refuses files over 20 MB ("file is
  too big") — Telegram's limit is 20 MiB (20,971,520 bytes), ``files.download_limit`` changes it;
  an URL as file cannot be fetched offline ("failed to get HTTP URL content");
  photos must be PNG, JPEG or GIF ("IMAGE_PROCESS_FAILED").
* Commands: per scope (default, all_private_chats, all_group_chats, chat, chat_member …) and
  two-letter language code; ``visible_commands`` / ``EmulatedUser.commands()`` resolve the
  menu a client shows. Errors for bad commands, scopes and language codes are *approximate*.
* Flood control (off unless ``flood_limits`` is set): see :class:`FloodLimits`; windows are
  measured with ``monotonic``.
* Fault injection: :meth:`fail_next`, :meth:`stall_next`, :meth:`drop_next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from aiohttp import web

from sandbox.botapi import (
    CAPTION_LIMIT,
    CHAT_ACTIONS,
    CONFLICT_POLL,
    CONFLICT_WEBHOOK,
    DEFAULT_ALLOWED_UPDATES,
    DELETE_WINDOW,
    FORBIDDEN_BLOCKED,
    FORBIDDEN_NOT_STARTED,
    NOT_MODIFIED,
    QUERY_INVALID,
    TEXT_LIMIT,
    UPLOAD_LIMIT,
    ApiError,
    Params,
    Upload,
    bad_request,
)
from sandbox.commands import CommandRegistry
from sandbox.files import FileKind, FileStore, document_api, photo_api
from sandbox.flood import FloodControl, FloodLimits
from sandbox.htmlcheck import HtmlParseError, parse_html
from sandbox.markup import buttons, inline_only, reply_markup
from sandbox.users import (
    BotMessage,
    CallbackAnswer,
    ChatEvent,
    EmulatedGroup,
    EmulatedUser,
    FileInfo,
    UserMessage,
    command_entities,
)

__all__ = ["ApiCall", "Emulator", "FloodLimits"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


@runtime_checkable
class HasNow(Protocol):
    """The project's clock shape (``app.clock.Clock``): ``now()`` → aware datetime."""

    def now(self) -> datetime: ...


_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the emulator answered it. ``params`` has JSON fields decoded and
    uploads shown as ``{"upload": name, "size": n}``; ``result`` is the ``result`` sent back
    (``None`` on error); ``at`` is the emulator clock when it was answered."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    error_code: int | None
    description: str | None
    retry_after: int | None
    chat_id: int | None
    at: datetime


@dataclass(frozen=True)
class _Rendered:
    """Text or caption as the user will see it."""

    text: str  # plain, after entity parsing
    entities: list[dict[str, Any]]
    html: str  # as sent with parse_mode HTML, else the plain text escaped
    parse_mode: str | None


@dataclass
class _Fault:
    method: str  # lower-case
    chat_id: int | None
    kind: Literal["error", "stall", "drop"]
    error: ApiError | None = None
    seconds: float = 0.0
    deliver: bool = True


@dataclass
class _Query:
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class _Chat:
    id: int
    type: str
    api: dict[str, Any]
    forbidden: str | None = None  # 403 description while the bot cannot write here
    next_message_id: int = 1
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    wire: dict[int, dict[str, Any]] = field(default_factory=dict)  # every message, Bot API form
    deleted: set[int] = field(default_factory=set)
    events: list[ChatEvent] = field(default_factory=list)
    last_action: str | None = None


class Emulator:
    """The Bot API server plus the world behind it (users, groups, files, commands).

    Args:
        token: the bot token; default ``"<bot_id>:<random>"`` (random so a grep of logs for
            it is meaningful, R26).
        clock: where message ``date``, ``edit_date`` and the 48-hour delete window come
            from — a callable returning an aware ``datetime`` or an object with ``now()``
            (``app.clock.FakeClock``, so one clock moves the bot and the emulator).
            Default: the system clock in UTC.
        port: TCP port on 127.0.0.1; 0 lets the OS choose (read ``url`` after ``start``).
        bot_id, bot_username, bot_name: what ``getMe`` answers.
        strict_html: refuse bare ``&`` and unknown entities too (see :mod:`sandbox.htmlcheck`).
        flood_limits: enforce :class:`FloodLimits`; ``None`` (default) = off. Settable later.
        monotonic: the seconds clock flood control measures windows with; default
            ``time.monotonic`` (tests pass a fake to step time; settable later).
        first_update_id: the first ``update_id`` handed out; default a random number, as
            Telegram starts a bot's ids at a random point. A fixed start would repeat the
            same ids (and, for the same text, the same updates) on every sandbox run, which
            the bot's de-duplication rightly drops (R18).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Callable[[], datetime] | HasNow | None = None,
        port: int = 0,
        bot_id: int = 7_000_000_001,
        bot_username: str = "zgt_sandbox_bot",
        bot_name: str = "整改通",
        strict_html: bool = True,
        flood_limits: FloodLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        first_update_id: int | None = None,
    ) -> None:
        self.token = token or f"{bot_id}:{secrets.token_urlsafe(26)}"
        self.clock = clock
        self.port = port
        self.strict_html = strict_html
        self.flood_limits = flood_limits
        self.monotonic = monotonic
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.calls: list[ApiCall] = []
        self.answered_callbacks: list[CallbackAnswer] = []
        self.users: dict[int, EmulatedUser] = {}
        self.groups: dict[int, EmulatedGroup] = {}
        self.webhook_url: str | None = None
        self._url: str | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[ChatEvent], None]] = []
        self._chats: dict[int, _Chat] = {}
        self._updates: list[dict[str, Any]] = []
        start = first_update_id or secrets.randbelow(900_000_000) + 100_000_000
        self._update_ids = itertools.count(start)
        self._fetched_up_to = 0
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._waiting_polls = 0
        self.files = FileStore()
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(1)
        self.commands = CommandRegistry(
            chat_exists=lambda chat_id: chat_id in self._chats,
            user_exists=lambda user_id: user_id in self.users,
        )
        self._faults: list[_Fault] = []
        # Through a lambda so that tests can swap ``monotonic`` on a running emulator.
        self._flood = FloodControl(lambda: self.monotonic())
        self._methods: dict[str, tuple[str, Callable[[Params], Awaitable[Any]]]] = {
            name.lower(): (name, impl)
            for name, impl in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "getFile": self._get_file,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendChatAction": self._send_chat_action,
                "logOut": self._harmless,
                "close": self._harmless,
            }.items()
        }

    @property
    def clock(self) -> Callable[[], datetime] | HasNow | None:
        """The clock given to the constructor; assignable (e.g. to share the bot's)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime] | HasNow | None) -> None:
        self._clock = clock
        if clock is None:
            self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        elif isinstance(clock, HasNow):
            self._now = clock.now
        else:
            self._now = clock

    def now(self) -> datetime:
        """The emulator's current instant (from ``clock``)."""
        return self._now()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; only valid between :meth:`start` and :meth:`stop`."""
        if self._url is None:
            raise RuntimeError("the emulator is not running: await emulator.start() first")
        return self._url

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: PTB appends the token."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Bind 127.0.0.1:``port`` and serve. Idempotent."""
        if self._runner is not None:
            return
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up a long poll (PTB stopping) must not
        # leave a handler waiting; access_log=None: request lines carry the token (R26).
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.port = port
        self._url = f"http://{host}:{port}"
        self._runner = runner
        self._closing = False
        _LOGGER.debug("Bot API emulator listening on %s", self._url)

    async def stop(self) -> None:
        """Answer pending long polls (empty) and close the server. Idempotent."""
        if self._runner is None:
            return
        self._closing = True
        self._notify()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._url = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the world

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = True,
    ) -> EmulatedUser:
        """Register (or return the already registered) user ``user_id`` and their private
        chat. ``started=False``: they never opened the bot, so sends to them answer 403
        "bot can't initiate conversation with a user" until they write."""
        if user_id <= 0:
            raise ValueError(f"user ids are positive, got {user_id}")
        if user_id in self.users:
            return self.users[user_id]
        person = EmulatedUser(
            self,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.users[user_id] = person
        chat_api: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat_api["last_name"] = last_name
        if username:
            chat_api["username"] = username
        forbidden = None if started else FORBIDDEN_NOT_STARTED
        self._chats[user_id] = _Chat(user_id, "private", chat_api, forbidden=forbidden)
        return person

    def group(
        self,
        chat_id: int,
        title: str,
        members: Sequence[EmulatedUser] = (),
        *,
        username: str | None = None,
    ) -> EmulatedGroup:
        """Register (or return) a group the bot is a member of. Ids ≤ -10**12 are
        supergroups (Telegram's ``-100…`` ids)."""
        if chat_id in self.groups:
            return self.groups[chat_id]
        group = EmulatedGroup(self, chat_id, title, members, username)
        self.groups[chat_id] = group
        chat_api: dict[str, Any] = {"id": chat_id, "type": group.type, "title": title}
        if username:
            chat_api["username"] = username
        self._chats[chat_id] = _Chat(chat_id, group.type, chat_api)
        return group

    def adopt_file(self, info: FileInfo, kind: FileKind) -> None:
        """Know a file under the ids it already has, as Telegram keeps the files a bot was
        sent across the bot's restarts (the sandbox's demo evidence, kept between runs)."""
        self.files.adopt(info, kind)

    def block(self, chat_id: int, description: str = FORBIDDEN_BLOCKED) -> None:
        """Make every send to ``chat_id`` answer 403 ``description`` (no update is sent; the
        users' ``block_bot()`` also tells the bot through ``my_chat_member``)."""
        self._chat(chat_id).forbidden = description

    def unblock(self, chat_id: int) -> None:
        self._chat(chat_id).forbidden = None

    def add_listener(self, callback: Callable[[ChatEvent], None]) -> None:
        """Call ``callback(event)`` for everything the bot does in any chat (the terminal
        chat prints from here). Exceptions in a listener are logged, never reach the bot."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[ChatEvent], None]) -> None:
        self._listeners.remove(callback)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        chat_id: int | None = None,
        code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``, if given) with an
        error instead of performing them; later calls succeed again.

        Default descriptions: 400 "Bad Request: injected failure", 403 "Forbidden: bot was
        blocked by the user", 429 "Too Many Requests: retry after N" (``retry_after``
        defaults to 1 and is sent as ``parameters.retry_after``, so PTB raises
        ``RetryAfter``), 409 the getUpdates conflict, 5xx "Internal Server Error".
        """
        if code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: FORBIDDEN_BLOCKED,
                404: "Not Found",
                409: CONFLICT_POLL,
                429: f"Too Many Requests: retry after {retry_after}",
                502: "Bad Gateway",
            }.get(code, "Internal Server Error")
        parameters = {"retry_after": retry_after} if retry_after else None
        error = ApiError(code, description, parameters)
        for _ in range(times):
            self._faults.append(_Fault(method.lower(), chat_id, "error", error=error))

    def stall_next(
        self, method: str, chat_id: int | None = None, *, seconds: float, deliver: bool = True
    ) -> None:
        """Hold the response to the next ``method`` call for ``seconds`` (a slow network). With
        ``deliver=True`` the call takes effect first: a client with a shorter read timeout
        gets ``TimedOut`` although the message was sent — Telegram's "uncertain" case."""
        self._faults.append(
            _Fault(method.lower(), chat_id, "stall", seconds=seconds, deliver=deliver)
        )

    def drop_next(self, method: str, chat_id: int | None = None, *, deliver: bool = False) -> None:
        """Close the connection instead of answering the next ``method`` call (PTB raises
        ``NetworkError``); ``deliver=True`` performs the call first."""
        self._faults.append(_Fault(method.lower(), chat_id, "drop", deliver=deliver))

    # ------------------------------------------------------------------ inspection

    def calls_of(self, *methods: str) -> list[ApiCall]:
        """Recorded calls of the given methods (case-insensitive), in order."""
        wanted = {m.lower() for m in methods}
        return [c for c in self.calls if c.method.lower() in wanted]

    def errors(self) -> list[ApiCall]:
        """Recorded calls that failed."""
        return [c for c in self.calls if not c.ok]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet acknowledged by an ``offset`` (copies)."""
        return [dict(u) for u in self._updates]

    @property
    def waiting_polls(self) -> int:
        """How many ``getUpdates`` calls are being held open right now (long polling)."""
        return self._waiting_polls

    @property
    def unfetched_updates(self) -> list[dict[str, Any]]:
        """Updates no ``getUpdates`` has returned yet."""
        return [dict(u) for u in self._updates if u["update_id"] > self._fetched_up_to]

    def visible_commands(
        self, user_id: int, chat_id: int | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """The command menu a client shows ``user_id`` in ``chat_id`` (default: their
        private chat), resolved through scopes and language like Telegram's clients."""
        return self.commands.visible(
            user_id, user_id if chat_id is None else chat_id, language_code
        )

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the failure message must name what was awaited
        what: Callable[[], str] | str = "condition",
    ) -> T:
        """Wait until ``probe()`` returns something other than ``None`` and return it.

        ``probe`` is re-evaluated whenever the emulator's state changes (an API call, an
        update, a user action) — an event wait, not a sleep loop. Raises ``TimeoutError``
        naming ``what`` and the bot's latest calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed  # grabbed before probing: no change can slip between
            value = probe()
            if value is not None:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what if isinstance(what, str) else what()
                raise TimeoutError(f"{label} within {timeout} s; {self._recent_summary()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _recent_summary(self, n: int = 6) -> str:
        recent = [c for c in self.calls if c.method != "getUpdates"][-n:]
        if not recent:
            return "the bot made no API call besides getUpdates"
        parts = []
        for c in recent:
            outcome = "ok" if c.ok else f"{c.error_code} {c.description}"
            parts.append(f"{c.method}(chat {c.chat_id}) → {outcome}")
        return "latest bot calls: " + "; ".join(parts)

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token != self.token:
            if _TOKEN_SHAPE.match(token):
                return _json_response(ApiError(401, "Unauthorized").body(), 401)
            return _json_response(ApiError(404, "Not Found").body(), 404)
        name = request.match_info["method"]
        entry = self._methods.get(name.lower())
        if entry is None:
            self._record(name, {}, None, ApiError(404, "Not Found"), None)
            return _json_response(ApiError(404, "Not Found").body(), 404)
        method, impl = entry
        try:
            params = await _read_params(request)
        except ApiError as exc:
            self._record(method, {}, None, exc, None)
            return _json_response(exc.body(), exc.code)
        chat_id = _loggable_chat_id(params)
        fault = self._take_fault(method, chat_id)
        if fault is not None and fault.kind == "error" and fault.error is not None:
            return self._answer(method, params, chat_id, None, fault.error)
        if fault is not None and not fault.deliver:
            if fault.kind == "drop":
                self._record(method, params.loggable(), None, _DROPPED, chat_id)
                return _abort(request)
            # Slow on the way in: if the client gives up meanwhile, aiohttp cancels this
            # handler and the call never takes effect.
            await asyncio.sleep(fault.seconds)
            fault = None
        try:
            result = await impl(params)
        except ApiError as exc:
            return self._answer(method, params, chat_id, None, exc)
        except Exception:
            # A bug in the emulator must surface in the test, not as a hung bot.
            _LOGGER.exception("emulator failure in %s", method)
            error = ApiError(500, "Internal Server Error")
            return self._answer(method, params, chat_id, None, error)
        if fault is None:
            return self._answer(method, params, chat_id, result, None)
        # The call took effect; only the answer goes missing or comes late.
        self._record(method, params.loggable(), result, None, chat_id)
        if fault.kind == "drop":
            return _abort(request)
        await asyncio.sleep(fault.seconds)  # a slow network, not test timing
        return _json_response({"ok": True, "result": result}, 200)

    def _answer(
        self,
        method: str,
        params: Params,
        chat_id: int | None,
        result: Any,
        error: ApiError | None,
    ) -> web.Response:
        self._record(method, params.loggable(), result, error, chat_id)
        if error is not None:
            return _json_response(error.body(), error.code)
        return _json_response({"ok": True, "result": result}, 200)

    def _take_fault(self, method: str, chat_id: int | None) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.method == method.lower() and fault.chat_id in (None, chat_id):
                return self._faults.pop(i)
        return None

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        result: Any,
        error: ApiError | None,
        chat_id: int | None,
    ) -> None:
        retry_after = (error.parameters or {}).get("retry_after") if error else None
        self.calls.append(
            ApiCall(
                method=method,
                params=params,
                ok=error is None,
                result=result,
                error_code=error.code if error else None,
                description=error.description if error else None,
                retry_after=retry_after,
                chat_id=chat_id,
                at=self.now(),
            )
        )
        self._notify()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        not_found = _json_response(ApiError(404, "Not Found").body(), 404)
        if request.match_info["token"] != self.token:
            return not_found
        content = self.files.content_at(request.match_info["path"])
        if content is None:
            return not_found
        return web.Response(body=content, content_type="application/octet-stream")

    # ------------------------------------------------------------------ change signal

    def _notify(self) -> None:
        """Wake every waiter (long polls, next_reply …): set the current event, start a new
        one. Waiters grab the event before checking their condition, so none is missed."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _event(self, event: ChatEvent) -> None:
        self._chat(event.chat_id).events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                _LOGGER.exception("emulator listener failed on %s", event.kind)
        self._notify()

    # ------------------------------------------------------------------ updates

    def _add_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        if kind not in self._allowed_updates:
            return None
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # a pending getUpdates sees the new generation and answers 409
        offset = p.get_int("offset")
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        limit = p.get_int("limit") or 100
        limit = max(1, min(limit, 100))
        timeout = max(0.0, p.get_float("timeout") or 0.0)
        allowed = p.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLL)
            if self._updates or self._closing:
                batch = [dict(u) for u in self._updates[:limit]]
                if batch:
                    self._fetched_up_to = max(self._fetched_up_to, batch[-1]["update_id"])
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self._waiting_polls += 1
            self._notify()  # for waiting_polls watchers; grab the new event only after it
            changed = self._changed
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
            finally:
                self._waiting_polls -= 1

    async def _set_webhook(self, p: Params) -> bool:
        url = p.get_str("url")
        self.webhook_url = url or None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._poll_generation += 1
        self._notify()
        return True

    async def _delete_webhook(self, p: Params) -> bool:
        self.webhook_url = None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # ------------------------------------------------------------------ simple methods

    async def _get_me(self, p: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _harmless(self, p: Params) -> bool:
        return True

    async def _send_chat_action(self, p: Params) -> bool:
        chat = self._writable_chat(p)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        self._event(ChatEvent("action", chat.id, action=action))
        return True

    # ------------------------------------------------------------------ chats

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} is not registered with the emulator")
        return chat

    def _known_chat(self, p: Params, name: str = "chat_id") -> _Chat:
        raw = p.get_str(name)
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if raw.startswith("@"):
            for chat in self._chats.values():
                if chat.api.get("username", "").lower() == raw[1:].lower() and chat.id < 0:
                    return chat
            raise bad_request("chat not found")
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        found = self._chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def _writable_chat(self, p: Params) -> _Chat:
        chat = self._known_chat(p)
        if chat.forbidden:
            raise ApiError(403, chat.forbidden)
        return chat

    def _set_forbidden(
        self, chat_id: int, forbidden: str | None, *, by: EmulatedUser | None, status: str
    ) -> None:
        chat = self._chat(chat_id)
        old = "kicked" if chat.forbidden else "member"
        chat.forbidden = forbidden
        if by is None or old == status:
            return
        new_member: dict[str, Any] = {"user": self.bot_user, "status": status}
        if status == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"user": self.bot_user, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        self._add_update(
            "my_chat_member",
            {
                "chat": chat.api,
                "from": by.to_api(),
                "date": _ts(self.now()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    # ------------------------------------------------------------------ sending

    def _render(self, text: str, p: Params, *, caption: bool) -> _Rendered:
        """Parse ``text`` per ``parse_mode`` and apply the length rules (text: 1–4096
        characters after parsing; caption: ≤ 1024, may be empty)."""
        parse_mode = p.get_str("parse_mode") or None
        if parse_mode is None:
            field = "caption_entities" if caption else "entities"
            entities = p.get_json(field, what="entities") or []
            rendered = _Rendered(text, entities, html.escape(text, quote=False), None)
        elif parse_mode.lower() == "html":
            try:
                parsed = parse_html(text, strict=self.strict_html)
            except HtmlParseError as exc:
                raise ApiError(400, exc.description) from None
            rendered = _Rendered(parsed.text, parsed.entities, text, parse_mode)
        else:
            # The bot renders HTML only (DESIGN §5); other modes are not emulated.
            raise bad_request(f"unsupported parse_mode {parse_mode!r} (the sandbox emulates HTML)")
        if caption:
            if len(rendered.text) > CAPTION_LIMIT:
                raise bad_request("message caption is too long")
        else:
            if not rendered.text.strip():
                raise bad_request("message text is empty")
            if len(rendered.text) > TEXT_LIMIT:
                raise bad_request("message is too long")
        return rendered

    def _reply_target(self, chat: _Chat, p: Params) -> int | None:
        parameters = p.get_json("reply_parameters", what="reply parameters")
        allow_missing = p.get_bool("allow_sending_without_reply")
        target: int | None = None
        if isinstance(parameters, dict):
            target = parameters.get("message_id")
            allow_missing = allow_missing or bool(parameters.get("allow_sending_without_reply"))
        elif parameters is not None:
            raise bad_request("can't parse reply parameters JSON object")
        target = target if target is not None else p.get_int("reply_to_message_id")
        if target is None:
            return None
        if target not in chat.wire or target in chat.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return int(target)

    def _deliver(
        self,
        chat: _Chat,
        p: Params,
        content: dict[str, Any],
        rendered: _Rendered,
        *,
        document: FileInfo | None = None,
        photo: FileInfo | None = None,
    ) -> dict[str, Any]:
        """Everything validated: apply flood control, store, tell the chat; return the
        Bot API ``Message``."""
        markup = reply_markup(p)
        reply_to = self._reply_target(chat, p)
        self._flood.check(self.flood_limits, chat.id)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        now = self.now()
        raw: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": chat.api,
            "date": _ts(now),
            **content,
        }
        if reply_to is not None:
            replied = {k: v for k, v in chat.wire[reply_to].items() if k != "reply_to_message"}
            raw["reply_to_message"] = replied
        if markup and "inline_keyboard" in markup:
            raw["reply_markup"] = markup
        if p.get_bool("protect_content"):
            raw["has_protected_content"] = True
        chat.wire[message_id] = raw
        message = BotMessage(
            chat_id=chat.id,
            message_id=message_id,
            date=now,
            text=rendered.text,
            html=rendered.html,
            parse_mode=rendered.parse_mode,
            entities=tuple(rendered.entities),
            reply_markup=markup,
            buttons=buttons(markup),
            document=document,
            photo=photo,
            reply_to_message_id=reply_to,
            disable_notification=p.get_bool("disable_notification"),
            protect_content=p.get_bool("protect_content"),
            link_preview_options=p.get_json("link_preview_options"),
            raw=raw,
        )
        chat.bot_messages[message_id] = message
        self._flood.count(self.flood_limits, chat.id)
        self._event(ChatEvent("sent", chat.id, message=message))
        return raw

    async def _send_message(self, p: Params) -> dict[str, Any]:
        chat = self._writable_chat(p)
        text = p.get_str("text")
        if not text:
            raise bad_request("message text is empty")
        rendered = self._render(text, p, caption=False)
        content: dict[str, Any] = {"text": rendered.text}
        if rendered.entities:
            content["entities"] = rendered.entities
        options = p.get_json("link_preview_options")
        if options:
            content["link_preview_options"] = options
        return self._deliver(chat, p, content, rendered)

    def _caption(self, p: Params) -> tuple[dict[str, Any], _Rendered]:
        rendered = self._render(p.get_str("caption") or "", p, caption=True)
        content: dict[str, Any] = {}
        if rendered.text:
            content["caption"] = rendered.text
        if rendered.entities:
            content["caption_entities"] = rendered.entities
        return content, rendered

    async def _send_document(self, p: Params) -> dict[str, Any]:
        chat = self._writable_chat(p)
        stored = self.files.resolve(p, "document")
        content, rendered = self._caption(p)
        content["document"] = document_api(stored.info)
        return self._deliver(chat, p, content, rendered, document=stored.info)

    async def _send_photo(self, p: Params) -> dict[str, Any]:
        chat = self._writable_chat(p)
        stored = self.files.resolve(p, "photo")
        content, rendered = self._caption(p)
        content["photo"] = photo_api(stored.info)
        return self._deliver(chat, p, content, rendered, photo=stored.info)

    # ------------------------------------------------------------------ editing

    def _editable(self, p: Params) -> tuple[_Chat, BotMessage]:
        if "inline_message_id" in p:
            raise bad_request("message to edit not found")  # inline mode is not emulated
        chat = self._known_chat(p)
        message_id = p.get_int("message_id", error="message identifier is not specified")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        if chat.forbidden:
            raise ApiError(403, chat.forbidden)
        current = chat.bot_messages.get(message_id)
        if current is None:
            if message_id in chat.wire and message_id not in chat.deleted:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        if current.deleted:
            raise bad_request("message to edit not found")
        return chat, current

    def _apply_edit(
        self, chat: _Chat, current: BotMessage, raw_changes: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        """Store an edit: ``raw_changes`` are Message fields (``None`` removes one),
        ``fields`` the BotMessage fields that change."""
        now = self.now()
        raw = {k: v for k, v in chat.wire[current.message_id].items() if k not in raw_changes}
        raw.update({k: v for k, v in raw_changes.items() if v is not None})
        raw["edit_date"] = _ts(now)
        chat.wire[current.message_id] = raw
        edited = replace(current, **fields, edit_date=now, edits=current.edits + 1, raw=raw)
        chat.bot_messages[current.message_id] = edited
        self._event(ChatEvent("edited", chat.id, message=edited))
        return raw

    def _edit_content(self, p: Params, *, caption: bool) -> dict[str, Any]:
        """editMessageText / editMessageCaption: new text, entities and markup at once.
        Without ``reply_markup`` the keyboard goes, as on Telegram."""
        chat, current = self._editable(p)
        if caption and current.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        if not caption and current.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = p.get_str("caption" if caption else "text") or ""
        if not caption and not text:
            raise bad_request("message text is empty")
        rendered = self._render(text, p, caption=caption)
        markup = reply_markup(p)
        if (rendered.text, tuple(rendered.entities), markup) == (
            current.text,
            current.entities,
            current.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        text_key, entities_key = (
            ("caption", "caption_entities") if caption else ("text", "entities")
        )
        return self._apply_edit(
            chat,
            current,
            {
                text_key: rendered.text or None,
                entities_key: rendered.entities or None,
                "reply_markup": inline_only(markup),
            },
            text=rendered.text,
            html=rendered.html,
            parse_mode=rendered.parse_mode,
            entities=tuple(rendered.entities),
            reply_markup=markup,
            buttons=buttons(markup),
        )

    async def _edit_message_text(self, p: Params) -> dict[str, Any]:
        return self._edit_content(p, caption=False)

    async def _edit_message_caption(self, p: Params) -> dict[str, Any]:
        return self._edit_content(p, caption=True)

    async def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        chat, current = self._editable(p)
        markup = reply_markup(p)
        if markup == current.reply_markup or (not markup and not current.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(
            chat,
            current,
            {"reply_markup": inline_only(markup)},
            reply_markup=markup,
            buttons=buttons(markup),
        )

    async def _delete_message(self, p: Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        raw = chat.wire.get(message_id)
        if raw is None or message_id in chat.deleted:
            raise bad_request("message to delete not found")
        sent_at = datetime.fromtimestamp(raw["date"], UTC)
        if self.now() - sent_at > DELETE_WINDOW:
            raise bad_request("message can't be deleted")
        chat.deleted.add(message_id)
        current = chat.bot_messages.get(message_id)
        if current is not None:
            gone = replace(current, deleted=True)
            chat.bot_messages[message_id] = gone
            self._event(ChatEvent("deleted", chat.id, message=gone))
        else:
            self._notify()
        return True

    # ------------------------------------------------------------------ callbacks

    async def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.get_str("callback_query_id")
        query = self._queries.get(query_id or "")
        if query is None or query.answered:
            raise bad_request(QUERY_INVALID)
        query.answered = True
        answer = CallbackAnswer(
            query_id=query_id or "",
            user_id=query.user_id,
            chat_id=query.chat_id,
            message_id=query.message_id,
            data=query.data,
            text=p.get_str("text"),
            show_alert=p.get_bool("show_alert"),
            url=p.get_str("url"),
            cache_time=p.get_int("cache_time"),
        )
        self.answered_callbacks.append(answer)
        self._event(ChatEvent("answer", query.chat_id, answer=answer))
        return True

    # ------------------------------------------------------------------ files

    async def _get_file(self, p: Params) -> dict[str, Any]:
        return self.files.get_file(p.get_str("file_id"))

    # ------------------------------------------------------------------ commands

    async def _set_my_commands(self, p: Params) -> bool:
        return self.commands.set(p)

    async def _get_my_commands(self, p: Params) -> list[dict[str, str]]:
        return self.commands.get(p)

    async def _delete_my_commands(self, p: Params) -> bool:
        return self.commands.delete(p)

    # ------------------------------------------------------------------ user side

    def _user_message(
        self,
        user: EmulatedUser,
        chat_id: int,
        payload: dict[str, Any],
        text: str,
        *,
        reply_to: int | BotMessage | None = None,
    ) -> UserMessage:
        chat = self._chat(chat_id)
        if isinstance(reply_to, BotMessage):
            reply_to = reply_to.message_id
        if chat.type == "private" and chat_id != user.id:
            raise ValueError(f"{user!r} cannot write in another user's private chat {chat_id}")
        if chat.forbidden == FORBIDDEN_NOT_STARTED:
            chat.forbidden = None  # writing to the bot is what lets it answer
        elif chat.forbidden and chat.type == "private":
            raise RuntimeError(f"{user!r} has blocked the bot: await unblock_bot() first")
        elif chat.forbidden:
            raise RuntimeError(f"the bot is not in {chat_id}: await group.add_bot() first")
        now = self.now()
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": chat.api,
            "date": _ts(now),
            **payload,
        }
        if "text" in payload:
            entities = command_entities(payload["text"])
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            replied = chat.wire.get(reply_to)
            if replied is None:
                raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        chat.wire[message_id] = message
        update_id = self._add_update("message", message)
        return UserMessage(chat_id, message_id, update_id, text, now, message)

    def _user_file(
        self,
        user: EmulatedUser,
        chat_id: int,
        kind: FileKind,
        name: str,
        content: bytes | int,
        mime: str | None,
        caption: str | None,
        album: str | None = None,
    ) -> UserMessage:
        try:
            info = self.files.add(kind, name, content, mime).info
        except ApiError as exc:
            raise ValueError(f"cannot send that {kind}: {exc.description}") from None
        payload: dict[str, Any] = (
            {"document": document_api(info)} if kind == "document" else {"photo": photo_api(info)}
        )
        if caption:
            payload["caption"] = caption
        if album:
            payload["media_group_id"] = album
        return self._user_message(user, chat_id, payload, caption or "")

    def _press(self, user: EmulatedUser, chat_id: int, message_id: int, data: str) -> str:
        chat = self._chat(chat_id)
        raw = chat.wire.get(message_id)
        if raw is None or message_id in chat.deleted:
            raise LookupError(f"message {message_id} is not in chat {chat_id}")
        query_id = str(4_200_000_000_000_000 + next(self._query_ids))
        self._queries[query_id] = _Query(user.id, chat_id, message_id, data)
        self._add_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": raw,
                "chat_instance": str(abs(chat_id) * 7919 + self.bot_user["id"]),
                "data": data,
            },
        )
        return query_id


# ---------------------------------------------------------------------- helpers


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _loggable_chat_id(p: Params) -> int | None:
    try:
        return p.get_int("chat_id")
    except ApiError:
        return None


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON request body")
            values.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(
                        key, value.filename, value.content_type, value.file.read()
                    )
                else:
                    values[key] = value
    return Params(values, uploads)


_DROPPED = ApiError(0, "connection dropped by fault injection")


def _abort(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer (the client sees a network error)."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError  # aiohttp treats this like a vanished client


def _json_response(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
