"""The web forms of two supervision steps the API had alone: recording a retrospective (复盘)
and completing a corrective action (纠正措施), each through the API's service."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.kb.models import Retrospective
from campusdesk.ops import services as ops
from campusdesk.ops.models import CorrectiveAction
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.kb.test_library import close
from tests.tickets.conftest import new_ticket


def html(who: User, path: str) -> str:
    return web_client_for(who).get(path).content.decode()


# --- retrospectives ------------------------------------------------------------------------------
@pytest.fixture
def due(people: dict[str, User], project, customer) -> Ticket:
    """A SIS1 problem, closed: its retrospective is due."""
    ticket = close(new_ticket(project, customer, title="成绩库宕机"), people, 5, severity="SIS1")
    assert Retrospective.objects.get(ticket=ticket).status == "due"
    return ticket


def test_the_watch_list_and_the_ticket_lead_to_the_retrospective_form(people, due):
    path = f"/kb/retrospectives/{due.pk}/"
    assert f'href="{path}"' in html(people["ops"], "/ops/retrospectives/")
    ticket_page = html(people["expert2"], f"/tickets/{due.pk}/")
    assert 'id="retrospective"' in ticket_page and f'href="{path}"' in ticket_page
    assert 'id="retrospective"' not in html(people["user"], f"/tickets/{due.pk}/")


def test_an_expert_records_the_retrospective_on_the_page(people, due):
    client = web_client_for(people["expert2"])
    path = f"/kb/retrospectives/{due.pk}/"
    page = client.get(path).content.decode()
    assert 'id="retro-form"' in page and "SIS1" in page
    typed = {"findings": "", "root_cause": "environment", "tags": "宕机，磁盘", "case_needed": "on"}
    refused = client.post(path, typed)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert '<div class="error" role="alert">此项为必填项。</div>' in html
    assert 'value="宕机，磁盘"' in html and 'value="environment" selected' in html
    assert Retrospective.objects.get(ticket=due).status == "due"
    done = client.post(path, {**typed, "findings": "磁盘写满导致数据库停止，监控未告警。"})
    assert done.status_code == 302 and done["Location"] == path
    retro = Retrospective.objects.get(ticket=due)
    assert (retro.status, retro.root_cause, retro.tags, retro.case_needed, retro.expert) == (
        "done",
        "environment",
        ["宕机", "磁盘"],
        True,
        people["expert2"],
    )
    shown = client.get(path).content.decode()
    assert "磁盘写满导致数据库停止" in shown and f'action="/kb/from-ticket/{due.pk}/"' in shown
    # the same record as the API's
    listed = api_client_for(people["expert2"]).get("/api/v1/kb/retrospectives/?status=done")
    assert [r["ticket"] for r in listed.json()] == [due.pk]
    watch = api_client_for(people["ops"]).get("/api/v1/ops/watch/", {"list": "retrospectives"})
    assert watch.json()["results"] == []


def test_only_the_products_experts_record_a_retrospective(people, due):
    path = f"/kb/retrospectives/{due.pk}/"
    body = {"findings": "x", "root_cause": "other", "tags": ""}
    engineer = web_client_for(people["engineer"])  # sees it, is no expert of the product
    page = engineer.get(path)
    assert page.status_code == 200 and 'id="retro-form"' not in page.content.decode()
    assert 'id="retro-experts-only"' in page.content.decode()
    assert engineer.post(path, body).status_code == 403
    assert web_client_for(people["user"]).get(path).status_code == 403  # the customer
    assert web_client_for(people["user2"]).post(path, body).status_code == 403
    assert web_client_for(people["engineer2"]).get(path).status_code == 404  # not his project
    assert web_client_for(people["expert2"]).get("/kb/retrospectives/999999/").status_code == 404
    assert Retrospective.objects.get(ticket=due).status == "due"


# --- corrective actions --------------------------------------------------------------------------
@pytest.fixture
def filed(people: dict[str, User], project, customer):
    """An overdue problem whose handler filed a corrective action; the clock stays after."""
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, title="超期的成绩问题")
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS3",
            committed_resolution_at=timezone.now() + timedelta(hours=2),
        )
    with time_machine.travel("2026-11-23 13:00 +0800", tick=False):
        action = ops.corrective_action_file(
            ticket_id=ticket.pk, actor=people["engineer"], cause="补丁延期", plan="今晚升级"
        )
        yield action


def test_the_ticket_page_lists_corrective_actions_with_a_done_button(people, filed):
    done = f'action="/ops/corrective-actions/{filed.pk}/done/"'
    ticket = f"/tickets/{filed.ticket_id}/"
    page = html(people["engineer"], ticket)
    assert 'id="corrective-actions"' in page and "补丁延期" in page and done in page
    assert 'id="corrective-actions"' not in html(people["user"], ticket)
    answer = web_client_for(people["engineer"]).post(f"/ops/corrective-actions/{filed.pk}/done/")
    assert answer.status_code == 302
    assert answer["Location"] == f"{ticket}#corrective-actions"
    filed.refresh_from_db()
    assert filed.done_at is not None
    assert filed.ticket.events.filter(action="corrective_done").count() == 1
    page = html(people["engineer"], ticket)
    assert done not in page and f'id="corrective-action-{filed.pk}"' in page


def test_operations_close_it_from_the_overdue_list(people, filed):
    client = web_client_for(people["ops"])
    page = client.get("/ops/overdue/").content.decode()
    assert f'action="/ops/corrective-actions/{filed.pk}/done/"' in page
    back = client.post(f"/ops/corrective-actions/{filed.pk}/done/", {"next": "/ops/overdue/"})
    assert back.status_code == 302 and back["Location"] == "/ops/overdue/"
    assert CorrectiveAction.objects.get(pk=filed.pk).done_at is not None
    rows = api_client_for(people["ops"]).get("/api/v1/ops/watch/", {"list": "overdue"}).json()
    assert rows["results"][0]["has_corrective_action"] is False  # none open any more
    again = client.post(f"/ops/corrective-actions/{filed.pk}/done/", {"next": "/ops/overdue/"})
    assert again.status_code == 302  # said on the page: it is already done
    assert "该纠正措施已完成。" in client.get("/ops/overdue/").content.decode()


def test_a_foreign_next_is_not_followed(people, filed):
    answer = web_client_for(people["ops"]).post(
        f"/ops/corrective-actions/{filed.pk}/done/", {"next": "https://evil.example/"}
    )
    assert answer["Location"] == f"/tickets/{filed.ticket_id}/#corrective-actions"


def test_who_may_complete_a_corrective_action(people, filed):
    path = f"/ops/corrective-actions/{filed.pk}/done/"
    assert web_client_for(people["user"]).post(path).status_code == 403  # sees the ticket
    assert web_client_for(people["user2"]).post(path).status_code == 404
    assert web_client_for(people["engineer2"]).post(path).status_code == 404
    assert web_client_for(people["engineer"]).get(path).status_code == 405
    assert CorrectiveAction.objects.get(pk=filed.pk).done_at is None


def test_the_new_forms_speak_chinese(people, filed, due):
    from tests.test_i18n_pages import findings, visible_text

    pages = [
        ("engineer", f"/tickets/{filed.ticket_id}/"),
        ("ops", "/ops/overdue/"),
        ("engineer", "/ops/overdue/"),
        ("ops", "/ops/retrospectives/"),
        ("expert2", f"/tickets/{due.pk}/"),
        ("expert2", f"/kb/retrospectives/{due.pk}/"),
        ("engineer", f"/kb/retrospectives/{due.pk}/"),
    ]
    ops.corrective_action_done(action_id=filed.pk, actor=people["ops"])
    pages.append(("engineer", f"/tickets/{filed.ticket_id}/"))
    names = frozenset(User.objects.values_list("username", flat=True))
    problems = [
        problem
        for who, path in pages
        for problem in findings(f"{who} {path}", visible_text(html(people[who], path)), names)
    ]
    assert problems == []
