"""Header injection: stored text never breaks an e-mail, and a failed delivery is seen.

Titles with line breaks may already be stored (rows from before the check, mail and alert
subjects); the e-mail about them is still built and delivered (to a real SMTP server on
loopback), as one header line that adds no recipient. A delivery that fails for good shows
on the administrator's deliveries page and on the operations watch list.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from campusdesk.notify import outbox as services
from campusdesk.notify.models import Delivery
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.notify.test_webhooks import subscribe
from tests.tickets.conftest import new_ticket

pytestmark = pytest.mark.security


def test_an_old_title_with_a_line_break_still_makes_a_valid_email(
    smtp_server, people, project, customer
):
    ticket = new_ticket(project, customer, title="登录报错")
    Ticket.objects.filter(pk=ticket.pk).update(title="登录报错\r\nBcc: attacker@evil.example")
    Delivery.objects.all().delete()
    from campusdesk.tickets import services as tickets

    tickets.ticket_add_record(ticket_id=ticket.pk, actor=customer, body="补充：仍然报错")
    delivery = Delivery.objects.get(channel="email", recipient=people["engineer"])
    assert services.deliver(delivery.pk) == "sent"
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["engineer@vendor.example"]  # nobody was added
    [mail] = smtp_server.messages
    assert "Bcc" not in mail and "\n" not in str(mail["Subject"])
    assert "登录报错 Bcc: attacker@evil.example" in str(mail["Subject"])


def test_a_failed_delivery_shows_on_the_admin_page_and_the_watch_list(
    settings, robot, people, project, customer
):
    subscribe(people, project, robot.url("/hooks"))
    new_ticket(project, customer, title="成绩录入报错")
    settings.OUTBOUND_ALLOW_NETWORKS = []
    hook = Delivery.objects.get(channel="webhook")
    with translation.override("zh-hans"):
        assert services.deliver(hook.pk) == "failed"
    hook.refresh_from_db()
    admin = web_client_for(people["admin"])
    page = admin.get("/admin/notify/delivery/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "发送失败、不会再自动重试的消息：1 条。" in page
    assert "?status__exact=failed" in page and "回环地址" in page
    ops = web_client_for(people["ops"])
    watch = ops.get("/ops/deliveries/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "发送失败的通知" in watch and "回环地址" in watch
    assert "校方运维平台" in watch and "/hooks" not in watch  # by name: the URL is a credential
    tab = ops.get("/ops/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-list="deliveries"' in tab
    rows = api_client_for(people["ops"]).get("/api/v1/ops/watch/?list=deliveries").json()
    assert [(r["id"], r["receiver"], r["last_error"]) for r in rows["results"]] == [
        (hook.pk, "校方运维平台", hook.last_error)
    ]


def test_staff_see_the_failed_deliveries_of_their_projects_only(
    settings, robot, people, project, other_project, customer
):
    subscribe(people, project, robot.url("/hooks"))
    subscribe(people, other_project, robot.url("/other"))
    new_ticket(project, customer)
    new_ticket(other_project, people["user2"])
    settings.OUTBOUND_ALLOW_NETWORKS = []
    for delivery in Delivery.objects.filter(channel="webhook"):
        assert services.deliver(delivery.pk) == "failed"
    seen = api_client_for(people["engineer"]).get("/api/v1/ops/watch/?list=deliveries").json()
    assert {row["id"] for row in seen["results"]} == set(
        Delivery.objects.filter(channel="webhook", webhook__project=project).values_list(
            "pk", flat=True
        )
    )
    everything = api_client_for(people["ops"]).get("/api/v1/ops/watch/?list=deliveries").json()
    assert everything["count"] == 2
