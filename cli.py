"""The shell commands: ``python bot.py [--config PATH] COMMAND`` for everything but ``run``
and ``sandbox`` (which ``bot.py`` keeps). Terminal I/O and exit codes only: the work is done by
``app/`` (and the storage tools it stands on), the words come from ``locales/`` where a person
reads them in their language; the operator lines of check/backup/restore are English, as the
config errors are (read before any language is chosen).

=================================  ===========================================================
``check``                          validate every data file; 0 all well, 1 problems
``backup``                         a verified snapshot, keep the newest N; 1 damaged data
``restore SNAPSHOT``               put a snapshot back (bot stopped), checked; 2 none named
``sweep --dry-run``                what an alert sweep would send now; 2 without --dry-run
``import FILE [--unit CODE] [--yes]`` a 台账 (.xlsx .xls .docx): preview, ask, import (bot stopped)
``export [--unit CODE] [-o PATH]`` the 台账 as .xlsx, written atomically
``report [--unit CODE] [-o PATH]`` 整改情况报告 as .docx
``channels [test]``                企业微信 / 钉钉 group robots: state, or a test message
=================================  ===========================================================

A new shell command is a ``cmd_<name>(config, args) -> int`` here and a row in
:data:`COMMANDS`; ``bot.py``'s parser takes its arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from app import imports
from app.clock import SystemClock
from app.exports import export_bytes
from app.services import Services
from config import Config
from handlers import excel_text
from handlers.common import to_plain
from handlers.excel import YES, export_file_name
from handlers.report import run_report
from ledger.calendar import local_date
from ledger.dates import normalise_text
from locales import Catalog, Html
from storage.errors import DataDirInUse
from storage.ledger_import import ImportRefused, UnresolvedUnits
from storage.maintenance import (
    CheckReport,
    backup,
    check,
    is_damaged_snapshot,
    list_backups,
    restore,
)
from storage.repo import Store
from storage.safe import write_output
from storage.xlsx_import import ImportErrors, ImportPlan

LANGS = {"zh": "zh-CN", "en": "en"}
"""``--lang``: the language of a run's every line (one language per run)."""


def lang_of(args: argparse.Namespace, config: Config | None = None) -> str:
    """The catalog language of a run: ``--lang``; without it ``[bot] language`` when that is
    ``en``; otherwise Chinese (``zh-CN`` and ``auto`` alike)."""
    chosen = getattr(args, "lang", None)
    if chosen:
        return LANGS.get(str(chosen), "zh-CN")
    if config is not None and config.bot.language == "en":
        return "en"
    return "zh-CN"


def say(lang: str) -> Callable[..., str]:
    """``say(key, **params)``: a plain ``shell.<key>`` line in ``lang``."""
    catalog = Catalog.load()

    def plain(key: str, **params: object) -> str:
        full = f"shell.{key}"
        return catalog.plain(lang, full, **params) if catalog.has(full) else ""

    return plain


def check_text(report: CheckReport, lang: str) -> str:
    """The check report in ``lang``: one line per problem and warning (the file and what is
    wrong with it, as storage states it), then a summary line."""
    if lang == "en":
        return report.text
    t = say(lang)
    lines = [t("check.problem", problem=str(p)) for p in report.problems]
    lines += [t("check.warning", warning=str(w)) for w in (*report.unregistered, *report.warnings)]
    if report.temp_files > len(report.warnings):
        lines.append(t("check.more_temp", count=report.temp_files - len(report.warnings)))
    if report.problems:
        bad = len({p.file for p in report.problems})
        files = max(report.files, bad)
        lines.append(t("check.bad", problems=len(report.problems), bad=bad, files=files))
    elif report.files == 0:
        lines.append(t("check.empty", path=report.data_dir))
    elif report.ledgers == 0:
        lines.append(t("check.only", files=report.files))
    else:
        lines.append(
            t(
                "check.ok",
                files=f"{report.files:,}",
                ledgers=f"{report.ledgers:,}",
                items=f"{report.items:,}",
                events=f"{report.events:,}",
                alerts=f"{report.alerts:,}",
            )
        )
    return "\n".join(lines)


