"""Emergency plans on incident tickets: an engineer opens the system's plan on the incident,
its steps become the ticket's checklist, and ticking a step records who and when; the
customer reads it; a fault ticket, another system's plan, another organisation and an
engineer of another project are refused; the API does the same; the demo shows one."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from campusdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from campusdesk.routines import services, ticket_plans
from campusdesk.routines.models import EmergencyPlan, TicketPlan
from campusdesk.routines.ticket_views import ticket_panel
from campusdesk.systems import services as systems
from campusdesk.systems import ticketlink
from campusdesk.systems.models import ApplicationSystem, SystemEvent
from campusdesk.tickets import services as tickets
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.helpers import api_client_for, web_client_for
from tests.routines.conftest import T0
from tests.tickets.conftest import new_ticket

STEPS = ["确认主库不可用", "切换到备库", "验证业务"]
NO_STEP = "There is no step %(n)s: the plan's steps are numbered 0 to %(last)d."
NOT_INCIDENT = "Only an emergency incident opens an emergency plan."
OPENED = "Emergency plan opened: %(scenario)s (%(steps)d steps)."


def zh(msgid: str, **values: Any) -> str:
    """A message as the pages and the API say it in Chinese (``make messages`` compiles the
    catalogue; until then the msgid itself, on both sides)."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % values if values else text


def _plan(people, system: ApplicationSystem, scenario: str = "数据库主机宕机") -> EmergencyPlan:
    data = {
        "scenario": scenario,
        "trigger": "数据库探针连续失败",
        "steps": STEPS,
        "contacts": "DBA 张工 13800000000",
        "rto_minutes": 30,
        "rpo_minutes": 5,
    }
    return services.plan_create(actor=people["engineer"], system=system, data=data, now=T0)


def _ticket(people, project, system: ApplicationSystem | None, kind: str = "incident") -> Ticket:
    ticket = new_ticket(project, people["user"], title="研究生系统整体无法访问", service_type=kind)
    if system is not None:
        ticketlink.ticket_system_set(ticket=ticket, actor=people["engineer"], system=system)
    return ticket


@pytest.fixture
def plan(people, system) -> EmergencyPlan:
    return _plan(people, system)


@pytest.fixture
def incident(people, project, system) -> Ticket:
    return _ticket(people, project, system)


def _open(people, incident: Ticket, plan: EmergencyPlan, who: str = "engineer") -> TicketPlan:
    return ticket_plans.plan_open(actor=people[who], ticket=incident, plan_id=plan.pk, now=T0)


def _step_item(page: str, plan: EmergencyPlan, n: int) -> str:
    found = re.search(rf'<li id="ticket-plan-{plan.pk}-step-{n}">(.*?)</li>', page, re.S)
    assert found is not None, f"no step {n} on the page"
    return found.group(1)


# --- the pages -------------------------------------------------------------------------------
def test_opening_a_plan_on_an_incident_shows_its_steps_on_the_ticket_page(people, incident, plan):
    client = web_client_for(people["engineer"])
    page = client.get(f"/tickets/{incident.pk}/").content.decode()
    offer = f'action="/tickets/{incident.pk}/plans/"'
    assert offer in page and f'name="plan" value="{plan.pk}"' in page
    assert escape(zh("Open this plan")) in page
    opened = client.post(f"/tickets/{incident.pk}/plans/", {"plan": plan.pk})
    assert opened.status_code == 302
    assert opened["Location"] == f"/tickets/{incident.pk}/#ticket-plan-{plan.pk}"
    ticket_plan = TicketPlan.objects.get(ticket=incident, plan=plan)
    assert [s["text"] for s in ticket_plan.steps] == STEPS
    assert ticket_plan.opened_by == people["engineer"]
    page = client.get(f"/tickets/{incident.pk}/").content.decode()
    for n, text in enumerate(STEPS):
        item = _step_item(page, plan, n)
        assert text in item and "☐" in item
        assert f'action="/tickets/{incident.pk}/plans/{plan.pk}/steps/{n}/"' in item
    assert escape(zh("%(done)s of %(total)s steps done", done=0, total=3)) in page
    assert "DBA 张工 13800000000" in page and "RTO" in page
    assert offer not in page  # opened: no longer offered
    # the ticket's timeline says so, and the system's record has it
    record = TicketEvent.objects.filter(ticket=incident, action="record").get()
    said = zh(OPENED, scenario="数据库主机宕机", steps=3)
    assert record.data["body"] == said and record.actor == people["engineer"]
    assert escape(said) in page
    assert SystemEvent.objects.filter(action="plan.opened", data__ticket=incident.pk).exists()


