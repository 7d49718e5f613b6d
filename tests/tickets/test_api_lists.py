"""GET /api/v1/tickets/: filters, search, paging, scope, and a query count that does not grow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.tickets.conftest import new_ticket

URL = "/api/v1/tickets/"


def accept(ticket: Ticket, actor: User, severity: str) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=actor,
        severity=severity,
        committed_resolution_at=timezone.now() + timedelta(hours=8),
    )


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def board(people: dict[str, User], project: Project, other_project: Project) -> dict[str, Ticket]:
    """Tickets in every state the filters tell apart, in both universities' projects."""
    user, engineer = people["user"], people["engineer"]
    fresh = new_ticket(project, user, title="学位申请页面打不开", description="点击后白屏。")
    sis1 = accept(new_ticket(project, user, title="成绩录入保存报错"), engineer, "SIS1")
    sis3 = accept(new_ticket(project, user, title="导出 Excel 乱码"), engineer, "SIS3")
    escalated = accept(new_ticket(project, user, title="答辩安排无法提交"), engineer, "SIS2")
    services.ticket_escalate(ticket_id=escalated.pk, actor=engineer, reason="需要二线协助")
    withdrawn = new_ticket(project, user, title="密码忘记", description="已自行找回学位证号")
    services.ticket_withdraw(ticket_id=withdrawn.pk, actor=user)
    theirs = new_ticket(
        other_project, people["user2"], title="学工系统奖学金页面打不开", description="白屏"
    )
    return {
        "fresh": fresh,
        "sis1": sis1,
        "sis3": sis3,
        "escalated": escalated,
        "withdrawn": withdrawn,
        "theirs": theirs,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"fresh", "sis1", "sis3", "escalated", "withdrawn"}),
        ("?status=new", {"fresh", "escalated"}),
        ("?status=in_progress", {"sis1", "sis3"}),
        ("?status=withdrawn", {"withdrawn"}),
        ("?status=closed", set()),
        ("?severity=SIS1", {"sis1"}),
        ("?severity=SIS2", {"escalated"}),
        ("?tier=1", {"fresh", "sis1", "sis3", "withdrawn"}),
        ("?tier=2", {"escalated"}),
        ("?tier=2&status=in_progress", set()),
        ("?status=in_progress&severity=SIS3", {"sis3"}),
        ("?search=学位", {"fresh", "withdrawn"}),  # title, and description
        ("?search=打不开 学位", {"fresh"}),  # every word must match
        ("?search=excel", {"sis3"}),  # case does not matter
        ("?tier=abc", {"fresh", "sis1", "sis3", "escalated", "withdrawn"}),  # ignored
    ],
)
def test_filters_for_the_customer(
    board: dict[str, Ticket], people: dict[str, User], query: str, expected: set[str]
):
    response = api_client_for(people["user"]).get(f"{URL}{query}")
    assert ids(response) == {board[name].pk for name in expected}
    assert response.json()["count"] == len(expected)


def test_search_by_the_exact_number(board: dict[str, Ticket], people: dict[str, User]):
    user = api_client_for(people["user"])
    number = board["sis3"].number
    assert ids(user.get(URL, {"search": number})) == {board["sis3"].pk}
    assert ids(user.get(URL, {"search": f"  {number} "})) == {board["sis3"].pk}
    assert ids(user.get(URL, {"search": number[:-1]})) == set()  # a prefix is not a number


def test_project_filter_for_operations(
    board: dict[str, Ticket], people: dict[str, User], project: Project, other_project: Project
):
    ops = api_client_for(people["ops"])
    everything = {t.pk for t in board.values()}
    assert ids(ops.get(URL)) == everything
    assert ids(ops.get(URL, {"project": other_project.pk})) == {board["theirs"].pk}
    assert ids(ops.get(URL, {"project": project.pk})) == everything - {board["theirs"].pk}
    assert ids(ops.get(URL, {"search": "打不开"})) == {board["fresh"].pk, board["theirs"].pk}
    assert ids(ops.get(URL, {"search": "打不开", "project": other_project.pk})) == {
        board["theirs"].pk
    }


def test_rows_carry_what_a_list_shows(board: dict[str, Ticket], people: dict[str, User]):
    rows = api_client_for(people["user"]).get(URL, {"severity": "SIS1"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert row["number"] == board["sis1"].number
    assert row["organisation"] == "新疆师范大学"
    assert row["project_name"] == "研究生管理系统运维服务"
    assert row["reporter"]["username"] == "user"
    assert row["assignee"]["username"] == "engineer"
    assert "allowed_actions" not in row  # the detail has them, not the list


@pytest.mark.parametrize("login", ["engineer2", "user2"])
def test_other_projects_people_see_nothing_of_this_one(
    board: dict[str, Ticket], people: dict[str, User], project: Project, login: str
):
    outsider = api_client_for(people[login])
    assert ids(outsider.get(URL)) == {board["theirs"].pk}
    assert ids(outsider.get(URL, {"project": project.pk})) == set()
    assert ids(outsider.get(URL, {"search": board["sis1"].number})) == set()
    assert ids(outsider.get(URL, {"search": "学位"})) == set()
    assert ids(outsider.get(URL, {"status": "in_progress"})) == set()


def test_this_projects_engineer_sees_nothing_of_the_other(
    board: dict[str, Ticket], people: dict[str, User]
):
    mine = ids(api_client_for(people["engineer"]).get(URL))
    assert mine == {t.pk for t in board.values()} - {board["theirs"].pk}


def test_pages_of_fifty(people: dict[str, User], project: Project):
    made = [new_ticket(project, people["user"], title=f"问题 {n}") for n in range(52)]
    user = api_client_for(people["user"])
    first = user.get(URL).json()
    assert first["count"] == 52
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"].endswith("?page=2")
    assert first["results"][0]["id"] == made[-1].pk  # newest first
    second = user.get(first["next"]).json()
    assert second["next"] is None
    assert [r["id"] for r in second["results"]] == [made[1].pk, made[0].pk]
    everything = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert everything == {t.pk for t in made}
    assert user.get(URL, {"page": 3}).status_code == 404


def _make(count: int, people: dict[str, User], project: Project) -> None:
    for n in range(count):
        ticket = new_ticket(project, people["user"], title=f"批量问题 {n}")
        if n % 2:
            accept(ticket, people["engineer"], "SIS3")  # rows with an assignee too


def _list_queries(client: APIClient, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_5_or_40_rows(
    people: dict[str, User], project: Project, django_assert_max_num_queries: Any
):
    client = api_client_for(people["user"])
    _make(5, people, project)
    few = _list_queries(client)
    _make(35, people, project)
    assert len(client.get(URL).json()["results"]) == 40
    many = _list_queries(client)
    assert many == few
    with django_assert_max_num_queries(3):  # token, count, page (and nothing per row)
        client.get(URL)
    staff = api_client_for(people["engineer"])  # a scoped vendor view costs no more per row
    assert _list_queries(staff) == _list_queries(staff, status="in_progress", search="批量")
    with django_assert_max_num_queries(3):
        staff.get(URL)
