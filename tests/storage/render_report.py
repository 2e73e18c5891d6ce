"""Look at a 整改情况报告 as a person would: build the report of a realistic unit
(tests.storage.report_world), print it to PDF with LibreOffice and turn each page into a PNG
(a test-side tool, not a test: the suite does not need LibreOffice).

    python -m tests.storage.render_report OUT_DIR [en]   # needs soffice (writer), pdftoppm

Writes OUT_DIR/report.docx, OUT_DIR/report.pdf and OUT_DIR/report-N.png, and prints the paths.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from app.clock import FakeClock
from app.report import report_bytes
from app.services import Services
from config import Config
from locales import Catalog
from storage.repo import Store
from tests.storage.report_world import NOW, UNIT, build


def main(out: Path, lang: str = "zh-CN") -> int:
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        sys.stderr.write("needs soffice (libreoffice-writer) and pdftoppm (poppler-utils)\n")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    store = Store.memory()
    build(store)
    services = Services.create(
        Config(path=Path("config.toml")), store, FakeClock(NOW), Catalog.load()
    )
    docx = out / "report.docx"
    docx.write_bytes(report_bytes(services, UNIT, lang, comments=True))
    with tempfile.TemporaryDirectory() as profile:  # its own profile: runs beside another soffice
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(docx),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    pdf = out / "report.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(pdf), str(out / "report")], check=True, timeout=180
    )
    for path in sorted(out.glob("report-*.png")):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    target = Path(args[0] if args else "report-render")
    raise SystemExit(main(target, "en" if args[1:] == ["en"] else "zh-CN"))
