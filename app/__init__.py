"""The use-cases and services shared by the chat handlers, the alert jobs, the shell commands
and the sandbox (docs/ARCHITECTURE.md §2).

- :mod:`app.clock` — the one place the running bot reads time (injectable).
- :mod:`app.services` — the long-lived services (config, store, clock, catalog, calendar).
- :mod:`app.transaction` — the one read → decide → write transaction on a unit's ledger.
- :mod:`app.actions` — record an action on an item, create an item.
- :mod:`app.imports` — apply a 台账 import plan.
- :mod:`app.data` — a data directory for callers that do not import storage (the sandbox).
- :mod:`app.roster` — who the inspectors are, the person behind a user id, who gets alerts,
  and their reachability.
- :mod:`app.paper`, :mod:`app.evidence` — the units' paper records; the evidence copies' files.
- :mod:`app.errors`, :mod:`app.records` — the failures, records and store types callers name
  (re-exported from ``storage``: nothing above ``app`` imports ``storage``).

Nothing here knows Telegram: callers pass ids and names and get ``ledger.model`` values back.
Blocking functions say so; async callers run them with ``services.store.run``.
"""
