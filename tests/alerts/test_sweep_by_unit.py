"""A sweep without digests decides one unit at a time (alerts.sweep.Sweeper._by_unit), so
only one unit's items are held at once (issue 14: a restarted bot's first sweep held the
whole province, 462 MB at 100k items). What it plans must be exactly what one decision over
every item plans: the same messages to the same people, the same entries in the same order,
the same words."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from alerts.channels.deliver import ChannelPass, _Done, personas
from alerts.log import State
from alerts.render import Renderer
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.report import report_due_dates
from app.roster import set_reachable
from app.services import Services
from bench._world import INSPECTORS, NOW, build, contact_id
from config import AlertConfig, BotConfig, ChannelConfig, ChannelsConfig, Config
from ledger.alerts import AlertKind, Outgoing, decide_alerts
from ledger.calendar import local_date
from ledger.milestone import set_feedback
from ledger.model import Unit
from locales import Catalog
from storage import AlertMove
from storage.paper import PaperStore
from storage.repo import Store
from tests.alerts.helpers import FakeBot, FakeTime, new_item


def _province() -> tuple[Services, Sweeper]:
    store = Store.memory()
    config = Config(
        path=Path("config.toml"),
        bot=BotConfig(inspectors=INSPECTORS),
        # 回头看 three months after closing: the world's items closed five to seven months ago.
        alerts=AlertConfig(quiet=False, lookback_months=3),
    )
    build(store, 4, 100, config.rules)  # every status: 100 items per unit (bench._world.MIX)
    # A unit nobody in it can be told about (its alerts fall back to the inspectors), and a
    # unit whose 整改情况报告 is due in a week.
    store.add_unit(Unit("ZZ", "无人单位"))
    for n in range(3):
        start = NOW - timedelta(days=90)
        new_item(store, "ZZ", now=start, deadline=date(2026, 1, 2 + n), rules=config.rules)
    PaperStore(store.registry).change_milestone(
        "U001",
        lambda current: set_feedback(
            current,
            "U001",
            local_date(NOW, config.tz) - timedelta(days=60),
            local_date(NOW, config.tz) + timedelta(days=7),
            by=INSPECTORS[0],
            now=NOW,
        ),
    )
    services = Services.create(config, store, FakeClock(NOW), Catalog.load())
    # A contact who blocked the bot: U002's contact-only alerts fall back to the inspectors.
    set_reachable(services, contact_id(2), False, NOW)
    return services, Sweeper(services, FakeBot(time=FakeTime()), Runtime())


def _all_at_once(services: Services, sweeper: Sweeper) -> list[Outgoing]:
    config = services.config
    world = sweeper._world(local_date(NOW, config.tz))
    return decide_alerts(
        NOW,
        config.tz,
        world.items,
        world.units,
        world.people,
        sweeper.log.done(),
        config.rules,
        services.calendar,
        status_since=world.since,
        reports=report_due_dates(services, world.units),
        report_days=config.paper.report_remind_days,
    )


def _texts(services: Services, sweeper: Sweeper, outgoing: list[Outgoing]) -> list[str]:
    world, _, _, _ = sweeper._by_unit(NOW)
    config = services.config
    renderer = Renderer(services.catalog, world.directory, config.tz, local_date(NOW, config.tz))
    return [renderer.outgoing(o).text for o in outgoing]


def test_one_unit_at_a_time_plans_what_one_decision_over_every_item_plans() -> None:
    services, sweeper = _province()
    world, by_unit, _, _ = sweeper._by_unit(NOW)
    whole = _all_at_once(services, sweeper)
    assert by_unit == whole
    kinds = {e.kind for o in whole for e in o.entries}
    assert {AlertKind.OVERDUE, AlertKind.DUE_SOON, AlertKind.ESCALATION} <= kinds
    assert {AlertKind.LOOKBACK, AlertKind.REPORT_DUE, AlertKind.STALE} <= kinds
    assert {AlertKind.AWAIT_ENDORSEMENT, AlertKind.AWAIT_VERIFICATION} <= kinds
    fallen = {e.unit for o in whole for e in o.entries if e.fallback}
    assert {"ZZ", "U002"} <= fallen  # nobody in ZZ; U002's contact unreachable
    # Only the items of the entries to send are kept, and they are enough to word them.
    assert set(world.directory.items) == {
        e.item_id for o in whole for e in o.entries if e.item_id is not None
    }
    full = sweeper._world(local_date(NOW, services.config.tz))
    renderer = Renderer(
        services.catalog, full.directory, services.config.tz, local_date(NOW, services.config.tz)
    )
    assert _texts(services, sweeper, by_unit) == [renderer.outgoing(o).text for o in whole]


def test_with_part_of_the_log_done_both_leave_out_the_same_keys() -> None:
    services, sweeper = _province()
    keys = [k for o in _all_at_once(services, sweeper) for k in o.delivery_keys]
    done = random.Random(14).sample(keys, len(keys) // 2)
    services.store.registry.move_alerts([AlertMove(done, State.SENT, {}, merge=False)])
    _, by_unit, _, _ = sweeper._by_unit(NOW)
    whole = _all_at_once(services, sweeper)
    assert by_unit == whole
    left = {k for o in whole for k in o.delivery_keys}
    assert left == set(keys) - set(done) and left


def test_with_group_channels_the_groups_decision_by_unit_is_the_one_over_every_item() -> None:
    """With 企业微信 / 钉钉 groups, the groups' decision is made in the same pass over the units
    (ChannelPass.decider): the inspectors' group and each unit's group get exactly what one
    decision over every item gives them, a unit without a group included (its alerts fall
    back and are left to Telegram), and on a first pass every unit is decided and marked."""
    services, _ = _province()
    groups = ChannelsConfig(
        channels=(
            ChannelConfig("inspectors", "wecom", "k-inspectors"),
            ChannelConfig("unit:U000", "dingtalk", "k-u0", unit="U000"),
            ChannelConfig("unit:U002", "dingtalk", "k-u2", unit="U002"),
        )
    )
    services = replace(services, config=replace(services.config, channels=groups))
    runtime = Runtime()
    runtime.channels = ChannelPass(services)
    sweeper = Sweeper(services, FakeBot(time=FakeTime()), runtime)
    world, telegram, _, by_unit = sweeper._by_unit(NOW)
    assert telegram == _all_at_once(services, sweeper)  # Telegram's decision is unchanged
    config = services.config
    full = sweeper._world(local_date(NOW, config.tz))
    people, names = personas(groups)
    whole = decide_alerts(
        NOW,
        config.tz,
        full.items,
        full.units,
        people,
        _Done(services.store.registry.alert_state, names),
        config.rules,
        services.calendar,
        status_since=full.since,
        reports=report_due_dates(services, full.units),
    )
    assert by_unit == whole and len(whole) == 5  # the inspectors' group, two units × 2
    assert set(world.marks) == {u.code for u in full.units} and world.skipped == frozenset()
    told = {e.item_id for o in whole for e in o.entries if e.item_id is not None}
    assert told <= set(world.directory.items)  # the group lines can be worded
