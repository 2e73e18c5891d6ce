"""Alert delivery (DESIGN §6; RELIABILITY R7–R16, R19): when sweeps run, what they send, and
how every message reaches Telegram exactly once in the record.

- :mod:`alerts.schedule` — pure: quiet hours, sweep instants, digest periods, on the bot clock.
- :mod:`alerts.log` — the alert log's states and the writes that move them.
- :mod:`alerts.render` — ``ledger.alerts.Outgoing`` → Telegram messages in the reader's language.
- :mod:`alerts.pacing` — the sending pacer (Telegram's flood limits), injectable time.
- :mod:`alerts.delivery` — sends a batch of messages through the pacer, classifying failures.
- :mod:`alerts.sweep` — one sweep: recover, decide, record ``pending``, deliver, report.
- :mod:`alerts.jobs` — the JobQueue wiring: scheduled and start-up sweeps, the backup job.

The policy itself (what is due, to whom, with which key) is pure and lives in
:mod:`ledger.alerts`; nothing here decides business rules.
"""
