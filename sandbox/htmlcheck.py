"""Telegram's HTML parse mode, as the Bot API applies it to ``parse_mode="HTML"`` text.

The parser follows tdlib's ``parse_html`` (the code behind the Bot API): the same supported
tags, the same attribute rules and the same error wording, so that a text this module refuses
is a text Telegram answers with ``400 Bad Request: can't parse entities: <reason>``, and a
text it accepts yields the plain text and the entities (UTF-16 offsets) Telegram would return.

Supported tags: ``b strong i em u ins s strike del tg-spoiler span class="tg-spoiler"
a href code pre blockquote [expandable] tg-emoji emoji-id``. Entities: ``&lt; &gt; &amp;
&quot;`` and numeric ones (``&#60;``, ``&#x3C;``).

``strict=True`` (the default, and what the emulator uses) additionally refuses what Telegram
lets through but renders wrongly: a bare ``&`` or an entity Telegram does not know (``&foo;``,
``&apos;``), or a known one without its ``;``. Those are always an escaping bug in the bot,
and the same missing ``html.escape`` turns into a hard failure the day the string holds a
``<``. ``strict=False`` is tdlib's behaviour exactly. A bare ``>`` is accepted in both modes,
as Telegram does.

Public API: :func:`parse_html`, :func:`check_html`, :func:`is_valid_html`,
:class:`HtmlParseError`, :class:`ParsedText`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SUPPORTED_TAGS",
    "HtmlParseError",
    "ParsedText",
    "check_html",
    "is_valid_html",
    "parse_html",
    "utf16_len",
]

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# tdlib's is_space(): the C string terminator counts as space, which is what ends every scan
# at the end of the text; the sentinel below plays that role here.
_SPACES = frozenset(" \t\r\n\v\0")


_END = "\0"
_MARKUP = re.compile("[&<]")
# A tag without attributes (``<b>``, ``</b>``): the usual case, parsed by one match; anything
# else (attributes, spaces, unknown or mismatched tags, errors) takes the general path.
_PLAIN_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z-]*)>")


def _next_markup(text: str, start: int) -> int:
    """Index of the first "&" or "<" at or after ``start`` (``len(text)`` if none)."""
    found = _MARKUP.search(text, start)
    return found.start() if found else len(text)


class HtmlParseError(ValueError):
    """Telegram would refuse the text; ``reason`` is tdlib's wording (byte offsets in UTF-8).

    ``description`` is the complete Bot API error description, e.g.
    ``Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 5``.
    ``strict_only`` is true when Telegram itself would have accepted the text (see module doc).
    """

    def __init__(self, reason: str, *, strict_only: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.strict_only = strict_only

    @property
    def description(self) -> str:
        return f"Bad Request: can't parse entities: {self.reason}"


@dataclass(frozen=True)
class ParsedText:
    """The text a user sees and its Bot API ``MessageEntity`` dicts (offsets in UTF-16 units),
    sorted by offset, longer first."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def check_html(text: str, *, strict: bool = True) -> None:
    """Raise :class:`HtmlParseError` if Telegram (or strict mode) would refuse ``text``."""
    parse_html(text, strict=strict)


