"""Operations supervision: watch lists, operations records, corrective actions, dispatch."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.sla.services import sweep
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.tickets.conftest import new_ticket

WATCH = "/api/v1/ops/watch/"


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def accept(ticket: Ticket, who: User, hours: float, severity: str = "SIS3") -> None:
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=who,
        severity=severity,
        committed_resolution_at=timezone.now() + timedelta(hours=hours),
    )


def test_not_accepted_in_time(people: dict[str, User], project, customer):
    with time_machine.travel("2026-11-20 09:00 +0800", tick=False):
        late = new_ticket(project, customer, title="迟迟无人受理")
        taken = new_ticket(project, customer, title="已受理")
        accept(taken, people["engineer"], 48)
    with time_machine.travel("2026-11-21 08:59 +0800", tick=False):
        assert numbers(api_client_for(people["ops"]).get(WATCH, {"list": "unaccepted"})) == []
    with time_machine.travel("2026-11-21 09:01 +0800", tick=False):
        listed = numbers(api_client_for(people["ops"]).get(WATCH, {"list": "unaccepted"}))
    assert listed == [late.number]


def test_watch_lists_are_for_vendor_staff_and_scoped(people: dict[str, User], project, customer):
    new_ticket(project, customer)
    assert api_client_for(customer).get(WATCH, {"list": "urged"}).status_code == 403
    bad = api_client_for(people["ops"]).get(WATCH, {"list": "everything"})
    assert bad.status_code == 400 and "list" in bad.json()
    with time_machine.travel(timedelta(days=2)):
        # the other project's line-1 engineer sees none of this project's tickets
        assert numbers(api_client_for(people["engineer2"]).get(WATCH, {"list": "unaccepted"})) == []


def test_nearing_and_overdue_with_corrective_actions(people: dict[str, User], project, customer):
    engineer = api_client_for(people["engineer"])
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        soon, later_one = new_ticket(project, customer), new_ticket(project, customer)
        accept(soon, people["engineer"], 2)
        accept(later_one, people["engineer"], 10)
        ops = api_client_for(people["ops"])
        assert numbers(ops.get(WATCH, {"list": "nearing"})) == [soon.number]
        early = engineer.post(
            f"/api/v1/tickets/{soon.pk}/corrective-actions/", {"cause": "x", "plan": "y"}
        )
        assert early.status_code == 409
    with time_machine.travel("2026-11-23 12:30 +0800", tick=False):
        rows = ops.get(WATCH, {"list": "overdue"}).json()["results"]
        assert [(r["number"], r["has_corrective_action"]) for r in rows] == [(soon.number, False)]
        assert (
            api_client_for(customer)
            .post(f"/api/v1/tickets/{soon.pk}/corrective-actions/", {"cause": "x", "plan": "y"})
            .status_code
            == 403
        )
        missing = engineer.post(f"/api/v1/tickets/{soon.pk}/corrective-actions/", {"cause": "x"})
        assert missing.status_code == 400
        filed = engineer.post(
            f"/api/v1/tickets/{soon.pk}/corrective-actions/",
            {"cause": "数据库厂商补丁延期", "plan": "今晚 22:00 停机升级，明早确认"},
        )
        assert filed.status_code == 201
        rows = ops.get(WATCH, {"list": "overdue"}).json()["results"]
        assert rows[0]["has_corrective_action"] is True
        done = engineer.post(f"/api/v1/ops/corrective-actions/{filed.json()['id']}/done/")
        assert done.status_code == 200 and done.json()["done_at"]
        again = engineer.post(f"/api/v1/ops/corrective-actions/{filed.json()['id']}/done/")
        assert again.status_code == 409
    actions = list(soon.events.values_list("action", flat=True))
    assert "corrective_action" in actions and "corrective_done" in actions


def test_urged_list(people: dict[str, User], project, customer):
    quiet, urged = new_ticket(project, customer), new_ticket(project, customer)
    services.ticket_urge(ticket_id=urged.pk, actor=customer, message="请加急")
    assert numbers(api_client_for(people["ops"]).get(WATCH, {"list": "urged"})) == [urged.number]
    assert quiet.number not in numbers(api_client_for(people["ops"]).get(WATCH, {"list": "urged"}))


def test_operations_records_are_vendor_only(people: dict[str, User], project, customer):
    ticket = new_ticket(project, customer)
    path = f"/api/v1/tickets/{ticket.pk}/ops-records/"
    assert api_client_for(people["engineer"]).post(path, {"body": "x"}).status_code == 403
    assert api_client_for(people["ops"]).post(path, {"body": ""}).status_code == 400
    assert (
        api_client_for(people["ops"]).post(path, {"body": "已电话督促一线今日受理"}).status_code
        == 201
    )
    assert api_client_for(people["user2"]).post(path, {"body": "x"}).status_code == 404
    customer_view = api_client_for(customer).get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()
    assert "ops_record" not in [e["action"] for e in customer_view]
    staff_view = api_client_for(people["engineer"]).get(f"/api/v1/tickets/{ticket.pk}/timeline/")
    assert "ops_record" in [e["action"] for e in staff_view.json()]


def test_sis2_unresolved_in_time_requires_a_dispatch(people: dict[str, User], project, customer):
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, urgency="high")
        accept(ticket, people["engineer"], 24, severity="SIS2")
        calm = new_ticket(project, customer)
        accept(calm, people["engineer"], 24, severity="SIS3")
    with time_machine.travel("2026-11-23 18:01 +0800", tick=False):
        sweep()
        ops = api_client_for(people["ops"])
        assert numbers(ops.get(WATCH, {"list": "dispatch"})) == [ticket.number]
        required = ticket.events.get(action="dispatch_required")
        assert required.internal and required.data["inform_group"] == "客户服务部"
        engineer = api_client_for(people["engineer"])
        body = {"engineer": people["engineer"].pk, "arrived_at": "2026-11-23T18:00:00+08:00"}
        assert engineer.post(f"/api/v1/tickets/{calm.pk}/dispatch/", body).status_code == 409
        future = {**body, "arrived_at": "2026-11-23T20:00:00+08:00"}
        assert engineer.post(f"/api/v1/tickets/{ticket.pk}/dispatch/", future).status_code == 400
        assert engineer.post(f"/api/v1/tickets/{ticket.pk}/dispatch/", body).status_code == 201
        assert numbers(ops.get(WATCH, {"list": "dispatch"})) == []
        detail = engineer.get(f"/api/v1/tickets/{ticket.pk}/").json()
    onsite = next(d for d in detail["deadlines"] if d["kind"] == "onsite")
    assert onsite["state"] == "met"


def test_the_commitment_shows_its_state_and_the_watch_page_lists_overdue(
    people: dict[str, User], project, customer
):
    from tests.helpers import web_client_for

    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        ticket = new_ticket(project, customer, title="超期未解决的问题")
        accept(ticket, people["engineer"], 2)
        detail = api_client_for(people["engineer"]).get(f"/api/v1/tickets/{ticket.pk}/").json()
        assert detail["commitment"]["state"] == "at_risk"
        assert detail["commitment"]["seconds_left"] == 7200
    with time_machine.travel("2026-11-23 13:00 +0800", tick=False):
        detail = api_client_for(customer).get(f"/api/v1/tickets/{ticket.pk}/").json()
        assert detail["commitment"]["state"] == "breached"
        page = web_client_for(people["ops"]).get("/ops/overdue/").content.decode()
    assert "超期未解决的问题" in page
    assert "未提交" in page  # no corrective action yet


def test_tab_counts_stop_at_the_cap(people: dict[str, User], project, customer, monkeypatch):
    from campusdesk.ops import selectors, views
    from tests.helpers import web_client_for

    for _ in range(3):
        urged = new_ticket(project, customer)
        services.ticket_urge(ticket_id=urged.pk, actor=customer, message="请加急")
    assert selectors.counts(people["ops"])["urged"] == 3
    assert selectors.counts(people["ops"], cap=1)["urged"] == 2  # "more than one"
    monkeypatch.setattr(views, "TAB_CAP", 2)
    page = web_client_for(people["ops"]).get("/ops/urged/").content.decode()
    assert 'data-list="urged">' in page and "2+</span>" in page
