"""Exporting the 台账: the workbook of some units, in a language (DESIGN §7). Blocking.

Each unit's figures as the export's sheet counts them (``UnitStats``, ``unit_stats``,
``total_stats``, ``weekly_closed`` of ``storage.xlsx_export``) are re-exported here: /stats and
its charts show the same numbers as the workbook, without importing ``storage``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.services import Services
from ledger.lookback import latest as latest_lookback
from ledger.model import Item, Status, Unit
from ledger.survey import latest as latest_survey
from storage.paper import PaperStore
from storage.paper_xlsx import PaperRow, paper_sheet
from storage.xlsx_export import (
    UnitStats,
    Withdrawal,
    export_ledger,
    total_stats,
    unit_stats,
    weekly_closed,
)


def export_bytes(services: Services, units: list[Unit], lang: str) -> tuple[bytes, int]:
    """The .xlsx of ``units`` in ``lang`` and how many items it holds (withdrawn ones are
    listed apart, not counted). Blocking."""
    items: dict[str, list[Item]] = {u.code: services.store.ledger(u.code).items() for u in units}
    names = {p.user_id: p.name for p in services.store.registry.list_people()}
    withdrawals: dict[str, Withdrawal] = {}
    for code, unit_items in items.items():
        for item in unit_items:
            if item.status is Status.WITHDRAWN:
                events = services.store.ledger(code).events(item.id)
                last = next((e for e in reversed(events) if e.action == "withdraw"), None)
                if last is not None:
                    withdrawals[item.id] = Withdrawal(last.by, last.at)
    data = export_ledger(
        units,
        items,
        now=services.clock.now(),
        tz=services.config.tz,
        rules=services.rules,
        lang=lang,
        names=names,
        withdrawals=withdrawals,
        extra=paper_sheet(
            paper_rows(services, units), _say(services, lang), services.config.tz, lang
        ),
    )
    shown = sum(i.status is not Status.WITHDRAWN for v in items.values() for i in v)
    return data, shown


def paper_rows(services: Services, units: Sequence[Unit]) -> list[PaperRow]:
    """Each unit's latest 满意度测评 and 回头看, for the export's sheet of them."""
    paper = PaperStore(services.store.registry)
    return [
        PaperRow(u, latest_survey(paper.surveys(u.code)), latest_lookback(paper.lookbacks(u.code)))
        for u in units
    ]


def _say(services: Services, lang: str) -> Callable[..., str]:
    def say(key: str, **params: object) -> str:
        return services.catalog.plain(lang, key, **params)

    return say


__all__ = [
    "UnitStats",
    "export_bytes",
    "paper_rows",
    "total_stats",
    "unit_stats",
    "weekly_closed",
]
