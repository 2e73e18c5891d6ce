"""A bare python-telegram-bot echo bot: the start-up floor of bench/startup.py.

``TELEGRAM_API_URL`` and ``TELEGRAM_BOT_TOKEN`` from the environment, as bot.py reads them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(update.effective_message.text or "")


def serve(
    answer: Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]],
) -> None:
    """Poll the Bot API at ``TELEGRAM_API_URL`` as ``TELEGRAM_BOT_TOKEN``, every message
    answered by ``answer``, until SIGTERM (the bench's other bare bots use it too)."""
    url = os.environ["TELEGRAM_API_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, answer))
    app.run_polling()


def main() -> None:
    serve(echo)


if __name__ == "__main__":
    main()
