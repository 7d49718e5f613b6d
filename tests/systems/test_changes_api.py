"""Changes over the API and the pages: plan, approve (the service manager only), complete,
wrong states (409), bad input (400 naming the field), the list's query count, and another
organisation's user meeting 404 on every change and document route."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import changes
from campusdesk.systems.models import ApplicationSystem, Change
from tests.helpers import api_client_for, web_client_for
from tests.systems.changefix import NOW, approved, plan, registered


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    return registered(people["engineer"], project)


PLAN = {
    "kind": "patch",
    "title": "nginx 安全补丁",
    "window_start": "2026-03-07T22:00:00+08:00",
    "window_end": "2026-03-07T23:30:00+08:00",
    "risk": "low",
    "rollback_plan": "回退软件包",
    "targets": [{"name": "nginx", "version": "1.25.5"}],
}


def test_plan_approve_complete_over_the_api(system: ApplicationSystem, people: dict[str, User]):
    engineer, manager = api_client_for(people["engineer"]), api_client_for(people["manager"])
    answer = engineer.post(f"/api/v1/systems/{system.pk}/changes/", PLAN, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "planned" and body["targets"] == PLAN["targets"]
    assert body["requested_by"]["username"] == "engineer" and body["environment_version"] is None
    pk = body["id"]

    assert engineer.post(f"/api/v1/changes/{pk}/approve/").status_code == 403
    assert engineer.post(f"/api/v1/changes/{pk}/complete/", {"outcome": "done"}).status_code == 409
    answer = manager.post(f"/api/v1/changes/{pk}/approve/")
    assert answer.status_code == 200 and answer.json()["approved_by"]["username"] == "manager"
    assert manager.post(f"/api/v1/changes/{pk}/approve/").status_code == 409

    answer = engineer.post(
        f"/api/v1/changes/{pk}/complete/", {"outcome": "done", "notes": "按计划完成"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "done" and answer.json()["environment_version"] == 2
    history = engineer.get(f"/api/v1/changes/{pk}/").json()
    assert history["completed_by"]["username"] == "engineer" and history["notes"] == "按计划完成"
    system.refresh_from_db()
    assert system.current_environment.change_id == pk


def test_bad_input_answers_400_with_the_field(system, people):
    client = api_client_for(people["engineer"], "zh-hans")
    url = f"/api/v1/systems/{system.pk}/changes/"
    for change, field in [
        ({"window_end": "2026-03-07T21:00:00+08:00"}, "window_end"),
        ({"kind": "reboot"}, "kind"),
        ({"targets": [{"name": "Redis", "version": "7.2"}]}, "targets[0].kind"),
        ({"targets": [{"name": "nginx", "version": "1", "kind": "fridge"}]}, "targets[0].kind"),
        ({"targets": "nginx"}, "targets"),
        ({"out_of_scope": True}, "workload_hours"),
    ]:
        answer = client.post(url, {**PLAN, **change}, format="json")
        assert answer.status_code == 400, (change, answer.json())
        assert field in answer.json(), (change, answer.json())
    assert not Change.objects.exists()
    pk = approved(system, people).pk
    answer = client.post(f"/api/v1/changes/{pk}/complete/", {"outcome": "sideways"})
    assert answer.status_code == 400 and "outcome" in answer.json()
    answer = client.post(f"/api/v1/changes/{pk}/complete/", {"outcome": "failed"})
    assert answer.status_code == 400 and "notes" in answer.json()
    assert Change.objects.get(pk=pk).status == "approved"


def test_the_list_reads_in_a_fixed_number_of_queries(system, people):
    client = api_client_for(people["engineer"])
    url = f"/api/v1/systems/{system.pk}/changes/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    approved(system, people)
    few = count()
    for n in range(6):
        change = approved(system, people, title=f"变更 {n}")
        if n % 2:
            changes.change_complete(change, people["engineer"], "failed", "失败", now=NOW)
    assert count() == few <= 8
    assert len(client.get(url).json()["results"]) == 7


def _routes(system: ApplicationSystem, change: Change) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/v1/systems/{system.pk}/changes/"),
        ("post", f"/api/v1/systems/{system.pk}/changes/"),
        ("get", f"/api/v1/changes/{change.pk}/"),
        ("post", f"/api/v1/changes/{change.pk}/approve/"),
        ("post", f"/api/v1/changes/{change.pk}/complete/"),
        ("post", f"/api/v1/changes/{change.pk}/cancel/"),
        ("get", f"/api/v1/systems/{system.pk}/document/?format=pdf"),
        ("get", f"/api/v1/systems/{system.pk}/document/"),
    ]


def _pages(system: ApplicationSystem, change: Change) -> list[tuple[str, str]]:
    return [
        ("get", f"/systems/{system.pk}/changes/new/"),
        ("post", f"/systems/{system.pk}/changes/new/"),
        ("get", f"/systems/changes/{change.pk}/"),
        ("get", f"/systems/{system.pk}/document/?format=docx"),
        ("post", f"/systems/do/change/{change.pk}/approve/"),
        ("post", f"/systems/do/change/{change.pk}/complete/"),
    ]


def test_another_organisation_meets_404_everywhere(system, people, outsider):
    change = plan(system, people["engineer"])
    api, web = api_client_for(outsider), web_client_for(outsider)
    # a vendor engineer who does not serve the project does not see it either
    stranger = api_client_for(people["engineer2"])
    for method, url in _routes(system, change):
        for data in ({**PLAN, "outcome": "done", "notes": "x"}, {"kind": "bad"}):
            assert getattr(api, method)(url, data, format="json").status_code == 404, url
            assert getattr(stranger, method)(url, data, format="json").status_code == 404, url
    for method, url in _pages(system, change):
        assert getattr(web, method)(url, {"outcome": "done"}).status_code == 404, url
    change.refresh_from_db()
    assert change.status == "planned"


def test_pages_plan_show_and_act(system, people, customer):
    engineer = web_client_for(people["engineer"])
    page = engineer.get(f"/systems/{system.pk}/changes/new/")
    assert page.status_code == 200
    form = {
        "kind": "upgrade",
        "title": "Tomcat 与 Redis",
        "window_start": "2026-03-07T22:00",
        "window_end": "2026-03-07T21:00",
        "risk": "medium",
        "rollback_plan": "恢复快照",
        "targets": "Apache Tomcat 9.0.85\ndatabase: Redis 7.2.4\n",
    }
    refused = engineer.post(f"/systems/{system.pk}/changes/new/", form)
    assert refused.status_code == 200 and not Change.objects.exists()
    assert "window" in refused.content.decode() or "窗口" in refused.content.decode()
    answer = engineer.post(
        f"/systems/{system.pk}/changes/new/", {**form, "window_end": "2026-03-08T01:00"}
    )
    change = Change.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/systems/changes/{change.pk}/"
    assert change.targets == [
        {"name": "Apache Tomcat", "version": "9.0.85"},
        {"name": "Redis", "version": "7.2.4", "kind": "database"},
    ]
    assert change.window_end - change.window_start == timedelta(hours=3)

    manager = web_client_for(people["manager"])
    shown = manager.get(f"/systems/changes/{change.pk}/").content.decode()
    assert f"/systems/do/change/{change.pk}/approve/" in shown and "hx-confirm" in shown
    assert (
        f"/systems/do/change/{change.pk}/approve/"
        not in engineer.get(f"/systems/changes/{change.pk}/").content.decode()
    )
    assert manager.post(f"/systems/do/change/{change.pk}/approve/").status_code == 302
    engineer.post(f"/systems/do/change/{change.pk}/complete/", {"outcome": "done"})
    change.refresh_from_db()
    assert change.status == "done"
    system.refresh_from_db()
    assert system.current_environment.number == 2

    reader = web_client_for(customer)  # the customer reads, and is offered no button
    shown = reader.get(f"/systems/changes/{change.pk}/").content.decode()
    assert "Tomcat 与 Redis" in shown and "/systems/do/change/" not in shown
    assert reader.get(f"/systems/{system.pk}/changes/new/").status_code == 403


def test_the_list_fragment_renders(system, people):
    plan(system, people["engineer"], out_of_scope=True, workload_hours=4)
    html = render_to_string("systems/changes/_list.html", {"changes": system.changes.all()})
    assert "nginx 升级到 1.25.5" in html and "/systems/changes/" in html
