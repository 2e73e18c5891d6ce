"""Files the emulator knows: what users send and what the bot uploads.

Each file gets a ``file_id`` (new for every upload, as on Telegram) and a ``file_unique_id``
(derived from the bytes, so the same content has the same one). ``getFile`` assigns a
``file_path`` served under ``/file/bot<token>/``. A file declared only by its size has no
bytes; if it is small enough to download, zeros of that size are served.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from sandbox.botapi import DOWNLOAD_LIMIT, Params, Upload, bad_request
from sandbox.users import FileInfo

__all__ = ["FileKind", "FileStore", "StoredFile", "image_size"]

FileKind = Literal["document", "photo"]


@dataclass
class StoredFile:
    info: FileInfo
    kind: FileKind
    file_path: str | None = None


class FileStore:
    """Every file by ``file_id`` and by ``file_path``; ``download_limit`` is getFile's cap."""

    def __init__(self, download_limit: int = DOWNLOAD_LIMIT) -> None:
        self.download_limit = download_limit
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, str] = {}
        self._counter = itertools.count(1)

    def add(self, kind: FileKind, name: str, data: bytes | int, mime: str | None) -> StoredFile:
        """Store ``data`` (bytes, or a declared size). Photos must be PNG, JPEG or GIF:
        anything else is Telegram's 400 "IMAGE_PROCESS_FAILED"."""
        n = next(self._counter)
        if isinstance(data, int):
            size, content, seed = data, None, f"{name}:{data}:{n}".encode()
        else:
            size, content, seed = len(data), data, data
        prefix = "BQACAgUAAxkBAA" if kind == "document" else "AgACAgUAAxkBAA"
        file_id = f"{prefix}{n:06d}{secrets.token_urlsafe(12)}"
        unique = "AgAD" + hashlib.sha256(seed).hexdigest()[:16]
        if kind == "photo":
            dims = image_size(content or b"")
            if dims is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            info = FileInfo(file_id, unique, size, content=content, width=dims[0], height=dims[1])
        else:
            mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
            info = FileInfo(file_id, unique, size, name=name, mime_type=mime, content=content)
        stored = StoredFile(info, kind)
        self._by_id[file_id] = stored
        return stored

    def adopt(self, info: FileInfo, kind: FileKind) -> StoredFile:
        """Keep a file under the ids ``info`` already has (a file the bot recorded in an
        earlier run: Telegram keeps files across a bot's restarts)."""
        stored = StoredFile(info, kind)
        self._by_id[info.file_id] = stored
        return stored

    def resolve(self, p: Params, kind: FileKind) -> StoredFile:
        """The file a send method refers to: an upload (multipart part named ``kind`` or
        ``attach://<part>``), or an existing ``file_id`` of the same kind."""
        upload: Upload | None = p.uploads.get(kind)
        value = p.get_str(kind)
        if upload is None and value and value.startswith("attach://"):
            upload = p.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {kind} in the request")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            mime = upload.content_type or None
            return self.add(kind, upload.filename or kind, upload.data, mime)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # offline: nothing to fetch
        stored = self._by_id.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    def get_file(self, file_id: str | None) -> dict[str, Any]:
        """The Bot API ``File`` for ``getFile``: assigns ``file_path`` on first use."""
        stored = self._by_id.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        info = stored.info
        if info.size > self.download_limit:
            raise bad_request("file is too big")
        if stored.file_path is None:
            n = len(self._by_path) + 1
            if stored.kind == "photo":
                stored.file_path = f"photos/file_{n}.{image_format(info.content or b'')}"
            else:
                stored.file_path = f"documents/file_{n}{PurePosixPath(info.name or '').suffix}"
            self._by_path[stored.file_path] = info.file_id
        return {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
            "file_path": stored.file_path,
        }

    def content_at(self, file_path: str) -> bytes | None:
        """The bytes served at ``file_path``, or ``None`` if getFile never gave that path."""
        file_id = self._by_path.get(file_path)
        if file_id is None:
            return None
        info = self._by_id[file_id].info
        return info.content if info.content is not None else bytes(info.size)


def document_api(info: FileInfo) -> dict[str, Any]:
    """The Bot API ``Document`` object."""
    doc: dict[str, Any] = {
        "file_id": info.file_id,
        "file_unique_id": info.file_unique_id,
        "file_size": info.size,
    }
    if info.name:
        doc["file_name"] = info.name
    if info.mime_type:
        doc["mime_type"] = info.mime_type
    return doc


def photo_api(info: FileInfo) -> list[dict[str, Any]]:
    """The Bot API ``PhotoSize`` array (one size: the original)."""
    return [
        {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
            "width": info.width or 0,
            "height": info.height or 0,
        }
    ]


def image_format(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"GIF8"):
        return "gif"
    return "jpg"


_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG, or ``None`` if the bytes are none of those."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None
