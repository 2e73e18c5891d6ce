"""Persistence (DESIGN §4): crash-safe TinyDB files, per-unit ledgers, the registry and its
alert log (``alerts.json``), the directory lock, check and backup. The rest of the bot uses
``Store`` and speaks ledger.model types; nothing outside this package touches TinyDB.
"""

import os

# openpyxl switches to lxml whenever lxml is importable (python-docx brings it in), and then
# parses workbook parts without defusedxml and writes other XML. Uploaded workbooks must go
# through defusedxml (entity expansion refused, R27/R32), so openpyxl is told to keep the
# stdlib + defusedxml path before anything of ours imports it; storage.xlsx_import refuses to
# read a workbook if this did not take effect.
os.environ.setdefault("OPENPYXL_LXML", "False")

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
from storage.records import AlertMove, AlertRecord, Invite, hash_invite_code
from storage.repo import Ledger, Registry, Store, Transaction
from storage.safe import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "AlertMove",
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
