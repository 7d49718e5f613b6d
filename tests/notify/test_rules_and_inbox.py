"""Who hears of what, the inbox API and page, settings, urging, announcements."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.notify.models import Delivery, Notification
from campusdesk.sla.services import sweep
from campusdesk.tickets import services
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket


def inbox(user: User) -> list[str]:
    return [n.kind for n in Notification.objects.filter(recipient=user).order_by("id")]


def emailed(user: User) -> list[str]:
    return [d.kind for d in Delivery.objects.filter(recipient=user, channel="email").order_by("id")]


def test_registration_reaches_the_line1_team_and_no_one_else(people, project, customer):
    new_ticket(project, customer)
    assert inbox(people["engineer"]) == ["registered"]
    assert emailed(people["engineer"]) == ["registered"]
    for other in ("user", "user2", "engineer2", "expert2", "ops", "manager"):
        assert inbox(people[other]) == [], other


def test_each_step_reaches_the_reporter_and_handlers(people, project, customer):
    from campusdesk.notify.inbox import preference_set

    # a customer hears of escalations only when they chose to (off by default: issue 22)
    preference_set(user=customer, kind="escalated", inbox=True, email=True)
    ticket = new_ticket(project, customer)
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    assert inbox(customer) == ["accepted"]
    services.ticket_add_record(
        ticket_id=ticket.pk, actor=people["engineer"], body="内部", internal=True
    )
    assert inbox(customer) == ["accepted"]  # never an internal note
    services.ticket_escalate(ticket_id=ticket.pk, actor=people["engineer"], reason="需要专家")
    assert inbox(customer)[-1] == "escalated"
    assert inbox(people["expert2"]) == ["escalated"]  # the new tier hears of it
    assert inbox(people["user2"]) == []


def test_an_urge_reaches_every_handler_and_operations(people, project, customer):
    ticket = new_ticket(project, customer)
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    services.ticket_escalate(ticket_id=ticket.pk, actor=people["engineer"], reason="x")
    services.ticket_urge(ticket_id=ticket.pk, actor=customer, message="请加急")
    for login in ("engineer", "expert2", "ops"):
        assert inbox(people[login])[-1] == "urged", login
    assert "urged" not in inbox(customer)


def test_a_missed_sis1_deadline_reaches_the_manager_and_customer_service(people, project, customer):
    service_desk = Group.objects.create(name="客户服务部")
    people["agent"].groups.add(service_desk)
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, urgency="critical")  # provisional SIS1
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS1",
            committed_resolution_at=timezone.now() + timedelta(hours=3),
        )
    with time_machine.travel("2026-11-23 14:01 +0800", tick=False):
        sweep()
    for login in ("engineer", "ops", "manager", "agent"):
        assert "sla_breached" in inbox(people[login]), login
    assert "dispatch" in inbox(people["agent"])
    assert "sla_breached" not in inbox(customer)


def test_settings_change_what_is_sent_but_breaches_stay_in_the_inbox(people, project, customer):
    client = web_client_for(people["engineer"])
    form = {f"{kind}-inbox": "on" for kind in ("accepted",)}
    form.update({"quiet": "", "start": "22:00", "end": "08:00"})
    assert client.post("/me/messages/", form).status_code == 302  # everything else unticked
    new_ticket(project, customer)
    assert inbox(people["engineer"]) == [] and emailed(people["engineer"]) == []
    from campusdesk.notify.models import Preference

    assert Preference.objects.get(user=people["engineer"], kind="sla_breached").inbox is True


def test_quiet_hours_hold_non_urgent_email(people, project, customer):
    from campusdesk.notify.models import QuietHours

    QuietHours.objects.create(user=people["engineer"], enabled=True)
    with time_machine.travel("2026-11-23 23:30 +0800", tick=False):
        new_ticket(project, customer)
    delivery = Delivery.objects.get(recipient=people["engineer"])
    assert timezone.localtime(delivery.next_attempt_at).strftime("%m-%d %H:%M") == "11-24 08:00"
    assert inbox(people["engineer"]) == ["registered"]  # the inbox is not held


def test_the_inbox_api(people, project, customer):
    new_ticket(project, customer)
    new_ticket(project, customer, title="第二个")
    client = api_client_for(people["engineer"])
    rows = client.get("/api/v1/notifications/").json()["results"]
    assert [r["unread"] for r in rows] == [True, True]
    assert "第二个" in rows[0]["title"]  # newest first
    assert client.post(f"/api/v1/notifications/{rows[0]['id']}/read/").status_code == 204
    assert len(client.get("/api/v1/notifications/", {"unread": "1"}).json()["results"]) == 1
    assert (
        api_client_for(customer).post(f"/api/v1/notifications/{rows[1]['id']}/read/").status_code
        == 404
    )
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/", {"unread": "1"}).json()["results"] == []


def test_the_header_counts_unread_and_the_inbox_marks_read(people, project, customer):
    new_ticket(project, customer)
    client = web_client_for(people["engineer"])
    page = client.get("/").content.decode()
    assert 'id="unread-count">1<' in page
    note = Notification.objects.get(recipient=people["engineer"])
    swapped = client.post(f"/inbox/{note.pk}/read/", HTTP_HX_REQUEST="true").content.decode()
    assert swapped.startswith('<li class="note') and "unread" not in swapped.split(">")[0]
    assert 'id="unread-count"' not in client.get("/").content.decode()


def test_urging_too_often_is_refused_with_a_clear_message(people, project, customer):
    ticket = new_ticket(project, customer)
    client = api_client_for(customer)
    assert client.post(f"/api/v1/tickets/{ticket.pk}/urge/", {}).status_code == 200
    again = client.post(f"/api/v1/tickets/{ticket.pk}/urge/", {})
    assert again.status_code == 429 and "催办" in again.json()["detail"]
    assert inbox(people["engineer"]).count("urged") == 1


def test_an_announcement_reaches_the_customers_of_its_product_only(people, project):
    ops = api_client_for(people["ops"])
    body = {
        "category": "alert",
        "title": "研究生系统安全补丁",
        "body": "请于本周内升级。",
        "products": [project.product_id],
    }
    assert api_client_for(people["user"]).post("/api/v1/announcements/", body).status_code == 403
    assert ops.post("/api/v1/announcements/", {**body, "products": []}).status_code == 400
    published = ops.post("/api/v1/announcements/", body, format="json")
    assert published.status_code == 201, published.json()
    assert inbox(people["user"]) == ["announcement"] and emailed(people["user"]) == ["announcement"]
    assert inbox(people["user2"]) == []
    mine = api_client_for(people["user"]).get("/api/v1/announcements/").json()["results"]
    assert [a["title"] for a in mine] == ["研究生系统安全补丁"]
    assert api_client_for(people["user2"]).get("/api/v1/announcements/").json()["results"] == []
    item = published.json()["id"]
    assert web_client_for(people["user2"]).get(f"/announcements/{item}/").status_code == 404
    assert (
        "请于本周内升级"
        in web_client_for(people["user"]).get(f"/announcements/{item}/").content.decode()
    )


def test_an_announcement_follows_each_readers_choice_of_channels(people, project):
    from campusdesk.notify.inbox import preference_set

    preference_set(user=people["user"], kind="announcement", inbox=False, email=True)
    body = {"category": "alert", "title": "补丁", "body": "升级", "products": [project.product_id]}
    published = api_client_for(people["ops"]).post("/api/v1/announcements/", body, format="json")
    assert published.status_code == 201, published.json()
    assert inbox(people["user"]) == [] and emailed(people["user"]) == ["announcement"]


def test_the_email_link_reads_in_the_recipients_language(people, project, customer):
    engineer = people["engineer"]
    for language, words in (("en", "Open the problem"), ("zh-hans", "查看问题")):
        User.objects.filter(pk=engineer.pk).update(preferred_language=language)
        ticket = new_ticket(project, customer, title=f"语言 {language}")
        mails = Delivery.objects.filter(recipient=engineer, channel="email")
        mail = mails.get(notification__ticket=ticket)
        assert words in mail.payload["html"], (language, mail.payload["html"])
        assert f"/tickets/{ticket.pk}/" in mail.payload["html"]


def test_a_complaint_reaches_operations_and_the_customers_service_managers_only(
    people, project, customer
):
    from campusdesk.accounts.roles import Role
    from campusdesk.catalog.models import Project
    from campusdesk.ops.services import complaint_file

    complaint_file(actor=customer, subject="处理太慢", body="三天没有回复。")
    ops = {u.pk for u in people.values() if u.role == Role.OPS and u.is_active}
    own = Project.objects.filter(organisation=customer.organisation_id)
    managers = set(own.exclude(service_manager=None).values_list("service_manager", flat=True))
    reached = Notification.objects.filter(kind="complaint", urgent=True)
    assert ops and managers
    assert set(reached.values_list("recipient", flat=True)) == ops | managers
    mailed = Delivery.objects.filter(kind="complaint", channel="email")
    with_email = {u.pk for u in User.objects.filter(pk__in=ops | managers).exclude(email="")}
    assert set(mailed.values_list("recipient", flat=True)) == with_email
    assert inbox(people["user2"]) == []
