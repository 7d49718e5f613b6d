"""Service levels in the pages: the deadlines card, asking and answering, the admin's warning."""

from __future__ import annotations

import time_machine
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.tickets import services
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-main"}


def test_the_ticket_page_shows_each_deadline_with_its_state(people, project, customer):
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, urgency="medium")  # provisional SIS3
    with time_machine.travel("2026-11-25 09:30 +0800", tick=False):
        body = (
            web_client_for(people["engineer"])
            .get(reverse("tickets:detail", args=[ticket.pk]))
            .content.decode()
        )
    assert "根据紧急程度暂定" in body
    # accept_by 11-25 10:00 is 30 min away: at risk; respond/resolve 11-25 10:00 too
    assert 'data-deadline="accept"' in body and "dl-at_risk" in body
    assert "2026-11-28 10:00" not in body  # plan is 3 working days: Fri 11-27 10:00
    assert "2026-11-27 10:00" in body


def test_ask_and_answer_through_the_pages(people: dict[str, User], project, customer):
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, urgency="medium")
        services.ticket_accept(
            ticket_id=ticket.pk, actor=people["engineer"], severity="SIS3",
            committed_resolution_at=ticket.created_at.replace(day=27),
        )  # fmt: skip
    engineer, user = web_client_for(people["engineer"]), web_client_for(customer)
    with time_machine.travel("2026-11-24 11:00 +0800", tick=False):
        asked = engineer.post(
            reverse("tickets:act", args=[ticket.pk, "ask_info"]),
            {"question": "请提供报错截图和浏览器版本。"},
            **HTMX,
        ).content.decode()
    assert 'id="ticket-waiting"' in asked
    assert "dl-paused" in asked
    with time_machine.travel("2026-11-24 15:00 +0800", tick=False):
        page = user.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert 'data-action="answer_info"' in page
        answered = user.post(
            reverse("tickets:act", args=[ticket.pk, "answer_info"]),
            {"answer": "Chrome 120，截图已上传。"},
            **HTMX,
        ).content.decode()
    assert 'id="ticket-waiting"' not in answered
    ticket.refresh_from_db()
    assert ticket.waiting_for == ""
    assert str(ticket.paused_working) == "4:00:00"


def test_the_calendar_admin_warns_when_next_years_schedule_is_unknown(people):
    with time_machine.travel("2026-11-26 10:00 +0800", tick=False):
        page = web_client_for(people["admin"]).get(reverse("admin:sla_calendar_changelist"))
    assert page.status_code == 200
    assert "2027" in page.content.decode()
    assert "官方节假日安排" in page.content.decode()
