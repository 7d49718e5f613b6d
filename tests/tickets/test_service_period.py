"""The contract's service period (服务期) is enforced at registration: a customer registering
before its start or after its end is refused with a clear message naming the vendor's
contact, and nothing is written; the vendor's staff can still register (a call, a probe),
and the ticket says it came outside the period, on its page and in the API."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campusdesk.catalog.models import Project
from campusdesk.core.errors import ValidationError
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket
from tests.tickets.test_views import form_data

#: 2030-03-02 10:00 in Beijing: after the demo contract's end (2027-11-30)
AFTER = datetime(2030, 3, 2, 2, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def manager(project: Project, people):
    manager = people["manager"]
    manager.phone = "13899110009"
    manager.save(update_fields=["phone"])
    project.service_manager = manager
    project.save(update_fields=["service_manager"])
    return manager


def test_a_customer_is_refused_after_the_end_and_told_whom_to_call(customer, project, manager):
    with time_machine.travel(AFTER, tick=False), pytest.raises(ValidationError) as refused:
        new_ticket(project, customer)
    message = str(refused.value.fields["project"][0])
    assert "2027-11-30" in message and "13899110009" in message and "服务" in message
    assert not Ticket.objects.exists()


def test_a_customer_is_refused_before_the_start(customer, project, manager):
    project.service_start = date(2031, 1, 1)
    project.service_end = date(2033, 12, 31)
    project.save(update_fields=["service_start", "service_end"])
    with time_machine.travel(AFTER, tick=False), pytest.raises(ValidationError):
        new_ticket(project, customer)


def test_inside_the_period_nothing_is_flagged(customer, project):
    assert new_ticket(project, customer).out_of_contract is False


def test_the_vendor_registers_a_call_outside_the_period_flagged(customer, project, people):
    agent = people["agent"]
    with time_machine.travel(AFTER, tick=False):
        ticket = new_ticket(project, agent, reporter_id=customer.pk, channel="phone")
        page = web_client_for(agent).get(reverse("tickets:detail", args=[ticket.pk]))
    assert ticket.out_of_contract is True and ticket.reporter == customer
    assert 'id="out-of-contract"' in page.content.decode()
    assert "服务期" in page.content.decode()
    answer = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/")
    assert answer.json()["out_of_contract"] is True


def test_the_form_and_the_api_say_it_beside_the_project(customer, project, manager):
    with time_machine.travel(AFTER, tick=False):
        client = web_client_for(customer)  # signed in then: a session of today would expire
        page = client.post(reverse("tickets:register"), form_data(project))
        api = api_client_for(customer, "zh-hans").post(
            "/api/v1/tickets/",
            {
                "project": project.pk,
                "title": "成绩录入报错",
                "description": "保存成绩时提示系统异常",
                "urgency": "high",
                "service_type": "fault",
            },
            format="json",
        )
    body = page.content.decode()
    assert page.status_code == 200 and "2027-11-30" in body and "13899110009" in body
    assert "学院审批通过后，学生端仍显示“审批中”。" in body  # what was typed is kept
    assert api.status_code == 400 and "2027-11-30" in str(api.json()["project"])
    assert not Ticket.objects.exists()


def test_without_a_service_manager_the_service_desk_is_named(customer, project, settings):
    settings.SERVICE_HOTLINE = "400-123-4567"
    project.service_manager = None
    project.save(update_fields=["service_manager"])
    with time_machine.travel(AFTER, tick=False), pytest.raises(ValidationError) as refused:
        new_ticket(project, customer)
    assert "400-123-4567" in str(refused.value.fields["project"][0])
