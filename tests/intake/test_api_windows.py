"""/api/v1/maintenance-windows/: the windows of application systems (the vendor's staff of
the project, as on the system's page) and of alert sources (administrators, as on the alert
sources' admin page), over the same services; another organisation's are not there (404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from campusdesk.intake.models import AlertSource, MaintenanceWindow
from campusdesk.systems.models import ApplicationSystem, SystemEvent
from tests.helpers import api_client_for, web_client_for
from tests.monitoring.conftest import T0
from tests.systems.changefix import registered

URL = "/api/v1/maintenance-windows/"
SPAN = {"starts_at": "2026-03-07T22:00:00+08:00", "ends_at": "2026-03-08T02:00:00+08:00"}


@pytest.fixture
def system(people, project) -> ApplicationSystem:
    """研究生管理系统 of 新疆师范大学, served by ``engineer``."""
    return registered(people["engineer"], project)


def events(system, action: str) -> int:
    return SystemEvent.objects.filter(system=system, action=action).count()


def a_source(people, project) -> AlertSource:
    return AlertSource.objects.create(
        name="Zabbix", project=project, token_hash="x" * 64, reporter=people["user"], created_at=T0
    )


def test_the_vendor_plans_changes_and_cancels_a_systems_window(people, system):
    engineer = api_client_for(people["engineer"])
    made = engineer.post(URL, {**SPAN, "system": system.pk, "reason": "数据库升级"}, format="json")
    assert made.status_code == 201, made.json()
    window = made.json()
    assert {k: window[k] for k in ("system", "source", "reason", "weekly")} == {
        "system": system.pk,
        "source": None,
        "reason": "数据库升级",
        "weekly": False,
    }
    # what the system's own list shows, recorded as the page records it
    listed = engineer.get(f"/api/v1/systems/{system.pk}/maintenance/").json()["results"]
    assert [w["id"] for w in listed] == [window["id"]]
    assert events(system, "maintenance.planned") == 1

    url = f"{URL}{window['id']}/"
    changed = engineer.patch(
        url, {"ends_at": "2026-03-08T03:00:00+08:00", "weekly": True}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    stored = MaintenanceWindow.objects.get(pk=window["id"])
    assert stored.weekly and stored.ends_at - stored.starts_at == timedelta(hours=5)
    assert stored.reason == "数据库升级"  # left out: unchanged
    assert events(system, "maintenance.changed") == 1

    assert engineer.delete(url).status_code == 204
    assert not MaintenanceWindow.objects.filter(pk=window["id"]).exists()
    assert events(system, "maintenance.cancelled") == 1
    assert engineer.get(url).status_code == 404


def test_a_window_planned_on_the_page_is_listed_with_its_next_occurrence(people, system):
    page = web_client_for(people["engineer"]).post(
        f"/systems/{system.pk}/maintenance/new/",
        {"starts_at": "2026-03-01T02:00", "ends_at": "2026-03-01T04:00", "weekly": "on"},
    )
    assert page.status_code == 302
    with time_machine.travel("2026-03-08 03:00 +0800", tick=False):
        [row] = api_client_for(people["user"]).get(URL).json()["results"]  # customers read
    assert row["system"] == system.pk and row["weekly"] is True and row["active"] is True
    assert (row["next_starts_at"], row["next_ends_at"]) == (
        "2026-03-08T02:00:00+08:00",
        "2026-03-08T04:00:00+08:00",
    )


def test_bad_windows_are_refused_in_chinese_and_nothing_changes(people, system):
    engineer = api_client_for(people["engineer"], language="zh-hans")
    cases = [
        (
            {**SPAN, "system": system.pk, "ends_at": SPAN["starts_at"]},
            "ends_at",
            "结束时间必须晚于",
        ),
        (
            {**SPAN, "system": system.pk, "ends_at": "2026-03-15T02:00:00+08:00", "weekly": True},
            "ends_at",
            "每周重复的维护窗口必须短于一周",
        ),
        ({**SPAN, "system": system.pk, "reason": "a\nb"}, "reason", "不能包含控制字符"),
        ({**SPAN}, "system", "请给出维护窗口所属的应用系统或告警源"),
        ({**SPAN, "system": system.pk, "source": 1}, "system", "二者选其一"),
        ({"system": system.pk, "ends_at": SPAN["ends_at"]}, "starts_at", "必填"),
    ]
    for body, field, text in cases:
        answer = engineer.post(URL, body, format="json")
        assert answer.status_code == 400, (body, answer.json())
        assert text in answer.json()[field][0], answer.json()
    assert not MaintenanceWindow.objects.exists()

    window = MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(hours=1), reason="备份"
    )
    answer = engineer.patch(
        f"{URL}{window.pk}/", {"ends_at": "2026-03-01T00:00:00+00:00"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["ends_at"] == ["维护窗口的结束时间必须晚于开始时间。"]
    window.refresh_from_db()
    assert window.ends_at == T0 + timedelta(hours=1)
    assert events(system, "maintenance.changed") == 0


def test_customers_read_but_do_not_plan(people, system):
    window = MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    client = api_client_for(people["user"], language="zh-hans")
    assert client.get(f"{URL}{window.pk}/").status_code == 200
    writes = [
        client.post(URL, {**SPAN, "system": system.pk}, format="json"),
        client.patch(f"{URL}{window.pk}/", {"reason": "x"}, format="json"),
        client.delete(f"{URL}{window.pk}/"),
    ]
    assert [w.status_code for w in writes] == [403] * 3
    assert writes[1].json() == {"detail": "只有该项目的服务方人员可以安排其维护窗口。"}
    assert MaintenanceWindow.objects.get().reason == ""


def test_another_organisations_windows_are_not_there(people, system):
    window = MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    for who in ("user2", "engineer2"):
        client = api_client_for(people[who])
        assert client.get(URL).json()["count"] == 0, who
        answers = [
            client.get(f"{URL}{window.pk}/"),
            client.patch(f"{URL}{window.pk}/", {"reason": "x"}, format="json"),
            client.delete(f"{URL}{window.pk}/"),
            client.post(URL, {**SPAN, "system": system.pk}, format="json"),
        ]
        assert [a.status_code for a in answers] == [404] * 4, who
    assert MaintenanceWindow.objects.count() == 1


def test_administrators_plan_an_alert_sources_windows(people, project, system):
    source = a_source(people, project)
    admin = api_client_for(people["admin"])
    made = admin.post(URL, {**SPAN, "source": source.pk, "weekly": True}, format="json")
    assert made.status_code == 201, made.json()
    window = MaintenanceWindow.objects.get(source=source)
    assert window.weekly and made.json()["system"] is None
    url = f"{URL}{window.pk}/"
    assert admin.patch(url, {"reason": "Zabbix 升级"}, format="json").json()["reason"] == (
        "Zabbix 升级"
    )
    assert admin.get(URL, {"source": source.pk}).json()["count"] == 1
    assert admin.get(URL, {"system": system.pk}).json()["count"] == 0

    engineer = api_client_for(people["engineer"], language="zh-hans")
    assert engineer.get(url).status_code == 404  # the admin's page only
    refused = engineer.post(URL, {**SPAN, "source": source.pk}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "只有系统管理员可以安排告警源的维护窗口。"}
    missing = admin.post(URL, {**SPAN, "source": 999999}, format="json")
    assert missing.status_code == 400 and "source" in missing.json()

    assert admin.delete(url).status_code == 204
    assert not MaintenanceWindow.objects.exists()
