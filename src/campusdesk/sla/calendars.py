"""A project's working calendar for the apps above sla (routine work's due days, the duty
roster's business hours): the customer's own calendar, else the default one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from campusdesk.catalog.models import Project
from campusdesk.sla.models import Calendar
from campusdesk.sla.worktime import WorkCalendar, default_calendar


def for_project(project: Project) -> WorkCalendar:
    """The project's calendar for the arithmetic (the built-in 5×8 one when none exists)."""
    calendar = (
        Calendar.objects.filter(pk=project.calendar_id).first() if project.calendar_id else None
    ) or Calendar.objects.filter(is_default=True).first()
    if calendar is None:
        return default_calendar(ZoneInfo(settings.TIME_ZONE))
    return calendar.work_calendar()


def in_business_hours_of(project: Project, moment: datetime) -> bool:
    """Whether the 5×8 service centre works for ``project`` at ``moment``."""
    work = for_project(project)
    local = moment.astimezone(work.tz)
    return any(start <= local.time() < end for start, end in work.intervals(local.date()))
