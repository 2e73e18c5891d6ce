"""Persistence (DESIGN §4): crash-safe TinyDB files, per-unit ledgers, the registry and its
alert log (``alerts.json``), the directory lock, check and backup. The rest of the bot uses
``Store`` and speaks ledger.model types; nothing outside this package touches TinyDB.
"""

from storage.errors import (
    AlreadyExists,
    CorruptFile,
    DataDirInUse,
    EventOutOfOrder,
    InviteRejected,
    MissingFile,
    ReadOnlyStore,
    StorageError,
    StoreClosed,
)
from storage.layout import Layout
from storage.maintenance import CheckReport, Problem, backup, check, list_backups
from storage.records import AlertRecord, Invite, hash_invite_code
from storage.repo import Ledger, Registry, Store, Transaction
from storage.safe import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "AlertRecord",
    "AlreadyExists",
    "CheckReport",
    "CorruptFile",
    "DataDirInUse",
    "EventOutOfOrder",
    "Invite",
    "InviteRejected",
    "Layout",
    "Ledger",
    "MissingFile",
    "Problem",
    "ReadOnlyStore",
    "Registry",
    "StorageError",
    "Store",
    "StoreClosed",
    "Transaction",
    "backup",
    "check",
    "hash_invite_code",
    "list_backups",
]
