"""The local copies of evidence files (佐证材料, R25), as the chat keeps them: save one under
the item's folder, discard one, find one, and the name shown for a file (``storage.evidence``,
which writes atomically and never trusts a name). Saving and discarding are blocking (async
callers run them with ``services.store.run``).
"""

from __future__ import annotations

from storage.evidence import (
    StoredEvidence,
    discard_evidence,
    resolve,
    save_evidence,
    shown_name,
)

__all__ = ["StoredEvidence", "discard_evidence", "resolve", "save_evidence", "shown_name"]
