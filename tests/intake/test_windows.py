"""Maintenance windows, one rule for alert sources and application systems: one-off and
weekly windows (start inclusive, end exclusive), their next occurrence, bad input, the
database's guard that a window belongs to exactly one owner, and a weekly window silencing
an alert source's alerts every week."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from campusdesk.core.errors import ValidationError
from campusdesk.intake import windows
from campusdesk.intake.models import Alert, MaintenanceWindow
from campusdesk.tickets.models import Ticket
from tests.intake.test_alerts import URL, alertmanager, source

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
# Sunday 2026-03-01 02:00 to 04:00, Shanghai time
START = datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI)
END = START + timedelta(hours=2)


def window(**fields) -> MaintenanceWindow:
    return MaintenanceWindow(starts_at=START, ends_at=END, **fields)


@pytest.mark.parametrize(
    ("offset", "once", "weekly"),
    [
        (timedelta(minutes=-1), False, False),
        (timedelta(0), True, True),  # the start belongs to the window
        (timedelta(hours=1, minutes=59), True, True),
        (timedelta(hours=2), False, False),  # the end does not
        (timedelta(days=7), False, True),  # a week later: only the weekly one
        (timedelta(days=7, hours=1), False, True),
        (timedelta(days=7, hours=2), False, False),
        (timedelta(days=3), False, False),
        (timedelta(days=70, minutes=30), False, True),
    ],
)
def test_one_off_and_weekly_windows(offset, once, weekly):
    now = START + offset
    assert windows.is_active(window(), now) is once
    assert windows.is_active(window(weekly=True), now) is weekly


def test_next_occurrence():
    assert windows.next_occurrence(window(), START - timedelta(days=1)) == (START, END)
    assert windows.next_occurrence(window(), END) is None
    weekly = window(weekly=True)
    assert windows.next_occurrence(weekly, START + timedelta(hours=1)) == (START, END)
    later = START + timedelta(days=7)
    assert windows.next_occurrence(weekly, START + timedelta(hours=3)) == (
        later,
        later + timedelta(hours=2),
    )


@pytest.mark.parametrize(
    ("starts", "ends", "weekly", "field"),
    [
        (None, END, False, "starts_at"),
        (START, None, False, "ends_at"),
        (START, START, False, "ends_at"),
        (END, START, False, "ends_at"),
        (START, START + timedelta(days=7), True, "ends_at"),
    ],
)
def test_bad_windows_are_refused_with_the_field(starts, ends, weekly, field):
    with pytest.raises(ValidationError) as error:
        windows.validate(starts, ends, weekly)
    assert field in error.value.fields


def test_a_window_belongs_to_a_source_or_a_system_never_both_or_neither(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceWindow.objects.create(starts_at=START, ends_at=END)


def test_a_weekly_window_silences_a_sources_alerts_every_week(people, project):
    sid, monitor = source(people, project)
    now = timezone.now()
    MaintenanceWindow.objects.create(
        source_id=sid, starts_at=now - timedelta(days=14, minutes=5),
        ends_at=now - timedelta(days=14) + timedelta(hours=1), weekly=True,
    )  # fmt: skip
    monitor.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.count() == 0 and Alert.objects.get().state == "silenced"
    with time_machine.travel(now + timedelta(days=3)):
        monitor.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.count() == 1
