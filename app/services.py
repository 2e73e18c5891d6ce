"""The long-lived services every handler, job, shell command and the sandbox use.

The running bot keeps them in ``application.bot_data`` under :data:`SERVICES_KEY`;
:func:`services_of` finds them from anything that has that ``bot_data`` (an Application or a
handler/job context) without this module knowing Telegram's types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.clock import Clock
from config import Config
from ledger.calendar import WorkCalendar
from ledger.rules import Rules
from locales import Catalog
from storage.repo import Store

SERVICES_KEY = "services"


@dataclass
class Services:
    config: Config
    store: Store
    clock: Clock
    catalog: Catalog
    calendar: WorkCalendar

    @classmethod
    def create(cls, config: Config, store: Store, clock: Clock, catalog: Catalog) -> Services:
        calendar = WorkCalendar(
            config.tz,
            extra_holidays=config.calendar.holidays,
            extra_workdays=config.calendar.workdays,
        )
        return cls(config=config, store=store, clock=clock, catalog=catalog, calendar=calendar)

    @property
    def rules(self) -> Rules:
        return self.config.rules


class HoldsBotData(Protocol):
    """An Application or a handler/job context: what keeps the services."""

    @property
    def bot_data(self) -> Any: ...


def services_of(app_or_context: HoldsBotData) -> Services:
    """The Services of an application or of a handler/job context."""
    bot_data: dict[str, Any] = app_or_context.bot_data
    services = bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
