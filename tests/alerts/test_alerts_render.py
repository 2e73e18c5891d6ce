"""Alert messages read naturally, stay valid Telegram HTML within 4,096 characters, and carry
card buttons (alerts.render)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from alerts.render import MAX_BUTTONS, Directory, Renderer, utf16_len
from ledger.alerts import AlertKind, Entry, Group, Outgoing
from ledger.model import Item, Light, Person, Role, Unit
from locales import Catalog
from sandbox.htmlcheck import parse_html

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 2)
CATALOG = Catalog.load()
CONTACT = Person(11, "联络员", Role.CONTACT, unit="HZ")
LEADER = Person(12, "书记", Role.LEADER, unit="HZ")
INSPECTOR = Person(1, "巡察办", Role.INSPECTOR)
UNITS = {"HZ": Unit("HZ", "杭州市局党组"), "NB": Unit("NB", "宁波市局党组")}


def item(n: int, problem: str = "三会一课制度落实不到位", unit: str = "HZ") -> Item:
    return Item(
        id=f"{unit}-{n:03d}",
        unit=unit,
        category="党的建设",
        problem=problem,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        deadline=date(2026, 2, 25),
    )


def renderer(items: list[Item], language: str = "zh-CN") -> Renderer:
    directory = Directory(
        items={i.id: i for i in items},
        units=UNITS,
        people={p.user_id: p for p in (CONTACT, LEADER, INSPECTOR)},
        default_language=language,
    )
    return Renderer(CATALOG, directory, TZ, TODAY, yellow_days=7)


def entry(kind: AlertKind, n: int, step: int = 0, unit: str = "HZ", **details: object) -> Entry:
    light = Light.RED if kind in (AlertKind.OVERDUE, AlertKind.ESCALATION) else Light.YELLOW
    return Entry(
        key=f"{unit}-{n:03d}:{kind}:2026-02-25:{step}",
        kind=kind,
        item_id=f"{unit}-{n:03d}",
        unit=unit,
        step=step,
        light=light,
        deadline=date(2026, 2, 25),
        details=dict(details),
    )


def plain(text: str) -> str:
    parsed = parse_html(text)  # raises like Telegram on bad HTML
    assert utf16_len(parsed.text) <= 4096
    return parsed.text


def test_a_contact_gets_one_message_in_sections_with_card_buttons() -> None:
    entries = (
        entry(AlertKind.OVERDUE, 1, days_overdue=5, deadline="2026-02-25"),
        entry(AlertKind.DUE_SOON, 2, 3, days_left=3, deadline="2026-03-05"),
        entry(AlertKind.DUE_SOON, 3, 1, days_left=0, deadline="2026-03-02"),
        entry(AlertKind.STALE, 4, 1, idle_days=15, since="2026-02-15"),
    )
    rendered = renderer([item(n) for n in range(1, 5)]).outgoing(
        Outgoing(CONTACT.user_id, Group.ALERTS, entries)
    )
    text = plain(rendered.text)
    assert text.splitlines()[:3] == [
        "【超期预警】以下事项已超过整改时限，请抓紧整改并及时报送进展：",
        "🔴 HZ-001 三会一课制度落实不到位",
        "　　整改时限 2月25日，已超期 5 天",
    ]
    assert "【临期提醒】以下事项今天到期，请抓紧办结：" in text
    assert "【临期提醒】以下事项距整改时限还有 3 天，请抓紧推进：" in text
    assert text.index("今天到期") < text.index("还有 3 天")
    assert "【无进展提醒】" in text and "最近一次进展在 2月15日，已 15 天无新进展" in text
    assert "杭州市局党组" not in text  # a contact knows their own unit
    assert rendered.keyboard is not None
    buttons = [b for row in rendered.keyboard.inline_keyboard for b in row]
    assert [(b.text, b.callback_data) for b in buttons] == [
        (f"HZ-00{n}", f"card:HZ-00{n}") for n in range(1, 5)
    ]


def test_escalation_climbs_from_reminder_to_warning_to_accountability() -> None:
    entries = (
        entry(AlertKind.ESCALATION, 1, 3, threshold=30, days_overdue=31, deadline="2026-01-30"),
        entry(AlertKind.ESCALATION, 2, 2, threshold=15, days_overdue=16, deadline="2026-02-14"),
        entry(
            AlertKind.ESCALATION,
            3,
            1,
            unit="NB",
            threshold=1,
            days_overdue=1,
            deadline="2026-03-01",
        ),
    )
    items = [item(1), item(2), item(3, unit="NB")]
    text = plain(renderer(items).outgoing(Outgoing(INSPECTOR.user_id, Group.ALERTS, entries)).text)
    lines = text.splitlines()
    assert lines[0] == "【超期升级 · 建议问责】以下事项超期已满 30 天，建议启动问责程序："
    assert "【超期升级 · 告诫】以下事项超期已满 15 天，建议对责任单位进行告诫：" in lines
    assert "【超期升级 · 提醒】以下事项已超过整改时限，请督促责任单位整改：" in lines
    assert "🔴 HZ-001 三会一课制度落实不到位（杭州市局党组）" in lines  # inspectors see the unit
    assert "🔴 NB-003 三会一课制度落实不到位（宁波市局党组）" in lines
    assert "　　整改时限 1月30日，已超期 31 天" in lines


def test_review_lookback_and_fallback_details() -> None:
    entries = (
        entry(
            AlertKind.AWAIT_VERIFICATION,
            1,
            1,
            since="2026-02-20",
            waited_workdays=6,
            estimated=True,
        ),
        entry(AlertKind.LOOKBACK, 2, 1, closed_on="2025-09-02", months=6),
        Entry(
            key="HZ-003:overdue:2026-02-25:0",
            kind=AlertKind.OVERDUE,
            item_id="HZ-003",
            unit="HZ",
            step=0,
            light=Light.RED,
            details={"days_overdue": 5, "deadline": "2026-02-25", "intended": "unit"},
            fallback=True,
        ),
    )
    text = plain(
        renderer([item(1), item(2), item(3)])
        .outgoing(Outgoing(INSPECTOR.user_id, Group.ALERTS, entries))
        .text
    )
    assert "【待核验】以下事项已签字背书，等待核验销号：" in text
    assert "2月20日签字背书，已等待 6 个工作日（按周一至周五估算）" in text
    assert "【回头看】以下事项销号已满 6 个月，经随机抽取列入回头看" in text
    assert "2025年9月2日销号" in text  # another year: with the year
    assert "〔该单位暂无可送达的联络员和主要负责人，转巡察组〕" in text


def test_a_huge_list_is_cut_to_fit_with_a_count_and_ten_buttons() -> None:
    items = [item(n, problem="问题" * 40) for n in range(1, 501)]
    entries = tuple(
        entry(AlertKind.ESCALATION, n, 1, threshold=1, days_overdue=5, deadline="2026-02-25")
        for n in range(1, 501)
    )
    rendered = renderer(items).outgoing(Outgoing(INSPECTOR.user_id, Group.ALERTS, entries))
    text = plain(rendered.text)
    shown = sum(1 for line in text.splitlines() if line.startswith("🔴 HZ-"))
    assert 10 < shown < 500
    assert f"……另有 {500 - shown} 项未列出" in text
    assert "按钮仅列出前 10 项，其余事项可发送 /item 编号 查看。" in text
    assert rendered.keyboard is not None
    assert sum(len(row) for row in rendered.keyboard.inline_keyboard) == MAX_BUTTONS
    assert len(rendered.item_ids) == 500


def test_hostile_stored_text_is_escaped() -> None:
    evil = "<b>未闭合 & \"引号\" 'x' </i><script>"
    entries = (entry(AlertKind.OVERDUE, 1, days_overdue=5, deadline="2026-02-25"),)
    rendered = renderer([item(1, problem=evil)]).outgoing(
        Outgoing(CONTACT.user_id, Group.ALERTS, entries)
    )
    assert "<b>未闭合 &" in plain(rendered.text)  # literally, not as markup


def test_english_for_people_who_chose_it() -> None:
    entries = (
        entry(AlertKind.OVERDUE, 1, days_overdue=5, deadline="2026-02-25"),
        entry(AlertKind.DUE_SOON, 2, 3, days_left=3, deadline="2027-01-05"),
    )
    rendered = renderer([item(1), item(2)]).outgoing(
        Outgoing(CONTACT.user_id, Group.ALERTS, entries, language="en")
    )
    text = plain(rendered.text)
    assert "[Overdue] These items are past their deadline" in text
    assert "deadline 25 Feb, 5 days overdue" in text
    assert "deadline 5 Jan 2027" in text


def test_the_daily_digest_lists_news_and_units_worst_first() -> None:
    counts = dict.fromkeys(
        ("open", "in_progress", "submitted", "endorsed", "overdue", "closed", "monitoring"), 0
    )
    digest = Entry(
        key="digest:daily:1:2026-03-02",
        kind=AlertKind.DIGEST_DAILY,
        item_id=None,
        unit=None,
        step=0,
        details={
            "date": "2026-03-02",
            "new_overdue": ["HZ-001", "NB-002"],
            "awaiting_verification": [],
            "awaiting_endorsement": ["HZ-004"],
            "units": {
                "HZ": {**counts, "open": 3, "overdue": 1, "closed": 2},
                "NB": {**counts, "in_progress": 4, "overdue": 2},
            },
        },
    )
    rendered = renderer([item(1), item(4)]).outgoing(
        Outgoing(INSPECTOR.user_id, Group.DIGEST_DAILY, (digest,))
    )
    lines = plain(rendered.text).splitlines()
    assert lines[0] == "【日报】3月2日 整改台账日报"
    assert "新增超期 2 项：HZ-001、NB-002" in lines
    assert not any(line.startswith("待核验") for line in lines)  # 0: left out, not "无"
    units = [line for line in lines if line.startswith("· ")]
    # each unit's figures: the status parts (zero ones left out) add up to the total
    assert (
        units[0] == "· NB 宁波市局党组：共 4 项：整改中 4；超期 2；整改完成率 0.0% · 销号率 0.0%"
    )
    assert units[1] == (
        "· HZ 杭州市局党组：共 5 项：未整改 3 · 已销号 2；超期 1；整改完成率 40.0% · 销号率 40.0%"
    )


def test_a_daily_digest_of_three_hundred_units_fits() -> None:
    counts = {"open": 1, "in_progress": 2, "submitted": 0, "endorsed": 0, "overdue": 1}
    units = {f"U{n:03d}": counts for n in range(300)}
    digest = Entry(
        key="digest:daily:1:2026-03-02",
        kind=AlertKind.DIGEST_DAILY,
        item_id=None,
        unit=None,
        step=0,
        details={
            "date": "2026-03-02",
            "new_overdue": [f"U{n:03d}-001" for n in range(300)],
            "units": units,
        },
    )
    text = plain(
        renderer([]).outgoing(Outgoing(INSPECTOR.user_id, Group.DIGEST_DAILY, (digest,))).text
    )
    assert "新增超期 300 项：U000-001、" in text and "等 300 项" in text
    assert "个单位未列出" in text


def test_the_weekly_digest_of_a_unit() -> None:
    digest = Entry(
        key="digest:weekly:HZ:2026-W10",
        kind=AlertKind.DIGEST_WEEKLY,
        item_id=None,
        unit="HZ",
        step=0,
        details={
            "week": "2026-W10",
            "unit": "HZ",
            "counts": {
                "open": 2,
                "in_progress": 1,
                "submitted": 1,
                "endorsed": 0,
                "overdue": 1,
                "closed": 5,
                "monitoring": 1,
            },
            "overdue": ["HZ-001"],
            "due_soon": ["HZ-002"],
            "awaiting": ["HZ-004"],
            "closed_this_week": [],
        },
    )
    rendered = renderer([item(1), item(2), item(4)]).outgoing(
        Outgoing(CONTACT.user_id, Group.DIGEST_WEEKLY, (digest,))
    )
    lines = plain(rendered.text).splitlines()
    assert lines[0] == "【周报】杭州市局党组 3月2日—3月6日整改情况"  # dates, not "第10周"
    assert lines[1] == "共 10 项：未整改 2 · 整改中 1 · 待签字 1 · 已销号 5 · 长期坚持 1"
    assert lines[2] == "超期 1"
    assert lines[3] == "整改完成率 70.0% · 销号率 60.0%"
    assert "7 天内到期 1 项：HZ-002" in lines
    assert not any(line.startswith("本周销号") for line in lines)  # 0: left out
    assert rendered.keyboard is not None


def test_notices_name_who_and_what() -> None:
    r = renderer([item(1)])
    uncertain = r.uncertain_notice(
        "zh-CN",
        [
            {"user_id": 11, "kind": "overdue", "item_id": "HZ-001"},
            {"user_id": 11, "kind": "due_soon", "item_id": "HZ-002"},
            {"user_id": 1, "kind": "digest_daily", "item_id": None},
        ],
    )
    text = plain(uncertain.text)
    assert text.startswith("【发送状态不明】以下 3 条提醒在发送过程中中断")
    assert "· 联络员（联络员，杭州市局党组）：HZ-001 超期预警、HZ-002 临期提醒" in text
    assert "· 巡察办：日报" in text
    contact = plain(r.unreachable_notice("zh-CN", 11).text)
    assert contact.startswith("【无法送达】联络员（联络员，杭州市局党组）已屏蔽或尚未启用本机器人")
    inspector = plain(r.unreachable_notice("en", 1).text)
    assert inspector.startswith("[Unreachable] Inspector 巡察办 has blocked")


def test_a_late_daily_digest_names_its_day_and_why_items_appear_again() -> None:
    digest = Entry(
        key="digest:daily:1:2026-03-06",
        kind=AlertKind.DIGEST_DAILY,
        item_id=None,
        unit=None,
        step=0,
        details={
            "date": "2026-03-06",
            "as_of": "2026-03-09T08:30:00+08:00",
            "new_overdue": ["HZ-001"],
            "new_overdue_told": ["HZ-001"],
            "units": {},
        },
    )
    rendered = renderer([item(1)]).outgoing(
        Outgoing(INSPECTOR.user_id, Group.DIGEST_DAILY, (digest,))
    )
    lines = plain(rendered.text).splitlines()
    assert lines[0] == "【日报】3月6日 整改台账日报"
    assert lines[1] == (
        "（3月6日的日报因停机或非工作时间顺延至今发送；数字截至 3月9日（周一）08:30）"
    )
    assert lines[2] == "新增超期 1 项：HZ-001"
    assert lines[3] == "其中 HZ-001 已在巡检提醒中逐项告知，此处汇总。"


def test_one_item_is_one_line_even_when_overdue_and_idle() -> None:
    """An item overdue and without progress is listed once, under 超期, with how long it has
    been idle; another item only idle stays under 无进展 (issue 12)."""
    entries = (
        entry(AlertKind.OVERDUE, 1, days_overdue=5, deadline="2026-02-25"),
        entry(AlertKind.STALE, 1, 1, idle_days=28, since="2026-02-02"),
        entry(AlertKind.STALE, 2, 1, idle_days=15, since="2026-02-15"),
    )
    text = plain(
        renderer([item(1), item(2)])
        .outgoing(Outgoing(CONTACT.user_id, Group.ALERTS, entries))
        .text
    )
    assert text.count("HZ-001") == 1
    assert "整改时限 2月25日，已超期 5 天，已 28 天无新进展" in text
    assert "【无进展提醒】" in text and text.count("HZ-002") == 1


def test_a_long_term_item_under_watch_has_no_done_mark() -> None:
    from dataclasses import replace

    from ledger.model import Status

    watched = replace(item(3), status=Status.MONITORING, long_term=True, deadline=None)
    stale = Entry(
        key="HZ-003:stale:2026-02-15:1",
        kind=AlertKind.STALE,
        item_id="HZ-003",
        unit="HZ",
        step=1,
        light=Light.CLOSED,
        deadline=None,
        details={"idle_days": 40, "since": "2026-01-21"},
    )
    text = plain(
        renderer([watched]).outgoing(Outgoing(CONTACT.user_id, Group.ALERTS, (stale,))).text
    )
    assert "✅" not in text and "🔁 HZ-003" in text


def test_one_renderer_for_many_recipients_gives_each_the_message_a_fresh_one_would() -> None:
    """A sweep's renderer makes each item's line and card button once and reuses them for
    every recipient with the same words (issue 14). Reuse must never leak one recipient's
    words into another's: the unit named only for inspectors, each person's language, a
    changed detail (days overdue, the idle merge, a fallback) rendered anew."""
    items = [item(n) for n in range(1, 5)]
    overdue = entry(AlertKind.OVERDUE, 1, days_overdue=5, deadline="2026-02-25")
    idle = entry(AlertKind.STALE, 1, idle_days=40, since="2026-01-20")
    later = entry(AlertKind.OVERDUE, 2, days_overdue=6, deadline="2026-02-24")
    fallback = replace(overdue, fallback=True)
    nine_days = {**overdue.details, "days_overdue": 9}
    messages = [
        Outgoing(CONTACT.user_id, Group.ALERTS, (overdue, idle, later)),
        Outgoing(LEADER.user_id, Group.ALERTS, (overdue, later), language="en"),
        Outgoing(INSPECTOR.user_id, Group.ALERTS, (overdue, later)),
        Outgoing(INSPECTOR.user_id, Group.ALERTS, (fallback,)),
        Outgoing(CONTACT.user_id, Group.ALERTS, (overdue,)),
        # the same alert key with other details (a later day's count): its own line
        Outgoing(CONTACT.user_id, Group.ALERTS, (replace(overdue, details=nine_days),)),
    ]
    shared = renderer(items)
    got = [shared.outgoing(m) for m in messages]
    for message, rendered in zip(messages, got, strict=True):
        assert rendered == renderer(items).outgoing(message)
    contact, leader, inspector, fell_back, alone, nine = (plain(r.text) for r in got)
    assert "杭州市局党组" in inspector and "杭州市局党组" not in contact
    assert "overdue" in leader and "超期" not in leader
    assert "40" in contact and "40" not in alone  # the idle days merged only where idle was
    assert fell_back != plain(renderer(items).outgoing(messages[2]).text)
    assert "9 天" in nine or "9天" in nine, nine
