"""A committed resolution time beyond the severity's resolution target: asked once in the form,
kept with a flag for operations (event, ticket, timeline, SLA panel, watch list), accepted by
the API with the flag in its answer, and not shown to customers.

SIS2 (7×24) registered Tue 2026-03-10 09:00 must be resolved by 17:00; SIS1 by 13:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import ValidationError
from campusdesk.tickets import services
from campusdesk.tickets.models import Commitment, Status, Ticket, TicketEvent
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-main"}
WARNING = "承诺解决时间晚于 SIS2 的解决时限（2026-03-10 17:00）"
CONFIRM = "我已知晓超出目标时限"
FLAG = "承诺时间超出目标"


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}:00+08:00")


def at(text: str) -> Any:
    return time_machine.travel(t(text), tick=False)


@pytest.fixture
def ticket(project: Project, customer: User) -> Ticket:
    with at("2026-03-10T09:00"):
        return new_ticket(project, customer, urgency="high")  # provisional SIS2


def _accept(ticket: Ticket, actor: User, due: str, **extra: Any) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk, actor=actor, committed_resolution_at=t(due), **extra
    )


def _event(ticket: Ticket, action: str) -> TicketEvent:
    return TicketEvent.objects.filter(ticket=ticket, action=action).latest("at", "id")


def _target(event: TicketEvent) -> datetime:
    return datetime.fromisoformat(event.data["resolve_target"])


# --- the service --------------------------------------------------------------------------
def test_the_service_records_whether_the_commitment_exceeds_the_target(ticket, people):
    engineer = people["engineer"]
    with at("2026-03-10T10:00"):
        _accept(ticket, engineer, "2026-03-10T17:00", severity="SIS2")  # on the target: fine
    ticket.refresh_from_db()
    event = _event(ticket, "accept")
    assert not ticket.commitment_exceeds_target
    assert (event.data["exceeds_target"], _target(event)) == (False, t("2026-03-10T17:00"))
    with at("2026-03-10T11:00"):
        services.ticket_change_commitment(
            ticket_id=ticket.pk,
            actor=engineer,
            committed_resolution_at=t("2026-03-11T12:00"),
            reason="需要厂商提供补丁。",
        )
    ticket.refresh_from_db()
    event = _event(ticket, "change_commitment")
    assert ticket.commitment_exceeds_target and event.data["exceeds_target"] is True
    assert _target(event) == t("2026-03-10T17:00")
    with at("2026-03-10T12:00"):
        services.ticket_escalate(ticket_id=ticket.pk, actor=engineer, reason="需要工程专家。")
    ticket.refresh_from_db()
    assert not ticket.commitment_exceeds_target  # the new tier has promised nothing yet
    with at("2026-03-10T13:00"):  # a later tier accepts: measured by the same target
        _accept(ticket, people["expert2"], "2026-03-10T20:00")
    ticket.refresh_from_db()
    assert ticket.tier == 2 and ticket.commitment_exceeds_target
    assert _event(ticket, "accept").data["exceeds_target"] is True


def test_the_target_is_the_severity_chosen_at_acceptance(project, customer, people):
    with at("2026-03-10T09:00"):
        ticket = new_ticket(project, customer, urgency="medium")  # provisional SIS3: Tue 17:00
    with at("2026-03-10T09:30"):
        _accept(ticket, people["engineer"], "2026-03-10T14:00", severity="SIS1")  # SIS1: 13:00
    ticket.refresh_from_db()
    assert ticket.commitment_exceeds_target
    assert _target(_event(ticket, "accept")) == t("2026-03-10T13:00")


def test_the_target_moves_with_the_time_the_clock_stood_still(ticket, people, customer):
    engineer = people["engineer"]
    with at("2026-03-10T10:00"):
        _accept(ticket, engineer, "2026-03-10T17:00", severity="SIS2")
    with at("2026-03-10T11:00"):
        services.ticket_ask_info(ticket_id=ticket.pk, actor=engineer, question="请提供日志。")
    with at("2026-03-10T13:00"):
        services.ticket_answer_info(ticket_id=ticket.pk, actor=customer, answer="已上传。")
    with at("2026-03-10T13:30"):  # paused two hours: resolve by 19:00
        services.ticket_change_commitment(
            ticket_id=ticket.pk,
            actor=engineer,
            committed_resolution_at=t("2026-03-10T19:00"),
            reason="等待了用户两小时。",
        )
    ticket.refresh_from_db()
    assert not ticket.commitment_exceeds_target
    assert (
        _target(_event(ticket, "change_commitment")) == ticket.resolve_by == t("2026-03-10T19:00")
    )


def test_unconfirmed_the_service_asks_and_saves_nothing(ticket, people):
    with at("2026-03-10T10:00"), pytest.raises(ValidationError) as raised:
        _accept(
            ticket,
            people["engineer"],
            "2026-03-11T09:00",
            severity="SIS2",
            beyond_target_acknowledged=False,
        )
    assert list(raised.value.fields) == ["beyond_target_ok"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not Commitment.objects.filter(ticket=ticket).exists()


# --- the web form ------------------------------------------------------------------------
def _post(client: Any, ticket: Ticket, action: str, data: dict[str, str]) -> str:
    url = reverse("tickets:act", args=[ticket.pk, action])
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_form_warns_once_and_keeps_the_time_when_confirmed(ticket, people, customer):
    engineer = web_client_for(people["engineer"])
    form = {"severity": "SIS2", "committed_resolution_at": "2026-03-11T09:00"}
    with at("2026-03-10T10:00"):
        page = _post(engineer, ticket, "accept", form)
    assert WARNING in page and CONFIRM in page and 'name="beyond_target_ok"' in page
    assert 'value="2026-03-11T09:00"' in page  # what was entered is kept
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    with at("2026-03-10T10:01"):
        page = _post(engineer, ticket, "accept", form)  # not ticked: asked again
    assert WARNING in page
    with at("2026-03-10T10:02"):
        page = _post(engineer, ticket, "accept", {**form, "beyond_target_ok": "on"})
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.commitment_exceeds_target
    assert WARNING not in page and 'id="beyond-target"' in page  # the SLA panel, for staff
    assert "晚于解决时限（2026-03-10 17:00）" in page  # the timeline, for staff
    with at("2026-03-10T10:05"):
        own = web_client_for(customer).get(reverse("tickets:detail", args=[ticket.pk]))
    text = own.content.decode()
    assert "2026-03-11 09:00" in text  # the customer sees the committed time itself
    assert FLAG not in text and "晚于解决时限" not in text


def test_a_time_within_the_target_goes_through_at_once(ticket, people):
    engineer = web_client_for(people["engineer"])
    with at("2026-03-10T10:00"):
        form = {"severity": "SIS2", "committed_resolution_at": "2026-03-10T16:00"}
        page = _post(engineer, ticket, "accept", form)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and not ticket.commitment_exceeds_target
    assert CONFIRM not in page and 'id="beyond-target"' not in page
    with at("2026-03-10T11:00"):  # changing it to a later time asks the same way
        form = {"committed_resolution_at": "2026-03-10T18:00", "reason": "需要重建索引。"}
        page = _post(engineer, ticket, "change_commitment", form)
        assert CONFIRM in page
        _post(engineer, ticket, "change_commitment", {**form, "beyond_target_ok": "on"})
    ticket.refresh_from_db()
    assert ticket.committed_resolution_at == t("2026-03-10T18:00")
    assert ticket.commitment_exceeds_target


# --- the API and the watch list ------------------------------------------------------------
def test_the_api_accepts_it_and_answers_the_flag_to_staff_only(ticket, people, customer):
    engineer, user = api_client_for(people["engineer"]), api_client_for(customer)
    body = {"severity": "SIS2", "committed_resolution_at": "2026-03-11T09:00:00+08:00"}
    with at("2026-03-10T10:00"):
        answer = engineer.post(f"/api/v1/tickets/{ticket.pk}/accept/", body, format="json")
        assert answer.status_code == 200, answer.json()
        assert answer.json()["commitment_exceeds_target"] is True
        assert user.get(f"/api/v1/tickets/{ticket.pk}/").json()["commitment_exceeds_target"] is None
        staff_events = engineer.get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()
        own_events = user.get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()
    staff = next(e for e in staff_events if e["action"] == "accept")["data"]
    own = next(e for e in own_events if e["action"] == "accept")["data"]
    assert staff["exceeds_target"] is True and "resolve_target" in staff
    assert "exceeds_target" not in own and "resolve_target" not in own
    assert own["committed_resolution_at"] == staff["committed_resolution_at"]
    with at("2026-03-10T11:00"):
        changed = engineer.post(
            f"/api/v1/tickets/{ticket.pk}/commitment/",
            {"committed_resolution_at": "2026-03-10T16:00:00+08:00", "reason": "补丁已到。"},
            format="json",
        )
    assert changed.status_code == 200 and changed.json()["commitment_exceeds_target"] is False


def test_operations_watch_the_commitments_beyond_the_target(ticket, project, customer, people):
    with at("2026-03-10T09:00"):
        within = new_ticket(project, customer, urgency="high", title="按时限承诺的问题")
    with at("2026-03-10T10:00"):
        _accept(ticket, people["engineer"], "2026-03-11T09:00", severity="SIS2")
        _accept(within, people["engineer"], "2026-03-10T16:00", severity="SIS2")
        ops = api_client_for(people["ops"])
        rows = ops.get("/api/v1/ops/watch/", {"list": "beyond_target"}).json()["results"]
        page = web_client_for(people["ops"]).get("/ops/beyond_target/").content.decode()
    assert [(r["number"], r["commitment_exceeds_target"]) for r in rows] == [(ticket.number, True)]
    assert ticket.number in page and within.number not in page and "超出目标" in page
