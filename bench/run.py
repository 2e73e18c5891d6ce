"""``make bench``: run every benchmark, print each one's JSON object, then one table of
figure, value, floor, ratio, target and pass/fail.

Each bench is a script in this folder printing one JSON object as its last line (see
``_world.emit``); sizes are theirs by default (province scale, minutes in all). ``--quick``
runs each at a small size — what ``tests/`` does so that the benches cannot rot; its figures
mean nothing. ``--only NAME,...`` picks benches; ``--json PATH`` also writes the results.

    python bench/run.py [--quick] [--only latency,sweep] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# name -> (full-size arguments, quick arguments)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "latency": ([], ["--units", "3", "--rounds", "3"]),
    "sweep": ([], ["--sizes", "100,300"]),
    "write": ([], ["--items", "50", "--writes", "5"]),
    "alertlog": ([], ["--days", "20", "--units", "3", "--items", "20", "--waves", "3"]),
    "startup": ([], ["--sizes", "0,100"]),
    "fanout": ([], ["--units", "3", "--items", "10", "--log-records", "100"]),
    "xlsx": ([], ["--units", "2", "--items", "5"]),
    "channels": ([], ["--sizes", "100"]),
}


def run(name: str, quick: bool, extra: list[str]) -> dict[str, Any]:
    """Run one bench; its last stdout line parsed (stderr passes through)."""
    args = BENCHES[name][1 if quick else 0]
    done = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *args, *extra],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        return {"bench": name, "error": f"exit {done.returncode}", "figures": []}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def table(results: list[dict[str, Any]]) -> str:
    header = ("bench", "figure", "value", "floor", "ratio", "target", "result")
    rows: list[tuple[str, ...]] = [header]
    for r in results:
        if "error" in r:
            rows.append((r["bench"], "-", "-", "-", "-", "-", f"ERROR {r['error']}"))
        for f in r["figures"]:
            unit = f" {f['unit']}"
            rows.append(
                (
                    r["bench"],
                    f["figure"],
                    f"{f['value']}{unit}",
                    "-" if f["floor"] is None else f"{f['floor']}{unit}",
                    "-" if f["ratio"] is None else f"{f['ratio']}×",
                    f["target"],
                    "pass" if f["pass"] else "FAIL",
                )
            )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated bench names")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args, extra = parser.parse_known_args()
    names = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    results = []
    for name in names:
        result = run(name, args.quick, extra)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    print()
    print(table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
