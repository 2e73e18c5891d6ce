"""The sandbox's demo ledger: four inspected units with a realistic 整改台账 in every state.

:func:`seed` fills an empty store through ``app``: units registered and their people bound
with ``app.data``, and each unit's items decided by the real workflow
(``ledger.workflow.create_item`` / ``act``, as ``app.actions`` decides them) inside one
``app.transaction.change`` per unit — four ledger writes rather than one per event (165) —
so every item has a true history of events — progress notes, evidence with real
files, endorsements, verifications, rejections, a reopening after 回头看 — exactly as the chat
would have produced it. Every date is relative to ``now``, and thresholds come from the
configured ``Rules``, so the demo always holds, at ``now``:

- every status: open, in_progress, submitted, endorsed, closed, monitoring (长期坚持), withdrawn;
- every light: red (overdue, up to more than 30 days: every escalation step), yellow (due
  within ``yellow_days``; no progress for ``stale_days``; past the deadline while waiting for
  review), green, closed;
- alerts about to fire: items due in ``yellow_days + 1`` days (one ``/clock +1d`` away from the
  first 临期提醒), submissions waiting longer than ``review_days``, and closed items reaching
  their 回头看 date in two days.

Each :class:`Plan` states the status and light its item must have at ``now``; the tests hold
the seed to that. Texts are modelled on the standard 台账 (as in
``tests/data/ledger-sample.xlsx``) and the inspection documents behind it: officials' wording,
anonymised names (张某某) as real ledgers print them.

The demo people are fixed: one inspector (used when the config names none) and, per unit, a
联络员 and a 主要负责人 bound in the registry.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import partial
from pathlib import Path

from app.data import Store, add_unit, bind, data_root
from app.transaction import Decided, Transaction, change
from ledger.access import Action
from ledger.calendar import add_months, local_date
from ledger.model import Event, Item, Light, Person, Role, Status, Unit
from ledger.rules import Rules
from ledger.workflow import NewEvidence, act, create_item

__all__ = [
    "DEMO_INSPECTOR",
    "DEMO_UNITS",
    "DemoUnit",
    "Plan",
    "SeedResult",
    "Step",
    "plans",
    "seed",
]

DEMO_INSPECTOR = Person(user_id=10_001, name="王建国", role=Role.INSPECTOR)
"""The inspector persona when ``[bot] inspectors`` is empty (the sandbox adds this id)."""


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    contact: Person
    leader: Person
    round_no: str  # 巡察轮次 without the year (the year follows from the feedback date)
    plans: tuple[str, ...]  # keys of plans(), in item order


def _unit(
    code: str, name: str, n: int, contact: str, leader: str, round_no: str, plans: tuple[str, ...]
) -> DemoUnit:
    """Unit number ``n``: its contact is user 20n01, its leader 20n02."""
    return DemoUnit(
        code=code,
        name=name,
        contact=Person(20_000 + n * 100 + 1, contact, Role.CONTACT, unit=code),
        leader=Person(20_000 + n * 100 + 2, leader, Role.LEADER, unit=code),
        round_no=round_no,
        plans=plans,
    )


DEMO_UNITS: tuple[DemoUnit, ...] = (
    _unit(
        "HZ",
        "杭州市局党组",
        1,
        "陈晓燕",
        "周建华",
        round_no="第三轮巡察",
        plans=(
            "overdue_open",
            "overdue_progress",
            "due_soon_open",
            "stale",
            "green",
            "submitted",
            "submitted_waiting",
            "endorsed",
            "closed",
            "withdrawn",
            "reopened",
            "new_open",
        ),
    ),
    _unit(
        "NB",
        "宁波市局党组",
        2,
        "林海涛",
        "郑国强",
        round_no="第三轮巡察",
        plans=(
            "overdue_long",
            "due_soon_progress",
            "due_next_week",
            "stale",
            "long_term",
            "submitted",
            "endorsed",
            "rejected",
            "closed",
            "monitoring",
        ),
    ),
    _unit(
        "WZ",
        "温州市局党组",
        3,
        "黄丽娟",
        "吴志明",
        round_no="第三轮巡察",
        plans=(
            "overdue_progress",
            "due_soon_open",
            "due_next_week",
            "green",
            "submitted_waiting",
            "rejected",
            "closed",
            "monitoring",
            "withdrawn",
        ),
    ),
    _unit(
        "JH",
        "金华市局党组",
        4,
        "徐静",
        "钱卫东",
        round_no="第二轮巡察",
        plans=(
            "overdue_long",
            "overdue_open",
            "stale",
            "long_term",
            "lookback_due",
            "lookback_due",
            "closed",
            "monitoring",
            "reopened",
            "new_open",
        ),
    ),
)

# (问题类别, 问题描述, 整改措施) — the standard ledger's problems and the source document's.
_PROBLEMS: tuple[tuple[str, str, str], ...] = (
    (
        "党的领导",
        "贯彻落实中央重大决策部署和上级党组重点工作安排不到位，政治站位不高",
        "召开党组专题会议，逐项对照梳理，建立贯彻落实台账，每季度通报进展",
    ),
    (
        "党的建设",
        "党组对意识形态领域工作不够重视，未按要求每半年专题研究意识形态工作",
        "修订意识形态工作责任制实施细则，每半年专题研究一次并形成纪要",
    ),
    (
        "党的建设",
        "党内组织生活不规范，“三会一课”记录不全，组织生活会批评与自我批评流于形式",
        "开展支部标准化建设，规范“三会一课”记录，上级党组派员列席组织生活会",
    ),
    (
        "全面从严治党",
        "党风廉政建设“两个责任”落实不到位，责任清单未细化到岗",
        "建立“三级五岗”责任清单，签订责任书，纳入年度考核",
    ),
    (
        "全面从严治党",
        "监督执纪“四种形态”运用不充分，第一种形态运用偏少",
        "制定谈话提醒工作办法，建立谈心谈话台账",
    ),
    (
        "全面从严治党",
        "“三重一大”事项决策程序不规范，部分事项未经集体研究",
        "修订《党组议事规则》，明确“三重一大”事项清单和决策程序",
    ),
    (
        "作风建设",
        "公务接待管理不严格，接待清单与审批单不一致",
        "完善公务接待管理办法，实行“一事一单”，财务严格审核",
    ),
    (
        "作风建设",
        "公车管理制度执行不到位，派车登记不完整",
        "安装公车定位系统，规范派车单，每月公示用车情况",
    ),
    (
        "选人用人",
        "干部请销假制度落实不严，部分干部外出未履行报备手续",
        "修订干部请销假制度，建立外出报备台账，纪检部门定期抽查",
    ),
    (
        "其他",
        "制度不健全，基础管理薄弱，财务管理存在白条入账",
        "全面清理财务票据，修订财务管理制度，开展财务人员培训",
    ),
    (
        "党的领导",
        "落实巡察整改主体责任不到位，存在“过关”心态，未做到举一反三、全面整改",
        "党组书记履行第一责任人职责，逐条制定整改方案，每月听取整改进展汇报",
    ),
    (
        "选人用人",
        "干部选拔任用程序不规范，个别岗位动议环节缺少集体研究记录",
        "严格执行干部选拔任用工作条例，完善动议、民主推荐记录，建立全程纪实档案",
    ),
    (
        "党的建设",
        "基层党支部换届不及时，个别支部超期未换届",
        "制定支部换届工作计划，按期完成换届选举，建立换届提醒机制",
    ),
    (
        "作风建设",
        "力戒形式主义、官僚主义不到位，文件会议仍然偏多",
        "精简文件会议，实行年度发文计划管理，每季度通报文件会议数量",
    ),
    (
        "全面从严治党",
        "警示教育针对性不强，以案促改、以案促治开展不够",
        "每季度开展一次警示教育，组织观看警示教育片，召开以案促改专题会",
    ),
    (
        "其他",
        "政务公开不及时，部分应公开事项未在门户网站公开",
        "梳理公开事项清单，明确公开时限和责任人，每月检查公开情况",
    ),
)
_LEADERS = ("李某某", "张某某", "刘某某", "王某某", "陈某某")
_DEPARTMENTS = ("办公室", "人事科", "财务科", "机关党委", "纪检组", "政策法规科")
_OWNERS = ("赵某", "周某", "陈某", "吴某", "黄某", "杨某")

_START = "已召开党组专题会议研究部署，制定整改方案，明确责任分工和完成时限。"
_MIDWAY = "已完成相关制度修订初稿，正在征求各科室意见，计划下月提交党组会审议。"
_DONE = "整改措施已全部落实，相关制度已印发执行，佐证材料已上传，申请销号。"
_AGAIN = "已按退回意见补充党组会议纪要原件和签到表。"
_KEEP_UP = "本季度已按新制度执行，建立工作台账，持续跟踪落实。"
_AFTER_REOPEN = "针对回头看发现的问题重新部署整改，由分管领导每月检查一次。"
_LEADER_REJECTS = "佐证材料不完整，缺少党组会议纪要原件，请补充后重新提交。"
_REOPEN = "回头看发现问题反弹：近两个月相关记录再次缺失，需重新整改。"
_WITHDRAW = "经核实，该问题与本台账第 1 项重复，合并整改。"
_APPROVE = "整改到位，佐证材料齐全，同意销号。"
_URGE = "该项已超期，请抓紧推进，本周内报送整改进展。"
_NEW_DEADLINE = "回头看后重新确定整改时限。"


@dataclass(frozen=True)
class Step:
    """One action in an item's history, ``days_ago`` days before ``now`` (0 = today)."""

    days_ago: int
    role: Role  # who acts: the unit's contact or leader, or the inspector
    action: Action
    text: str = ""
    reason: str = ""
    evidence: str = ""  # a file name: the step attaches a generated PDF of that name
    deadline_in: int | None = None  # set_deadline: the new deadline, days from today


