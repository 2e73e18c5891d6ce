"""The 整改情况报告 as a Word document (python-docx), from ``ledger.report.ReportContent``.

Formatting follows the usual Party and government document style (GB/T 9704): A4, margins
3.7 / 3.5 / 2.8 / 2.6 cm (top / bottom / left / right); the title in 方正小标宋简体 二号
(22 pt), centred; body text in 仿宋_GB2312 三号 (16 pt), fixed 28 pt line spacing, first
lines indented two characters; first-level headings (一、) in 黑体, second-level ones (（一）)
in 楷体_GB2312; page numbers ``— 1 —`` centred in the footer through a ``PAGE`` field. The
annex (附件：整改台账) is its own landscape section with a table whose header row repeats on
every page.

Font names are written as East Asian fonts (``w:eastAsia``, Latin text in Times New Roman) and
the document's East Asian language is zh-CN; the font table gives each an ``altName`` that
ships with Windows (宋体, 仿宋, 黑体, 楷体), so a machine without the GB2312 fonts falls back to
those, and LibreOffice to its CJK default through fontconfig. Places the unit must write
itself (未完成原因, 下一步措施, 主送机关) are marked 【…】 and highlighted yellow.

Words come from the caller (``say(key, **params)``: plain text in the report's language);
nothing here is user-facing text of its own.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ledger.figures import Figures, format_rate
from ledger.lookback import CHECKS
from ledger.model import Item, Status
from ledger.report import ReportContent

Say = Callable[..., str]

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# What Word uses where a GB2312 font is missing (fonts every Chinese Windows has).
ALT_NAMES = {
    TITLE_FONT: ("宋体", "roman"),
    BODY_FONT: ("仿宋", "roman"),
    HEADING_FONT: ("SimHei", "swiss"),  # a sans face: a renderer without 黑体 picks a sans
    SUBHEADING_FONT: ("楷体", "script"),
}
TITLE_PT, BODY_PT, TABLE_PT, FOOTER_PT = 22, 16, 10.5, 14
LINE_PT = 28
PLACEHOLDER = WD_COLOR_INDEX.YELLOW
_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1–99)."""
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _NUMERALS[tens - 1] + "十"
    return head + (_NUMERALS[ones - 1] if ones else "")


def write_report(content: ReportContent, say: Say, lang: str) -> bytes:
    """The report as .docx bytes (see the module docstring)."""
    doc = Document()
    _setup(doc)
    w = _Writer(doc, say, lang, content)
    w.title()
    w.basic()
    w.completion()
    w.unfinished()
    w.next_steps()
    w.lookback()
    w.survey()
    w.signature()
    w.annex()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- set-up


def _setup(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    _margins(section)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    _font_table(doc)
    _page_number(section)


def _margins(section: Any) -> None:
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)