def cmd_check(config: Config, args: argparse.Namespace) -> int:
    report = check(config.data_dir)
    print(check_text(report, lang_of(args, config)))
    return 0 if report.ok else 1


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    """Print the snapshot's path; exit 1 when there is no data directory to back up."""
    t = say(lang_of(args, config))
    if not config.data_dir.is_dir():
        stderr(t("backup.nothing", path=config.data_dir))
        return 1
    path = backup(
        config.data_dir, config.backup_dir, keep=config.backup.keep, now=SystemClock().now()
    )
    if is_damaged_snapshot(path):
        good = [p for p in list_backups(config.backup_dir) if not is_damaged_snapshot(p)]
        if good:
            stderr(t("backup.damaged_kept", path=path, good=good[-1]))
        else:
            stderr(t("backup.damaged", path=path))
        return 1
    print(t("backup.written", path=path))
    return 0


def cmd_restore(config: Config, args: argparse.Namespace) -> int:
    """Exit 0 restored and checked; 1 refused (damaged snapshot, bot running) or not OK."""
    lang = lang_of(args, config)
    t = say(lang)
    if args.file is None:
        stderr(t("restore.usage"))
        return 2
    try:
        done = restore(args.file, config.data_dir, now=SystemClock().now())
    except DataDirInUse as exc:
        stderr(t("restore.running", pid=exc.pid or "?"))
        return 1
    if done.replaced is not None:
        print(t("restore.replaced", path=done.replaced))
    print(t("restore.done", name=done.snapshot.name, path=config.data_dir))
    print(check_text(done.report, lang))
    return 0 if done.report.ok else 1


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    """Exit 0 imported (or nothing to import), 1 nothing imported, 2 no readable FILE."""
    return run_import(
        config,
        args.file,
        yes=args.yes,
        out=print,
        err=stderr,
        ask=input,
        unit=args.unit,
        lang=lang_of(args, config),
    )


def cmd_report(config: Config, args: argparse.Namespace) -> int:
    """Exit 0 written, 1 no such unit (or none at all). Works while the bot runs."""
    return run_report(config, unit=args.unit, output=args.output, out=print, err=stderr)


def cmd_export(config: Config, args: argparse.Namespace) -> int:
    """Exit 0 written, 1 no such unit (or none at all). Works while the bot runs."""
    return run_export(
        config,
        unit=args.unit,
        output=args.output,
        out=print,
        err=stderr,
        lang=lang_of(args, config),
    )


def stderr(text: str) -> None:
    print(text, file=sys.stderr)


def cmd_sweep(config: Config, args: argparse.Namespace) -> int:
    lang = lang_of(args, config)
    if not args.dry_run:
        stderr(say(lang)("sweep.usage"))
        return 2
    from alerts.summary import dry_run_text

    print(dry_run_text(config, lang=lang))
    return 0


def cmd_channels(config: Config, args: argparse.Namespace) -> int:
    """``channels``: each group robot's last delivery; ``channels test``: a test message to
    each group (exit 0 all delivered, 1 not, 2 the bot is running)."""
    from alerts.channels.shell import run

    action = str(args.file) if args.file is not None else ""
    return run(config, action, out=print, err=stderr)


Out = Callable[[str], None]
EXPORTS = "exports"  # export without -o: under the data directory, never the working directory


