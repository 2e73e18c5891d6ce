"""Applying a 台账 import plan to the ledgers: what a confirmed upload changes (DESIGN §7).

:func:`storage.xlsx_import.read_ledger` turns a workbook into an ``ImportPlan`` without looking
at the ledgers; this module meets the plan with them. :func:`preview_import` says what
applying would do (for the 确认导入 preview) and :func:`apply_plan` does it.

Which item a row is
-------------------
Per unit, a draft is, in this order:

1. the existing item its ``item_id`` names (the 序号 of a re-imported export is the item id);
2. the existing item imported earlier from the same 序号 (``Item.source_ref``);
3. a new item. A draft whose ``item_id`` the unit's counter has not reached yet (an export of
   another deployment, a restored ledger) keeps that id; the others take the next numbers.
   Ids are never reused: the counter moves past every id written.

Two rows that are the same item (same id, or one by id and one by 序号) are a ``conflict``.

What changes
------------
- A new item: ``ledger.workflow.create_item`` (``actor=None`` is the shell import,
  ``SYSTEM_ACTOR_ID``). ``status_hint`` counts only here, and never closes anything: closing
  needs evidence, endorsement and verification, which a spreadsheet cannot carry. A row whose
  完成情况 says it is under way or done (整改中, 已完成, 已销号 …) becomes an item in progress
  whose first progress note is that text (``ledger.workflow.import_progress``); a row marked
  未整改 (or empty) stays open without a note.
- An existing item: a different deadline becomes a ``set_deadline`` event with the reason
  :data:`IMPORT_REASON` (and the file's name); different 台账 text (problem, measures,
  leader, department, owner, category) one ``edit`` event. 完成情况 and 备注 of existing items
  are ignored (progress is reported in the chat). A deadline the file gives relative to today
  (``15个工作日``, ``30天``, ``12月31日``) is not compared: re-importing the same file a week
  later must not move it. Texts are compared as a spreadsheet holds them (control characters
  dropped, ``\\r\\n`` as ``\\n``), so an export re-imported unchanged changes nothing.
- A closed or withdrawn item (or a long-term one in monitoring, for its deadline) cannot be
  changed by a file: such a row is refused as ``locked``. Unchanged rows write nothing.

All or nothing
--------------
:func:`apply_plan` takes the write lock of every ledger the plan touches (in code order; one
import at a time per process, so two imports cannot deadlock), decides every event against
that locked state, and refuses the whole file (``ImportRefused``) if any row is refused — then
nothing at all is written. Only then are new units registered and each ledger written in one
transaction. The limit: ledgers are separate files, so an I/O failure while writing them
(disk full) can leave the ledgers written before it updated and those after untouched — each
ledger is whole either way, and importing the same file again completes the rest without
duplicates. Units registered before such a failure stay (empty until the re-import).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ledger.access import Action
from ledger.dates import normalise_item_id
from ledger.errors import InvalidTransition, InvalidValue, NotAllowed
from ledger.history import with_reason_key
from ledger.model import (
    Event,
    Item,
    Measure,
    Person,
    Role,
    Status,
    Unit,
    split_item_id,
    valid_unit_code,
)
from ledger.rules import Rules
from ledger.workflow import (
    EDITABLE_FIELDS,
    MEASURE_LIST,
    SYSTEM_ACTOR_ID,
    apply_event,
    create_item,
    decide,
    import_progress,
)
from storage.errors import AlreadyExists
from storage.repo import Ledger, Store, Transaction
from storage.xlsx_import import (
    COLUMN_BY_FIELD,
    Field,
    ImportErrors,
    ImportIssue,
    ImportPlan,
    IssueCode,
    ItemDraft,
    make_plan,
    normalise_unit_name,
)

IMPORT_REASON = "台账导入更新"
IMPORT_REASON_KEY = "stored.import_reason"  # locales/*/stored.toml
"""The reason of a ``set_deadline`` event written by an import (stored, shown as is)."""
SOURCE_MAX = 100  # characters of the file name kept in that reason
DEADLINE = "deadline"  # in ``ItemUpdate.fields``, beside the EDITABLE_FIELDS

# One import at a time: an import holds several ledger locks at once, and two imports taking
# them in different orders (one creating a unit the other already sees) could deadlock.
_IMPORT_LOCK = threading.Lock()


class ImportRefused(Exception):
    """The plan cannot be applied as a whole; nothing was written. ``errors`` lists why."""

    def __init__(self, errors: ImportErrors) -> None:
        super().__init__(f"{len(errors.issues)} row(s) refused")
        self.errors = errors


@dataclass(frozen=True)
class ItemUpdate:
    """An existing item the file changes: which fields (``deadline`` and/or
    ``EDITABLE_FIELDS``), from which sheet and row."""

    item_id: str
    fields: tuple[str, ...]
    sheet: str
    row: int


@dataclass(frozen=True)
class UnitOutcome:
    """What the import does (or did) to one unit."""

    code: str
    name: str
    new_unit: bool
    created: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class ImportOutcome:
    """Counts per unit, in the plan's unit order, and the updated items in row order."""

    units: tuple[UnitOutcome, ...]
    updates: tuple[ItemUpdate, ...]

    @property
    def units_created(self) -> int:
        return sum(u.new_unit for u in self.units)

    @property
    def created(self) -> int:
        return sum(u.created for u in self.units)

    @property
    def updated(self) -> int:
        return sum(u.updated for u in self.units)

    @property
    def unchanged(self) -> int:
        return sum(u.unchanged for u in self.units)

    @property
    def changes_anything(self) -> bool:
        return bool(self.units_created or self.created or self.updated)