@dataclass(frozen=True)
class Plan:
    """How one demo item came to be: deadline, history, and what it must show at ``now``."""

    deadline_in: int | None  # days from today (negative: overdue); None: 长期坚持
    steps: tuple[Step, ...]
    status: Status
    light: Light
    created_days_ago: int | None = None  # None: the unit's feedback day


def plans(rules: Rules) -> dict[str, Plan]:
    """Every kind of demo item, sized to ``rules`` so each shows its light at any ``now``.

    With ``endorsement_required`` off, submissions go straight to 待核验 (the leader's steps
    drop out and his rejection becomes the inspector's), as the workflow does.
    """
    y, s, r = rules.yellow_days, rules.stale_days, rules.review_days
    soon = min(3, y)  # inside the yellow window
    recent = min(2, s - 1)  # activity not yet stale
    stale = s + 4
    far = y + 30
    c, ld, ins = Role.CONTACT, Role.LEADER, Role.INSPECTOR
    a = Action
    s_, l_ = Status, Light
    raw = {
        "overdue_open": Plan(-6, (Step(2, ins, a.URGE, text=_URGE),), s_.OPEN, l_.RED),
        "overdue_progress": Plan(
            -12, (Step(stale + 6, c, a.PROGRESS, text=_START),), s_.IN_PROGRESS, l_.RED
        ),
        "overdue_long": Plan(
            -33,
            (
                Step(stale + 30, c, a.PROGRESS, text=_START),
                Step(stale + 10, c, a.PROGRESS, text=_MIDWAY),
                Step(5, ins, a.URGE, text=_URGE),
            ),
            s_.IN_PROGRESS,
            l_.RED,
        ),
        "due_soon_open": Plan(soon, (), s_.OPEN, l_.YELLOW),
        "due_soon_progress": Plan(
            min(1, y), (Step(recent, c, a.PROGRESS, text=_MIDWAY),), s_.IN_PROGRESS, l_.YELLOW
        ),
        "due_next_week": Plan(
            y + 1, (Step(recent, c, a.PROGRESS, text=_START),), s_.IN_PROGRESS, l_.GREEN
        ),
        "stale": Plan(
            far + 15, (Step(stale, c, a.PROGRESS, text=_START),), s_.IN_PROGRESS, l_.YELLOW
        ),
        "green": Plan(
            far + 30,
            (
                Step(stale + 8, c, a.PROGRESS, text=_START),
                Step(recent, c, a.PROGRESS, text=_MIDWAY),
            ),
            s_.IN_PROGRESS,
            l_.GREEN,
        ),
        "long_term": Plan(
            None,
            (
                Step(stale + 8, c, a.PROGRESS, text=_START),
                Step(recent, c, a.PROGRESS, text=_KEEP_UP),
            ),
            s_.IN_PROGRESS,
            l_.GREEN,
        ),
        "new_open": Plan(far + 60, (), s_.OPEN, l_.GREEN, created_days_ago=recent),
        "submitted": Plan(
            far,
            (
                Step(stale, c, a.PROGRESS, text=_START),
                Step(2, c, a.ADD_EVIDENCE, evidence="整改方案.pdf"),
                Step(1, c, a.PROGRESS, text=_DONE),
                Step(1, c, a.SUBMIT),
            ),
            s_.SUBMITTED,
            l_.GREEN,
        ),
        "submitted_waiting": Plan(
            -2,
            (
                Step(stale + 3, c, a.PROGRESS, text=_START),
                Step(r + 3, c, a.ADD_EVIDENCE, evidence="党组会议纪要.pdf"),
                Step(r + 2, c, a.PROGRESS, text=_DONE),
                Step(r + 2, c, a.SUBMIT),
            ),
            s_.SUBMITTED,
            l_.RED,  # past its deadline while waiting for review: still overdue (red)
        ),
        "endorsed": Plan(
            far,
            (
                Step(stale + 5, c, a.PROGRESS, text=_START),
                Step(r + 4, c, a.ADD_EVIDENCE, evidence="制度文件（印发稿）.pdf"),
                Step(r + 3, c, a.SUBMIT),
                Step(r + 2, ld, a.ENDORSE),
            ),
            s_.ENDORSED,
            l_.GREEN,
        ),
        "rejected": Plan(
            y + 12,
            (
                Step(stale + 6, c, a.PROGRESS, text=_START),
                Step(9, c, a.ADD_EVIDENCE, evidence="整改情况报告.pdf"),
                Step(8, c, a.SUBMIT),
                Step(6, ld, a.REJECT, reason=_LEADER_REJECTS),
                Step(recent, c, a.PROGRESS, text=_AGAIN),
            ),
            s_.IN_PROGRESS,
            l_.GREEN,
        ),
        "closed": Plan(
            -5,
            (
                Step(stale + 26, c, a.PROGRESS, text=_START),
                Step(25, c, a.ADD_EVIDENCE, evidence="整改佐证汇编.pdf"),
                Step(24, c, a.SUBMIT),
                Step(23, ld, a.ENDORSE),
                Step(20, ins, a.APPROVE, text=_APPROVE),
            ),
            s_.CLOSED,
            l_.CLOSED,
        ),
        "monitoring": Plan(
            None,
            (
                Step(stale + 20, c, a.PROGRESS, text=_START),
                Step(28, c, a.ADD_EVIDENCE, evidence="长效机制文件.pdf"),
                Step(27, c, a.SUBMIT),
                Step(26, ld, a.ENDORSE),
                Step(25, ins, a.APPROVE, text=_APPROVE),
                Step(3, c, a.PROGRESS, text=_KEEP_UP),
            ),
            s_.MONITORING,
            l_.CLOSED,
        ),
        "withdrawn": Plan(
            far, (Step(30, ins, a.WITHDRAW, reason=_WITHDRAW),), s_.WITHDRAWN, l_.CLOSED
        ),
        "reopened": Plan(
            -20,
            (
                Step(stale + 40, c, a.PROGRESS, text=_START),
                Step(45, c, a.ADD_EVIDENCE, evidence="三会一课记录.pdf"),
                Step(44, c, a.SUBMIT),
                Step(43, ld, a.ENDORSE),
                Step(40, ins, a.APPROVE, text=_APPROVE),
                Step(5, ins, a.REOPEN, reason=_REOPEN),
                Step(5, ins, a.SET_DEADLINE, reason=_NEW_DEADLINE, deadline_in=far),
                Step(recent, c, a.PROGRESS, text=_AFTER_REOPEN),
            ),
            s_.IN_PROGRESS,
            l_.GREEN,
        ),
    }
    if rules.endorsement_required:
        return raw
    return {name: _without_endorsement(plan) for name, plan in raw.items()}


