"""Every benchmark still runs: each at a tiny size (``bench/run.py --quick``), printing one JSON
object of the shape ``make bench`` tabulates. Timings are not judged here (issue 14: figures
are measured by ``make bench``, never by timed assertions)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
_spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
assert _spec is not None and _spec.loader is not None
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

FIGURE_KEYS = {"figure", "value", "unit", "floor", "ratio", "target", "pass"}


@pytest.mark.parametrize("name", sorted(bench_run.BENCHES))
def test_bench_quick_run_prints_its_figures(name: str) -> None:
    quick = bench_run.BENCHES[name][1]
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *quick],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    result = json.loads(lines[-1])
    assert result["bench"] == name
    assert isinstance(result["params"], dict)
    assert result["figures"], "a bench without figures"
    for figure in result["figures"]:
        assert set(figure) == FIGURE_KEYS
        assert isinstance(figure["value"], int | float)
        assert isinstance(figure["pass"], bool)
        if figure["floor"] is not None:
            assert figure["floor"] > 0
            assert figure["ratio"] > 0


def test_latency_measures_real_answers_to_each_command_and_the_first_units_page() -> None:
    """bench/latency.py times replies that are what a user gets: every progress note it sends
    is recorded, each command's reply is described, and /units is its first page."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "latency.py"), "--units", "12", "--rounds", "3"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    names = {f["figure"] for f in result["figures"]}
    for command in ("/open", "/item", "progress", "/units"):
        assert {f"{command} p50", f"{command} p99"} <= names
        assert result["replies"][command]["chars"] > 0
    assert result["progress_recorded"] == 3
    assert result["replies"]["/units"]["units"] == {"shown": 10, "of": 12}  # page_size 10
    assert result["replies"]["/open"]["buttons"] > 0
    # Informational, not a target: a bare bot answering with /units' own reply, timed beside it.
    units = result["/units"]
    shown = result["replies"]["/units"]
    assert units["same_message"] == {"chars": shown["chars"], "buttons": shown["buttons"]}
    assert units["same_message_echo_p50_ms"] > 0 and units["vs_same_message_echo"] > 0
    assert not any("same" in name for name in names)


def test_the_table_has_a_row_per_figure_and_says_pass_or_fail() -> None:
    results = [
        {
            "bench": "a",
            "figures": [
                {
                    "figure": "x",
                    "value": 2.0,
                    "unit": "ms",
                    "floor": 1.0,
                    "ratio": 2.0,
                    "target": "≤ 2× floor",
                    "pass": True,
                }
            ],
        },
        {"bench": "b", "error": "exit 1", "figures": []},
    ]
    lines = bench_run.table(results).splitlines()
    assert len(lines) == 3
    assert "pass" in lines[1] and "2.0×" in lines[1]
    assert "ERROR exit 1" in lines[2]
