"""Products and projects through the API: scoped, and 404 for what is outside the scope."""

from __future__ import annotations

import re

from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from tests.helpers import api_client_for


def test_customer_lists_only_their_projects(customer: User):
    response = api_client_for(customer).get("/api/v1/projects/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["name"] for r in rows] == ["研究生管理系统运维服务"]
    row = rows[0]
    assert row["organisation"] == customer.organisation_id
    assert set(row) >= {"id", "name", "organisation", "product"}


def test_outsider_gets_404_for_the_other_universitys_project(customer: User, outsider: User):
    theirs = Project.objects.get(organisation=customer.organisation)
    response = api_client_for(outsider).get(f"/api/v1/projects/{theirs.pk}/")
    assert response.status_code == 404
    assert api_client_for(customer).get(f"/api/v1/projects/{theirs.pk}/").status_code == 200


def test_products_follow_the_projects(customer: User, outsider: User):
    mine = api_client_for(customer).get("/api/v1/products/").json()["results"]
    theirs = api_client_for(outsider).get("/api/v1/products/").json()["results"]
    assert [p["name"] for p in mine] == ["研究生管理系统"]
    assert [p["name"] for p in theirs] == ["学工系统"]


def test_organisations_are_scoped(customer: User, people: dict[str, User]):
    mine = api_client_for(customer).get("/api/v1/organisations/").json()["results"]
    assert [o["name"] for o in mine] == ["新疆师范大学"]
    everyone = api_client_for(people["hq"]).get("/api/v1/organisations/").json()["results"]
    assert len(everyone) == 3


def test_anonymous_requests_are_refused(db: None):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/projects/")
    assert response.status_code == 401


def test_project_list_queries_do_not_grow_with_projects(
    people: dict[str, User], django_assert_max_num_queries
):
    from tests.factories import ProjectFactory

    for _ in range(25):
        ProjectFactory()
    client = api_client_for(people["hq"])
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/projects/")
    assert response.json()["count"] == 27


def test_schema_and_docs_are_served_locally(people: dict[str, User]):
    client = api_client_for(people["admin"])
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    # every script, style and image from this server: no CDN, no other host (a bare "cdn"
    # substring check failed once on a random CSRF token that happened to contain it)
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets)
    assert not re.search(r"https?://", html.replace("http://testserver", ""))
