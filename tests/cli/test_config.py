"""config.py: defaults, overrides, secrets, and one clear message for every kind of bad value."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_loads_with_design_defaults() -> None:
    cfg = load_config(ROOT / "config.toml", env={})
    assert cfg.bot.timezone == "Asia/Shanghai"
    assert cfg.bot.language == "zh-CN"
    assert cfg.alerts.remind_days == (7, 3, 1)
    assert cfg.alerts.escalate_days == (1, 15, 30)
    assert cfg.alerts.overdue_repeat_days == 7
    assert cfg.alerts.stale_days == 14
    assert cfg.alerts.review_days == 3
    assert cfg.alerts.yellow_days == 7
    assert cfg.alerts.lookback_months == 6
    assert cfg.alerts.sweep_times == (time(9, 0),)
    assert cfg.workflow.endorsement_required is True
    assert cfg.backup.keep == 7
    assert cfg.data_dir == ROOT / "data"
    assert cfg.backup_dir == ROOT / "data" / "backups"
    assert cfg.token is None
    rules = cfg.rules
    assert rules.remind_days == (7, 3, 1) and rules.endorsement_required


def test_empty_file_means_all_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.alerts.work_hours == (time(8, 30), time(18, 0))
    assert cfg.data_dir == tmp_path / "data"


def test_values_are_read(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
[bot]
language = "en"
timezone = "Europe/Berlin"
inspectors = [111, 222, 111]
data_dir = "/srv/zgt"
[workflow]
endorsement_required = false
evidence_types = [".PDF", "jpg"]
[alerts]
remind_days = [5, 2]
sweep_times = ["18:00", "09:30"]
[calendar.holidays]
"2027" = ["2027-01-01"]
[calendar.workdays]
"2027" = ["2027-02-14"]
[backup]
keep = 3
dir = "snapshots"
""",
        ),
        env={},
    )
    assert cfg.bot.language == "en"
    assert cfg.bot.inspectors == (111, 222)
    assert cfg.data_dir == Path("/srv/zgt")
    assert cfg.workflow.evidence_types == ("pdf", "jpg")
    assert cfg.rules.endorsement_required is False
    assert cfg.alerts.remind_days == (5, 2)
    assert cfg.alerts.sweep_times == (time(9, 30), time(18, 0))
    assert cfg.calendar.holidays[2027] == frozenset({date(2027, 1, 1)})
    assert cfg.calendar.workdays[2027] == frozenset({date(2027, 2, 14)})
    assert cfg.backup_dir == tmp_path / "snapshots"


def test_environment_overrides_api_url_and_supplies_token(tmp_path: Path) -> None:
    env = {"TELEGRAM_API_URL": "http://127.0.0.1:8081/", "TELEGRAM_BOT_TOKEN": "123:ABC"}
    cfg = load_config(write(tmp_path, ""), env=env)
    assert cfg.bot.api_url == "http://127.0.0.1:8081"
    assert cfg.token == "123:ABC"
    assert "123:ABC" not in repr(cfg)
    assert "123:ABC" not in str(cfg)


