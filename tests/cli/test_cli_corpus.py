"""``python bot.py import FILE [--unit CODE] --yes`` on every layout of the real-台账 corpus
(tests/storage/ledger_corpus.py, issue 10), as an operator runs it: a separate process on a
temporary config and data directory; a file whose unit is only a name matching nothing (or
no name) is refused saying how, and imports with ``--unit``; a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.model import Unit
from storage.repo import Store
from tests.e2e.harness import write_config
from tests.storage.ledger_corpus import LAYOUTS, Layout, check_item, find

ROOT = Path(__file__).resolve().parents[2]


def bot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def today() -> date:  # the shell import reads relative wordings on the real day
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
def test_each_layout_imports_from_the_shell(tmp_path: Path, layout: Layout) -> None:
    config = write_config(tmp_path, [100])
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        for code, name in layout.registered:
            store.add_unit(Unit(code, name))
    path = tmp_path / layout.name
    layout.write(path)
    codes = {code for _, code in layout.chosen} | ({layout.unit} if layout.unit else set())
    if codes:  # the file names a unit nothing matches, or none: refused, saying how
        refused = bot(config, "import", str(path), "--yes")
        assert refused.returncode == 1, refused.stdout
        assert "未导入，台账未作任何更改" in refused.stderr
        assert "--unit" in refused.stderr
        (code,) = codes
        done = bot(config, "import", str(path), "--unit", code, "--yes")
    else:
        done = bot(config, "import", str(path), "--yes")
    assert done.returncode == 0, done.stderr
    assert f"新增事项 {len(layout.items)} 项" in done.stdout
    day = today()
    with Store.open(data_dir, lock=False) as store:
        for expect in layout.items:
            check_item(find(store, expect), expect, day)
        names = {u.code: u.name for u in store.registry.list_units()}
        for code, name in layout.new_units:
            assert names[code] == name
    again = bot(config, "import", str(path), "--yes", *(("--unit", *codes) if codes else ()))
    assert again.returncode == 0, again.stderr
    assert f"新增 0 项，更新 0 项，无变化 {len(layout.items)} 项" in again.stdout
