"""Telegram glue: one module per feature, each exposing ``register(app)``; thin by design.

Handlers parse, call ledger/ to decide and storage/ to persist, render through locales/, reply.
"""