def test_ticking_a_step_records_who_and_when_and_shows_it(people, incident, plan):
    _open(people, incident, plan)
    client = web_client_for(people["engineer"])
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        ticked = client.post(f"/tickets/{incident.pk}/plans/{plan.pk}/steps/1/", {"done": "1"})
    assert ticked.status_code == 302
    assert ticked["Location"] == f"/tickets/{incident.pk}/#ticket-plan-{plan.pk}"
    step = TicketPlan.objects.get(ticket=incident).steps[1]
    assert step["done_by"] == people["engineer"].pk
    assert step["done_at"] == (T0 + timedelta(minutes=5)).isoformat()
    page = client.get(f"/tickets/{incident.pk}/").content.decode()
    item = _step_item(page, plan, 1)
    done_by = zh(
        "Done by %(name)s at %(when)s", name=str(people["engineer"]), when="2025-12-20 10:05"
    )
    assert "☑" in item and escape(done_by) in item
    assert "☐" in _step_item(page, plan, 0) and "☑" not in _step_item(page, plan, 0)
    assert escape(zh("%(done)s of %(total)s steps done", done=1, total=3)) in page
    # untick: who and when are cleared
    client.post(f"/tickets/{incident.pk}/plans/{plan.pk}/steps/1/", {"done": "0"})
    step = TicketPlan.objects.get(ticket=incident).steps[1]
    assert step["done_at"] is None and step["done_by"] is None


def test_two_people_ticking_at_once_each_keep_their_step(people, incident, plan):
    opened = _open(people, incident, plan)
    later = T0 + timedelta(minutes=9)
    ticket_plans.step_toggle(actor=people["engineer"], ticket_plan=opened, n=0, done=True, now=T0)
    # ``opened`` is stale now: the service reads the row again under its lock
    ticket_plans.step_toggle(actor=people["expert2"], ticket_plan=opened, n=2, done=True, now=later)
    ticket_plans.step_toggle(actor=people["expert2"], ticket_plan=opened, n=0, done=True, now=later)
    steps = TicketPlan.objects.get(pk=opened.pk).steps
    assert steps[0]["done_by"] == people["engineer"].pk  # ticked twice: the first stays
    assert steps[0]["done_at"] == T0.isoformat()
    assert steps[2]["done_by"] == people["expert2"].pk
    assert steps[1]["done_at"] is None


def test_a_bad_step_number_is_refused_clearly(people, incident, plan):
    opened = _open(people, incident, plan)
    with pytest.raises(ValidationError) as refused:
        ticket_plans.step_toggle(actor=people["engineer"], ticket_plan=opened, n=3, done=True)
    message = zh(NO_STEP, n=3, last=2)
    assert str(refused.value) == message and refused.value.fields["n"] == [message]
    page = (
        web_client_for(people["engineer"])
        .post(f"/tickets/{incident.pk}/plans/{plan.pk}/steps/7/", {"done": "1"}, follow=True)
        .content.decode()
    )
    assert escape(zh(NO_STEP, n=7, last=2)) in page
    assert all(s["done_at"] is None for s in TicketPlan.objects.get(pk=opened.pk).steps)


def test_a_ticket_other_than_an_incident_is_refused_with_the_message(people, project, system, plan):
    fault = _ticket(people, project, system, kind="fault")
    with pytest.raises(ValidationError) as refused:
        ticket_plans.plan_open(actor=people["engineer"], ticket=fault, plan_id=plan.pk)
    assert str(refused.value) == zh(NOT_INCIDENT)
    client = web_client_for(people["engineer"])
    page = client.get(f"/tickets/{fault.pk}/").content.decode()
    assert 'id="ticket-plans"' not in page  # nothing offered on a fault
    answer = client.post(f"/tickets/{fault.pk}/plans/", {"plan": plan.pk}, follow=True)
    assert escape(zh(NOT_INCIDENT)) in answer.content.decode()
    assert not TicketPlan.objects.exists()


def test_a_plan_of_another_system_or_opened_twice_is_refused(people, project, incident, plan):
    other = systems.system_create(actor=people["engineer"], project=project, name="一卡通系统")
    foreign = _plan(people, other, scenario="一卡通数据库宕机")
    with pytest.raises(ValidationError) as refused:
        ticket_plans.plan_open(actor=people["engineer"], ticket=incident, plan_id=foreign.pk)
    expected = zh(
        "Choose an emergency plan of the problem's application system, %(system)s.",
        system="研究生管理系统",
    )
    assert refused.value.fields["plan"] == [expected]
    _open(people, incident, plan)
    with pytest.raises(ValidationError) as twice:
        _open(people, incident, plan)
    assert str(twice.value) == zh("This emergency plan is already open on this problem.")
    assert TicketPlan.objects.count() == 1
    # an incident naming no system has no plan to open
    bare = _ticket(people, project, None)
    with pytest.raises(ValidationError) as none:
        ticket_plans.plan_open(actor=people["engineer"], ticket=bare, plan_id=plan.pk)
    assert str(none.value) == zh(
        "This problem names no application system, so no emergency plan applies."
    )


