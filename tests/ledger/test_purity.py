"""ledger/ stays pure: no Telegram, storage or scheduler imports, no clock, no files, no
network, no randomness (DESIGN §2, STYLE 4). Checked on the AST of every ledger/*.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LEDGER = Path(__file__).resolve().parents[2] / "ledger"

FORBIDDEN_MODULES = {
    "telegram",
    "tinydb",
    "apscheduler",
    "time",
    "random",
    "secrets",
    "os",
    "pathlib",
    "io",
    "shutil",
    "socket",
    "ssl",
    "urllib",
    "http",
    "httpx",
    "aiohttp",
    "requests",
    "asyncio",
    "subprocess",
    "sqlite3",
}
CLOCK_ATTRS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}
CLOCK_OWNERS = {"datetime", "date", "dt"}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def violations(source: str, name: str = "<src>") -> list[str]:
    """Every forbidden import or call in ``source``, as ``name:line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{where}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where}: from {module} import …")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where}: {func.id}()")
            elif isinstance(func, ast.Attribute):
                owner = func.value
                owner_name = (
                    owner.id
                    if isinstance(owner, ast.Name)
                    else owner.attr
                    if isinstance(owner, ast.Attribute)
                    else ""
                )
                if func.attr in CLOCK_ATTRS and owner_name in CLOCK_OWNERS:
                    found.append(f"{where}: {owner_name}.{func.attr}()")
                elif owner_name == "time":
                    found.append(f"{where}: time.{func.attr}()")
                elif func.attr in {"open", "read_text", "read_bytes", "write_text"}:
                    found.append(f"{where}: .{func.attr}()")
    return found


def ledger_files() -> list[Path]:
    files = sorted(LEDGER.glob("*.py"))
    assert files, f"no sources under {LEDGER}"
    return files


@pytest.mark.parametrize("path", ledger_files(), ids=lambda p: p.name)
def test_ledger_module_is_pure(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import telegram",
        "from telegram.ext import Application",
        "import tinydb.storages",
        "from apscheduler.triggers.cron import CronTrigger",
        "import time",
        "import random",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "x = time.time()",
        "x = open('f')",
        "from pathlib import Path",
        "x = p.read_text()",
    ],
)
def test_the_checker_catches_impurity(snippet: str) -> None:
    assert violations(snippet), snippet


def test_the_checker_allows_the_pure_kinds_of_code() -> None:
    ok = (
        "from datetime import date, datetime, timedelta\n"
        "import hashlib\n"
        "from ledger.model import Item\n"
        "x = datetime(2026, 1, 1).astimezone(tz).date()\n"
        "y = date.fromisoformat('2026-01-01')\n"
    )
    assert violations(ok) == []
