"""One set of figures everywhere: random ledgers, every view rendered, the numbers read back from
the text (or the sheet) and compared with ``ledger.figures`` — /units (each unit and the sum),
/unit, the /open and /overdue tallies, the /stats caption and bars, the export's 汇总 sheet, the
日报 per-unit lines, each unit's 周报, ``sweep --dry-run`` and the sandbox's start line. Every
breakdown adds up to its total, and no line shows a zero part ("🟢 0", "长期坚持 0")."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from telegram import User

from alerts.render import Directory, Renderer
from alerts.summary import summary
from alerts.sweep import Runtime, Sweeper
from app.clock import FakeClock
from app.services import Services
from config import BotConfig, Config, WorkflowConfig
from handlers.common import Who, to_plain
from handlers.people import units_page
from handlers.queries import ALL, ListSpec, draw_list
from handlers.stats import caption, chart_rows
from ledger.alerts import Group, decide_alerts
from ledger.calendar import WorkCalendar
from ledger.figures import STATUS_PARTS, Figures, figures_by_unit, format_rate
from ledger.model import Item, Person, Role, Status, Unit
from locales import Catalog
from sandbox.session import data_summary
from sandbox.words import Words as ConsoleWords
from storage.repo import Store
from storage.xlsx_export import SUMMARY_COLUMNS, export_ledger

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 17, 30, tzinfo=TZ)  # a Friday: both digests are due
CATALOG = Catalog.load()
UNITS = (
    Unit("HZ", "杭州市局党组", "第一轮"),
    Unit("NB", "宁波市局党组"),
    Unit("JX", "嘉兴市局党组"),
)
INSPECTOR = Person(100, "巡察组", Role.INSPECTOR)
CONTACTS = tuple(
    Person(200 + n, f"联络员{n}", Role.CONTACT, unit=u.code) for n, u in enumerate(UNITS)
)

# The words of each status part as the zh-CN catalog writes them.
STATUS_WORDS = {
    s: CATALOG.plain("zh-CN", f"figures.status.{s}", count="").strip() for s in STATUS_PARTS
}


# --------------------------------------------------------------------------- random ledgers


@st.composite
def ledgers(draw: st.DrawFn, units: tuple[Unit, ...] = UNITS[:2], most: int = 9) -> list[Item]:
    """Up to ``most`` random items in each of ``units`` (by default HZ and NB: JX stays empty,
    and a unit with nothing shows "共 0 项")."""
    items: list[Item] = []
    for unit in units:
        for seq in range(1, draw(st.integers(0, most)) + 1):
            status = draw(st.sampled_from(list(Status)))
            long_term = draw(st.booleans()) if status is not Status.MONITORING else True
            created = NOW - timedelta(days=draw(st.integers(1, 120)))
            deadline = None if long_term else NOW.date() + timedelta(draw(st.integers(-40, 20)))
            closed_at = None
            if status in (Status.CLOSED, Status.MONITORING):
                closed_at = created + (NOW - created) * draw(st.floats(0, 1))
            items.append(
                Item(
                    id=f"{unit.code}-{seq:03d}",
                    unit=unit.code,
                    category="党的建设",
                    problem=f"问题{seq}",
                    created_at=created,
                    deadline=deadline,
                    long_term=long_term,
                    status=status,
                    closed_at=closed_at,
                )
            )
    return items


def world(items: list[Item], units: tuple[Unit, ...] = UNITS, page_size: int = 50) -> Services:
    config = Config(
        path=Path("test.toml"),
        bot=BotConfig(inspectors=(INSPECTOR.user_id,)),
        workflow=WorkflowConfig(page_size=page_size),
    )
    store = Store.memory()
    for unit in units:
        ledger = store.add_unit(unit)
        with ledger.transaction() as tx:
            for item in items:
                if item.unit == unit.code:
                    tx.put(item)
    codes = {u.code for u in units}
    for person in (INSPECTOR, *(c for c in CONTACTS if c.unit in codes)):
        store.registry.upsert_person(person)
    return Services.create(config, store, FakeClock(NOW), CATALOG)


# --------------------------------------------------------------------------- reading numbers


def read_block(text: str) -> dict[str, Any]:
    """The figures a block of zh-CN text states (absent parts are 0, absent rates None)."""
    found: dict[str, Any] = {}
    total = re.search(r"共 (\d+) 项", text)
    found["total"] = int(total.group(1)) if total else None
    for status, word in STATUS_WORDS.items():
        m = re.search(rf"{word} (\d+)(?!\d)(?! 项)", text)
        found[str(status)] = int(m.group(1)) if m else 0
        assert not m or m.group(1) != "0", f"zero part shown: {text!r}"
    for key, pattern in (
        ("overdue", r"(?<!新增)超期 (\d+)(?!\d)(?! 项)"),
        ("due_soon", r"\d+ 天内到期 (\d+)(?!\d)(?! 项)"),
        ("closed_late", r"逾期完成 (\d+)"),
        ("withdrawn", r"另撤销 (\d+) 项"),
        ("red", r"🔴 (\d+)"),
        ("yellow", r"🟡 (\d+)"),
        ("green", r"🟢 (\d+)"),
    ):
        m = re.search(pattern, text)
        found[key] = int(m.group(1)) if m else 0
        assert not m or m.group(1) != "0", f"zero part shown: {text!r}"
    for key, word in (("completion", "整改完成率"), ("closeout", "销号率")):
        m = re.search(rf"{word} ([\d.]+%|—)", text)
        found[key] = m.group(1) if m else None
    return found


def expected(f: Figures, *, lights: bool = False) -> dict[str, Any]:
    want: dict[str, Any] = {str(s): n for s, n in f.by_status().items()}
    want.update(
        total=f.total,
        overdue=f.overdue,
        due_soon=f.due_soon,
        closed_late=f.closed_late,
        withdrawn=f.withdrawn,
        red=f.red if lights else 0,
        yellow=f.yellow if lights else 0,
        green=f.green if lights else 0,
        completion=format_rate(f.completion_rate) if f.total else None,
        closeout=format_rate(f.closeout_rate) if f.total else None,
    )
    return want


def blocks(text: str) -> Iterator[str]:
    yield from text.split("\n\n")


# --------------------------------------------------------------------------- the property


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=ledgers())
def test_every_view_shows_the_same_figures(items: list[Item]) -> None:
    services = world(items)
    rules, yellow = services.rules, services.rules.yellow_days
    per_unit, total = figures_by_unit(items, NOW, TZ, rules, units=[u.code for u in UNITS])
    assert sum(per_unit.values(), Figures()) == total
    for f in (*per_unit.values(), total):  # every breakdown adds up to its total
        assert sum(f.by_status().values()) == f.total
        assert sum(f.by_light().values()) == f.active == f.total - f.done
        assert f.red == f.overdue
    inspector = Who(services, User(INSPECTOR.user_id, "巡察组", is_bot=False), INSPECTOR, "zh-CN")

    # /units: the header block is the sum, then one block per unit
    page = units_page(inspector, (), ALL, 1)
    assert page is not None
    parts = list(blocks(to_plain(page.text)))
    assert read_block(parts[0].split("\n", 1)[1]) == expected(total)
    for unit in UNITS:
        block = next(b for b in parts if b.startswith(f"{unit.code} {unit.name}"))
        assert read_block(block.split("\n", 1)[1]) == expected(per_unit[unit.code])

    # /unit CODE: the figures under the title
    for unit in UNITS:
        drawn = to_plain(draw_list(inspector, ListSpec("unit", unit.code), 1).text)
        head = next(blocks(drawn)).split("\n", 1)[1]
        assert read_block(head) == expected(per_unit[unit.code])

    # /open and /overdue over all units: the tallies
    opened = next(blocks(to_plain(draw_list(inspector, ListSpec("open", ALL), 1).text)))
    if total.active:
        tally = read_block(opened.split("\n", 1)[1])
        assert (tally["total"], tally["red"], tally["yellow"], tally["green"]) == (
            total.active,
            total.red,
            total.yellow,
            total.green,
        )
    overdue = next(blocks(to_plain(draw_list(inspector, ListSpec("overdue", ALL), 1).text)))
    if total.overdue:
        assert read_block(overdue.split("\n", 1)[1])["total"] == total.overdue

    # /stats: the caption, and the bars (已销号 + 未销号未超期 + 超期 = 台账总数 per unit)
    bars, _ = chart_rows(services, list(UNITS), NOW)
    for bar in bars:
        f = bar.figures
        assert f == per_unit[bar.code]
        assert f.done + f.not_overdue + f.overdue == f.total
    text = to_plain(caption(inspector, "全部单位", NOW.date(), total))
    assert read_block(text.split("\n", 1)[1]) == expected(total)

    # the export's 汇总 sheet: one row per unit and 合计
    by_unit = {u.code: [i for i in items if i.unit == u.code] for u in UNITS}
    data = export_ledger(list(UNITS), by_unit, now=NOW, tz=TZ, rules=rules)
    ws = load_workbook(io.BytesIO(data))["汇总"]
    keys = list(SUMMARY_COLUMNS)
    for r, f in enumerate([*(per_unit[u.code] for u in UNITS), total], start=3):
        cells = dict(zip(keys, (c.value for c in ws[r]), strict=True))
        for key in keys[2:]:
            if key.endswith("_rate"):
                rate = getattr(f, key)
                shown = cells[key]
                assert (shown == "—") if rate is None else format_rate(rate) == f"{shown:.1%}"
            else:
                assert cells[key] == getattr(f, key), key

    # 日报 (each unit with items: one line) and 周报 (each unit's own figures)
    out = decide_alerts(
        NOW,
        TZ,
        items,
        UNITS,
        [INSPECTOR, *CONTACTS],
        set(),
        rules,
        WorkCalendar(TZ),
        digests={"daily", "weekly"},
    )
    directory = Directory(
        items={i.id: i for i in items},
        units={u.code: u for u in UNITS},
        people={p.user_id: p for p in (INSPECTOR, *CONTACTS)},
        default_language="zh-CN",
    )
    renderer = Renderer(CATALOG, directory, TZ, NOW.date(), yellow_days=yellow)
    for message in out:
        text = to_plain(renderer.outgoing(message).text)
        if message.group is Group.DIGEST_DAILY:
            for unit in UNITS:
                line = next((x for x in text.split("\n") if x.startswith(f"· {unit.code} ")), None)
                if per_unit[unit.code].total == 0:  # only units with counted items are listed
                    assert line is None
                else:
                    assert line is not None
                    got = read_block(line.split("：", 1)[1])
                    assert got == expected(per_unit[unit.code])
        elif message.group is Group.DIGEST_WEEKLY:
            code = message.entries[0].unit
            assert code is not None
            lines = text.split("\n")
            end = next(n for n, x in enumerate(lines) if x.startswith("整改完成率"))
            assert read_block("\n".join(lines[1 : end + 1])) == expected(per_unit[code])

    # sweep --dry-run: the ledger's figures of every unit, lights included
    sweeper = Sweeper(services, _NoBot(), Runtime())
    dry = to_plain(summary(sweeper, "zh-CN", NOW))
    block = next(b for b in blocks(dry) if b.startswith("整改台账（全部单位）"))
    assert read_block(block.split("\n", 1)[1]) == expected(total, lights=True)

    # the sandbox's start line
    line = data_summary(ConsoleWords(CATALOG, "zh-CN"), services.store, None, services.config, NOW)
    assert read_block(line.split("\n", 1)[1]) == expected(total, lights=True)


class _NoBot:
    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing is sent")


def test_the_reader_is_strict() -> None:
    """A zero part is an error, and each number is read from its own word."""
    f = Figures(open=12, closed=1, overdue=10, red=10, green=2, withdrawn=1)
    text = (
        "共 13 项：未整改 12 · 已销号 1\n超期 10；另撤销 1 项（不计入）\n"
        "整改完成率 7.6% · 销号率 7.6%"
    )
    assert read_block(text) == {**expected(f), "completion": "7.6%", "closeout": "7.6%"}
    with pytest.raises(AssertionError):
        read_block("共 3 项：未整改 3 · 长期坚持 0")


# --------------------------------------------------------------------------- /units, paged

PROVINCE = tuple(Unit(f"U{n}", f"第{n}单位党组") for n in range(7))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=ledgers(PROVINCE, 5))
def test_units_pages_show_each_unit_once_worst_first_under_the_whole_provinces_figures(
    items: list[Item],
) -> None:
    """/units paged (3 to a page here): every page's header is the figures of all items, the
    pages together show every unit exactly once with its own figures and its button, the units
    that need attention first (most 超期, then most 🟡, then most 未销号, then by code)."""
    services = world(items, PROVINCE, page_size=3)
    codes = [u.code for u in PROVINCE]
    per_unit, total = figures_by_unit(items, NOW, TZ, services.rules, units=codes)
    inspector = Who(services, User(INSPECTOR.user_id, "巡察组", is_bot=False), INSPECTOR, "zh-CN")
    seen: list[str] = []
    for number in (1, 2, 3):  # 7 units, 3 to a page
        page = units_page(inspector, (), ALL, number)
        assert page is not None and page.keyboard is not None
        parts = list(blocks(to_plain(page.text)))
        assert read_block(parts[0].split("\n", 1)[1]) == expected(total)
        shown = [b.split(" ", 1)[0] for b in parts[1:] if re.match(r"U\d ", b)]
        assert 1 <= len(shown) <= 3
        for block in parts[1:]:
            if re.match(r"U\d ", block):
                code = block.split(" ", 1)[0]
                assert read_block(block.split("\n", 1)[1]) == expected(per_unit[code])
        labels = [b.text for row in page.keyboard.inline_keyboard for b in row]
        assert labels[: len(shown)] == shown
        assert f"{number}/3" in labels
        seen += shown
    assert seen == sorted(
        codes, key=lambda c: (-per_unit[c].red, -per_unit[c].yellow, -per_unit[c].active, c)
    )
    beyond = units_page(inspector, (), ALL, 99)  # a page past the end: the last one
    last = units_page(inspector, (), ALL, 3)
    assert beyond is not None and last is not None and beyond.text == last.text
