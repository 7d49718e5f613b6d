"""Service levels in the pages: the deadlines card, asking and answering, the admin's warning."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.ops.models import Dispatch
from campusdesk.site import demo
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
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
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS3",
            committed_resolution_at=ticket.created_at.replace(day=27),
        )
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


def _deadline_item(page: str, kind: str) -> str:
    start = page.rindex("<li", 0, page.index(f'data-deadline="{kind}"'))
    return page[start : page.index("</li>", start)]


@pytest.mark.django_db
def test_the_demo_ticket_nobody_went_to_does_not_claim_engineers_on_site():
    """SIS2 solved in 6 h with no dispatch: 工程师到场 is not applicable, never 已达成."""
    with time_machine.travel("2026-11-20 11:00 +0800", tick=False):
        demo.load()
        ticket = Ticket.objects.get(title="成绩录入页面保存缓慢")
        assert ticket.severity == "SIS2" and ticket.onsite_at is None
        assert not Dispatch.objects.filter(ticket=ticket).exists()
        for who in ("user", "engineer", "ops"):
            client = web_client_for(User.objects.get(username=who))
            page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
            onsite = _deadline_item(page, "onsite")
            assert "工程师到场" in onsite and "已达成" not in onsite, (who, onsite)
            assert "不适用" in onsite and "dl-not_applicable" in onsite
            resolved = _deadline_item(
                page, "resolve"
            )  # the solution is an event: met, with its time
            assert (
                "已达成" in resolved
                and clock.local(ticket.resolved_at).strftime("%m-%d %H:%M") in resolved
            )
