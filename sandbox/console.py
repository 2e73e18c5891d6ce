"""The offline sandbox: the real bot, a simulated Telegram and a terminal chat in one process.

``python bot.py sandbox`` (and ``make run`` without a token) calls :func:`main` with the
:class:`BotDoors` it may use (the sandbox never imports ``bot.py``). One asyncio loop runs the
Bot API emulator on 127.0.0.1, the production Application (``doors.build_app``) polling it,
and this console; bot and emulator share one :class:`~app.clock.OffsetClock`,
so ``/clock +3d`` moves the bot's "now" and the dates of the messages alike.

The sandbox directory is ``<parent of [bot] data_dir>/sandbox-data`` — never the production
data directory (a config where the two overlap is refused)::

    sandbox-data/data/        the bot's data directory, seeded by sandbox.demo when missing
    sandbox-data/downloads/   documents and photos the bot sent, as the console saved them
    sandbox-data/bot.log      the bot's log (the terminal shows only the chat)
    sandbox-data/clock        the demo time at the last exit (a new run starts at real
                              time; ``/clock resume`` goes back to it)

The demo data is kept between runs; ``/reset yes`` (or ``main(config, fresh=True)``) deletes
and recreates it.

In the chat, a line is either a console command or text sent to the bot as the current
persona: ``/as``, ``/who``, ``/personas``, a bare number (press that button on the latest
message with buttons), ``/send PATH [caption]``, ``/inbox [N]``,
``/clock [shift|now|resume]``, ``/reset yes``,
``/help`` (also sent on to the bot), ``/quit`` (or Ctrl-D, Ctrl-C, SIGTERM). Everything the
bot does in any chat is printed: in the current persona's chat plainly, elsewhere under the
recipient's name, so alerts to others show up as they are sent — except the start-up
sweep's, summed up in one line before the first prompt, and edits of earlier messages (a card
redrawn after an upload), noted in one line. Lines piped in instead of
typed (``printf '/as HZ contact\n/open\n1\n' | python bot.py sandbox``) are taken one at a
time, each after the bot has answered the previous one.

Scheduled work: PTB's JobQueue fires on real time, so after ``/clock`` moved the demo clock
:func:`on_clock_moved` runs the scheduled jobs that fell due in between (the hook for alerts).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TextIO

from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from telegram.ext import Application

from alerts.channels.notices import group_name, kind_name
from app.clock import OffsetClock
from app.services import Services
from config import Config, ConfigError
from ledger.figures import figures
from ledger.model import Role
from ledger.workflow import status_since
from locales import Catalog, Html
from locales.figures import figures_lines
from sandbox.botapi import DOWNLOAD_LIMIT, ApiError
from sandbox.demo import DEMO_INSPECTOR, SeedResult, seed
from sandbox.emulator import Emulator
from sandbox.files import FileKind, StoredFile, image_format
from sandbox.ptb import polling
from sandbox.robots import RobotStub, sandbox_channels
from sandbox.users import BotMessage, ChatEvent, ChatView, EmulatedUser, FileInfo
from storage.errors import StorageError
from storage.repo import Store

__all__ = [
    "Console",
    "LineReader",
    "NoPersona",
    "Outcome",
    "Persona",
    "SandboxPaths",
    "Screen",
    "Words",
    "find_persona",
    "main",
    "on_clock_moved",
    "parse_shift",
    "prepare_data",
    "restore_files",
    "terminal_text",
]

log = logging.getLogger(__name__)

GROUP_MESSAGES = 5  # /groups shows each group's latest messages
INBOX_MESSAGES = 3  # /inbox shows the current persona's latest messages
REPLY_WAIT = 3.0  # seconds without any reaction before the console says the bot was silent
PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
_SHIFT = re.compile(r"^([+-])((?:\d{1,6}[wdhm])+)$")
_SHIFT_PART = re.compile(r"(\d+)([wdhm])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_MAX_SHIFT = timedelta(days=3660)


class Outcome(enum.Enum):
    """How a console session ended."""

    QUIT = "quit"
    RESET = "reset"


# --------------------------------------------------------------------------- places


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
        Store.open(paths.data).close()  # refuses while another sandbox holds it
        shutil.rmtree(paths.data)
    paths.clock.unlink(missing_ok=True)
    shutil.rmtree(paths.staging, ignore_errors=True)
    person = replace(DEMO_INSPECTOR, user_id=inspector)
    with Store.open(paths.staging) as store:
        result = seed(store, now=now, rules=config.rules, tz=config.tz, inspector=person)
    paths.staging.rename(paths.data)
    return result


def saved_clock(path: Path) -> datetime | None:
    """The demo clock's instant saved at the last exit, if any (``None`` when missing,
    unreadable or naive). A new run starts at real time; ``/clock resume`` goes back to it."""
    try:
        saved = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return saved if saved.tzinfo is not None else None


def save_clock(path: Path, clock: OffsetClock) -> None:
    """Remember the demo clock's current instant (temp file + rename: never a torn file)."""
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(clock.now().isoformat(), encoding="utf-8")
    temp.replace(path)


