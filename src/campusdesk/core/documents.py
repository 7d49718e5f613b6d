"""What Word and PDF documents in Chinese need, whatever they say: fonts and clean text.

PDF: reportlab's Adobe-GB1 CID font STSong-Light (the reader supplies the glyphs, nothing
is embedded). It is addressed through a UCS-2 CMap, so a character outside the BMP would
become a surrogate pair that garbles the rest of the line: it is shown as □ instead.
Word: a run names its Latin and East Asian fonts itself; theme fonts would win over them.
Both: characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

PDF_CJK_FONT = "STSong-Light"
DOCX_FONTS = {"ascii": "Times New Roman", "hAnsi": "Times New Roman", "eastAsia": "宋体"}
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
#: the width between the margins of an A4 page
A4_WIDTH = A4[0] - 4 * cm


def clean(value: object) -> str:
    """``value`` as text a document holds: "" for None, one kind of line ending."""
    text = "" if value is None else str(value)
    return _NOT_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


@cache
def pdf_cjk_font() -> str:
    """The registered name of the PDF font for Chinese text."""
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_CJK_FONT))
    return PDF_CJK_FONT


def pdf_text(value: object) -> str:
    """Text the CJK font can draw (for canvas strings)."""
    return _BEYOND_BMP.sub("□", clean(value))


def pdf_markup(value: object) -> str:
    """reportlab Paragraph markup showing ``value`` literally, its line breaks kept."""
    return escape(pdf_text(value).replace("\t", "    ")).replace("\n", "<br/>")


def docx_fonts(rpr: CT_RPr) -> None:
    """Name the fonts on a style's or a run's properties, dropping the theme's."""
    fonts = rpr.get_or_add_rFonts()
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for script, font in DOCX_FONTS.items():
        fonts.set(qn(f"w:{script}"), font)


def pdf_styles() -> dict[str, ParagraphStyle]:
    """``title``, ``heading`` and ``text`` in the CJK font, lines broken between characters."""
    navy = colors.HexColor("#1f3a5f")

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        font = pdf_cjk_font()
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.45, wordWrap="CJK", **extra
        )

    return {
        "title": style("title", 17, alignment=1, spaceAfter=10, textColor=navy),
        "heading": style("heading", 12.5, spaceBefore=10, spaceAfter=4, textColor=navy),
        "text": style("text", 9),
    }


def pdf_table(
    rows: Sequence[Sequence[object]], shares: Sequence[float], style: ParagraphStyle
) -> Table:
    """A ruled table whose first row is its header (repeated on each page); ``shares`` are
    the columns' parts of the page width."""
    cells = [[Paragraph(pdf_markup(value), style) for value in row] for row in rows]
    table = Table(cells, colWidths=[A4_WIDTH * s for s in shares], hAlign="LEFT", repeatRows=1)
    rules = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    table.setStyle(TableStyle(rules))
    return table


def pdf_a4(story: list[Flowable], title: str) -> bytes:
    """``story`` on A4 pages, each with ``title`` and its number at the foot."""
    buffer = BytesIO()
    label = pdf_text(title)

    def foot(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(pdf_cjk_font(), 8)
        canvas.drawString(2 * cm, 1.1 * cm, label)
        page = _("Page %(number)s") % {"number": canvas.getPageNumber()}
        canvas.drawRightString(A4[0] - 2 * cm, 1.1 * cm, page)
        canvas.restoreState()

    margins = {"leftMargin": 2 * cm, "rightMargin": 2 * cm, "topMargin": 1.8 * cm}
    SimpleDocTemplate(
        buffer, pagesize=A4, bottomMargin=1.8 * cm, title=label, author="campusdesk", **margins
    ).build(story, onFirstPage=foot, onLaterPages=foot)
    return buffer.getvalue()


# --- documents made of blocks: title, headings, texts, facts and tables --------------
@dataclass(frozen=True)
class Grid:
    """A table: its header, its rows, and each column's share of the width."""

    header: list[str]
    rows: list[list[str]]
    shares: tuple[float, ...]


#: ("title" | "heading" | "text", str), ("facts", [(label, value)]) or ("grid", Grid)
Block = tuple[str, Any]


# --- Word -------------------------------------------------------------------------------
def _docx_text(paragraph: Any, text: str, *, bold: bool = False) -> None:
    run = paragraph.add_run(clean(text))
    run.bold = bold or None
    docx_fonts(run._r.get_or_add_rPr())


def _docx_table(document: DocxDocument, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1 + max(len(rows), 1), cols=len(header))
    table.style = "Table Grid"
    body = rows or [[_("None")] + [""] * (len(header) - 1)]
    for row, values in zip(table.rows, [header, *body], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            _docx_text(cell.paragraphs[0], value, bold=values is header)


def _docx_block(document: DocxDocument, kind: str, content: Any) -> None:
    if kind == "title":
        _docx_text(document.add_heading(level=0), content)
    elif kind == "heading":
        _docx_text(document.add_heading(level=1), content)
    elif kind == "text":
        _docx_text(document.add_paragraph(), content)
    elif kind == "facts":
        _docx_facts(document, content)
    else:
        _docx_table(document, content.header, content.rows)


def _docx_facts(document: DocxDocument, facts: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=len(facts), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, facts, strict=True):
        row.cells[0].width, row.cells[1].width = Cm(4), Cm(12)
        _docx_text(row.cells[0].paragraphs[0], label, bold=True)
        _docx_text(row.cells[1].paragraphs[0], value)


def blocks_docx(blocks: list[Block], title: str) -> bytes:
    """``blocks`` laid out as a Word document (.docx bytes)."""
    document = Document()
    for style in ("Normal", "Title", "Heading 1"):
        docx_fonts(document.styles[style].element.get_or_add_rPr())
    document.core_properties.title = title
    document.core_properties.author = "campusdesk"
    for kind, content in blocks:
        _docx_block(document, kind, content)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------
def _pdf_block(kind: str, content: Any, st: dict[str, ParagraphStyle]) -> Flowable:
    if kind in st:
        return Paragraph(pdf_markup(content), st[kind])
    if kind == "facts":
        return pdf_table(content, (0.25, 0.75), st["text"])
    rows = content.rows or [[_("None")] + [""] * (len(content.header) - 1)]
    return pdf_table([content.header, *rows], content.shares, st["text"])


def blocks_pdf(blocks: list[Block], title: str) -> bytes:
    """``blocks`` laid out on A4 pages (PDF bytes)."""
    st = pdf_styles()
    return pdf_a4([_pdf_block(kind, content, st) for kind, content in blocks], title)
