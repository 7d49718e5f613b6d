"""The hotline's form (电话登记, issue 22 §3): the caller's search sits right above the caller's
field, which comes first; once a caller is chosen the project list holds their
organisation's contracts only; a project of another organisation is refused beside the
project's field, naming the caller's organisation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import ValidationError
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.factories import ProjectFactory
from tests.helpers import web_client_for

REGISTER = reverse("tickets:register")
PROJECTS = reverse("tickets:project_options")


def call(project: Project, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "project": project.pk,
        "title": "电话报修：学位申请提交后无响应",
        "description": "李老师来电：学位申请点击提交后一直转圈。",
        "urgency": "medium",
        "service_type": "fault",
        "call_notes": "来电 10:05",
    }
    data.update(overrides)
    return data


def option_values(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


def selected(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)" selected>', html)


def in_chinese(message: str, **values: object) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message) % values


def test_the_caller_s_search_sits_right_above_the_caller_who_comes_first(people):
    page = web_client_for(people["agent"]).get(REGISTER).content.decode()
    order = [page.index(marker) for marker in ('id="who"', 'for="id_reporter"', 'for="id_project"')]
    assert order == sorted(order)
    assert page.index('for="id_project"') < page.index('for="id_title"')
    between = page[page.index('id="who"') : page.index('for="id_reporter"')]
    assert "<select" not in between and "<textarea" not in between  # nothing in between
    reporter = re.search(r'<select name="reporter"[^>]*>', page)
    assert reporter and f'hx-get="{PROJECTS}"' in reporter.group(0)
    assert 'hx-target="#id_project"' in reporter.group(0)


def test_a_customer_s_form_is_as_it_was(customer, project):
    page = web_client_for(customer).get(REGISTER).content.decode()
    assert 'id="who"' not in page and 'name="reporter"' not in page
    assert page.index('for="id_project"') < page.index('for="id_title"')


def test_choosing_the_caller_narrows_the_projects_to_their_organisation(
    people, project, other_project
):
    agent = web_client_for(people["agent"])
    everything = option_values(agent.get(PROJECTS).content.decode())
    assert {str(project.pk), str(other_project.pk)} <= set(everything)
    mine = agent.get(PROJECTS, {"reporter": people["user"].pk}).content.decode()
    assert option_values(mine) == [str(project.pk)]
    assert selected(mine) == [str(project.pk)]  # their organisation's only contract: chosen
    theirs = agent.get(PROJECTS, {"reporter": people["user2"].pk}).content.decode()
    assert option_values(theirs) == [str(other_project.pk)]


def test_the_chosen_project_stays_chosen_when_it_is_the_caller_s(people, project):
    second = ProjectFactory(organisation=project.organisation, name="一卡通运维服务")
    agent = web_client_for(people["agent"])
    kept = agent.get(PROJECTS, {"reporter": people["user"].pk, "project": second.pk})
    html = kept.content.decode()
    assert set(option_values(html)) == {str(project.pk), str(second.pk)}
    assert selected(html) == [str(second.pk)]
    none = agent.get(PROJECTS, {"reporter": people["user"].pk}).content.decode()
    assert selected(none) == []  # two contracts: the agent chooses


def test_the_page_after_an_error_keeps_the_narrowed_list(people, project, other_project):
    response = web_client_for(people["agent"]).post(
        REGISTER, call(project, reporter=people["user"].pk, title="")
    )
    page = response.content.decode()
    select = page[page.index('<select name="project"') :]
    select = select[: select.index("</select>")]
    assert option_values(select) == [str(project.pk)]


def test_a_project_of_another_organisation_is_refused_beside_the_project(
    people, project, other_project
):
    response = web_client_for(people["agent"]).post(
        REGISTER, call(other_project, reporter=people["user"].pk)
    )
    assert response.status_code == 200 and Ticket.objects.count() == 0
    page = response.content.decode()
    message = escape(
        in_chinese(
            "Choose a project of the caller's organisation (%(organisation)s).",
            organisation=project.organisation.name,
        )
    )
    error = page.index(message)
    # right after the project's select, before the next field's label
    assert page.index('<select name="project"') < error < page.index('for="id_title"')
    assert f'<div class="error" role="alert">{message}</div>' in page


def test_only_vendor_staff_who_register_calls_may_list_a_caller_s_projects(people, customer):
    assert web_client_for(customer).get(PROJECTS).status_code == 403
    # another organisation's caller is no caller: every project, none chosen
    assert web_client_for(people["agent"]).get(PROJECTS, {"reporter": 10**6}).status_code == 200


def test_the_service_says_whose_project_it_must_be(people, project, other_project):
    with pytest.raises(ValidationError) as raised:
        services.ticket_register(
            actor=people["agent"],
            project_id=other_project.pk,
            product_id=None,
            title="来电",
            description="系统无法登录",
            urgency="medium",
            service_type="fault",
            channel="phone",
            reporter_id=people["user"].pk,
        )
    assert list(raised.value.fields) == ["project"]
    text = str(raised.value.fields["project"][0])
    assert str(people["user"]) in text and project.organisation.name in text


def test_the_call_registers_for_the_chosen_caller(people, project):
    user: User = people["user"]
    response = web_client_for(people["agent"]).post(REGISTER, call(project, reporter=user.pk))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.reporter, ticket.project, ticket.channel) == (user, project, "phone")
