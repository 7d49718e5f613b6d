from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from campusdesk.tickets.presenters import tier_short

register = template.Library()


@register.filter
def tier_name(number: object) -> str:
    """A ticket's tier as a list shows it: 一线 / 二线 / 三线 / 攻关小组."""
    return tier_short(number)


@register.filter
def duration_left(span: timedelta | None) -> str:
    """A time left as 2天3小时 / 3小时20分 / 15分."""
    if span is None:
        return ""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": mins}
    return _("%(m)dm") % {"m": mins}
