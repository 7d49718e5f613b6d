"""A ticket knows its system (issue 18 item 6): the API's ``system`` field, the registration
form's choice of the organisation's systems with its environment filled in, another
organisation's system refused with nothing saved, the ticket page's panel, and lists that
read the systems without a query per ticket."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import services, ticketlink
from campusdesk.systems.models import ApplicationSystem, SystemEvent, TicketSystem
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket
from tests.tickets.test_views import form_data

ENV: dict[str, Any] = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "database", "name": "Oracle Database", "version": "19.3.0.0"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "backup": "RMAN 每日全备",
}
TICKET = {
    "title": "成绩录入时系统报错",
    "description": "导师点击保存后提示“系统异常”。",
    "urgency": "high",
    "service_type": "fault",
}
FILL = reverse("systems-ticket-environment")


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    made = services.system_create(actor=people["engineer"], project=project, name="研究生管理系统")
    services.environment_change(
        system_id=made.pk, actor=people["engineer"], data=ENV, reason="初次登记"
    )
    made.refresh_from_db()
    return made


@pytest.fixture
def sibling(people: dict[str, User], project: Project) -> ApplicationSystem:
    """Another system of the same university, without an environment yet."""
    return services.system_create(actor=people["engineer"], project=project, name="一卡通")


@pytest.fixture
def foreign(people: dict[str, User], other_project: Project) -> ApplicationSystem:
    """A system of 昆仑大学."""
    return services.system_create(actor=people["admin"], project=other_project, name="学工系统")


def _options(html: str) -> set[str]:
    select = re.search(r'<select name="system".*?</select>', html, re.S)
    assert select, "the form offers no system"
    return set(re.findall(r'<option value="(\d+)"', select.group(0)))


# --- the API ----------------------------------------------------------------------------
def test_a_ticket_registered_through_the_api_names_its_system(customer, project, system):
    client = api_client_for(customer)
    made = client.post("/api/v1/tickets/", {**TICKET, "project": project.pk, "system": system.pk})
    assert made.status_code == 201, made.json()
    ticket = Ticket.objects.get(pk=made.json()["id"])
    assert made.json()["system"] == system.pk
    assert TicketSystem.objects.get(ticket=ticket).system == system
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").json()["system"] == system.pk
    assert client.get("/api/v1/tickets/").json()["results"][0]["system"] == system.pk
    event = SystemEvent.objects.get(system=system, action="ticket.linked")
    assert event.data == {"ticket": ticket.pk, "number": ticket.number}

    plain = client.post("/api/v1/tickets/", {**TICKET, "project": project.pk}, format="json")
    assert plain.status_code == 201 and plain.json()["system"] is None
    rows = client.get("/api/v1/tickets/").json()["results"]
    assert [r["system"] for r in rows] == [None, system.pk]


@pytest.mark.parametrize("who", ["user", "admin"])
def test_another_organisations_system_is_refused_and_nothing_saved(people, project, foreign, who):
    client = api_client_for(people[who], language="en")
    body = {**TICKET, "project": project.pk, "system": foreign.pk}
    if who == "admin":  # the vendor's staff register for a customer
        body["reporter"] = people["user"].pk
    answer = client.post("/api/v1/tickets/", body, format="json")
    assert answer.status_code == 400
    message = {
        "user": "There is no such application system.",  # a customer does not see it
        "admin": "Choose an application system of the problem's organisation.",
    }[who]
    assert answer.json() == {"detail": message, "system": [message]}
    assert not Ticket.objects.exists()
    assert not TicketSystem.objects.exists()
    for bad in ("x", -1, 2**63):
        refused = client.post("/api/v1/tickets/", {**body, "system": bad}, format="json")
        assert refused.status_code == 400 and "system" in refused.json()
    assert not Ticket.objects.exists()


# --- the registration form ------------------------------------------------------------
def test_the_form_offers_the_organisations_systems_only(people, customer, system, foreign):
    page = web_client_for(customer).get(reverse("tickets:register")).content.decode()
    assert _options(page) == {str(system.pk)}
    assert page.index('name="project"') < page.index('name="system"') < page.index('"title"')
    assert f'hx-get="{FILL}"' in page
    # the vendor's staff register for several universities: each system says whose it is
    staff = web_client_for(people["admin"]).get(reverse("tickets:register")).content.decode()
    assert _options(staff) == {str(system.pk), str(foreign.pk)}
    assert "学工系统 (昆仑大学)" in staff
    # nothing to choose: no field
    outsider = web_client_for(people["user2"])
    Project.objects.filter(pk=foreign.project_id).update(is_active=False)
    assert 'name="system"' not in outsider.get(reverse("tickets:register")).content.decode()


def test_the_form_registers_the_ticket_with_its_system(customer, project, system):
    client = web_client_for(customer)
    response = client.post(
        reverse("tickets:register"), form_data(project, system=system.pk, environment="见下")
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.system_link.system == system
    page = client.get(response["Location"]).content.decode()
    link = f'<a href="{reverse("systems-detail", args=[system.pk])}">研究生管理系统</a>'
    facts = re.search(r'<dl class="facts">.*?</dl>', page, re.S)
    assert facts and link in facts.group(0)
    plain = new_ticket(project, customer)
    assert link not in client.get(f"/tickets/{plain.pk}/").content.decode()


def test_the_form_refuses_another_organisations_system_with_nothing_saved(
    people, project, system, foreign
):
    client = web_client_for(people["admin"])
    client.cookies["django_language"] = "en"
    data = form_data(
        project, system=foreign.pk, environment="我写的环境说明", reporter=people["user"].pk
    )
    response = client.post(reverse("tickets:register"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose an application system of the problem&#x27;s organisation." in body
    assert "我写的环境说明" in body  # what was typed is kept
    assert not Ticket.objects.exists() and not TicketSystem.objects.exists()
    customer = web_client_for(people["user"])  # a system they cannot see: not a choice
    refused = customer.post(reverse("tickets:register"), data)
    assert refused.status_code == 200
    assert 'name="system"' in refused.content.decode()
    assert refused.context["form"].errors["system"]
    assert not Ticket.objects.exists()


# --- the environment filled in ------------------------------------------------------------
def test_the_environment_as_text(system):
    with translation.override("en"):
        text = ticketlink.environment_text(system.current_environment)
    assert text.splitlines() == [
        "Operating system: CentOS 7.9.2009",
        "Middleware: nginx 1.24.0",
        "Database: Oracle Database 19.3.0.0",
        "Open ports: 443/tcp https (internet)",
        "Backup: RMAN 每日全备",
    ]
    assert ticketlink.environment_text(None) == ""


def _textarea(answer: Any) -> str:
    assert answer.status_code == 200
    html = answer.content.decode()
    found = re.fullmatch(
        r'<textarea name="environment"[^>]*id="id_environment">\n?(.*)</textarea>', html, re.S
    )
    assert found, html
    return unescape(found.group(1))


def test_choosing_a_system_fills_the_environment(customer, system, sibling):
    client = web_client_for(customer)
    text = _textarea(client.get(FILL, {"system": system.pk, "environment": ""}))
    assert "nginx 1.24.0" in text and "443/tcp https" in text
    assert text == ticketlink.environment_text(system.current_environment)
    # the person's own text is kept; a text another system filled in is replaced
    own = _textarea(client.get(FILL, {"system": system.pk, "environment": "Windows 2019"}))
    assert own == "Windows 2019"
    assert _textarea(client.get(FILL, {"system": sibling.pk, "environment": text})) == ""
    assert _textarea(client.get(FILL, {"environment": text})) == text  # none chosen: kept


def test_another_organisations_system_is_not_filled_in(people, system):
    answer = web_client_for(people["user2"]).get(FILL, {"system": system.pk})
    assert answer.status_code == 404
    assert web_client_for(people["user2"]).get(FILL, {"system": 2**70}).status_code == 200
    anonymous = web_client_for(people["user"])
    anonymous.logout()
    assert anonymous.get(FILL, {"system": system.pk}).status_code == 302


# --- lists ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("user", "/api/v1/tickets/"),
        ("engineer", "/api/v1/tickets/"),
        ("ops", "/api/v1/ops/watch/?list=unaccepted"),
    ],
)
def test_ticket_lists_read_the_systems_without_a_query_per_ticket(
    people, project, system, sibling, who, path
):
    client = api_client_for(people[who])

    def grow(n: int) -> None:
        for i in range(n):
            ticket = new_ticket(project, people["user"], title=f"报错 {i}")
            if i % 3:
                chosen = system if i % 2 else sibling
                ticketlink.ticket_system_set(ticket=ticket, actor=people["user"], system=chosen)
            Ticket.objects.filter(pk=ticket.pk).update(accept_by=ticket.created_at)

    def count() -> tuple[int, list[Any]]:
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(path)
        assert answer.status_code == 200
        return len(queries), [row["system"] for row in answer.json()["results"]]

    grow(3)
    few, shown = count()
    assert {system.pk, sibling.pk, None} == set(shown)
    grow(9)
    many, shown = count()
    assert len(shown) == 12 and shown.count(None) == 4
    assert many <= few, f"{few} → {many} queries"
