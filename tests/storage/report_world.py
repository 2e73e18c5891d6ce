"""A realistic unit for the 整改情况报告 tests and renders: the sandbox's demo ledgers (every
status, overdue and long-term items, evidence) plus a feedback date, a finished 回头看 with
one rebound and a closed 满意度测评 with comments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ledger.lookback import Check, Verdict, mark, record_finding, start_lookback
from ledger.milestone import set_feedback
from ledger.model import Person, Role
from ledger.rules import Rules
from ledger.survey import Choice, open_survey, record_response
from ledger.workflow import Action, act
from sandbox.demo import seed
from storage.paper import PaperStore
from storage.repo import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
INSPECTOR = Person(100, "巡察组王五", Role.INSPECTOR)
UNIT = "JH"
COMMENTS = ("希望整改结果向全体干部职工公开", "选人用人问题整改还需加大力度")


def build(store: Store, rules: Rules | None = None, now: datetime = NOW) -> None:
    """Seed ``store`` (empty) with the demo units and HZ's paperwork."""
    rules = rules or Rules()
    seed(store, now=now, rules=rules, tz=TZ, inspector=INSPECTOR)
    paper = PaperStore(store.registry)
    items = store.ledger(UNIT).items()
    paper.change_milestone(
        UNIT,
        lambda m: set_feedback(m, UNIT, date(2025, 12, 20), None, by=INSPECTOR.user_id, now=now),
    )
    opened = now - timedelta(days=20)
    survey = open_survey(
        UNIT,
        items,
        rules.categories,
        token="S" * 22,
        salt="ab" * 16,
        by=INSPECTOR.user_id,
        now=opened,
        closes_at=now - timedelta(days=6),
    )
    answers = [
        (Choice.SATISFIED, Choice.BASIC, Choice.SATISFIED, Choice.SATISFIED),
        (Choice.BASIC, Choice.UNSATISFIED, Choice.SATISFIED, Choice.BASIC),
        (Choice.SATISFIED, Choice.SATISFIED, Choice.UNSATISFIED, Choice.SATISFIED),
    ]
    for n, answer in enumerate(answers):
        comment = COMMENTS[n] if n < len(COMMENTS) else ""
        voter = f"{n:064x}"
        fitted = tuple(answer[k % len(answer)] for k in range(len(survey.categories)))
        survey = record_response(survey, voter, fitted, comment, opened + timedelta(days=1))
    paper.add_survey(UNIT, lambda existing: survey)
    started = now - timedelta(days=3)
    record = start_lookback(
        UNIT, items, proposed=(), size=3, by=INSPECTOR.user_id, now=started, cohort="demo"
    )
    for k, item_id in enumerate(record.sample):
        failed = k == 1
        for check in Check:
            verdict = Verdict.FAIL if failed and check is Check.MEASURES else Verdict.PASS
            record = mark(record, item_id, check, verdict)
        note = "长效制度尚未建立，问题有反复" if failed else ""
        record = record_finding(record, item_id, note, by=INSPECTOR.user_id, now=started)
        if failed:  # reopened as 反弹, as /lookback does through the workflow
            reason = f"回头看发现反弹：巩固措施定到位未到位。{note}"
            with store.ledger(UNIT).transaction() as tx:
                before = tx.get_item(item_id)
                assert before is not None
                reopened, event = act(
                    before,
                    INSPECTOR,
                    Action.REOPEN,
                    now=started,
                    rules=rules,
                    seq=tx.next_event_seq(item_id),
                    reason=reason,
                    deadline=date(2026, 3, 31),
                )
                tx.put(reopened)
                tx.append(event)
    paper.add_lookback(UNIT, lambda existing: record)
