"""``python bot.py channels [test]`` in a real process against the local robot stubs: test
messages reach every group and are recorded, the state reads back while nothing holds the
lock, a running bot makes ``test`` refuse, and no robot key or secret is ever printed, even
at DEBUG (R26 for the group robots)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sandbox.robots import RobotStub
from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]
WECOM_KEY = "wk-cli-inspectors-7f3a"
DING_TOKEN = "dtclihz0123456789abcdef"
DING_SECRET = "SECcli9876543210fedcba"


async def bot(config: Path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def config_in(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""[channels]
wecom_url = "{url}"
dingtalk_url = "{url}"
[channels.inspectors]
kind = "wecom"
key_env = "ZGT_WECOM_INSPECTORS"
[channels.units.HZ]
kind = "dingtalk"
security = "sign"
key_env = "ZGT_DING_HZ"
secret_env = "ZGT_DING_HZ_SECRET"
""",
        encoding="utf-8",
    )
    return path


ENV = {
    "ZGT_WECOM_INSPECTORS": WECOM_KEY,
    "ZGT_DING_HZ": DING_TOKEN,
    "ZGT_DING_HZ_SECRET": DING_SECRET,
}


async def test_channels_test_reaches_each_group_and_prints_no_secret(tmp_path: Path) -> None:
    stub = RobotStub()
    wecom = stub.wecom(WECOM_KEY)
    ding = stub.dingtalk(DING_TOKEN, secret=DING_SECRET)
    async with stub:
        config = config_in(tmp_path, stub.url)
        code, out, err = await bot(config, "--debug", "channels", "test", **ENV)
        assert code == 0, err
        assert out.count("✅ 已送达") == 2 and "巡察办工作群（企业微信）" in out
        assert len(wecom.received) == 1 and len(ding.received) == 1
        assert "HZ工作群已接通" in ding.received[0].content
        code, out, err = await bot(config, "channels", **ENV)
        assert code == 0 and out.count("已送达（测试消息）") == 2, out
        # A robot that refuses: exit 1, the reason in words.
        stub.robots.pop(("wecom", WECOM_KEY))
        code, out, err = await bot(config, "--debug", "channels", "test", **ENV)
        assert code == 1 and "webhook key 无效" in out
        for text in (out, err):
            for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET):
                assert secret not in text


async def test_channels_test_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    config = config_in(tmp_path, "http://127.0.0.1:9")
    with Store.open(tmp_path / "data"):  # the running bot holds the lock
        code, out, err = await bot(config, "channels", "test", **ENV)
        assert code == 2 and "/channels test" in err and "Traceback" not in err
        code, out, err = await bot(config, "channels", **ENV)  # reading works meanwhile
        assert code == 0 and out.count("尚未发送过") == 2


async def test_a_missing_secret_variable_is_one_line(tmp_path: Path) -> None:
    config = config_in(tmp_path, "http://127.0.0.1:9")
    code, out, err = await bot(config, "channels", ZGT_WECOM_INSPECTORS=WECOM_KEY)
    assert code == 2 and err.count("\n") == 1 and "ZGT_DING_HZ is not set" in err
