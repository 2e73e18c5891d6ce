"""The people on the other side of the emulator: they write, press buttons, send files and read
what the bot sent them, so that a test reads like a conversation::

    alice = emu.user(1001, "Alice")
    await alice.send("/start")
    reply = await alice.next_reply()
    assert "未销号" in reply.text
    await alice.press(reply, "下一页")
    page = await alice.next_edit()

Reading is cursor based and event driven: ``next_reply`` returns the bot's next *new* message
in that chat (text, document or photo) and ``next_edit`` the next edit, each waiting on the
emulator's change signal (no polling) and failing with :class:`TimeoutError` that says what
the bot did instead. ``messages`` is the current state of every bot message (after edits and
deletions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sandbox.botapi import FORBIDDEN_BLOCKED, FORBIDDEN_KICKED
from sandbox.htmlcheck import utf16_len

if TYPE_CHECKING:
    from sandbox.emulator import Emulator

__all__ = [
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "ChatEvent",
    "ChatView",
    "EmulatedGroup",
    "EmulatedUser",
    "FileInfo",
    "UserMessage",
    "command_entities",
]

# The conversational API takes ``timeout=`` (ruff's ASYNC109 would rather have callers wrap
# it in ``asyncio.timeout``); a reply that never comes should fail the test in a few seconds
# with a message saying what the bot did instead, which a bare outer timeout cannot do.
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Button:
    """One inline keyboard button, with its position (``row``, ``column``) and flat ``index``."""

    text: str
    callback_data: str | None
    url: str | None
    row: int
    column: int
    index: int
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class FileInfo:
    """A file as Telegram knows it. ``content`` is ``None`` for a file only declared by size
    (``send_document(name, 20_000_001)``); ``width``/``height`` are set for photos."""

    file_id: str
    file_unique_id: str
    size: int
    name: str | None = None
    mime_type: str | None = None
    content: bytes | None = field(default=None, repr=False)
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the receiving user sees it (a snapshot; edits make new ones).

    ``text`` is the plain text after entity parsing — the caption for a document or photo
    (``""`` if none). ``html`` is the text exactly as the bot sent it with ``parse_mode="HTML"``
    (for other parse modes, the plain text HTML-escaped). ``entities`` are the Bot API entity
    dicts (UTF-16 offsets). ``buttons`` holds the inline keyboard, row by row; other markups
    (reply keyboards, remove, force reply) are only in ``reply_markup``. ``raw`` is the exact
    Bot API ``Message`` object the bot received in the response.
    """

    chat_id: int
    message_id: int
    date: datetime
    text: str
    html: str
    parse_mode: str | None
    entities: tuple[dict[str, Any], ...]
    reply_markup: dict[str, Any] | None
    buttons: tuple[tuple[Button, ...], ...]
    document: FileInfo | None
    photo: FileInfo | None
    reply_to_message_id: int | None
    disable_notification: bool
    protect_content: bool
    link_preview_options: dict[str, Any] | None
    edit_date: datetime | None = None
    edits: int = 0
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> Literal["text", "document", "photo"]:
        if self.document is not None:
            return "document"
        if self.photo is not None:
            return "photo"
        return "text"

    @property
    def button_texts(self) -> list[str]:
        """Every inline button's text, row by row."""
        return [b.text for row in self.buttons for b in row]

    def button(self, which: str | int | tuple[int, int]) -> Button:
        """The button by exact text, by flat index, or by ``(row, column)``.

        Raises ``LookupError`` naming the buttons that exist.
        """
        for row in self.buttons:
            for b in row:
                if (
                    (isinstance(which, str) and b.text == which)
                    or (isinstance(which, int) and b.index == which)
                    or (isinstance(which, tuple) and (b.row, b.column) == which)
                ):
                    return b
        raise LookupError(
            f"no button {which!r} on message {self.message_id} in chat {self.chat_id}; "
            f"buttons: {self.button_texts}"
        )


@dataclass(frozen=True)
class UserMessage:
    """A message a user sent to the bot; ``raw`` is the ``Message`` inside the update."""

    chat_id: int
    message_id: int
    update_id: int | None
    text: str
    date: datetime
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's ``answerCallbackQuery`` for a button press."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class ChatEvent:
    """Something the bot did in a chat, in order: ``sent``, ``edited``, ``deleted`` (with the
    message state after it), ``answer`` (a callback answer) or ``action`` (sendChatAction)."""

    kind: Literal["sent", "edited", "deleted", "answer", "action"]
    chat_id: int
    message: BotMessage | None = None
    answer: CallbackAnswer | None = None
    action: str | None = None


# Telegram marks "/word" (optionally "/word@botname") at the start or after whitespace.
_COMMAND_RE = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram attaches to a user's text (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _COMMAND_RE.finditer(text)
    ]


