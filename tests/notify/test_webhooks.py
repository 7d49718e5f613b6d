"""Outgoing webhooks: a subscriber on loopback receives correctly signed ticket events."""

from __future__ import annotations

import hashlib
import hmac

import time_machine
from django.utils import translation

from campusdesk.notify import outbox as services
from campusdesk.notify.models import Delivery, RobotChannel, WebhookSubscription
from campusdesk.tickets import services as tickets
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket


def subscribe(people, project, url: str, events: list[str] | None = None) -> str:
    made = api_client_for(people["admin"]).post(
        "/api/v1/webhooks/",
        {"name": "校方运维平台", "project": project.pk, "url": url, "events": events or []},
        format="json",
    )
    assert made.status_code == 201, made.json()
    return made.json()["secret"]


def test_a_subscriber_receives_signed_events(robot, people, project, other_project, customer):
    robot.answer(200, {"ok": True})
    secret = subscribe(people, project, robot.url("/hooks/campusdesk"), ["register", "urge"])
    ticket = new_ticket(project, customer, title="网关超时")
    new_ticket(other_project, people["user2"])  # another project: not sent
    tickets.ticket_add_record(ticket_id=ticket.pk, actor=customer, body="补充")  # not chosen
    hooks = Delivery.objects.filter(channel="webhook")
    assert hooks.count() == 1
    assert services.deliver(hooks.get().pk) == "sent"
    request = robot.last
    expected = "sha256=" + hmac.new(secret.encode(), request.raw, hashlib.sha256).hexdigest()
    assert request.headers["x-campusdesk-signature"] == expected
    assert request.headers["x-campusdesk-event"] == "register"
    assert request.json["ticket"]["number"] == ticket.number
    assert request.json["ticket"]["title"] == "网关超时"


def test_internal_events_are_not_sent_and_failures_are_retried(robot, people, project, customer):
    robot.answer(500, {"error": "busy"})
    subscribe(people, project, robot.url("/hooks"))
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer)
        tickets.ticket_add_record(
            ticket_id=ticket.pk, actor=people["engineer"], body="内部", internal=True
        )
        assert Delivery.objects.filter(channel="webhook").count() == 1
        delivery = Delivery.objects.get(channel="webhook")
        assert services.deliver(delivery.pk) == "pending"
    robot.answer(200, {})
    with time_machine.travel("2026-11-24 10:02 +0800", tick=False):
        services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert len(robot.requests) == 2
    assert (
        robot.requests[0].headers["x-campusdesk-delivery"]
        == robot.requests[1].headers["x-campusdesk-delivery"]
    )


def test_only_administrators_subscribe(people, project):
    body = {"name": "x", "project": project.pk, "url": "http://127.0.0.1:9/x"}
    assert api_client_for(people["ops"]).post("/api/v1/webhooks/", body).status_code == 403
    bad = api_client_for(people["admin"]).post("/api/v1/webhooks/", {**body, "url": "ftp://x"})
    assert bad.status_code == 400


# --- SSRF: where a webhook may point (core.outbound) -------------------------------------------
REFUSED_URLS = {
    "http://169.254.169.254/latest/meta-data/": "链路本地",  # the cloud's metadata service
    "http://127.0.0.1:8080/hooks": "回环地址",
    "http://[::ffff:127.0.0.1]:8080/hooks": "回环地址",
    "http://localhost:8080/hooks": "回环地址",  # a name that resolves to loopback
    "http://10.0.0.8/hooks": "内网地址",
}


def test_a_subscription_to_a_refused_address_answers_400_with_the_reason(settings, people, project):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    client = api_client_for(people["admin"], language="zh-hans")
    for url, reason in REFUSED_URLS.items():
        answer = client.post(
            "/api/v1/webhooks/", {"name": "x", "project": project.pk, "url": url}, format="json"
        )
        assert answer.status_code == 400, url
        [message] = answer.json()["url"]
        assert reason in message and "OUTBOUND_ALLOW_NETWORKS" in message, message
    assert not WebhookSubscription.objects.exists()


def test_an_allow_listed_network_may_be_subscribed(settings, people, project):
    settings.OUTBOUND_ALLOW_NETWORKS = ["10.0.0.0/8"]
    subscribe(people, project, "http://10.0.0.8/hooks")
    assert WebhookSubscription.objects.get().url == "http://10.0.0.8/hooks"


def test_a_delivery_to_a_refused_address_fails_for_good_and_says_why(
    settings, robot, people, project, customer
):
    robot.answer(200, {})
    subscribe(people, project, robot.url("/hooks"))  # allowed when subscribed
    new_ticket(project, customer)
    settings.OUTBOUND_ALLOW_NETWORKS = []  # the administrator narrowed the list since
    delivery = Delivery.objects.get(channel="webhook")
    with translation.override("zh-hans"):
        assert services.deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "127.0.0.1" in delivery.last_error and "回环地址" in delivery.last_error
    assert delivery.attempts == 1 and robot.requests == []


def test_a_redirect_to_a_refused_address_is_not_followed(robot, people, project, customer):
    robot.answer(302, b"", Location="http://169.254.169.254/latest/meta-data/")
    subscribe(people, project, robot.url("/hooks"))
    new_ticket(project, customer)
    delivery = Delivery.objects.get(channel="webhook")
    assert services.deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "HTTP 302" in delivery.last_error and "redirect" in delivery.last_error
    assert [(r.method, r.path) for r in robot.requests] == [("POST", "/hooks")]


def test_the_admin_refuses_a_webhook_or_robot_url_beside_the_field(settings, people, project):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    people["admin"].preferred_language = "zh-hans"
    people["admin"].save()
    client = web_client_for(people["admin"])
    hook = client.post(
        "/admin/notify/webhooksubscription/add/",
        {
            "name": "校方运维平台",
            "project": project.pk,
            "url": "http://169.254.169.254/",
            "events": "[]",
            "is_active": "on",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    robot = client.post(
        "/admin/notify/robotchannel/add/",
        {
            "name": "运维群",
            "platform": "wecom",
            "webhook_url": "http://127.0.0.1:9/send?key=k",
            "kinds": "[]",
            "internal": "on",
            "is_active": "on",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert hook.status_code == robot.status_code == 200  # the form again, with its errors
    assert "链路本地" in hook.context["adminform"].form.errors["url"][0]
    assert "回环地址" in robot.context["adminform"].form.errors["webhook_url"][0]
    assert not WebhookSubscription.objects.exists() and not RobotChannel.objects.exists()
