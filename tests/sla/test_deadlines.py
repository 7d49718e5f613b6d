"""Deadlines of tickets under the seed's service levels, through the services and the API.

Every expected instant is worked out by hand from the rules (SIS1/SIS2 count wall
time; SIS3 counts working time, one working day = 8 h of 09:00–17:00; acceptance is
registration + 24 h of wall time) and the official schedule as ``chinese_calendar``
1.11 holds it:
- March 2026 has no holiday (Mon 03-09, Fri 03-13, Sat 03-14, Mon 03-16).
- Spring Festival 02-15..02-23 off; Sat 02-14 and Sat 02-28 worked.
- Qingming Sat 04-04..Mon 04-06 off.
- Mid-Autumn 09-25..09-27 and National Day 10-01..10-07 off; Sun 09-20, Sat 10-10 worked.
- 2027 is unknown to the package: weekends rule, administrators' overrides apply.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.response import Response
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import TransitionError
from campusdesk.sla import services as sla
from campusdesk.sla import tasks
from campusdesk.sla.models import Calendar, CalendarDay, SlaFiring, SlaPolicy
from campusdesk.tickets import services
from campusdesk.tickets.models import Commitment, Ticket, TicketEvent
from tests.helpers import api_client_for
from tests.tickets.conftest import new_ticket

SH = ZoneInfo("Asia/Shanghai")
PREVIEW = "/api/v1/sla/preview/"
DAYS = "/api/v1/sla/calendar-days/"
TICKETS = "/api/v1/tickets/"
FIELDS = ("accept_by", "respond_by", "resolve_by", "onsite_by", "plan_by")
LATE_IN_2026 = "2026-12-31T17:00:00+08:00"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def frozen(text: str) -> Any:
    return time_machine.travel(t(text), tick=False)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SH).isoformat()


def deadlines_of(ticket: Ticket) -> dict[str, str | None]:
    ticket.refresh_from_db()
    return {field: iso(getattr(ticket, field)) for field in FIELDS}


def expect(
    accept: str, respond: str, resolve: str, *, onsite: str = "", plan: str = ""
) -> dict[str, str | None]:
    """The deadlines as ``deadlines_of`` shows them, from ``"YYYY-MM-DD HH:MM"`` at +08:00."""
    given = (accept, respond, resolve, onsite, plan)
    return {
        field: f"{v.replace(' ', 'T')}:00+08:00" if v else None
        for field, v in zip(FIELDS, given, strict=True)
    }


def sla_events(ticket: Ticket) -> list[tuple[str, str, str | None]]:
    events = TicketEvent.objects.filter(ticket=ticket, action__in=["sla_warning", "sla_breached"])
    return [(event.action, event.data["deadline"], iso(event.at)) for event in events]


def sweep(at: str) -> int:
    return sla.sweep(now=t(at))


def register(project: Project, customer: User, at: str, urgency: str = "medium") -> Ticket:
    return new_ticket(project, customer, urgency=urgency, now=t(at))


def accept(
    ticket: Ticket, engineer: User, at: str, severity: str, committed: str = LATE_IN_2026
) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=engineer,
        severity=severity,
        committed_resolution_at=t(committed),
        now=t(at),
    )


def ask(ticket: Ticket, engineer: User, at: str) -> Ticket:
    return services.ticket_ask_info(
        ticket_id=ticket.pk, actor=engineer, question="请提供报错截图。", now=t(at)
    )


def answer(ticket: Ticket, customer: User, at: str) -> Ticket:
    return services.ticket_answer_info(
        ticket_id=ticket.pk, actor=customer, answer="截图已上传。", now=t(at)
    )


def preview(client: APIClient, severity: str, start: str, **extra: Any) -> Response:
    return client.get(PREVIEW, {"severity": severity, "start": start, **extra})


@pytest.fixture
def engineer(people: dict[str, User]) -> User:
    return people["engineer"]


@pytest.fixture
def api(customer: User) -> APIClient:
    return api_client_for(customer)


# --- the preview API ----------------------------------------------------------------------


def test_preview_of_the_issues_example(api: APIClient):
    expected = {
        "accept_by": "2026-10-01T10:00:00+08:00",  # 24 h of wall time, holiday or not
        "respond_by": "2026-10-08T10:00:00+08:00",  # 7 h on Wed, National Day, 1 h on Thu
        "resolve_by": "2026-10-08T10:00:00+08:00",
        "plan_by": "2026-10-10T10:00:00+08:00",  # 7 + 8 + 8 h, then the worked Saturday
    }
    # as the issue writes it: an unencoded "+" reaches the server as a space
    literal = api.get(f"{PREVIEW}?severity=SIS3&start=2026-09-30T10:00:00+08:00")
    assert literal.status_code == 200, literal.json()
    assert literal.json() == expected
    encoded = preview(api, "SIS3", "2026-09-30T10:00:00+08:00")
    assert encoded.status_code == 200
    assert encoded.json() == expected
    assert preview(APIClient(), "SIS3", "2026-09-30T10:00:00+08:00").status_code == 401


@pytest.mark.parametrize(
    ("severity", "start", "expected"),
    [
        pytest.param(
            "SIS1",
            "2026-10-01T22:30:00+08:00",
            {
                "accept_by": "2026-10-02T22:30:00+08:00",
                "respond_by": "2026-10-02T00:30:00+08:00",
                "resolve_by": "2026-10-02T02:30:00+08:00",
                "onsite_by": "2026-10-02T10:30:00+08:00",
            },
            id="SIS1-on-a-holiday-night",
        ),
        pytest.param(
            "SIS2",
            "2026-12-31T20:00:00+08:00",
            {
                "accept_by": "2027-01-01T20:00:00+08:00",
                "respond_by": "2027-01-01T00:00:00+08:00",
                "resolve_by": "2027-01-01T04:00:00+08:00",
                "onsite_by": "2027-01-01T12:00:00+08:00",
            },
            id="SIS2-over-new-year",
        ),
        pytest.param(
            "SIS3",
            "2026-03-14T22:00:00+08:00",  # Saturday night: counts from Mon 09:00
            {
                "accept_by": "2026-03-15T22:00:00+08:00",
                "respond_by": "2026-03-16T17:00:00+08:00",
                "resolve_by": "2026-03-16T17:00:00+08:00",
                "plan_by": "2026-03-18T17:00:00+08:00",
            },
            id="SIS3-saturday-night",
        ),
        pytest.param(
            "SIS3",
            "2026-03-20T09:00:00+08:00",  # Fri 09:00 + 8 h is Fri 17:00, not Mon 09:00
            {
                "accept_by": "2026-03-21T09:00:00+08:00",
                "respond_by": "2026-03-20T17:00:00+08:00",
                "resolve_by": "2026-03-20T17:00:00+08:00",
                "plan_by": "2026-03-24T17:00:00+08:00",
            },
            id="SIS3-ends-at-17:00",
        ),
        pytest.param(
            "SIS3",
            "2026-04-03T15:00:00+08:00",  # Fri 2 h, Qingming Sat–Mon, Tue 6 h
            {
                "accept_by": "2026-04-04T15:00:00+08:00",
                "respond_by": "2026-04-07T15:00:00+08:00",
                "resolve_by": "2026-04-07T15:00:00+08:00",
                "plan_by": "2026-04-09T15:00:00+08:00",
            },
            id="SIS3-statutory-holiday",
        ),
        pytest.param(
            "SIS3",
            "2026-02-13T10:00:00+08:00",  # Fri 7 h, worked Sat 02-14, Spring Festival
            {
                "accept_by": "2026-02-14T10:00:00+08:00",
                "respond_by": "2026-02-14T10:00:00+08:00",
                "resolve_by": "2026-02-14T10:00:00+08:00",
                "plan_by": "2026-02-25T10:00:00+08:00",
            },
            id="SIS3-adjusted-saturday",
        ),
        pytest.param(
            "SIS3",
            "2026-12-31T10:00:00+08:00",  # 2027 unknown: Fri 01-01 works, weekend not
            {
                "accept_by": "2027-01-01T10:00:00+08:00",
                "respond_by": "2027-01-01T10:00:00+08:00",
                "resolve_by": "2027-01-01T10:00:00+08:00",
                "plan_by": "2027-01-05T10:00:00+08:00",
            },
            id="SIS3-into-2027",
        ),
    ],
)
def test_preview(api: APIClient, severity: str, start: str, expected: dict[str, str]):
    response = preview(api, severity, start)
    assert response.status_code == 200, response.json()
    assert response.json() == expected


def test_preview_answers_in_the_offset_of_the_request(api: APIClient):
    # 02:00 UTC is 10:00 in Beijing: the issue's example again, answered in UTC
    assert preview(api, "SIS3", "2026-09-30T02:00:00Z").json() == {
        "accept_by": "2026-10-01T02:00:00+00:00",
        "respond_by": "2026-10-08T02:00:00+00:00",
        "resolve_by": "2026-10-08T02:00:00+00:00",
        "plan_by": "2026-10-10T02:00:00+00:00",
    }
    assert preview(api, "SIS1", "2026-03-09T21:00:00-05:00").json() == {
        "accept_by": "2026-03-10T21:00:00-05:00",
        "respond_by": "2026-03-09T23:00:00-05:00",
        "resolve_by": "2026-03-10T01:00:00-05:00",
        "onsite_by": "2026-03-10T09:00:00-05:00",
    }


def test_preview_on_a_calendar_with_a_lunch_break(api: APIClient):
    hours = [["09:00", "12:00"], ["13:30", "17:30"]]
    lunch = Calendar.objects.create(name="客户单位 午休", weekly={str(d): hours for d in range(5)})
    # Tue 12:30 is lunch: from 13:30, 4 h on Tue, 3 h (a working day is 7 h) on Wed ending
    # at 12:00, the end of the morning, not 13:30; plan: 4 + 7 + 7 + 3 h → Fri 12:00
    response = preview(api, "SIS3", "2026-03-17T12:30:00+08:00", calendar=lunch.pk)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "accept_by": "2026-03-18T12:30:00+08:00",
        "respond_by": "2026-03-18T12:00:00+08:00",
        "resolve_by": "2026-03-18T12:00:00+08:00",
        "plan_by": "2026-03-20T12:00:00+08:00",
    }
    # the default calendar (09:00–17:00) gives other answers for the same start
    assert preview(api, "SIS3", "2026-03-17T12:30:00+08:00").json()["respond_by"] == (
        "2026-03-18T12:30:00+08:00"
    )
    assert preview(api, "SIS3", "2026-03-17T12:30:00+08:00", calendar=999999).status_code == 404


def test_a_ticket_of_a_project_on_its_own_calendar(project: Project, customer: User):
    hours = [["09:00", "12:00"], ["13:30", "17:30"]]
    project.calendar = Calendar.objects.create(
        name="客户单位 午休", weekly={str(d): hours for d in range(5)}
    )
    project.save()
    ticket = register(project, customer, "2026-03-17T12:30:00+08:00", "low")  # SIS3
    assert deadlines_of(ticket) == expect(
        "2026-03-18 12:30", "2026-03-18 12:00", "2026-03-18 12:00", plan="2026-03-20 12:00"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"severity": "SIS4", "start": "2026-09-30T10:00:00+08:00"}, "severity"),
        ({"severity": "sis3", "start": "2026-09-30T10:00:00+08:00"}, "severity"),
        ({"start": "2026-09-30T10:00:00+08:00"}, "severity"),
        ({"severity": "SIS3", "start": "2026-09-30T10:00:00"}, "start"),  # naive
        ({"severity": "SIS3", "start": "2026-09-30"}, "start"),  # a date, no instant
        ({"severity": "SIS3", "start": "2026-13-01T10:00:00+08:00"}, "start"),
        ({"severity": "SIS3", "start": "next Monday"}, "start"),
        ({"severity": "SIS3"}, "start"),
        ({"severity": "SIS3", "start": "2026-09-30T10:00:00+08:00", "calendar": "x"}, "calendar"),
    ],
)
def test_bad_preview_requests_are_400_with_the_field(
    api: APIClient, query: dict[str, str], field: str
):
    response = api.get(PREVIEW, query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- calendar overrides by administrators -------------------------------------------------


def test_an_administrator_declares_holidays_and_working_days(
    api: APIClient, people: dict[str, User]
):
    admin = api_client_for(people["admin"])
    default = Calendar.objects.get(is_default=True)
    start = "2026-12-31T10:00:00+08:00"  # Thu; 2027 is unknown to the package
    assert preview(api, "SIS3", start).json()["respond_by"] == "2027-01-01T10:00:00+08:00"

    created = admin.post(DAYS, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert created.status_code == 201, created.json()
    assert created.json() == {
        "id": created.json()["id"],
        "calendar": default.pk,
        "date": "2027-01-01",
        "kind": "holiday",
        "name": "元旦",
    }
    # 7 h on Thu, New Year's Day off, weekend, Mon 1 h; plan: 7 + 8 + 8 h, Wed 1 h
    assert preview(api, "SIS3", start).json() == {
        "accept_by": "2027-01-01T10:00:00+08:00",
        "respond_by": "2027-01-04T10:00:00+08:00",
        "resolve_by": "2027-01-04T10:00:00+08:00",
        "plan_by": "2027-01-06T10:00:00+08:00",
    }

    worked = admin.post(DAYS, {"date": "2027-01-03", "kind": "workday", "name": "元旦调休"})
    assert worked.status_code == 201
    # Sunday now has the weekday hours: respond Sun 10:00; plan 7 + 8 + 8 h, Tue 1 h
    changed = preview(api, "SIS3", start).json()
    assert (changed["respond_by"], changed["plan_by"]) == (
        "2027-01-03T10:00:00+08:00",
        "2027-01-05T10:00:00+08:00",
    )
    assert list(CalendarDay.objects.values_list("date", "kind")) == [
        (date(2027, 1, 1), "holiday"),
        (date(2027, 1, 3), "workday"),
    ]


def test_an_override_of_another_calendar_leaves_the_default_alone(
    api: APIClient, people: dict[str, User]
):
    own = Calendar.objects.create(name="客户单位", use_chinese_calendar=True)
    admin = api_client_for(people["admin"])
    response = admin.post(DAYS, {"date": "2026-03-16", "kind": "holiday", "calendar": own.pk})
    assert response.status_code == 201
    start = "2026-03-13T16:00:00+08:00"  # Fri: 1 h, then Mon (or Tue) 7 h
    assert preview(api, "SIS3", start, calendar=own.pk).json()["respond_by"] == (
        "2026-03-17T16:00:00+08:00"
    )
    assert preview(api, "SIS3", start).json()["respond_by"] == "2026-03-16T16:00:00+08:00"


@pytest.mark.parametrize("username", ["engineer", "user", "ops", None])
def test_only_administrators_edit_calendars(people: dict[str, User], username: str | None):
    client = api_client_for(people[username]) if username else APIClient()
    response = client.post(DAYS, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == (403 if username else 401)
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2027-01-01", "kind": "vacation"}, "kind"),
        ({"date": "2027-01-01"}, "kind"),
        ({"date": "2027-02-30", "kind": "holiday"}, "date"),
        ({"date": "01/01/2027", "kind": "holiday"}, "date"),
        ({"kind": "holiday"}, "date"),
        ({"date": "2027-01-01", "kind": "holiday", "name": "节" * 101}, "name"),
    ],
)
def test_bad_calendar_days_are_400(people: dict[str, User], body: dict[str, str], field: str):
    response = api_client_for(people["admin"]).post(DAYS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not CalendarDay.objects.exists()


# --- a ticket's deadlines ---------------------------------------------------------------------

FRI_BEFORE_QINGMING = "2026-04-03T15:00:00+08:00"


@pytest.mark.parametrize(
    ("urgency", "expected", "next_check"),
    [
        (
            "critical",  # SIS1, 7×24: the holiday makes no difference
            expect(
                "2026-04-04 15:00",
                "2026-04-03 17:00",
                "2026-04-03 19:00",
                onsite="2026-04-04 03:00",
            ),
            "2026-04-03T16:30:00+08:00",
        ),
        (
            "high",  # SIS2
            expect(
                "2026-04-04 15:00",
                "2026-04-03 19:00",
                "2026-04-03 23:00",
                onsite="2026-04-04 07:00",
            ),
            "2026-04-03T18:00:00+08:00",
        ),
        (
            "medium",  # SIS3: Fri 2 h, Qingming Sat–Mon, Tue 6 h
            expect(
                "2026-04-04 15:00", "2026-04-07 15:00", "2026-04-07 15:00", plan="2026-04-09 15:00"
            ),
            "2026-04-04T13:00:00+08:00",
        ),
        (
            "low",
            expect(
                "2026-04-04 15:00", "2026-04-07 15:00", "2026-04-07 15:00", plan="2026-04-09 15:00"
            ),
            "2026-04-04T13:00:00+08:00",
        ),
    ],
)
def test_registration_sets_provisional_deadlines_from_the_urgency(
    project: Project, customer: User, urgency: str, expected: dict[str, str], next_check: str
):
    ticket = register(project, customer, FRI_BEFORE_QINGMING, urgency)
    assert deadlines_of(ticket) == expected
    assert ticket.severity == ""  # provisional until a handler sets it
    assert iso(ticket.next_deadline_at) == next_check  # the first warning
    assert not sla_events(ticket)


@pytest.mark.parametrize(
    ("urgency", "severity", "expected"),
    [
        (
            "high",
            "SIS3",  # from Tue 09:00, not from the acceptance at 10:00
            expect(
                "2026-03-11 09:00", "2026-03-10 17:00", "2026-03-10 17:00", plan="2026-03-12 17:00"
            ),
        ),
        (
            "medium",
            "SIS1",
            expect(
                "2026-03-11 09:00",
                "2026-03-10 11:00",
                "2026-03-10 13:00",
                onsite="2026-03-10 21:00",
            ),
        ),
        (
            "medium",
            "SIS3",
            expect(
                "2026-03-11 09:00", "2026-03-10 17:00", "2026-03-10 17:00", plan="2026-03-12 17:00"
            ),
        ),
    ],
)
def test_the_severity_set_at_acceptance_recomputes_from_registration(
    project: Project,
    customer: User,
    engineer: User,
    urgency: str,
    severity: str,
    expected: dict[str, str],
):
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", urgency)
    accept(ticket, engineer, "2026-03-10T10:00:00+08:00", severity)
    assert deadlines_of(ticket) == expected
    assert ticket.severity == severity


def test_the_api_shows_each_deadline_with_its_state(
    project: Project, customer: User, engineer: User
):
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", "high")  # SIS2
    client = api_client_for(engineer)

    def detail(at: str) -> dict[str, Any]:
        with frozen(at):
            response = client.get(f"{TICKETS}{ticket.pk}/")
        assert response.status_code == 200
        return dict(response.json())

    def rows(body: dict[str, Any]) -> list[tuple[str, str, str, int | None]]:
        return [(d["kind"], d["due_at"], d["state"], d["seconds_left"]) for d in body["deadlines"]]

    body = detail("2026-03-10T12:15:00+08:00")
    assert {field: body[field] for field in FIELDS} == expect(
        "2026-03-11 09:00", "2026-03-10 13:00", "2026-03-10 17:00", onsite="2026-03-11 01:00"
    )
    assert rows(body) == [
        ("accept", "2026-03-11T09:00:00+08:00", "running", 74700),
        ("respond", "2026-03-10T13:00:00+08:00", "at_risk", 2700),  # SIS2 warns 60 min ahead
        ("resolve", "2026-03-10T17:00:00+08:00", "running", 17100),
        ("onsite", "2026-03-11T01:00:00+08:00", "running", 45900),
    ]
    assert [d["met_at"] for d in body["deadlines"]] == [None] * 4

    with frozen("2026-03-10T12:45:00+08:00"):
        accepted = client.post(
            f"{TICKETS}{ticket.pk}/accept/",
            {"severity": "SIS3", "committed_resolution_at": "2026-03-12T17:00:00+08:00"},
            format="json",
        )
    assert accepted.status_code == 200, accepted.json()
    body = accepted.json()
    assert body["severity"] == "SIS3"
    assert {field: body[field] for field in FIELDS} == expect(
        "2026-03-11 09:00", "2026-03-10 17:00", "2026-03-10 17:00", plan="2026-03-12 17:00"
    )
    assert rows(body) == [
        ("accept", "2026-03-11T09:00:00+08:00", "met", None),
        ("respond", "2026-03-10T17:00:00+08:00", "met", None),
        ("resolve", "2026-03-10T17:00:00+08:00", "running", 15300),
        ("plan", "2026-03-12T17:00:00+08:00", "running", 188100),
    ]
    assert body["deadlines"][0]["met_at"] == "2026-03-10T12:45:00+08:00"

    assert rows(detail("2026-03-10T15:30:00+08:00"))[2:] == [
        ("resolve", "2026-03-10T17:00:00+08:00", "at_risk", 5400),  # SIS3 warns 2 h ahead
        ("plan", "2026-03-12T17:00:00+08:00", "running", 178200),
    ]
    assert rows(detail("2026-03-10T17:30:00+08:00"))[2:] == [
        ("resolve", "2026-03-10T17:00:00+08:00", "breached", None),
        ("plan", "2026-03-12T17:00:00+08:00", "running", 171000),
    ]
    with frozen("2026-03-10T17:45:00+08:00"):
        asked = client.post(f"{TICKETS}{ticket.pk}/ask-info/", {"question": "请提供日志。"})
    assert asked.status_code == 200
    assert asked.json()["waiting_for"] == "info"
    assert rows(asked.json())[2:] == [
        ("resolve", "2026-03-10T17:00:00+08:00", "breached", None),
        ("plan", "2026-03-12T17:00:00+08:00", "paused", 170100),
    ]
    # nobody swept at 17:00: the transition fired the missed breach itself
    assert sla_events(ticket) == [("sla_breached", "resolve", "2026-03-10T17:45:00+08:00")]


def test_a_public_vendor_record_is_the_first_response(
    project: Project, customer: User, engineer: User
):
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    services.ticket_add_record(
        ticket_id=ticket.pk,
        actor=customer,
        body="补充：多名导师报错。",
        now=t("2026-03-10T09:10:00+08:00"),
    )
    services.ticket_add_record(
        ticket_id=ticket.pk,
        actor=engineer,
        body="内部：疑似连接池满。",
        internal=True,
        now=t("2026-03-10T09:20:00+08:00"),
    )
    ticket.refresh_from_db()
    assert ticket.responded_at is None
    services.ticket_add_record(
        ticket_id=ticket.pk,
        actor=engineer,
        body="正在排查，请稍候。",
        now=t("2026-03-10T09:30:00+08:00"),
    )
    accept(ticket, engineer, "2026-03-10T10:00:00+08:00", "SIS2")
    ticket.refresh_from_db()
    assert iso(ticket.responded_at) == "2026-03-10T09:30:00+08:00"
    assert iso(ticket.accepted_at) == "2026-03-10T10:00:00+08:00"
    states = {s.kind: s.state for s in sla.states(ticket, now=t("2026-03-10T10:00:00+08:00"))}
    assert states == {"accept": "met", "respond": "met", "resolve": "running", "onsite": "running"}


# --- the sweeper ---------------------------------------------------------------------------------

MON_10 = "2026-03-09T10:00:00+08:00"  # a SIS1 ticket registered then: respond 12:00, resolve
# 14:00, on site 22:00, accept Tue 10:00; warnings 30 min before each


def test_the_sweeper_warns_and_breaches_once_per_deadline(project: Project, customer: User):
    ticket = register(project, customer, MON_10, "critical")
    steps = [
        # sweep at, fired, next check afterwards
        ("2026-03-09T11:29:00+08:00", 0, "2026-03-09T11:30:00+08:00"),
        ("2026-03-09T11:30:00+08:00", 1, "2026-03-09T12:00:00+08:00"),
        ("2026-03-09T11:45:00+08:00", 0, "2026-03-09T12:00:00+08:00"),
        ("2026-03-09T12:00:00+08:00", 1, "2026-03-09T13:30:00+08:00"),
        ("2026-03-09T13:40:00+08:00", 1, "2026-03-09T14:00:00+08:00"),
        ("2026-03-09T14:05:00+08:00", 1, "2026-03-09T21:30:00+08:00"),
        ("2026-03-09T21:30:00+08:00", 1, "2026-03-09T22:00:00+08:00"),
        ("2026-03-09T22:00:00+08:00", 1, "2026-03-10T09:30:00+08:00"),
        ("2026-03-10T09:30:00+08:00", 1, "2026-03-10T10:00:00+08:00"),
        ("2026-03-10T10:00:00+08:00", 1, None),
        ("2026-03-10T10:00:00+08:00", 0, None),
        ("2026-03-17T10:00:00+08:00", 0, None),
    ]
    for at, count, next_check in steps:
        assert sweep(at) == count, at
        ticket.refresh_from_db()
        assert iso(ticket.next_deadline_at) == next_check, at
    assert sla_events(ticket) == [
        ("sla_warning", "respond", "2026-03-09T11:30:00+08:00"),
        ("sla_breached", "respond", "2026-03-09T12:00:00+08:00"),
        ("sla_warning", "resolve", "2026-03-09T13:40:00+08:00"),
        ("sla_breached", "resolve", "2026-03-09T14:05:00+08:00"),
        ("sla_warning", "onsite", "2026-03-09T21:30:00+08:00"),
        ("sla_breached", "onsite", "2026-03-09T22:00:00+08:00"),
        ("sla_warning", "accept", "2026-03-10T09:30:00+08:00"),
        ("sla_breached", "accept", "2026-03-10T10:00:00+08:00"),
    ]
    breach = TicketEvent.objects.get(ticket=ticket, action="sla_breached", data__deadline="resolve")
    assert breach.actor is None and breach.channel == "system"
    assert t(breach.data["due_at"]) == t("2026-03-09T14:00:00+08:00")
    assert breach.data["severity"] == "SIS1"
    assert SlaFiring.objects.filter(ticket=ticket).count() == 8


def test_a_sweep_after_every_due_time_breaches_without_warning_and_is_done(
    project: Project, customer: User
):
    ticket = register(project, customer, MON_10, "critical")
    assert sweep("2026-03-10T12:00:00+08:00") == 4
    assert sorted(sla_events(ticket)) == [
        ("sla_breached", kind, "2026-03-10T12:00:00+08:00")
        for kind in ("accept", "onsite", "resolve", "respond")
    ]
    ticket.refresh_from_db()
    # the warnings that were never fired are moot: nothing is left for the sweeper
    assert ticket.next_deadline_at is None
    assert sweep("2026-03-10T12:01:00+08:00") == 0
    assert len(sla_events(ticket)) == 4


def test_met_deadlines_never_fire(project: Project, customer: User, engineer: User):
    ticket = register(project, customer, MON_10, "critical")
    accept(ticket, engineer, "2026-03-09T10:15:00+08:00", "SIS1")
    assert sweep("2026-03-10T12:00:00+08:00") == 2
    assert sorted(sla_events(ticket)) == [
        ("sla_breached", "onsite", "2026-03-10T12:00:00+08:00"),
        ("sla_breached", "resolve", "2026-03-10T12:00:00+08:00"),
    ]
    ticket.refresh_from_db()
    assert ticket.next_deadline_at is None


def test_withdrawn_and_closed_tickets_never_fire(project: Project, customer: User, engineer: User):
    withdrawn = register(project, customer, MON_10, "critical")
    services.ticket_withdraw(
        ticket_id=withdrawn.pk, actor=customer, now=t("2026-03-09T10:30:00+08:00")
    )
    closed = register(project, customer, MON_10, "critical")
    accept(closed, engineer, "2026-03-09T10:15:00+08:00", "SIS1")
    services.ticket_request_close(
        ticket_id=closed.pk,
        actor=engineer,
        solution="已重启服务。",
        now=t("2026-03-09T11:00:00+08:00"),
    )
    services.ticket_close(
        ticket_id=closed.pk,
        actor=customer,
        rating=5,
        workload_hours=1,
        now=t("2026-03-09T11:30:00+08:00"),
    )
    for ticket in (withdrawn, closed):
        ticket.refresh_from_db()
        assert ticket.next_deadline_at is None
    assert sweep("2026-03-09T13:30:00+08:00") == 0
    assert sweep("2026-03-12T10:00:00+08:00") == 0
    assert not TicketEvent.objects.filter(action__startswith="sla_").exists()
    states = {s.kind: s.state for s in sla.states(withdrawn, now=t("2026-03-09T11:00:00+08:00"))}
    assert set(states.values()) == {"stopped"}


def test_a_late_acceptance_fires_the_missed_breach_at_once(
    project: Project, customer: User, engineer: User
):
    # SIS3 from Fri 16:00: accept by Sat 16:00; respond and resolve Mon 16:00
    ticket = register(project, customer, "2026-03-13T16:00:00+08:00", "medium")
    accept(ticket, engineer, "2026-03-16T10:00:00+08:00", "SIS3")  # no sweeper ran meanwhile
    assert sla_events(ticket) == [("sla_breached", "accept", "2026-03-16T10:00:00+08:00")]
    breach = TicketEvent.objects.get(ticket=ticket, action="sla_breached")
    assert t(breach.data["due_at"]) == t("2026-03-14T16:00:00+08:00")
    ticket.refresh_from_db()
    assert iso(ticket.next_deadline_at) == "2026-03-16T14:00:00+08:00"  # resolve's warning
    assert sweep("2026-03-16T10:00:00+08:00") == 0
    states = {s.kind: s.state for s in sla.states(ticket, now=t("2026-03-16T10:00:00+08:00"))}
    assert states == {
        "accept": "breached",
        "respond": "met",
        "resolve": "running",
        "plan": "running",
    }


def test_the_periodic_task_sweeps_every_minute(project: Project, customer: User):
    ticket = register(project, customer, MON_10, "critical")
    periodic = tasks.sweep.task_class()
    minutes = [f"2026-03-09T12:{minute:02d}:00+08:00" for minute in range(60)]
    assert all(periodic.validate_datetime(t(minute)) for minute in minutes)
    with frozen("2026-03-09T12:00:00+08:00"):
        tasks.sweep()  # Huey's immediate mode: runs here and now, on the frozen clock
    assert sla_events(ticket) == [("sla_breached", "respond", "2026-03-09T12:00:00+08:00")]
    ticket.refresh_from_db()
    assert iso(ticket.next_deadline_at) == "2026-03-09T13:30:00+08:00"


# --- pauses ---------------------------------------------------------------------------------------


def test_a_pause_over_national_day_moves_the_business_deadlines_by_the_working_time_paused(
    project: Project, customer: User, engineer: User
):
    ticket = register(project, customer, "2026-09-30T10:00:00+08:00", "medium")
    accept(ticket, engineer, "2026-09-30T10:30:00+08:00", "SIS3", "2026-10-09T17:00:00+08:00")
    ask(ticket, engineer, "2026-09-30T15:00:00+08:00")
    ticket.refresh_from_db()
    assert ticket.next_deadline_at is None  # nothing to watch while the clock stands still
    # paused, even once the old resolve target has passed; the time left stands still too
    for at in ("2026-10-05T12:00:00+08:00", "2026-10-08T10:00:00+08:00"):
        during = {s.kind: (s.state, s.remaining) for s in sla.states(ticket, now=t(at))}
        assert during == {
            "accept": ("met", None),
            "respond": ("met", None),
            "resolve": ("paused", timedelta(days=7, hours=19)),
            "plan": ("paused", timedelta(days=9, hours=19)),
        }, at
    # the old resolve target's warning (08:00) and due time (10:00) come and go
    for at in (
        "2026-10-01T10:00:00+08:00",
        "2026-10-08T08:00:00+08:00",
        "2026-10-08T10:00:00+08:00",
    ):
        assert sweep(at) == 0

    answer(ticket, customer, "2026-10-08T10:00:00+08:00")
    ticket.refresh_from_db()
    # paused: Wed 15:00–17:00 and Thu 09:00–10:00 = 3 h of working time (7 days 19 h of wall)
    assert ticket.paused_working == timedelta(hours=3)
    assert ticket.paused_clock == timedelta(days=7, hours=19)
    assert deadlines_of(ticket) == expect(
        "2026-10-01 10:00",  # acceptance never moves
        "2026-10-08 13:00",
        "2026-10-08 13:00",
        plan="2026-10-10 13:00",  # worked Saturday
    )
    # the tier's promise is not an SLA clock
    assert iso(ticket.committed_resolution_at) == "2026-10-09T17:00:00+08:00"
    assert [iso(c.due_at) for c in Commitment.objects.filter(ticket=ticket)] == [
        "2026-10-09T17:00:00+08:00"
    ]
    assert not sla_events(ticket)
    assert iso(ticket.next_deadline_at) == "2026-10-08T11:00:00+08:00"

    steps = [
        ("2026-10-08T10:59:00+08:00", 0),
        ("2026-10-08T11:00:00+08:00", 1),
        ("2026-10-08T13:00:00+08:00", 1),
        ("2026-10-10T11:00:00+08:00", 1),
        ("2026-10-10T13:00:00+08:00", 1),
        ("2026-10-12T13:00:00+08:00", 0),
    ]
    for at, count in steps:
        assert sweep(at) == count, at
    assert sla_events(ticket) == [
        ("sla_warning", "resolve", "2026-10-08T11:00:00+08:00"),
        ("sla_breached", "resolve", "2026-10-08T13:00:00+08:00"),
        ("sla_warning", "plan", "2026-10-10T11:00:00+08:00"),
        ("sla_breached", "plan", "2026-10-10T13:00:00+08:00"),
    ]
    timeline = TicketEvent.objects.filter(ticket=ticket, action__in=["ask_info", "answer_info"])
    assert [(e.action, iso(e.at)) for e in timeline] == [
        ("ask_info", "2026-09-30T15:00:00+08:00"),
        ("answer_info", "2026-10-08T10:00:00+08:00"),
    ]


def test_a_pause_overnight_moves_the_7x24_deadlines_by_the_wall_time_paused(
    project: Project, customer: User, engineer: User
):
    # SIS2 from Mon 18:00: respond 22:00, resolve Tue 02:00, on site Tue 10:00
    ticket = register(project, customer, "2026-03-09T18:00:00+08:00", "high")
    accept(ticket, engineer, "2026-03-09T18:30:00+08:00", "SIS2", "2026-03-10T12:00:00+08:00")
    ask(ticket, engineer, "2026-03-09T19:00:00+08:00")
    for at in ("2026-03-10T01:00:00+08:00", "2026-03-10T02:00:00+08:00"):
        assert sweep(at) == 0
    # other steps while the customer is asked, after the old resolve target: nothing fires
    services.ticket_add_record(
        ticket_id=ticket.pk, actor=engineer, body="还在等日志。", now=t("2026-03-10T02:30:00+08:00")
    )
    services.ticket_urge(ticket_id=ticket.pk, actor=customer, now=t("2026-03-10T03:00:00+08:00"))
    assert sweep("2026-03-10T10:00:00+08:00") == 0
    assert not sla_events(ticket)
    with frozen("2026-03-10T08:30:00+08:00"):
        answered = api_client_for(customer).post(
            f"{TICKETS}{ticket.pk}/answer-info/", {"answer": "日志已上传。"}
        )
    assert answered.status_code == 200
    assert answered.json()["waiting_for"] == ""
    assert answered.json()["resolve_by"] == "2026-03-10T15:30:00+08:00"
    ticket.refresh_from_db()
    assert ticket.paused_clock == timedelta(hours=13, minutes=30)
    assert deadlines_of(ticket) == expect(
        "2026-03-10 18:00", "2026-03-10 11:30", "2026-03-10 15:30", onsite="2026-03-10 23:30"
    )
    assert iso(ticket.committed_resolution_at) == "2026-03-10T12:00:00+08:00"
    assert not sla_events(ticket)
    assert sweep("2026-03-10T14:29:00+08:00") == 0
    assert sweep("2026-03-10T14:30:00+08:00") == 1
    assert sla_events(ticket) == [("sla_warning", "resolve", "2026-03-10T14:30:00+08:00")]


def test_any_reply_of_the_customer_resumes_but_a_vendor_record_does_not(
    project: Project, customer: User, engineer: User
):
    ticket = register(project, customer, "2026-03-09T18:00:00+08:00", "high")
    accept(ticket, engineer, "2026-03-09T18:30:00+08:00", "SIS2")
    ask(ticket, engineer, "2026-03-09T19:00:00+08:00")
    services.ticket_add_record(
        ticket_id=ticket.pk, actor=engineer, body="请尽快回复。", now=t("2026-03-09T20:00:00+08:00")
    )
    ticket.refresh_from_db()
    assert (ticket.waiting_for, iso(ticket.waiting_since)) == (
        "info",
        "2026-03-09T19:00:00+08:00",
    )
    services.ticket_add_record(
        ticket_id=ticket.pk, actor=customer, body="日志见附件。", now=t("2026-03-09T21:00:00+08:00")
    )
    ticket.refresh_from_db()
    assert (ticket.waiting_for, ticket.waiting_since) == ("", None)
    assert ticket.paused_clock == timedelta(hours=2)
    assert deadlines_of(ticket) == expect(
        "2026-03-10 18:00", "2026-03-10 00:00", "2026-03-10 04:00", onsite="2026-03-10 12:00"
    )
    with pytest.raises(TransitionError):
        answer(ticket, customer, "2026-03-09T21:30:00+08:00")


def test_a_rejected_closure_request_reopens_the_resolution_clock(
    project: Project, customer: User, engineer: User
):
    # SIS2 from Tue 09:00: resolve 17:00, on site Wed 01:00
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    accept(ticket, engineer, "2026-03-10T09:30:00+08:00", "SIS2", "2026-03-10T16:00:00+08:00")
    services.ticket_request_close(
        ticket_id=ticket.pk,
        actor=engineer,
        solution="已调整连接池。",
        now=t("2026-03-10T10:00:00+08:00"),
    )
    ticket.refresh_from_db()
    assert iso(ticket.resolved_at) == "2026-03-10T10:00:00+08:00"
    assert ticket.waiting_for == "closure" and ticket.next_deadline_at is None
    at_1030 = {s.kind: s.state for s in sla.states(ticket, now=t("2026-03-10T10:30:00+08:00"))}
    # solved within the target: nobody need go on site, and nobody went
    assert at_1030 == {
        "accept": "met",
        "respond": "met",
        "resolve": "met",
        "onsite": "not_applicable",
    }

    services.ticket_reject_close(
        ticket_id=ticket.pk,
        actor=customer,
        reason="问题仍然存在。",
        now=t("2026-03-10T11:00:00+08:00"),
    )
    ticket.refresh_from_db()
    assert ticket.resolved_at is None
    assert ticket.paused_clock == timedelta(hours=1)  # the hour the request waited
    assert deadlines_of(ticket) == expect(
        "2026-03-11 09:00", "2026-03-10 14:00", "2026-03-10 18:00", onsite="2026-03-11 02:00"
    )
    assert iso(ticket.committed_resolution_at) == "2026-03-10T16:00:00+08:00"
    assert iso(ticket.next_deadline_at) == "2026-03-10T17:00:00+08:00"
    assert sweep("2026-03-10T17:00:00+08:00") == 1
    assert sweep("2026-03-10T18:00:00+08:00") == 1
    assert sla_events(ticket) == [
        ("sla_warning", "resolve", "2026-03-10T17:00:00+08:00"),
        ("sla_breached", "resolve", "2026-03-10T18:00:00+08:00"),
    ]


def test_policies_that_do_not_pause(project: Project, customer: User, engineer: User):
    SlaPolicy.objects.filter(severity="SIS2").update(
        pause_while_waiting=False, pause_while_pending_close=False
    )
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    accept(ticket, engineer, "2026-03-10T09:30:00+08:00", "SIS2")
    ask(ticket, engineer, "2026-03-10T10:00:00+08:00")
    ticket.refresh_from_db()
    assert ticket.waiting_for == "info" and ticket.waiting_since is None
    # the clock runs on while the question waits: the resolve warning fires at 16:00
    assert sweep("2026-03-10T16:00:00+08:00") == 1
    answer(ticket, customer, "2026-03-10T16:10:00+08:00")
    services.ticket_request_close(
        ticket_id=ticket.pk, actor=engineer, solution="已处理。", now=t("2026-03-10T16:20:00+08:00")
    )
    services.ticket_reject_close(
        ticket_id=ticket.pk, actor=customer, reason="未解决。", now=t("2026-03-10T16:40:00+08:00")
    )
    ticket.refresh_from_db()
    assert ticket.paused_clock == timedelta(0)
    assert deadlines_of(ticket) == expect(
        "2026-03-11 09:00", "2026-03-10 13:00", "2026-03-10 17:00", onsite="2026-03-11 01:00"
    )
    assert sweep("2026-03-10T17:00:00+08:00") == 1
    assert sla_events(ticket) == [
        ("sla_warning", "resolve", "2026-03-10T16:00:00+08:00"),
        ("sla_breached", "resolve", "2026-03-10T17:00:00+08:00"),
    ]
