"""Look at an export as a person would: build a realistic 整改台账 export, print it to PDF with
LibreOffice and turn each page into a PNG (a test-side tool, not a test: the suite does not
need LibreOffice).

    python -m tests.storage.render_export OUT_DIR      # needs soffice and pdftoppm

Writes OUT_DIR/export.xlsx, OUT_DIR/export.pdf and OUT_DIR/page-N.png, and prints the paths.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from ledger.model import Endorsement, Evidence, Item, ProgressNote, Status, Unit, Verification
from ledger.rules import Rules
from storage.xlsx_export import Withdrawal, export_ledger
from tests.storage.xlsx_helpers import CATEGORIES, NOW, TZ, make_item

UNITS = [Unit("JB", "江北市局党组"), Unit("HX", "河西市局党组")]
PROBLEMS = [
    "落实全面从严治党主体责任不到位，党组书记第一责任人职责履行不充分，对班子成员履职情况督促不够",
    "“三会一课”制度落实不严格，部分支部组织生活会流于形式，批评与自我批评辣味不足",
    "选人用人工作不规范，干部档案审核不严，个别干部任职前考察不全面",
    "巡察反馈问题整改推进缓慢，整改台账更新不及时",
    "违反中央八项规定精神问题时有发生，公务接待管理不规范",
    "意识形态工作责任制落实不到位",
]
MEASURES = [
    "召开专题民主生活会，制定主体责任清单，每季度听取班子成员履责情况汇报，建立问题整改销号制度",
    "规范“三会一课”记录，建立支部组织生活督查机制，每半年开展一次专项检查",
    "开展干部档案专项审核，完善干部考察工作规程",
    "建立整改周报制度，专人负责台账更新",
    "修订公务接待管理办法，开展专项检查",
    "制定意识形态工作责任清单，纳入年度考核",
]


def ledger() -> dict[str, list[Item]]:
    at = NOW - timedelta(days=2)
    evidence = Evidence("f1", "会议纪要.pdf", 10, "0" * 64, at, 11)
    statuses = [
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.ENDORSED,
        Status.CLOSED,
        Status.OPEN,
        Status.MONITORING,
    ]
    items: dict[str, list[Item]] = {"JB": [], "HX": []}
    for n, (problem, measures, status) in enumerate(
        zip(PROBLEMS, MEASURES, statuses, strict=True), start=1
    ):
        done = status in (Status.ENDORSED, Status.CLOSED, Status.MONITORING)
        items["JB"].append(
            make_item(
                seq=n,
                problem=problem,
                measures=measures,
                status=status,
                deadline=None if status is Status.MONITORING else date(2026, 11, 10 + 4 * n),
                long_term=status is Status.MONITORING,
                department="机关党委办公室" if n % 2 else "组织人事科",
                progress=(ProgressNote(at, 11, "已召开专题会议研究部署整改工作，形成会议纪要"),),
                evidence=(evidence,) if status is not Status.OPEN else (),
                endorsement=Endorsement(12, at) if done else None,
                verification=(
                    Verification(1, at + timedelta(days=1), "approved", "经核查整改到位")
                    if status in (Status.CLOSED, Status.MONITORING)
                    else None
                ),
                closed_at=at + timedelta(days=1) if status is Status.CLOSED else None,
            )
        )
    items["HX"] = [
        make_item("HX", 1, status=Status.IN_PROGRESS, deadline=date(2026, 12, 31)),
        make_item("HX", 2, status=Status.WITHDRAWN, withdrawn_reason="与HX-001重复，已合并"),
    ]
    return items


def main(out: Path) -> int:
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        sys.stderr.write("needs soffice (libreoffice-calc) and pdftoppm (poppler-utils)\n")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    data = export_ledger(
        UNITS,
        ledger(),
        now=NOW,
        tz=TZ,
        rules=Rules(categories=CATEGORIES),
        names={1: "巡察组王五", 11: "联络员李四", 12: "书记张三"},
        withdrawals={"HX-002": Withdrawal(1, NOW - timedelta(days=5))},
    )
    xlsx = out / "export.xlsx"
    xlsx.write_bytes(data)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / "export.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", str(pdf), str(out / "page")], check=True, timeout=180
    )
    for path in sorted(out.glob("page-*.png")):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "export-render")))
