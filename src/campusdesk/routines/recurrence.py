"""A routine's due days: an RFC 5545 RRULE read by python-dateutil, moved to working days.

``FREQ=MONTHLY;BYMONTHDAY=1`` (monthly), ``FREQ=MONTHLY;INTERVAL=3`` (quarterly),
``FREQ=DAILY;INTERVAL=14`` (every 14 days), ``FREQ=WEEKLY;BYDAY=MO`` … The rule counts
from the routine's first day. Routine work is planned in days, so rules finer than a day
(HOURLY, MINUTELY, SECONDLY) are refused. A due day that is not a working day of the
project's calendar (weekends, statutory holidays, 调休 from the SLA's calendar) moves to
the next working day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr
from django.utils.translation import gettext as _

from campusdesk.core.errors import ValidationError
from campusdesk.sla.worktime import WorkCalendar

#: how far ahead a working day is looked for (a calendar that never works is an error)
_MAX_SHIFT = 60
_DAY_OR_LONGER = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


def parse(text: str, starts_on: date) -> rrule:
    """The rule of ``text`` (with or without ``RRULE:``) counting from ``starts_on``."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise _invalid(_("Enter one RRULE line such as FREQ=MONTHLY;BYMONTHDAY=1."))
    try:
        rule = rrulestr(text, dtstart=datetime.combine(starts_on, time()))
    except (ValueError, TypeError) as error:
        raise _invalid(
            _("The recurrence is not a valid RRULE: %(error)s") % {"error": error}
        ) from None
    freq = re.search(r"(?:^|;)FREQ=([A-Z]+)", text.upper())
    if not isinstance(rule, rrule) or freq is None or freq.group(1) not in _DAY_OR_LONGER:
        raise _invalid(
            _("Routine work recurs daily at the finest (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).")
        )
    return rule


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, fields={"recurrence": [message]})


def next_due(
    rule: rrule, after: date, calendar: WorkCalendar | None, *, inclusive: bool = True
) -> date | None:
    """The first due day on or after ``after`` (strictly after unless ``inclusive``), moved
    to a working day when ``calendar`` is given; ``None`` when the rule has ended."""
    moment = rule.after(datetime.combine(after, time()), inc=inclusive)
    while moment is not None:
        due = shift_to_working_day(moment.date(), calendar)
        if due > after or (inclusive and due == after):
            return due
        moment = rule.after(moment, inc=False)  # moved onto a day already due: the next one
    return None


def shift_to_working_day(day: date, calendar: WorkCalendar | None) -> date:
    if calendar is None:
        return day
    for offset in range(_MAX_SHIFT):
        candidate = day + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return day  # a calendar without working days: keep the rule's own day


def upcoming(rule: rrule, after: date, calendar: WorkCalendar | None, count: int) -> list[date]:
    """The next ``count`` due days from ``after`` on (for the routine's page and the API)."""
    days: list[date] = []
    cursor: date | None = after
    inclusive = True
    while cursor is not None and len(days) < count:
        due = next_due(rule, cursor, calendar, inclusive=inclusive)
        if due is None:
            break
        days.append(due)
        cursor, inclusive = due, False
    return days
