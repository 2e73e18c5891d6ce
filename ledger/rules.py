"""Thresholds the domain decides by (DESIGN §3, §6). Built from config.toml by config.py;
tests build them directly. Defaults are the design's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CATEGORIES = ("党的领导", "党的建设", "全面从严治党", "选人用人", "其他")


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
