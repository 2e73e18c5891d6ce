"""``/report [CODE]``: the 整改情况报告 as a Word document (app.report has the use-case).

Inspectors name the unit (``/report HZ``); a unit's leader gets their own unit's report with
``/report`` (naming any other unit answers exactly like a unit that does not exist, R22).
Contacts are not given it: the report is the party group's, signed by its leader. The
leader's copy carries the survey's counts and 满意率 but not its comments. Private chats only.

``run_report`` is ``bot.py report [--unit CODE] [-o PATH]``: one unit's report to ``PATH``
(default ``整改情况报告_<CODE>_<YYYYMMDD>.docx`` here), or with no ``--unit`` every unit's
report, one file each, into the directory ``PATH`` (default here). Reads only: works while
the bot runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, ContextTypes

from app.clock import SystemClock
from app.report import report_bytes, report_file_name
from app.services import Services
from config import Config
from handlers.common import Who, for_roles, send
from handlers.queries import ALL, private_only, resolve_scope
from ledger.calendar import local_date
from ledger.dates import normalise_text
from ledger.model import Role
from locales import Catalog
from storage.repo import Store

Out = Callable[[str], None]


@for_roles(Role.INSPECTOR, Role.LEADER)
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """/report [CODE]: the unit's 整改情况报告 (.docx)."""
    if not await private_only(update, who):
        return
    args = context.args or []
    if len(args) > 1 or (who.is_inspector and not args):
        await send(update, who.t("report.usage"))
        return
    code = resolve_scope(who, args[0] if args else None)
    if code == ALL:
        await send(update, who.t("report.usage"))
        return
    message = update.effective_message
    assert message is not None
    await message.reply_chat_action(ChatAction.UPLOAD_DOCUMENT)
    services = who.services
    now = services.clock.now()
    data = await services.store.run(
        report_bytes, services, code, who.lang, comments=who.is_inspector, now=now
    )
    today = local_date(now, services.config.tz)
    await message.reply_document(
        document=data,
        filename=report_file_name(services, who.lang, code, today),
        caption=who.t("report.caption", unit=code, date=today.isoformat()),
        parse_mode="HTML",
    )


def run_report(
    config: Config, *, unit: str | None, output: Path | None, out: Out, err: Out
) -> int:
    """``bot.py report [--unit CODE] [-o PATH]`` (see the module docstring). Exit status: 0
    written; 1 no such unit, no units at all, or a file cannot be written."""
    catalog = Catalog.load()
    lang = catalog.normalise(config.bot.language)
    with Store.open(config.data_dir, lock=False) as store:
        services = Services.create(config, store, SystemClock(), catalog)
        units = store.registry.list_units()
        if unit is not None:
            code = normalise_text(unit).upper()
            found = store.registry.get_unit(code)
            if found is None:
                err(catalog.plain(lang, "error.unknown_unit", unit=unit[:20]))
                return 1
            units = [found]
        if not units:
            err(catalog.plain(lang, "excel.export.no_units"))
            return 1
        now = services.clock.now()
        today = local_date(now, config.tz)
        for found in units:
            name = report_file_name(services, lang, found.code, today)
            one = unit is not None
            target = (output or Path(name)) if one else (output or Path(".")) / name
            data = report_bytes(services, found.code, lang, comments=True, now=now)
            temp = target.with_name(f".{target.name}.tmp")
            try:
                temp.write_bytes(data)
                os.replace(temp, target)  # a reader never sees half a document
            except OSError as exc:
                temp.unlink(missing_ok=True)
                err(
                    catalog.plain(lang, "report.cli.cannot_write", path=target, error=exc.strerror)
                )
                return 1
            out(catalog.plain(lang, "report.cli.written", unit=found.code, path=target))
    return 0


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("report", report_command))


__all__ = ["register", "run_report"]