def _without_endorsement(plan: Plan) -> Plan:
    steps = []
    for step in plan.steps:
        if step.action is Action.ENDORSE:
            continue
        if step.action is Action.REJECT and step.role is Role.LEADER:
            step = Step(step.days_ago, Role.INSPECTOR, step.action, reason=step.reason)
        steps.append(step)
    status = Status.ENDORSED if plan.status is Status.SUBMITTED else plan.status
    return Plan(plan.deadline_in, tuple(steps), status, plan.light, plan.created_days_ago)


def _lookback_plan(rules: Rules, today: date) -> Plan:
    """A closed item whose 回头看 date (``lookback_months`` after closing) is two days away."""
    closed_on = add_months(today + timedelta(days=2), -rules.lookback_months)
    ago = (today - closed_on).days
    c, ld, ins = Role.CONTACT, Role.LEADER, Role.INSPECTOR
    steps = (
        Step(ago + 30, c, Action.PROGRESS, text=_START),
        Step(ago + 6, c, Action.ADD_EVIDENCE, evidence="整改完成报告.pdf"),
        Step(ago + 5, c, Action.SUBMIT),
        Step(ago + 4, ld, Action.ENDORSE),
        Step(ago, ins, Action.APPROVE, text=_APPROVE),
    )
    plan = Plan(10 - ago, steps, Status.CLOSED, Light.CLOSED)
    return plan if rules.endorsement_required else _without_endorsement(plan)


