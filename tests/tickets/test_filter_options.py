"""Long list filters (every project, every handler) load their options when the user reaches
for them (``core.widgets.LazySelect``, ``tickets:filter_options``); short ones are inline."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket


def _select(page: str, name: str) -> str:
    found = re.search(rf'<select name="{name}"[^>]*>.*?</select>', page, re.S)
    assert found, name
    return found.group(0)


OPTION = re.compile(r'<option value="([^"]*)"( selected)?>')


def _options(html: str) -> list[tuple[str, bool]]:
    return [(value, bool(selected)) for value, selected in OPTION.findall(html)]


@pytest.fixture
def few_inline(settings):
    settings.FILTER_INLINE_OPTIONS = 1


def test_a_long_list_carries_only_the_chosen_option(
    people: dict[str, User], project: Project, other_project: Project, customer, few_inline
):
    new_ticket(project, customer, title="成绩录入报错")
    new_ticket(other_project, people["user2"], title="学工系统登录失败")
    client = web_client_for(people["ops"])
    page = client.get("/tickets/", {"project": project.pk}).content.decode()
    select = _select(page, "project")
    assert 'data-lazy="options"' in select
    assert f'hx-get="{reverse("tickets:filter_options", args=["project"])}"' in select
    assert 'hx-select="unset"' in select and 'hx-push-url="false"' in select
    assert _options(select) == [("", False), (str(project.pk), True)]
    assert "成绩录入报错" in page and "学工系统登录失败" not in page  # the filter still filters
    empty = _select(client.get("/tickets/").content.decode(), "project")
    assert _options(empty) == [("", True)]


def test_the_options_are_every_visible_choice_with_the_current_one_selected(
    people: dict[str, User], project: Project, few_inline
):
    client = web_client_for(people["ops"])
    url = reverse("tickets:filter_options", args=["project"])
    answer = client.get(url, {"project": project.pk})
    assert answer.status_code == 200
    assert "private" in answer["Cache-Control"] and "max-age=60" in answer["Cache-Control"]
    assert "Cookie" in answer["Vary"]  # a browser never shows one login's options to another
    options = _options(answer.content.decode())
    every = list(scoping.visible_projects(people["ops"]).values_list("pk", flat=True))
    assert len(every) > 1
    assert sorted(int(v) for v, _ in options if v) == sorted(every)
    assert [v for v, chosen in options if chosen] == [str(project.pk)]
    handlers = _options(
        client.get(reverse("tickets:filter_options", args=["assignee"])).content.decode()
    )
    assert str(people["engineer"].pk) in {v for v, _ in handlers}
    assert str(people["user"].pk) not in {v for v, _ in handlers}


def test_a_customer_gets_only_their_organisations_projects_and_no_handlers(
    people: dict[str, User], project: Project, other_project: Project, few_inline
):
    client = web_client_for(people["user"])
    answer = client.get(reverse("tickets:filter_options", args=["project"]))
    values = {v for v, _ in _options(answer.content.decode()) if v}
    mine = set(scoping.visible_projects(people["user"]).values_list("pk", flat=True))
    assert values == {str(pk) for pk in mine} and str(other_project.pk) not in values
    assert client.get(reverse("tickets:filter_options", args=["assignee"])).status_code == 404
    assert client.get(reverse("tickets:filter_options", args=["status"])).status_code == 404
    assert client.get(reverse("tickets:filter_options", args=["nothing"])).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(db):
    response = Client().get(reverse("tickets:filter_options", args=["project"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_short_list_is_written_in_full(people: dict[str, User], project: Project):
    client = web_client_for(people["user"])  # a customer: their organisation's projects
    select = _select(client.get("/tickets/").content.decode(), "project")
    every = scoping.visible_projects(people["user"]).count()
    assert every >= 1
    assert "data-lazy" not in select and len(_options(select)) == every + 1


def test_the_vendors_whole_lists_are_always_loaded_when_reached_for(
    people: dict[str, User], project: Project
):
    """Every project and every handler of the vendor: lazy however few, without counting."""
    client = web_client_for(people["ops"])
    assert scoping.visible_projects(people["ops"]).count() <= 30  # short, yet lazy
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/tickets/").content.decode()
    for name in ("project", "assignee"):
        assert 'data-lazy="options"' in _select(page, name), name
    project_reads = [
        sql
        for sql in (q["sql"] for q in queries)
        if 'FROM "catalog_project"' in sql and "tickets_ticket" not in sql
    ]
    assert project_reads == []


def test_a_chosen_value_that_is_no_key_chooses_nothing(people: dict[str, User], few_inline):
    client = web_client_for(people["ops"])
    page = client.get("/tickets/", {"project": "x1"}).content.decode()
    assert _options(_select(page, "project")) == [("", False)]  # as Django's Select
