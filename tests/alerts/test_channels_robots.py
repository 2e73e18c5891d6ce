"""The group-robot clients against the local stubs (sandbox/robots.py): payloads, 加签, byte
limits, the 20-a-minute limit with the real error bodies, and what each answer means."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import pytest

from alerts.channels.render import GroupRenderer, Section, clip, fit, md
from alerts.channels.robots import (
    Answer,
    Message,
    WebhookRobot,
    classify,
    client_for,
    sign,
)
from config import ChannelConfig, ChannelsConfig
from locales import Catalog
from sandbox.robots import RobotStub

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_sign_is_dingtalks_hmac_sha256_of_timestamp_and_secret() -> None:
    secret = "SEC0123"
    expected = base64.b64encode(
        hmac.new(secret.encode(), b"1772413200000\nSEC0123", hashlib.sha256).digest()
    ).decode()
    signed = sign(secret, 1772413200000)
    assert unquote_plus(signed) == expected
    assert "+" not in signed and "/" not in signed and "=" not in signed  # URL-encoded


@pytest.mark.parametrize(
    ("kind", "code", "answer"),
    [
        ("wecom", 0, Answer.SENT),
        ("wecom", 45009, Answer.THROTTLED),
        ("wecom", 93000, Answer.REFUSED),
        ("wecom", 40058, Answer.FAILED),
        ("dingtalk", 130101, Answer.THROTTLED),
        ("dingtalk", 310000, Answer.REFUSED),
        ("dingtalk", 300001, Answer.REFUSED),
        ("dingtalk", 460101, Answer.FAILED),
    ],
)
def test_errcodes_mean(kind: str, code: int, answer: Answer) -> None:
    reply = classify(kind, code, "x")
    assert reply.answer is answer
    if answer is Answer.THROTTLED:
        assert reply.pause == (60.0 if kind == "wecom" else 600.0)


async def send(stub: RobotStub, channel: ChannelConfig, message: Message, now: datetime = NOW):
    config = ChannelsConfig(channels=(channel,), wecom_url=stub.url, dingtalk_url=stub.url)
    robot = WebhookRobot(channel, stub.url, lambda: now)
    async with client_for(config) as client:
        return await robot.send(client, message)


async def test_the_stubs_check_keys_signatures_keywords_and_limits() -> None:
    clock = [1000.0]
    stub = RobotStub(now=lambda: NOW, monotonic=lambda: clock[0])
    wecom = stub.wecom("wk")
    ding = stub.dingtalk("dt", secret="SECgood")
    keyed = stub.dingtalk("kw", keyword="整改")
    async with stub:
        good = ChannelConfig("inspectors", "wecom", "wk")
        assert (await send(stub, good, Message("t", "**hi**"))).answer is Answer.SENT
        assert wecom.received[0].content == "**hi**"
        bad_key = await send(stub, ChannelConfig("inspectors", "wecom", "nope"), Message("t", "x"))
        assert (bad_key.answer, bad_key.errcode) == (Answer.REFUSED, 93000)
        assert bad_key.errmsg.startswith("invalid webhook url")
        long_text = await send(stub, good, Message("t", "字" * 683, markdown=False))  # 2,049 B
        assert (long_text.answer, long_text.errcode) == (Answer.FAILED, 40058)
        assert "text.content exceed max length 2048" in long_text.errmsg
        assert (
            await send(stub, good, Message("t", "字" * 682, markdown=False))
        ).answer is Answer.SENT
        long_md = await send(stub, good, Message("t", "a" * 4097))
        assert long_md.errcode == 40058 and "markdown.content" in long_md.errmsg

        signed = ChannelConfig(
            "unit:HZ", "dingtalk", "dt", unit="HZ", security="sign", secret="SECgood"
        )
        assert (await send(stub, signed, Message("标题", "正文"))).answer is Answer.SENT
        assert ding.received[0].title == "标题"
        wrong = ChannelConfig(
            "unit:HZ", "dingtalk", "dt", unit="HZ", security="sign", secret="SECbad"
        )
        reply = await send(stub, wrong, Message("标题", "正文"))
        assert (reply.answer, reply.errcode, reply.errmsg.split(",")[0]) == (
            Answer.REFUSED,
            310000,
            "sign not match",
        )
        late = await send(
            stub, signed, Message("标题", "正文"), now=datetime(2026, 3, 2, 3, tzinfo=UTC)
        )
        assert late.errmsg.startswith("invalid timestamp")
        keyword = ChannelConfig(
            "unit:NB", "dingtalk", "kw", unit="NB", security="keyword", keyword="整改"
        )
        missing = await send(stub, keyword, Message("t", "没有关键词"))
        assert missing.errmsg.startswith("keywords not in content")
        assert (await send(stub, keyword, Message("t", "整改提醒"))).answer is Answer.SENT
        assert keyed.answers == [310000, 0]
        unknown = await send(
            stub,
            ChannelConfig("unit:X", "dingtalk", "zz", unit="X", security="keyword", keyword="k"),
            Message("t", "k"),
        )
        assert (unknown.errcode, unknown.errmsg) == (300001, "token is not exist")


async def test_twenty_a_minute_then_the_real_throttle_answers() -> None:
    clock = [1000.0]
    stub = RobotStub(now=lambda: NOW, monotonic=lambda: clock[0])
    stub.wecom("wk")
    ding = stub.dingtalk("dt", keyword="整改")
    wecom_channel = ChannelConfig("inspectors", "wecom", "wk")
    ding_channel = ChannelConfig(
        "unit:HZ", "dingtalk", "dt", unit="HZ", security="keyword", keyword="整改"
    )
    async with stub, client_for(ChannelsConfig()) as client:
        wecom = WebhookRobot(wecom_channel, stub.url, lambda: NOW)
        dingtalk = WebhookRobot(ding_channel, stub.url, lambda: NOW)
        for _ in range(20):
            assert (await wecom.send(client, Message("t", "x"))).answer is Answer.SENT
            assert (await dingtalk.send(client, Message("t", "整改"))).answer is Answer.SENT
        over = await wecom.send(client, Message("t", "x"))
        assert (over.answer, over.errcode, over.pause) == (Answer.THROTTLED, 45009, 60.0)
        assert over.errmsg.startswith("api freq out of limit")
        over = await dingtalk.send(client, Message("t", "整改"))
        assert (over.errcode, over.errmsg) == (130101, "send too fast, exceed 20 times per minute")
        clock[0] += 61  # WeCom's window has moved on; DingTalk still punishes for ten minutes
        assert (await wecom.send(client, Message("t", "x"))).answer is Answer.SENT
        assert (await dingtalk.send(client, Message("t", "整改"))).errcode == 130101
        clock[0] += 540
        assert (await dingtalk.send(client, Message("t", "整改"))).answer is Answer.SENT
        assert len(ding.received) == 21


async def test_a_stalled_answer_is_uncertain_and_a_closed_port_is_retry() -> None:
    stub = RobotStub(now=lambda: NOW)
    robot = stub.wecom("wk")
    channel = ChannelConfig("inspectors", "wecom", "wk")
    async with stub:
        robot.stall_next()
        config = ChannelsConfig(channels=(channel,), timeout_seconds=0.3)
        async with client_for(config) as client:
            reply = await WebhookRobot(channel, stub.url, lambda: NOW).send(
                client, Message("t", "x")
            )
        assert reply.answer is Answer.UNCERTAIN and len(robot.received) == 1
        url = stub.url
    async with client_for(ChannelsConfig(timeout_seconds=0.3)) as client:
        reply = await WebhookRobot(channel, url, lambda: NOW).send(client, Message("t", "x"))
    assert reply.answer is Answer.RETRY


# --------------------------------------------------------------------------- sizes and text


def test_clip_never_cuts_a_character() -> None:
    text = "整改" * 10 + "🔴"
    for budget in range(0, 50):
        clipped = clip(text, budget)
        assert len(clipped.encode()) <= max(budget, 3) or clipped == "…"
        clipped.encode("utf-8")  # valid UTF-8: no half character


def test_fit_keeps_whole_lines_and_counts_the_rest() -> None:
    lines = [f"- HZ-{n:03d} 超期 {n} 天 · 责任领导：某某某" for n in range(500)]
    text = fit(
        ["### 标题"],
        [Section("**【超期预警】**", lines)],
        ["链接"],
        4096,
        lambda n: f"另有 {n} 项",
    )
    assert len(text.encode()) <= 4096
    body = text.split("\n")
    shown = [line for line in body if line.startswith("- HZ-")]
    assert shown == lines[: len(shown)]  # whole lines, in order
    assert f"另有 {500 - len(shown)} 项" in text and text.endswith("链接")


def test_stored_strings_cannot_format_or_link() -> None:
    assert md('**粗体** [链接](http://x) <font color="warning">x</font>\n# 标题') == (
        '＊＊粗体＊＊ ［链接］(http://x) ＜font color="warning"＞x＜/font＞ ＃ 标题'
    )


def test_a_test_message_is_plain_text_and_names_the_group() -> None:
    renderer = GroupRenderer(
        Catalog.load(), "zh-CN", items={}, units={}, today=NOW.date(), bot_username="zgt_bot"
    )
    channel = ChannelConfig("unit:HZ", "wecom", "k", unit="HZ")
    message = renderer.test_message(channel, "3月2日 09:00")
    assert not message.markdown and "HZ工作群已接通" in message.body
    assert "https://t.me/zgt_bot" in message.body