def sandbox_config(config: Config, data_dir: Path, emulator: Emulator, inspector: int) -> Config:
    """The config the sandboxed bot runs with: the emulator's URL and token, the demo data
    directory (backups inside it), and the config's inspectors — or, when it names none, the
    demo inspector ``inspector``."""
    inspectors = config.bot.inspectors or (inspector,)
    bot = replace(config.bot, data_dir=data_dir, api_url=emulator.url, inspectors=inspectors)
    return replace(config, bot=bot, backup=replace(config.backup, dir=None), token=emulator.token)


# --------------------------------------------------------------------------- personas


@dataclass(frozen=True)
class Persona:
    """Someone the console can speak as. ``role`` is ``None`` for a stranger (any user id the
    bot does not know); ``how`` is what to type after ``/as``."""

    user_id: int
    name: str
    role: Role | None
    unit: str | None = None

    @property
    def how(self) -> str:
        if self.role is Role.INSPECTOR:
            return "inspector"
        if self.role is not None and self.unit:
            return f"{self.unit} {self.role}"
        return str(self.user_id)


def personas_of(store: Store, inspectors: Sequence[int], words: Words) -> list[Persona]:
    """Inspectors first (the config's, else the demo's), then each unit's contacts and leaders
    as bound in the registry."""
    people = [
        Persona(
            uid, DEMO_INSPECTOR.name if n == 0 else words("inspector_name", id=uid), Role.INSPECTOR
        )
        for n, uid in enumerate(inspectors)
    ]
    bound = store.registry.list_people()
    order = {Role.CONTACT: 0, Role.LEADER: 1}
    for person in sorted(
        (p for p in bound if p.role in order),
        key=lambda p: (p.unit or "", order[p.role], p.user_id),
    ):
        people.append(Persona(person.user_id, person.name, person.role, person.unit))
    return people