def test_the_customer_reads_the_checklist_and_cannot_change_it(people, incident, plan):
    opened = _open(people, incident, plan)
    ticket_plans.step_toggle(actor=people["engineer"], ticket_plan=opened, n=0, done=True, now=T0)
    customer = web_client_for(people["user"])
    page = customer.get(f"/tickets/{incident.pk}/").content.decode()
    assert "☑" in _step_item(page, plan, 0) and STEPS[1] in _step_item(page, plan, 1)
    assert f"/plans/{plan.pk}/steps/" not in page and 'name="plan"' not in page
    step = f"/tickets/{incident.pk}/plans/{plan.pk}/steps/1/"
    assert customer.post(step, {"done": "1"}).status_code == 403
    assert customer.post(f"/tickets/{incident.pk}/plans/", {"plan": plan.pk}).status_code == 403
    with pytest.raises(PermissionDenied):
        ticket_plans.step_toggle(actor=people["user"], ticket_plan=opened, n=1, done=True)
    assert TicketPlan.objects.get(pk=opened.pk).steps[1]["done_at"] is None


@pytest.mark.parametrize("who", ["user2", "engineer2"])
def test_another_organisation_or_project_finds_nothing(people, incident, plan, who):
    """昆仑大学's customer (user2) and the engineer serving only its project (engineer2)."""
    opened = _open(people, incident, plan)
    client = web_client_for(people[who])
    assert client.post(f"/tickets/{incident.pk}/plans/", {"plan": plan.pk}).status_code == 404
    step = f"/tickets/{incident.pk}/plans/{plan.pk}/steps/0/"
    assert client.post(step, {"done": "1"}).status_code == 404
    api = api_client_for(people[who])
    base = f"/api/v1/tickets/{incident.pk}/emergency-plans/"
    assert api.get(base).status_code == 404
    assert api.post(base, {"plan": plan.pk}, format="json").status_code == 404
    assert api.post(f"{base}{plan.pk}/steps/0/", {"done": True}, format="json").status_code == 404
    with pytest.raises(PermissionDenied):  # past the lookup, the service refuses too
        ticket_plans.step_toggle(actor=people[who], ticket_plan=opened, n=0, done=True)
    assert TicketPlan.objects.get(pk=opened.pk).steps[0]["done_at"] is None


def test_a_closed_incident_s_checklist_no_longer_changes(people, incident, plan):
    opened = _open(people, incident, plan)
    engineer, customer = people["engineer"], people["user"]
    tickets.ticket_accept(
        ticket_id=incident.pk,
        actor=engineer,
        severity="SIS1",
        committed_resolution_at=timezone.now() + timedelta(hours=4),
    )
    tickets.incident_report_save(
        ticket_id=incident.pk,
        actor=engineer,
        fields={
            "what_happened": "主库宕机",
            "cause": "磁盘写满",
            "solution": "切换到备库",
            "responsible_person": "陈刚",
            "improvements": "磁盘监控",
        },
    )
    tickets.ticket_request_close(ticket_id=incident.pk, actor=engineer, solution="已切换")
    tickets.ticket_close(ticket_id=incident.pk, actor=customer, rating=5, workload_hours=1)
    with pytest.raises(TransitionError):
        ticket_plans.step_toggle(actor=engineer, ticket_plan=opened, n=0, done=True)
    answer = api_client_for(engineer).post(
        f"/api/v1/tickets/{incident.pk}/emergency-plans/{plan.pk}/steps/0/",
        {"done": True},
        format="json",
    )
    assert answer.status_code == 409
    page = web_client_for(engineer).get(f"/tickets/{incident.pk}/").content.decode()
    assert STEPS[0] in page and f"/plans/{plan.pk}/steps/" not in page  # read-only