def run_import(
    config: Config,
    path: Path | None,
    *,
    yes: bool,
    out: Out,
    err: Out,
    ask: Callable[[str], str],
    unit: str | None = None,
    lang: str | None = None,
) -> int:
    """``bot.py import FILE [--unit CODE] [--yes]``: read (.xlsx, .xls, .docx), show the
    preview or the problems (in the configured language), ask unless ``yes``, apply. Writes,
    so it takes the data-directory lock and refuses while the bot runs.

    ``unit`` (``--unit CODE``) is the unit of the rows the file names by a name matching no
    registered unit, or by no name at all (a new code creates the unit under the file's name);
    without it such a file is refused saying so.

    Exit status: 0 imported, or nothing to import; 1 nothing imported — the file has problems,
    its units are unknown, the bot holds the data directory, or the import was not confirmed
    (``ask`` answered no or raised ``EOFError``); 2 no file given, or it cannot be read.
    """
    catalog = Catalog.load()
    lang = catalog.normalise(lang or config.bot.language)

    def say(to: Out, text: str) -> None:
        to(to_plain(text))

    if path is None:
        say(err, catalog.t(lang, "excel.cli.usage_import"))
        return 2
    try:
        store = Store.open(config.data_dir)
    except DataDirInUse as exc:
        say(err, catalog.t(lang, "excel.cli.bot_running", pid=exc.pid or "?"))
        return 1
    with store:
        services = Services.create(config, store, SystemClock(), catalog)
        try:
            result = imports.read_workbook(services, str(path))
        except OSError:
            say(err, catalog.t(lang, "excel.cli.no_file", path=str(path)))
            return 2
        if isinstance(result, ImportPlan):
            code = normalise_text(unit).upper() if unit else None
            resolved = imports.resolve(services, result, default=code)
            if isinstance(resolved, UnresolvedUnits):
                say(err, _unresolved_text(catalog, lang, resolved))
                return 1
            result = resolved
        preview = (
            imports.preview(services, result, None) if isinstance(result, ImportPlan) else result
        )
        if isinstance(preview, ImportErrors):
            head = "excel.import.refused_head"
            say(
                err, excel_text.issues_text(catalog, lang, preview, file_name=path.name, head=head)
            )
            return 1
        assert isinstance(result, ImportPlan)
        text = excel_text.preview_text(
            catalog, lang, result, preview, file_name=path.name, minutes=0, question=False
        )
        say(out, text)
        if not preview.changes_anything:
            return 0
        if not yes:
            try:
                answer = ask(catalog.plain(lang, "excel.cli.ask"))
            except EOFError:
                say(err, catalog.t(lang, "excel.cli.no_answer"))
                return 1
            if answer.strip().lower() not in YES:
                say(err, catalog.t(lang, "excel.cli.declined"))
                return 1
        try:
            outcome = imports.import_plan(services, result, None, path.name)
        except ImportRefused as refused:  # only if the ledger changed under us: it cannot here
            head = "excel.result.refused_head"
            errors = refused.errors
            say(err, excel_text.issues_text(catalog, lang, errors, file_name=path.name, head=head))
            return 1
        say(out, excel_text.result_text(catalog, lang, outcome, file_name=path.name))
    return 0


def _unresolved_text(catalog: Catalog, lang: str, unresolved: UnresolvedUnits) -> Html:
    first = unresolved.names[0]
    units = catalog.plain(lang, "excel.list_sep").join(
        f"{u.code} {u.name}" for u in unresolved.registered[:20]
    ) or catalog.plain(lang, "intake.unit.none")
    if first.name:
        return catalog.t(
            lang,
            "intake.unit.cli_refused",
            name=excel_text.clip(first.name, 40),
            items=first.items,
            units=units,
        )
    return catalog.t(lang, "intake.unit.cli_refused_unnamed", items=first.items, units=units)


def run_export(
    config: Config,
    *,
    unit: str | None,
    output: Path | None,
    out: Out,
    err: Out,
    lang: str | None = None,
) -> int:
    """``bot.py export [--unit CODE] [-o PATH]``: the ledger as .xlsx (every unit, or one),
    written atomically to ``output`` or to ``<data_dir>/exports/整改台账_<CODE or 全部>_<YYYYMMDD>
    .xlsx`` (the directory is made when missing); the full path is printed. Reads only (no
    lock): works while the bot runs.

    Exit status: 0 written; 1 no such unit, no units at all, or the file cannot be written.
    """
    catalog = Catalog.load()
    lang = catalog.normalise(lang or config.bot.language)
    with Store.open(config.data_dir, lock=False) as store:
        services = Services.create(config, store, SystemClock(), catalog)
        units = store.registry.list_units()
        code = None
        if unit is not None:
            code = normalise_text(unit).upper()
            found = store.registry.get_unit(code)
            if found is None:
                err(catalog.plain(lang, "error.unknown_unit", unit=excel_text.clip(unit, 20)))
                return 1
            units = [found]
        if not units:
            err(catalog.plain(lang, "excel.export.no_units"))
            return 1
        data, count = export_bytes(services, units, lang)
        today = local_date(services.clock.now(), config.tz)
        name = export_file_name(catalog, lang, code, today)
        target = (output or config.data_dir / EXPORTS / name).resolve()
        try:
            if output is None:  # our own folder is made; a folder the operator named must exist
                target.parent.mkdir(parents=True, exist_ok=True)
            write_output(target, data)  # a reader never sees half a workbook
        except OSError as exc:
            err(catalog.plain(lang, "excel.cli.cannot_write", path=target, error=exc.strerror))
            return 1
        out(catalog.plain(lang, "excel.cli.exported", units=len(units), items=count, path=target))
    return 0


Command = Callable[[Config, argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "sweep": cmd_sweep,
    "import": cmd_import,
    "export": cmd_export,
    "report": cmd_report,
    "channels": cmd_channels,
}
"""The shell commands by name (``bot.py`` adds ``run`` and ``sandbox``)."""
