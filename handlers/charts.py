"""The /stats chart as PNG bytes (DESIGN §7), drawn with the chat's other renderings; its
words come from ``locales/*/chart.toml``: per unit, a bar of 台账总数 split into 已销号
(incl. 长期坚持), 未销号 not overdue and 超期 (``ledger.figures``: the parts add up to the
total), with 整改完成率 and 销号率 written on each bar as ``format_rate`` writes them, and
under it the items closed per week.

Rendering uses matplotlib's object API (``Figure`` + the Agg canvas): no pyplot, no change to
global ``rcParams``, so renders may run in worker threads side by side. Chinese text is drawn
with Noto Sans CJK SC from the ``noto-cjk-sans-otc`` package (an OpenType collection inside
the wheel — nothing is downloaded and no system font is assumed); it is registered with
matplotlib's font manager once, on first use, and passed to every text element explicitly.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
from collections.abc import Sequence
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from app.exports import UnitStats
from ledger.figures import format_rate
from locales import Catalog

FONT_PACKAGE = "noto_cjk_sans_otc"
FONT_FILE = "NotoSansCJK-Regular.ttc"
FONT_FAMILY = "Noto Sans CJK SC"  # face 2 of the collection: simplified Chinese glyph forms

DPI = 100
WIDTH_IN = 12.0
UNIT_ROW_IN = 0.32  # height of one unit's bar
UNITS_BASE_IN = 1.6  # axis, legend and margins of the unit panel
WEEKLY_IN = 3.2  # the weekly panel
TITLE_IN = 0.8
MAX_UNITS = 60  # more would not survive Telegram's photo downscaling; the rest is noted
NAME_CHARS = 12

COLORS = {"done": "#63BE7B", "not_overdue": "#5B9BD5", "overdue": "#F8696B", "week": "#70AD47"}


@functools.cache
def _catalog() -> Catalog:
    return Catalog.load()


def label(key: str, lang: str, **params: object) -> str:
    """The chart's word ``key`` in ``lang`` (``locales/*/chart.toml``)."""
    return _catalog().plain(lang, f"chart.{key}", **params)


@functools.cache
def font_path() -> str:
    """Register the packaged CJK font with matplotlib (once) and return its path."""
    resource = importlib.resources.files(FONT_PACKAGE).joinpath(FONT_FILE)
    path = str(resource)  # an installed wheel: a real file in site-packages
    fontManager.addfont(path)  # every face of the collection, each under its family name
    return path


def cjk(size: float) -> FontProperties:
    """The CJK font at ``size`` points (registers it on first use)."""
    font_path()
    return FontProperties(family=FONT_FAMILY, size=size)


def chart_size(n_units: int) -> tuple[int, int]:
    """Pixel (width, height) of the PNG for ``n_units`` rows (capped at ``MAX_UNITS``)."""
    shown = max(1, min(n_units, MAX_UNITS))
    height = TITLE_IN + UNITS_BASE_IN + UNIT_ROW_IN * shown + WEEKLY_IN
    return round(WIDTH_IN * DPI), round(height * DPI)


def render_stats_png(
    rows: Sequence[UnitStats],
    weekly_closed: Sequence[tuple[date, int]],
    *,
    title: str,
    lang: str = "zh-CN",
) -> bytes:
    """The chart as PNG bytes, ``chart_size(len(rows))`` pixels.

    ``rows`` are drawn top to bottom in the given order (sort them as the reader should see
    them, e.g. most overdue first); beyond ``MAX_UNITS`` the rest are counted in a note.
    ``weekly_closed`` is (Monday, count) per week, oldest first
    (``storage.xlsx_export.weekly_closed``). ``title`` is shown as given; ``lang`` picks the
    chart's own labels.
    """
    width_px, height_px = chart_size(len(rows))
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    units_in = UNITS_BASE_IN + UNIT_ROW_IN * max(1, min(len(rows), MAX_UNITS))
    ax_units, ax_weeks = fig.subplots(2, 1, height_ratios=[units_in, WEEKLY_IN])
    fig.suptitle(title, fontproperties=cjk(16))
    _draw_units(ax_units, rows, lang)
    _draw_weeks(ax_weeks, weekly_closed, lang)
    # Unit names and titles are text people typed: "$…$" must not be read as mathtext (an
    # unbalanced formula raised and broke /stats). Every label is plain text.
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _draw_units(ax: Axes, rows: Sequence[UnitStats], lang: str) -> None:
    shown = list(rows[:MAX_UNITS])
    small, normal = cjk(9), cjk(10)
    if not shown:
        ax.text(0.5, 0.5, label("no_units", lang), ha="center", va="center", fontproperties=normal)
        ax.set_axis_off()
        return
    ys = list(range(len(shown)))
    left = [0] * len(shown)
    for key in ("done", "not_overdue", "overdue"):
        values = [getattr(r.figures, key) for r in shown]
        ax.barh(ys, values, left=left, color=COLORS[key], label=label(key, lang), height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
    widest = max(left) or 1
    for y, r, end in zip(ys, shown, left, strict=True):
        text = (
            f"{label('completion', lang)} {format_rate(r.figures.completion_rate)} · "
            f"{label('closeout', lang)} {format_rate(r.figures.closeout_rate)}"
        )
        ax.text(end + widest * 0.01, y, text, va="center", fontproperties=small)
    names = [f"{r.code} {r.name}"[: NAME_CHARS + len(r.code) + 1] for r in shown]
    ax.set_yticks(ys, labels=names, fontproperties=normal)
    ax.invert_yaxis()
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, widest * 1.35)  # room for the rates after the longest bar
    ax.set_xlabel(label("items", lang), fontproperties=normal)
    ax.legend(prop=normal, loc="lower right", ncols=3, frameon=False, bbox_to_anchor=(1, 1))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    if len(rows) > MAX_UNITS:
        note = label("more", lang, n=len(rows) - MAX_UNITS)
        ax.text(0, 1.02, note, transform=ax.transAxes, fontproperties=small)


def _draw_weeks(ax: Axes, weekly: Sequence[tuple[date, int]], lang: str) -> None:
    normal = cjk(10)
    ax.set_title(label("weekly", lang), fontproperties=cjk(12), loc="left")
    if not weekly:
        ax.text(0.5, 0.5, label("no_units", lang), ha="center", va="center", fontproperties=normal)
        ax.set_axis_off()
        return
    xs = list(range(len(weekly)))
    counts = [n for _, n in weekly]
    bars = ax.bar(xs, counts, color=COLORS["week"], width=0.6)
    ax.bar_label(bars, fontproperties=normal, padding=2)
    ax.set_xticks(xs, labels=[d.strftime("%m-%d") for d, _ in weekly], fontproperties=normal)
    ax.set_xlabel(label("week_of", lang), fontproperties=normal)
    ax.set_ylim(0, max(max(counts), 1) * 1.25)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


__all__ = [
    "FONT_FAMILY",
    "MAX_UNITS",
    "chart_size",
    "cjk",
    "font_path",
    "label",
    "render_stats_png",
]
