"""Alerts in the groups where the office already works: 企业微信 and 钉钉 group robots beside
Telegram (README "企业微信 / 钉钉").

- :mod:`alerts.channels.robots` — the two webhook APIs (payloads, 加签) and what each answer
  means for the record.
- :mod:`alerts.channels.render` — one summarised markdown message per group, within the
  robot's byte limit.
- :mod:`alerts.channels.keys` — the channel records' keys in the alert log, the pause and
  refusal state, the reasons behind error codes.
- :mod:`alerts.channels.notices` — the Telegram notices inspectors get about a group.
- :mod:`alerts.channels.deliver` — the pass each sweep runs after Telegram's delivery: the
  same ``ledger.alerts.decide_alerts`` over group audiences, through the alert log
  (``pending → sending → sent | uncertain | failed``), paced under 20 a minute per robot;
  ``/channels test`` and ``bot.py channels test``; the last delivery per group.

Kept light on purpose: :mod:`alerts.sweep` imports :mod:`alerts.channels.keys` and
:mod:`alerts.channels.notices`, and :mod:`alerts.channels.deliver` imports the sweep.
"""
