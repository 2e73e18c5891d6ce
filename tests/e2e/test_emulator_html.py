"""The emulator's HTML-subset validator (sandbox.htmlcheck): what Telegram accepts, what it
refuses and with which words, and the property R24 relies on (escaped text always passes)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.htmlcheck import HtmlParseError, check_html, is_valid_html, parse_html, utf16_len

# Surrogates cannot travel in a Bot API request (it is UTF-8), so they are not "text".
texts = st.text(alphabet=st.characters(codec="utf-8"))


@pytest.mark.parametrize(
    ("source", "plain", "entities"),
    [
        ("<b>粗</b>体", "粗体", [{"type": "bold", "offset": 0, "length": 1}]),
        ("<strong>s</strong><em>e</em><ins>u</ins>", "seu", None),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", None),
        ("<tg-spoiler>x</tg-spoiler>", "x", [{"type": "spoiler", "offset": 0, "length": 1}]),
        (
            '<span class="tg-spoiler">x</span>',
            "x",
            [{"type": "spoiler", "offset": 0, "length": 1}],
        ),
        (
            '<a href="https://t.me/zgt_bot?start=abc">邀请</a>',
            "邀请",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 2,
                    "url": "https://t.me/zgt_bot?start=abc",
                }
            ],
        ),
        ("<code>HZ-007</code>", "HZ-007", [{"type": "code", "offset": 0, "length": 6}]),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
        ),
        ("<blockquote>q</blockquote>", "q", [{"type": "blockquote", "offset": 0, "length": 1}]),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [{"type": "expandable_blockquote", "offset": 0, "length": 1}],
        ),
        ("&lt;b&gt; &amp; &quot;", '<b> & "', []),
        ("&#60;&#x3C;&#128512;", "<<😀", []),
        ("a > b", "a > b", []),
        ("<B>x</B>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
        ("<b></b>", "", []),
    ],
)
def test_accepted_markup_gives_text_and_entities(source, plain, entities):
    parsed = parse_html(source)
    assert parsed.text == plain
    if entities is not None:
        assert parsed.entities == entities


def test_offsets_are_utf16_units():
    parsed = parse_html("😀整改<b>通</b>")
    # U+1F600 is two UTF-16 units, each CJK character one.
    assert parsed.entities == [{"type": "bold", "offset": 4, "length": 1}]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("a<b", "Unclosed start tag at byte offset 1"),
        ("第一行<br>第二行", 'Unsupported start tag "br" at byte offset 9'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<code>x</code", "Unclosed end tag at byte offset 7"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<tg-emoji>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_refused_markup_uses_telegram_wording(source, reason):
    with pytest.raises(HtmlParseError) as caught:
        check_html(source)
    assert caught.value.reason.startswith(reason)
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert not caught.value.strict_only


@pytest.mark.parametrize("source", ["AT&T", "&foo;", "&apos;", "&lt", "&#0;"])
def test_strict_mode_refuses_what_telegram_would_show_garbled(source):
    with pytest.raises(HtmlParseError) as caught:
        check_html(source)
    assert caught.value.strict_only
    # tdlib itself lets these through as literal text.
    assert is_valid_html(source, strict=False)


def test_lenient_mode_keeps_unknown_entities_literally():
    assert parse_html("AT&T &foo; &lt", strict=False).text == "AT&T &foo; <"


@given(texts)
def test_escaped_text_always_passes_and_round_trips(text):
    parsed = parse_html(html.escape(text))
    assert parsed.text == text
    assert parsed.entities == []


@given(texts, texts)
def test_escaped_text_inside_tags_passes(a, b):
    parsed = parse_html(f"<b>{html.escape(a)}</b> {html.escape(b, quote=False)}")
    assert parsed.text == f"{a} {b}"


@given(texts, texts)
def test_a_raw_less_than_sign_is_refused(a, b):
    assert not is_valid_html(html.escape(a) + "<" + html.escape(b))
    assert not is_valid_html(html.escape(a) + "<" + html.escape(b), strict=False)


@given(texts, texts)
def test_a_raw_ampersand_never_reaches_the_user_in_strict_mode(a, b):
    source = html.escape(a) + "&" + html.escape(b)
    # Either refused, or the "&" began a real reference (b == "lt;…", "#60;…"): strict mode
    # never shows a stray "&" the way Telegram would.
    assert not is_valid_html(source) or parse_html(source).text != a + "&" + b
