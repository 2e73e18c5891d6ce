"""handlers/charts.py: a real PNG of the promised size, Chinese drawn with the packaged font
(a missing glyph fails the test), and no pyplot state."""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
from datetime import date, timedelta

import pytest
from matplotlib.font_manager import FontProperties, findfont

from handlers.charts import FONT_FAMILY, MAX_UNITS, chart_size, font_path, render_stats_png
from ledger.figures import Figures
from storage.xlsx_export import UnitStats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROWS = [
    UnitStats("JB", "江北市局党组", Figures(in_progress=3, submitted=1, closed=2, overdue=1)),
    UnitStats("HX", "河西市局党组", Figures(open=2, in_progress=4, overdue=2)),
    UnitStats("SN", "山南县局党组", Figures(closed=5, monitoring=1)),
    UnitStats("NEW", "新成立的单位", Figures()),
]
WEEKS = [(date(2026, 10, 5) + timedelta(weeks=k), k % 3) for k in range(8)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def render(rows: list[UnitStats], title: str, lang: str = "zh-CN") -> bytes:
    """Render with every warning an error: matplotlib warns "Glyph … missing from font(s)"
    when it draws a box instead of a character."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_stats_png(rows, WEEKS, title=title, lang=lang)


def test_chinese_chart_has_no_missing_glyph_and_the_promised_size() -> None:
    title = (
        "中共江北市局党组巡察反馈问题整改统计：已销号、整改中、超期（截至２０２６年１１月２６日）"
    )
    data = render(ROWS, title)
    assert png_size(data) == chart_size(len(ROWS))
    assert chart_size(len(ROWS))[0] == 1200


def test_english_chart() -> None:
    data = render(ROWS, "Rectification statistics — 整改统计", lang="en")
    assert png_size(data) == chart_size(len(ROWS))


def test_the_missing_glyph_check_would_catch_a_box() -> None:
    """Guard against a vacuous test: a font without CJK does warn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "整改", fontproperties=FontProperties(family="DejaVu Sans"))
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="missing from font"):
        warnings.simplefilter("error")
        fig.canvas.draw()


def test_the_packaged_simplified_chinese_face_is_used() -> None:
    font_path()
    found = findfont(FontProperties(family=FONT_FAMILY), fallback_to_default=False)
    assert "noto_cjk_sans_otc" in str(found)
    assert getattr(found, "face_index", None) == 2  # SC, not the JP face 0


def test_no_rows_and_no_weeks_still_render() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = render_stats_png([], [], title="暂无", lang="zh-CN")
    assert png_size(data) == chart_size(0) == chart_size(1)


def test_too_many_units_are_capped_and_noted() -> None:
    rows = [
        UnitStats(f"U{n}", f"第{n}单位", Figures(open=2, closed=1, overdue=1))
        for n in range(MAX_UNITS + 5)
    ]
    data = render(rows, "全省")
    assert png_size(data) == chart_size(MAX_UNITS) == chart_size(len(rows))
    assert chart_size(MAX_UNITS)[1] <= 2560  # Telegram shrinks larger photos


def test_chart_grows_with_units() -> None:
    assert chart_size(10)[1] > chart_size(2)[1]


def test_render_leaves_no_pyplot_state() -> None:
    """In a fresh interpreter: rendering imports no pyplot and changes no rcParams."""
    code = (
        "import sys, matplotlib as m\n"
        "def rc():  # _get: reading 'backend' through [] would itself import pyplot\n"
        "    return {k: m.rcParams._get(k) for k in m.rcParams}\n"
        "before = rc()\n"
        "from handlers.charts import render_stats_png\n"
        "from ledger.figures import Figures\n"
        "from storage.xlsx_export import UnitStats\n"
        "rows = [UnitStats('JB', '江北', Figures(closed=1))]\n"
        "png = render_stats_png(rows, [], title='统计')\n"
        "assert png.startswith(b'\\x89PNG')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert rc() == before, 'rcParams changed'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("name", ["$x^$", "$\\frac{a}{$", "成本$100$万元", "a_$b$_c \\\\"])
def test_a_dollar_unit_name_is_drawn_as_plain_text_not_mathtext(name: str) -> None:
    """A unit name (or title) between ``$`` signs broke /stats: matplotlib read it as
    mathtext and raised on the unbalanced formula. Labels are plain text."""
    rows = [UnitStats("JB", name, Figures(open=1, overdue=1))]
    data = render(rows, f"{name} 整改进度")
    assert png_size(data) == chart_size(1)
