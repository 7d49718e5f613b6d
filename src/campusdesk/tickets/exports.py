"""The incident analysis report (突发事件处理分析报告) as a Word document and a PDF.

Both renderers read the same labelled facts and sections, translated into the
active language, with datetimes in the current time zone. User text is cleaned
once (line endings, characters XML cannot hold) and escaped for each format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

DOCX_LATIN_FONT = "Times New Roman"
DOCX_EAST_ASIAN_FONT = "宋体"
PDF_FONT = "STSong-Light"  # Adobe-GB1 CID font: readers supply the glyphs, nothing to embed
EMPTY = "—"

# XML 1.0 cannot hold these; lone surrogates cannot even be encoded.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# STSong-Light is addressed through a UCS-2 CMap: a character outside the BMP becomes
# a surrogate pair that readers parse as a broken code and garble the rest of the line.
_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")
_PDF_MISSING_GLYPH = "□"


@dataclass(frozen=True)
class IncidentReportDocument:
    ticket_number: str
    ticket_title: str
    organisation: str
    project: str
    product: str
    severity: str
    registered_at: datetime
    closed_at: datetime | None
    what_happened: str
    cause: str
    solution: str
    responsible_person: str
    improvements: str
    author: str
    updated_at: datetime


def incident_report_filename(doc: IncidentReportDocument, extension: str) -> str:
    """``incident-report-<number>.<extension>``, ASCII letters, digits, ``-`` and ``.`` only."""
    number = re.sub(r"[^A-Za-z0-9-]+", "-", doc.ticket_number).strip("-") or "ticket"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", extension).lower()
    if not suffix:
        raise ValueError(f"not a file extension: {extension!r}")
    return f"incident-report-{number}.{suffix}"


# --- Shared content -------------------------------------------------------------------


def _clean(text: str) -> str:
    return _UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _title(doc: IncidentReportDocument) -> str:
    return f"{_('Incident analysis report')} {_clean(doc.ticket_number)}"


def _facts(doc: IncidentReportDocument) -> list[tuple[str, str]]:
    """(label, value) rows of the facts table; empty values shown as a dash."""
    rows = [
        (_("Ticket"), f"{doc.ticket_number} {doc.ticket_title}"),
        (_("Organisation"), doc.organisation),
        (_("Project"), doc.project),
        (_("Product"), doc.product),
        (_("Severity"), doc.severity),
        (_("Registered at"), _when(doc.registered_at)),
        (_("Closed at"), _when(doc.closed_at)),
        (_("Filled in by"), doc.author),
        (_("Last updated"), _when(doc.updated_at)),
    ]
    return [(label, _clean(value) or EMPTY) for label, value in rows]


def _sections(doc: IncidentReportDocument) -> list[tuple[str, str]]:
    """(heading, text) of the report's sections, in the order of the paper form."""
    rows = [
        (_("What happened"), doc.what_happened),
        (_("Cause"), doc.cause),
        (_("Solution"), doc.solution),
        (_("Responsible person"), doc.responsible_person),
        (_("Improvement actions"), doc.improvements),
    ]
    return [(heading, _clean(text) or EMPTY) for heading, text in rows]


# --- Word -----------------------------------------------------------------------------


def incident_report_docx(doc: IncidentReportDocument) -> bytes:
    """The report as .docx bytes, in the active language and time zone."""
    document = Document()
    _docx_prepare_styles(document)
    document.core_properties.title = _title(doc)
    document.core_properties.author = _clean(doc.author)
    _docx_run(document.add_heading(level=0), _title(doc))
    facts = _facts(doc)
    _docx_facts(document.add_table(rows=len(facts), cols=2), facts)
    for heading, text in _sections(doc):
        _docx_run(document.add_heading(level=1), heading)
        _docx_run(document.add_paragraph(), text)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_fonts(rpr: CT_RPr) -> None:
    """Explicit Latin and East Asian fonts; theme fonts would win over them, so drop those."""
    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)


def _docx_prepare_styles(document: DocxDocument) -> None:
    for name in ("Normal", "Title", "Heading 1"):
        _docx_fonts(document.styles[name].element.get_or_add_rPr())


def _docx_run(paragraph: DocxParagraph, text: str, *, bold: bool = False) -> None:
    """Add ``text`` as one run; python-docx turns each newline into a ``<w:br/>``."""
    run = paragraph.add_run(text)
    run.bold = bold or None
    _docx_fonts(run._r.get_or_add_rPr())


def _docx_facts(table: DocxTable, facts: list[tuple[str, str]]) -> None:
    table.style = "Table Grid"
    widths = (Cm(3.5), Cm(12.5))  # grid columns for LibreOffice, cell widths for Word
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row, (label, value) in zip(table.rows, facts, strict=True):
        cells = row.cells
        cells[0].width, cells[1].width = widths
        _docx_run(cells[0].paragraphs[0], label, bold=True)
        _docx_run(cells[1].paragraphs[0], value)


# --- PDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PdfStyles:
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    label: ParagraphStyle


def incident_report_pdf(doc: IncidentReportDocument) -> bytes:
    """The report as A4 PDF bytes, in the active language and time zone."""
    buffer = BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=_title(doc),
        author=_clean(doc.author),
        creator="campusdesk",
    )
    footer = _pdf_footer(_clean(doc.ticket_number), _("Page %(number)s"))
    template.build(_pdf_story(doc, _pdf_styles()), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


@cache
def _pdf_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def _pdf_styles() -> _PdfStyles:
    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=_pdf_font(), fontSize=size, leading=size * 1.5, wordWrap="CJK", **extra
        )

    navy = colors.HexColor("#1f3a5f")
    return _PdfStyles(
        title=style("title", 18, alignment=1, spaceAfter=12, textColor=navy),
        heading=style("heading", 13, spaceBefore=12, spaceAfter=4, textColor=navy),
        body=style("body", 10.5),
        label=style("label", 10.5, textColor=colors.HexColor("#333333")),
    )


def _pdf_markup(text: str) -> str:
    """Paragraph markup that shows ``text`` literally, line breaks included."""
    text = _OUTSIDE_BMP.sub(_PDF_MISSING_GLYPH, text.replace("\t", "    "))
    return escape(text).replace("\n", "<br/>")


def _pdf_story(doc: IncidentReportDocument, styles: _PdfStyles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_pdf_markup(_title(doc)), styles.title),
        _pdf_facts(_facts(doc), styles),
    ]
    for heading, text in _sections(doc):
        story.append(Paragraph(_pdf_markup(heading), styles.heading))
        story.append(Paragraph(_pdf_markup(text), styles.body))
    story.append(Spacer(1, 0.5 * cm))
    return story


def _pdf_facts(facts: list[tuple[str, str]], styles: _PdfStyles) -> Table:
    rows = [
        [Paragraph(_pdf_markup(label), styles.label), Paragraph(_pdf_markup(value), styles.body)]
        for label, value in facts
    ]
    table = Table(rows, colWidths=[3.5 * cm, A4[0] - 4 * cm - 3.5 * cm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _pdf_footer(ticket_number: str, page_label: str) -> Callable[[Any, Any], None]:
    """Draws the ticket number and the page number at the foot of every page."""
    safe_number = _OUTSIDE_BMP.sub(_PDF_MISSING_GLYPH, ticket_number)

    def draw(canvas: Any, template: Any) -> None:
        canvas.saveState()
        canvas.setFont(_pdf_font(), 8)
        canvas.drawString(2 * cm, 1.2 * cm, safe_number)
        page = page_label % {"number": canvas.getPageNumber()}
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, page)
        canvas.restoreState()

    return draw
