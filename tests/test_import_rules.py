"""The arrows between the rooms (docs/ARCHITECTURE.md §2), read from every module's imports.

Imports point down only: ``bot.py``/``cli.py`` → handlers, alerts, sandbox → app → storage →
ledger. ``config`` and ``locales`` are shared by every room above ``ledger``. Where a rule
cannot hold yet, :data:`EXCEPTIONS` names the exact module and import with the reason; an
exception that is no longer used fails too, so the list only shrinks. Across modules nobody
imports another module's internals (a name starting with ``_``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"ledger", "storage", "app", "handlers", "alerts", "sandbox", "locales", "config"}
OURS |= {"bot", "cli", "bench"}

# room -> the rooms it may import (besides itself)
MAY_IMPORT: dict[str, set[str]] = {
    "ledger": set(),
    "locales": set(),
    "config": {"ledger"},
    "storage": {"ledger", "locales"},  # files written in people's words (exports)
    "app": {"storage", "ledger", "config", "locales"},
    "handlers": {"app", "ledger", "config", "locales"},
    "alerts": {"app", "ledger", "config", "locales"},
    "sandbox": {"app", "ledger", "config", "locales"},
    # the entry side wires everything; benchmarks measure everything
    "bot": OURS,
    "cli": OURS,
    "bench": OURS,
}

# (importing module, imported module) -> why the arrow is allowed for now
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("handlers.alerts", "alerts.jobs"): "/alerts is the alert jobs' chat door (timetable)",
    ("handlers.alerts", "alerts.summary"): "/alerts shows the last sweep and the dry run",
    ("handlers.channels", "alerts.channels.deliver"): "/channels: the group robots' chat door",
    ("handlers.channels", "alerts.channels.report"): "/channels: the group robots' state",
    ("handlers.notices", "alerts.delivery"): "notifications use the alerts' one Deliverer (R13)",
    ("handlers.notices", "alerts.jobs"): "… on the application's one pacer (deliverer_for)",
    ("handlers.people", "alerts.jobs"): "/units' first page is drawn once the start-up sweep "
    "has the day's figures (runtime_of(app).started)",
    ("alerts.render", "handlers.buttons"): "alert messages carry the chat's card buttons "
    "(one callback-data format)",
    ("sandbox.groups", "alerts.channels.notices"): "the sandbox names the simulated groups as "
    "the alert jobs name them",
    ("locales.figures", "ledger.figures"): "the figures' lines, worded once for every view",
    ("locales.figures", "ledger.model"): "… of ledger values",
}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def our_modules() -> list[Path]:
    found = [ROOT / "bot.py", ROOT / "cli.py", ROOT / "config.py"]
    for room in sorted(OURS - {"bot", "cli", "config"}):
        found += sorted((ROOT / room).rglob("*.py"))
    return found


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every absolute import in ``path``."""
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def arrows() -> list[tuple[str, str, list[str]]]:
    found: list[tuple[str, str, list[str]]] = []
    for path in our_modules():
        name = module_name(path)
        for target, names in imports_of(path):
            if target.split(".")[0] in OURS:
                found.append((name, target, names))
    return found


def test_every_room_imports_only_the_rooms_below_it() -> None:
    wrong = []
    for source, target, _ in arrows():
        room, to = source.split(".")[0], target.split(".")[0]
        if room == to or to in MAY_IMPORT[room]:
            continue
        if (source, target) not in EXCEPTIONS:
            wrong.append(f"{source} -> {target}")
    assert wrong == []


def test_every_listed_exception_is_still_needed() -> None:
    used = {(source, target) for source, target, _ in arrows()}
    assert sorted(set(EXCEPTIONS) - used) == []


def test_nobody_imports_another_modules_internals() -> None:
    private = [
        f"{source} -> {target}.{name}"
        for source, target, names in arrows()
        for name in names
        if name.startswith("_") and target != source
    ]
    assert private == []


def test_the_sandbox_never_imports_bot_py_and_ledger_is_pure_of_ours() -> None:
    sandbox = {t for s, t, _ in arrows() if s.startswith("sandbox")}
    assert "bot" not in sandbox and "cli" not in sandbox
    # Its demo data directory is opened, seeded and replayed through app/ (app.data).
    assert sorted(t for t in sandbox if t.split(".")[0] == "storage") == []
    ledger = {t.split(".")[0] for s, t, _ in arrows() if s.startswith("ledger")}
    assert ledger <= {"ledger"}


def test_the_rules_see_every_room() -> None:
    rooms = {module_name(p).split(".")[0] for p in our_modules()}
    assert rooms == OURS
    assert len(arrows()) > 300  # the scan reads the real code, not an empty tree
