"""Pure rectification-ledger domain: model, workflow, calendar, light, alert policy, access.

Nothing in this package reads a clock, a file or the network, and it imports no telegram,
tinydb or apscheduler (tests/ledger/test_purity.py enforces it). Every function that depends on
time takes ``now`` (an aware datetime) or a date in the configured zone.
"""