@dataclass(frozen=True)
class SeedResult:
    """What :func:`seed` wrote: the units and, per item id, the plan (name, plan) it followed."""

    units: tuple[Unit, ...]
    items: dict[str, tuple[str, Plan]]

    @property
    def by_status(self) -> Counter[Status]:
        return Counter(plan.status for _, plan in self.items.values())

    @property
    def by_light(self) -> Counter[Light]:
        return Counter(plan.light for _, plan in self.items.values())


def seed(
    store: Store, *, now: datetime, rules: Rules, tz: tzinfo, inspector: Person
) -> SeedResult:
    """Write the demo units, people and ledgers into ``store``, which must hold no unit yet
    (``ValueError`` otherwise). One ledger write per unit.

    ``inspector`` is who creates, approves, rejects and reopens items. Evidence files are
    written under the data directory (``evidence/<UNIT>/<ITEM>/<name>``, the path stored in
    ``Evidence.stored_path``) when the store has one; the in-memory store gets none.
    """
    if store.registry.list_units():
        raise ValueError("the demo seeds an empty store only")
    today = local_date(now, tz)
    catalogue = plans(rules)
    catalogue["lookback_due"] = _lookback_plan(rules, today)
    root = data_root(store)
    units: list[Unit] = []
    seeded: dict[str, tuple[str, Plan]] = {}
    for n, demo in enumerate(DEMO_UNITS):
        # The unit's feedback day (巡察反馈, when its ledger was drawn up): before the oldest
        # step of its items, and a week apart from one unit to the next.
        oldest = max(step.days_ago for name in demo.plans for step in catalogue[name].steps)
        feedback = _instant(today - timedelta(days=oldest + 10 + 7 * n), tz, 0)
        unit = Unit(demo.code, demo.name, round=f"{feedback.year}年{demo.round_no}")
        add_unit(store, unit)
        units.append(unit)
        for person in (demo.contact, demo.leader):
            bind(store, person)
        actors = {Role.CONTACT: demo.contact, Role.LEADER: demo.leader, Role.INSPECTOR: inspector}

        decide = partial(
            _seed_unit,
            demo=demo,
            n=n,
            feedback=feedback,
            catalogue=catalogue,
            today=today,
            now=now,
            tz=tz,
            rules=rules,
            actors=actors,
            root=root,
        )
        unit_items: dict[str, tuple[str, Plan]] = change(store, demo.code, decide)
        seeded.update(unit_items)
    return SeedResult(units=tuple(units), items=seeded)


