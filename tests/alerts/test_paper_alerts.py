"""Alerts of the paperwork: the 回头看 proposal says how to start it, and the 整改情况报告
reminder reads as a unit's milestone (no item line, no card button), valid HTML."""

from __future__ import annotations

from ledger.alerts import AlertKind, Entry, Group, Outgoing
from sandbox.htmlcheck import parse_html
from tests.alerts.test_alerts_render import CONTACT, INSPECTOR, entry, item, plain, renderer


def test_the_lookback_proposal_leads_into_lookback() -> None:
    entries = (entry(AlertKind.LOOKBACK, 2, 1, closed_on="2025-09-02", months=6),)
    text = plain(
        renderer([item(2)]).outgoing(Outgoing(INSPECTOR.user_id, Group.ALERTS, entries)).text
    )
    assert "发送 /lookback HZ 开始回头看" in text


def test_the_report_reminder_names_the_unit_and_the_due_date() -> None:
    reminder = Entry(
        key="HZ:report_due:2026-05-02:7",
        kind=AlertKind.REPORT_DUE,
        item_id=None,
        unit="HZ",
        step=7,
        details={"due": "2026-05-02", "days_left": 5},
    )
    rendered = renderer([]).outgoing(Outgoing(CONTACT.user_id, Group.ALERTS, (reminder,)))
    parse_html(rendered.text)
    text = plain(rendered.text)
    assert text.startswith("【整改情况报告】请按时报送整改情况报告")
    assert "杭州市局党组（HZ）：应于 5月2日前报送，还有 5 天" in text
    assert rendered.keyboard is None and rendered.item_ids == ()