class NoPersona(Exception):
    """``/as`` named nobody; ``key`` (``sandbox.<key>``) and ``params`` word the reason."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def find_persona(
    arg: str, personas: Sequence[Persona], units: Sequence[str], role_words: Mapping[str, Role]
) -> Persona:
    """The persona ``/as ARG`` names: ``inspector``, ``<UNIT> contact``, ``<UNIT> leader``
    (either order, any case, or any word of ``role_words``: 巡察组, 联络员, 负责人 …), or a
    user id. An id nobody holds is a stranger the bot does not know — worth trying too.
    Raises :class:`NoPersona`."""
    words = arg.split()
    if len(words) == 1 and words[0].isdigit() and int(words[0]) > 0:
        uid = int(words[0])
        return next((p for p in personas if p.user_id == uid), Persona(uid, "", None))
    roles = [role_words[w.lower()] for w in words if w.lower() in role_words]
    others = [w for w in words if w.lower() not in role_words]
    if len(roles) != 1 or len(others) != (0 if roles[0] is Role.INSPECTOR else 1):
        raise NoPersona("unknown_persona", arg=arg)
    role = roles[0]
    unit = others[0].upper() if others else None
    if unit is not None and unit not in units:
        raise NoPersona("unknown_unit", unit=unit, units=" ".join(units))
    found = next((p for p in personas if p.role is role and p.unit == unit), None)
    if found is None:
        raise NoPersona("no_person", unit=unit or "", role=role)
    return found


# --------------------------------------------------------------------------- words


class Words:
    """The console's words in its language (``locales/*/sandbox.toml``), as plain text."""

    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog = catalog
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return self.catalog.plain(self.lang, f"sandbox.{key}", **params)

    def core(self, key: str, **params: Any) -> str:
        """A word shared with the bot (``role.contact``, ``light.red`` …)."""
        return self.catalog.plain(self.lang, key, **params)

    def role_words(self) -> dict[str, Role]:
        """What ``/as`` accepts for each role: its name (``contact``) and the words of every
        language (``sandbox.as_<role>``: 联络员 …), lower-cased."""
        found = {str(role): role for role in Role}
        for lang in self.catalog.messages:
            for role in Role:
                for word in self.catalog.plain(lang, f"sandbox.as_{role}").split():
                    found[word.lower()] = role
        return found

    def confirms(self, answer: str) -> bool:
        """Is ``answer`` a "yes" in any language (``sandbox.confirm``)?"""
        words = {
            w.lower()
            for lang in self.catalog.messages
            for w in self.catalog.plain(lang, "sandbox.confirm").split()
        }
        return answer.strip().lower() in words

    def persona(self, p: Persona) -> str:
        """How the prompt names a persona: 巡察组 / HZ 联络员 / 访客 424242."""
        if p.role is None:
            return self("stranger", id=p.user_id)
        if p.role is Role.INSPECTOR:
            return self.core("role.inspector")
        return self("persona_unit", unit=p.unit, role=self.core(f"role.{p.role}"))

    def time(self, moment: datetime, tz: tzinfo) -> str:
        """``2026-03-02 09:00 周一 (Asia/Shanghai)``."""
        local = moment.astimezone(tz)
        weekday = self("weekdays").split()[local.weekday()]
        return f"{local:%Y-%m-%d %H:%M} {weekday} ({tz})"

    def duration(self, delta: timedelta) -> str:
        """``+3 天 2 小时`` — the non-zero parts, whole minutes."""
        sign = "-" if delta < timedelta(0) else "+"
        minutes = int(abs(delta).total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            self(key, n=n) for key, n in (("days", days), ("hours", hours), ("minutes", minutes))
        ]
        shown = [p for p, n in zip(parts, (days, hours, minutes), strict=True) if n]
        return sign + " ".join(shown or parts[-1:])


def console_language(config: Config, env: Mapping[str, str]) -> str:
    """The configured language; with ``auto``, the terminal's (``LANG``), else zh-CN."""
    if config.bot.language != "auto":
        return config.bot.language
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "en" if locale.lower().startswith("en") else "zh-CN"


# --------------------------------------------------------------------------- rendering

_STYLES = {
    "b": "1",
    "strong": "1",
    "i": "3",
    "em": "3",
    "u": "4",
    "ins": "4",
    "s": "9",
    "strike": "9",
    "del": "9",
    "code": "36",
    "pre": "36",
    "tg-spoiler": "7",
    "blockquote": "2",
}


class _TerminalHtml(HTMLParser):
    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.parts: list[str] = []
        self.styles: list[str | None] = []
        self.links: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "span" and values.get("class") == "tg-spoiler":
            tag = "tg-spoiler"
        if tag == "a":
            self.links.append((values.get("href") or "", []))
        self.styles.append(_STYLES.get(tag))
        self._restyle()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, text = self.links.pop()
            if href and href != "".join(text):
                self.parts.append(f" ({href})")
        if self.styles:
            self.styles.pop()
            self._restyle()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        for _, text in self.links:
            text.append(data)

    def _restyle(self) -> None:
        if self.ansi:
            self.parts.append("\x1b[0m" + "".join(f"\x1b[{c}m" for c in self.styles if c))

    def result(self) -> str:
        self.close()
        return "".join(self.parts) + ("\x1b[0m" if self.ansi and self.parts else "")


def terminal_text(markup: str, *, ansi: bool) -> str:
    """Telegram HTML as terminal text: entities unescaped, links followed by their URL when it
    differs from the text, and — with ``ansi`` — bold, italic, underline, strike-through,
    code and spoilers as ANSI styles (without, just the text)."""
    parser = _TerminalHtml(ansi)
    parser.feed(markup)
    return parser.result()


