"""Load and validate config.toml into frozen dataclasses (DESIGN §3, §6).

``load_config(path, env)`` is the only entry point. Every key has a default (the values in the
shipped config.toml); a missing file section means "all defaults". Anything wrong — an unknown
section or key, a wrong type, a bad time zone, a negative number of days, a malformed time —
raises ``ConfigError`` whose single-line message names the file, the key, the value and what
was expected, so start-up stops with one clear sentence.

Secrets never come from config.toml: the token is read from ``TELEGRAM_BOT_TOKEN`` or from the
file named by ``[bot] token_file`` (a ``token`` key in config.toml is refused outright).
``TELEGRAM_API_URL`` overrides ``[bot] api_url`` (the sandbox and the tests point it at the
local emulator).

Operator-facing messages here are English on purpose: they are read by whoever deploys the
bot, before any language setting has been loaded.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.rules import DEFAULT_CATEGORIES, Rules

LANGUAGES = ("zh-CN", "en", "auto")  # auto: follow each user's Telegram language_code
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TELEGRAM_MAX_DOWNLOAD_MB = 20
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


# What a Telegram bot token looks like. A config error never echoes one, whichever key it was
# pasted into (R28): values are quoted in messages, so the token would otherwise be printed.
TOKEN_LIKE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# Byte-order marks and what saved them; anything else that is not UTF-8 is named by guessing
# the encodings Windows editors use for Chinese text.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def mask_tokens(text: str) -> str:
    """``text`` with every token-looking run replaced by ``<token>``."""
    return TOKEN_LIKE.sub("<token>", text)


class ConfigError(Exception):
    """A config problem; ``str(err)`` is the one line to show the operator. Anything in it that
    looks like a bot token is masked (R28)."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_tokens(message))


