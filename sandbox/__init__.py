"""Offline Telegram: a local Bot API emulator (the e2e harness) and the terminal chat.

- :mod:`sandbox.emulator` — the Bot API server and its fault / flood switches.
- :mod:`sandbox.users` — the people talking to the bot (send, press, read replies).
- :mod:`sandbox.htmlcheck` — Telegram's HTML parse mode, usable on its own (R24).
- :mod:`sandbox.files`, :mod:`sandbox.flood`, :mod:`sandbox.commands`, :mod:`sandbox.markup`,
  :mod:`sandbox.botapi` — the emulator's parts (file store, rate limits, command menus,
  keyboards, wire format).
- :mod:`sandbox.ptb` — pointing a python-telegram-bot Application at the emulator.

Nothing here opens a socket or reads a clock at import time.
"""
