"""Outgoing webhooks: a subscriber on loopback receives correctly signed ticket events."""

from __future__ import annotations

import hashlib
import hmac

import time_machine

from campusdesk.notify import services
from campusdesk.notify.models import Delivery
from campusdesk.tickets import services as tickets
from tests.helpers import api_client_for
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
        tickets.ticket_add_record(ticket_id=ticket.pk, actor=people["engineer"], body="内部",
                                  internal=True)  # fmt: skip
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