@dataclass(frozen=True)
class BotConfig:
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    data_dir: Path = Path("data")
    api_url: str = "https://api.telegram.org"
    token_file: Path | None = None
    inspectors: tuple[int, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class WorkflowConfig:
    endorsement_required: bool = True
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    invite_ttl_hours: int = 72
    evidence_max_mb: int = TELEGRAM_MAX_DOWNLOAD_MB
    evidence_types: tuple[str, ...] = (
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "jpg",
        "jpeg",
        "png",
        "zip",
        "rar",
        "txt",
    )
    page_size: int = 10
    # How long a chat conversation (a reason after 退回, the /add steps …) waits for the next
    # answer before it is cancelled and the person told so.
    conversation_timeout_seconds: int = 600
    # 立行立改 / 即知即改 in a 台账 or typed in chat: due this many working days from the day
    # it is read (the import, or the message).
    immediate_days: int = 10
    # The 问题类别 of imported rows when the file has neither a category column nor section
    # rows ("一、…方面"); "" = "其他" if configured, else the last configured category.
    import_default_category: str = ""
    # Reading an uploaded 台账 (.xlsx/.xls/.docx) runs in a child process that may map this much
    # more memory and take this much wall time (storage.parse_worker); over either, the file
    # is refused in one line.
    import_memory_mb: int = 512
    import_seconds: int = 60

    @property
    def default_category(self) -> str:
        """The category of imported rows the file gives none (see above)."""
        if self.import_default_category:
            return self.import_default_category
        return "其他" if "其他" in self.categories else self.categories[-1]


@dataclass(frozen=True)
class AlertConfig:
    remind_days: tuple[int, ...] = (7, 3, 1)
    overdue_repeat_days: int = 7
    escalate_days: tuple[int, ...] = (1, 15, 30)
    stale_days: int = 14
    review_days: int = 3
    yellow_days: int = 7
    lookback_months: int = 6
    lookback_sample: int = 3
    due_days: int = 7
    sweep_times: tuple[time, ...] = (time(9, 0),)
    daily_digest_time: time = time(17, 30)
    weekly_digest_day: str = "fri"
    weekly_digest_time: time = time(17, 30)
    quiet: bool = True
    work_hours: tuple[time, time] = (time(8, 30), time(18, 0))


@dataclass(frozen=True)
class PaperConfig:
    """The inspection office's paperwork (handlers.survey, handlers.report)."""

    survey_days: int = 14  # a 满意度测评 stays open this many days unless a date is given
    report_due_months: int = 2  # 整改情况报告 due this many months after the feedback date
    report_remind_days: tuple[int, ...] = (14, 7, 1)  # reminders before the report is due


@dataclass(frozen=True)
class CalendarConfig:
    """Extra official holidays and 调休 workdays for years chinese-calendar does not know."""

    holidays: Mapping[int, frozenset[date]] = field(default_factory=dict)
    workdays: Mapping[int, frozenset[date]] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupConfig:
    keep: int = 7
    time: time = time(2, 0)
    dir: Path | None = None


CHANNEL_KINDS = ("wecom", "dingtalk")
DINGTALK_SECURITY = ("sign", "keyword")
WECOM_URL = "https://qyapi.weixin.qq.com"
DINGTALK_URL = "https://oapi.dingtalk.com"


@dataclass(frozen=True)
class ChannelConfig:
    """One group robot (企业微信群机器人 or 钉钉自定义机器人) and the audience it speaks to.

    ``name`` is ``"inspectors"`` (the inspectors' group) or ``"unit:<CODE>"`` (that unit's
    work group). ``key`` is the WeCom webhook ``key`` or the DingTalk ``access_token``;
    ``secret`` the DingTalk 加签 secret (``SEC…``). Both come from the environment or a
    secrets file, never from config.toml, and never appear in ``repr``.
    """

    name: str
    kind: str
    key: str = field(repr=False)
    label: str = ""
    unit: str | None = None
    security: str | None = None  # DingTalk: "sign" | "keyword"
    secret: str | None = field(default=None, repr=False)
    keyword: str | None = None

    @property
    def audience(self) -> str:
        return "unit" if self.unit is not None else "inspectors"


@dataclass(frozen=True)
class ChannelsConfig:
    """``[channels]``: group robots beside Telegram (see README "企业微信 / 钉钉")."""

    channels: tuple[ChannelConfig, ...] = ()
    bot_username: str = ""  # a link to open the bot is added where set
    wecom_url: str = WECOM_URL
    dingtalk_url: str = DINGTALK_URL
    timeout_seconds: float = 10.0
    language: str = "zh-CN"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every key and secret (the log filter masks them, R26)."""
        out = [c.key for c in self.channels] + [c.secret for c in self.channels if c.secret]
        return tuple(dict.fromkeys(s for s in out if s))

    def get(self, name: str) -> ChannelConfig | None:
        return next((c for c in self.channels if c.name == name), None)


@dataclass(frozen=True)
class Config:
    path: Path
    bot: BotConfig = field(default_factory=BotConfig)
    workflow: WorkflowConfig = field(default_factory=WorkflowConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    paper: PaperConfig = field(default_factory=PaperConfig)
    token: str | None = None  # from the environment or token_file; never printed (see __repr__)

    def __repr__(self) -> str:  # the token must never reach a log line (R26)
        token = "set" if self.token else "unset"
        return f"Config(path={self.path!s}, data_dir={self.data_dir!s}, token={token})"

    @property
    def data_dir(self) -> Path:
        return self.bot.data_dir

    @property
    def tz(self) -> ZoneInfo:
        return self.bot.tz

    @property
    def backup_dir(self) -> Path:
        return self.backup.dir or self.data_dir / "backups"

    @functools.cached_property
    def rules(self) -> Rules:
        """The thresholds the pure domain decides by (built once: every figure and decision
        reads them, and the config never changes)."""
        a = self.alerts
        return Rules(
            remind_days=a.remind_days,
            overdue_repeat_days=a.overdue_repeat_days,
            escalate_days=a.escalate_days,
            stale_days=a.stale_days,
            review_days=a.review_days,
            yellow_days=a.yellow_days,
            lookback_months=a.lookback_months,
            lookback_sample=a.lookback_sample,
            endorsement_required=self.workflow.endorsement_required,
            categories=self.workflow.categories,
        )


# --------------------------------------------------------------------------- value checkers
# Each checker takes the raw TOML value and returns the typed value or raises _Bad(expected).


class _Bad(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


Checker = Callable[[Any], Any]


def _int(minimum: int = 0, maximum: int | None = None) -> Checker:
    bound = f"≥ {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    expected = f"a whole number {bound}"

    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Bad(expected)
        if v < minimum or (maximum is not None and v > maximum):
            raise _Bad(expected)
        return v

    return check


def _days_list(v: Any) -> tuple[int, ...]:
    expected = "a non-empty list of distinct whole numbers of days ≥ 0, e.g. [7, 3, 1]"
    if not isinstance(v, list) or not v:
        raise _Bad(expected)
    for d in v:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise _Bad(expected)
    if len(set(v)) != len(v):
        raise _Bad(expected)
    return tuple(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Bad("true or false")
    return v


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad("a quoted string")
    return v


def _choice(options: tuple[str, ...]) -> Checker:
    def check(v: Any) -> str:
        if v not in options:
            raise _Bad("one of " + ", ".join(f'"{o}"' for o in options))
        return str(v)

    return check


def _zone(v: Any) -> str:
    expected = 'an IANA time zone name such as "Asia/Shanghai"'
    if not isinstance(v, str) or not v:
        raise _Bad(expected)
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _Bad(expected) from exc
    return v


def _url(v: Any) -> str:
    if not isinstance(v, str) or not re.match(r"^https?://[^\s/]+", v):
        raise _Bad('an http(s) URL such as "https://api.telegram.org"')
    return v.rstrip("/")


def _clock_time(v: Any) -> time:
    if not isinstance(v, str) or not (m := _TIME_RE.match(v)):
        raise _Bad('a 24-hour time "HH:MM", e.g. "09:00"')
    return time(int(m.group(1)), int(m.group(2)))


def _times(v: Any) -> tuple[time, ...]:
    if not isinstance(v, list) or not v:
        raise _Bad('a non-empty list of "HH:MM" times, e.g. ["09:00"]')
    return tuple(sorted({_clock_time(t) for t in v}))


def _hours(v: Any) -> tuple[time, time]:
    expected = 'two "HH:MM" times, start before end, e.g. ["08:30", "18:00"]'
    if not isinstance(v, list) or len(v) != 2:
        raise _Bad(expected)
    start, end = _clock_time(v[0]), _clock_time(v[1])
    if start >= end:
        raise _Bad(expected)
    return (start, end)


def _user_ids(v: Any) -> tuple[int, ...]:
    expected = "a list of numeric Telegram user ids, e.g. [123456789]"
    if not isinstance(v, list):
        raise _Bad(expected)
    for uid in v:
        if isinstance(uid, bool) or not isinstance(uid, int) or uid <= 0:
            raise _Bad(expected)
    return tuple(dict.fromkeys(v))


def _words(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not v or not all(isinstance(s, str) and s.strip() for s in v):
        raise _Bad("a non-empty list of non-empty strings")
    return tuple(s.strip() for s in v)


def _extensions(v: Any) -> tuple[str, ...]:
    words = _words(v)
    if not all(re.fullmatch(r"\.?[A-Za-z0-9]{1,10}", w) for w in words):
        raise _Bad('a list of file extensions such as ["pdf", "jpg"]')
    return tuple(w.lstrip(".").lower() for w in words)


def _weekday(v: Any) -> str:
    if not isinstance(v, str) or v.lower() not in WEEKDAYS:
        raise _Bad("one of " + ", ".join(WEEKDAYS))
    return v.lower()


# --------------------------------------------------------------------------- schema

_SCHEMA: dict[str, dict[str, Checker]] = {
    "bot": {
        "language": _choice(LANGUAGES),
        "timezone": _zone,
        "data_dir": _text,
        "api_url": _url,
        "token_file": _text,
        "inspectors": _user_ids,
    },
    "workflow": {
        "endorsement_required": _bool,
        "categories": _words,
        "invite_ttl_hours": _int(1, 24 * 365),
        "evidence_max_mb": _int(1, TELEGRAM_MAX_DOWNLOAD_MB),
        "evidence_types": _extensions,
        "page_size": _int(3, 30),
        "conversation_timeout_seconds": _int(1, 24 * 3600),
        "immediate_days": _int(1, 60),
        "import_default_category": _text,
        # on top of what the reading process maps already (~180 MB with the readers loaded)
        "import_memory_mb": _int(64, 65536),
        "import_seconds": _int(1, 3600),
    },
    "alerts": {
        "remind_days": _days_list,
        "overdue_repeat_days": _int(1),
        "escalate_days": _days_list,
        "stale_days": _int(1),
        "review_days": _int(1),
        "yellow_days": _int(0),
        "lookback_months": _int(1, 120),
        "lookback_sample": _int(0),
        "due_days": _int(1, 366),
        "sweep_times": _times,
        "daily_digest_time": _clock_time,
        "weekly_digest_day": _weekday,
        "weekly_digest_time": _clock_time,
        "quiet": _bool,
        "work_hours": _hours,
    },
    "paper": {
        "survey_days": _int(1, 366),
        "report_due_months": _int(1, 24),
        "report_remind_days": _days_list,
    },
    "backup": {
        "keep": _int(1, 1000),
        "time": _clock_time,
        "dir": _text,
    },
}


def _calendar(path: Path, raw: Any) -> CalendarConfig:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: [calendar] must be a table with [calendar.holidays] / [calendar.workdays]"
        )
    result: dict[str, dict[int, frozenset[date]]] = {"holidays": {}, "workdays": {}}
    for section, years in raw.items():
        if section not in result:
            raise ConfigError(
                f"{path}: unknown key [calendar] {section}: expected holidays or workdays"
            )
        if not isinstance(years, dict):
            raise ConfigError(f"{path}: [calendar.{section}] must be a table of years")
        for year_key, days in years.items():
            where = f'{path}: [calendar.{section}] "{year_key}"'
            if not re.fullmatch(r"\d{4}", str(year_key)):
                raise ConfigError(f"{where}: expected a four-digit year as the key")
            year = int(year_key)
            if not isinstance(days, list):
                raise ConfigError(f'{where} = {days!r}: expected a list of "YYYY-MM-DD" dates')
            parsed: set[date] = set()
            for d in days:
                try:
                    day = d if isinstance(d, date) else date.fromisoformat(str(d))
                except ValueError:
                    raise ConfigError(
                        f'{where} = {d!r}: expected a date "YYYY-MM-DD" in {year}'
                    ) from None
                if day.year != year:
                    raise ConfigError(f"{where} = {d!r}: expected a date in {year}")
                parsed.add(day)
            result[section][year] = frozenset(parsed)
    overlap = {
        d
        for y, ds in result["holidays"].items()
        for d in ds & result["workdays"].get(y, frozenset())
    }
    if overlap:
        first = min(overlap).isoformat()
        raise ConfigError(
            f"{path}: [calendar] {first} is listed both as a holiday and as a workday"
        )
    return CalendarConfig(holidays=result["holidays"], workdays=result["workdays"])


def _section(path: Path, name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    out: dict[str, Any] = {}
    schema = _SCHEMA[name]
    for key, value in raw.items():
        if key == "token":
            raise ConfigError(
                f"{path}: [{name}] token: the token must not be in the config file; "
                "set TELEGRAM_BOT_TOKEN or [bot] token_file"
            )
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{path}: unknown key [{name}] {key}: expected one of {known}")
        try:
            out[key] = schema[key](value)
        except _Bad as bad:
            raise ConfigError(
                f"{path}: [{name}] {key} = {value!r}: expected {bad.expected}"
            ) from None
    return out


def _read_token(base: Path, token_file: str, env: Mapping[str, str]) -> str | None:
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token:
        return token
    if not token_file:
        return None
    p = Path(token_file)
    p = p if p.is_absolute() else base / p
    try:
        token = p.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(
            f"{p}: the token file ([bot] token_file) is not UTF-8 text; save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{p}: cannot read the token file ([bot] token_file): {exc.strerror}"
        ) from None
    if not token:
        raise ConfigError(f"{p}: the token file ([bot] token_file) is empty")
    return token


def _config_text(path: Path, data: bytes) -> str:
    """The config file's text; a file saved in another encoding than UTF-8 (Notepad's "Unicode"
    is UTF-16, a Chinese Windows' "ANSI" is GBK) is refused naming the encoding it looks like."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ConfigError(f"{path}: the file is saved as {name}; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark (Notepad's "UTF-8 with BOM") is harmless
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:200]:
            name = "UTF-16 (no byte-order mark)"
        else:
            try:
                data.decode("gbk")
                name = "GBK (Windows ANSI)"
            except UnicodeDecodeError:
                name = "an encoding other than UTF-8"
        raise ConfigError(
            f"{path}: the file is saved as {name} (bad byte at offset {exc.start}); "
            "save it as UTF-8"
        ) from None


