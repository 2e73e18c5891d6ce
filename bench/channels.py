"""What the 企业微信 / 钉钉 group pass adds to a sweep (issue 17), against the sweep without it.

A province-like world (units of 100 items, ``_world``), the inspectors' group on WeCom and one
DingTalk (加签) group per unit, all on the local robot stubs (``sandbox/robots.py``, real HTTP
on 127.0.0.1). Each size, on fresh copies: the first sweep without groups (the floor: what
Telegram's sweep costs), the first sweep with groups, and a second sweep at the same instant
(nothing left to send anywhere). Pacing is off for both (the transports are not measured).
Figures: the group pass's extra seconds and the largest group message in bytes.
Target (at the largest size): the pass adds ≤ 1× the floor; every message within 4,096 bytes
(WeCom) / 20,000 (DingTalk), which the stubs enforce (a refusal would show as failed).

    python bench/channels.py [--sizes 10000,30000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.channels.deliver import ChannelPass
from alerts.pacing import Limits, Pacer
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from bench._world import INSPECTORS, NOW, emit, figure, unit_code, world
from bench.sweep import InstantBot
from config import BotConfig, ChannelConfig, ChannelsConfig, Config
from locales import Catalog
from sandbox.robots import RobotStub
from storage.repo import Store

UNLIMITED = Limits(10**6, 10**6, 10**6)


def groups(units: int, url: str, stub: RobotStub) -> ChannelsConfig:
    channels = [ChannelConfig("inspectors", "wecom", "bench-inspectors")]
    stub.wecom("bench-inspectors")
    for u in range(units):
        code = unit_code(u)
        token, secret = f"bench-{code}", f"SECbench{code}"
        stub.dingtalk(token, secret=secret)
        channels.append(
            ChannelConfig(
                f"unit:{code}", "dingtalk", token, unit=code, security="sign", secret=secret
            )
        )
    return ChannelsConfig(channels=tuple(channels), wecom_url=url, dingtalk_url=url)


async def sweep(root: Path, channels: ChannelsConfig | None) -> tuple[float, float, Any]:
    config = Config(path=Path("config.toml"), bot=BotConfig(data_dir=root, inspectors=INSPECTORS))
    if channels is not None:
        config = Config(path=config.path, bot=config.bot, channels=channels)
    with Store.open(root) as store:
        services = Services.create(config, store, FakeClock(NOW), Catalog.load())
        runtime = Runtime(pacer=Pacer(UNLIMITED), concurrency=64)
        if channels is not None:
            runtime.channels = ChannelPass(services, pacer=Pacer(UNLIMITED))
        sweeper = Sweeper(services, InstantBot(), runtime)
        gc.collect()
        started = time.perf_counter()
        first = await sweeper.tick(force=True)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        await sweeper.tick(force=True)
        again_s = time.perf_counter() - started
    return first_s, again_s, first


async def one_size(base: Path, items: int) -> dict[str, Any]:
    units = max(1, items // 100)
    plain_root, group_root = base / "plain", base / "groups"
    world(units, min(items, 100), plain_root)
    world(units, min(items, 100), group_root)
    floor, floor_again, _ = await sweep(plain_root, None)
    stub = RobotStub(now=lambda: NOW)
    async with stub:
        config = groups(units, stub.url, stub)
        with_s, again_s, report = await sweep(group_root, config)
        sizes = [len(r.content.encode()) for b in stub.robots.values() for r in b.received]
        answers = [a for b in stub.robots.values() for a in b.answers]
    return {
        "items": items,
        "groups": len(config.channels),
        "floor_sweep_seconds": round(floor, 3),
        "with_groups_seconds": round(with_s, 3),
        "pass_seconds": round(with_s - floor, 3),
        "nothing_to_send_seconds": round(again_s, 3),
        "floor_nothing_to_send_seconds": round(floor_again, 3),
        "group_messages": len(sizes),
        "refused": sum(1 for a in answers if a != 0),
        "largest_message_bytes": max(sizes, default=0),
        "outcomes": report.channels if report else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = []
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            runs.append(await one_size(Path(tmp), n))
    top = runs[-1]
    extra, floor = top["pass_seconds"], top["floor_sweep_seconds"]
    emit(
        "channels",
        {"sizes": sizes},
        [
            figure(
                f"group pass @{top['items']} items, {top['groups']} groups",
                extra,
                unit="s",
                floor=floor,
                target="≤ 1× the sweep without groups",
                ok=extra <= floor,
            ),
            figure(
                "largest group message",
                top["largest_message_bytes"],
                unit="B",
                target="≤ 20,000 B (DingTalk), none refused",
                ok=top["largest_message_bytes"] <= 20000 and top["refused"] == 0,
            ),
        ],
        runs=runs,
    )


if __name__ == "__main__":
    asyncio.run(main())
