"""config.py [channels]: group robots per audience, secrets only from the environment or a
file, one clear line for every mistake, and no secret ever echoed (R28 for robot keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "b10deee3d9e2dbc21ce57eb9f80da23a643ebe83154dd6b086486da2c833acb6"
DING_SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env=env or {})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_both_kinds_per_audience_from_env_and_file(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "hz.secret").write_text(DING_SECRET + "\n", encoding="utf-8")
    path = write(
        tmp_path,
        """
[channels]
bot_username = "@zgt_bot"
wecom_url = "http://127.0.0.1:9"
[channels.inspectors]
kind = "wecom"
name = "巡察办工作群"
key_env = "ZGT_WECOM_INSPECTORS"
[channels.units.HZ]
kind = "dingtalk"
security = "sign"
key_env = "ZGT_DING_HZ"
secret_file = "secrets/hz.secret"
[channels.units.NB]
kind = "dingtalk"
security = "keyword"
keyword = "整改"
key_env = "ZGT_DING_NB"
""",
    )
    env = {
        "ZGT_WECOM_INSPECTORS": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
        "ZGT_DING_HZ": DING_TOKEN,
        "ZGT_DING_NB": "nb-token",
        "ZGT_DINGTALK_URL": "http://127.0.0.1:10",
    }
    cfg = load_config(path, env=env).channels
    inspectors, hz, nb = cfg.channels
    assert (inspectors.name, inspectors.kind, inspectors.key, inspectors.audience) == (
        "inspectors",
        "wecom",
        WECOM_KEY,  # the pasted webhook URL's key= parameter
        "inspectors",
    )
    assert inspectors.label == "巡察办工作群"
    assert (hz.name, hz.unit, hz.security, hz.secret, hz.key) == (
        "unit:HZ",
        "HZ",
        "sign",
        DING_SECRET,
        DING_TOKEN,
    )
    assert (nb.security, nb.keyword, nb.secret) == ("keyword", "整改", None)
    assert cfg.bot_username == "zgt_bot"
    assert cfg.wecom_url == "http://127.0.0.1:9"
    assert cfg.dingtalk_url == "http://127.0.0.1:10"  # the environment overrides
    assert set(cfg.secrets) == {WECOM_KEY, DING_TOKEN, DING_SECRET, "nb-token"}
    assert cfg.get("unit:NB") is nb and cfg.get("unit:XX") is None
    text = repr(load_config(path, env=env))
    for secret in cfg.secrets:
        assert secret not in text and secret not in repr(cfg)


def test_no_channels_by_default(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.channels.channels == () and cfg.channels.secrets == ()


@pytest.mark.parametrize("key", ["key", "secret", "webhook", "access_token", "url", "token"])
def test_a_secret_in_the_file_is_refused_and_never_echoed(tmp_path: Path, key: str) -> None:
    message = error_of(
        tmp_path,
        f'[channels.inspectors]\nkind = "wecom"\n{key} = "{WECOM_KEY}"\n',
    )
    assert "must not be in the config file" in message and "[channels.inspectors]" in message
    assert WECOM_KEY not in message


def test_a_secret_pasted_as_a_variable_name_or_file_is_not_echoed(tmp_path: Path) -> None:
    pasted_name = error_of(
        tmp_path, f'[channels.inspectors]\nkind = "wecom"\nkey_env = "{WECOM_KEY}"\n'
    )
    assert "NAME of an environment variable" in pasted_name and WECOM_KEY not in pasted_name
    hex_name = error_of(
        tmp_path, f'[channels.units.HZ]\nkind = "wecom"\nkey_env = "{DING_TOKEN}"\n'
    )
    assert "is not set" in hex_name and DING_TOKEN not in hex_name
    pasted_file = error_of(
        tmp_path, f'[channels.inspectors]\nkind = "wecom"\nkey_file = "{WECOM_KEY}"\n'
    )
    assert "cannot read the file" in pasted_file and WECOM_KEY not in pasted_file


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ('[channels.inspectors]\nkind = "feishu"\nkey_env = "K"\n', {}, "kind = 'feishu'"),
        ('[channels.inspectors]\nkind = "wecom"\n', {}, "set key_env or key_file"),
        ('[channels.inspectors]\nkind = "wecom"\nkey_env = "ZGT_K"\n', {}, "ZGT_K is not set"),
        (
            '[channels.inspectors]\nkind = "wecom"\nkey_env = "K"\nkey_file = "k"\n',
            {"K": "x"},
            "not both",
        ),
        (
            '[channels.units.HZ]\nkind = "dingtalk"\nkey_env = "K"\n',
            {"K": "x"},
            'expected "sign" (加签) or "keyword"',
        ),
        (
            '[channels.units.HZ]\nkind = "dingtalk"\nsecurity = "sign"\nkey_env = "K"\n',
            {"K": "x"},
            "needs secret_env or secret_file",
        ),
        (
            '[channels.units.HZ]\nkind = "dingtalk"\nsecurity = "keyword"\nkey_env = "K"\n',
            {"K": "x"},
            "keyword: expected the robot's custom keyword",
        ),
        (
            '[channels.units.HZ]\nkind = "wecom"\nsecurity = "sign"\nkey_env = "K"\n',
            {"K": "x"},
            'security: only for kind = "dingtalk"',
        ),
        ('[channels.units.hz]\nkind = "wecom"\nkey_env = "K"\n', {"K": "x"}, "unit code"),
        ('[channels.inspectors]\nkind = "wecom"\ncolour = 1\n', {}, "unknown key colour"),
        ("[channels]\nfoo = 1\n", {}, "unknown key [channels] foo"),
        ('[channels]\nbot_username = "t.me/x"\n', {}, "bot_username"),
        ("[channels]\ntimeout_seconds = 0\n", {}, "timeout_seconds"),
        ('[channels]\nwecom_url = "ftp://x"\n', {}, "wecom_url"),
        (
            '[channels.inspectors]\nkind = "wecom"\nkey_env = "A"\n'
            '[channels.units.HZ]\nkind = "wecom"\nkey_env = "B"\n',
            {"A": "same", "B": "same"},
            "use the same robot",
        ),
        (
            '[channels.inspectors]\nkind = "wecom"\nkey_env = "A"\n',
            {"A": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"},
            "has no key= parameter",
        ),
    ],
)
def test_each_mistake_is_one_clear_line(
    tmp_path: Path, text: str, env: dict[str, str], expected: str
) -> None:
    message = error_of(tmp_path, text, env)
    assert expected in message, message
    assert str(tmp_path / "config.toml") in message


def test_an_empty_or_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty.key").write_text("\n", encoding="utf-8")
    message = error_of(tmp_path, '[channels.inspectors]\nkind = "wecom"\nkey_file = "empty.key"\n')
    assert "empty.key" in message and "is empty" in message
    message = error_of(
        tmp_path, '[channels.inspectors]\nkind = "wecom"\nkey_file = "missing.key"\n'
    )
    assert "missing.key" in message and "cannot read" in message


def test_the_log_filter_masks_robot_keys_secrets_and_webhook_parameters() -> None:
    import logging

    from bot import TokenFilter

    token = "123456:ABCdef"
    mask = TokenFilter(token, (WECOM_KEY, DING_SECRET))
    line = (
        f"POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY} "
        f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}&timestamp=1&sign=a%2Bb "
        f"secret {DING_SECRET} bot{token}"
    )
    record = logging.LogRecord("x", logging.INFO, "", 0, "%s", (line,), None)
    assert mask.filter(record)
    text = record.getMessage()
    for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET, token, "a%2Bb"):
        assert secret not in text
    assert "key=<secret>" in text and "access_token=<secret>" in text and "bot<token>" in text