# --------------------------------------------------------------------------- [channels]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SHOWN_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")  # a conventional name: safe to echo
_UNIT_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
# Keys a secret would be pasted under: refused outright, the value never echoed.
_SECRET_KEYS = frozenset({"key", "secret", "token", "access_token", "webhook", "url", "sign"})
_CHANNELS_KEYS = (
    "bot_username",
    "wecom_url",
    "dingtalk_url",
    "timeout_seconds",
    "language",
    "inspectors",
    "units",
)
_CHANNEL_KEYS = (
    "kind",
    "name",
    "key_env",
    "key_file",
    "security",
    "secret_env",
    "secret_file",
    "keyword",
)


def _refuse_secret(where: str, key: str) -> ConfigError:
    what = "secret" if key in ("secret", "sign") else "key"
    return ConfigError(
        f"{where} {key}: webhook keys and secrets must not be in the config file; "
        f"set {what}_env (an environment variable name) or {what}_file (a file holding it)"
    )


def _secret_value(
    where: str, table: Mapping[str, Any], prefix: str, env: Mapping[str, str], base: Path
) -> str | None:
    """The secret named by ``<prefix>_env`` or ``<prefix>_file`` (never echoed), or ``None``
    when neither is set."""
    name, file = table.get(f"{prefix}_env"), table.get(f"{prefix}_file")
    if name is not None and file is not None:
        raise ConfigError(f"{where}: set {prefix}_env or {prefix}_file, not both")
    if name is not None:
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise ConfigError(
                f"{where} {prefix}_env: expected the NAME of an environment variable, "
                "e.g. ZGT_WECOM_KEY (the value is not shown)"
            )
        shown = name if _SHOWN_ENV_NAME.match(name) else "it names"
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{where} {prefix}_env: the environment variable {shown} is not set")
        return value
    if file is not None:
        if not isinstance(file, str) or not file.strip():
            raise ConfigError(f"{where} {prefix}_file: expected a file path")
        p = Path(file)
        p = p if p.is_absolute() else base / p
        shown = str(p) if any(c in file for c in "/\\.") else "it names"
        try:
            value = p.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(
                f"{where} {prefix}_file: cannot read the file {shown}: {reason}"
            ) from None
        if not value:
            raise ConfigError(f"{where} {prefix}_file: the file {shown} is empty")
        return value
    return None