def test_token_file(tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("42:SECRET\n", encoding="utf-8")
    cfg = load_config(write(tmp_path, '[bot]\ntoken_file = "token.txt"\n'), env={})
    assert cfg.token == "42:SECRET"
    env_wins = load_config(tmp_path / "config.toml", env={"TELEGRAM_BOT_TOKEN": "1:E"})
    assert env_wins.token == "1:E"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[bot]\ntoken = '1:A'\n", ["[bot] token", "TELEGRAM_BOT_TOKEN"]),
        ("[bot]\ncolour = 'red'\n", ["unknown key [bot] colour", "expected one of"]),
        ("[nonsense]\na = 1\n", ["unknown section [nonsense]"]),
        ("[bot]\ntimezone = 'Mars/Olympus'\n", ["[bot] timezone = 'Mars/Olympus'", "IANA"]),
        ("[bot]\nlanguage = 'fr'\n", ["[bot] language = 'fr'", '"zh-CN"']),
        ("[bot]\ninspectors = ['alice']\n", ["[bot] inspectors", "numeric Telegram user ids"]),
        ("[bot]\napi_url = 'ftp://x'\n", ["[bot] api_url", "http(s) URL"]),
        ("[alerts]\nstale_days = -3\n", ["[alerts] stale_days = -3", "whole number ≥ 1"]),
        ("[alerts]\nyellow_days = '7'\n", ["[alerts] yellow_days = '7'", "whole number"]),
        ("[alerts]\nremind_days = [7, -1]\n", ["[alerts] remind_days", "≥ 0"]),
        ("[alerts]\nremind_days = []\n", ["[alerts] remind_days", "non-empty"]),
        ("[alerts]\nescalate_days = [1, 1]\n", ["[alerts] escalate_days", "distinct"]),
        ("[alerts]\nquiet = 'yes'\n", ["[alerts] quiet = 'yes'", "true or false"]),
        ("[alerts]\nsweep_times = ['9am']\n", ["[alerts] sweep_times", "HH:MM"]),
        (
            "[alerts]\nwork_hours = ['18:00', '08:00']\n",
            ["[alerts] work_hours", "start before end"],
        ),
        ("[alerts]\nweekly_digest_day = 'someday'\n", ["weekly_digest_day", "fri"]),
        (
            "[workflow]\nevidence_max_mb = 50\n",
            ["[workflow] evidence_max_mb = 50", "between 1 and 20"],
        ),
        (
            "[workflow]\nconversation_timeout_seconds = 0\n",
            ["[workflow] conversation_timeout_seconds = 0", "between 1 and 86400"],
        ),
        (
            "[workflow]\nimport_memory_mb = 10\n",
            ["[workflow] import_memory_mb = 10", "between 64 and 65536"],
        ),
        (
            "[workflow]\nimport_seconds = 0\n",
            ["[workflow] import_seconds = 0", "between 1 and 3600"],
        ),
        ("[backup]\nkeep = 0\n", ["[backup] keep = 0", "between 1 and 1000"]),
        ("[calendar.holidays]\n'2027' = ['2026-01-01']\n", ["2026-01-01", "in 2027"]),
        ("[calendar.holidays]\n'2027' = ['tomorrow']\n", ["'tomorrow'", "YYYY-MM-DD"]),
        ("[calendar.workdays]\nnext = ['2027-01-01']\n", ["four-digit year"]),
        (
            "[calendar.holidays]\n'2027' = ['2027-01-01']\n"
            "[calendar.workdays]\n'2027' = ['2027-01-01']\n",
            ["both as a holiday and as a workday"],
        ),
        ("[alerts\n", ["not valid TOML"]),
    ],
)
def test_bad_config_names_file_key_value_and_expectation(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(p, env={})
    message = str(info.value)
    assert str(p) in message
    assert "\n" not in message.strip()
    for fragment in fragments:
        assert fragment in message


def test_conversation_timeout_defaults_to_ten_minutes(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), env={}).workflow.conversation_timeout_seconds == 600
    cfg = load_config(write(tmp_path, "[workflow]\nconversation_timeout_seconds = 5\n"), env={})
    assert cfg.workflow.conversation_timeout_seconds == 5


def test_missing_file_and_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="cannot read the token file"):
        load_config(write(tmp_path, '[bot]\ntoken_file = "missing.txt"\n'), env={})
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="token file .* is empty"):
        load_config(write(tmp_path, '[bot]\ntoken_file = "empty.txt"\n'), env={})


def test_bad_api_url_in_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL"):
        load_config(write(tmp_path, ""), env={"TELEGRAM_API_URL": "not a url"})


def test_reading_a_ledger_is_limited_to_512_mb_and_60_s_by_default(tmp_path: Path) -> None:
    workflow = load_config(write(tmp_path, ""), env={}).workflow
    assert (workflow.import_memory_mb, workflow.import_seconds) == (512, 60)
    text = "[workflow]\nimport_memory_mb = 1024\nimport_seconds = 20\n"
    workflow = load_config(write(tmp_path, text), env={}).workflow
    assert (workflow.import_memory_mb, workflow.import_seconds) == (1024, 20)
