"""Message catalogs (zh-CN, en) and HTML-safe formatting.

Each language is a folder (``locales/zh-CN/``, ``locales/en/``) of TOML files, one per feature
(``core.toml``, ``queries.toml`` …), each of ``key = "template"`` (dotted keys are flattened:
``[error]`` ``unknown_item = ...`` is ``error.unknown_item``). The files of a language are
merged; a key defined in two files is an error, so features cannot overwrite each other.
Templates use ``str.format`` named fields and may contain Telegram-HTML tags of their own.
Every value passed in is HTML-escaped unless it is wrapped in ``Html`` (already-safe markup
built from other escaped pieces), so a stored or typed string can never break a message (R24).

A key missing from the requested language falls back to zh-CN; a key missing everywhere is a
programming error and raises KeyError (tests/handlers/test_locales.py checks both catalogs have the
same keys and placeholders, so this cannot happen in a release).
"""

from __future__ import annotations

import html
import logging
import re
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
LOCALES_DIR = Path(__file__).resolve().parent
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")


class Html(str):
    """A string that is already valid Telegram HTML; ``Catalog.t`` inserts it unescaped."""

    __slots__ = ()


def escape(value: Any) -> Html:
    """Escape any value for Telegram HTML (``<``, ``>``, ``&`` and quotes)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


_TAG = re.compile(r"<[^>]+>")


def to_plain(text: str) -> str:
    """Telegram HTML -> plain text: for toasts (answerCallbackQuery does not parse HTML) and
    for the terminal (the shell commands print the same words)."""
    return html.unescape(_TAG.sub("", text))


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        elif isinstance(value, str):
            out[full] = value
        else:
            raise ValueError(f"locale key {full} must be a string")
    return out


def placeholders(template: str) -> set[str]:
    """The named fields a template uses (``{days}``, ``{item_id}`` …)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalog:
    """All messages in all languages; ``t(lang, key, **params)`` renders one."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = {lang: dict(msgs) for lang, msgs in messages.items()}

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalog:
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for path in sorted((directory / lang).glob("*.toml")):
                with path.open("rb") as fh:
                    table = _flatten(tomllib.load(fh))
                clash = sorted(set(table) & set(merged))
                if clash:
                    raise ValueError(f"{path}: keys already defined in another file: {clash}")
                merged.update(table)
            messages[lang] = merged
        return cls(messages)

    def normalise(self, lang: str | None) -> str:
        """Map a Telegram ``language_code`` or a stored choice to a catalog language."""
        if not lang:
            return DEFAULT_LANGUAGE
        low = lang.lower()
        if low.startswith("zh"):
            return "zh-CN"
        if low.startswith("en"):
            return "en"
        return DEFAULT_LANGUAGE

    def has(self, key: str) -> bool:
        return key in self.messages[DEFAULT_LANGUAGE]

    def raw(self, lang: str, key: str) -> str:
        lang = self.normalise(lang)
        table = self.messages.get(lang, {})
        if key in table:
            return table[key]
        return self.messages[DEFAULT_LANGUAGE][key]

    def t(self, lang: str, key: str, **params: Any) -> Html:
        """Render ``key`` in ``lang`` with every parameter HTML-escaped (unless ``Html``).

        A placeholder without a value renders as "…" and is logged, never raised: a wording
        slip must not turn a user's answer into an error."""
        template = self.raw(lang, key)
        values = _Values(key, {k: escape(v) for k, v in params.items()})
        return Html(template.format_map(values))

    def plain(self, lang: str, key: str, **params: Any) -> str:
        """Render for a non-HTML destination (terminal, button label, toast)."""
        values = _Values(key, {k: str(v) for k, v in params.items()})
        return self.raw(lang, key).format_map(values)


class _Values(dict[str, Any]):
    def __init__(self, key: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.key = key

    def __missing__(self, name: str) -> str:
        log.error("message %s rendered without a value for {%s}", self.key, name)
        return "…"
