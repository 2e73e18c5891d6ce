"""整改通 entry point: the command line and ``build_app``. It only wires; nothing runs at import.

    python bot.py [--config PATH] run        the bot (no token: the offline sandbox instead)
    python bot.py [--config PATH] sandbox    the local Bot API emulator + bot + terminal chat
    python bot.py [--config PATH] check      validate every data file and report
    python bot.py [--config PATH] backup     write a verified snapshot, keep the newest N
    python bot.py [--config PATH] restore SNAPSHOT   put a snapshot back (bot stopped), checked
    python bot.py [--config PATH] sweep --dry-run   what an alert sweep would send now
    python bot.py [--config PATH] import FILE [--yes]   import a 台账 .xlsx (bot stopped)
    python bot.py [--config PATH] export [--unit CODE] [-o PATH]   the 台账 as .xlsx
    python bot.py [--config PATH] channels [test]   企业微信 / 钉钉 groups: state, or a test
    python bot.py [--config PATH] report [--unit CODE] [-o PATH]   整改情况报告 as .docx

``run`` and ``sandbox`` are here; every other command is a shell command in ``cli.py``
(terminal I/O and exit codes over ``app/``), parsed here so that ``python bot.py COMMAND``
stays the one command line.

``build_app(config, services)`` returns the PTB Application with every handler registered in a
fixed order; production, the sandbox and the end-to-end tests all call it.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path

from telegram._utils.types import ODVInput
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest, RequestData

import cli
from alerts import jobs as alert_jobs
from alerts.channels import deliver as group_channels
from app.clock import Clock, SystemClock
from app.memory import freeze_loaded
from app.services import Services
from config import Config, ConfigError, load_config
from handlers import add as add_handlers
from handlers import alerts as alert_handlers
from handlers import channels as channel_handlers
from handlers import (
    confirm,
    dedupe,
    evidence,
    extension,
    identity,
    menus,
    people,
    phrases,
    queries,
    start,
    workflow,
)
from handlers import errors as error_handlers
from handlers import excel as excel_handlers
from handlers import lookback as lookback_handlers
from handlers import report as report_handlers
from handlers import stats as stats_handlers
from handlers import survey as survey_handlers
from locales import Catalog
from storage.errors import StorageError
from storage.repo import Store

log = logging.getLogger("zgt")


# --------------------------------------------------------------------------- logging (R26)


# Group-robot webhook URLs carry their credentials as query parameters (企业微信 ``key``,
# 钉钉 ``access_token`` and the 加签 ``sign``): masked whatever their value.
_WEBHOOK_PARAMS = r"(?:(?<=[?&]key=)|(?<=[?&]access_token=)|(?<=[?&]sign=))[^&\s'\"]+"


class TokenFilter(logging.Filter):
    """Masks the bot token wherever it would appear in a log line (URLs carry ``bot<token>``),
    and the group robots' keys and secrets (``[channels]``) and webhook credentials."""

    def __init__(self, token: str | None, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        masked = sorted({s for s in (token, *secrets) if s}, key=len, reverse=True)
        alternatives = [re.escape(s) for s in masked]
        if secrets:
            alternatives.append(_WEBHOOK_PARAMS)
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None
        self._token = token

    def _mask(self, match: re.Match[str]) -> str:
        return "<token>" if match.group(0) == self._token else "<secret>"

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        if self._pattern.search(message):
            record.msg = self._pattern.sub(self._mask, message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted tracebacks can carry the URL too: format now, mask, and drop exc_info.
            formatter = logging.Formatter()
            text = formatter.formatException(record.exc_info)
            record.msg = f"{record.msg}\n{self._pattern.sub(self._mask, text)}"
            record.exc_info = None
            record.exc_text = None
        return True


TOKEN_REJECTED = "the token was rejected by Telegram; check TELEGRAM_BOT_TOKEN"
TOKEN_REVOKED = (
    "the token was rejected by Telegram while running (revoked?); stopping: "
    "check TELEGRAM_BOT_TOKEN"
)


class PollingRequest(HTTPXRequest):
    """The getUpdates connection, watching for the token being revoked while the bot runs.

    Telegram answers 401 once a token is revoked. PTB's polling loop would raise
    ``InvalidToken`` out of its task: a logged traceback, an application idling on deaf, and
    the error again from ``Updater.stop`` that skips the orderly shutdown. Instead this logs one
    line, asks the application to stop (running handlers and jobs finish, as on SIGTERM) and
    answers that poll with "no updates"; ``revoked`` tells ``_cmd_run`` to exit non-zero (R28).
    A 401 before the application runs (start-up) is left to PTB, which raises it to the caller.
    """

    def __init__(self) -> None:
        super().__init__(connection_pool_size=1)
        self.app: Application | None = None
        self.revoked = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code != HTTPStatus.UNAUTHORIZED or self.app is None or not self.app.running:
            return code, payload
        if not self.revoked:
            self.revoked = True
            log.critical(TOKEN_REVOKED)
            self.app.stop_running()
        return HTTPStatus.OK, b'{"ok": true, "result": []}'


def setup_logging(
    token: str | None, level: int = logging.INFO, secrets: Sequence[str] = ()
) -> None:
    """Root logging to stderr with the token and robot-secret mask; httpx/httpcore only from
    WARNING (R26)."""
    log_to(logging.StreamHandler(), token, secrets, level)


def log_to(
    handler: logging.Handler,
    token: str | None,
    secrets: Sequence[str] = (),
    level: int | None = None,
) -> None:
    """Make ``handler`` the root log's only one, with the token and robot-secret mask (R26);
    ``level`` ``None`` keeps the root's level. The sandbox sends its log to a file this way."""
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenFilter(token, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if level is not None:
        root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --------------------------------------------------------------------------- the application


def build_app(config: Config, services: Services) -> Application:
    """The bot: PTB Application against ``config.bot.api_url`` with every handler registered.

    The caller owns ``services.store`` (opened with the data-directory lock before this call,
    closed after the application has shut down).
    """
    if not config.token:
        raise ConfigError("no bot token: set TELEGRAM_BOT_TOKEN or [bot] token_file")
    api = config.bot.api_url
    polling = PollingRequest()
    app = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .get_updates_request(polling)
        .post_init(_post_init)
        .build()
    )
    polling.app = app
    app.bot_data["services"] = services
    app.bot_data["polling"] = polling
    # Handler order matters: PTB tries groups in ascending order and, within a group, the first
    # matching handler wins. Feature modules are registered here, most specific first.
    dedupe.register(app)  # group -100: a re-delivered update stops here (R18)
    identity.register(app)  # group -90: configured inspectors' names kept in the registry
    survey_handlers.register(app)  # /survey; /start sv-… links, sv: buttons (before start)
    start.register(app)  # /start [invite], /help, /lang
    people.register(app)  # inspectors: /newunit /units /invite /people /revoke
    queries.register(app)  # /open /overdue /due /item /history /unit; card:, hist:, page:
    report_handlers.register(app)  # /report, /feedback, the signed report (before evidence)
    evidence.register(app)  # 佐证: item-id captions, the 佐证 flow, /evidence, ev: (before excel)
    workflow.register(app)  # /progress /submit /endorse /approve /reject …, do: buttons, notices
    extension.register(app)  # /extend 申请延期; 同意延期 / 不同意 card buttons
    add_handlers.register(app)  # /add: a new item step by step (inspectors)
    excel_handlers.register(app)  # .xlsx uploads (preview, ok:/no:imp… buttons), /export
    stats_handlers.register(app)  # /stats: the chart as a photo
    alert_handlers.register(app)  # /alerts (inspectors); reachability (group -10)
    lookback_handlers.register(app)  # /lookback: 回头看 checks, lb: buttons, the typed note
    channel_handlers.register(app)  # /channels [test]: 企业微信 / 钉钉 group robots (inspectors)
    # Features with conversations or free-text input register above this line.
    confirm.register(app)  # cf: buttons — "确认…？" before a formal act is recorded
    phrases.register(app)  # LAST: Chinese phrases, unknown-text hint, stale buttons
    error_handlers.register(app)
    alert_jobs.register(app)  # JobQueue: start-up and scheduled sweeps, digests, daily backup
    group_channels.register(app)  # 企业微信 / 钉钉 groups: a pass in every sweep (after alerts)
    return app


async def _post_init(app: Application) -> None:
    """After ``initialize`` (run_polling/run_webhook): the default and inspectors' menus."""
    await menus.startup(app)


def open_services(config: Config, clock: Clock | None = None) -> Services:
    """Open the data directory (taking its lock) and assemble the long-lived services."""
    store = Store.open(config.data_dir)
    return Services.create(config, store, clock or SystemClock(), Catalog.load())


# --------------------------------------------------------------------------- command line


def _cmd_run(config: Config, args: argparse.Namespace) -> int:
    if not config.token:
        # The sandbox's first line says, in the configured language, why it started.
        return _cmd_sandbox(config, args)
    services = open_services(config)
    freeze_loaded()  # what was loaded lives as long as the process (app.memory)
    quiet = _QuietStartup()
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.filters.insert(0, quiet)  # before TokenFilter folds the traceback in
    try:
        app = build_app(config, services)
        alert_jobs.runtime_of(app).freeze_after_start = True
        quiet.app = app
        log.info("starting; data in %s", config.data_dir)
        app.run_polling(allowed_updates=None, drop_pending_updates=False)
    except InvalidToken:
        # Start-up: PTB's message quotes the token; it never leaves this frame (R28).
        cli.stderr(f"error: {TOKEN_REJECTED}")
        return 1
    except NetworkError as exc:
        # Start-up only (once running, PTB retries): Telegram unreachable is one line (R34).
        cli.stderr(f"error: cannot reach the Bot API at {config.bot.api_url}: {exc.message}")
        return 1
    finally:
        services.store.close()
        for handler in handlers:
            handler.removeFilter(quiet)
    return 1 if app.bot_data["polling"].revoked else 0


class _QuietStartup(logging.Filter):
    """Drops PTB's tracebacks of a rejected token (which quote it) at any time, and of a
    network failure before the application runs: ``_cmd_run`` says each in one line."""

    def __init__(self) -> None:
        super().__init__()
        self.app: Application | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, InvalidToken):
            return False
        starting = self.app is None or not self.app.running
        return not (starting and isinstance(exc, NetworkError))


def _cmd_sandbox(config: Config, args: argparse.Namespace) -> int:
    from sandbox.session import BotDoors
    from sandbox.session import main as sandbox_main

    doors = BotDoors(build_app, log_to, started=alert_jobs.wait_started)
    return sandbox_main(config, fresh=args.fresh, doors=doors)


COMMANDS: dict[str, cli.Command] = {"run": _cmd_run, "sandbox": _cmd_sandbox, **cli.COMMANDS}
"""Every command: the bot and the sandbox here, the shell commands in ``cli.py``."""


HELP_ORDER = ("run", "sandbox", "check", "backup", "restore", "sweep", "import", "export")
"""The commands ``--help`` explains first, in this order (any other after them)."""


def help_lang(argv: Sequence[str]) -> str:
    """The language ``--help`` speaks: ``--lang en`` (or ``--lang=en``) anywhere on the
    command line, else Chinese — read before parsing, as ``--help`` exits while parsing."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return cli.lang_of(argparse.Namespace(lang=args[i + 1]))
        if arg.startswith("--lang="):
            return cli.lang_of(argparse.Namespace(lang=arg.split("=", 1)[1]))
    return "zh-CN"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    given = list(sys.argv[1:] if argv is None else argv)
    t = cli.say(help_lang(given))
    names = [*HELP_ORDER, *(c for c in sorted(COMMANDS) if c not in HELP_ORDER)]
    listing = [t("help.commands")]
    listing += [f"  {name:<10} {t(f'help.{name}')}" for name in names]
    parser = argparse.ArgumentParser(
        prog="bot.py",
        description=t("help.description"),
        epilog="\n".join(listing),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, default=Path("config.toml"), help=t("help.config"))
    parser.add_argument("--lang", choices=sorted(cli.LANGS), help=t("help.lang"))
    parser.add_argument("--debug", action="store_true", help=t("help.debug"))
    parser.add_argument("--fresh", action="store_true", help=t("help.fresh"))
    parser.add_argument("--dry-run", action="store_true", help=t("help.dry_run"))
    parser.add_argument(
        "command", nargs="?", default="run", choices=sorted(COMMANDS), metavar="command"
    )
    parser.add_argument("file", nargs="?", type=Path, help=t("help.file"))
    parser.add_argument("--yes", action="store_true", help=t("help.yes"))
    parser.add_argument("--unit", help=t("help.unit"))
    parser.add_argument("-o", "--output", type=Path, help=t("help.output"))
    return parser.parse_args(given)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config, env=os.environ)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    setup_logging(
        config.token,
        logging.DEBUG if args.debug else logging.INFO,
        secrets=config.channels.secrets,
    )
    try:
        return COMMANDS[args.command](config, args)
    except (StorageError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A full disk, a directory where a file should be, no permission: one line (R34).
        # Every write is atomic, so nothing half-written is left behind.
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        return 1


def os_error_line(exc: OSError) -> str:
    """``<file>: <what the system said>`` (``No space left on device`` …)."""
    what = exc.strerror or str(exc)
    return f"{exc.filename}: {what}" if exc.filename else what


if __name__ == "__main__":
    sys.exit(main())