def import_reason(source: str = "") -> str:
    """:data:`IMPORT_REASON`, with the file's name when there is one (the stored text; the
    history shows :func:`import_reason_key` in the reader's language)."""
    name = " ".join(source.split())[:SOURCE_MAX]
    return f"{IMPORT_REASON}（{name}）" if name else IMPORT_REASON


def import_reason_key(source: str = "") -> tuple[str, dict[str, str]]:
    """The import's reason as a catalog key and its parameters (``ledger.history``)."""
    name = " ".join(source.split())[:SOURCE_MAX]
    return (IMPORT_REASON_KEY + "_file", {"file": name}) if name else (IMPORT_REASON_KEY, {})


# --------------------------------------------------------------------------- units by name


@dataclass(frozen=True)
class UnitName:
    """A unit the file names without a code (``name`` "" when it names none), how many
    problems it holds, and the code proposed for creating it."""

    name: str
    items: int
    proposed: str


@dataclass(frozen=True)
class UnresolvedUnits:
    """Units the file names that match no registered unit: the caller asks which unit each
    is (chat: buttons to pick one or create it under ``proposed``; shell: ``--unit CODE``)."""

    names: tuple[UnitName, ...]
    registered: tuple[Unit, ...]


def propose_code(taken: Iterable[str]) -> str:
    """A free unit code for a new unit named only in a file: ``U01``, ``U02`` …"""
    used = set(taken)
    n = 1
    while f"U{n:02d}" in used:
        n += 1
    return f"U{n:02d}"