def button_lines(message: BotMessage) -> list[str]:
    """Inline buttons numbered from 1 across rows, one line per row; link buttons show the
    link they open."""
    lines = []
    for row in message.buttons:
        cells = []
        for b in row:
            cell = f"[{b.index + 1}] {b.text}"
            cells.append(cell if b.url is None else f"{cell} ({b.url})")
        lines.append("  ".join(cells))
    return lines


def reply_keyboard(message: BotMessage) -> list[str]:
    """The labels of a reply keyboard (``ReplyKeyboardMarkup``), if the message has one."""
    markup = message.reply_markup or {}
    rows = markup.get("keyboard") or []
    labels = []
    for row in rows:
        for key in row:
            labels.append(key.get("text", "") if isinstance(key, dict) else str(key))
    return [label for label in labels if label]


# --------------------------------------------------------------------------- the terminal


class Screen:
    """Where the console writes. On an interactive terminal a line printed while the user is
    typing first clears the prompt line, then puts the prompt and what was typed back, so bot
    messages arriving at any time never tear the input line."""

    def __init__(self, out: TextIO, *, ansi: bool, interactive: bool) -> None:
        self.out = out
        self.ansi = ansi
        self.interactive = interactive
        self.prompt = ""
        self.reading = False  # set by the reader while it waits in input()
        self._lock = threading.Lock()

    def show(self, text: str) -> None:
        """Print ``text`` (one or more lines)."""
        with self._lock:
            redraw = self.interactive and self.reading
            if redraw:
                self.out.write("\r\x1b[2K")
            self.out.write(text + "\n")
            if redraw:
                self.out.write(self.prompt + _typed())
            self.out.flush()

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.ansi else text


def _typed() -> str:
    """What the user has typed so far at the prompt (readline's buffer), if known."""
    try:
        import readline
    except ImportError:  # no GNU readline on this platform: nothing to put back
        return ""
    return readline.get_line_buffer()


class LineReader:
    """Reads the terminal on a daemon thread and hands each line to the loop's queue; ``None``
    means end of input (Ctrl-D). On a terminal it uses ``input()`` (readline line editing and
    history, the prompt redrawn by :class:`Screen`); otherwise plain lines. It reads the next
    line only after :meth:`ready`, so the prompt shown is the one after the last command."""

    def __init__(self, stdin: TextIO, screen: Screen) -> None:
        self.stdin = stdin
        self.screen = screen
        self.tty = stdin.isatty() and screen.interactive
        self._go = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
        if self.tty:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - importing it gives input() line editing

        def run() -> None:
            while True:
                self._go.wait()
                self._go.clear()
                line = self._read()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line is None:
                    return

        self._thread = threading.Thread(target=run, name="sandbox-terminal", daemon=True)
        self._thread.start()

    def ready(self) -> None:
        """Let the thread show the prompt and read the next line."""
        self._go.set()

    def _read(self) -> str | None:
        if not self.tty:
            line = self.stdin.readline()
            return line.rstrip("\r\n") if line else None
        self.screen.reading = True
        try:
            return input(self.screen.prompt)
        except EOFError:
            return None
        finally:
            self.screen.reading = False


# --------------------------------------------------------------------------- the hook


