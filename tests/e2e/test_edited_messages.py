"""An edited message is not a new request: it changes nothing and gets no reply."""

from __future__ import annotations

from telegram import Update

from tests.e2e.harness import BotUnderTest


async def test_an_edited_command_is_ignored(bot: BotUnderTest) -> None:
    contact = bot.contact("HZ", user_id=3001)
    await contact.send("/help")
    await contact.next_reply()  # the bot answers the original
    before = len(bot.emulator.calls_of("sendMessage"))
    remembered = bot.store.update_marks.keys()
    now = int(bot.clock.now().timestamp())
    edited = Update.de_json(
        {
            "update_id": 999_999_001,
            "edited_message": {
                "message_id": 1,
                "date": now,
                "edit_date": now,
                "chat": {"id": 3001, "type": "private", "first_name": "HZ联络员"},
                "from": {"id": 3001, "is_bot": False, "first_name": "HZ联络员"},
                "text": "/open",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        },
        bot.app.bot,
    )
    assert edited is not None
    await bot.app.process_update(edited)
    assert len(bot.emulator.calls_of("sendMessage")) == before
    assert bot.store.update_marks.keys() == remembered  # nothing remembered
