"""Bot command menus per scope and language (setMyCommands / getMyCommands /
deleteMyCommands), and the menu a client shows a given user in a given chat."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.botapi import Params, bad_request

__all__ = ["CommandRegistry"]

SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
ScopeKey = tuple[Any, ...]


class CommandRegistry:
    """Command lists keyed by (scope, language code).

    ``chat_exists(chat_id)`` and ``user_exists(user_id)`` let scopes that name a chat or a
    user be refused as Telegram refuses them ("chat not found").
    """

    def __init__(
        self, chat_exists: Callable[[int], bool], user_exists: Callable[[int], bool]
    ) -> None:
        self._chat_exists = chat_exists
        self._user_exists = user_exists
        self._lists: dict[tuple[ScopeKey, str], list[dict[str, str]]] = {}

    def set(self, p: Params) -> bool:
        commands = p.get_json("commands", what="commands")
        if commands is None:
            raise bad_request('parameter "commands" is required')  # approximate wording
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")  # approximate wording
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_NAME.match(str(c.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")  # approximate wording
        key = self._key(p)
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        if cleaned:
            self._lists[key] = cleaned
        else:
            self._lists.pop(key, None)  # an empty list is a delete, as on Telegram
        return True

    def get(self, p: Params) -> list[dict[str, str]]:
        """Exactly that scope and language's list (no fallback), as getMyCommands does."""
        return [dict(c) for c in self._lists.get(self._key(p), [])]

    def delete(self, p: Params) -> bool:
        self._lists.pop(self._key(p), None)
        return True

    def visible(
        self, user_id: int, chat_id: int, language_code: str | None
    ) -> list[dict[str, str]]:
        """The list a client shows: the most specific scope that has commands wins, each
        tried with the user's language (first two letters), then without. Nobody is an
        admin in the emulator, so administrator scopes never apply."""
        lang = (language_code or "")[:2].lower()
        if chat_id > 0:
            scopes: list[ScopeKey] = [("chat", chat_id), ("all_private_chats",)]
        else:
            scopes = [("chat_member", chat_id, user_id), ("chat", chat_id), ("all_group_chats",)]
        scopes.append(("default",))
        for scope in scopes:
            for code in ([lang] if lang else []) + [""]:
                found = self._lists.get((scope, code))
                if found:
                    return [dict(c) for c in found]
        return []

    def _key(self, p: Params) -> tuple[ScopeKey, str]:
        code = p.get_str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            # Bot API: "A two-letter ISO 639-1 language code" — so "zh-CN" is refused.
            raise bad_request("invalid language code specified")  # approximate wording
        return self._scope(p), code

    def _scope(self, p: Params) -> ScopeKey:
        scope = p.get_json("scope", what="bot command scope")
        if scope is None:
            return ("default",)
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("unsupported bot command scope type")  # approximate wording
        kind = scope["type"]
        if kind not in ("chat", "chat_administrators", "chat_member"):
            return (kind,)
        try:
            chat_id = int(scope.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if not self._chat_exists(chat_id):
            raise bad_request("chat not found")
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int) or not self._user_exists(user_id):
                raise bad_request("user not found")
            return (kind, chat_id, user_id)
        return (kind, chat_id)