async def on_clock_moved(
    app: Application[Any, Any, Any, Any, Any, Any], before: datetime, after: datetime
) -> list[str]:
    """After ``/clock`` moved the demo clock from ``before`` to ``after``: run the scheduled
    work that would have run had that time really passed. Returns the names of the jobs run.

    PTB's JobQueue fires on real time and never sees the shared OffsetClock move, so here
    each recurring job of the JobQueue that would have fired in ``(before, after]`` runs once
    now — coalesced, as APScheduler runs a job that missed several fire times with
    ``coalesce=True`` (three days ahead: one daily sweep, not three):

    - a job on a calendar trigger (``run_daily``, ``run_monthly``, ``run_custom`` with a cron
      or any other trigger: wake-ups at the sweep and digest times, backups) when its
      schedule, read in demo time, has a fire time in the window;
    - an interval job (``run_repeating``: a periodic watch) when its interval fits in it.

    One-off jobs (``run_once``: a retry after a delay, a start-up job) keep their real-time
    schedule, and moving the clock back runs nothing. Jobs run one after the other; each
    reads "now" from ``services.clock`` like any job, and its failures go to the error
    handler.

    This is the hook for the alerts package: its wake-ups (``alerts.jobs``: ``DailyOnce`` at
    the sweep and digest times, the minute watch), which ask ``alerts.schedule`` on the bot
    clock whether a sweep or digest is due, fire here after every ``/clock`` that passes
    their time — the catch-up sweep ``alerts.jobs.tick`` describes, with nothing
    sandbox-specific.
    """
    queue = app.job_queue
    if queue is None or after <= before:
        return []
    ran = []
    for job in queue.jobs():
        trigger = job.job.trigger
        if job.job.next_run_time is None:  # paused (PTB's ``Job.enabled`` starts out False)
            continue
        if isinstance(trigger, DateTrigger):
            due = False
        elif isinstance(trigger, IntervalTrigger):
            due = trigger.interval <= after - before
        else:
            # ``before`` as the previous fire time asks for the first fire strictly after it,
            # whatever the trigger's own start date (real time, which the demo may predate).
            fire = trigger.get_next_fire_time(before, before)
            due = fire is not None and fire <= after
        if due:
            ran.append(job.name or "?")
            await job.run(app)
    return ran


# What the scheduled jobs are called in people's words (``sandbox.job_<key>``), by the start of
# their JobQueue name; ``None``: housekeeping nobody needs to hear about (the minute watch,
# the group robots' retry). A job not listed is "another scheduled job".
JOB_WORDS: tuple[tuple[str, str | None], ...] = (
    ("alerts.sweep", "sweep"),
    ("alerts.digest.daily", "daily"),
    ("alerts.digest.weekly", "weekly"),
    ("backup", "backup"),
    ("alerts.watch", None),
    ("alerts.startup", None),
    ("channels.retry", None),
)


def job_words(words: Words, names: Sequence[str]) -> list[str]:
    """The jobs ``names`` (JobQueue names) as the console tells them, each said once, in
    order: ``09:00 巡检提醒``, ``日报``, ``自动备份`` …; internal names never show."""
    said: list[str] = []
    for name in names:
        key = next((k for prefix, k in JOB_WORDS if name.startswith(prefix)), "other")
        if key is None:
            continue
        at = name.rpartition(" ")[2] if key == "sweep" and " " in name else ""
        text = words(f"job_{key}", time=at).strip()
        if text not in said:
            said.append(text)
    return said


def parse_shift(text: str) -> timedelta | None:
    """``+3d``, ``+2h``, ``+30m``, ``-1d``, ``+1w``, ``+1d12h`` → a timedelta (at most ten
    years either way); anything else → ``None``."""
    match = _SHIFT.match(text.strip().lower())
    if match is None:
        return None
    total = timedelta(0)
    for number, unit in _SHIFT_PART.findall(match.group(2)):
        total += int(number) * _UNITS[unit]
    if total > _MAX_SHIFT:
        return None
    return -total if match.group(1) == "-" else total


# --------------------------------------------------------------------------- the console


