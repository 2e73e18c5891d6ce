"""The sandbox's command loop: one chat session that reads console lines and speaks to the bot
as a persona.

A line is either a console command or text sent to the bot as the current persona: ``/as``,
``/who``, ``/personas``, a bare number (press that button on the latest message printed whole
with buttons), ``/send PATH [caption]``, ``/inbox [N]``, ``/clock [shift|now|resume]``,
``/groups``, ``/reset yes``, ``/help`` (also sent on to the bot), ``/quit`` (or Ctrl-D,
Ctrl-C, SIGTERM). Everything the bot does in any chat is printed by :mod:`sandbox.display`.
Lines piped in instead of typed (``printf '/as HZ contact\n/open\n1\n' | python bot.py
sandbox``) are taken one at a time, each after the bot has answered the previous one.

Scheduled work: PTB's JobQueue fires on real time, so after ``/clock`` moved the demo clock
:func:`sandbox.catchup.on_clock_moved` runs the scheduled jobs that fell due in between.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import shlex
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from telegram.ext import Application

from app.clock import OffsetClock
from sandbox.botapi import DOWNLOAD_LIMIT, ApiError
from sandbox.catchup import job_words, on_clock_moved, parse_shift, save_clock
from sandbox.client import Client, LinkButton, NoSuchButton
from sandbox.display import INBOX_MESSAGES, Display
from sandbox.emulator import Emulator
from sandbox.groups import group_messages
from sandbox.personas import NoPersona, Persona, find_persona
from sandbox.robots import RobotStub
from sandbox.terminal import Screen
from sandbox.users import ChatEvent
from sandbox.words import Words

__all__ = ["REPLY_WAIT", "Console", "Outcome"]

log = logging.getLogger(__name__)

REPLY_WAIT = 3.0  # seconds without any reaction before the console says the bot was silent


class Outcome(enum.Enum):
    """How a console session ended."""

    QUIT = "quit"
    RESET = "reset"


class Console:
    """One chat session: reads console lines, speaks to the bot as a persona, prints what the
    bot does through its :class:`~sandbox.display.Display` (register :meth:`on_event` with
    ``emulator.add_listener``).

    ``app`` is the running Application (its JobQueue is what :func:`on_clock_moved` runs);
    ``clock`` the OffsetClock the bot and the emulator share; ``clock_file`` where ``/clock``
    saves it (``None``: not saved).
    """

    def __init__(
        self,
        *,
        emulator: Emulator,
        app: Application[Any, Any, Any, Any, Any, Any],
        clock: OffsetClock,
        tz: tzinfo,
        personas: Sequence[Persona],
        units: Sequence[str],
        words: Words,
        screen: Screen,
        downloads: Path,
        user_language: str,
        clock_file: Path | None = None,
        reset_dir: Path | None = None,
        reply_wait: float = REPLY_WAIT,
        robots: RobotStub | None = None,
        resume_at: datetime | None = None,
    ) -> None:
        if not personas:
            raise ValueError("the console needs at least one persona")
        self.emulator = emulator
        self.app = app
        self.clock = clock
        self.tz = tz
        self.personas = list(personas)
        self.units = list(units)
        self.words = words
        self.screen = screen
        self.downloads = downloads
        self.user_language = user_language
        self.clock_file = clock_file
        self.reset_dir = reset_dir
        self.reply_wait = reply_wait
        self.robots = robots  # the 企业微信 / 钉钉 group robots' stand-ins (/groups)
        self.resume_at = resume_at  # the demo time at the last exit (/clock resume)
        self.persona = self.personas[0]
        self.display = Display(
            emulator=emulator,
            screen=screen,
            words=words,
            personas=self.personas,
            current=lambda: self.persona,
            downloads=downloads,
        )
        self._role_words = words.role_words()
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands: dict[str, Callable[[str], Any]] = {
            "/help": self._help,
            "/as": self._as,
            "/who": self._who,
            "/personas": self._list_personas,
            "/clock": self._clock,
            "/send": self._send_file,
            "/reset": self._reset,
            "/groups": self._groups,
            "/inbox": self._inbox,
        }
        # Everyone has opened the chat with the bot, as people bound through an invite have:
        # an alert to a persona not yet played must reach them, not answer "chat not found".
        for persona in self.personas:
            self._client(persona)

    # ------------------------------------------------------------------ reading

    @property
    def prompt(self) -> str:
        return self.words("prompt", persona=self.words.persona(self.persona))

    async def handle(self, line: str) -> Outcome | None:
        """Act on one line; an :class:`Outcome` ends the session. Failures of a command are
        shown and logged; they never end the session."""
        text = line.strip()
        if not text:
            return None
        command, _, rest = text.partition(" ")
        command = command.lower()
        if command in ("/quit", "/exit"):
            return Outcome.QUIT
        try:
            if text.isdigit():
                await self._press(int(text))
            elif command in self._commands:
                result = await self._commands[command](rest.strip())
                if isinstance(result, Outcome):
                    return result
            else:
                await self._say(text)
        except (ApiError, LookupError, ValueError, OSError) as exc:
            log.warning("console command %r failed", text, exc_info=exc)
            self.screen.show(self.words("failed", error=exc))
        return None

    async def idle(self) -> None:
        """Wait until the bot reacted, or the console said it did not, to everything sent so
        far (each pending watch ends within ``reply_wait`` seconds)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop waiting for replies (the session is ending)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ commands

    async def _help(self, rest: str) -> None:
        self.screen.show(self.words("help", downloads=self.downloads))
        await self._say("/help")

    async def _as(self, rest: str) -> None:
        if not rest:
            await self._list_personas(rest)
            return
        try:
            found = find_persona(rest, self.personas, self.units, self._role_words)
        except NoPersona as nobody:
            params = dict(nobody.params)
            if "role" in params:
                params["role"] = self.words.core(f"role.{params['role']}")
            self.screen.show(self.words(nobody.key, **params))
            return
        if found.role is None:
            found = replace(found, name=self.words("stranger_name"))
        self.persona = found
        self._client(found)
        self.screen.show(
            self.words("switched", persona=self.words.persona(found), name=found.name)
        )

    async def _who(self, rest: str) -> None:
        p = self.persona
        self.screen.show(
            self.words("who", persona=self.words.persona(p), name=p.name, id=p.user_id)
        )

    async def _list_personas(self, rest: str) -> None:
        rows = [self.words("personas")]
        for p in self.personas:
            mark = self.words("current") if p.user_id == self.persona.user_id else ""
            rows.append(
                self.words(
                    "persona_row",
                    how=p.how,
                    persona=self.words.persona(p),
                    name=p.name,
                    id=p.user_id,
                    mark=mark,
                )
            )
        self.screen.show("\n".join(rows))

    async def _clock(self, rest: str) -> None:
        arg = rest.strip().lower()
        if not arg:
            self.screen.show(self.words("clock_now", time=self.now_text(), offset=self._offset()))
            return
        before = self.clock.now()
        if arg == "now":
            self.clock.offset = timedelta(0)
        elif arg == "resume":
            if self.resume_at is None:
                self.screen.show(self.words("clock_no_resume"))
                return
            self.clock.offset += self.resume_at - before
            self.resume_at = None
        else:
            shift = parse_shift(arg)
            if shift is None:
                self.screen.show(self.words("clock_bad", arg=rest))
                return
            self.clock.advance(shift)
        after = self.clock.now()
        self.screen.show(self.words("clock_moved", time=self.now_text(), offset=self._offset()))
        if self.clock_file is not None:
            await asyncio.to_thread(save_clock, self.clock_file, self.clock)
        ran = await on_clock_moved(self.app, before, after)
        named = job_words(self.words, ran)
        if named:
            names = self.words("list_separator").join(named)
            self.screen.show(self.words("jobs_ran", names=names))

    async def _send_file(self, rest: str) -> None:
        try:
            args = shlex.split(rest)
        except ValueError:
            args = []
        if not args:
            self.screen.show(self.words("send_usage"))
            return
        client = self._client(self.persona)
        self.display.wrote(client.id)
        try:
            sent = await client.upload(args[0], caption=" ".join(args[1:]) or None)
        except FileNotFoundError as missing:
            self.screen.show(self.words("send_missing", path=missing.filename))
            return
        who = self.words.persona(self.persona)
        if sent.declared_only:
            # Only declared: the bot must refuse it before downloading (R25), as on Telegram.
            mb = DOWNLOAD_LIMIT // (1024 * 1024)
            self.screen.show(
                self.words("sent_declared", name=sent.name, persona=who, mb=mb, size=sent.size)
            )
        else:
            self.screen.show(self.words("sent_file", name=sent.name, persona=who, size=sent.size))
        self._expect_reply(client)

    async def _groups(self, rest: str) -> None:
        """What each group robot received (the latest :data:`GROUP_MESSAGES`), as the group
        would show it: the markdown the robot was sent."""
        services = self.app.bot_data["services"]
        units = services.store.registry.list_units()
        for text in group_messages(
            services.catalog, self.words, services.config.channels, units, self.robots, self.tz
        ):
            self.screen.show(text)

    async def _reset(self, rest: str) -> Outcome | None:
        if not self.words.confirms(rest):
            self.screen.show(self.words("reset_confirm", dir=self.reset_dir or ""))
            return None
        return Outcome.RESET

    async def _say(self, text: str) -> None:
        client = self._client(self.persona)
        self.display.wrote(client.id)
        await client.send_text(text)
        self._expect_reply(client)

    async def _press(self, n: int) -> None:
        client = self._client(self.persona)
        # The buttons numbered are those of the latest message printed whole.
        message = client.latest_with_buttons(self.display.printed_whole)
        if message is None:
            self.screen.show(self.words("no_buttons"))
            return
        self.display.pressed(client.id, message.message_id)  # its answer is printed whole
        try:
            _, button = await client.press(n, message)
        except NoSuchButton as missing:
            self.screen.show(self.words("no_such_button", n=n, count=missing.count))
            return
        except LinkButton as link:
            self.screen.show(self.words("url_button", url=link.url))
            return
        self.screen.show(self.words("pressed", n=n, text=button.text))
        self._expect_reply(client)

    # ------------------------------------------------------------------ helpers

    def _client(self, persona: Persona) -> Client:
        """The persona's Telegram app (registered with the emulator on first use)."""
        return Client.of(
            self.emulator, persona.user_id, persona.name, language_code=self.user_language
        )

    def _expect_reply(self, client: Client) -> None:
        """Say so if the bot does nothing at all in this chat within ``reply_wait`` seconds
        (no message, edit, toast or chat action): a command it does not handle."""
        seen = len(client.events)

        async def watch() -> None:
            if not await client.reacted(seen, self.reply_wait):
                self.screen.show(self.words("no_reply", seconds=f"{self.reply_wait:g}"))

        task = asyncio.create_task(watch())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def now_text(self) -> str:
        """The demo time as the console shows it."""
        return self.words.time(self.clock.now(), self.tz)

    def _offset(self) -> str:
        offset = self.clock.offset
        if abs(offset) < timedelta(minutes=1):
            return ""
        return self.words("clock_offset", delta=self.words.duration(offset))

    # ------------------------------------------------------------------ what the bot does

    def on_event(self, event: ChatEvent) -> None:
        """Print what the bot did in any chat (:meth:`sandbox.display.Display.on_event`)."""
        self.display.on_event(event)

    def hold(self) -> None:
        """Sum up the bot's messages from now on instead of printing them (start-up)."""
        self.display.hold()

    def release(self) -> None:
        """Print the held messages' one-line summary; print messages as they come again."""
        self.display.release()

    async def _inbox(self, rest: str) -> None:
        n = int(rest) if rest.strip().isdigit() and int(rest) > 0 else INBOX_MESSAGES
        self.display.inbox(self._client(self.persona).messages(), n)

    # ------------------------------------------------------------------ what the bot does
