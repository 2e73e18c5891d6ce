"""A bare python-telegram-bot bot answering every message with a given message: the
informational "same message" floor of bench/latency.py, alone in its own process as the
real bot and the echo are.

Before each request the bench writes the message to answer with — the HTML text and the
inline keyboard of the real bot's reply just received — to the JSON file ``SAME_MESSAGE``
names (``{"html": ..., "reply_markup": ... | null}``); with no file yet it answers with the
message's own text, as the echo does. ``TELEGRAM_API_URL`` and ``TELEGRAM_BOT_TOKEN`` from
the environment, as bot.py reads them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._echo import serve

SOURCE = Path(os.environ.get("SAME_MESSAGE", "same-message.json"))


async def same(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    try:
        # A small file in the page cache: ~20 µs, less than a thread hop would cost.
        sent = json.loads(SOURCE.read_bytes())  # noqa: ASYNC240
    except FileNotFoundError:
        await message.reply_text(message.text or "")
        return
    markup = sent["reply_markup"]
    keyboard = InlineKeyboardMarkup.de_json(markup, context.bot) if markup else None
    await message.reply_text(sent["html"], parse_mode=ParseMode.HTML, reply_markup=keyboard)


def main() -> None:
    serve(same)


if __name__ == "__main__":
    main()