class ChatView:
    """A chat as seen by the people in it: the bot's messages and what it did with them."""

    def __init__(self, emulator: Emulator, chat_id: int) -> None:
        self.emulator = emulator
        self.chat_id = chat_id
        self._reply_cursor = 0
        self._edit_cursor = 0
        # The chat's events are only ever appended: what was sent and edited so far is kept
        # and only new events are read, so waiting for a reply in a chat with thousands of
        # alerts does not scan them all on every wake-up (bench/latency.py times that wait).
        self._events_read = 0
        self._sent: list[BotMessage] = []
        self._edited: list[BotMessage] = []

    @property
    def messages(self) -> dict[int, BotMessage]:
        """Current state of each bot message in this chat, by message id (deleted ones kept,
        flagged ``deleted``)."""
        return dict(self.emulator._chat(self.chat_id).bot_messages)

    @property
    def events(self) -> list[ChatEvent]:
        """Everything the bot did in this chat, in order."""
        return list(self.emulator._chat(self.chat_id).events)

    @property
    def replies(self) -> list[BotMessage]:
        """Every message the bot sent here, as sent (before edits), in order."""
        self._read_events()
        return list(self._sent)

    def _read_events(self) -> None:
        """Take in the events appended since the last call."""
        events = self.emulator._chat(self.chat_id).events
        for event in events[self._events_read :]:
            if event.message is None:
                continue
            if event.kind == "sent":
                self._sent.append(event.message)
            elif event.kind == "edited":
                self._edited.append(event.message)
        self._events_read = len(events)

    def unread_replies(self) -> list[BotMessage]:
        """Sent messages ``next_reply`` has not returned yet (does not move the cursor)."""
        return self.replies[self._reply_cursor :]

    @property
    def last_action(self) -> str | None:
        """The last chat action (``typing``, ``upload_document`` …) the bot sent here."""
        return self.emulator._chat(self.chat_id).last_action

    async def next_reply(self, timeout: float = DEFAULT_TIMEOUT) -> BotMessage:  # noqa: ASYNC109
        """The bot's next new message in this chat (waits up to ``timeout`` seconds)."""

        def probe() -> BotMessage | None:
            self._read_events()
            if self._reply_cursor < len(self._sent):
                self._reply_cursor += 1
                return self._sent[self._reply_cursor - 1]
            return None

        return await self.emulator.wait_for(
            probe, timeout, lambda: f"no new bot message in chat {self.chat_id}"
        )

    async def next_edit(self, timeout: float = DEFAULT_TIMEOUT) -> BotMessage:  # noqa: ASYNC109
        """The next edit (text, caption or markup) of a bot message in this chat, as edited."""

        def probe() -> BotMessage | None:
            self._read_events()
            if self._edit_cursor < len(self._edited):
                self._edit_cursor += 1
                return self._edited[self._edit_cursor - 1]
            return None

        return await self.emulator.wait_for(
            probe, timeout, lambda: f"no bot edit in chat {self.chat_id}"
        )


