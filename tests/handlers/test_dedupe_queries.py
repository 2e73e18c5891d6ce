"""handlers.dedupe.is_pure_query: which updates may take the quick update mark (written at once,
fsynced after) — typed query commands and query buttons only; anything that may record
something waits for its durable mark (R18)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Bot, Update

from handlers.dedupe import is_pure_query

BOT = Bot("1:x")
USER = {"id": 7, "is_bot": False, "first_name": "联络员"}
CHAT = {"id": 7, "type": "private"}
WHEN = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())


def message(**fields: Any) -> Update:
    raw = {"message_id": 1, "date": WHEN, "chat": CHAT, "from": USER, **fields}
    return Update.de_json({"update_id": 1, "message": raw}, BOT)


def press(data: str) -> Update:
    query = {
        "id": "q",
        "from": USER,
        "chat_instance": "c",
        "data": data,
        "message": {"message_id": 2, "date": WHEN, "chat": CHAT, "text": "x"},
    }
    return Update.de_json({"update_id": 2, "callback_query": query}, BOT)


@pytest.mark.parametrize(
    "text",
    ["/open", "/item HZ-001", "/units 2", "/UNITS", "/units@zgt_bot", "/due 7", "/help", "/todo"],
)
def test_typed_query_commands_are_pure_queries(text: str) -> None:
    assert is_pure_query(message(text=text))


@pytest.mark.parametrize(
    "text",
    [
        "/progress HZ-001 已召开会议",
        "/newunit HZ 杭州",
        "/invite HZ contact",
        "/start abc",
        "/lang en",
        "/export",
        "/stats",
        "/opened",  # not a query command, only starts like one
        "未销号",  # words: may answer a pending question (a reason, a date) and record it
        "HZ-001 已完成整改",
        "/",
    ],
)
def test_anything_else_typed_waits_for_its_durable_mark(text: str) -> None:
    assert not is_pure_query(message(text=text))


def test_files_and_non_text_updates_wait_for_their_durable_mark() -> None:
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    assert not is_pure_query(message(photo=photo, caption="/item HZ-001"))
    document = {"file_id": "d", "file_unique_id": "v", "file_name": "台账.xlsx"}
    assert not is_pure_query(message(document=document))
    assert not is_pure_query(Update.de_json({"update_id": 3}, BOT))


@pytest.mark.parametrize(
    ("data", "pure"),
    [
        ("card:HZ-001", True),
        ("hist:HZ-001", True),
        ("unit:HZ", True),
        ("page:open:HZ:2", True),
        ("do:submit:HZ-001", False),
        ("cf:approve:HZ-001", False),
        ("ok:abc", False),
        ("lang:en", False),
        ("not a button", False),
    ],
)
def test_only_query_buttons_are_pure_queries(data: str, pure: bool) -> None:
    assert is_pure_query(press(data)) is pure
