"""Project pages: each user sees their own; anything else answers 404."""

from __future__ import annotations

from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from tests.factories import ProjectFactory
from tests.helpers import web_client_for


def test_project_list_shows_only_the_users_projects(customer: User):
    page = web_client_for(customer).get(reverse("catalog:project_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "研究生管理系统运维服务" in body
    assert "学工系统运维服务" not in body


def test_outsider_cannot_open_the_other_project(customer: User, outsider: User):
    project = Project.objects.get(organisation=customer.organisation)
    url = reverse("catalog:project_detail", args=[project.pk])
    assert web_client_for(outsider).get(url).status_code == 404
    page = web_client_for(customer).get(url)
    assert page.status_code == 200
    assert "服务工程师 陈刚" in page.content.decode()


def test_customer_does_not_see_the_teams_email_addresses(customer: User, people: dict[str, User]):
    project = Project.objects.get(organisation=customer.organisation)
    url = reverse("catalog:project_detail", args=[project.pk])
    assert "engineer@vendor.example" not in web_client_for(customer).get(url).content.decode()
    assert "engineer@vendor.example" in web_client_for(people["ops"]).get(url).content.decode()


def test_pages_require_login(db: None):
    from django.test import Client

    response = Client().get(reverse("catalog:project_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_project_list_query_count_is_bounded(
    people: dict[str, User], django_assert_max_num_queries
):
    for _ in range(30):
        ProjectFactory()
    client = web_client_for(people["hq"])
    with django_assert_max_num_queries(6):
        page = client.get(reverse("catalog:project_list"))
    assert page.content.decode().count("/projects/") >= 32
