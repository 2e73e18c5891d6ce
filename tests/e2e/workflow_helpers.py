"""Shared steps of the workflow, evidence and /add end-to-end tests: three personas of one unit,
asking and pressing, and what the ledger and the data directory hold afterwards."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date

from ledger.model import Event, Item, Status
from sandbox.users import BotMessage, CallbackAnswer, EmulatedUser
from tests.e2e.harness import BotUnderTest
from tests.e2e.seed import seed_item

REFUSED = "抱歉，本机器人仅供受邀人员使用。如需使用，请联系巡察办获取邀请链接。"
STALE = "此按钮已失效，请重新查询。"


@dataclass
class Personas:
    """Unit HZ (杭州市局党组) with its contact 王联络 (2001) and leader 李书记 (2002), the
    inspectors 100 and 101 (both have opened the bot), and HZ-001, an open item."""

    contact: EmulatedUser
    leader: EmulatedUser
    inspector: EmulatedUser
    other_inspector: EmulatedUser
    item: Item


async def personas(bot: BotUnderTest, status: Status = Status.OPEN, **item: object) -> Personas:
    bot.add_unit("HZ", "杭州市局党组", "第一轮")
    seeded = seed_item(
        bot.store,
        "HZ",
        now=bot.clock.now(),
        status=status,
        deadline=date(2026, 3, 31),
        **item,  # type: ignore[arg-type]
    )
    inspector, other = bot.inspector(), bot.inspector(101)
    for person in (inspector, other):  # they have opened the bot, so notices can reach them
        await person.send("/start")
        await person.next_reply()
    return Personas(
        contact=bot.contact("HZ", 2001, "王联络"),
        leader=bot.leader("HZ", 2002, "李书记"),
        inspector=inspector,
        other_inspector=other,
        item=seeded,
    )


async def ask(user: EmulatedUser, text: str) -> BotMessage:
    await user.send(text)
    return await user.next_reply()


async def card(user: EmulatedUser, item_id: str = "HZ-001") -> BotMessage:
    return await ask(user, f"/item {item_id}")


async def press(user: EmulatedUser, message: BotMessage, label: str) -> CallbackAnswer:
    """Press a button and return the bot's answer to the press."""
    await user.press(message, label)
    return await user.next_answer()


async def confirmed(user: EmulatedUser) -> tuple[BotMessage, CallbackAnswer]:
    """Answer the "确认…？" the bot just asked (a formal act from a button, issue 12) with its
    ✅ button: the question and the answer to that press."""
    question = await user.next_reply()
    assert question.text.startswith("确认对 "), question.text
    assert question.button_texts[1] == "取消"
    await user.press(question, question.button_texts[0])
    return question, await user.next_answer()


def item_of(bot: BotUnderTest, item_id: str = "HZ-001") -> Item:
    found = bot.store.ledger(item_id.split("-")[0]).get_item(item_id)
    assert found is not None
    return found


def history(bot: BotUnderTest, item_id: str = "HZ-001") -> list[Event]:
    return bot.store.ledger(item_id.split("-")[0]).events(item_id)


def actions(bot: BotUnderTest, item_id: str = "HZ-001") -> list[str]:
    return [e.action for e in history(bot, item_id)]


def action_buttons(message: BotMessage) -> list[str]:
    """A card's buttons without the history button."""
    return [t for t in message.button_texts if t != "📜 整改记录"]


def pdf(text: str = "会议记录") -> bytes:
    """A small PDF-looking file with distinct content per ``text``."""
    return b"%PDF-1.4\n% " + text.encode("utf-8") + b"\n%%EOF\n"


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid tiny PNG (the emulator reads photos' sizes from the header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def nothing_more(*users: EmulatedUser) -> None:
    """No user got a message they have not read yet."""
    for user in users:
        assert user.unread_replies() == [], (user, [m.text for m in user.unread_replies()])
