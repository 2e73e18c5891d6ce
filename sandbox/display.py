"""What the bot does, printed in the terminal: messages and edits in any chat (under the
recipient's name when it is not the current persona), toasts, files saved to the downloads
directory, the start-up sweep summed up in one line, ``/inbox``.

Two decisions keep it a chat, not a log. The start-up sweep's messages are counted while
:meth:`Display.hold` is on and summed up in one line by :meth:`Display.release`. An edit of an
earlier message that is neither the chat's latest nor the one whose button was just pressed
(the card redrawn after an upload) is noted in one line instead of printed again; a bare
number then presses a button of the latest message printed whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sandbox.emulator import Emulator
from sandbox.files import image_format
from sandbox.personas import Persona
from sandbox.terminal import Screen, button_lines, reply_keyboard, terminal_text
from sandbox.users import BotMessage, ChatEvent, ChatView, FileInfo
from sandbox.words import Words

__all__ = ["INBOX_MESSAGES", "Display"]

INBOX_MESSAGES = 3  # /inbox shows the current persona's latest messages
FIRST_LINE = 40  # characters of a redrawn message named in its one line


class Display:
    """Prints the emulator's chat events (register :meth:`on_event` with
    ``emulator.add_listener``). ``current`` gives the persona the console speaks as."""

    def __init__(
        self,
        *,
        emulator: Emulator,
        screen: Screen,
        words: Words,
        personas: Sequence[Persona],
        current: Callable[[], Persona],
        downloads: Path,
    ) -> None:
        self.emulator = emulator
        self.screen = screen
        self.words = words
        self.personas = list(personas)
        self.current = current
        self.downloads = downloads
        self._held: list[ChatEvent] | None = None  # start-up: counted, not printed
        self._pressed: dict[int, int] = {}  # chat → the message whose button was just pressed
        self._brief: set[int] = set()  # edits shown as one line (their buttons were not shown)

    # ------------------------------------------------------------------ what the console did

    def pressed(self, chat_id: int, message_id: int) -> None:
        """The persona pressed a button of ``message_id``: its answer is printed whole."""
        self._pressed[chat_id] = message_id

    def wrote(self, chat_id: int) -> None:
        """The persona wrote or sent a file: the last press is answered."""
        self._pressed.pop(chat_id, None)

    def printed_whole(self, event: ChatEvent) -> bool:
        """Was this event's message printed with its buttons (not noted in one line)?"""
        return id(event) not in self._brief

    # ------------------------------------------------------------------ what the bot did

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
            body.append(self.words("updated_above", text=_shorten(first.strip(), FIRST_LINE)))
        elif event.message is not None:
            if event.kind == "edited":
                header += " " + self.words("edited")
            body.extend(self.message_lines(event.message, save=event.kind == "sent"))
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
            self.words("startup_who", persona=self.words.persona(self._persona(chat)), n=n)
            for chat, n in sorted(count.items(), key=lambda kv: order.get(kv[0], len(order)))
        )
        self.screen.show(
            self.words("startup_summary", count=sum(count.values()), people=len(count), who=who)
        )

    def inbox(self, messages: Sequence[BotMessage], n: int = INBOX_MESSAGES) -> None:
        """The latest ``n`` of the current persona's ``messages``, oldest first, as they
        read now."""
        latest = sorted((m for m in messages if not m.deleted), key=lambda m: m.message_id)[-n:]
        if not latest:
            self.screen.show(self.words("inbox_empty", persona=self.words.persona(self.current())))
            return
        header = self.screen.bold(self.words.core("app.name") + " ›")
        for message in latest:
            lines = self.message_lines(message, save=False)
            self.screen.show("\n".join([header, *("  " + line for line in lines)]))

    # ------------------------------------------------------------------ pieces

    def _persona(self, chat_id: int) -> Persona:
        known = [p for p in self.personas if p.user_id == chat_id]
        return known[0] if known else Persona(chat_id, self.words("stranger_name"), None)

    def _recipient(self, chat_id: int) -> str:
        if chat_id == self.current().user_id:
            return " ›"
        persona = self._persona(chat_id)
        return " " + self.words("to", persona=self.words.persona(persona), name=persona.name)

    def message_lines(self, message: BotMessage, *, save: bool) -> list[str]:
        """A message as terminal lines: its file (saved when ``save``), text, numbered
        buttons and reply keyboard."""
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