class EmulatedUser(ChatView):
    """A Telegram user and their private chat with the bot (chat id = user id).

    Create through :meth:`Emulator.user`. ``language_code`` defaults to ``"zh-hans"``, what
    Telegram's Simplified-Chinese clients send.
    """

    def __init__(
        self,
        emulator: Emulator,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> None:
        super().__init__(emulator, user_id)
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._answer_cursor = 0

    def __repr__(self) -> str:
        return f"EmulatedUser({self.id}, {self.first_name!r})"

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def blocked_bot(self) -> bool:
        """True while this user has the bot blocked (sends to them answer 403)."""
        return self.emulator._chat(self.id).forbidden == FORBIDDEN_BLOCKED

    async def send(
        self,
        text: str,
        *,
        chat: int | ChatView | None = None,
        reply_to: int | BotMessage | None = None,
    ) -> UserMessage:
        """Write ``text`` to the bot (in the private chat unless ``chat`` names a group),
        optionally as a reply to a message (id or :class:`BotMessage`).

        Commands get ``bot_command`` entities as Telegram gives them (``/start CODE`` has one
        of length 6 at offset 0). Returns once the update is queued for ``getUpdates``.
        """
        return self.emulator._user_message(
            self, _chat_id(chat, self.id), {"text": text}, text, reply_to=reply_to
        )

    async def send_document(
        self,
        name: str,
        content: bytes | int,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        chat: int | ChatView | None = None,
        album: str | None = None,
    ) -> UserMessage:
        """Send a file. ``content`` is its bytes, or just a declared size (an ``int``) for
        files too big to bother with: the bot sees ``file_size``; getFile refuses > 20 MiB.
        ``album``: the ``media_group_id`` of an album the file belongs to (Telegram sends an
        album as one message per file, the caption on the first only)."""
        return self.emulator._user_file(
            self, _chat_id(chat, self.id), "document", name, content, mime_type, caption, album
        )

    async def send_photo(
        self,
        content: bytes,
        *,
        caption: str | None = None,
        chat: int | ChatView | None = None,
        album: str | None = None,
    ) -> UserMessage:
        """Send a photo (PNG, JPEG or GIF bytes; the size is read from the header);
        ``album`` as for :meth:`send_document`."""
        return self.emulator._user_file(
            self, _chat_id(chat, self.id), "photo", "photo", content, None, caption, album
        )

    async def press(
        self,
        message: BotMessage | int,
        button: str | int | tuple[int, int],
        *,
        chat: int | ChatView | None = None,
    ) -> str:
        """Press an inline button of a bot message, as it is *now* (after edits).

        ``message`` is a :class:`BotMessage` or a message id (in the private chat unless
        ``chat`` is given); ``button`` is its text, flat index or ``(row, column)``. Queues a
        ``callback_query`` update and returns its id. URL buttons have no callback and raise
        ``ValueError``; a deleted message or a missing button raises ``LookupError``.
        """
        chat_id = message.chat_id if isinstance(message, BotMessage) else _chat_id(chat, self.id)
        message_id = message.message_id if isinstance(message, BotMessage) else message
        current = self.emulator._chat(chat_id).bot_messages.get(message_id)
        if current is None or current.deleted:
            raise LookupError(f"message {message_id} is not in chat {chat_id} (deleted?)")
        target = current.button(button)
        if target.callback_data is None:
            raise ValueError(f"button {target.text!r} has no callback_data (url={target.url})")
        return self.emulator._press(self, chat_id, message_id, target.callback_data)

    async def forge_callback(
        self, message: BotMessage | int, data: str, *, chat: int | ChatView | None = None
    ) -> str:
        """Send a ``callback_query`` with arbitrary ``data`` on a message, as a modified client
        could (R22): no check that such a button exists."""
        chat_id = message.chat_id if isinstance(message, BotMessage) else _chat_id(chat, self.id)
        message_id = message.message_id if isinstance(message, BotMessage) else message
        return self.emulator._press(self, chat_id, message_id, data)

    async def next_answer(self, timeout: float = DEFAULT_TIMEOUT) -> CallbackAnswer:  # noqa: ASYNC109
        """The bot's next ``answerCallbackQuery`` to one of this user's presses."""

        def probe() -> CallbackAnswer | None:
            mine = [a for a in self.emulator.answered_callbacks if a.user_id == self.id]
            if self._answer_cursor < len(mine):
                self._answer_cursor += 1
                return mine[self._answer_cursor - 1]
            return None

        return await self.emulator.wait_for(
            probe, timeout, lambda: f"no callback answer for user {self.id}"
        )

    async def block_bot(self) -> None:
        """Block the bot: sends to this user answer 403 "bot was blocked by the user"; the bot
        gets a ``my_chat_member`` update (member → kicked)."""
        self.emulator._set_forbidden(self.id, FORBIDDEN_BLOCKED, by=self, status="kicked")

    async def unblock_bot(self) -> None:
        """Unblock the bot (``my_chat_member`` kicked → member)."""
        self.emulator._set_forbidden(self.id, None, by=self, status="member")

    def commands(self, chat: int | ChatView | None = None) -> list[tuple[str, str]]:
        """The command menu this user's client would show in ``chat`` (default: private),
        resolved through the scopes and this user's language like Telegram's clients."""
        return [
            (c["command"], c["description"])
            for c in self.emulator.visible_commands(
                self.id, _chat_id(chat, self.id), self.language_code
            )
        ]


class EmulatedGroup(ChatView):
    """A group (negative id) the bot is in; supergroup when the id is ≤ -10**12.

    Members write with ``await alice.send(text, chat=group)``; read the bot's messages here.
    """

    def __init__(
        self,
        emulator: Emulator,
        chat_id: int,
        title: str,
        members: Sequence[EmulatedUser] = (),
        username: str | None = None,
    ) -> None:
        if chat_id >= 0:
            raise ValueError(f"group ids are negative, got {chat_id}")
        super().__init__(emulator, chat_id)
        self.id = chat_id
        self.title = title
        self.members = list(members)
        self.username = username

    def __repr__(self) -> str:
        return f"EmulatedGroup({self.id}, {self.title!r})"

    @property
    def type(self) -> Literal["group", "supergroup"]:
        return "supergroup" if self.id <= -(10**12) else "group"

    async def remove_bot(self, by: EmulatedUser | None = None) -> None:
        """Kick the bot: sends answer 403 "bot was kicked from the group chat"."""
        who = by or (self.members[0] if self.members else None)
        self.emulator._set_forbidden(self.id, FORBIDDEN_KICKED, by=who, status="kicked")

    async def add_bot(self, by: EmulatedUser | None = None) -> None:
        """Add the bot back."""
        who = by or (self.members[0] if self.members else None)
        self.emulator._set_forbidden(self.id, None, by=who, status="member")


def _chat_id(chat: int | ChatView | None, default: int) -> int:
    if chat is None:
        return default
    if isinstance(chat, ChatView):
        return chat.chat_id
    return chat
