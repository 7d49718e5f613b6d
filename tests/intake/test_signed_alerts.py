"""Signed incoming alerts (issue 23 §1): a source created with ``"signed": true`` must send an
HMAC of the body with a timestamp besides its bearer token; a stale, future, wrong or
replayed signature is refused and raises nothing; a retry after a failed save is taken."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.intake import signing
from campusdesk.intake.models import Alert, AlertSignature, AlertSource
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.intake.test_alerts import alertmanager

pytestmark = [pytest.mark.security, pytest.mark.django_db]

GENERIC = "/api/v1/alerts/"
BATCH = "/api/v1/alerts/alertmanager/"


def signed_source(people: dict[str, User], project: Project) -> tuple[APIClient, str]:
    made = api_client_for(people["admin"]).post(
        "/api/v1/alerts/sources/",
        {"name": "Zabbix 签名", "project": project.pk, "signed": True},
        format="json",
    )
    assert made.status_code == 201, made.json()
    secret = made.json()["signing_secret"]
    assert secret and len(secret) >= 32
    stored = AlertSource.objects.get(pk=made.json()["id"]).signing_secret
    assert secret not in stored  # kept encrypted, shown once
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {made.json()['token']}")
    return client, secret


def send(client: APIClient, url: str, body: object, secret: str | None, **change: object):
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = int(change.pop("timestamp", time.time()))
    headers: dict[str, str] = {}
    if secret is not None:
        signature = signing.sign(secret, stamp, change.pop("signed_body", raw))  # type: ignore[arg-type]
        headers = {
            "HTTP_X_CAMPUSDESK_TIMESTAMP": str(stamp),
            "HTTP_X_CAMPUSDESK_SIGNATURE": signature,
        }
    headers.update({k: str(v) for k, v in change.items()})
    return client.post(url, raw, content_type="application/json", **headers)


def test_a_signed_alert_is_taken_once(people: dict[str, User], project: Project):
    client, secret = signed_source(people, project)
    body = {"title": "数据库连接池耗尽", "severity": "critical", "fingerprint": "db-pool"}
    stamp = int(time.time())
    first = send(client, GENERIC, body, secret, timestamp=stamp)
    assert first.status_code == 202, first.json()
    assert Alert.objects.count() == 1 and Ticket.objects.count() == 1
    replay = send(client, GENERIC, body, secret, timestamp=stamp)  # the same request again
    assert replay.status_code == 409
    assert "已使用" in replay.json()["detail"]
    assert Alert.objects.get().fired_count == 1
    # signed anew a second later, the same alert is a repeat of the incident, as unsigned ones
    again = send(client, GENERIC, body, secret, timestamp=stamp + 1)
    assert again.status_code == 202
    assert Ticket.objects.count() == 1
    batch = send(client, BATCH, alertmanager("firing"), secret)
    assert batch.status_code == 200, batch.json()


def test_bad_signatures_are_refused_in_chinese_and_raise_nothing(
    people: dict[str, User], project: Project
):
    client, secret = signed_source(people, project)
    body = {"title": "磁盘满", "fingerprint": "disk"}
    now = int(time.time())
    cases = {
        "unsigned": send(client, GENERIC, body, None),
        "stale": send(client, GENERIC, body, secret, timestamp=now - 301),
        "future": send(client, GENERIC, body, secret, timestamp=now + 301),
        "other body": send(client, GENERIC, body, secret, signed_body=b'{"title": "x"}'),
        "other secret": send(client, GENERIC, body, "not-the-secret"),
        "not a time": send(
            client,
            GENERIC,
            body,
            None,
            HTTP_X_CAMPUSDESK_TIMESTAMP="昨天",
            HTTP_X_CAMPUSDESK_SIGNATURE="sha256=00",
        ),
    }
    says = {
        "unsigned": "X-Campusdesk-Signature",
        "stale": "5 分钟",
        "future": "5 分钟",
        "other body": "不符",
        "other secret": "不符",
        "not a time": "Unix",
    }
    for name, answer in cases.items():
        assert answer.status_code == 401, (name, answer.json())
        assert says[name] in answer.json()["detail"], (name, answer.json())
    assert not Alert.objects.exists() and not Ticket.objects.exists()
    assert not AlertSignature.objects.exists()
    # within the window a signature is taken
    assert send(client, GENERIC, body, secret, timestamp=now - 290).status_code == 202


def test_a_failed_save_keeps_no_signature_so_the_retry_is_taken(
    people: dict[str, User], project: Project
):
    client, secret = signed_source(people, project)
    stamp = int(time.time())
    broken = alertmanager("firing")
    broken["alerts"] = "not a list"  # refused while the batch is read: nothing saved
    refused = send(client, BATCH, broken, secret, timestamp=stamp)
    assert refused.status_code == 400
    assert not AlertSignature.objects.exists()
    good = send(client, BATCH, alertmanager("firing"), secret, timestamp=stamp)
    assert good.status_code == 200 and Alert.objects.count() == 1


def test_unsigned_sources_work_as_before_and_old_signatures_are_forgotten(
    people: dict[str, User], project: Project
):
    made = api_client_for(people["admin"]).post(
        "/api/v1/alerts/sources/", {"name": "Prometheus", "project": project.pk}, format="json"
    )
    assert made.json()["signing_secret"] is None
    plain = APIClient()
    plain.credentials(HTTP_AUTHORIZATION=f"Bearer {made.json()['token']}")
    assert send(plain, GENERIC, {"title": "CPU 高"}, None).status_code == 202

    client, secret = signed_source(people, project)
    send(client, GENERIC, {"title": "内存高"}, secret)
    assert AlertSignature.objects.count() == 1
    with time_machine.travel(clock.now() + timedelta(minutes=11)):
        assert send(client, GENERIC, {"title": "内存高"}, secret).status_code == 202
        assert AlertSignature.objects.count() == 1  # the old one forgotten, the new kept
