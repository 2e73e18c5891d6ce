"""Thresholds the domain decides by (DESIGN §3, §6). Built from config.toml by config.py;
tests build them directly. Defaults are the design's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import InvalidValue

DEFAULT_CATEGORIES = ("党的领导", "党的建设", "全面从严治党", "选人用人", "作风建设", "其他")


@dataclass(frozen=True)
class Rules:
    remind_days: tuple[int, ...] = (7, 3, 1)  # 临期提醒, days before the deadline
    overdue_repeat_days: int = 7  # 超期预警 repeats every N days after the first overdue day
    escalate_days: tuple[int, ...] = (1, 15, 30)  # days overdue: 提醒 → 告诫 → 建议问责
    stale_days: int = 14  # 无进展 after N days without progress (also makes the light yellow)
    review_days: int = 3  # 待核验 reminder after N days waiting
    yellow_days: int = 7  # deadline within N days -> yellow
    lookback_months: int = 6  # 回头看 N months after closing
    lookback_sample: int = 3  # how many closed items per unit are sampled
    endorsement_required: bool = True  # leader 签字背书 before inspectors verify
    categories: tuple[str, ...] = field(default=DEFAULT_CATEGORIES)


def check_rules(rules: Rules) -> None:
    """Raise ``InvalidValue(field=…, value=…)`` if a threshold cannot be used.

    Periods must be >= 1 day; ``remind_days`` (days before the deadline, 0 = on the day) and
    ``escalate_days`` (days overdue, >= 1) must be non-empty and distinct; ``yellow_days`` and
    ``lookback_sample`` may be 0 (0 switches look-back off).
    """
    for name in ("overdue_repeat_days", "stale_days", "review_days", "lookback_months"):
        value = getattr(rules, name)
        if not isinstance(value, int) or value < 1:
            raise InvalidValue(f"{name} must be >= 1", field=name, value=value)
    if not isinstance(rules.yellow_days, int) or rules.yellow_days < 0:
        raise InvalidValue(
            "yellow_days must be >= 0", field="yellow_days", value=rules.yellow_days
        )
    if not isinstance(rules.lookback_sample, int) or rules.lookback_sample < 0:
        raise InvalidValue(
            "lookback_sample must be >= 0", field="lookback_sample", value=rules.lookback_sample
        )
    for name, low in (("remind_days", 0), ("escalate_days", 1)):
        values = getattr(rules, name)
        if (
            not values
            or any(not isinstance(v, int) or v < low for v in values)
            or len(set(values)) != len(values)
        ):
            raise InvalidValue(
                f"{name} must hold distinct days >= {low}", field=name, value=values
            )