class Console:
    """One chat session: reads console lines, speaks to the bot as a persona, prints what the
    bot does (register :meth:`on_event` with ``emulator.add_listener``).

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
        self._held: list[ChatEvent] | None = None  # start-up: counted, not printed
        self._pressed: dict[int, int] = {}  # chat → the message whose button was just pressed
        self._brief: set[int] = set()  # edits shown as one line (their buttons were not shown)
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
            self._user(persona)

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
        self._user(found)
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
        path, content = await asyncio.to_thread(_load_upload, args[0])
        caption = " ".join(args[1:]) or None
        if content is None:
            self.screen.show(self.words("send_missing", path=path))
            return
        user = self._user(self.persona)
        self._pressed.pop(user.id, None)
        who = self.words.persona(self.persona)
        if isinstance(content, int):
            # Only declared: the bot must refuse it before downloading (R25), as on Telegram.
            await user.send_document(path.name, content, caption=caption)
            mb = DOWNLOAD_LIMIT // (1024 * 1024)
            self.screen.show(
                self.words("sent_declared", name=path.name, persona=who, mb=mb, size=content)
            )
        else:
            if path.suffix.lower() in PHOTO_SUFFIXES:
                await user.send_photo(content, caption=caption)
            else:
                await user.send_document(path.name, content, caption=caption)
            size = len(content)
            self.screen.show(self.words("sent_file", name=path.name, persona=who, size=size))
        self._expect_reply(user)

    async def _groups(self, rest: str) -> None:
        """What each group robot received (the latest :data:`GROUP_MESSAGES`), as the group
        would show it: the markdown the robot was sent."""
        services = self.app.bot_data["services"]
        catalog, lang = services.catalog, self.words.lang
        units = {u.code: u for u in services.store.registry.list_units()}
        channels = services.config.channels
        for channel in channels.channels:
            robot = self.robots.robots.get((channel.kind, channel.key)) if self.robots else None
            received = robot.received if robot is not None else []
            self.screen.show(
                catalog.plain(
                    lang,
                    "channels.sandbox.title",
                    group=group_name(catalog, lang, channels, channel.name, units),
                    kind=kind_name(catalog, lang, channels, channel.name),
                    count=len(received),
                )
            )
            if not received:
                self.screen.show(catalog.plain(lang, "channels.sandbox.empty"))
            if len(received) > GROUP_MESSAGES:
                self.screen.show(
                    catalog.plain(lang, "channels.sandbox.more", shown=GROUP_MESSAGES)
                )
            for message in received[-GROUP_MESSAGES:]:
                when = self.words.time(message.at, self.tz)
                self.screen.show(f"[{when}]\n{message.content}\n")

    async def _reset(self, rest: str) -> Outcome | None:
        if not self.words.confirms(rest):
            self.screen.show(self.words("reset_confirm", dir=self.reset_dir or ""))
            return None
        return Outcome.RESET

    async def _say(self, text: str) -> None:
        user = self._user(self.persona)
        self._pressed.pop(user.id, None)
        await user.send(text)
        self._expect_reply(user)

    async def _press(self, n: int) -> None:
        user = self._user(self.persona)
        message = self._latest_with_buttons(user)
        if message is None:
            self.screen.show(self.words("no_buttons"))
            return
        buttons = [b for row in message.buttons for b in row]
        if not 1 <= n <= len(buttons):
            self.screen.show(self.words("no_such_button", n=n, count=len(buttons)))
            return
        button = buttons[n - 1]
        if button.callback_data is None:
            self.screen.show(self.words("url_button", url=button.url or ""))
            return
        self.screen.show(self.words("pressed", n=n, text=button.text))
        self._pressed[user.id] = message.message_id
        await user.press(message, button.index)
        self._expect_reply(user)

    # ------------------------------------------------------------------ helpers

    def _user(self, persona: Persona) -> EmulatedUser:
        """The persona's Telegram account (registered with the emulator on first use)."""
        return self.emulator.user(persona.user_id, persona.name, language_code=self.user_language)

    def _latest_with_buttons(self, user: EmulatedUser) -> BotMessage | None:
        """The message whose latest send or edit is most recent among those that have inline
        buttons now (an edit that removed the buttons does not count)."""
        current = user.messages
        for event in reversed(user.events):
            if event.message is None or id(event) in self._brief:
                continue
            message = current.get(event.message.message_id)
            if message is not None and not message.deleted and message.buttons:
                return message
        return None

    def _expect_reply(self, user: EmulatedUser) -> None:
        """Say so if the bot does nothing at all in this chat within ``reply_wait`` seconds
        (no message, edit, toast or chat action): a command it does not handle."""
        seen = len(user.events)

        async def watch() -> None:
            try:
                await self.emulator.wait_for(
                    lambda: True if len(user.events) > seen else None,
                    timeout=self.reply_wait,
                    what="a reaction from the bot",
                )
            except TimeoutError:
                seconds = f"{self.reply_wait:g}"
                self.screen.show(self.words("no_reply", seconds=seconds))

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
        """Print what the bot did in any chat; save the files it sent."""
        if event.kind == "action":
            return
        if self._held is not None:
            self._held.append(event)
            return
        text = self._event_text(event)
        if text:
            self.screen.show(text)

    def _event_text(self, event: ChatEvent) -> str:
        header = self.screen.bold(self.words.core("app.name") + self._recipient(event.chat_id))
        body: list[str] = []
        if event.kind == "answer" and event.answer is not None:
            if not event.answer.text:
                return ""
            key = "alert" if event.answer.show_alert else "toast"
            body.append(self.words(key, text=event.answer.text))
        elif event.kind == "deleted":
            body.append(self.words("deleted"))
        elif event.kind == "edited" and event.message is not None and self._in_passing(event):
            # An earlier message redrawn (a card after an upload): Telegram updates it in
            # place, out of sight; the terminal names it in one line instead of printing it
            # again.
            self._brief.add(id(event))
            text = terminal_text(event.message.html, ansi=False) if event.message.html else ""
            first = next((line for line in text.split("\n") if line.strip()), "")
            body.append(self.words("updated_above", text=_shorten(first.strip(), 40)))
        elif event.message is not None:
            if event.kind == "edited":
                header += " " + self.words("edited")
            body.extend(self._message_lines(event.message, save=event.kind == "sent"))
        return "\n".join([header, *("  " + line for line in body)])

    def _in_passing(self, event: ChatEvent) -> bool:
        """Is this edit of a message that is neither the chat's latest nor the one whose
        button was just pressed (the answer to a press is always shown whole)?"""
        assert event.message is not None
        message_id = event.message.message_id
        if self._pressed.get(event.chat_id) == message_id:
            return False
        shown = [m.message_id for m in ChatView(self.emulator, event.chat_id).messages.values()]
        return bool(shown) and message_id < max(shown)

    # ------------------------------------------------------------------ start-up

    def hold(self) -> None:
        """From now on count the bot's messages instead of printing them (the start-up
        sweep's alerts), until :meth:`release`."""
        self._held = []

    def release(self) -> None:
        """Print what was held as one line (how many messages to whom; ``/inbox`` reads
        them), then print the bot's messages as they come again."""
        held, self._held = self._held or [], None
        count: dict[int, int] = {}
        for event in held:
            if event.kind == "sent" and event.message is not None:
                count[event.chat_id] = count.get(event.chat_id, 0) + 1
        if not count:
            return
        order = {p.user_id: n for n, p in enumerate(self.personas)}
        who = self.words("list_separator").join(
            self.words("startup_who", persona=self._persona_words(chat), n=n)
            for chat, n in sorted(count.items(), key=lambda kv: order.get(kv[0], len(order)))
        )
        self.screen.show(
            self.words("startup_summary", count=sum(count.values()), people=len(count), who=who)
        )

    def _persona_words(self, chat_id: int) -> str:
        known = [p for p in self.personas if p.user_id == chat_id]
        persona = known[0] if known else Persona(chat_id, self.words("stranger_name"), None)
        return self.words.persona(persona)

    async def _inbox(self, rest: str) -> None:
        """The current persona's latest messages from the bot (``/inbox [N]``, default
        :data:`INBOX_MESSAGES`), oldest first, as they read now."""
        n = int(rest) if rest.strip().isdigit() and int(rest) > 0 else INBOX_MESSAGES
        user = self._user(self.persona)
        latest = sorted(
            (m for m in user.messages.values() if not m.deleted), key=lambda m: m.message_id
        )[-n:]
        if not latest:
            self.screen.show(self.words("inbox_empty", persona=self.words.persona(self.persona)))
            return
        header = self.screen.bold(self.words.core("app.name") + " ›")
        for message in latest:
            lines = self._message_lines(message, save=False)
            self.screen.show("\n".join([header, *("  " + line for line in lines)]))

    def _recipient(self, chat_id: int) -> str:
        if chat_id == self.persona.user_id:
            return " ›"
        known = [p for p in self.personas if p.user_id == chat_id]
        persona = known[0] if known else Persona(chat_id, self.words("stranger_name"), None)
        return " " + self.words("to", persona=self.words.persona(persona), name=persona.name)

    def _message_lines(self, message: BotMessage, *, save: bool) -> list[str]:
        lines: list[str] = []
        info = message.document or message.photo
        if info is not None:
            lines.append(self._file_line(message, info) if save else info.name or "")
        text = terminal_text(message.html, ansi=self.screen.ansi) if message.html else ""
        if text:
            lines.extend(text.split("\n"))
        lines.extend(button_lines(message))
        labels = reply_keyboard(message)
        if labels:
            lines.append(self.words("keyboard", labels="  ".join(f"[{x}]" for x in labels)))
        return lines

    def _file_line(self, message: BotMessage, info: FileInfo) -> str:
        is_photo = message.photo is not None
        name = Path(info.name or "").name or f"photo-{message.chat_id}-{message.message_id}"
        if is_photo and not Path(name).suffix:
            name += "." + image_format(info.content or b"")
        if info.content is None:
            return self.words("no_content", name=name, size=info.size)
        path = _unique(self.downloads / name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(info.content)
        return self.words("saved_photo" if is_photo else "saved_document", path=path)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load_upload(arg: str) -> tuple[Path, bytes | int | None]:
    """The file ``/send`` names: its bytes, only its size when Telegram would not let a bot
    download it anyway (over 20 MB), or ``None`` when there is no such file."""
    path = Path(arg).expanduser()
    if not path.is_file():
        return path, None
    size = path.stat().st_size
    return path, size if size > DOWNLOAD_LIMIT else path.read_bytes()


def _unique(path: Path) -> Path:
    """``path``, or ``name (2).ext``, ``name (3).ext`` … if it is taken."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def restore_files(emulator: Emulator, store: Store) -> int:
    """Make every evidence file in the ledgers known to a fresh emulator under its recorded
    ``file_id``, as Telegram keeps files across a bot's restarts, so the bot can send them
    again; the content comes from the copy in the data directory. Returns how many."""
    root = store.layout.root if store.layout is not None else None
    count = 0
    for ledger in store.ledgers():
        for item in ledger.items():
            for evidence in item.evidence:
                content = None
                if root is not None and evidence.stored_path:
                    with contextlib.suppress(OSError):
                        content = (root / evidence.stored_path).read_bytes()
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
                # The emulator has no public way to adopt a file under a given id yet.
                emulator.files._by_id[evidence.file_id] = StoredFile(info, kind)
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
    saved_tty = _terminal_state(stdin)
    try:
        return asyncio.run(run(config, doors=doors, fresh=fresh, stdin=stdin, stdout=stdout))
    finally:
        _restore_terminal(stdin, saved_tty)


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
            except StorageError as exc:
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
    store = await asyncio.to_thread(Store.open, paths.data)
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
                personas=personas_of(store, inspectors, words),
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
            screen.show(_data_summary(words, store, seeded, config, clock.now()))
            screen.show(_groups_summary(catalog, words.lang, sandboxed, store))
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


def _groups_summary(catalog: Catalog, lang: str, config: Config, store: Store) -> str:
    """The line saying which group robots the sandbox simulates (``/groups`` shows them)."""
    units = {u.code: u for u in store.registry.list_units()}
    channels = config.channels
    names = catalog.plain(lang, "channels.md.separator").join(
        catalog.plain(
            lang,
            "channels.sandbox.group",
            group=group_name(catalog, lang, channels, c.name, units),
            kind=kind_name(catalog, lang, channels, c.name),
        )
        for c in channels.channels
    )
    return catalog.plain(lang, "channels.sandbox.ready", groups=names)


def _data_summary(
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


def _terminal_state(stdin: TextIO) -> list[Any] | None:
    """The terminal's settings, to put back at exit: the reader thread may be inside readline
    (which changes them) when the process stops."""
    try:
        import termios

        return termios.tcgetattr(stdin.fileno()) if stdin.isatty() else None
    except (ImportError, OSError, ValueError):
        return None


def _restore_terminal(stdin: TextIO, state: list[Any] | None) -> None:
    if state is None:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import termios

        termios.tcsetattr(stdin.fileno(), termios.TCSADRAIN, state)
