"""Charts drawn on the server, the same in the page and in the PDF: one chart model, one
layout into shapes, two renderers (inline SVG; a reportlab drawing).

No JavaScript library and no CDN (R-Q-2): the page works on a campus intranet.

1. Colour means something: a severity level always has its colour (``SEVERITY_COLOURS``;
   SIS1 the same red in every chart and report, whatever its rank); a chart of one measure
   has one colour; the trend's two series have theirs.
2. Every chart has a visible title with its unit (个, %), values written with their unit,
   and a text alternative: ``<title>`` and ``<desc>`` (role="img") in the SVG, the
   ``summary`` beside it in the page and under it in the PDF.
3. Nothing is clipped: the layout measures every label (the PDF with the font's own
   widths; the SVG with an estimate, a wide (CJK) character 1 em and any other 0.62 em),
   sizes the label column to the longest, and shortens (…) only what exceeds half the
   width; the full text stays in the tooltip and the text alternative.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics import shapes as pdf
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

#: one colour per severity level, in every chart of the page and the PDF
SEVERITY_COLOURS = {"SIS1": "#c62828", "SIS2": "#e65100", "SIS3": "#1565c0"}
#: a chart of one measure (requests per service type, status, ...)
NEUTRAL = "#546e7a"
REGISTERED, CLOSED = "#455a64", "#2e7d32"
TEXT, GRID = "#1f2328", "#d0d7de"

WIDTH, PAD = 480, 8
TITLE_SIZE, FONT_SIZE, ROW = 13, 12, 24

#: width of ``text`` at ``size``
Measure = Callable[[str, float], float]


def estimate(text: str, size: float) -> float:
    """The width of ``text`` in a browser's sans-serif font, erring wide: a wide (CJK)
    character is 1 em, any other 0.62 em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)


def severity_colour(key: str) -> str:
    return SEVERITY_COLOURS.get(key, NEUTRAL)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = NEUTRAL


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[int]


@dataclass
class Chart:
    """A bar chart (``bars``) or a column chart over ``categories`` (``series``)."""

    key: str
    title: str
    unit: str
    bars: list[Bar] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    summary: str = ""

    @property
    def heading(self) -> str:
        return _("%(title)s (%(unit)s)") % {"title": self.title, "unit": self.unit}

    def value_text(self, value: float) -> str:
        shown = f"{value:g}"
        return f"{shown}%" if self.unit == "%" else f"{shown} {self.unit}"

    def pair(self, label: str, value: float) -> str:
        return _pair(label, self.value_text(value))

    @property
    def description(self) -> str:
        """Every value, in words: the text alternative."""
        between, comma = pgettext("list separator", "; "), pgettext("list separator", ", ")
        if self.bars:
            return between.join(self.pair(b.label, b.value) for b in self.bars)
        return between.join(
            _pair(
                s.name,
                comma.join(f"{c} {v}" for c, v in zip(self.categories, s.values, strict=True)),
            )
            for s in self.series
        )


