"""A database that cannot be reached: pages and the API answer 503 with Retry-After (a Chinese
page, JSON for the API), and alert intake never answers 2xx for an alert it did not save.

The failures are real: the driver connects to a port nobody listens on (PostgreSQL) or opens
a file in a directory that does not exist (SQLite); on PostgreSQL the server also drops the
connection in the middle of a request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.intake import services as intake
from campusdesk.intake.models import Alert
from campusdesk.tickets.models import Ticket
from tests.helpers import free_port, web_client_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

DOWN = "系统暂时无法连接数据库"


@contextmanager
def unreachable(tmp_path: Path) -> Iterator[None]:
    """Every new connection of this thread fails in the driver until the block ends."""
    connection.close()
    saved = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    else:
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-directory" / "db.sqlite3")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_pages_answer_503_with_retry_after_and_a_chinese_page(
    people: dict[str, User], tmp_path: Path, settings: Any
):
    client = web_client_for(people["user"])
    client.raise_request_exception = False
    with unreachable(tmp_path):
        response = client.get("/tickets/")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        in_english = client.get("/tickets/")
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert DOWN in page and '<html lang="zh-hans">' in page
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert in_english.status_code == 503
    assert "cannot reach its database" in in_english.content.decode()
    assert client.get("/tickets/").status_code == 200  # back once the database is


def test_the_api_answers_503_json(people: dict[str, User], tmp_path: Path, settings: Any):
    settings.RETRY_AFTER_SECONDS = 45
    client = APIClient(raise_request_exception=False)
    client.force_login(people["engineer"], backend="campusdesk.accounts.backends.UserBackend")
    with unreachable(tmp_path):
        response = client.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (response.status_code, response["Retry-After"]) == (503, "45")
    assert response["Content-Type"] == "application/json"
    assert DOWN in json.loads(response.content)["detail"]


def _source(people: dict[str, User]) -> APIClient:
    project = Project.objects.get(name="研究生管理系统运维服务")
    _source, token, _secret = intake.alert_source_create(
        actor=people["admin"], name="Prometheus", project_id=project.pk
    )
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _alerts(*fingerprints: str) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "fingerprint": f,
                "labels": {"alertname": "InstanceDown", "instance": f"gms-web-{f}"},
                "annotations": {"summary": f"节点 {f} 不可用"},
            }
            for f in fingerprints
        ],
    }


def test_alert_intake_answers_503_while_the_database_is_down(
    people: dict[str, User], tmp_path: Path
):
    monitor = _source(people)
    with unreachable(tmp_path):
        simple = monitor.post("/api/v1/alerts/", {"title": "磁盘满"}, format="json")
        batch = monitor.post("/api/v1/alerts/alertmanager/", _alerts("a1"), format="json")
    assert (simple.status_code, batch.status_code) == (503, 503)
    assert simple["Retry-After"] == "30"
    assert not Alert.objects.exists() and not Ticket.objects.exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_connection_lost_mid_batch_saves_nothing_and_is_not_acknowledged(
    people: dict[str, User],
):
    """PostgreSQL ends our session after the batch's second alert is written: the answer is
    503, not one alert of the batch stays, and the sender's retry records each once."""
    monitor = _source(people)
    dsn = connection.get_connection_params()

    def terminate(sender: Any, instance: Alert, created: bool, **kwargs: Any) -> None:
        if created and instance.fingerprint == "b2":
            pid = connection.connection.info.backend_pid
            with psycopg.connect(**dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    post_save.connect(terminate, sender=Alert)
    try:
        lost = monitor.post("/api/v1/alerts/alertmanager/", _alerts("a1", "b2"), format="json")
    finally:
        post_save.disconnect(terminate, sender=Alert)
    assert lost.status_code == 503, lost.content
    assert (Alert.objects.count(), Ticket.objects.count()) == (0, 0)
    retried = monitor.post("/api/v1/alerts/alertmanager/", _alerts("a1", "b2"), format="json")
    assert retried.status_code == 200
    assert (Alert.objects.count(), Ticket.objects.count()) == (2, 2)
