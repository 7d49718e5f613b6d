"""The accept form fills itself (issue 22 §3): the committed resolution time starts at the
resolution target of the severity (the ticket's own, provisional before acceptance), each
severity's target rides on the select for ``app.js`` to follow, and a later tier starts from
the severity the ticket already has.

SIS2 (7×24) registered Tue 2026-03-10 09:00 must be resolved by 17:00; SIS1 by 13:00.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.tickets import deadlines, services
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-main"}


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}:00+08:00")


def at(text: str) -> Any:
    return time_machine.travel(t(text), tick=False)


@pytest.fixture
def ticket(project: Project, customer: User) -> Ticket:
    with at("2026-03-10T09:00"):
        return new_ticket(project, customer, urgency="high")  # provisional SIS2


def accept_form(user: User, ticket: Ticket) -> str:
    body = web_client_for(user).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    start = body.index('data-action="accept"')
    return body[start : body.index("</details>", start)]


def committed(form: str) -> str:
    found = re.search(r'<input type="datetime-local" name="committed_resolution_at"[^>]*>', form)
    assert found, form
    value = re.search(r' value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def targets(form: str) -> dict[str, str]:
    found = re.search(r'data-fill-values="([^"]*)"', form)
    assert found, form
    return json.loads(found.group(1).replace("&quot;", '"'))


def selected_severity(form: str) -> str:
    select = form[form.index('<select name="severity"') :]
    select = select[: select.index("</select>")]
    found = re.search(r'<option value="([^"]*)" selected>', select)
    return found.group(1) if found else ""


def test_the_committed_time_starts_at_the_severity_s_target(ticket, people):
    with at("2026-03-10T09:30"):
        form = accept_form(people["engineer"], ticket)
        sis3 = deadlines.keeper().resolve_target(ticket, "SIS3")
    assert selected_severity(form) == ""  # first acceptance: the engineer judges
    assert committed(form) == "2026-03-10T17:00"  # the provisional SIS2's target
    assert 'data-filled="2026-03-10T17:00"' in form  # app.js: not typed by the person
    assert 'data-fill="committed_resolution_at"' in form
    assert targets(form) == {
        "": "2026-03-10T17:00",
        "SIS1": "2026-03-10T13:00",
        "SIS2": "2026-03-10T17:00",
        "SIS3": clock.local(sis3).strftime("%Y-%m-%dT%H:%M"),
    }


def test_the_three_targets_are_those_of_one_severity_at_a_time(ticket, django_assert_num_queries):
    ticket = Ticket.objects.select_related("project").get(pk=ticket.pk)
    with at("2026-03-10T09:30"):
        one_by_one = {s: deadlines.keeper().resolve_target(ticket, s) for s in ("SIS1", "SIS3")}
        one_by_one[""] = deadlines.keeper().resolve_target(ticket, None)
        with django_assert_num_queries(3):  # the policies, the calendar and its days: once
            together = deadlines.keeper().resolve_targets(ticket, ["", "SIS1", "SIS3"])
    assert together == one_by_one
    assert ticket.severity == ""  # the copies were of another severity, not the ticket


def test_the_prefilled_time_is_accepted_without_the_beyond_target_question(ticket, people):
    client = web_client_for(people["engineer"])
    with at("2026-03-10T09:30"):
        form = accept_form(people["engineer"], ticket)
        due = targets(form)["SIS1"]
        response = client.post(
            reverse("tickets:act", args=[ticket.pk, "accept"]),
            {"severity": "SIS1", "committed_resolution_at": due},
            **HTMX,
        )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.committed_resolution_at) == (
        "in_progress",
        "SIS1",
        t("2026-03-10T13:00"),
    )
    assert not ticket.commitment_exceeds_target


def test_a_later_tier_starts_from_the_ticket_s_severity(ticket, people):
    with at("2026-03-10T09:30"):
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS1",
            committed_resolution_at=t("2026-03-10T13:00"),
        )
    with at("2026-03-10T10:00"):
        services.ticket_escalate(ticket_id=ticket.pk, actor=people["engineer"], reason="需专家")
        form = accept_form(people["expert2"], ticket)
    assert selected_severity(form) == "SIS1"  # not reset to "—"
    assert committed(form) == "2026-03-10T13:00"  # SIS1's target, as the select says
    assert targets(form)["SIS1"] == targets(form)[""] == "2026-03-10T13:00"


def test_a_target_already_past_is_no_suggestion(ticket, people):
    with at("2026-03-10T09:30"):
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS1",
            committed_resolution_at=t("2026-03-10T13:00"),
        )
    with at("2026-03-10T14:00"):  # SIS1's 13:00 has passed, SIS2's 17:00 has not
        services.ticket_escalate(ticket_id=ticket.pk, actor=people["engineer"], reason="需专家")
        form = accept_form(people["expert2"], ticket)
    assert committed(form) == ""
    assert targets(form)["SIS1"] == "" and targets(form)["SIS2"] == "2026-03-10T17:00"


def test_a_refused_form_keeps_what_was_typed_and_still_carries_the_targets(ticket, people):
    client = web_client_for(people["engineer"])
    with at("2026-03-10T09:30"):
        response = client.post(
            reverse("tickets:act", args=[ticket.pk, "accept"]),
            {"severity": "SIS2", "committed_resolution_at": "2001-01-01T10:00"},
            **HTMX,
        )
    body = response.content.decode()
    form = body[body.index('data-action="accept"') :]
    form = form[: form.index("</details>")]
    assert committed(form) == "2001-01-01T10:00" and selected_severity(form) == "SIS2"
    assert targets(form)["SIS1"] == "2026-03-10T13:00"
