"""The offline sandbox: the real bot, a simulated Telegram and a terminal chat in one process.

``python bot.py sandbox`` (and ``make run`` without a token) calls :func:`main` with the
:class:`BotDoors` it may use (the sandbox never imports ``bot.py``). One asyncio loop runs the
Bot API emulator on 127.0.0.1, the production Application (``doors.build_app``) polling it,
and the console (:mod:`sandbox.console`); bot and emulator share one
:class:`~app.clock.OffsetClock`, so ``/clock +3d`` moves the bot's "now" and the dates of the
messages alike.

The sandbox directory is ``<parent of [bot] data_dir>/sandbox-data`` — never the production
data directory (a config where the two overlap is refused)::

    sandbox-data/data/        the bot's data directory, seeded by sandbox.demo when missing
    sandbox-data/downloads/   documents and photos the bot sent, as the console saved them
    sandbox-data/bot.log      the bot's log (the terminal shows only the chat)
    sandbox-data/clock        the demo time at the last exit (a new run starts at real
                              time; ``/clock resume`` goes back to it)

The demo data is kept between runs; ``/reset yes`` (or ``main(config, fresh=True)``) deletes
and recreates it. The rooms of the sandbox's chat: :mod:`sandbox.terminal` (terminal I/O),
:mod:`sandbox.display` (what the bot does, printed), :mod:`sandbox.personas` (who you are
acting as), :mod:`sandbox.catchup` (the clock and the scheduled work that fell due),
:mod:`sandbox.console` (the command loop), this module (one run of it all).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from telegram.ext import Application

from app.clock import OffsetClock
from app.data import DataError, Store, kept_evidence, open_data
from app.services import Services
from config import Config, ConfigError
from ledger.figures import figures
from ledger.workflow import status_since
from locales import Catalog, Html
from locales.figures import figures_lines
from sandbox.catchup import save_clock, saved_clock
from sandbox.console import Console, Outcome
from sandbox.demo import DEMO_INSPECTOR, SeedResult, seed
from sandbox.emulator import Emulator
from sandbox.files import FileKind
from sandbox.groups import groups_line
from sandbox.personas import personas_of
from sandbox.ptb import polling
from sandbox.robots import RobotStub, sandbox_channels
from sandbox.terminal import LineReader, Screen, restore_terminal, terminal_state
from sandbox.users import FileInfo
from sandbox.words import Words, console_language

__all__ = [
    "BotDoors",
    "SandboxPaths",
    "data_summary",
    "main",
    "prepare_data",
    "restore_files",
    "run",
    "sandbox_config",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxPaths:
    """The sandbox directory and what lives in it (see the module docstring)."""

    root: Path

    @classmethod
    def for_config(cls, config: Config) -> SandboxPaths:
        """``<parent of data_dir>/sandbox-data``; ``ConfigError`` if it overlaps the data dir."""
        data_dir = config.data_dir.resolve()
        root = data_dir.parent / "sandbox-data"
        if root == data_dir or root in data_dir.parents or data_dir in root.parents:
            raise ConfigError(
                f"{config.path}: [bot] data_dir = {data_dir}: the sandbox would use {root}, "
                "which overlaps the data directory; choose another data_dir"
            )
        return cls(root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def staging(self) -> Path:
        return self.root / "data.new"

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def log(self) -> Path:
        return self.root / "bot.log"

    @property
    def clock(self) -> Path:
        return self.root / "clock"


def prepare_data(
    paths: SandboxPaths, *, fresh: bool, now: datetime, config: Config, inspector: int
) -> SeedResult | None:
    """Make sure ``paths.data`` holds a ledger: keep it (``None``), or — when it has no
    registry yet, or ``fresh`` — seed the demo into a staging directory and rename it into
    place, so a seed cut short never leaves a half-filled demo. Another process using the
    directory makes this raise ``DataDirInUse`` before anything is deleted."""
    if not fresh and (paths.data / "registry.json").exists():
        return None
    if paths.data.exists():
        open_data(paths.data).close()  # refuses while another sandbox holds it
        shutil.rmtree(paths.data)
    paths.clock.unlink(missing_ok=True)
    shutil.rmtree(paths.staging, ignore_errors=True)
    person = replace(DEMO_INSPECTOR, user_id=inspector)
    with open_data(paths.staging) as store:
        result = seed(store, now=now, rules=config.rules, tz=config.tz, inspector=person)
    paths.staging.rename(paths.data)
    return result


def sandbox_config(config: Config, data_dir: Path, emulator: Emulator, inspector: int) -> Config:
    """The config the sandboxed bot runs with: the emulator's URL and token, the demo data
    directory (backups inside it), and the config's inspectors — or, when it names none, the
    demo inspector ``inspector``."""
    inspectors = config.bot.inspectors or (inspector,)
    bot = replace(config.bot, data_dir=data_dir, api_url=emulator.url, inspectors=inspectors)
    return replace(config, bot=bot, backup=replace(config.backup, dir=None), token=emulator.token)


def restore_files(emulator: Emulator, store: Store) -> int:
    """Make every evidence file in the ledgers known to a fresh emulator under its recorded
    ``file_id``, as Telegram keeps files across a bot's restarts, so the bot can send them
    again; the content comes from the copy in the data directory. Returns how many."""
    count = 0
    for evidence, content in kept_evidence(store):
        # Telegram's file ids tell photos ("AgAC…") from documents; the emulator too.
        kind: FileKind = "photo" if evidence.file_id.startswith("AgAC") else "document"
        info = FileInfo(
            evidence.file_id,
            evidence.file_unique_id or evidence.file_id,
            evidence.size,
            name=None if kind == "photo" else evidence.name,
            mime_type=None if kind == "photo" else "application/octet-stream",
            content=content,
        )
        emulator.adopt_file(info, kind)
        count += 1
    return count


# --------------------------------------------------------------------------- running it


@dataclass(frozen=True)
class BotDoors:
    """What ``bot.py`` hands the sandbox (the sandbox never imports it): the production
    Application builder, the log set-up with the token mask (``bot.log_to``), and the wait
    for the start-up sweep."""

    build_app: Callable[[Config, Services], Application[Any, Any, Any, Any, Any, Any]]
    log_to: Callable[[logging.Handler, str | None, Sequence[str]], None]
    # Waits until the bot's start-up work (the start-up sweep) is done: its alerts are then
    # summed up before the first prompt (alerts.jobs.wait_started). None: nothing to wait for.
    started: Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]] | None = None


def main(config: Config, *, doors: BotDoors, fresh: bool = False) -> int:
    """Run the sandbox in this terminal until /quit, Ctrl-D, Ctrl-C or SIGTERM; return 0.

    ``fresh`` deletes and recreates the demo data first. A data directory that cannot be used
    (another sandbox holds it, a damaged file) is reported in the console's words with a hint,
    and returns 1. ``ConfigError`` (a data_dir overlapping the sandbox's) propagates.
    """
    stdin, stdout = sys.stdin, sys.stdout
    saved_tty = terminal_state(stdin)
    try:
        return asyncio.run(run(config, doors=doors, fresh=fresh, stdin=stdin, stdout=stdout))
    finally:
        restore_terminal(stdin, saved_tty)


async def run(
    config: Config, *, doors: BotDoors, fresh: bool, stdin: TextIO, stdout: TextIO
) -> int:
    """:func:`main` inside the loop (see there)."""
    catalog = Catalog.load()
    words = Words(catalog, console_language(config, os.environ))
    paths = SandboxPaths.for_config(config)
    interactive = stdin.isatty() and stdout.isatty()
    ansi = stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    screen = Screen(stdout, ansi=ansi, interactive=interactive)
    banner = "banner" if config.token else "banner_no_token"
    screen.show(words(banner, dir=paths.root))
    paths.root.mkdir(parents=True, exist_ok=True)
    # One token for the whole process (every session's emulator), so the log's mask holds.
    token = f"7000000001:{secrets.token_urlsafe(26)}"
    _log_to_file(doors, paths.log, token, config.channels.secrets)
    screen.show(words("log", path=paths.log))

    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lines.put_nowait, None)
    reader = LineReader(stdin, screen)
    reader.start(loop, lines)
    try:
        while True:
            try:
                outcome = await _session(
                    config,
                    doors,
                    paths,
                    fresh=fresh,
                    token=token,
                    words=words,
                    catalog=catalog,
                    screen=screen,
                    reader=reader,
                    lines=lines,
                )
            except DataError as exc:
                log.error("the sandbox data directory cannot be used", exc_info=exc)
                screen.show(words("data_error", error=exc))
                screen.show(words("data_hint", dir=paths.data))
                return 1
            if outcome is Outcome.QUIT:
                break
            screen.show(words("resetting"))
            fresh = True
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    screen.show(words("bye"))
    return 0


async def _session(
    config: Config,
    doors: BotDoors,
    paths: SandboxPaths,
    *,
    fresh: bool,
    token: str,
    words: Words,
    catalog: Catalog,
    screen: Screen,
    reader: LineReader,
    lines: asyncio.Queue[str | None],
) -> Outcome:
    """One life of emulator + bot + console on the demo data, until quit or reset."""
    # A new run starts at real time; the demo time of the last exit is offered (/clock resume).
    clock = OffsetClock()
    resume_at = None if fresh else saved_clock(paths.clock)
    if resume_at is not None and abs(resume_at - clock.now()) < timedelta(minutes=1):
        resume_at = None
    inspectors = config.bot.inspectors or (DEMO_INSPECTOR.user_id,)
    seeded = await asyncio.to_thread(
        prepare_data, paths, fresh=fresh, now=clock.now(), config=config, inspector=inspectors[0]
    )
    store = await asyncio.to_thread(open_data, paths.data)
    try:
        emulator = Emulator(token=token, clock=clock)
        await emulator.start()
        robots = RobotStub(now=clock.now)
        await robots.start()
        try:
            sandboxed = sandbox_config(config, paths.data, emulator, inspectors[0])
            codes = [u.code for u in store.registry.list_units()]
            sandboxed = replace(
                sandboxed, channels=sandbox_channels(config.channels, robots, codes)
            )
            app = doors.build_app(sandboxed, Services.create(sandboxed, store, clock, catalog))
            restore_files(emulator, store)
            units = [u.code for u in store.registry.list_units()]
            console = Console(
                emulator=emulator,
                app=app,
                clock=clock,
                tz=config.tz,
                personas=personas_of(store.registry.list_people(), inspectors, words),
                units=units,
                words=words,
                screen=screen,
                downloads=paths.downloads,
                user_language="en" if words.lang == "en" else "zh-hans",
                clock_file=paths.clock,
                reset_dir=paths.data,
                robots=robots,
                resume_at=resume_at,
            )
            emulator.add_listener(console.on_event)
            screen.show(data_summary(words, store, seeded, config, clock.now()))
            screen.show(
                groups_line(catalog, words.lang, sandboxed.channels, store.registry.list_units())
            )
            async with polling(app):
                # What run_polling does around polling and sandbox.ptb.polling does not: the
                # bot's own start-up work (command menus, the start-up sweep …). Its alerts
                # are summed up in one line, not printed before the first prompt.
                console.hold()
                if app.post_init is not None:
                    await app.post_init(app)
                if doors.started is not None:
                    try:
                        await doors.started(app)
                    except TimeoutError:
                        log.warning("the start-up sweep is still running; its alerts follow")
                console.release()
                me = console.persona
                screen.show(
                    words(
                        "ready", persona=words.persona(me), name=me.name, time=console.now_text()
                    )
                )
                if resume_at is not None:
                    screen.show(words("clock_resume_hint", time=words.time(resume_at, config.tz)))
                while True:
                    screen.prompt = console.prompt
                    reader.ready()
                    line = await lines.get()
                    outcome = Outcome.QUIT if line is None else await console.handle(line)
                    if not reader.tty:
                        # A script piped in: each line's answer before the next line.
                        await console.idle()
                    if outcome is not None:
                        break
                await console.close()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
        finally:
            await robots.stop()
            await emulator.stop()
    finally:
        with contextlib.suppress(OSError):
            save_clock(paths.clock, clock)
        store.close()
    return outcome


def data_summary(
    words: Words, store: Store, seeded: SeedResult | None, config: Config, now: datetime
) -> str:
    """The start line: the demo's units and its figures (``ledger.figures``, as /units shows
    them: the status parts, the lights of the open items, 超期, rates)."""
    units = store.registry.list_units()
    items, since = [], {}
    for unit in units:
        ledger = store.ledger(unit.code)
        for item in ledger.items():
            items.append(item)
            entered = status_since(ledger.events(item.id))  # the lights /open shows
            if entered is not None:
                since[item.id] = entered
    f = figures(items, now, config.tz, config.rules, status_since=since)

    def t(key: str, **params: Any) -> Html:
        return Html(words.core(key, **params))

    block = "\n".join(figures_lines(t, f, config.rules.yellow_days, lights=True))
    return words("kept" if seeded is None else "seeded", units=len(units), figures=block)


def _log_to_file(
    doors: BotDoors, path: Path, token: str, robot_secrets: Sequence[str] = ()
) -> None:
    """Send the bot's log (and Python warnings) to ``path`` instead of the terminal, with the
    token mask (R26); the level stays what ``bot.py`` set (INFO, or DEBUG with --debug)."""
    doors.log_to(logging.FileHandler(path, encoding="utf-8"), token, robot_secrets)
    logging.captureWarnings(True)
    log.info("sandbox console started; the bot's log follows")
