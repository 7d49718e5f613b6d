"""The service report as an xlsx workbook (openpyxl) and a PDF (reportlab) with charts.

Both read the same ``report.as_dict()`` figures the JSON and the page show. Every text
cell of the workbook goes through ``safe_cell``: a spreadsheet never runs a value that
starts like a formula (=, +, -, @, tab, carriage return), and characters that XML
cannot hold are dropped.
"""

from __future__ import annotations

import re
from functools import cache
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from campusdesk.reports import availability, charts, routine_work, satisfaction
from campusdesk.reports import report as reports
from campusdesk.tickets.models import Channel, OutOfScopeType, ServiceType, Status, Tier

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")
PDF_FONT = "STSong-Light"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as it is: text that could start a formula gets a
    leading apostrophe (OWASP's advice); numbers stay numbers."""
    if value is None or isinstance(value, int | float):
        return value
    text = _XML_UNSAFE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def filename(data: dict[str, Any], extension: str) -> str:
    """``service-report-<project or organisation id>-<period>.<ext>`` in ASCII."""
    owner = data["project"]["id"] if data["project"] else f"org{data['organisation']['id']}"
    period = re.sub(r"[^A-Za-z0-9-]+", "_", data["period"]["key"])
    return f"service-report-{owner}-{period}.{extension}"


def title(data: dict[str, Any]) -> str:
    owner = data["project"]["name"] if data["project"] else data["organisation"]["name"]
    return _("Service report %(period)s: %(owner)s") % {
        "period": data["period"]["key"],
        "owner": owner,
    }


def trend_names() -> tuple[str, str]:
    """The trend's two series: how many were registered and closed in each day or week."""
    return pgettext("trend count", "Registered"), pgettext("trend count", "Closed")


def trend_period_name(unit: str) -> str:
    """The trend's first column: a day, or the Monday a week begins."""
    return _("Day") if unit == "day" else _("Week beginning")


def summary_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The headline figures, labelled: the first sheet, the PDF's first table, the page."""
    k = data["kpis"]

    def pct(name: str) -> Any:
        return k[name]["percent"]

    times = k["times_hours"]
    return [
        (_("Organisation"), data["organisation"]["name"]),
        (_("Project"), data["project"]["name"] if data["project"] else "—"),
        (_("Period"), f"{data['period']['from']} – {data['period']['to']}"),
        (_("Requests"), k["total"]),
        (_("Closed"), k["closed"]),
        (_("Open"), k["open"]),
        (_("Withdrawn"), k["withdrawn"]),
        (_("Accepted within 24 h (%)"), pct("acceptance_within_24h")),
        (_("Responded within the SIS target (%)"), pct("response_within_target")),
        (_("Resolved within the SIS target (%)"), pct("resolution_within_target")),
        (_("Resolved by the committed time (%)"), pct("resolution_by_commitment")),
        (_("Commitment changes"), k["commitment_changes"]),
        (_("Median resolution time (h)"), times["resolution"]["median"]),
        (_("90th percentile resolution time (h)"), times["resolution"]["p90"]),
        (_("Average rating"), k["rating"]["average"]),
        (_("Ratings"), k["rating"]["count"]),
        (_("Rejection rate (%)"), k["rejection_rate"]),
        (_("Urges"), k["urges"]),
        (_("Complaints"), data["complaints"]),
        (_("Escalations"), k["escalations"]),
        (_("Confirmed workload (h)"), float(data["workload"]["hours"])),
        (_("Out-of-scope tickets"), data["workload"]["out_of_scope_tickets"]),
        *(
            (
                _("Service hours: %(project)s") % {"project": b["project"]},
                _("%(used)s of %(budget)s h used (%(percent)d %%), %(balance)s h left") % b,
            )
            for b in data["workload"].get("budgets", [])
        ),
        (_("Out-of-scope workload (h)"), float(data["workload"]["out_of_scope_hours"])),
    ]


# --- xlsx -----------------------------------------------------------------------------
def _sheet(book: Workbook, name: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(name[:31])
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 24


def _availability_sheet(book: Workbook, data: dict[str, Any]) -> None:
    _tables_sheet(book, _("Availability"), availability.tables(data["availability"]))


def _routine_sheet(
    book: Workbook, tables: list[availability.Table], name: str | None = None
) -> None:
    """The runs under their column names (the sheet's first row), then the findings under
    their heading (and so the satisfaction surveys, then their questions' averages)."""
    runs, findings = tables
    sheet = book.create_sheet((name or _("Routine work"))[:31])
    for line in [runs.header, *(runs.rows or [[runs.empty]])]:
        sheet.append([safe_cell(v) for v in line])
    sheet.append([])
    sheet.append([safe_cell(findings.title)])
    for line in [findings.header, *(findings.rows or [[findings.empty]])]:
        sheet.append([safe_cell(v) for v in line])
    for row in (sheet[1], sheet[sheet.max_row - max(len(findings.rows), 1)]):
        for cell in row:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36


def _tables_sheet(book: Workbook, name: str, tables: list[availability.Table]) -> None:
    """The tables one under the other, each under its bold heading."""
    sheet = book.create_sheet(name[:31])
    if not tables:
        sheet.append([safe_cell(availability.no_probes())])
    for table in tables:
        sheet.append([safe_cell(table.title)])
        sheet.append([safe_cell(h) for h in table.header])
        for row in sheet.iter_rows(min_row=sheet.max_row - 1, max_row=sheet.max_row):
            for cell in row:
                cell.font = Font(bold=True)
        for line in table.rows or [[table.empty]]:
            sheet.append([safe_cell(v) for v in line])
        sheet.append([])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 24


def xlsx(data: dict[str, Any], requests: list[dict[str, Any]]) -> bytes:
    """The workbook: summary, totals, trend, recurring problems, suggestions, out-of-scope
    billing, availability, and every request of the period."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, _("Summary"), [_("Figure"), _("Value")], [list(r) for r in summary_rows(data)])
    titles = reports.dimension_titles()
    totals = [
        [titles[name], line["label"], line["count"]]
        for name, lines in data["totals"].items()
        for line in lines
    ]
    _sheet(book, _("Totals"), [_("Dimension"), _("Value"), _("Requests")], totals)
    trend = [[p["date"], p["registered"], p["closed"]] for p in data["trend"]["points"]]
    _sheet(book, _("Trend"), [trend_period_name(data["trend"]["unit"]), *trend_names()], trend)
    recurring = data["recurring"]
    rows = [[_("Tag"), t["label"], t["count"]] for t in recurring["tags"]]
    rows += [[_("Root cause"), c["label"], c["count"]] for c in recurring["root_causes"]]
    rows += [[_("Similar problems"), g["title"], g["count"]] for g in recurring["similar"]]
    _sheet(book, _("Recurring problems"), [_("Kind"), _("Problem"), _("Tickets")], rows)
    advice = [
        [s["text"], "; ".join(f"{f['label']}: {f['value']}" for f in s["figures"])]
        for s in data["suggestions"]
    ]
    _sheet(book, _("Suggestions"), [_("Suggestion"), _("Supporting figures")], advice)
    work = data["workload"]
    billing = [
        [i["number"], i["title"], _change_label(i["change"]), float(i["hours"])]
        for i in work["out_of_scope_items"]
    ]
    billing += [[_("Total"), "", "", float(work["out_of_scope_hours"])]]
    _sheet(
        book,
        _("Out-of-scope billing"),
        [_("Number"), _("Title"), pgettext("out-of-scope work", "Change"), _("Hours")],
        billing,
    )
    _routine_sheet(book, satisfaction.tables(data["satisfaction"]), _("Satisfaction surveys"))
    _availability_sheet(book, data)
    _routine_sheet(book, routine_work.tables(data["routine_work"]))
    _sheet(book, _("All requests"), REQUEST_HEADER(), [_request_row(r) for r in requests])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _change_label(key: str) -> str:
    return str(dict(OutOfScopeType.choices).get(key, key))


def _label(choices: type[Any], value: Any) -> Any:
    """The label of a stored choice, as every page shows it; an unknown value as it is."""
    return str(dict(choices.choices).get(value, value)) if value not in (None, "") else value


def REQUEST_HEADER() -> list[str]:  # noqa: N802 - a translated constant
    return [
        _("Number"),
        _("Title"),
        _("Registered at"),
        _("Service type"),
        _("Severity"),
        _("Channel"),
        _("Status"),
        _("Tier"),
        _("Rating"),
        _("Workload (h)"),
    ]


def _request_row(row: dict[str, Any]) -> list[Any]:
    when = timezone.localtime(row["created_at"]).strftime("%Y-%m-%d %H:%M")
    hours = row["workload_hours"]
    return [
        row["number"],
        row["title"],
        when,
        _label(ServiceType, row["service_type"]),
        row["severity"],
        _label(Channel, row["channel"]),
        _label(Status, row["status"]),
        _label(Tier, row["tier"]),
        row["rating"],
        float(hours) if hours is not None else None,
    ]


REQUEST_FIELDS = (
    "number",
    "title",
    "created_at",
    "service_type",
    "severity",
    "channel",
    "status",
    "tier",
    "rating",
    "workload_hours",
)


# --- pdf --------------------------------------------------------------------------------
@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def _text(value: Any) -> str:
    text = _OUTSIDE_BMP.sub("□", _XML_UNSAFE.sub("", "—" if value is None else str(value)))
    return escape(text).replace("\n", "<br/>")


def _styles() -> dict[str, ParagraphStyle]:
    navy = colors.HexColor("#1f3a5f")

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=_font(), fontSize=size, leading=size * 1.45, wordWrap="CJK", **extra
        )

    return {
        "title": style("title", 17, alignment=1, spaceAfter=10, textColor=navy),
        "h": style("h", 12.5, spaceBefore=10, spaceAfter=4, textColor=navy),
        "body": style("body", 9.5),
    }


def _table(rows: list[list[Any]], widths: list[float], st: dict[str, ParagraphStyle]) -> Table:
    cells = [[Paragraph(_text(v), st["body"]) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(chart: charts.Chart, st: dict[str, ParagraphStyle]) -> Flowable:
    """A chart as the page draws it, its summary (the text alternative) under it."""
    drawn = charts.drawing(chart, _font(), clean=lambda text: _OUTSIDE_BMP.sub("□", text))
    return KeepTogether([drawn, Paragraph(_text(chart.summary), st["body"]), Spacer(1, 6)])


def _story(data: dict[str, Any]) -> list[Flowable]:
    st = _styles()
    usable = A4[0] - 4 * cm
    story: list[Flowable] = [Paragraph(_text(title(data)), st["title"])]
    story.append(
        _table(
            [[_("Figure"), _("Value")], *[list(r) for r in summary_rows(data)]],
            [usable * 0.6, usable * 0.4],
            st,
        )
    )
    drawn = {c.key: _chart(c, st) for c in charts.for_report(data, reports.dimension_titles())}
    story += [Paragraph(_text(_("Trend")), st["h"]), drawn["trend"]]
    story.append(Paragraph(_text(_("All requests of the period")), st["h"]))
    story += [drawn[name] for name in (*charts.DIMENSIONS, "attainment")]
    story += [Paragraph(_text(_("Satisfaction")), st["h"]), drawn["ratings"]]
    story += _tables_story(satisfaction.tables(data["satisfaction"]), usable, st)
    story += _availability_story(data["availability"], usable, st)
    story += _tables_story(routine_work.tables(data["routine_work"]), usable, st)
    recurring = data["recurring"]
    rows = [[_("Tag"), t["label"], t["count"]] for t in recurring["tags"]]
    rows += [[_("Root cause"), c["label"], c["count"]] for c in recurring["root_causes"]]
    rows += [[_("Similar problems"), g["title"], g["count"]] for g in recurring["similar"]]
    story += [
        Paragraph(_text(_("Recurring problems")), st["h"]),
        _table(
            [[_("Kind"), _("Problem"), _("Tickets")], *rows],
            [usable * 0.2, usable * 0.65, usable * 0.15],
            st,
        ),
    ]
    advice = [
        [s["text"], "; ".join(f"{f['label']}: {f['value']}" for f in s["figures"])]
        for s in data["suggestions"]
    ] or [[_("No suggestion: the figures are fine."), ""]]
    story += [
        Paragraph(_text(_("Improvement suggestions")), st["h"]),
        _table(
            [[_("Suggestion"), _("Supporting figures")], *advice],
            [usable * 0.65, usable * 0.35],
            st,
        ),
    ]
    work = data["workload"]
    billing = [
        [line["label"], line["count"], line.get("hours", "0")] for line in work["out_of_scope"]
    ]
    billing.append([_("Total"), work["out_of_scope_tickets"], work["out_of_scope_hours"]])
    widths = [usable * 0.6, usable * 0.2, usable * 0.2]
    story += [
        Paragraph(_text(_("Out-of-scope billing")), st["h"]),
        _table(
            [[pgettext("out-of-scope work", "Change"), _("Tickets"), _("Hours")], *billing],
            widths,
            st,
        ),
        Spacer(1, 0.4 * cm),
    ]
    return story


def _availability_story(
    data: dict[str, Any], usable: float, st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    tables = availability.tables(data)
    if not tables:
        return [
            Paragraph(_text(_("Availability")), st["h"]),
            Paragraph(_text(availability.no_probes()), st["body"]),
        ]
    return _tables_story(tables, usable, st)


def _tables_story(
    tables: list[availability.Table], usable: float, st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = []
    for table in tables:
        story.append(Paragraph(_text(table.title), st["h"]))
        if not table.rows:
            story.append(Paragraph(_text(table.empty), st["body"]))
            continue
        width = usable / (len(table.header) + 0.6)  # the system's name a little wider
        widths = [width * 1.6] + [width] * (len(table.header) - 1)
        story.append(_table([table.header, *table.rows], widths, st))
    return story


def pdf(data: dict[str, Any]) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
        title=title(data),
        author="campusdesk",
    )
    label = _("Page %(number)d")

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.drawString(2 * cm, 1.1 * cm, _OUTSIDE_BMP.sub("□", title(data)))
        canvas.drawRightString(A4[0] - 2 * cm, 1.1 * cm, label % {"number": canvas.getPageNumber()})
        canvas.restoreState()

    document.build(_story(data), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
