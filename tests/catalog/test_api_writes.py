"""Administrators create and change organisations and projects through the API with the
admin's checks; one nothing refers to may be deleted, one in use answers 409; everyone
else is refused (403), and what lies outside their scope is not there (404)."""

from __future__ import annotations

from campusdesk.accounts.models import Organisation
from campusdesk.catalog.models import Product, Project
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

ORGS = "/api/v1/organisations/"
PROJECTS = "/api/v1/projects/"


def new_organisation(admin, **fields) -> dict:
    made = admin.post(ORGS, {"name": "喀什大学", "short_name": "喀大", **fields}, format="json")
    assert made.status_code == 201, made.json()
    return made.json()


def project_body(organisation_id: int, people, **fields) -> dict:
    return {
        "name": "学工系统运维服务",
        "organisation": organisation_id,
        "product": Product.objects.get(code="sws").pk,
        "service_start": "2026-01-01",
        "service_end": "2027-12-31",
        "service_manager": people["manager"].pk,
        "line1_team": [people["engineer"].pk, people["engineer2"].pk],
        **fields,
    }


def test_an_administrator_sets_up_a_customer_and_its_project(people):
    admin = api_client_for(people["admin"])
    org = new_organisation(admin, email_domains="ksu.example")
    assert org == {
        "id": org["id"],
        "name": "喀什大学",
        "short_name": "喀大",
        "kind": "customer",
        "region": None,
        "email_domains": "ksu.example",
        "is_active": True,
    }
    made = admin.post(PROJECTS, project_body(org["id"], people), format="json")
    assert made.status_code == 201, made.json()
    project = Project.objects.get(pk=made.json()["id"])
    assert made.json()["line1_team"] == sorted([people["engineer"].pk, people["engineer2"].pk])
    # the web shows it as the admin would have set it up: to its line-1 team, with its people
    page = web_client_for(people["engineer2"]).get(f"/projects/{project.pk}/")
    assert page.status_code == 200
    assert list(page.context["team"]) == [people["engineer"], people["engineer2"]]
    assert page.context["project"].service_manager == people["manager"]
    changed = admin.patch(
        f"{PROJECTS}{project.pk}/",
        {"line1_team": [people["engineer2"].pk], "auto_close_days": 5, "hour_budget": "120.5"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["hour_budget"] == "120.5" and changed.json()["auto_close_days"] == 5
    assert web_client_for(people["engineer"]).get(f"/projects/{project.pk}/").status_code == 404
    renamed = admin.patch(f"{ORGS}{org['id']}/", {"name": "喀什大学（新）"}, format="json")
    assert renamed.status_code == 200 and Organisation.objects.get(pk=org["id"]).name == (
        "喀什大学（新）"
    )


def test_what_the_admin_refuses_the_api_refuses_in_chinese(people, project):
    admin = api_client_for(people["admin"], language="zh-hans")
    vendor = Organisation.objects.get(kind="vendor")
    xjnu = project.organisation_id
    cases = [
        (ORGS, {"name": project.organisation.name}, "name", "已存在"),
        (ORGS, {"name": "喀什\n大学"}, "name", "请写在一行内"),
        (ORGS, {"name": "喀什大学", "kind": "school"}, "kind", "不是合法选项"),
        (PROJECTS, project_body(xjnu, people, name=project.name), None, "已经存在"),
        (
            PROJECTS,
            project_body(xjnu, people, service_end="2025-12-31"),
            "service_end",
            "服务期的结束日期不能早于开始日期。",
        ),
        (
            PROJECTS,
            project_body(xjnu, people, service_manager=people["user"].pk),
            "service_manager",
            "请选择服务商人员。",
        ),
        (
            PROJECTS,
            project_body(xjnu, people, line1_team=[people["user"].pk]),
            "line1_team",
            "请选择服务商人员。",
        ),
        (
            PROJECTS,
            project_body(vendor.pk, people),
            "organisation",
            "项目必须属于一个客户单位。",
        ),
        (PROJECTS, project_body(xjnu, people, product=999999), "product", "对象不存在"),
    ]
    for url, body, field, text in cases:
        answer = admin.post(url, body, format="json")
        assert answer.status_code == 400, (body, answer.json())
        shown = answer.json()[field][0] if field else answer.json()["detail"]
        assert text in shown, answer.json()
    assert Organisation.objects.count() == 3 and Project.objects.count() == 2


def test_a_project_with_problems_keeps_its_organisation(people, project, customer):
    new_ticket(project, customer)
    admin = api_client_for(people["admin"], language="zh-hans")
    other = Organisation.objects.get(name="昆仑大学")
    answer = admin.patch(f"{PROJECTS}{project.pk}/", {"organisation": other.pk}, format="json")
    assert answer.status_code == 400
    assert answer.json()["organisation"] == ["已有问题的项目不能更改所属单位和产品。"]
    assert Project.objects.get(pk=project.pk).organisation == customer.organisation
    kind = admin.patch(f"{ORGS}{other.pk}/", {"kind": "vendor"}, format="json")
    assert kind.status_code == 400 and "不能更改类型" in kind.json()["kind"][0]


def test_only_what_nothing_refers_to_is_deleted(people, project, customer):
    admin = api_client_for(people["admin"], language="zh-hans")
    new_ticket(project, customer)
    in_use = admin.delete(f"{PROJECTS}{project.pk}/")
    assert in_use.status_code == 409
    assert in_use.json()["detail"].startswith("“研究生管理系统运维服务”不能删除：仍有")
    assert "问题" in in_use.json()["detail"] and "请改为停用" in in_use.json()["detail"]
    org_in_use = admin.delete(f"{ORGS}{customer.organisation_id}/")
    assert org_in_use.status_code == 409 and "用户" in org_in_use.json()["detail"]
    assert Project.objects.filter(pk=project.pk).exists()

    deactivated = admin.patch(f"{PROJECTS}{project.pk}/", {"is_active": False}, format="json")
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False

    org = new_organisation(admin)
    mistaken = admin.post(PROJECTS, project_body(org["id"], people), format="json").json()
    assert admin.delete(f"{ORGS}{org['id']}/").status_code == 409  # its project refers to it
    assert admin.delete(f"{PROJECTS}{mistaken['id']}/").status_code == 204
    assert admin.delete(f"{ORGS}{org['id']}/").status_code == 204
    assert not Organisation.objects.filter(pk=org["id"]).exists()


def test_others_are_refused_and_see_nothing_beyond_their_scope(people, project, other_project):
    body = project_body(project.organisation_id, people, name="新项目")
    for who in ("user", "engineer", "ops", "hq", "manager"):
        client = api_client_for(people[who], language="zh-hans")
        answers = [
            client.post(ORGS, {"name": "喀什大学"}, format="json"),
            client.post(PROJECTS, body, format="json"),
            client.patch(f"{PROJECTS}{project.pk}/", {"name": "改名"}, format="json"),
            client.patch(f"{ORGS}{project.organisation_id}/", {"name": "改名"}, format="json"),
            client.delete(f"{PROJECTS}{project.pk}/"),
            client.delete(f"{ORGS}{project.organisation_id}/"),
        ]
        assert [a.status_code for a in answers] == [403] * 6, who
        assert answers[2].json() == {"detail": "只有系统管理员可以管理项目。"}
        assert answers[3].json() == {"detail": "只有系统管理员可以管理组织。"}
    outsider = api_client_for(people["user2"])
    answers = [
        outsider.patch(f"{PROJECTS}{project.pk}/", {"name": "改名"}, format="json"),
        outsider.patch(f"{ORGS}{project.organisation_id}/", {"name": "改名"}, format="json"),
        outsider.delete(f"{PROJECTS}{project.pk}/"),
        outsider.delete(f"{ORGS}{project.organisation_id}/"),
    ]
    assert [a.status_code for a in answers] == [404] * 4
    assert Project.objects.get(pk=project.pk).name == "研究生管理系统运维服务"
    assert Organisation.objects.count() == 3
    assert api_client_for(people["user"]).put(f"{PROJECTS}{project.pk}/", body).status_code == 405
