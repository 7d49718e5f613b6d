"""Filters of the probe pages: ``{{ value|uptime }}``, ``{{ key|period_label }}``,
``{{ code|probe_state }}``, ``{{ code|probe_kind }}``, ``{{ ms|milliseconds }}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from campusdesk.monitoring import chart
from campusdesk.monitoring.models import Probe

register = template.Library()

PERIOD_LABELS = {
    "24h": _("24 h"),
    "7d": _("7 days"),
    "30d": _("30 days"),
    "90d": _("90 days"),
}


@register.filter
def uptime(value: float | None) -> str:
    """``99.95 %``, or a dash before anything ran."""
    if value is None:
        return "—"
    return f"{number_format(value, decimal_pos=2)} %"


@register.filter
def period_label(key: str) -> Any:
    return PERIOD_LABELS.get(key, key)


@register.filter
def probe_state(code: str) -> Any:
    return Probe.State(code).label if code in Probe.State.values else code


@register.filter
def probe_kind(code: str) -> Any:
    return Probe.Kind(code).label if code in Probe.Kind.values else code


@register.filter
def milliseconds(value: float | None) -> str:
    return "—" if value is None else chart.milliseconds(value)
