"""How a :class:`ledger.figures.Figures` is written, the same way on every screen.

Each function takes ``t(key, **params) -> Html`` (a catalog bound to a language, e.g.
``functools.partial(catalog.t, lang)``) and leaves zero parts out: no "🟢 0", no "长期坚持 0".
Lines that would hold nothing are ``None``. Rates go through ``ledger.figures.format_rate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ledger.figures import LIGHT_PARTS, Figures, format_rate
from ledger.model import Light
from locales import Html

Translate = Callable[..., Html]


def _join(t: Translate, parts: Iterable[str], sep: str = "figures.sep") -> Html:
    return Html(str(t(sep)).join(parts))


def status_line(t: Translate, f: Figures) -> Html:
    """ "共 12 项：未整改 2 · 整改中 3 · 已销号 7" (the parts add up to the total)."""
    if not f.total:
        return t("figures.total", total=0)
    parts = [t(f"figures.status.{s}", count=n) for s, n in f.status_parts()]
    return t("figures.total_parts", total=f.total, parts=_join(t, parts))


def flags_line(t: Translate, f: Figures, due_days: int) -> Html | None:
    """ "超期 2 · 7 天内到期 1 · 逾期完成 1；另撤销 1 项（不计入）", or ``None`` if all are 0."""
    flags = [
        t(key, count=n, days=due_days)
        for key, n in (
            ("figures.overdue", f.overdue),
            ("figures.due_soon", f.due_soon),
            ("figures.closed_late", f.closed_late),
        )
        if n
    ]
    groups = [_join(t, flags)] if flags else []
    if f.withdrawn:
        groups.append(t("figures.withdrawn", count=f.withdrawn))
    return _join(t, groups, "figures.group_sep") if groups else None


def rates_line(t: Translate, f: Figures) -> Html | None:
    """ "整改完成率 58.3% · 销号率 50.0%", or ``None`` when nothing counts (total 0)."""
    if not f.total:
        return None
    return t(
        "figures.rates",
        completion=format_rate(f.completion_rate),
        closeout=format_rate(f.closeout_rate),
    )


def light_parts(t: Translate, counts: Mapping[Light, int]) -> Html:
    """ "🔴 2 · 🟡 1" — the lights with a non-zero count, red first."""
    return _join(
        t, [t(f"figures.light.{lit}", count=counts[lit]) for lit in LIGHT_PARTS if counts.get(lit)]
    )


def lights_line(t: Translate, f: Figures) -> Html | None:
    """ "未销号 6：🔴 2 · 🟡 1 · 🟢 3", or ``None`` when nothing is open."""
    if not f.active:
        return None
    return t("figures.lights", active=f.active, parts=light_parts(t, f.by_light()))


def figures_lines(t: Translate, f: Figures, due_days: int, *, lights: bool = False) -> list[Html]:
    """The figures block: status line, [lights,] flags and rates; empty lines left out."""
    lines = [
        status_line(t, f),
        lights_line(t, f) if lights else None,
        flags_line(t, f, due_days),
        rates_line(t, f),
    ]
    return [line for line in lines if line is not None]


def figures_inline(t: Translate, f: Figures, due_days: int) -> Html:
    """The figures block on one line (parts joined by "；"), for digests' per-unit lines."""
    return _join(t, figures_lines(t, f, due_days), "figures.group_sep")


__all__ = [
    "Translate",
    "figures_inline",
    "figures_lines",
    "flags_line",
    "light_parts",
    "lights_line",
    "rates_line",
    "status_line",
]
