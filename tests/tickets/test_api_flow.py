"""The whole seed §7 flow through the API, and what each role may not do."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets.models import Commitment, Ticket, TicketEvent
from tests.factories import UserFactory
from tests.helpers import api_client_for
from tests.tickets.conftest import later

URL = "/api/v1/tickets/"


def registration(target: Project, **overrides: object) -> dict[str, object]:
    project = target
    body: dict[str, object] = {
        "project": project.pk,
        "product": project.product_id,
        "title": "研究生学位申请页面打不开",
        "description": "1. 登录研究生系统\n2. 点击“学位申请”\n3. 页面白屏，F12 显示 500 错误",
        "environment": "Chrome 120, Windows 11",
        "urgency": "critical",
        "expected_resolution_date": "2099-12-31",
        "service_type": "fault",
    }
    body.update(overrides)
    return body


def test_the_whole_flow_through_three_lines_and_the_task_force(
    people: dict[str, User], project: Project
):
    user = api_client_for(people["user"])
    created = user.post(URL, registration(project), format="json")
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert re.fullmatch(r"\d{4}-\d{5}", ticket["number"])
    assert (ticket["status"], ticket["tier"], ticket["severity"]) == ("new", 1, "")
    assert ticket["committed_resolution_at"] is None
    tid = ticket["id"]

    engineer = api_client_for(people["engineer"])
    accepted = engineer.post(
        f"{URL}{tid}/accept/",
        {"severity": "SIS1", "committed_resolution_at": later(4)},
        format="json",
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "in_progress"
    assert accepted.json()["severity"] == "SIS1"
    assert accepted.json()["assignee"]["username"] == "engineer"

    no_reason = engineer.post(
        f"{URL}{tid}/commitment/", {"committed_resolution_at": later(6)}, format="json"
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    blank_reason = engineer.post(
        f"{URL}{tid}/commitment/",
        {"committed_resolution_at": later(6), "reason": "   "},
        format="json",
    )
    assert blank_reason.status_code == 400
    moved = engineer.post(
        f"{URL}{tid}/commitment/",
        {"committed_resolution_at": later(6), "reason": "需要等待数据库厂商确认补丁"},
        format="json",
    )
    assert moved.status_code == 200

    record = engineer.post(
        f"{URL}{tid}/records/", {"body": "排查：应用日志显示连接池耗尽。"}, format="json"
    )
    assert record.status_code == 201
    assert record.json()["data"]["kind"] == "investigation"

    for tier, login in ((2, "expert2"), (3, "expert3"), (4, "taskforce")):
        current = {2: "engineer", 3: "expert2", 4: "expert3"}[tier]
        up = api_client_for(people[current]).post(
            f"{URL}{tid}/escalate/", {"reason": f"第{tier - 1}线无法解决"}, format="json"
        )
        assert up.status_code == 200, up.json()
        assert (up.json()["tier"], up.json()["status"]) == (tier, "new")
        assert up.json()["committed_resolution_at"] is None
        took = api_client_for(people[login]).post(
            f"{URL}{tid}/accept/", {"committed_resolution_at": later(24 * tier)}, format="json"
        )
        assert took.status_code == 200, took.json()
        assert took.json()["severity"] == "SIS1"  # kept from the first acceptance
        assert took.json()["assignee"]["username"] == login

    taskforce = api_client_for(people["taskforce"])
    asked = taskforce.post(f"{URL}{tid}/request-close/", {"solution": "扩容连接池并修复泄漏"})
    assert asked.status_code == 200
    assert asked.json()["status"] == "pending_close"
    rejected = user.post(f"{URL}{tid}/reject-close/", {"reason": "仍偶尔白屏"}, format="json")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["tier"]) == ("in_progress", 4)
    asked = taskforce.post(f"{URL}{tid}/request-close/", {"solution": "升级驱动后已稳定运行两天"})
    assert asked.status_code == 200
    closed = user.post(
        f"{URL}{tid}/close/",
        {"rating": 4, "comment": "处理及时", "workload_hours": "6.5"},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["status"] == "closed"
    assert body["rating"] == 4
    assert Decimal(body["workload_hours"]) == Decimal("6.5")
    assert body["rejection_count"] == 1
    assert body["allowed_actions"] == []

    # every tier's commitment is kept, with the reasoned change of line 1
    commitments = Commitment.objects.filter(ticket_id=tid).order_by("created_at", "id")
    assert [c.tier for c in commitments] == [1, 1, 2, 3, 4]
    assert commitments[1].reason == "需要等待数据库厂商确认补丁"

    timeline = user.get(f"{URL}{tid}/timeline/").json()
    assert [e["action"] for e in timeline] == [
        "register",
        "accept",
        "change_commitment",
        "record",
        "escalate",
        "accept",
        "escalate",
        "accept",
        "escalate",
        "accept",
        "request_close",
        "reject_close",
        "request_close",
        "close",
    ]
    assert timeline[0]["actor"]["username"] == "user"
    assert timeline[2]["data"]["reason"] == "需要等待数据库厂商确认补丁"
    assert all(e["channel"] == "api" for e in timeline)


def test_internal_notes_are_hidden_from_the_customer(accepted: Ticket, people: dict[str, User]):
    engineer = api_client_for(people["engineer"])
    engineer.post(
        f"{URL}{accepted.pk}/records/", {"body": "内部：疑似客户改了配置", "internal": True}
    )
    engineer.post(f"{URL}{accepted.pk}/records/", {"body": "已定位到配置问题"})
    customer_view = api_client_for(people["user"]).get(f"{URL}{accepted.pk}/timeline/").json()
    bodies = [e["data"].get("body") for e in customer_view]
    assert "已定位到配置问题" in bodies
    assert "内部：疑似客户改了配置" not in bodies
    staff_view = api_client_for(people["expert2"]).get(f"{URL}{accepted.pk}/timeline/").json()
    assert "内部：疑似客户改了配置" in [e["data"].get("body") for e in staff_view]


def test_customer_may_not_write_internal_notes(ticket: Ticket, people: dict[str, User]):
    response = api_client_for(people["user"]).post(
        f"{URL}{ticket.pk}/records/", {"body": "x", "internal": True}, format="json"
    )
    assert response.status_code == 403
    comment = api_client_for(people["user"]).post(
        f"{URL}{ticket.pk}/records/", {"body": "补充：仅 IE 浏览器出现"}, format="json"
    )
    assert comment.status_code == 201
    assert comment.json()["data"]["kind"] == "comment"


@pytest.mark.parametrize(
    ("login", "path", "body"),
    [
        ("user", "accept", {"severity": "SIS3", "committed_resolution_at": later()}),
        ("user", "escalate", {"reason": "x"}),
        ("user", "request-close", {"solution": "x"}),
        ("agent", "accept", {"severity": "SIS3", "committed_resolution_at": later()}),
        ("expert2", "accept", {"severity": "SIS3", "committed_resolution_at": later()}),
        ("manager", "accept", {"severity": "SIS3", "committed_resolution_at": later()}),
        ("engineer", "urge", {"message": "x"}),
        ("ops", "withdraw", {}),
    ],
)
def test_roles_that_may_not_act_get_403(
    ticket: Ticket, people: dict[str, User], login: str, path: str, body: dict[str, object]
):
    response = api_client_for(people[login]).post(f"{URL}{ticket.pk}/{path}/", body, format="json")
    assert response.status_code == 403, response.json()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


@pytest.mark.parametrize(
    ("login", "path", "body"),
    [
        ("engineer", "close", {"rating": 5, "workload_hours": 1}),
        ("ops", "close", {"rating": 5, "workload_hours": 1}),
        ("engineer", "reject-close", {"reason": "x"}),
        ("expert2", "request-close", {"solution": "x"}),  # not line 1's ticket
    ],
)
def test_only_the_customer_closes(
    accepted: Ticket, people: dict[str, User], login: str, path: str, body: dict[str, object]
):
    api_client_for(people["engineer"]).post(
        f"{URL}{accepted.pk}/request-close/", {"solution": "重启服务"}
    )
    response = api_client_for(people[login]).post(
        f"{URL}{accepted.pk}/{path}/", body, format="json"
    )
    assert response.status_code == 403


def test_the_other_organisations_user_gets_404_everywhere(ticket: Ticket, people: dict[str, User]):
    outsider = api_client_for(people["user2"])
    assert outsider.get(f"{URL}{ticket.pk}/").status_code == 404
    assert outsider.get(f"{URL}{ticket.pk}/timeline/").status_code == 404
    assert outsider.get(f"{URL}{ticket.pk}/attachments/").status_code == 404
    for path, body in [
        ("urge", {}),
        ("close", {"rating": 5, "workload_hours": 1}),
        ("records", {"body": "x"}),
    ]:
        assert outsider.post(f"{URL}{ticket.pk}/{path}/", body, format="json").status_code == 404
    assert outsider.get(URL).json()["count"] == 0
    # the line-1 engineer of the other project cannot see it either
    assert api_client_for(people["engineer2"]).get(f"{URL}{ticket.pk}/").status_code == 404


def test_wrong_status_is_409_with_a_message_in_the_requests_language(
    accepted: Ticket, people: dict[str, User]
):
    engineer = api_client_for(people["engineer"], language="en")
    again = engineer.post(
        f"{URL}{accepted.pk}/accept/",
        {"severity": "SIS2", "committed_resolution_at": later()},
        format="json",
    )
    assert again.status_code == 409
    assert "not possible" in again.json()["detail"]
    chinese = api_client_for(people["user"]).post(
        f"{URL}{accepted.pk}/close/", {"rating": 5, "workload_hours": 1}, format="json"
    )
    assert chinese.status_code == 409
    assert "不能" in chinese.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"urgency": "whenever"}, "urgency"),
        ({"service_type": "magic"}, "service_type"),
        ({"expected_resolution_date": "2001-01-01"}, "expected_resolution_date"),
        ({"expected_resolution_date": "31/12/2099"}, "expected_resolution_date"),
        ({"project": 999999}, "project"),
    ],
)
def test_bad_registrations_are_400_and_write_nothing(
    people: dict[str, User], project: Project, change: dict[str, object], field: str
):
    response = api_client_for(people["user"]).post(
        URL, registration(project, **change), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Ticket.objects.count() == 0


def test_registering_for_the_other_universitys_project_is_refused(
    people: dict[str, User], other_project: Project
):
    response = api_client_for(people["user"]).post(URL, registration(other_project), format="json")
    assert response.status_code == 400
    assert "project" in response.json()


def test_product_must_match_the_project(people: dict[str, User], project: Project, other_project):
    response = api_client_for(people["user"]).post(
        URL, registration(project, product=other_project.product_id), format="json"
    )
    assert response.status_code == 400
    assert "product" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"severity": "SIS9", "committed_resolution_at": later()}, "severity"),
        ({"committed_resolution_at": later()}, "severity"),  # first acceptance needs one
        ({"severity": "SIS2", "committed_resolution_at": later(-1)}, "committed_resolution_at"),
        ({"severity": "SIS2"}, "committed_resolution_at"),
    ],
)
def test_bad_acceptance_is_400(
    ticket: Ticket, people: dict[str, User], body: dict[str, object], field: str
):
    response = api_client_for(people["engineer"]).post(
        f"{URL}{ticket.pk}/accept/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0, "workload_hours": 1},
        {"rating": 6, "workload_hours": 1},
        {"workload_hours": 1},
        {"rating": 3},
        {"rating": 3, "workload_hours": -2},
    ],
)
def test_closing_needs_a_rating_and_the_workload(
    accepted: Ticket, people: dict[str, User], body: dict[str, object]
):
    api_client_for(people["engineer"]).post(f"{URL}{accepted.pk}/request-close/", {"solution": "x"})
    response = api_client_for(people["user"]).post(
        f"{URL}{accepted.pk}/close/", body, format="json"
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=accepted.pk).status == "pending_close"


def test_rejection_and_request_close_need_text(accepted: Ticket, people: dict[str, User]):
    engineer = api_client_for(people["engineer"])
    assert engineer.post(f"{URL}{accepted.pk}/request-close/", {"solution": ""}).status_code == 400
    engineer.post(f"{URL}{accepted.pk}/request-close/", {"solution": "已修复"})
    user = api_client_for(people["user"])
    assert user.post(f"{URL}{accepted.pk}/reject-close/", {"reason": " "}).status_code == 400
    assert Ticket.objects.get(pk=accepted.pk).status == "pending_close"


def test_escalation_needs_a_reason_and_stops_at_the_task_force(
    accepted: Ticket, people: dict[str, User]
):
    engineer = api_client_for(people["engineer"])
    assert engineer.post(f"{URL}{accepted.pk}/escalate/", {}).status_code == 400
    Ticket.objects.filter(pk=accepted.pk).update(tier=4)
    last = api_client_for(people["taskforce"]).post(
        f"{URL}{accepted.pk}/escalate/", {"reason": "x"}
    )
    assert last.status_code == 409


def test_assign_within_the_tier_only(accepted: Ticket, people: dict[str, User], project: Project):
    colleague = UserFactory(role="engineer", organisation=people["engineer"].organisation)
    project.line1_team.add(colleague)
    ops = api_client_for(people["ops"])
    assert (
        ops.post(f"{URL}{accepted.pk}/assign/", {"user": people["expert2"].pk}).status_code == 400
    )
    done = ops.post(f"{URL}{accepted.pk}/assign/", {"user": colleague.pk})
    assert done.status_code == 200
    assert done.json()["assignee"]["id"] == colleague.pk


def test_urge_counts_and_shows(accepted: Ticket, people: dict[str, User]):

    user = api_client_for(people["user"])
    first = user.post(f"{URL}{accepted.pk}/urge/", {"message": "明天要开学位会，请尽快"})
    assert first.status_code == 200
    too_soon = user.post(f"{URL}{accepted.pk}/urge/", {})
    assert too_soon.status_code == 429
    assert "30 分钟" in too_soon.json()["detail"]
    with time_machine.travel(timedelta(minutes=31)):
        second = user.post(f"{URL}{accepted.pk}/urge/", {})
    assert second.json()["urge_count"] == 2
    urges = TicketEvent.objects.filter(ticket=accepted, action="urge")
    assert [e.data["count"] for e in urges] == [1, 2]


def test_withdraw_only_by_the_reporter_and_before_acceptance(
    ticket: Ticket, people: dict[str, User], project: Project
):
    colleague = UserFactory(role="customer", organisation=people["user"].organisation)
    assert api_client_for(colleague).post(f"{URL}{ticket.pk}/withdraw/", {}).status_code == 403
    done = api_client_for(people["user"]).post(
        f"{URL}{ticket.pk}/withdraw/", {"reason": "已自行解决"}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "withdrawn"


def test_no_withdrawal_after_acceptance_even_when_escalated(
    accepted: Ticket, people: dict[str, User]
):
    api_client_for(people["engineer"]).post(f"{URL}{accepted.pk}/escalate/", {"reason": "x"})
    response = api_client_for(people["user"]).post(f"{URL}{accepted.pk}/withdraw/", {})
    assert response.status_code == 409


def test_out_of_scope_work_is_flagged_for_billing(accepted: Ticket, people: dict[str, User]):
    engineer = api_client_for(people["engineer"])
    bad = engineer.post(
        f"{URL}{accepted.pk}/out-of-scope/", {"change_type": "holiday", "workload_hours": 3}
    )
    assert bad.status_code == 400
    zero = engineer.post(
        f"{URL}{accepted.pk}/out-of-scope/", {"change_type": "network", "workload_hours": 0}
    )
    assert zero.status_code == 400
    ok = engineer.post(
        f"{URL}{accepted.pk}/out-of-scope/", {"change_type": "network", "workload_hours": "3.5"}
    )
    assert ok.status_code == 200
    assert ok.json()["out_of_scope_type"] == "network"
    assert (
        api_client_for(people["user"])
        .post(f"{URL}{accepted.pk}/out-of-scope/", {"change_type": "network", "workload_hours": 1})
        .status_code
        == 403
    )


def test_agent_registers_a_call_on_behalf_of_a_customer(people: dict[str, User], project: Project):
    agent = api_client_for(people["agent"])
    missing = agent.post(URL, registration(project), format="json")
    assert missing.status_code == 400
    assert "reporter" in missing.json()
    wrong_org = agent.post(URL, registration(project, reporter=people["user2"].pk), format="json")
    assert wrong_org.status_code == 400
    done = agent.post(URL, registration(project, reporter=people["user"].pk), format="json")
    assert done.status_code == 201
    assert done.json()["reporter"]["username"] == "user"
    mine = api_client_for(people["user"]).get(URL).json()
    assert [t["id"] for t in mine["results"]] == [done.json()["id"]]


def test_permission_and_status_are_checked_before_the_body(
    accepted: Ticket, people: dict[str, User]
):
    customer = api_client_for(people["user"])
    assert customer.post(f"{URL}{accepted.pk}/accept/", {}, format="json").status_code == 403
    engineer = api_client_for(people["engineer"])
    assert engineer.post(f"{URL}{accepted.pk}/accept/", {}, format="json").status_code == 409
    assert engineer.post(f"{URL}{accepted.pk}/escalate/", {}, format="json").status_code == 400


def test_the_registration_answer_is_the_ticket_as_read_afterwards(
    people: dict[str, User], project: Project
):
    """The 201 answer is made from the registered ticket, not read back: it must say what a
    read of the ticket says, field for field."""
    for who in ("user", "agent"):
        client = api_client_for(people[who])
        body = registration(project, urgency="high")
        if who == "agent":
            body["reporter"] = people["user"].pk
        with time_machine.travel(timezone.now(), tick=False):  # the same "now" for both
            created = client.post(URL, body, format="json")
            assert created.status_code == 201, created.json()
            read = client.get(f"{URL}{created.json()['id']}/")
        assert read.status_code == 200
        assert created.json() == read.json(), who
        assert created.json()["organisation"] and created.json()["product_name"]
        assert created.json()["deadlines"]