def _webhook_key(where: str, kind: str, value: str) -> str:
    """A pasted webhook URL is accepted too: its ``key`` / ``access_token`` is what counts."""
    if not value.lower().startswith(("http://", "https://")):
        return value
    from urllib.parse import parse_qs, urlsplit

    param = "key" if kind == "wecom" else "access_token"
    found = parse_qs(urlsplit(value).query).get(param, [""])[0].strip()
    if not found:
        raise ConfigError(f"{where}: the webhook URL given has no {param}= parameter")
    return found


def _channel(
    where: str,
    name: str,
    unit: str | None,
    raw: Any,
    env: Mapping[str, str],
    base: Path,
) -> ChannelConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table (kind, key_env or key_file …)")
    for key in raw:
        if key in _SECRET_KEYS:
            raise _refuse_secret(where, key)
        if key not in _CHANNEL_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key}: expected one of {', '.join(_CHANNEL_KEYS)}"
            )
    kind = raw.get("kind")
    if kind not in CHANNEL_KINDS:
        raise ConfigError(f'{where} kind = {kind!r}: expected "wecom" or "dingtalk"')
    label = raw.get("name", "")
    if not isinstance(label, str) or len(label) > 40:
        raise ConfigError(f"{where} name: expected the group's name, at most 40 characters")
    key = _secret_value(where, raw, "key", env, base)
    if key is None:
        raise ConfigError(f"{where}: set key_env or key_file (the robot's webhook key)")
    key = _webhook_key(where, kind, key)
    security = raw.get("security")
    keyword = raw.get("keyword")
    secret = None
    if kind == "wecom":
        for extra in ("security", "secret_env", "secret_file", "keyword"):
            if extra in raw:
                raise ConfigError(f'{where} {extra}: only for kind = "dingtalk"')
    else:
        if security not in DINGTALK_SECURITY:
            raise ConfigError(
                f'{where} security = {security!r}: expected "sign" (加签) or "keyword"'
            )
        secret = _secret_value(where, raw, "secret", env, base)
        if security == "sign" and secret is None:
            raise ConfigError(f'{where}: security = "sign" needs secret_env or secret_file')
        if security == "keyword":
            if secret is not None:
                raise ConfigError(f'{where}: a secret is only used with security = "sign"')
            if not isinstance(keyword, str) or not keyword.strip() or len(keyword) > 20:
                raise ConfigError(
                    f"{where} keyword: expected the robot's custom keyword (1–20 characters)"
                )
            keyword = keyword.strip()
        elif keyword is not None:
            raise ConfigError(f'{where} keyword: only used with security = "keyword"')
    return ChannelConfig(
        name=name,
        kind=kind,
        key=key,
        label=label.strip(),
        unit=unit,
        security=security if kind == "dingtalk" else None,
        secret=secret,
        keyword=keyword if kind == "dingtalk" else None,
    )


