"""The warning light (预警灯) of an item — derived, never stored (DESIGN §3).

- ``closed`` for closed, monitoring and withdrawn items;
- ``red`` (超期): the deadline has passed (in the configured zone) and the item is not closed,
  whatever its open status — open, in progress, submitted (待签字) or endorsed (待核验): an
  item is overdue until it is closed (``ledger.figures.is_overdue``). Long-term items have no
  deadline and are never red;
- ``yellow``: the deadline is within ``rules.yellow_days`` days, or an open/in_progress item
  has had no activity for ``rules.stale_days`` days (see :func:`last_activity`);
- ``green`` otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from ledger.calendar import days_left, local_date
from ledger.errors import InvalidValue
from ledger.model import Item, Light, Status, require_aware, split_item_id
from ledger.rules import Rules

LIGHT_RANK: dict[Light, int] = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.CLOSED: 3}
_WORKING = (Status.OPEN, Status.IN_PROGRESS)


def last_activity(item: Item, status_since: datetime | None = None) -> datetime:
    """The latest sign of life on ``item``: creation, its last progress note, its last
    evidence, endorsement, verification (approve / inspector reject / reopen), closing, and —
    when the caller knows it (``ledger.workflow.status_since``) — the moment it entered its
    current status. "No progress for N days" counts from here, so a contact who just sent a
    file or whose item was just sent back is not told they are idle."""
    moments = [item.created_at]
    if item.progress:
        moments.append(item.progress[-1].at)
    if item.evidence:
        moments.append(item.evidence[-1].at)
    if item.endorsement is not None:
        moments.append(item.endorsement.at)
    if item.verification is not None:
        moments.append(item.verification.at)
    if item.closed_at is not None:
        moments.append(item.closed_at)
    if status_since is not None:
        moments.append(require_aware(status_since, "status_since"))
    return max(moments)


def idle_days(item: Item, now: datetime, tz: tzinfo, status_since: datetime | None = None) -> int:
    """Calendar days (in ``tz``) from the day of :func:`last_activity` to today; 0 on the day
    itself, never negative."""
    since = local_date(last_activity(item, status_since), tz)
    return max(0, (local_date(now, tz) - since).days)


def light(
    item: Item,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    status_since: datetime | None = None,
) -> Light:
    """The item's light at ``now`` (see the module docstring). Naive ``now`` is refused."""
    require_aware(now, "now")
    if not item.status.is_active:
        return Light.CLOSED
    left = None if item.long_term or item.deadline is None else days_left(item.deadline, now, tz)
    if left is not None and left < 0:
        return Light.RED
    if left is not None and left <= rules.yellow_days:
        return Light.YELLOW
    if item.status in _WORKING and idle_days(item, now, tz, status_since) >= rules.stale_days:
        return Light.YELLOW
    return Light.GREEN


def item_id_key(item_id: str) -> tuple[str, int]:
    """Natural order of ids: ``HZ-999`` before ``HZ-1000``. Malformed ids sort by text."""
    try:
        return split_item_id(item_id)
    except InvalidValue:
        return (item_id, -1)


def order_key(
    item: Item, now: datetime, tz: tzinfo, rules: Rules, *, status_since: datetime | None = None
) -> tuple[int, int, date, str, int]:
    """Sort key for lists: red → yellow → green → closed, then deadline (none last), then id."""
    lit = light(item, now, tz, rules, status_since=status_since)
    return (LIGHT_RANK[lit], *deadline_key(item.deadline), *item_id_key(item.id))


def deadline_key(deadline: date | None) -> tuple[int, date]:
    """Deadlines ascending, ``None`` (long-term) after every date."""
    return (1, date.max) if deadline is None else (0, deadline)


__all__ = [
    "LIGHT_RANK",
    "deadline_key",
    "idle_days",
    "item_id_key",
    "last_activity",
    "light",
    "order_key",
]
