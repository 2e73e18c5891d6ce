"""Temp files of interrupted durable writes: the locked open removes them wherever our writers
put them — the data root, ledgers/, quarantine/ and each evidence/<UNIT>/<ITEM>/ — and only
files named like ``storage.safe.temp_name`` makes them; ``check`` reports them as warnings
without failing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ledger.model import Unit
from storage import Store, check
from storage.evidence import save_evidence
from storage.maintenance import MAX_WARNING_LINES
from storage.safe import is_temp_file

ROOT = Path(__file__).resolve().parents[2]
WARNING = (
    "temp file of an interrupted write (or of one in progress); "
    "the bot removes it when it next starts"
)

# Saves one evidence file, and is SIGKILLed at the first fsync: inside atomic_write, after the
# temp file is written and before it is renamed (the item's folder exists already).
KILLED_DOWNLOAD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from storage.evidence import save_evidence
    from storage.safe import FileOps

    def die(fd: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    data = b"new" * 1000
    save_evidence(Path(sys.argv[1]), "HZ", "HZ-001", "整改报告.pdf", data, FileOps(fsync=die))
    """
)


def data_dir_with_a_unit(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.add_unit(Unit("HZ", "杭州市局党组"))
    return data


def kill_a_download(data: Path) -> Path:
    """Run an evidence download that is killed mid-write; the temp file it left."""
    folder = data / "evidence" / "HZ" / "HZ-001"
    before = set(folder.iterdir())
    done = subprocess.run(
        [sys.executable, "-c", KILLED_DOWNLOAD, str(data)],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    (left,) = set(folder.iterdir()) - before
    return left


def test_a_killed_evidence_download_is_cleaned_at_the_next_locked_open(tmp_path: Path) -> None:
    data = data_dir_with_a_unit(tmp_path)
    kept = save_evidence(data, "HZ", "HZ-001", "会议记录.pdf", b"old" * 1000)
    left = kill_a_download(data)
    assert is_temp_file(left) and left.read_bytes() == b"new" * 1000

    report = check(data)
    assert report.ok and report.temp_files == 1
    rel = left.relative_to(data).as_posix()
    assert report.text.splitlines()[0] == f"warning: {rel}: {WARNING}"

    Store.open(data, lock=False).close()  # read-only openers remove nothing
    assert left.exists()
    Store.open(data).close()
    assert not left.exists()
    assert (data / kept.path).read_bytes() == b"old" * 1000  # the real copy is untouched
    assert (
        check(data).text
        == "all 3 files OK (1 registry, 1 alert log, 1 ledger, 0 items, 0 events, 0 alert records)"
    )


def test_only_temp_names_in_write_folders_are_removed(tmp_path: Path) -> None:
    data = data_dir_with_a_unit(tmp_path)
    temp = ".{}.4242.0123abcd.tmp"
    removed = [
        data / temp.format("registry.json"),
        data / "ledgers" / temp.format("HZ.json"),
        data / "quarantine" / temp.format("HZ.json.20260302T010000Z.0123456789ab"),
        data / "evidence" / "HZ" / "HZ-001" / temp.format("0123456789abcdef_会议记录.pdf"),
        data / "evidence" / "HZ" / "HZ-012" / temp.format("fedcba9876543210_photo.jpg"),
    ]
    kept = [
        data / "evidence" / "HZ" / "HZ-001" / "0123456789abcdef_会议记录.pdf",  # evidence
        data / "evidence" / "HZ" / "HZ-001" / ".notes.tmp",  # not the writer's name
        data / "evidence" / "HZ" / "HZ-001" / "x.pdf.4242.0123abcd.tmp",  # not hidden
        data / "evidence" / "HZ" / "misc" / temp.format("a"),  # not an item's folder
        data / "evidence" / "HZ" / "NB-001" / temp.format("a"),  # not this unit's item
        data / "evidence" / temp.format("a"),  # the writer never writes here
        data / "exports" / temp.format("a"),  # nor here
    ]
    for path in removed + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    directory = data / "evidence" / "HZ" / "HZ-001" / temp.format("d")
    directory.mkdir()  # a folder with a temp file's name is not a file
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / temp.format("linked")).write_bytes(b"not ours")
    (data / "evidence" / "HZ" / "HZ-013").symlink_to(outside)  # never followed

    report = check(data)
    assert report.ok
    warned = {w.file for w in report.warnings}
    assert warned == {p.relative_to(data).as_posix() for p in removed}

    Store.open(data).close()
    assert [p for p in removed if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []
    assert directory.is_dir() and (outside / temp.format("linked")).exists()
    assert check(data).warnings == ()


def test_check_lists_a_few_warnings_after_the_problems_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    data = data_dir_with_a_unit(tmp_path)
    folder = data / "evidence" / "HZ" / "HZ-001"
    folder.mkdir(parents=True)
    for n in range(MAX_WARNING_LINES + 5):
        (folder / f".{n:02d}_a.pdf.1.0123abcd.tmp").write_bytes(b"")
    (data / "ledgers" / "HZ.json").write_bytes(b"")  # and a real problem
    report = check(data)
    assert not report.ok and report.temp_files == MAX_WARNING_LINES + 5
    lines = report.text.splitlines()
    assert lines[0].startswith("ledgers/HZ.json: ")
    warnings = lines[1:-1]
    assert len(warnings) == MAX_WARNING_LINES + 1
    assert warnings[0] == f"warning: evidence/HZ/HZ-001/.00_a.pdf.1.0123abcd.tmp: {WARNING}"
    assert warnings[-1] == "warning: … and 5 more temp files"
    assert lines[-1] == "1 problem in 1 of 3 files"  # warnings are not problems


def test_bot_py_check_prints_the_warning_and_succeeds(tmp_path: Path) -> None:
    data = data_dir_with_a_unit(tmp_path)
    save_evidence(data, "HZ", "HZ-001", "会议记录.pdf", b"old")
    left = kill_a_download(data)
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")

    def check_in(*lang: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "--config", str(config), *lang, "check"],
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = check_in("--lang", "en")
    assert done.returncode == 0, done.stderr
    rel = left.relative_to(data).as_posix()
    assert done.stdout.splitlines() == [
        f"warning: {rel}: {WARNING}",
        "all 3 files OK (1 registry, 1 alert log, 1 ledger, 0 items, 0 events, 0 alert records)",
    ]
    chinese = check_in()  # the default
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout.splitlines() == [
        f"提示：{rel}: {WARNING}",
        "全部 3 个文件完好（台账 1 个，事项 0 项，记录 0 条，预警记录 0 条）",
    ]
    assert os.path.exists(left)  # check never removes anything
