"""Followers, rules edited as data, the daily digest, and every step of one flow."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from campusdesk.notify import outbox as notify
from campusdesk.notify.models import Delivery, Notification, QuietHours, Rule
from campusdesk.tickets import services
from tests.factories import UserFactory
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket


def kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def test_every_step_of_a_flow_reaches_the_right_people(people, project, customer):
    engineer, expert, ops = people["engineer"], people["expert2"], people["ops"]
    ticket = new_ticket(project, customer)
    due = timezone.now() + timedelta(days=1)
    services.ticket_accept(
        ticket_id=ticket.pk, actor=engineer, severity="SIS3", committed_resolution_at=due
    )
    later = due + timedelta(hours=2)
    services.ticket_change_commitment(
        ticket_id=ticket.pk, actor=engineer, committed_resolution_at=later, reason="等补丁"
    )
    services.ticket_ask_info(ticket_id=ticket.pk, actor=engineer, question="请给截图")
    services.ticket_answer_info(ticket_id=ticket.pk, actor=customer, answer="已上传")
    services.ticket_escalate(ticket_id=ticket.pk, actor=engineer, reason="需要专家")
    services.ticket_accept(ticket_id=ticket.pk, actor=expert, committed_resolution_at=due)
    services.ticket_request_close(ticket_id=ticket.pk, actor=expert, solution="已修复")
    services.ticket_reject_close(ticket_id=ticket.pk, actor=customer, reason="还有问题")
    services.ticket_request_close(ticket_id=ticket.pk, actor=expert, solution="彻底修复")
    services.ticket_close(ticket_id=ticket.pk, actor=customer, rating=5, workload_hours="2")
    # by default a customer hears only of the steps that need them (issue 22): not of the
    # changed commitment or the escalation
    assert kinds(customer) == [
        "accepted",
        "info",
        "accepted",
        "closure_requested",
        "closure_requested",
    ]
    assert kinds(engineer) == [
        "registered",
        "info",
        "accepted",
        "closure_requested",
        "closure_rejected",
        "closure_requested",
        "closed",
    ]
    assert kinds(expert) == ["escalated", "closure_rejected", "closed"]
    assert kinds(ops) == ["closure_rejected"]
    assert kinds(people["user2"]) == [] and kinds(people["engineer2"]) == []


def test_a_follower_hears_of_each_step(people, project, customer):
    colleague = UserFactory(role="customer", organisation=customer.organisation)
    ticket = new_ticket(project, customer)
    client = api_client_for(colleague)
    assert client.post(f"/api/v1/tickets/{ticket.pk}/follow/").json() == {"following": True}
    assert (
        api_client_for(people["user2"]).post(f"/api/v1/tickets/{ticket.pk}/follow/").status_code
        == 404
    )
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    assert kinds(colleague) == ["accepted"]
    client.delete(f"/api/v1/tickets/{ticket.pk}/follow/")
    services.ticket_add_record(ticket_id=ticket.pk, actor=people["engineer"], body="进展")
    assert kinds(colleague) == ["accepted"]
    page = web_client_for(colleague).post(
        f"/tickets/{ticket.pk}/follow/", {"follow": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "★" in page.content.decode()


def test_rules_are_data_an_administrator_changes(people, project, customer):
    changed = {"kind": "registered", "audiences": ["operations"]}
    Rule.objects.update_or_create(action="register", defaults=changed)
    new_ticket(project, customer)
    assert kinds(people["ops"]) == ["registered"] and kinds(people["engineer"]) == []
    Rule.objects.filter(action="register").update(is_active=False)
    new_ticket(project, customer)
    assert kinds(people["ops"]) == ["registered"]
    bad = web_client_for(people["admin"]).post(
        f"/admin/notify/rule/{Rule.objects.get(action='register').pk}/change/",
        {
            "action": "register",
            "kind": "registered",
            "audiences": '["everyone"]',
            "is_active": "on",
        },
    )
    assert bad.status_code == 200 and "operations" in bad.content.decode()  # the names are listed


def test_the_daily_digest_gathers_the_days_mail_into_one(smtp_server, people, project, customer):
    QuietHours.objects.create(user=people["engineer"], digest=True)
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        new_ticket(project, customer, title="上午的问题")
    with time_machine.travel("2026-11-24 15:00 +0800", tick=False):
        new_ticket(project, customer, title="下午的问题")
        assert notify.deliver_due() == 0
    with time_machine.travel("2026-11-25 08:00 +0800", tick=False):
        notify.deliver_due()
    [mail] = smtp_server.messages
    text = mail.get_body(("plain",)).get_content()
    assert "上午的问题" in text and "下午的问题" in text
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