def resolve_units(
    plan: ImportPlan,
    registered: Sequence[Unit],
    *,
    chosen: Mapping[str, str] | None = None,
    default: str | None = None,
) -> ImportPlan | UnresolvedUnits:
    """Give every draft whose unit the file names only by name (``ItemDraft.unit_name``) a
    unit code: the one ``chosen`` maps the name to (an existing unit, or a new one under a
    valid code: created by the import with that name), else the registered unit whose name
    matches (with or without 中共 / 党组 / 党委 / 党支部, full-width or not), else
    ``default`` (the caption's or ``--unit``'s code). A name is never an error: what is left
    comes back as ``UnresolvedUnits`` for the caller to ask about."""
    chosen = dict(chosen or {})
    if not any(not d.unit for d in plan.drafts):
        return plan
    by_code = {u.code: u for u in registered}
    by_name: dict[str, Unit] = {}
    for unit in registered:
        by_name.setdefault(normalise_unit_name(unit.name), unit)
    codes: dict[str, str] = {}
    open_names: dict[str, int] = {}
    for draft in plan.drafts:
        if draft.unit:
            continue
        name = draft.unit_name
        code = chosen.get(name)
        if code is None and name:
            match = by_name.get(normalise_unit_name(name))
            code = match.code if match is not None else None
        if code is None:
            code = default
        if code is None or not valid_unit_code(code):
            open_names[name] = open_names.get(name, 0) + 1
        else:
            codes[name] = code
    if open_names:
        taken = {*by_code, *(u.code for u in plan.units), *codes.values()}
        names: list[UnitName] = []
        for name, count in open_names.items():
            proposed = propose_code(taken)
            taken.add(proposed)
            names.append(UnitName(name, count, proposed))
        return UnresolvedUnits(tuple(names), tuple(registered))
    units = {u.code: u for u in plan.units}
    drafts: list[ItemDraft] = []
    for draft in plan.drafts:
        if draft.unit:
            drafts.append(draft)
            continue
        code = codes[draft.unit_name]
        if code not in units:
            known = by_code.get(code)
            units[code] = known or Unit(code, draft.unit_name or code)
        item_id = normalise_item_id(draft.source_ref)
        own = item_id if item_id and item_id.startswith(code + "-") else None
        drafts.append(dataclasses.replace(draft, unit=code, item_id=own))
    summary = plan.summary
    return make_plan(
        tuple(units.values()),
        tuple(drafts),
        skipped_sheets=summary.skipped_sheets,
        skipped_rows=summary.skipped_rows,
        not_imported=summary.not_imported,
        readings=summary.readings,
        structure_rows=summary.structure_rows,
    )


def _rules_for(plan: ImportPlan, rules: Rules) -> Rules:
    """``rules`` allowing the categories the file gives beside the configured ones (section
    rows name categories in the office's words: ``贯彻落实党的路线方针政策方面``)."""
    extra = tuple(c for c in plan.summary.own_categories if c and c not in rules.categories)
    if not extra:
        return rules
    return dataclasses.replace(rules, categories=(*rules.categories, *extra))


def preview_import(
    store: Store, plan: ImportPlan, *, actor: Person | None, now: datetime, rules: Rules
) -> ImportOutcome | ImportErrors:
    """What :func:`apply_plan` would do now, or the rows it would refuse. Reads only."""
    _check_actor(actor)
    _check_resolved(plan)
    known = {u.code: u for u in store.registry.list_units()}
    work = _Work(plan, actor, now, _rules_for(plan, rules), import_reason())
    for unit, drafts in work.units():
        if unit.code in known:
            ledger = store.ledger(unit.code)
            items = ledger.items()
            work.plan_unit(known[unit.code], drafts, items, _next_seq(ledger), _history(ledger))
        else:
            work.plan_unit(unit, drafts, [], 1, _history(None), new_unit=True)
    return work.errors() or work.outcome()


def apply_plan(
    store: Store,
    plan: ImportPlan,
    *,
    actor: Person | None,
    now: datetime,
    rules: Rules,
    source: str = "",
) -> ImportOutcome:
    """Apply ``plan`` as a whole (see the module docstring) and return what it did.

    ``actor`` is the importing inspector, or ``None`` for the shell import (events by
    ``SYSTEM_ACTOR_ID``); anyone else raises ``NotAllowed``. ``source`` (the file's name) goes
    into the reason of deadline changes. Raises ``ImportRefused`` — nothing written — if a
    row cannot be applied to the ledger as it is now (it may have changed since the preview);
    storage errors propagate.
    """
    _check_actor(actor)
    _check_resolved(plan)
    rules = _rules_for(plan, rules)
    with _IMPORT_LOCK, contextlib.ExitStack() as stack:
        known = {u.code: u for u in store.registry.list_units()}
        txs: dict[str, Transaction] = {}
        for code in sorted({u.code for u in plan.units} & set(known)):
            txs[code] = stack.enter_context(store.ledger(code).transaction())

        work = _Work(plan, actor, now, rules, import_reason(source), import_reason_key(source))
        for unit, drafts in work.units():
            tx = txs.get(unit.code)
            if tx is None:
                work.plan_unit(unit, drafts, [], 1, _history(None), new_unit=True)
            else:
                ledger = store.ledger(unit.code)
                work.plan_unit(
                    known[unit.code], drafts, tx.items(), _next_seq(ledger), tx.next_event_seq
                )
        _raise_if(work.errors())

        # Everything is decided: only now register the new units. Their ledgers are empty,
        # unless someone created the same unit since the check: then decide again, locked.
        for unit, drafts in work.units():
            if unit.code in txs:
                continue
            try:
                store.add_unit(unit)
            except AlreadyExists:
                unit = store.registry.get_unit(unit.code) or unit
            ledger = store.ledger(unit.code)
            tx = txs[unit.code] = stack.enter_context(ledger.transaction())
            if len(ledger) or _next_seq(ledger) != 1:
                work.plan_unit(unit, drafts, tx.items(), _next_seq(ledger), tx.next_event_seq)
        _raise_if(work.errors())

        for code, writes in work.writes.items():
            tx = txs[code]
            for item, events in writes:
                tx.record(item, events)
        outcome = work.outcome()
    return outcome