def test_the_ticket_page_reads_the_plans_in_two_queries_whatever_their_number(
    people, project, incident, plan
):
    engineer = people["engineer"]
    second = _plan(people, incident.system_link.system, scenario="HTTPS 证书过期")
    incident = Ticket.objects.select_related("project").get(pk=incident.pk)
    with CaptureQueriesContext(connection) as before:
        offered = ticket_panel(incident, engineer)
    assert len(before) <= 2 and len(offered["ticket_plans"].matching) == 2
    client = web_client_for(engineer)
    _page_queries(client, incident)  # the session's first request does more
    few = _page_queries(client, incident)
    for chosen in (plan, second):
        opened = _open(people, incident, chosen)
        for n, who in enumerate(["engineer", "expert2", "manager"]):
            ticket_plans.step_toggle(actor=people[who], ticket_plan=opened, n=n, done=True)
    with CaptureQueriesContext(connection) as after:
        shown = ticket_panel(incident, engineer)
    assert len(after) <= 2
    assert [row.done for row in shown["ticket_plans"].opened] == [3, 3]
    assert _page_queries(client, incident) <= few + 1  # the people who ticked: one query


def _page_queries(client, ticket: Ticket) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
    return len(queries)


# --- the API ---------------------------------------------------------------------------------
def test_the_api_lists_opens_and_ticks(people, incident, plan):
    engineer = people["engineer"]
    api = api_client_for(engineer, "zh-hans")
    base = f"/api/v1/tickets/{incident.pk}/emergency-plans/"
    listed = api.get(base).json()
    assert listed["opened"] == []
    assert [(p["id"], p["scenario"], p["steps"]) for p in listed["matching"]] == [
        (plan.pk, "数据库主机宕机", STEPS)
    ]
    created = api.post(base, {"plan": plan.pk}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["plan"] == plan.pk and body["opened_by"] == engineer.pk
    assert (body["done"], body["total"], body["rto_minutes"], body["rpo_minutes"]) == (0, 3, 30, 5)
    assert [(s["n"], s["text"], s["done_at"]) for s in body["steps"]] == [
        (0, STEPS[0], None),
        (1, STEPS[1], None),
        (2, STEPS[2], None),
    ]
    again = api.post(base, {"plan": plan.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == zh("This emergency plan is already open on this problem.")
    ticked = api.post(f"{base}{plan.pk}/steps/2/", {"done": True}, format="json")
    assert ticked.status_code == 200, ticked.content
    step = ticked.json()["steps"][2]
    assert step["done_by"] == engineer.pk and step["done_at"] is not None
    assert ticked.json()["done"] == 1
    listed = api.get(base).json()
    assert listed["matching"] == [] and listed["opened"][0]["steps"][2]["done_by"] == engineer.pk
    unticked = api.post(f"{base}{plan.pk}/steps/2/", {"done": False}, format="json")
    assert unticked.json()["steps"][2]["done_by"] is None and unticked.json()["done"] == 0
    # a customer of the organisation reads it, and may not write
    customer = api_client_for(people["user"])
    assert customer.get(base).json()["opened"][0]["plan"] == plan.pk
    refused = customer.post(f"{base}{plan.pk}/steps/0/", {"done": True}, format="json")
    assert refused.status_code == 403


def test_the_api_says_what_is_wrong(people, project, incident, plan):
    api = api_client_for(people["engineer"], "zh-hans")
    base = f"/api/v1/tickets/{incident.pk}/emergency-plans/"
    api.post(base, {"plan": plan.pk}, format="json")
    bad = api.post(f"{base}{plan.pk}/steps/3/", {"done": True}, format="json")
    assert bad.status_code == 400
    message = zh(NO_STEP, n=3, last=2)
    assert bad.json() == {"detail": message, "n": [message]}
    assert api.post(f"{base}{plan.pk}/steps/x/", {"done": True}, format="json").status_code == 404
    assert api.post(f"{base}{plan.pk}/steps/0/", {}, format="json").status_code == 400
    assert api.post(f"{base}999999/steps/0/", {"done": True}, format="json").status_code == 404
    assert api.post(base, {}, format="json").status_code == 400
    fault = _ticket(people, project, incident.system_link.system, kind="fault")
    refused = api.post(
        f"/api/v1/tickets/{fault.pk}/emergency-plans/", {"plan": plan.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh(NOT_INCIDENT)
    assert api.get(f"/api/v1/tickets/{fault.pk}/emergency-plans/").json() == {
        "opened": [],
        "matching": [],
    }


# --- the demo --------------------------------------------------------------------------------
def test_the_demo_incident_has_its_database_plan_under_way(db):
    from campusdesk.site import demo

    demo.load()
    opened = TicketPlan.objects.select_related("ticket", "plan").get()
    assert opened.plan.scenario == "数据库主机宕机"
    assert opened.ticket.service_type == "incident" and opened.ticket.status == "in_progress"
    done = [step["done_by"] is not None for step in opened.steps]
    assert done[:2] == [True, True] and not any(done[2:])
