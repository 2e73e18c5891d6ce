"""The long-lived services every handler and job uses, kept in ``application.bot_data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext

from config import Config
from handlers.clock import Clock
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


def services_of(app_or_context: Application | CallbackContext) -> Services:
    """The Services of an application or of a handler/job context."""
    bot_data: dict[str, Any] = app_or_context.bot_data
    services = bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
