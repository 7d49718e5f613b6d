"""Charts drawn on the server: inline SVG for the page, reportlab drawings for the PDF.

No JavaScript library and no CDN (R-Q-2): the page works on a campus intranet.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#57606a")


def _nice_max(value: int) -> int:
    """A round top for the axis, at least ``value``."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step * 5:
            return max(step * 5, 1)
    return value


def trend_svg(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
              width: int = 760, height: int = 220) -> SafeString:  # fmt: skip
    """Grouped columns per label (e.g. registered and closed per day), with a legend."""
    left, bottom, top = 36, 34, 22
    plot_w, plot_h = width - left - 8, height - bottom - top
    top_value = _nice_max(max((max(v, default=0) for _n, v in series), default=0))
    slot = plot_w / max(len(labels), 1)
    bar = max(slot / (len(series) + 1), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img">'
    ]
    for i in range(6):
        y = top + plot_h - plot_h * i / 5
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" '
                     f'stroke="#d0d7de" stroke-width="0.5"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end">'
                     f"{round(top_value * i / 5)}</text>")  # fmt: skip
    every = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        x0 = left + slot * index
        for s, (name, values) in enumerate(series):
            value = values[index]
            h = plot_h * value / top_value
            parts.append(
                f'<rect x="{x0 + bar * (s + 0.5):.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(label)} {escape(name)}: {value}</title></rect>"
            )
        if index % every == 0:
            parts.append(f'<text x="{x0 + slot / 2:.1f}" y="{height - bottom + 14}" '
                         f'font-size="9" text-anchor="middle">{escape(label)}</text>')  # fmt: skip
    for s, (name, _values) in enumerate(series):
        x = left + 110 * s
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" '
                     f'fill="{COLOURS[s % len(COLOURS)]}"/><text x="{x + 14}" y="13" '
                     f'font-size="11">{escape(name)}</text>')  # fmt: skip
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def bars_svg(rows: Sequence[tuple[str, int]], width: int = 360) -> SafeString:
    """Horizontal bars, one per row, labelled with their values."""
    row_h, label_w = 22, 150
    height = row_h * max(len(rows), 1) + 6
    top_value = max((v for _l, v in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart bars" role="img">'
    ]
    for index, (label, value) in enumerate(rows):
        y = 3 + row_h * index
        w = (width - label_w - 40) * value / top_value
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
            f"{escape(label[:18])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped
