"""The units' paper records — 回头看, 满意度测评 and the round's milestone (feedback date,
整改情况报告) — as the chat reads and changes them: :class:`PaperStore` (``storage.paper``)
over the services' registry. Its reads are quick; its changes are blocking (async callers run
them with ``services.store.run``).
"""

from __future__ import annotations

from app.services import Services
from storage.paper import PaperStore


def paper_of(services: Services) -> PaperStore:
    """The paper records kept in ``services``' registry."""
    return PaperStore(services.store.registry)


__all__ = ["PaperStore", "paper_of"]
