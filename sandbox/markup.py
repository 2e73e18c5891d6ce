"""Reply markup: validating what the bot sends, and the buttons a user can press."""

from __future__ import annotations

from typing import Any

from sandbox.botapi import CALLBACK_DATA_LIMIT, Params, bad_request
from sandbox.users import Button

__all__ = ["buttons", "inline_only", "reply_markup"]


def reply_markup(p: Params) -> dict[str, Any] | None:
    """The request's ``reply_markup``, checked like Telegram checks inline keyboards
    (callback_data 1–64 bytes: "BUTTON_DATA_INVALID"; url buttons http(s)/tg:
    "BUTTON_URL_INVALID"; every button needs an action). Reply keyboards, remove and force
    reply pass through unchecked."""
    markup = p.get_json("reply_markup", what="reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard markup: rows must be arrays")
        if sum(len(r) for r in rows) > 100:
            raise bad_request("reply markup is too long")
        for row in rows:
            for button in row:
                _check_inline_button(button)
    return markup


def inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Telegram echoes only inline keyboards in the returned ``Message``."""
    return markup if markup and "inline_keyboard" in markup else None


def buttons(markup: dict[str, Any] | None) -> tuple[tuple[Button, ...], ...]:
    if not markup or "inline_keyboard" not in markup:
        return ()
    rows: list[tuple[Button, ...]] = []
    index = 0
    for r, row in enumerate(markup["inline_keyboard"]):
        buttons = []
        for c, b in enumerate(row):
            buttons.append(
                Button(
                    text=b.get("text", ""),
                    callback_data=b.get("callback_data"),
                    url=b.get("url"),
                    row=r,
                    column=c,
                    index=index,
                    raw=b,
                )
            )
            index += 1
        rows.append(tuple(buttons))
    return tuple(rows)


_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "web_app",
        "login_url",
        "callback_game",
        "pay",
    }
)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected")
    text = button.get("text", "")
    if not (text.strip() if isinstance(text, str) else str(text).strip()):
        raise bad_request("BUTTON_TEXT_EMPTY")  # approximate wording
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")
    if _BUTTON_ACTIONS.isdisjoint(button):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