def _seed_unit(
    tx: Transaction,
    *,
    demo: DemoUnit,
    n: int,
    feedback: datetime,
    catalogue: dict[str, Plan],
    today: date,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    actors: dict[Role, Person],
    root: Path | None,
) -> Decided[dict[str, tuple[str, Plan]]]:
    """One demo unit's items with their histories, decided inside its ledger transaction."""
    built: dict[str, tuple[str, Plan]] = {}
    writes: list[tuple[Item, list[Event]]] = []
    for k, name in enumerate(demo.plans):
        plan = catalogue[name]
        created = (
            feedback
            if plan.created_days_ago is None
            else _instant(today - timedelta(days=plan.created_days_ago), tz, 0, now)
        )
        item, events = _build(
            demo.code,
            tx.new_item_seq(),
            plan,
            _PROBLEMS[(3 * n + k) % len(_PROBLEMS)],
            created=created,
            today=today,
            now=now,
            tz=tz,
            rules=rules,
            actors=actors,
            root=root,
        )
        writes.append((item, events))
        built[item.id] = (name, plan)
    return Decided(built, writes)


def _build(
    unit: str,
    seq: int,
    plan: Plan,
    problem: tuple[str, str, str],
    *,
    created: datetime,
    today: date,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    actors: dict[Role, Person],
    root: Path | None,
) -> tuple[Item, list[Event]]:
    category, text, measures = problem
    if category not in rules.categories:
        category = rules.categories[-1]
    item, event = create_item(
        unit,
        seq,
        category=category,
        problem=text,
        measures=measures,
        leader=_LEADERS[(seq + len(unit)) % len(_LEADERS)],
        department=_DEPARTMENTS[(seq * 5) % len(_DEPARTMENTS)],
        owner=_OWNERS[(seq * 7 + len(unit)) % len(_OWNERS)],
        actor=actors[Role.INSPECTOR],
        now=created,
        rules=rules,
        deadline=None if plan.deadline_in is None else today + timedelta(days=plan.deadline_in),
        long_term=plan.deadline_in is None,
        source_ref=str(seq),
    )
    events = [event]
    for slot, step in enumerate(plan.steps, start=1):
        at = _instant(today - timedelta(days=step.days_ago), tz, slot, now)
        item, event = act(
            item,
            actors[step.role],
            step.action,
            now=max(at, events[-1].at + timedelta(minutes=1)),
            rules=rules,
            seq=len(events) + 1,
            text=step.text,
            reason=step.reason,
            deadline=None
            if step.deadline_in is None
            else today + timedelta(days=step.deadline_in),
            evidence=None if not step.evidence else _evidence(item.id, step.evidence, root),
        )
        events.append(event)
    return item, events


