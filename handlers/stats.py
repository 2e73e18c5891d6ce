"""``/stats [CODE]``: the rectification chart as a photo (DESIGN §7).

Per unit, closed / in progress / overdue with 整改完成率 and 销号率 (most overdue first), and
the items closed per week (``handlers.charts.render_stats_png``, drawn on a worker thread with
the packaged CJK font). Who sees which units is ``/export``'s rule: inspectors every unit or
the one named, contacts and leaders their own (another code answers like a missing unit).
The caption is the figures block of ``ledger.figures`` as /units writes it (same numbers, same
rates, zero parts left out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, ContextTypes

from app.exports import UnitStats, total_stats, unit_stats, weekly_closed
from app.services import Services
from handlers.common import Who, for_roles
from handlers.excel import units_asked
from handlers.paper_render import stats_paper_lines
from handlers.render import format_day, join, visible_len
from ledger.calendar import local_date
from ledger.figures import Figures
from ledger.model import Item, Unit
from locales import Html
from locales.figures import figures_lines

CAPTION_MAX = 1024  # Telegram's limit for a photo's caption


@dataclass(frozen=True)
class Chart:
    png: bytes
    total: UnitStats


def chart_rows(
    services: Services, units: Sequence[Unit], now: datetime
) -> tuple[list[UnitStats], list[Item]]:
    """Each unit's figures (``ledger.figures``), most overdue first, and every item read."""
    tz, rules = services.config.tz, services.rules
    rows: list[UnitStats] = []
    every: list[Item] = []
    for unit in units:
        items = services.store.ledger(unit.code).items()
        every.extend(items)
        rows.append(unit_stats(unit, items, now=now, tz=tz, rules=rules))
    rows.sort(key=lambda r: (-r.figures.overdue, r.figures.completion_rate or 0, r.code))
    return rows, every


def draw(services: Services, units: Sequence[Unit], title: str, lang: str) -> Chart:
    """The chart of ``units`` now, and their totals. Blocking (reads ledgers, renders)."""
    # matplotlib takes ~0.4 s to import: load it when the first chart is drawn, not at every
    # start of bot.py (the shell commands never draw).
    from handlers.charts import render_stats_png

    now = services.clock.now()
    rows, every = chart_rows(services, units, now)
    weekly = weekly_closed(every, now=now, tz=services.config.tz)
    png = render_stats_png(rows, weekly, title=title, lang=lang)
    return Chart(png, total_stats(rows))


def caption(who: Who, scope: str, day: date, total: Figures) -> Html:
    """The photo's caption: the scope, the date and the figures block /units writes."""
    lines = figures_lines(who.t, total, who.services.rules.yellow_days)
    return who.t(
        "stats.caption", scope=scope, date=format_day(who.words, day), figures=join(lines)
    )


@for_roles()
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/stats [CODE]: the chart of every visible unit, or of the one named."""
    args = context.args or []
    asked = await units_asked(update, who, args, ChatAction.UPLOAD_PHOTO)
    if asked is None:
        return
    units, message = asked
    services = who.services
    today = local_date(services.clock.now(), services.config.tz)
    one = args or not who.is_inspector
    scope = f"{units[0].code} {units[0].name}" if one else who.plain("stats.scope_all")
    title = who.plain("stats.title", scope=scope, date=format_day(who.words, today))
    chart = await asyncio.to_thread(draw, services, units, title, who.lang)
    text = caption(who, scope, today, chart.total.figures)
    paper = stats_paper_lines(services, who.words, [u.code for u in units])
    if paper and visible_len(text) + sum(visible_len(p) + 1 for p in paper) <= CAPTION_MAX:
        text = join([text, *paper])
    await message.reply_photo(photo=chart.png, caption=text, parse_mode="HTML")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats_command))


__all__ = ["Chart", "caption", "chart_rows", "draw", "register"]