def _pair(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


# --- shapes -------------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tip: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = FONT_SIZE
    anchor: str = "start"  # start, middle, end
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float


Shape = Rect | Text | Rule


def _fit(text: str, room: float, size: float, measure: Measure) -> str:
    if measure(text, size) <= room:
        return text
    while text and measure(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def layout(chart: Chart, measure: Measure) -> tuple[float, list[Shape]]:
    """The height of ``chart`` and its shapes, top-left origin, ``WIDTH`` wide."""
    title = Text(
        PAD,
        PAD + TITLE_SIZE,
        _fit(chart.heading, WIDTH - 2 * PAD, TITLE_SIZE, measure),
        TITLE_SIZE,
        bold=True,
    )
    top = PAD + TITLE_SIZE + 10
    height, shapes = (_bars if chart.bars or not chart.series else _columns)(chart, measure, top)
    return height, [title, *shapes]


def _bars(chart: Chart, measure: Measure, top: float) -> tuple[float, list[Shape]]:
    bars = chart.bars or [Bar("—", 0)]
    labels = [_fit(b.label, (WIDTH - 2 * PAD) / 2, FONT_SIZE, measure) for b in bars]
    label_w = max(measure(label, FONT_SIZE) for label in labels)
    value_w = max(measure(chart.value_text(b.value), FONT_SIZE) for b in bars)
    x0 = PAD + label_w + 8
    room = WIDTH - PAD - value_w - 6 - x0
    most = max((b.value for b in bars), default=0) or 1
    shapes: list[Shape] = []
    for index, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        y = top + ROW * index
        w = room * bar.value / most
        shapes += [
            Text(PAD + label_w, y + 16, label, anchor="end"),
            Rect(x0, y + 5, w, ROW - 10, bar.colour, chart.pair(bar.label, bar.value)),
            Text(x0 + w + 6, y + 16, chart.value_text(bar.value)),
        ]
    return top + ROW * len(bars) + PAD, shapes


def _nice_max(value: int) -> int:
    """A round top for the axis, at least ``value``, in five steps."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step * 5:
            return step * 5
    return value


def _columns(chart: Chart, measure: Measure, top: float) -> tuple[float, list[Shape]]:
    """Grouped columns per category, a legend under the title, the unit over the axis."""
    shapes: list[Shape] = []
    x: float = PAD
    for series in chart.series:  # the legend
        shapes += [Rect(x, top, 10, 10, series.colour), Text(x + 14, top + 10, series.name)]
        x += 14 + measure(series.name, FONT_SIZE) + 16
    top += 10 + 18
    shapes.append(Text(PAD, top + FONT_SIZE, chart.unit))  # over the axis
    top += FONT_SIZE + 12
    plot_h = 140
    top_value = _nice_max(max((max(s.values, default=0) for s in chart.series), default=0))
    ticks = [round(top_value * i / 5) for i in range(6)]
    left = PAD + max(measure(str(t), FONT_SIZE) for t in ticks) + 6
    for i, tick in enumerate(ticks):
        y = top + plot_h - plot_h * i / 5
        shapes += [Rule(left, y, WIDTH - PAD, y), Text(left - 4, y + 4, str(tick), anchor="end")]
    count = max(len(chart.categories), 1)
    slot = (WIDTH - PAD - left) / count
    bar = slot / (len(chart.series) + 1)
    widest = max((measure(c, FONT_SIZE) for c in chart.categories), default=0)
    every = max(1, math.ceil((widest + 6) / slot))
    labelled = 0.0  # where the last category label ends: the next keeps clear of it
    for index, category in enumerate(chart.categories):
        x0 = left + slot * index
        for s, series in enumerate(chart.series):
            h = plot_h * series.values[index] / top_value
            tip = chart.pair(f"{category} {series.name}", series.values[index])
            shapes.append(Rect(x0 + bar * (s + 0.5), top + plot_h - h, bar, h, series.colour, tip))
        centre = min(max(x0 + slot / 2, PAD + widest / 2), WIDTH - PAD - widest / 2)
        if index % every == 0 and centre - widest / 2 >= labelled + 6:
            shapes.append(Text(centre, top + plot_h + 16, category, anchor="middle"))
            labelled = centre + widest / 2
    return top + plot_h + 16 + PAD, shapes


# --- SVG ------------------------------------------------------------------------------
def svg(chart: Chart) -> SafeString:
    """The chart as inline SVG, drawn at its own size (CSS only shrinks it on a phone)."""
    height, shapes = layout(chart, estimate)
    ids = f"chart-{chart.key}-title chart-{chart.key}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" class="chart" role="img" aria-labelledby="{ids}" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="chart-{chart.key}-title">{escape(chart.heading)}</title>'
        f'<desc id="chart-{chart.key}-desc">{escape(chart.description)}</desc>'
    ]
    parts += [_svg_shape(shape) for shape in shapes]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        tip = f"<title>{escape(shape.tip)}</title>" if shape.tip else ""
        return (
            f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" '
            f'height="{shape.h:.1f}" fill="{shape.fill}">{tip}</rect>'
        )
    if isinstance(shape, Rule):
        return (
            f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
            f'y2="{shape.y2:.1f}" stroke="{GRID}" stroke-width="0.5"/>'
        )
    weight = ' font-weight="bold"' if shape.bold else ""
    return (
        f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size}" '
        f'text-anchor="{shape.anchor}"{weight}>{escape(shape.text)}</text>'
    )


# --- reportlab --------------------------------------------------------------------------
def drawing(chart: Chart, font: str, clean: Callable[[str], str] = str) -> pdf.Drawing:
    """The chart as a reportlab Drawing in ``font`` (points: the SVG's pixels), measured with
    the font's own widths; ``clean`` replaces what the font cannot draw."""

    def measure(text: str, size: float) -> float:
        return float(stringWidth(clean(text), font, size))

    height, shapes = layout(chart, measure)
    result = pdf.Drawing(WIDTH, height)
    for shape in shapes:  # reportlab's origin is at the bottom: y is turned over
        if isinstance(shape, Text):
            shape = replace(shape, text=clean(shape.text))
        result.add(_pdf_shape(shape, height, font))
    return result


def _pdf_shape(shape: Shape, height: float, font: str) -> Any:
    if isinstance(shape, Rect):
        fill = colors.HexColor(shape.fill)
        y = height - shape.y - shape.h
        return pdf.Rect(shape.x, y, shape.w, shape.h, fillColor=fill, strokeColor=None)
    if isinstance(shape, Rule):
        grid = colors.HexColor(GRID)
        y1, y2 = height - shape.y1, height - shape.y2
        return pdf.Line(shape.x1, y1, shape.x2, y2, strokeColor=grid, strokeWidth=0.5)
    return pdf.String(
        shape.x,
        height - shape.y,
        shape.text,
        fontSize=shape.size,
        fontName=font,
        fillColor=colors.HexColor(TEXT),
        textAnchor=shape.anchor,
    )


# --- the service report's charts ------------------------------------------------------
#: the totals drawn as charts, in this order
DIMENSIONS = ("severity", "service_type", "status", "channel", "product")


def _count_unit() -> str:
    return pgettext("chart unit", "requests")


def for_report(data: dict[str, Any], titles: dict[str, str]) -> list[Chart]:
    """The charts of a service report (``report.as_dict``), the page's and the PDF's alike;
    ``titles``: the names of the dimensions."""
    unit = _count_unit()
    charts = [_trend(data, unit)]
    for name in DIMENSIONS:
        colour: Callable[[str], str] = severity_colour if name == "severity" else lambda _k: NEUTRAL
        bars = [
            Bar(line["label"], line["count"], colour(line["key"] or ""))
            for line in data["totals"][name]
        ]
        title = _("Requests by %(dimension)s") % {"dimension": titles[name]}
        charts.append(Chart(name, title, unit, bars=bars))
    attained = [
        Bar(row["severity"] or "—", row["resolution"], severity_colour(row["severity"]))
        for row in data["severity_attainment"]
        if row["resolution"] is not None
    ]
    title = _("Resolved within the SIS target, per severity")
    charts.append(Chart("attainment", title, "%", bars=attained))
    ratings = data["kpis"]["rating"]["distribution"]
    stars = [Bar(_("%(n)s stars") % {"n": n}, ratings[str(n)]) for n in range(5, 0, -1)]
    charts.append(
        Chart("ratings", _("Ratings by stars"), pgettext("chart unit", "ratings"), bars=stars)
    )
    for chart in charts:
        chart.summary = chart.summary or chart.description
    return charts


def _trend(data: dict[str, Any], unit: str) -> Chart:
    points = data["trend"]["points"]
    weekly = data["trend"]["unit"] == "week"
    registered = Series(
        pgettext("trend count", "Registered"), REGISTERED, [p["registered"] for p in points]
    )
    closed = Series(pgettext("trend count", "Closed"), CLOSED, [p["closed"] for p in points])
    title = (
        _("Requests registered and closed per week")
        if weekly
        else _("Requests registered and closed per day")
    )
    chart = Chart(
        "trend",
        title,
        unit,
        categories=[p["date"][5:] for p in points],
        series=[registered, closed],
    )
    busiest = max(points, key=lambda p: p["registered"], default=None)
    chart.summary = _("%(registered)s registered and %(closed)s closed in the period.") % {
        "registered": chart.value_text(sum(registered.values)),
        "closed": chart.value_text(sum(closed.values)),
    }
    if busiest is not None and busiest["registered"]:
        chart.summary += " " + _("Most registered on %(date)s: %(count)s.") % {
            "date": busiest["date"],
            "count": chart.value_text(busiest["registered"]),
        }
    return chart