def is_valid_html(text: str, *, strict: bool = True) -> bool:
    """True if ``text`` would be accepted with ``parse_mode="HTML"``."""
    try:
        parse_html(text, strict=strict)
    except HtmlParseError:
        return False
    return True


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    result_pos: int  # index into the output characters, for <a> without href
    expandable: bool = False


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML into plain text and entities, or raise :class:`HtmlParseError`.

    Zero-length entities are dropped, as Telegram drops them. Emptiness and length limits are
    the caller's business (they depend on the method: text 4096, caption 1024).
    """
    return _Parser(text, strict).run()


class _Parser:
    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.n = len(text)
        self.strict = strict
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def at(self, i: int) -> str:
        return self.text[i] if i < self.n else _END

    def byte_offset(self, i: int) -> int:
        return len(self.text[:i].encode("utf-8", "surrogatepass"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def run(self) -> ParsedText:
        i = 0
        while i < self.n:
            c = self.text[i]
            if c == "&":
                decoded, end, terminated = _decode_entity(self.text, i)
                if decoded is not None and (terminated or not self.strict):
                    self.emit(decoded)
                    i = end
                    continue
                if self.strict:
                    raise HtmlParseError(
                        f'Unescaped "&" or unsupported entity at byte offset {self.byte_offset(i)}'
                        " (use &amp; &lt; &gt; &quot; or &#N;)",
                        strict_only=True,
                    )
            if c != "<":
                # A run of plain text up to the next "&" or "<" at once (the emulator parses
                # every HTML reply: character by character was most of its time per message).
                end = i + 1 if c == "&" else _next_markup(self.text, i)
                self.emit(self.text[i:end])
                i = end
                continue
            plain = _PLAIN_TAG.match(self.text, i)
            if plain is not None and self.plain_tag(plain.group(1), plain.group(2).lower()):
                i = plain.end()
                continue
            i = self.end_tag(i) if self.at(i + 1) == "/" else self.start_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def plain_tag(self, slash: str, tag: str) -> bool:
        """Open or close ``tag`` (``<tag>`` / ``</tag>``, no attributes) as :meth:`start_tag`
        and :meth:`end_tag` would; ``False``, with nothing done, when those must decide (an
        unsupported tag, a span, an end tag that does not close the innermost one)."""
        if not slash:
            if tag not in SUPPORTED_TAGS or tag == "span":
                return False
            self.stack.append(_Open(tag, "", self.utf16, len(self.out)))
            return True
        if not self.stack or self.stack[-1].tag != tag:
            return False
        self.close(self.stack[-1])
        self.stack.pop()
        return True

    def start_tag(self, begin: int) -> int:
        """Parse ``<tag attr=...>`` starting at ``begin``; return the index after ``>``."""
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        if i >= self.n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.text[begin + 1 : i].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        expandable = False
        while self.at(i) != ">":
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if i >= self.n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            if self.at(i) == ">":
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in "=>":
                i += 1
            name = self.text[name_begin:i]
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            i += 1
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if i >= self.n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
            elif tag == "blockquote" and name == "expandable":
                expandable = True
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out), expandable))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in "'\"":
            # A name token: letters, digits, periods, hyphens; not case sensitive.
            token_begin = i
            while self.at(i).isascii() and (self.at(i).isalnum() or self.at(i) in ".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return self.text[token_begin:i].lower(), i
        i += 1
        chars: list[str] = []
        while i < self.n and self.text[i] != quote:
            if self.text[i] == "&":
                decoded, end, _terminated = _decode_entity(self.text, i)
                if decoded is not None:
                    chars.append(decoded)
                    i = end
                    continue
            chars.append(self.text[i])
            i += 1
        if i < self.n:
            i += 1  # the closing quote
        return "".join(chars), i

    def end_tag(self, begin: int) -> int:
        """Parse ``</tag>`` starting at ``begin``, close the entity; return the index after it."""
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        end_name = self.text[begin + 2 : i]
        while i < self.n and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack[-1]
        if end_name and end_name.lower() != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{end_name}>"'
            )
        self.close(opened)
        self.stack.pop()
        return i + 1

    def close(self, opened: _Open) -> None:
        offset = opened.utf16_offset
        length = self.utf16 - offset
        if length <= 0:
            return
        tag = opened.tag
        if tag in _ENTITY_TYPE:
            entity: dict[str, Any] = {
                "type": _ENTITY_TYPE[tag],
                "offset": offset,
                "length": length,
            }
            if tag == "code" and opened.argument:
                entity["language"] = opened.argument
            self.entities.append(entity)
        elif tag == "a":
            url = opened.argument or "".join(self.out[opened.result_pos :])
            if url:
                self.entities.append(
                    {"type": "text_link", "offset": offset, "length": length, "url": url}
                )
        elif tag == "pre":
            last = self.entities[-1] if self.entities else None
            pre: dict[str, Any] = {"type": "pre", "offset": offset, "length": length}
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
            ):
                # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
                self.entities.pop()
                if "language" in last:
                    pre["language"] = last["language"]
            self.entities.append(pre)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if opened.expandable else "blockquote"
            self.entities.append({"type": kind, "offset": offset, "length": length})
        elif tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            self.entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": opened.argument,
                }
            )


def _decode_entity(text: str, pos: int) -> tuple[str | None, int, bool]:
    """Decode the character reference at ``text[pos] == "&"`` the way tdlib does.

    Returns ``(character or None, index after the reference, ended with ";")``. tdlib accepts
    a reference without its ``;`` and leaves anything it does not know as literal text.
    """
    n = len(text)
    end = pos + 1
    value = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
                if value >= 0x10FFFF:
                    return None, pos, False
        else:
            while end < n and text[end] in "0123456789":
                value = value * 10 + int(text[end])
                end += 1
                if value >= 0x10FFFF:
                    return None, pos, False
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None, pos, False
        decoded = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None, pos, False
        decoded = named
    if end < n and text[end] == ";":
        return decoded, end + 1, True
    return decoded, end, False