def _instant(day: date, tz: tzinfo, slot: int, now: datetime | None = None) -> datetime:
    """Office hours on ``day`` (09:30, then 40 minutes later per ``slot``); on today, never
    later than ``now`` (a few minutes before it instead)."""
    at = datetime.combine(day, time(9, 30), tzinfo=tz) + timedelta(minutes=40 * slot)
    if now is not None and at >= now - timedelta(minutes=5):
        at = now - timedelta(minutes=30 - slot)
    return at


def _evidence(item_id: str, name: str, root: Path | None) -> NewEvidence:
    """A small but valid PDF as evidence, written under ``root`` when there is one."""
    content = _pdf(f"Demo evidence {item_id}: {hashlib.sha256(name.encode()).hexdigest()[:8]}")
    sha = hashlib.sha256(content).hexdigest()
    stored = ""
    if root is not None:
        relative = Path("evidence", item_id.split("-")[0], item_id, name)
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
        stored = relative.as_posix()
    return NewEvidence(
        # Shaped like the emulator's document ids; the sandbox registers each at start-up.
        file_id=f"BQACAgUAAxkBAAdemo{sha[:24]}",
        file_unique_id=f"AgAD{sha[:16]}",
        name=name,
        size=len(content),
        sha256=sha,
        stored_path=stored,
    )


def _pdf(line: str) -> bytes:
    """A one-page PDF showing one line of ASCII text (Helvetica), with a correct xref."""
    stream = f"BT /F1 18 Tf 72 720 Td ({line}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
