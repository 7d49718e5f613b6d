"""Monitoring alerts: Alertmanager firing twice then resolved makes one incident."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from campusdesk.intake.models import Alert, MaintenanceWindow
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for


def source(people, project, name: str = "Prometheus") -> tuple[int, APIClient]:
    made = api_client_for(people["admin"]).post(
        "/api/v1/alerts/sources/", {"name": name, "project": project.pk}
    )
    assert made.status_code == 201, made.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {made.json()['token']}")
    return made.json()["id"], client


def alertmanager(status: str, fingerprint: str = "a1b2c3") -> dict[str, object]:
    return {
        "version": "4",
        "status": status,
        "receiver": "campusdesk",
        "groupKey": "{}:{}",
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": status,
                "fingerprint": fingerprint,
                "labels": {
                    "alertname": "InstanceDown",
                    "instance": "gms-web-01:8080",
                    "severity": "critical",
                    "job": "研究生系统",
                },
                "annotations": {
                    "summary": "研究生系统 Web 节点不可用",
                    "description": "gms-web-01 已 5 分钟无响应。",
                },
                "startsAt": "2026-11-26T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.local/graph",
            }
        ],
    }


URL = "/api/v1/alerts/alertmanager/"


def test_firing_twice_then_resolved_is_one_incident(people, project):
    _id, monitor = source(people, project)
    first = monitor.post(URL, alertmanager("firing"), format="json")
    assert first.status_code == 200, first.json()
    again = monitor.post(URL, alertmanager("firing"), format="json")
    assert again.json()["tickets"] == first.json()["tickets"]
    monitor.post(URL, alertmanager("resolved"), format="json")
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.service_type, ticket.channel) == (
        "研究生系统 Web 节点不可用",
        "incident",
        "alert",
    )
    assert ticket.urgency == "critical" and ticket.status == "new"  # only the customer closes
    assert ticket.reporter.organisation == project.organisation
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions == ["register", "alert_fired", "alert_resolved"]
    assert Alert.objects.get().fired_count == 2
    assert "gms-web-01" in ticket.description


def test_a_new_firing_after_closure_raises_a_new_incident(people, project):
    _id, monitor = source(people, project)
    monitor.post(URL, alertmanager("firing"), format="json")
    Ticket.objects.update(status="closed")
    monitor.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.count() == 2


def test_tokens_are_required_and_scoped_to_their_source(people, project, other_project):
    assert APIClient().post(URL, alertmanager("firing"), format="json").status_code == 401
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert stranger.post(URL, alertmanager("firing"), format="json").status_code == 401
    _id, theirs = source(people, other_project, "学工监控")
    theirs.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.get().project == other_project
    assert api_client_for(people["user"]).get("/api/v1/tickets/").json()["count"] == 0


def test_only_administrators_add_sources(people, project):
    for login in ("ops", "user", "engineer"):
        answer = api_client_for(people[login]).post(
            "/api/v1/alerts/sources/", {"name": "x", "project": project.pk}
        )
        assert answer.status_code == 403, login
    bad = api_client_for(people["admin"]).post("/api/v1/alerts/sources/", {"name": "x"})
    assert bad.status_code == 400


def test_bad_payloads_are_400(people, project):
    _id, monitor = source(people, project)
    assert monitor.post(URL, {"alerts": "nope"}, format="json").status_code == 400
    assert monitor.post("/api/v1/alerts/", {"status": "firing"}, format="json").status_code == 400
    assert (
        monitor.post("/api/v1/alerts/", {"title": "x", "status": "odd"}, format="json").status_code
        == 400
    )
    assert Ticket.objects.count() == 0


def test_the_generic_json_and_severity_mapping(people, project):
    _id, monitor = source(people, project)
    body = {"title": "磁盘使用率 95%", "severity": "warning", "labels": {"host": "db01"}}
    answer = monitor.post("/api/v1/alerts/", body, format="json")
    assert answer.status_code == 202
    ticket = Ticket.objects.get()
    assert ticket.urgency == "high"  # warning → SIS2 → high
    monitor.post("/api/v1/alerts/", {**body, "status": "resolved"}, format="json")
    assert ticket.events.filter(action="alert_resolved").exists()


def test_a_maintenance_window_silences_alerts(people, project):
    sid, monitor = source(people, project)
    now = timezone.now()
    MaintenanceWindow.objects.create(
        source_id=sid,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        reason="停机升级",
    )
    monitor.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.count() == 0
    assert Alert.objects.get().state == "silenced"
    with time_machine.travel(now + timedelta(hours=2)):
        monitor.post(URL, alertmanager("firing"), format="json")
    assert Ticket.objects.count() == 1
