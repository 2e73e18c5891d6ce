"""The use-cases' vocabulary of data-directory failures: the ``storage.errors`` a handler or an
alert job names (to word it, or to tell one failure from another), re-exported so callers
above ``app`` never import ``storage`` (docs/ARCHITECTURE.md §2). Raised by ``storage``; each
``str()`` is one plain line an operator can act on.
"""

from __future__ import annotations

from storage.errors import (
    AlreadyExists,
    DamagedLedger,
    DataDirInUse,
    InviteRejected,
    StorageError,
)

__all__ = ["AlreadyExists", "DamagedLedger", "DataDirInUse", "InviteRejected", "StorageError"]
