"""The terminal: Telegram HTML as terminal text, numbered buttons, the screen that never tears
the input line, the line reader, and the terminal's settings put back at exit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from html.parser import HTMLParser
from typing import Any, TextIO

from sandbox.users import BotMessage

__all__ = [
    "LineReader",
    "Screen",
    "button_lines",
    "reply_keyboard",
    "restore_terminal",
    "terminal_state",
    "terminal_text",
]

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


def terminal_state(stdin: TextIO) -> list[Any] | None:
    """The terminal's settings, to put back at exit: the reader thread may be inside readline
    (which changes them) when the process stops."""
    try:
        import termios

        return termios.tcgetattr(stdin.fileno()) if stdin.isatty() else None
    except (ImportError, OSError, ValueError):
        return None


def restore_terminal(stdin: TextIO, state: list[Any] | None) -> None:
    if state is None:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import termios

        termios.tcsetattr(stdin.fileno(), termios.TCSADRAIN, state)