def _channels(path: Path, raw: Any, env: Mapping[str, str]) -> ChannelsConfig:
    """``[channels]``, ``[channels.inspectors]`` and ``[channels.units.<CODE>]``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [channels] must be a table")
    base = path.resolve().parent
    out: dict[str, Any] = {}
    for key in raw:
        if key in _SECRET_KEYS:
            raise _refuse_secret(f"{path}: [channels]", key)
        if key not in _CHANNELS_KEYS:
            raise ConfigError(
                f"{path}: unknown key [channels] {key}: expected one of "
                + ", ".join(_CHANNELS_KEYS)
            )
    if "bot_username" in raw:
        name = raw["bot_username"]
        if not isinstance(name, str) or (
            name.strip() and not _BOT_USERNAME.match(name.strip().lstrip("@"))
        ):
            raise ConfigError(
                f"{path}: [channels] bot_username = {name!r}: expected the bot's Telegram "
                'username without t.me/, e.g. "zgt_bot" (or "" for no link)'
            )
        out["bot_username"] = name.strip().lstrip("@")
    for key, var in (("wecom_url", "ZGT_WECOM_URL"), ("dingtalk_url", "ZGT_DINGTALK_URL")):
        value = env.get(var, "").strip() or raw.get(key)
        if value is None:
            continue
        try:
            out[key] = _url(value)
        except _Bad as bad:
            raise ConfigError(
                f"{path}: [channels] {key} = {value!r}: expected {bad.expected}"
            ) from None
    if "timeout_seconds" in raw:
        t = raw["timeout_seconds"]
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= 120:
            raise ConfigError(
                f"{path}: [channels] timeout_seconds = {t!r}: expected seconds, more than 0 "
                "and at most 120"
            )
        out["timeout_seconds"] = float(t)
    if "language" in raw:
        try:
            out["language"] = _choice(("zh-CN", "en"))(raw["language"])
        except _Bad as bad:
            raise ConfigError(f"{path}: [channels] language: expected {bad.expected}") from None
    channels: list[ChannelConfig] = []
    if "inspectors" in raw:
        where = f"{path}: [channels.inspectors]"
        channels.append(_channel(where, "inspectors", None, raw["inspectors"], env, base))
    units = raw.get("units", {})
    if not isinstance(units, dict):
        raise ConfigError(f"{path}: [channels.units] must hold one table per unit code")
    for code, table in units.items():
        where = f"{path}: [channels.units.{code}]"
        if not _UNIT_CODE.match(str(code)):
            raise ConfigError(
                f"{where}: expected a unit code such as HZ (capital letters, digits)"
            )
        channels.append(_channel(where, f"unit:{code}", str(code), table, env, base))
    seen: dict[tuple[str, str], str] = {}
    for c in channels:
        other = seen.setdefault((c.kind, c.key), c.name)
        if other != c.name:
            raise ConfigError(
                f"{path}: [channels] {c.name} and {other} use the same robot: "
                "give each group its own robot"
            )
    return ChannelsConfig(channels=tuple(channels), **out)


def load_config(path: Path | str = "config.toml", env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and return the configuration; raise ConfigError with one clear line.

    A missing file is an error (the shipped config.toml always exists); relative paths in it
    (data_dir, token_file, backup dir) are resolved against the file's directory.
    """
    env = {} if env is None else env
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (use --config PATH)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    text = _config_text(path, data)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None

    base = path.resolve().parent
    known = set(_SCHEMA) | {"calendar", "channels"}
    for name in raw:
        if name not in known:
            raise ConfigError(
                f"{path}: unknown section [{name}]: expected one of {', '.join(sorted(known))}"
            )

    b = _section(path, "bot", raw.get("bot", {}))
    w = _section(path, "workflow", raw.get("workflow", {}))
    a = _section(path, "alerts", raw.get("alerts", {}))
    k = _section(path, "backup", raw.get("backup", {}))
    p = _section(path, "paper", raw.get("paper", {}))
    cal = _calendar(path, raw.get("calendar", {}))
    default_category = w.get("import_default_category", "")
    if default_category and default_category not in w.get("categories", DEFAULT_CATEGORIES):
        raise ConfigError(
            f"{path}: [workflow] import_default_category = {default_category!r}: "
            "expected one of [workflow] categories"
        )
    channels = _channels(path, raw.get("channels", {}), env)

    def resolve(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else base / q

    api_url = env.get("TELEGRAM_API_URL", "").strip()
    if api_url:
        try:
            b["api_url"] = _url(api_url)
        except _Bad as bad:
            raise ConfigError(f"TELEGRAM_API_URL = {api_url!r}: expected {bad.expected}") from None
    token = _read_token(base, b.get("token_file", ""), env)
    b["data_dir"] = resolve(b.get("data_dir", "data"))
    b["token_file"] = resolve(b["token_file"]) if b.get("token_file") else None
    if k.get("dir"):
        k["dir"] = resolve(k["dir"])
    else:
        k.pop("dir", None)

    return Config(
        path=path.resolve(),
        bot=BotConfig(**b),
        workflow=WorkflowConfig(**w),
        alerts=AlertConfig(**a),
        calendar=cal,
        backup=BackupConfig(**k),
        channels=channels,
        paper=PaperConfig(**p),
        token=token,
    )
