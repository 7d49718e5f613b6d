"""/api/v1/systems/: systems created, read, edited and listed; environments posted, read,
listed and compared in the issue's shapes; customers read only; another organisation's
system is not there (404) on every route."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import services
from campusdesk.systems.models import ApplicationSystem, EnvironmentVersion, SystemEvent
from tests.helpers import api_client_for

URL = "/api/v1/systems/"
V1: dict[str, Any] = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "database", "name": "MySQL", "version": "5.7.44-log"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "notes": "双机部署",
}
#: V1 as stored (``environment.normalise``: components by name, every key present)
V1_STORED: dict[str, Any] = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "database", "name": "MySQL", "version": "5.7.44-log"},
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "deployment": "",
    "backup": "",
    "notes": "双机部署",
}


def _v2() -> dict[str, Any]:
    return {
        **V1,
        "components": [
            {"kind": "middleware", "name": "nginx", "version": "1.25.3"},
            {"kind": "database", "name": "MySQL", "version": "5.7.44-log"},
        ],
        "ports": [*V1["ports"], {"port": 8080, "protocol": "tcp", "service": "tomcat"}],
    }


@pytest.fixture
def engineer(people: dict[str, User]) -> Any:
    return api_client_for(people["engineer"], language="en")


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    return services.system_create(
        actor=people["engineer"], project=project, name="研究生管理系统", importance="core"
    )


@pytest.fixture
def versioned(system: ApplicationSystem, people: dict[str, User]) -> ApplicationSystem:
    for data, reason in ((V1, "初次登记"), (_v2(), "升级 nginx")):
        services.environment_change(
            system_id=system.pk, actor=people["engineer"], data=data, reason=reason
        )
    system.refresh_from_db()
    return system


# --- the system -----------------------------------------------------------------------
def test_a_system_is_created_read_edited_and_listed(engineer, people, project, customer):
    body = {
        "name": "统一身份认证管理系统",
        "project": project.pk,
        "organisation": project.organisation_id,
        "importance": "important",
        "owner": "网络中心 张老师 0991-4332100",
        "vendor_contact": people["engineer"].pk,
        "customer_contact": customer.pk,
        "urls": ["https://ids.xjnu.example/authserver"],
        "hosts": ["10.10.1.31", " 10.10.1.32 "],
        "notes": "双机热备",
    }
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        created = engineer.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    answer = created.json()
    pk = answer["id"]
    assert answer == {
        **body,
        "id": pk,
        "organisation": project.organisation_id,
        "hosts": ["10.10.1.31", "10.10.1.32"],
        "environment_version": None,
        "created_at": "2026-03-02T10:00:00+08:00",
        "updated_at": "2026-03-02T10:00:00+08:00",
    }
    assert SystemEvent.objects.filter(system_id=pk, action="system.created").count() == 1
    assert engineer.get(f"{URL}{pk}/").json() == answer

    patched = engineer.patch(f"{URL}{pk}/", {"notes": "三机", "urls": []}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["notes"], patched.json()["urls"]) == ("三机", [])
    assert patched.json()["name"] == "统一身份认证管理系统"  # what PATCH left out is kept

    put = engineer.put(
        f"{URL}{pk}/",
        {"name": "统一身份认证", "project": project.pk, "importance": "core", "owner": "网络中心"},
        format="json",
    )
    assert put.status_code == 200, put.json()
    saved = ApplicationSystem.objects.get(pk=pk)
    assert (saved.name, saved.importance, saved.owner) == ("统一身份认证", "core", "网络中心")

    rows = api_client_for(customer).get(URL).json()
    assert [row["id"] for row in rows["results"]] == [pk] and rows["count"] == 1


def test_the_list_filters(engineer, people, project, system):
    other = services.system_create(
        actor=people["engineer"], project=project, name="一卡通", owner="后勤处 刘老师"
    )
    univ2 = services.system_create(
        actor=people["admin"], project=Project.objects.get(name="学工系统运维服务"), name="学工"
    )

    def ids(**query: Any) -> list[int]:
        answer = api_client_for(people["admin"]).get(URL, query)
        assert answer.status_code == 200, answer.json()
        return [row["id"] for row in answer.json()["results"]]

    assert set(ids()) == {system.pk, other.pk, univ2.pk}
    assert ids(organisation=project.organisation_id) == [other.pk, system.pk]  # by name
    assert ids(project=univ2.project_id) == [univ2.pk]
    assert ids(importance="core") == [system.pk]
    assert ids(q="后勤") == [other.pk]
    assert ids(q="研究生 管理") == [system.pk]
    assert set(ids(organisation="abc")) == {system.pk, other.pk, univ2.pk}  # not an id: unset
    refused = engineer.get(URL, {"importance": "vital"})
    assert refused.status_code == 400 and "importance" in refused.json()


def test_another_organisation_than_the_projects_is_refused(engineer, project, other_project):
    answer = engineer.post(
        URL,
        {
            "name": "研究生管理系统",
            "project": project.pk,
            "organisation": other_project.organisation_id,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["organisation"] == ["Give the project's organisation, or leave it out."]
    assert not ApplicationSystem.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "研究生\n管理系统"}, "name"),
        ({"importance": "vital"}, "importance"),
        ({"urls": "https://x.example"}, "urls"),
        ({"hosts": ["10.0.0.1\r\nX: y"]}, "hosts"),
        ({"vendor_contact": "customer"}, "vendor_contact"),
        ({"vendor_contact": 2**63}, "vendor_contact"),
        ({"customer_contact": "user2"}, "customer_contact"),  # another organisation's
        ({"customer_contact": "engineer"}, "customer_contact"),  # not a customer
        ({"customer_contact": 2**63}, "customer_contact"),
        ({"project": 2**40}, "project"),
        ({"project": None}, "project"),
        ({"name": "研究生管理系统"}, "name"),  # taken in this organisation
    ],
)
def test_bad_values_are_refused_with_the_field(engineer, people, project, system, change, field):
    body = {"name": "一卡通", "project": project.pk, **change}
    if change.get("vendor_contact") == "customer":
        body["vendor_contact"] = people["user"].pk
    if isinstance(change.get("customer_contact"), str):
        body["customer_contact"] = people[change["customer_contact"]].pk
    answer = engineer.post(URL, body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json(), answer.json()
    assert list(ApplicationSystem.objects.values_list("pk", flat=True)) == [system.pk]
    edited = engineer.patch(
        f"{URL}{system.pk}/", {k: v for k, v in body.items() if k == field}, format="json"
    )
    if field not in ("name", "project"):  # PATCH of one bad value: refused, nothing changed
        assert edited.status_code == 400 and field in edited.json(), edited.json()
        assert ApplicationSystem.objects.get(pk=system.pk).updated_at == system.updated_at


def test_the_customer_contact_is_an_active_customer_of_the_systems_organisation(
    engineer, people, system
):
    url = f"{URL}{system.pk}/"
    set_ = engineer.patch(url, {"customer_contact": people["user"].pk}, format="json")
    assert set_.status_code == 200 and set_.json()["customer_contact"] == people["user"].pk
    event = SystemEvent.objects.filter(system=system, action="system.updated").get()
    assert event.data["fields"]["customer_contact"] == {
        "before": None,
        "after": people["user"].pk,
    }
    User.objects.filter(pk=people["user"].pk).update(is_active=False)
    inactive = engineer.patch(url, {"customer_contact": people["user"].pk}, format="json")
    assert inactive.status_code == 400
    assert inactive.json()["customer_contact"] == ["Choose a user of the system's organisation."]
    cleared = engineer.patch(url, {"customer_contact": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["customer_contact"] is None
    assert ApplicationSystem.objects.get(pk=system.pk).customer_contact is None


def test_the_project_of_a_system_is_not_changed(engineer, system, other_project):
    answer = engineer.patch(f"{URL}{system.pk}/", {"project": other_project.pk}, format="json")
    assert answer.status_code == 400
    assert "project" in answer.json()
    assert ApplicationSystem.objects.get(pk=system.pk).project_id == system.project_id


def test_customers_only_read(customer, project, system):
    client = api_client_for(customer)
    assert client.get(f"{URL}{system.pk}/").json()["name"] == "研究生管理系统"
    writes = [
        client.post(URL, {"name": "一卡通", "project": project.pk}, format="json"),
        client.patch(f"{URL}{system.pk}/", {"notes": "x"}, format="json"),
        client.put(f"{URL}{system.pk}/", {"name": "x", "project": project.pk}, format="json"),
        client.post(f"{URL}{system.pk}/environment/", {**V1, "reason": "x"}, format="json"),
    ]
    assert [w.status_code for w in writes] == [403, 403, 403, 403]
    assert "服务方人员" in writes[1].json()["detail"]  # the default language: Chinese
    assert ApplicationSystem.objects.count() == 1
    assert not EnvironmentVersion.objects.exists()
    assert ApplicationSystem.objects.get(pk=system.pk).notes == ""


ROUTES = [
    ("get", ""),
    ("put", ""),
    ("patch", ""),
    ("get", "environment/"),
    ("post", "environment/"),
    ("get", "environment/history/"),
    ("get", "environment/diff/?from=1&to=2"),
    ("get", "environment/versions/1/"),
]


@pytest.mark.parametrize("who", ["user2", "engineer2"])
@pytest.mark.parametrize(("method", "tail"), ROUTES)
def test_another_organisations_system_is_not_there(people, versioned, who, method, tail):
    """Every route: a customer of 昆仑大学, and vendor staff who serve only 昆仑大学."""
    client = api_client_for(people[who])
    body = {**_v2(), "reason": "x", "name": "x", "project": versioned.project_id}
    answer = getattr(client, method)(f"{URL}{versioned.pk}/{tail}", body, format="json")
    assert answer.status_code == 404, answer.content
    assert versioned.pk not in [r["id"] for r in client.get(URL).json()["results"]]
    assert EnvironmentVersion.objects.filter(system=versioned).count() == 2


def test_ids_beyond_the_database_are_not_found(engineer, system):
    assert engineer.get(f"{URL}{2**64}/").status_code == 404
    assert engineer.get(f"{URL}{system.pk}/environment/versions/{2**40}/").status_code == 404
    assert engineer.get(f"{URL}{system.pk}/environment/diff/?from=1&to={2**40}").status_code in (
        400,
        404,
    )


def test_the_list_does_not_query_per_system(engineer, people, project):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert engineer.get(URL).status_code == 200
        return len(queries)

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            made = services.system_create(actor=people["engineer"], project=project, name=f"S{i}")
            services.environment_change(
                system_id=made.pk, actor=people["engineer"], data=V1, reason="登记"
            )

    grow(0, 2)
    few = count()
    grow(2, 8)
    assert count() <= few <= 4


# --- its environment --------------------------------------------------------------------
def test_an_environment_is_posted_and_read_in_the_issues_shape(engineer, people, system):
    env = f"{URL}{system.pk}/environment/"
    none_yet = engineer.get(env)
    assert none_yet.status_code == 404
    assert none_yet.json() == {"detail": "No environment has been recorded for this system yet."}
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        posted = engineer.post(env, {**V1, "reason": "初次登记"}, format="json")
    assert posted.status_code == 201, posted.json()
    engineer_row = people["engineer"]
    expected = {
        **V1_STORED,
        "version": 1,
        "reason": "初次登记",
        "author": {"id": engineer_row.pk, "username": "engineer", "name": str(engineer_row)},
        "created_at": "2026-03-02T10:00:00+08:00",
        "change": None,
    }
    assert posted.json() == expected
    assert engineer.get(env).json() == expected
    assert engineer.get(f"{URL}{system.pk}/").json()["environment_version"] == 1
    assert api_client_for(people["user"]).get(env).json() == expected  # customers read


def test_an_environment_without_change_or_reason_or_valid_shape_is_refused(engineer, system):
    env = f"{URL}{system.pk}/environment/"
    assert engineer.post(env, {**V1, "reason": "登记"}, format="json").status_code == 201
    same = engineer.post(env, {**V1, "reason": "再登记"}, format="json")
    assert same.status_code == 400
    assert same.json() == {"detail": "Nothing changed: the environment is the same as version 1."}
    for reason in ({}, {"reason": "  "}, {"reason": 5}):
        missing = engineer.post(env, {**_v2(), **reason}, format="json")
        assert missing.status_code == 400
        assert missing.json()["reason"] == ["This field is required."]
    chinese = api_client_for(system.project.line1_team.get(), language="zh-hans")
    assert chinese.post(env, _v2(), format="json").json()["reason"] == ["此项为必填项。"]
    bad = _v2()
    bad["components"][0]["version"] = ""
    invalid = engineer.post(env, {**bad, "reason": "升级"}, format="json")
    assert invalid.status_code == 400
    assert invalid.json()["components[0].version"] == ["This field is required."]
    nul = engineer.post(env, {**_v2(), "notes": "a\x00b", "reason": "升级"}, format="json")
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]
    not_object = engineer.post(env, [V1], format="json")
    assert not_object.status_code == 400 and "object" in not_object.json()["detail"]
    assert EnvironmentVersion.objects.filter(system=system).count() == 1


def test_history_versions_and_diff(engineer, people, versioned):
    base = f"{URL}{versioned.pk}/environment/"
    history = engineer.get(f"{base}history/").json()
    assert [(h["number"], h["reason"], h["change"]) for h in history] == [
        (2, "升级 nginx", None),
        (1, "初次登记", None),
    ]
    assert history[0]["changed_fields"] == [
        "components.nginx.version",
        "ports.8080/tcp.service",
        "ports.8080/tcp.exposure",
    ]
    assert history[1]["changed_fields"] == []
    assert history[0]["author"]["username"] == "engineer"
    assert set(history[0]) == {
        "number",
        "created_at",
        "author",
        "reason",
        "change",
        "changed_fields",
    }

    diff = engineer.get(f"{base}diff/", {"from": 1, "to": 2})
    assert diff.status_code == 200
    assert diff.json() == [
        {"field": "components.nginx.version", "before": "1.24.0", "after": "1.25.3"},
        {"field": "ports.8080/tcp.service", "before": None, "after": "tomcat"},
        {"field": "ports.8080/tcp.exposure", "before": None, "after": "intranet"},
    ]
    back = engineer.get(f"{base}diff/", {"from": 2, "to": 1}).json()
    assert back[0] == {"field": "components.nginx.version", "before": "1.25.3", "after": "1.24.0"}
    assert engineer.get(f"{base}diff/", {"from": 2, "to": 2}).json() == []

    one = engineer.get(f"{base}versions/1/")
    assert one.status_code == 200
    assert {k: one.json()[k] for k in V1_STORED} == V1_STORED
    assert (one.json()["version"], one.json()["reason"]) == (1, "初次登记")
    assert engineer.get(base).json()["version"] == 2


@pytest.mark.parametrize(
    ("query", "status", "fields"),
    [
        ({"from": 1, "to": 9}, 404, None),
        ({"from": 0, "to": 1}, 404, None),
        ({"from": 1}, 400, ["to"]),
        ({}, 400, ["from", "to"]),
        ({"from": "one", "to": 2}, 400, ["from"]),
        ({"from": "-1", "to": 2}, 400, ["from"]),
    ],
)
def test_a_diff_with_unknown_or_missing_versions(engineer, versioned, query, status, fields):
    answer = engineer.get(f"{URL}{versioned.pk}/environment/diff/", query)
    assert answer.status_code == status, answer.json()
    if fields is None:
        assert answer.json() == {"detail": "The system has no environment version 9."} or (
            "version" in answer.json()["detail"]
        )
    else:
        assert [f for f in ("from", "to") if f in answer.json()] == fields
        assert answer.json()[fields[0]] == ["Give a version number."]


def test_an_unknown_version_is_not_found(engineer, versioned):
    answer = engineer.get(f"{URL}{versioned.pk}/environment/versions/3/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "The system has no environment version 3."}
