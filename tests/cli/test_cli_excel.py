"""``python bot.py import FILE [--yes]`` and ``python bot.py export [--unit CODE] [-o PATH]``
as an operator runs them: separate processes on a temporary config and data directory,
including the refusal to import while another process holds the data directory."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from storage.repo import Store
from tests.e2e.harness import write_config
from tests.storage.xlsx_helpers import SAMPLE, book_bytes, ledger_sheet, row

ROOT = Path(__file__).resolve().parents[2]


def bot(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def items(data_dir: Path) -> dict[str, int]:
    with Store.open(data_dir, lock=False) as store:
        return {led.unit: len(led) for led in store.ledgers()}


def test_import_asks_then_imports_and_a_second_run_finds_nothing_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100])
    declined = bot(config, "import", str(SAMPLE), stdin="n\n")
    assert declined.returncode == 1, declined.stderr
    assert "共 3 个单位、18 项问题：新增 18 项" in declined.stdout
    assert "确认导入吗？[y/N]" in declined.stdout
    assert "未导入，台账未作任何更改。" in declined.stderr
    assert items(tmp_path / "data") == {}

    no_terminal = bot(config, "import", str(SAMPLE))  # stdin at end of file
    assert no_terminal.returncode == 1
    assert "--yes" in no_terminal.stderr

    done = bot(config, "import", str(SAMPLE), stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "新建单位 3 个；新增事项 18 项，更新 0 项，无变化 0 项。" in done.stdout
    assert items(tmp_path / "data") == {"HX": 6, "JB": 6, "SN": 6}

    again = bot(config, "import", str(SAMPLE), "--yes")
    assert again.returncode == 0, again.stderr
    assert "文件内容与现有台账一致，无需导入。" in again.stdout
    assert items(tmp_path / "data") == {"HX": 6, "JB": 6, "SN": 6}


def test_a_bad_file_lists_its_problems_and_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100], 'language = "en"\n')
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book_bytes({"JB": ledger_sheet([row(1), row(2, deadline="soon")])}))
    result = bot(config, "import", str(bad), "--yes")
    assert result.returncode == 1
    assert "Ledger not imported; nothing was changed. 1 problem(s) in “bad.xlsx”:" in result.stderr
    assert "• Sheet “JB”, row 4, column “整改时限”: “soon” is not a deadline" in result.stderr
    assert "<b>" not in result.stderr  # the shell gets plain text
    assert items(tmp_path / "data") == {}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100])
    missing = bot(config, "import", str(tmp_path / "nowhere.xlsx"), "--yes")
    assert missing.returncode == 2
    assert "找不到文件或无法读取" in missing.stderr
    no_file = bot(config, "import")
    assert no_file.returncode == 2
    assert "用法：python bot.py import" in no_file.stderr


def test_import_refuses_while_another_process_holds_the_data_directory(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100])
    with Store.open(tmp_path / "data"):  # as the running bot would
        result = bot(config, "import", str(SAMPLE), "--yes")
        assert result.returncode == 1
        assert f"机器人正在运行（进程 {os.getpid()}）" in result.stderr
        assert "请在聊天中把文件发给机器人，或先停止机器人" in result.stderr
        # export only reads: it works while the bot runs
        exported = bot(config, "export", "-o", str(tmp_path / "out.xlsx"))
        assert exported.returncode == 1  # nothing to export yet
        assert "还没有任何单位" in exported.stderr
    assert items(tmp_path / "data") == {}


def test_export_edit_import_round_trip(tmp_path: Path) -> None:
    config = write_config(tmp_path, [100])
    assert bot(config, "import", str(SAMPLE), "--yes").returncode == 0
    with Store.open(tmp_path / "data"):  # the bot is running
        all_units = bot(config, "export")
        assert all_units.returncode == 0, all_units.stderr
        one = bot(config, "export", "--unit", "jb", "-o", str(tmp_path / "jb.xlsx"))
        assert one.returncode == 0, one.stderr
        unknown = bot(config, "export", "--unit", "ZZ")
        assert unknown.returncode == 1 and "未找到单位 ZZ。" in unknown.stderr
        nowhere = bot(config, "export", "-o", str(tmp_path / "no" / "such" / "dir.xlsx"))
        assert nowhere.returncode == 1 and "无法写入" in nowhere.stderr
    # without -o: under the data directory's exports/, the full path printed
    written = list((tmp_path / "data" / "exports").glob("整改台账_全部_*.xlsx"))
    assert len(written) == 1 and "已导出 3 个单位、18 项问题" in all_units.stdout
    assert all_units.stdout.strip().endswith(str(written[0].resolve()))
    assert not list(tmp_path.glob("整改台账_*.xlsx"))  # never the working directory
    assert load_workbook(written[0]).sheetnames == ["汇总", "HX", "JB", "SN"]

    wb = load_workbook(tmp_path / "jb.xlsx")
    assert wb.sheetnames == ["汇总", "JB"]
    ws = wb["JB"]
    headers = [c.value for c in ws[2]]
    ws.cell(5, headers.index("整改时限") + 1).value = date(2027, 2, 28)  # JB-003
    out = io.BytesIO()
    wb.save(out)
    (tmp_path / "jb.xlsx").write_bytes(out.getvalue())

    result = bot(config, "import", str(tmp_path / "jb.xlsx"), "--yes")
    assert result.returncode == 0, result.stderr
    assert "• JB-003（工作表“JB”第 5 行）：整改时限" in result.stdout
    assert "更新 1 项，无变化 5 项" in result.stdout
    with Store.open(tmp_path / "data", lock=False) as store:
        item = store.ledger("JB").get_item("JB-003")
        assert item is not None and item.deadline == date(2027, 2, 28)
        event = store.ledger("JB").events("JB-003")[-1]
        assert (event.action, event.by) == ("set_deadline", 0)
        assert event.data["reason"] == "台账导入更新（jb.xlsx）"
