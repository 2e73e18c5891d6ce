"""What an emulated person can do from their Telegram app — the emulator's public client side,
used by the sandbox's console and open to tests::

    chen = Client.of(emulator, 20101, "陈晓燕")
    await chen.send_text("/open")
    await chen.press(1)                       # the first button of the latest message
    await chen.press("📎 佐证")                 # or a button by its text
    await chen.upload("会议纪要.pdf", caption="HZ-003")
    for message in chen.messages():           # the bot's messages as they read now
        print(message.text)

A :class:`Client` wraps the :class:`~sandbox.users.EmulatedUser` (``client.user``) and never
reaches into the emulator's internals: it reads the chat through the user's view and acts
through the user's public methods. Refusals are typed: :class:`NoButtons`,
:class:`NoSuchButton` (``LookupError``), :class:`LinkButton` (``ValueError``: a URL button sends
nothing to the bot), ``FileNotFoundError`` for an upload that names no file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox.botapi import DOWNLOAD_LIMIT
from sandbox.emulator import Emulator
from sandbox.users import BotMessage, Button, ChatEvent, EmulatedUser, UserMessage

__all__ = [
    "PHOTO_SUFFIXES",
    "Client",
    "LinkButton",
    "NoButtons",
    "NoSuchButton",
    "Upload",
]

PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
"""Files uploaded as photos (Telegram's clients send pictures so); anything else a document."""


class NoButtons(LookupError):
    """No message in the chat has inline buttons now."""


class NoSuchButton(LookupError):
    """The message has no such button; ``count`` buttons it has."""

    def __init__(self, which: str | int, count: int) -> None:
        super().__init__(f"no button {which!r} among {count}")
        self.which = which
        self.count = count


class LinkButton(ValueError):
    """A URL button: pressing it opens ``url`` and sends nothing to the bot."""

    def __init__(self, button: Button) -> None:
        super().__init__(f"button {button.text!r} opens {button.url}")
        self.button = button
        self.url = button.url or ""


@dataclass(frozen=True)
class Upload:
    """What :meth:`Client.upload` sent: the file's name and size, as a photo or a document,
    and whether only its size was declared (over Telegram's 20 MB download limit for bots:
    the bot must refuse it before downloading, R25)."""

    name: str
    size: int
    photo: bool
    declared_only: bool
    message: UserMessage


class Client:
    """One emulated person's Telegram app (see the module docstring)."""

    def __init__(self, user: EmulatedUser) -> None:
        self.user = user

    @classmethod
    def of(
        cls, emulator: Emulator, user_id: int, name: str, *, language_code: str = "zh-hans"
    ) -> Client:
        """The person ``user_id`` (registered with the emulator on first use, their chat
        with the bot opened)."""
        return cls(emulator.user(user_id, name, language_code=language_code))

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def events(self) -> list[ChatEvent]:
        """Everything the bot did in this person's chat, in order."""
        return self.user.events

    # ------------------------------------------------------------------ acting

    async def send_text(self, text: str) -> UserMessage:
        """Write ``text`` to the bot (commands get their entities as on Telegram)."""
        return await self.user.send(text)

    async def press(
        self,
        button: str | int,
        message: BotMessage | None = None,
        *,
        seen: Callable[[ChatEvent], bool] | None = None,
    ) -> tuple[BotMessage, Button]:
        """Press a button: by number (1-based, across rows) or by its exact text, on
        ``message`` or else on :meth:`latest_with_buttons` (``seen`` as there). Returns the
        message and the button pressed."""
        target = message if message is not None else self.latest_with_buttons(seen)
        if target is None:
            raise NoButtons("no message with buttons")
        flat = [b for row in target.buttons for b in row]
        if isinstance(button, int):
            found = flat[button - 1] if 1 <= button <= len(flat) else None
        else:
            found = next((b for b in flat if b.text == button), None)
        if found is None:
            raise NoSuchButton(button, len(flat))
        if found.callback_data is None:
            raise LinkButton(found)
        await self.user.press(target, found.index)
        return target, found

    async def upload(
        self, path: str | Path, caption: str | None = None, *, album: str | None = None
    ) -> Upload:
        """Send the file at ``path`` as this person: ``.png``/``.jpg`` as a photo, anything
        else as a document under its name; over 20 MB only its size is declared, as a bot
        could not download it anyway. ``album``: the media group it belongs to (one upload per
        file, the caption on the first). ``FileNotFoundError`` if there is no such file."""
        file, content = await asyncio.to_thread(_read, path)
        photo = file.suffix.lower() in PHOTO_SUFFIXES and not isinstance(content, int)
        if photo:
            assert isinstance(content, bytes)
            sent = await self.user.send_photo(content, caption=caption, album=album)
        else:
            sent = await self.user.send_document(file.name, content, caption=caption, album=album)
        size = content if isinstance(content, int) else len(content)
        return Upload(file.name, size, photo, isinstance(content, int), sent)

    # ------------------------------------------------------------------ reading

    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat as they read now (after edits), oldest first;
        deleted ones left out."""
        current = self.user.messages
        return [current[k] for k in sorted(current) if not current[k].deleted]

    def latest_with_buttons(
        self, seen: Callable[[ChatEvent], bool] | None = None
    ) -> BotMessage | None:
        """The message whose latest send or edit is most recent among those with inline
        buttons now (an edit that removed the buttons does not count). ``seen`` leaves out
        events the person did not see (the console's edits noted in one line)."""
        current = self.user.messages
        for event in reversed(self.user.events):
            if event.message is None or (seen is not None and not seen(event)):
                continue
            message = current.get(event.message.message_id)
            if message is not None and not message.deleted and message.buttons:
                return message
        return None

    async def reacted(self, since: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Whether the bot did anything in this chat (message, edit, toast, chat action)
        after the first ``since`` events, waiting up to ``timeout`` seconds."""
        try:
            await self.user.emulator.wait_for(
                lambda: True if len(self.user.events) > since else None,
                timeout=timeout,
                what="a reaction from the bot",
            )
        except TimeoutError:
            return False
        return True


def _read(name: str | Path) -> tuple[Path, bytes | int]:
    """The file ``name`` names (``~`` expanded) and its bytes, or only its size over
    Telegram's download limit for bots; ``FileNotFoundError`` (``filename``: that path)."""
    path = Path(name).expanduser()
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    size = path.stat().st_size
    return path, size if size > DOWNLOAD_LIMIT else path.read_bytes()
