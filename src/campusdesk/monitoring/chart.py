"""A system's latency over the last 24 hours as a small inline SVG, drawn on the server.

No JavaScript library and no external asset (the page works offline, under a CSP without
inline script or style): one bar per hour, its height the hour's average latency scaled to
the highest, each bar with its own tooltip; ``role="img"`` with a ``<title>`` and a
``<desc>``, and the same words as a text summary beside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from campusdesk.core import clock

HOURS = 24
SLOT, BAR = 12, 9  # a bar's slot and its width, in px
TOP, PLOT, FOOT = 16, 40, 14  # the label row, the bars, the hour row
WIDTH, HEIGHT = HOURS * SLOT, TOP + PLOT + FOOT


def milliseconds(value: float) -> str:
    return _("%(ms)s ms") % {"ms": f"{value:g}"}


def _hours(now: datetime) -> list[datetime]:
    """The 24 hours (their start, local time) up to the current one, oldest first."""
    current = clock.local(now).replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=HOURS - 1 - i) for i in range(HOURS)]


def summary(points: list[tuple[datetime, float]]) -> str:
    """The chart in words."""
    if not points:
        return _("No latency measured in the last 24 hours.")
    low = min(value for _hour, value in points)
    high_hour, high = max(points, key=lambda point: point[1])
    return _(
        "Hourly average latency over the last 24 hours: from %(low)s to %(high)s "
        "(the highest at %(hour)s)."
    ) % {
        "low": milliseconds(low),
        "high": milliseconds(high),
        "hour": clock.local(high_hour).strftime("%H:00"),
    }


def latency_svg(key: str, points: list[tuple[datetime, float]], now: datetime) -> SafeString:
    """The chart of ``points`` ((hour, average ms)); ``key`` makes its element ids unique."""
    hours = _hours(now)
    by_hour = {clock.local(hour): value for hour, value in points}
    high = max(by_hour.values(), default=0) or 1
    bars = []
    for index, hour in enumerate(hours):
        value = by_hour.get(hour)
        if value is None:
            continue
        height = max(1, round(PLOT * value / high))
        tip = f"{hour:%H:00} {milliseconds(value)}"
        bars.append((index * SLOT + 1, TOP + PLOT - height, BAR, height, tip))
    title = _("Latency over the last 24 hours (hourly average)")
    return format_html(
        '<svg class="chart latency" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" role="img" aria-labelledby="{key}-t {key}-d">'
        '<title id="{key}-t">{title}</title><desc id="{key}-d">{desc}</desc>'
        '<line class="axis" x1="0" y1="{base}" x2="{w}" y2="{base}"></line>{bars}'
        '<text class="tick" x="0" y="11">{top}</text>'
        '<text class="tick" x="0" y="{h1}">{first}</text>'
        '<text class="tick" x="{w}" y="{h1}" text-anchor="end">{last}</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        key=key,
        title=title,
        desc=summary(points),
        base=TOP + PLOT,
        bars=format_html_join(
            "",
            '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            bars,
        ),
        top=milliseconds(max(by_hour.values())) if by_hour else "",
        h1=HEIGHT - 2,
        first=f"{hours[0]:%H:00}",
        last=f"{hours[-1]:%H:00}",
    )