# --------------------------------------------------------------------------- internals

Write = tuple[Item, list[Event]]  # the item after its events, and the events to append
# ledger field names (as InvalidValue reports them) -> the spreadsheet column
_COLUMN_OF: dict[str, Field] = {str(f): f for f in Field} | {"text": Field.PROGRESS}


def _check_actor(actor: Person | None) -> None:
    if actor is not None and actor.role is not Role.INSPECTOR:
        raise NotAllowed(action=str(Action.CREATE), role=str(actor.role))


def _check_resolved(plan: ImportPlan) -> None:
    if any(not d.unit for d in plan.drafts):
        raise ValueError("resolve_units first: a draft has no unit code")


def _raise_if(errors: ImportErrors | None) -> None:
    if errors is not None:
        raise ImportRefused(errors)


def _next_seq(ledger: Ledger) -> int:
    """The unit's next item number (the committed counter: under the ledger's write lock,
    what the transaction starts from)."""
    return split_item_id(ledger.next_item_id)[1]


def _history(ledger: Ledger | None) -> Callable[[str], int]:
    """``seq`` of an item's next event, read from the committed history."""
    if ledger is None:
        return lambda _item_id: 1
    return lambda item_id: len(ledger.events(item_id)) + 1


def _kept_deadlines(new: Sequence[Measure], old: Sequence[Measure]) -> tuple[Measure, ...]:
    """``new``, where a measure whose 时限 wording is the stored one's (``立行立改``,
    ``12月底前``: read relative to the day of import) keeps the stored date: re-importing the
    same file later must not move it."""
    kept: list[Measure] = []
    for index, measure in enumerate(new):
        before = old[index] if index < len(old) else None
        if before is not None and measure.wording and measure.wording == before.wording:
            measure = dataclasses.replace(
                measure, deadline=before.deadline, long_term=before.long_term
            )
        kept.append(measure)
    return tuple(kept)


def _measures_written(measures: Sequence[Measure]) -> list[tuple[object, ...]]:
    return [
        (
            _as_written(m.text),
            _as_written(m.owner),
            _as_written(m.department),
            m.deadline,
            m.long_term,
            m.wording,
        )
        for m in measures
    ]


def _as_written(text: str) -> str:
    """A text as a spreadsheet cell holds it (what an export wrote and a re-import reads)."""
    # openpyxl on first use, not with the bot (storage.xlsx_import.read_ledger says why).
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n")).strip()


