"""The outbox: real SMTP and a real robot endpoint on loopback; down, back, retried, once."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from campusdesk.notify import outbox as services
from campusdesk.notify.channels.email.ids import message_id
from campusdesk.notify.models import Delivery, RobotChannel
from tests.tickets.conftest import new_ticket


def test_a_message_reaches_the_smtp_server(smtp_server, people, project, customer):
    new_ticket(project, customer, title="论文系统登录报错")
    delivery = Delivery.objects.get(recipient=people["engineer"])
    assert services.deliver(delivery.pk) == "sent"
    [mail] = smtp_server.messages
    assert mail["To"] == "engineer@vendor.example"
    assert "论文系统登录报错" in str(mail["Subject"])
    assert mail["Message-ID"] == message_id(delivery.key)
    assert "/tickets/" in mail.get_body(("plain",)).get_content()


def test_smtp_down_then_back_gets_every_message_exactly_once(
    smtp_server, people, project, customer
):
    smtp_server.stop()
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        new_ticket(project, customer, title="第一")
        new_ticket(project, customer, title="第二")
        assert services.deliver_due() == 0
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
        assert all(d.last_error for d in Delivery.objects.all())
    smtp_server.start()
    with time_machine.travel("2026-11-23 10:00:30 +0800", tick=False):
        assert services.deliver_due() == 0  # waiting out the backoff
    with time_machine.travel("2026-11-23 10:02 +0800", tick=False):
        assert services.deliver_due() == 2
    with time_machine.travel("2026-11-23 11:00 +0800", tick=False):
        assert services.deliver_due() == 0
    subjects = sorted(str(m["Subject"]).strip() for m in smtp_server.messages)
    assert len(subjects) == 2 and "第一" in subjects[0] + subjects[1]


def test_a_permanent_refusal_is_recorded_and_not_retried(smtp_server, people, project, customer):
    smtp_server.refuse["engineer@vendor.example"] = "550 5.1.1 no such user"
    new_ticket(project, customer)
    delivery = Delivery.objects.get(recipient=people["engineer"])
    assert services.deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "550" in delivery.last_error and delivery.attempts == 1
    with time_machine.travel(timedelta(days=1)):
        assert services.deliver_due() == 0


def test_a_worker_killed_mid_delivery_neither_loses_nor_doubles(
    smtp_server, people, project, customer
):
    new_ticket(project, customer)
    delivery = Delivery.objects.get(recipient=people["engineer"])
    now = timezone.now()
    # a worker claimed it and died before recording the outcome
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", locked_until=now + timedelta(minutes=5)
    )
    assert services.deliver(delivery.pk, now=now) == "skipped"  # still held: not sent twice
    assert services.deliver_due(now=now) == 0
    assert services.deliver_due(now=now + timedelta(minutes=6)) == 1  # the claim expired
    assert services.deliver_due(now=now + timedelta(minutes=7)) == 0
    [mail] = smtp_server.messages
    assert mail["Message-ID"] == message_id(delivery.key)


def test_the_admin_sends_a_failed_delivery_again(smtp_server, people, project, customer):
    smtp_server.refuse["engineer@vendor.example"] = "550 mailbox full"
    new_ticket(project, customer)
    delivery = Delivery.objects.get(recipient=people["engineer"])
    services.deliver(delivery.pk)
    del smtp_server.refuse["engineer@vendor.example"]
    services.delivery_retry(delivery_id=delivery.pk)
    assert services.deliver(delivery.pk) == "sent"
    assert len(smtp_server.messages) == 1


def test_a_project_robot_gets_its_projects_messages(
    robot, people, project, other_project, customer
):  # noqa: F811
    robot.answer(200, {"errcode": 0, "errmsg": "ok"})
    RobotChannel.objects.create(
        name="新疆师大运维群",
        platform="wecom",
        project=project,
        webhook_url=robot.url("/cgi-bin/webhook/send?key=k1"),
    )
    new_ticket(project, customer, title="机器人应看到")
    new_ticket(other_project, people["user2"], title="机器人不应看到")
    robots = Delivery.objects.filter(channel="wecom")
    assert robots.count() == 1
    assert services.deliver(robots.get().pk) == "sent"
    content = robot.last.json["markdown"]["content"]
    assert "机器人应看到" in content
