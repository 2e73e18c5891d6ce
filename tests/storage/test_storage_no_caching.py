"""R4: no CachingMiddleware and no PicklePersistence anywhere in the code base: a write is on
disk when it returns, and no state lives in a pickle. Checked on the syntax tree (imports,
names, attributes), so comments and docs that mention them do not count."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"CachingMiddleware", "PicklePersistence"}
SKIP_DIRS = {".venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _python_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)]


def _uses(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found.update(a.name for a in node.names if a.name in FORBIDDEN)
            if node.module == "tinydb.middlewares":
                found.add("tinydb.middlewares")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "tinydb.middlewares")
    return found


def test_the_scan_detects_what_it_looks_for() -> None:
    sample = "from tinydb.middlewares import CachingMiddleware\nx = telegram.ext.PicklePersistence"
    assert _uses(ast.parse(sample)) == {
        "CachingMiddleware",
        "PicklePersistence",
        "tinydb.middlewares",
    }


def test_no_caching_middleware_or_pickle_persistence() -> None:
    files = _python_files()
    assert any(p.parts[-2:] == ("storage", "safe.py") for p in files)
    offenders = {
        str(p.relative_to(ROOT)): sorted(used)
        for p in files
        if (used := _uses(ast.parse(p.read_text("utf-8"), str(p))))
    }
    assert offenders == {}