@dataclass
class _Work:
    """Decisions for one plan, unit by unit: writes, counts and refused rows."""

    plan: ImportPlan
    actor: Person | None
    now: datetime
    rules: Rules
    reason: str
    reason_key: tuple[str, dict[str, str]] = (IMPORT_REASON_KEY, {})
    writes: dict[str, list[Write]] = field(default_factory=dict)
    outcomes: dict[str, UnitOutcome] = field(default_factory=dict)
    updates: list[tuple[int, ItemUpdate]] = field(default_factory=list)
    issues: list[tuple[int, ImportIssue]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.order = {id(d): i for i, d in enumerate(self.plan.drafts)}
        # decide() needs a person; the shell import acts as a nameless inspector
        self.person = self.actor or Person(SYSTEM_ACTOR_ID, "import", Role.INSPECTOR)
        self.by_unit: dict[str, list[ItemDraft]] = {u.code: [] for u in self.plan.units}
        for draft in self.plan.drafts:
            self.by_unit.setdefault(draft.unit, []).append(draft)

    def units(self) -> Iterable[tuple[Unit, list[ItemDraft]]]:
        """Each unit of the plan (in its order) with its drafts (in file order)."""
        named = {u.code: u for u in self.plan.units}
        for code, drafts in self.by_unit.items():
            yield named.get(code, Unit(code, code)), drafts

    def errors(self) -> ImportErrors | None:
        if not self.issues:
            return None
        return ImportErrors(tuple(issue for _, issue in sorted(self.issues, key=lambda p: p[0])))

    def outcome(self) -> ImportOutcome:
        return ImportOutcome(
            tuple(self.outcomes[u.code] for u, _ in self.units()),
            tuple(u for _, u in sorted(self.updates, key=lambda p: p[0])),
        )

    # ---------------------------------------------------------------- one unit

    def plan_unit(
        self,
        unit: Unit,
        drafts: Sequence[ItemDraft],
        items: Sequence[Item],
        next_seq: int,
        event_seq: Callable[[str], int],
        *,
        new_unit: bool = False,
    ) -> None:
        """Decide every draft of ``unit`` against its current ``items`` (deciding a unit
        again replaces its writes and counts)."""
        by_id = {i.id: i for i in items}
        by_ref: dict[str, Item] = {}
        for item in items:
            if item.source_ref:
                by_ref.setdefault(item.source_ref, item)
        claimed: dict[str, ItemDraft] = {}  # item id -> the first draft that is that item
        new_refs: dict[str, ItemDraft] = {}  # 序号 of a new item -> its draft
        matched: list[tuple[ItemDraft, Item]] = []
        fresh: list[ItemDraft] = []
        for draft in drafts:
            found = by_id.get(draft.item_id) if draft.item_id else None
            found = found or by_ref.get(draft.source_ref)
            key = found.id if found is not None else draft.item_id
            first = claimed.setdefault(key, draft) if key is not None else draft
            if first is not draft:
                self._issue(
                    draft,
                    IssueCode.CONFLICT,
                    Field.REF,
                    item_id=key,
                    first_sheet=first.sheet,
                    first_row=first.row,
                )
                continue
            if found is not None:
                matched.append((draft, found))
                continue
            # two new items with one 序号 would be one item at the next import
            first = new_refs.setdefault(draft.source_ref, draft)
            if first is not draft:
                self._issue(
                    draft,
                    IssueCode.DUPLICATE_REF,
                    Field.REF,
                    field=str(Field.REF),
                    value=draft.source_ref,
                    first_sheet=first.sheet,
                    first_row=first.row,
                )
                continue
            fresh.append(draft)

        writes: list[Write] = []
        unchanged = 0
        for draft, item in matched:
            write = self._update(draft, item, event_seq(item.id))
            if write is None:
                unchanged += 1
            elif write[1]:
                writes.append(write)
        created = 0
        for draft, seq in self._numbers(fresh, next_seq):
            write = self._create(unit.code, seq, draft)
            if write is not None:
                writes.append(write)
                created += 1
        self.writes[unit.code] = writes
        self.outcomes[unit.code] = UnitOutcome(
            unit.code, unit.name, new_unit, created, len(matched) - unchanged, unchanged
        )

    @staticmethod
    def _numbers(fresh: Sequence[ItemDraft], next_seq: int) -> list[tuple[ItemDraft, int]]:
        """Item numbers for new drafts: a not-yet-reached id is kept, the rest count on from
        past every kept one (file order is kept)."""
        kept: dict[int, int] = {}  # draft index -> its own number
        for index, draft in enumerate(fresh):
            if draft.item_id is not None:
                seq = split_item_id(draft.item_id)[1]
                if seq >= next_seq:
                    kept[index] = seq
        counter = max([next_seq, *(s + 1 for s in kept.values())])
        numbered: list[tuple[ItemDraft, int]] = []
        for index, draft in enumerate(fresh):
            own = kept.get(index)
            if own is None:
                own, counter = counter, counter + 1
            numbered.append((draft, own))
        return numbered

    def _create(self, unit: str, seq: int, draft: ItemDraft) -> Write | None:
        try:
            item, event = create_item(
                unit,
                seq,
                category=draft.category,
                problem=draft.problem,
                actor=self.actor,
                now=self.now,
                rules=self.rules,
                deadline=draft.deadline,
                long_term=draft.long_term,
                leader=draft.leader,
                department=draft.department,
                owner=draft.owner,
                measures=draft.measures,
                source_ref=draft.source_ref,
                measure_list=draft.measure_list,
                note=draft.note,
            )
            events = [event]
            if draft.status_hint is not Status.OPEN and draft.progress.strip():
                item, note = import_progress(
                    item, draft.progress, actor=self.actor, now=self.now, seq=2
                )
                events.append(note)
        except InvalidValue as error:
            self._invalid(draft, None, error)
            return None
        return item, events

    def _update(self, draft: ItemDraft, item: Item, seq: int) -> Write | None:
        """The events that bring ``item`` to the draft's 台账 fields; ``None`` if there are
        none, ``(item, [])`` if the row was refused (an issue is recorded)."""
        deadline_differs = not draft.deadline_relative and (draft.deadline, draft.long_term) != (
            item.deadline,
            item.long_term,
        )
        edits: dict[str, object] = {
            name: getattr(draft, name)
            for name in EDITABLE_FIELDS
            if _as_written(getattr(item, name)) != _as_written(getattr(draft, name))
        }
        measures = _kept_deadlines(draft.measure_list, item.measure_list)
        if _measures_written(measures) != _measures_written(item.measure_list):
            edits[MEASURE_LIST] = measures
        if not deadline_differs and not edits:
            return None
        changed = ((DEADLINE,) if deadline_differs else ()) + tuple(edits)
        events: list[Event] = []
        current = item
        try:
            if deadline_differs:
                decided = decide(
                    current,
                    self.person,
                    Action.SET_DEADLINE,
                    now=self.now,
                    rules=self.rules,
                    seq=seq,
                    deadline=draft.deadline,
                    long_term=draft.long_term,
                    reason=self.reason,
                )
                events.append(with_reason_key(decided, *self.reason_key))
                current = apply_event(current, events[-1])
            if edits:
                events.append(
                    decide(
                        current,
                        self.person,
                        Action.EDIT,
                        now=self.now,
                        rules=self.rules,
                        seq=seq + len(events),
                        changes=edits,
                    )
                )
                current = apply_event(current, events[-1])
        except (NotAllowed, InvalidTransition):  # closed, withdrawn, or monitoring (deadline)
            name = changed[0]
            first = (
                Field.DEADLINE
                if deadline_differs
                else Field.MEASURES
                if name == MEASURE_LIST
                else Field(name)
            )
            self._issue(
                draft,
                IssueCode.LOCKED,
                first,
                item_id=item.id,
                status=str(item.status),
                fields=list(changed),
            )
            return item, []
        except InvalidValue as error:
            self._invalid(draft, item, error)
            return item, []
        index = self.order.get(id(draft), 0)
        self.updates.append((index, ItemUpdate(item.id, changed, draft.sheet, draft.row)))
        return current, events

    # ---------------------------------------------------------------- issues

    def _invalid(self, draft: ItemDraft, item: Item | None, error: InvalidValue) -> None:
        """A value the ledger refuses (e.g. a category the config no longer allows)."""
        params = error.params
        name = str(params.get("field", ""))
        column = _COLUMN_OF.get(name)
        value = params.get("value")
        self._issue(
            draft,
            IssueCode.INVALID,
            column,
            item_id=item.id if item is not None else None,
            field=str(column) if column is not None else name,
            problem=str(params.get("problem", "")),
            value="" if value is None else str(value)[:80],
        )

    def _issue(
        self, draft: ItemDraft, code: IssueCode, column: Field | None, **params: object
    ) -> None:
        header = COLUMN_BY_FIELD[column].zh if column is not None else None
        issue = ImportIssue(code, draft.sheet, draft.row, header, None, params)
        self.issues.append((self.order.get(id(draft), 0), issue))


__all__ = [
    "DEADLINE",
    "UnitName",
    "UnresolvedUnits",
    "propose_code",
    "resolve_units",
    "IMPORT_REASON",
    "IMPORT_REASON_KEY",
    "ImportOutcome",
    "ImportRefused",
    "ItemUpdate",
    "UnitOutcome",
    "apply_plan",
    "import_reason",
    "import_reason_key",
    "preview_import",
]
