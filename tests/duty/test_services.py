"""The duty roster: who is on duty now (one query), the uncovered minutes outside the 5×8
hours (holidays in full, a 调休 working day's hours not), swaps with both consents, and a
night-time SIS1 that reaches the person on duty before anyone else."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.utils import timezone

from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.duty import services
from campusdesk.duty.models import Shift
from campusdesk.notify.models import Delivery, Notification
from campusdesk.sla import calendars
from tests.tickets.conftest import new_ticket

BEIJING = timezone.get_fixed_timezone(8 * 60)


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), BEIJING)


def shift(person, starts_at, ends_at, *projects) -> Shift:
    created = Shift.objects.create(
        user=person, starts_at=starts_at, ends_at=ends_at, created_at=starts_at
    )
    created.projects.set(projects)
    return created


def test_now_on_duty_is_one_query(people, project, other_project, django_assert_num_queries):
    night = shift(people["engineer"], at("2026-01-06", 17), at("2026-01-07", 9), project)
    shift(people["expert2"], at("2026-01-06", 17), at("2026-01-07", 9), other_project)
    with django_assert_num_queries(1):
        found = services.on_duty(project.pk, at("2026-01-06", 23))
        assert found is not None and found.user.username == "engineer"
    assert found == night
    assert services.on_duty(project.pk, at("2026-01-07", 9)) is None  # the end is excluded
    everyone = shift(people["ops"], at("2026-01-07", 9), at("2026-01-07", 10))  # no projects
    assert services.on_duty(project.pk, at("2026-01-07", 9, 30)) == everyone


def test_required_cover_takes_holidays_in_full_and_leaves_an_adjusted_working_day_s_hours(project):
    calendar = calendars.for_project(project)
    # Thursday 1 January 2026 (New Year): the whole day needs the duty line
    assert services.required(calendar, at("2026-01-01"), at("2026-01-02")) == [
        (at("2026-01-01"), at("2026-01-02"))
    ]
    # Sunday 4 January 2026 is a 调休 working day: 09:00–17:00 is the service centre's
    assert services.required(calendar, at("2026-01-04"), at("2026-01-05")) == [
        (at("2026-01-04"), at("2026-01-04", 9)),
        (at("2026-01-04", 17), at("2026-01-05")),
    ]


def test_the_roster_check_finds_every_uncovered_minute(people, project):
    start, end = at("2026-01-01"), at("2026-01-08")
    need = services.required(calendars.for_project(project), start, end)
    for a, b in need:
        shift(people["engineer"], a, b, project)
    assert services.gaps(project, start, end) == []
    Shift.objects.filter(starts_at=at("2026-01-04", 17)).delete()  # the Sunday evening
    assert services.gaps(project, start, end) == [(at("2026-01-04", 17), at("2026-01-05", 9))]


def test_the_daily_check_warns_the_service_manager(people, project):
    with time_machine.travel(at("2026-01-05", 8, 30), tick=False):
        assert services.warn_gaps() >= 1
    manager = project.service_manager
    note = Notification.objects.get(recipient=manager, kind="duty")
    assert project.name in note.title


def test_planners_only(people, project):
    data = {
        "user": people["engineer"].pk,
        "starts_at": at("2026-01-06", 17),
        "ends_at": at("2026-01-07", 9),
        "projects": [project.pk],
    }
    with pytest.raises(PermissionDenied):
        services.shift_create(actor=people["engineer"], data=data)
    created = services.shift_create(actor=people["ops"], data=data)
    assert list(created.projects.all()) == [project]
    with pytest.raises(ValidationError) as backwards:
        services.shift_create(actor=people["ops"], data=data | {"ends_at": at("2026-01-06", 16)})
    assert "ends_at" in backwards.value.fields


def test_a_swap_takes_both_people(people, project):
    night = shift(people["engineer"], at("2026-01-06", 17), at("2026-01-07", 9), project)
    with pytest.raises(PermissionDenied):
        services.swap_ask(actor=people["expert2"], shift=night, to_user=people["expert2"].pk)
    swap = services.swap_ask(
        actor=people["engineer"], shift=night, to_user=people["expert2"].pk, reason="家中有事"
    )
    night.refresh_from_db()
    assert night.user == people["engineer"]  # not before the other agrees
    with pytest.raises(PermissionDenied):
        services.swap_answer(actor=people["engineer"], swap=swap, agree=True)
    services.swap_answer(actor=people["expert2"], swap=swap, agree=True)
    night.refresh_from_db()
    swap.refresh_from_db()
    assert night.user == people["expert2"] and swap.status == "agreed" and swap.answered_at


def test_a_night_time_sis1_reaches_the_person_on_duty_first(people, project, customer):
    on_duty = people["expert2"]
    shift(on_duty, at("2026-01-06", 17), at("2026-01-07", 9), project)
    with time_machine.travel(at("2026-01-06", 23, 10), tick=False):
        ticket = new_ticket(project, customer, urgency="critical")
    alarm = Notification.objects.get(recipient=on_duty, kind="duty")
    assert alarm.urgent and f"#{ticket.number}" in alarm.title
    others = Notification.objects.exclude(pk=alarm.pk).filter(created_at=alarm.created_at)
    assert others.exists() and alarm.pk < min(others.values_list("pk", flat=True))
    mail = Delivery.objects.get(recipient=on_duty, kind="duty", channel="email")
    assert mail.next_attempt_at == alarm.created_at  # at once, whatever the quiet hours


def test_in_business_hours_or_for_a_low_urgency_the_duty_line_stays_quiet(
    people, project, customer
):
    shift(people["expert2"], at("2026-01-06"), at("2026-01-07"), project)
    with time_machine.travel(at("2026-01-06", 10), tick=False):
        new_ticket(project, customer, urgency="critical")
    with time_machine.travel(at("2026-01-06", 23), tick=False):
        new_ticket(project, customer, urgency="medium")
    assert not Notification.objects.filter(kind="duty").exists()


def test_nobody_on_duty_is_no_error(people, project, customer):
    with time_machine.travel(at("2026-01-06", 23), tick=False):
        new_ticket(project, customer, urgency="critical")
    assert not Notification.objects.filter(kind="duty").exists()
    assert services.on_duty(project.pk, at("2026-01-06", 23)) is None
