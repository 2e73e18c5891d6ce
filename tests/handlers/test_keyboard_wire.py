"""handlers.render.Keyboard: the inline keyboard that works out its Bot API form once is the
same keyboard as PTB's InlineKeyboardMarkup in every way PTB or a test can look at it."""

from __future__ import annotations

import copy
import json
import pickle

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import RequestData

from handlers.render import Keyboard, keyboard

ROWS = [
    [
        InlineKeyboardButton("🔴 HZ-001", callback_data="card:HZ-001"),
        InlineKeyboardButton("HZ-002", callback_data="card:HZ-002"),
    ],
    [InlineKeyboardButton("1/2", callback_data="page:open:HZ:1")],
]


def test_its_bot_api_form_is_ptbs_and_a_caller_cannot_spoil_it() -> None:
    plain = InlineKeyboardMarkup(ROWS)
    kept = Keyboard(ROWS)
    assert kept.to_dict() == plain.to_dict()
    assert kept.to_dict(recursive=False) == plain.to_dict(recursive=False)
    assert kept.to_json() == plain.to_json()
    # Each call hands out a new outer dictionary: changing one does not change the next.
    first = kept.to_dict()
    first.pop("inline_keyboard")
    first["reply_markup"] = "spoilt"
    assert kept.to_dict() == plain.to_dict()


def test_ptb_sends_it_as_it_sends_a_plain_markup() -> None:
    """What PTB puts on the wire for ``reply_markup`` (RequestData's JSON parameters)."""

    def wire(markup: InlineKeyboardMarkup) -> dict[str, str]:
        from telegram.request._requestparameter import RequestParameter

        return RequestData([RequestParameter.from_input("reply_markup", markup)]).json_parameters

    plain, kept = InlineKeyboardMarkup(ROWS), Keyboard(ROWS)
    assert wire(kept) == wire(plain)
    assert wire(kept) == wire(kept)  # the second time, from the kept form
    assert json.loads(wire(kept)["reply_markup"])["inline_keyboard"][1][0]["text"] == "1/2"


def test_it_compares_copies_and_pickles_like_a_markup() -> None:
    kept = Keyboard(ROWS)
    kept.to_dict()
    assert kept == InlineKeyboardMarkup(ROWS)
    assert hash(kept) == hash(Keyboard(ROWS))
    assert copy.deepcopy(kept) == kept
    assert pickle.loads(pickle.dumps(kept)) == kept
    assert pickle.loads(pickle.dumps(kept)).to_dict() == kept.to_dict()


def test_keyboard_builds_one_and_drops_empty_rows() -> None:
    built = keyboard([ROWS[0], [], ROWS[1]])
    assert isinstance(built, Keyboard)
    assert built.to_dict() == InlineKeyboardMarkup(ROWS).to_dict()
    assert keyboard([[], []]) is None
