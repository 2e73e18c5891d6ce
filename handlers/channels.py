"""``/channels`` for inspectors: the 企业微信 / 钉钉 group robots — each group's last delivery,
a throttling pause, a robot that refuses us — and ``/channels test`` (also ``/channels 测试``),
which sends a test message to every configured group and answers with each result.

Private chats only, like ``/alerts``: the answer names groups and their state. A test
message goes through the alert log like any delivery (``channel:<group>|test:<instant>``), so
the status shows it as the group's last delivery."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, ContextTypes

from alerts.channels.deliver import channels_of
from alerts.channels.report import results_text, status_text, when_text
from handlers.common import Who, for_roles, send
from handlers.queries import private_only
from ledger.model import Role

TEST_WORDS = frozenset({"test", "测试"})


@for_roles(Role.INSPECTOR)
async def channels_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """Show each group robot's state, or send a test message to each (``test``)."""
    if not await private_only(update, who):
        return
    services = who.services
    args = [a.lower() for a in (context.args or [])]
    channels = channels_of(context.application)
    if args and args[0] in TEST_WORDS and channels is not None:
        if update.effective_chat is not None:
            await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        results = await channels.send_tests(when_text(services, services.config.channels.language))
        await send(update, results_text(services, who.lang, results))
        return
    text = await services.store.run(status_text, services, who.lang)
    await send(update, text)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("channels", channels_command))


__all__ = ["channels_command", "register"]