def _font_table(doc: DocumentObject) -> None:
    """Declare the GB2312 fonts with a Windows ``altName`` (the fallback, see above)."""
    part = next(r.target_part for r in doc.part.rels.values() if r.reltype == RT.FONT_TABLE)
    blob = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
        for name, (alt, family) in ALT_NAMES.items()
    )
    part._blob = blob.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _page_number(section: Any) -> None:
    """``— PAGE —`` centred in the footer, 宋体 四号."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), "宋体", FOOTER_PT)
    run = paragraph.add_run()
    _font(run, "宋体", FOOTER_PT)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("t", "1")):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        elif kind == "t":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)
    _font(paragraph.add_run(" —"), "宋体", FOOTER_PT)


def _font(run: Run, east_asian: str, size: float, *, bold: bool = False) -> Run:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asian)
    return run


# --------------------------------------------------------------------------- the text


class _Writer:
    def __init__(self, doc: DocumentObject, say: Say, lang: str, content: ReportContent) -> None:
        self.doc = doc
        self.say = say
        self.lang = lang
        self.c = content
        self._heading = 0

    # -- pieces -------------------------------------------------------------------------

    def day_text(self, day: date | None) -> str:
        if day is None:
            return self.say("report.placeholder.date")
        if self.lang == "zh-CN":
            return self.say("report.date", year=day.year, month=day.month, day=day.day)
        return self.say(
            "report.date", year=day.year, month=f"{day.month:02d}", day=f"{day.day:02d}"
        )

    def local(self, moment: datetime) -> date:
        return moment.astimezone(self.c.tz).date()

    def numeral(self, n: int) -> str:
        return chinese_numeral(n) if self.lang == "zh-CN" else str(n)

    def paragraph(
        self,
        text: str = "",
        *,
        font: str = BODY_FONT,
        size: float = BODY_PT,
        bold: bool = False,
        indent: bool = True,
        align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
        spacing: float = LINE_PT,
    ) -> Paragraph:
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.alignment = align
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(spacing)
        fmt.space_before = fmt.space_after = Pt(0)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if text:
            _font(p.add_run(text), font, size, bold=bold)
        return p

    def add(self, p: Paragraph, text: str, *, placeholder: bool = False) -> None:
        run = _font(p.add_run(text), BODY_FONT, BODY_PT)
        if placeholder:
            run.font.highlight_color = PLACEHOLDER

    def heading(self, key: str) -> None:
        self._heading += 1
        number = self.say("report.heading_number", n=self.numeral(self._heading))
        self.paragraph(number + self.say(key), font=HEADING_FONT)

    def subheading(self, n: int, text: str) -> Paragraph:
        p = self.paragraph()
        _font(p.add_run(self.say("report.sub_number", n=self.numeral(n))), SUBHEADING_FONT, 16)
        _font(p.add_run(text), SUBHEADING_FONT, BODY_PT)
        return p

    # -- sections -----------------------------------------------------------------------

    def title(self) -> None:
        unit = self.c.unit
        key = "report.title_round" if unit.round else "report.title"
        round_ = unit.round
        if self.lang == "zh-CN" and not round_.endswith("巡察"):  # 第二轮 → 第二轮巡察
            round_ += "巡察"
        center = WD_ALIGN_PARAGRAPH.CENTER
        self.paragraph("", indent=False)
        self.paragraph(
            self.say(key, unit=unit.name, round=round_),
            font=TITLE_FONT,
            size=TITLE_PT,
            indent=False,
            align=center,
            spacing=36,
        )
        self.paragraph(
            self.say("report.as_of", date=self.day_text(self.c.as_of)),
            font=SUBHEADING_FONT,
            indent=False,
            align=center,
        )
        self.paragraph("", indent=False)
        p = self.paragraph(indent=False)
        self.add(p, self.say("report.addressee"), placeholder=True)
        self.add(p, self.say("report.colon"))
        self.paragraph(
            self.say("report.lead", unit=unit.name, feedback=self.day_text(self.c.feedback))
        )

    def basic(self) -> None:
        self.heading("report.h.basic")
        c, f = self.c, self.c.figures
        parts = self.say("report.sep").join(
            self.say("report.category_count", category=cat, count=n) for cat, n in c.by_category
        )
        round_ = c.unit.round or self.say("report.placeholder.round")
        text = self.say(
            "report.basic",
            round=round_,
            feedback=self.day_text(c.feedback),
            total=f.total,
            categories=parts or "—",
        )
        if f.withdrawn:
            text += self.say("report.withdrawn", count=f.withdrawn)
        self.paragraph(text)

    def completion(self) -> None:
        self.heading("report.h.completion")
        f = self.c.figures
        self.paragraph(figures_sentence(self.say, f, self.day_text(self.c.as_of)))
        for n, section in enumerate(self.c.categories, start=1):
            self.subheading(
                n,
                self.say(
                    "report.category_head",
                    category=section.category,
                    total=section.total,
                    closed=len(section.closed),
                ),
            )
            if not section.closed:
                self.paragraph(self.say("report.category_none_closed"))
            for k, item in enumerate(section.closed, start=1):
                closed = item.closed_at
                self.paragraph(
                    self.say(
                        "report.closed_item",
                        n=k,
                        item_id=item.id,
                        problem=_sentence(item.problem),
                        measures=_sentence(item.measures) or "—",
                        evidence=len(item.evidence),
                        closed=self.day_text(self.local(closed) if closed else None),
                    )
                )

    def unfinished(self) -> None:
        self.heading("report.h.unfinished")
        if not self.c.unfinished:
            self.paragraph(self.say("report.unfinished_none"))
            return
        for n, entry in enumerate(self.c.unfinished, start=1):
            item = entry.item
            status = self.say(f"status.{item.status}")
            if item.status is Status.MONITORING:
                status = self.say("report.monitoring")
            if entry.long_term:
                state = self.say("report.long_term")
            else:
                state = self.say(
                    "report.overdue",
                    deadline=self.day_text(item.deadline),
                    days=entry.days_overdue or 0,
                )
            last = item.last_progress
            p = self.paragraph(
                self.say(
                    "report.unfinished_item",
                    n=n,
                    item_id=item.id,
                    problem=_sentence(item.problem),
                    status=status,
                    state=state,
                    progress=_sentence(last.text) if last else self.say("report.no_progress"),
                )
            )
            self.add(p, self.say("report.reason_label"))
            self.add(p, self.say("report.placeholder.reason"), placeholder=True)

    def next_steps(self) -> None:
        self.heading("report.h.next")
        for key in ("report.placeholder.next1", "report.placeholder.next2"):
            p = self.paragraph()
            self.add(p, self.say(key), placeholder=True)

    def lookback(self) -> None:
        self.heading("report.h.lookback")
        record = self.c.lookback
        if record is None:
            self.paragraph(self.say("report.lookback_none"))
            return
        passed = sum(1 for f in record.findings if f.passed)
        key = "report.lookback_done" if record.done else "report.lookback_open"
        self.paragraph(
            self.say(
                key,
                date=self.day_text(self.local(record.started_at)),
                sampled=len(record.sample),
                checked=len(record.findings),
                passed=passed,
                rebounded=len(record.rebounded),
            )
        )
        for n, finding in enumerate((f for f in record.findings if not f.passed), start=1):
            checks = self.say("report.sep").join(
                self.say(f"paper.check.{c}") for c in CHECKS if c in finding.failed
            )
            self.paragraph(
                self.say(
                    "report.rebound",
                    n=n,
                    item_id=finding.item_id,
                    checks=checks,
                    note=_sentence(finding.note),
                )
            )

    def survey(self) -> None:
        self.heading("report.h.survey")
        summary = self.c.survey
        if summary is None:
            self.paragraph(self.say("report.survey_none"))
            return
        outcome = summary.result
        overall = outcome.overall
        self.paragraph(
            self.say(
                "report.survey_open" if summary.open else "report.survey_done",
                opened=self.day_text(self.local(summary.opened_at)),
                closes=self.day_text(self.local(summary.closes_at - timedelta(seconds=1))),
                respondents=outcome.respondents,
                answers=overall.total,
                rate=format_rate(overall.rate),
                satisfied=overall.satisfied,
                basic=overall.basic,
                unsatisfied=overall.unsatisfied,
            )
        )
        parts = self.say("report.sep").join(
            self.say("report.survey_category", category=t.category, rate=format_rate(t.rate))
            for t in outcome.categories
        )
        if parts:
            self.paragraph(self.say("report.survey_categories", parts=parts))
        if self.c.comments and outcome.comments:
            self.paragraph(self.say("report.survey_comments", count=len(outcome.comments)))
            for n, comment in enumerate(outcome.comments, start=1):
                self.paragraph(self.say("report.survey_comment", n=n, text=_sentence(comment)))

    def signature(self) -> None:
        self.paragraph("", indent=False)
        right = WD_ALIGN_PARAGRAPH.RIGHT
        self.paragraph(
            self.say("report.signed_by", unit=self.c.unit.name), indent=False, align=right
        )
        p = self.paragraph(indent=False, align=right)
        self.add(p, self.say("report.placeholder.sign_date"), placeholder=True)

    def annex(self) -> None:
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.left_margin = section.right_margin = Cm(2.0)
        self.paragraph(self.say("report.annex"), font=HEADING_FONT, indent=False)
        self.paragraph(
            self.say("report.annex_title", unit=self.c.unit.name),
            font=TITLE_FONT,
            size=18,
            indent=False,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            spacing=32,
        )
        headers = [self.say(f"report.column.{k}") for k in _COLUMNS]
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, _WIDTHS, strict=True):
            column.width = Cm(width)  # the grid: what LibreOffice and WPS lay out by
        for cell, text, width in zip(table.rows[0].cells, headers, _WIDTHS, strict=True):
            cell.width = Cm(width)
            _cell(cell, text, bold=True)
        _repeat_header(table.rows[0])
        for n, item in enumerate(self.c.ledger, start=1):
            row = table.add_row()
            for cell, text, width in zip(row.cells, self.row(n, item), _WIDTHS, strict=True):
                cell.width = Cm(width)
                _cell(cell, text)

    def row(self, n: int, item: Item) -> Sequence[str]:
        last = item.last_progress
        closed = self.local(item.closed_at) if item.closed_at else None
        deadline = (
            self.say("report.long_term_short")
            if item.long_term
            else (self.day_text(item.deadline) if item.deadline else "—")
        )
        return (
            str(n),
            item.id,
            item.category,
            item.problem,
            item.measures or "—",
            self.say("report.sep").join(x for x in (item.leader, item.department) if x) or "—",
            deadline,
            self.say(f"status.{item.status}"),
            last.text if last else "—",
            str(len(item.evidence)),
            self.day_text(closed) if closed else "—",
        )


_COLUMNS = (
    "n",
    "id",
    "category",
    "problem",
    "measures",
    "owner",
    "deadline",
    "status",
    "progress",
    "evidence",
    "closed",
)
_WIDTHS = (1.2, 1.8, 1.6, 4.6, 4.6, 2.3, 2.2, 1.6, 3.0, 1.1, 1.7)  # cm: the 25.7 between margins


def figures_sentence(say: Say, f: Figures, day: str) -> str:
    """整改完成情况's first sentence: the total and its status parts as /unit shows them
    (``locales.figures``: zero parts left out), 超期, 逾期完成 and the two rates."""
    parts = say("report.sep").join(
        say("report.status_part", status=say(f"status.{s}"), count=n) for s, n in f.status_parts()
    )
    return say(
        "report.figures",
        date=day,
        total=f.total,
        parts=parts or "—",
        overdue=f.overdue,
        closed_late=f.closed_late,
        completion=format_rate(f.completion_rate),
        closeout=format_rate(f.closeout_rate),
    )


def _cell(cell: Any, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    _font(paragraph.add_run(text), BODY_FONT, TABLE_PT, bold=bold)


def _repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _sentence(text: str) -> str:
    """Stored text as part of a sentence: one line, without a final full stop (the
    template adds its own)."""
    return " ".join(text.split()).rstrip("。.；;，,")
