"""R34 for the config file: what Windows editors produce (UTF-16, GBK), deep nesting and a
directory in its place end in one line naming the problem, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config
from tests.reliability.test_runtime import ROOT

TEXT = '[bot]\nlanguage = "zh-CN"\n# 巡察办的配置\n'


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (TEXT.encode("utf-16"), "UTF-16"),
        (TEXT.encode("utf-16-le"), "UTF-16"),
        (TEXT.encode("gbk"), "GBK"),
    ],
)
def test_a_config_saved_in_another_encoding_is_named_and_asked_for_as_utf8(
    tmp_path: Path, data: bytes, named: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert named in str(caught.value)
    assert "save it as UTF-8" in str(caught.value)


def test_a_utf8_config_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert load_config(path, env={}).bot.language == "zh-CN"


@pytest.mark.parametrize(
    "text",
    ["x = " + "[" * 5000 + "]" * 5000 + "\n", "x = " + "{a = " * 5000 + "1" + "}" * 5000],
)
def test_deeply_nested_toml_is_one_line_not_a_recursion_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(path, env={})


@pytest.mark.parametrize("case", ["utf16", "gbk", "nested", "directory", "token-gbk"])
def test_every_bad_config_ends_the_shell_in_one_line_without_traceback(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "config.toml"
    env = dict(os.environ)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if case == "utf16":
        path.write_bytes(TEXT.encode("utf-16"))
    elif case == "gbk":
        path.write_bytes(TEXT.encode("gbk"))
    elif case == "nested":
        path.write_text("x = " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    elif case == "directory":
        path.mkdir()
    else:
        (tmp_path / "token.txt").write_bytes("令牌".encode("gbk"))
        path.write_text('[bot]\ntoken_file = "token.txt"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=str(tmp_path),
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
