"""Bot API wire details shared by the emulator modules: errors, request parameters, limits.

Request parameters arrive the way python-telegram-bot sends them — form fields whose values
are plain strings for strings and JSON for everything else (``chat_id=1001``,
``reply_markup={"inline_keyboard": ...}``), multipart when a file is uploaded — or as a JSON
body, as other clients send them. :class:`Params` reads both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

__all__ = ["ApiError", "Params", "Upload", "bad_request"]

TEXT_LIMIT = 4096  # characters after entity parsing
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
# getFile refuses bigger files ("file is too big"): tdlib/telegram-bot-api's
# MAX_DOWNLOAD_FILE_SIZE = 20 << 20, i.e. 20 MiB = 20,971,520 bytes (not 20,000,000).
DOWNLOAD_LIMIT = 20 << 20
UPLOAD_LIMIT = 50 * 1024 * 1024  # multipart uploads by bots
DELETE_WINDOW = timedelta(hours=48)  # "message can't be deleted" after that

FORBIDDEN_BLOCKED = "Forbidden: bot was blocked by the user"
FORBIDDEN_KICKED = "Forbidden: bot was kicked from the group chat"
FORBIDDEN_NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"

# What getUpdates delivers until allowed_updates says otherwise: every update type except
# chat_member, message_reaction and message_reaction_count, which must be asked for.
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


class ApiError(Exception):
    """A Bot API failure: HTTP status ``code``, Telegram's ``description``, optional
    ``parameters`` (``retry_after``, ``migrate_to_chat_id``)."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed access to one request's parameters; every failure is Telegram's 400."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def get_int(self, name: str, *, error: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(error or f"invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(error or f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1")

    def get_json(self, name: str, *, what: str | None = None) -> Any:
        """A JSON-valued parameter (object or array), decoded; ``None`` when absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def loggable(self) -> dict[str, Any]:
        """The parameters as recorded in ``Emulator.calls``: form values decoded to what
        they mean (``"1001"`` → 1001, ``"true"`` → True, JSON objects and arrays), free-text
        and id fields kept as strings, uploads shown as ``{"upload": filename, "size": n}``."""
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and key not in _STRING_FIELDS:
                try:
                    out[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            out[key] = value
        for key, upload in self.uploads.items():
            out[key] = {"upload": upload.filename, "size": len(upload.data)}
        return out


# Parameters whose value is a string even when it looks like JSON ("123", "[x]").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "document",
        "photo",
        "url",
        "action",
        "language_code",
        "secret_token",
    }
)
