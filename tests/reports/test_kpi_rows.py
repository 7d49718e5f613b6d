"""The KPI rows per person and per team (按人员 / 按团队) as a property of generated ticket flows.

Hypothesis draws flows of real service calls (register, accept, assign, escalate, request
closure, reject, urge, close, change the commitment, withdraw) by several engineers of lines
1–3, the task force and operations, over a clock that runs from before November 2026 into
December. For every flow:

1. the people and lines with a row are exactly those an independent replay of the timeline
   finds handling a problem in November (accepted, assigned, escalated or resolved);
2. each row equals the figures filtered to that person or line (``compute``), whose tickets
   are the replay's;
3. a line's row counts the distinct problems of its members, each once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import ProductExpert, Project
from campusdesk.catalog.tiers import tier_staff
from campusdesk.core.errors import DomainError
from campusdesk.reports import kpi, periods
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.factories import UserFactory
from tests.helpers import api_client_for, web_client_for
from tests.reports.conftest import Month, at

NOVEMBER = periods.parse("2026-11")
START = datetime(2026, 10, 28, 1, 0, tzinfo=UTC)
#: what may happen next to a problem in each status (repeated: more likely)
NEXT = {
    "new": ("accept", "accept", "accept", "escalate", "assign", "withdraw", "urge"),
    "in_progress": ("request_close", "request_close", "escalate", "assign", "commit", "urge"),
    "pending_close": ("close", "close", "reject", "urge"),
}


@dataclass
class Cast:
    customers: dict[int, User]  # project id → its customer
    projects: list[Project]
    ops: User
    hq: User


@pytest.fixture
def cast(people: dict[str, User]) -> Cast:
    """The demo's people, a second line-1 engineer and a second line-2 expert."""
    xjnu = Project.objects.get(name="研究生管理系统运维服务")
    univ2 = Project.objects.get(name="学工系统运维服务")
    vendor = people["engineer"].organisation
    second = UserFactory(username="engineer3", role=Role.ENGINEER, organisation=vendor)
    xjnu.line1_team.add(second)
    expert = UserFactory(username="expert2b", role=Role.EXPERT2, organisation=vendor)
    ProductExpert.objects.create(product=xjnu.product, user=expert, tier=2)
    customers = {xjnu.pk: people["user"], univ2.pk: people["user2"]}
    return Cast(customers, [xjnu, univ2], people["ops"], people["hq"])


#: (what: 0 registers a problem, else the next step of one; which problem; who; hours later)
Move = tuple[int, int, int, float]
moves = st.lists(
    st.tuples(st.integers(0, 11), st.integers(0, 9), st.integers(0, 9), st.floats(0.5, 40)),
    min_size=6,
    max_size=50,
)


def _play(cast: Cast, flow: list[Move]) -> datetime:
    """Carry out ``flow`` through the services; moves the workflow refuses are skipped."""
    at = START
    tickets: list[int] = []
    for what, which, who, hours in flow:
        at += timedelta(hours=hours)
        open_ones = [t for t in Ticket.objects.filter(pk__in=tickets) if t.status in NEXT]
        if what == 0 or not open_ones:
            project = cast.projects[which % len(cast.projects)]
            call: Callable[..., Any] = services.ticket_register
            args: dict[str, Any] = {
                "actor": cast.customers[project.pk],
                "project_id": project.pk,
                "product_id": project.product_id,
                "title": "成绩录入时系统报错",
                "description": "保存后提示系统异常。",
                "urgency": "high",
                "service_type": "fault",
                "channel": "web",
            }
        else:
            ticket = open_ones[which % len(open_ones)]
            steps = NEXT[ticket.status]
            call, args = _action(cast, ticket, steps[what % len(steps)], who, at)
        with time_machine.travel(at, tick=False):
            try:
                with transaction.atomic():
                    done = call(now=at, **args)
            except DomainError:
                continue
        if isinstance(done, Ticket) and call is services.ticket_register:
            tickets.append(done.pk)
    return at + timedelta(hours=1)


def _action(
    cast: Cast, ticket: Ticket, action: str, who: int, at: datetime
) -> tuple[Callable[..., Any], dict[str, Any]]:
    staff = list(tier_staff(ticket).order_by("pk")) or [cast.ops]
    handler = staff[who % len(staff)]
    customer = cast.customers[ticket.project_id]
    base = {"ticket_id": ticket.pk}
    due = at + timedelta(hours=4 + who * 5)
    table: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
        "accept": (
            services.ticket_accept,
            {
                "actor": handler,
                "committed_resolution_at": due,
                "severity": ("SIS1", "SIS2", "SIS3")[who % 3],
            },
        ),
        "assign": (services.ticket_assign, {"actor": cast.ops, "user_id": handler.pk}),
        "escalate": (
            services.ticket_escalate,
            {"actor": handler if who % 3 else cast.ops, "reason": "需要专家"},
        ),
        "request_close": (services.ticket_request_close, {"actor": handler, "solution": "已处理"}),
        "reject": (services.ticket_reject_close, {"actor": customer, "reason": "仍然报错"}),
        "urge": (services.ticket_urge, {"actor": customer}),
        "close": (
            services.ticket_close,
            {"actor": customer, "rating": who % 5 + 1, "workload_hours": "2"},
        ),
        "commit": (
            services.ticket_change_commitment,
            {"actor": handler, "committed_resolution_at": due, "reason": "需要厂商补丁"},
        ),
        "withdraw": (services.ticket_withdraw, {"actor": ticket.reporter}),
    }
    call, args = table[action]
    return call, {**base, **args}


def _replay() -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Who handled which problem in November, and at which line, by walking the timeline
    in Python: the oracle the SQL is checked against."""
    people: dict[int, set[int]] = defaultdict(set)
    lines: dict[int, set[int]] = defaultdict(set)
    for e in TicketEvent.objects.filter(at__gte=NOVEMBER.start, at__lt=NOVEMBER.end):
        if e.action in ("accept", "escalate", "request_close"):
            who = e.actor_id
        elif e.action == "assign":
            who = e.data["after"]
        else:
            continue
        assert who is not None
        people[who].add(e.ticket_id)
        lines[e.tier].add(e.ticket_id)
    return people, lines


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=15,
    deadline=None,
    # no shrinking: a failing flow is printed as drawn (shrinking one takes minutes)
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flow=moves)
def test_rows_equal_the_filtered_figures(cast: Cast, flow: list[Move]) -> None:
    with transaction.atomic():
        now = _play(cast, flow)
        _check(cast.hq, now)
        transaction.set_rollback(True)  # the next example starts from the same people


def _check(hq: User, now: datetime) -> None:
    people, lines = _replay()
    chosen = kpi.KpiFilters(period=NOVEMBER)
    scope = kpi.scope(hq, chosen)
    for by, field, expected in (("person", "person", people), ("team", "tier", lines)):
        rows = kpi.handler_rows(scope, chosen, by, now)
        assert set(rows) == set(expected), by
        for key, row in rows.items():
            alone = replace(chosen, **{field: key})
            found = kpi.tickets(hq, alone)
            assert set(found.values_list("pk", flat=True)) == expected[key]
            assert row == kpi.compute(found, alone, now), (by, key)
            assert row.total == len(expected[key])


# --- the month of conftest, carried on to line 3 and the task force -------------------
def _later(month: Month) -> dict[str, User]:
    """C goes on from line 2 to line 3 and the task force; F is given to a second line-1
    engineer, so two members of line 1 handled it."""
    people, c, f = month.people, month.tickets["C"], month.tickets["F"]
    second = UserFactory(
        username="engineer3", role=Role.ENGINEER, organisation=people["engineer"].organisation
    )
    month.project.line1_team.add(second)
    for hours, call, kwargs in (
        (
            30,
            services.ticket_escalate,
            {"ticket_id": c.pk, "actor": people["expert2"], "reason": "需要产品专家"},
        ),
        (
            31,
            services.ticket_accept,
            {"ticket_id": c.pk, "actor": people["expert3"], "committed_resolution_at": at(50)},
        ),
        (
            32,
            services.ticket_escalate,
            {"ticket_id": c.pk, "actor": people["expert3"], "reason": "需要攻关小组"},
        ),
        (
            33,
            services.ticket_accept,
            {"ticket_id": c.pk, "actor": people["taskforce"], "committed_resolution_at": at(55)},
        ),
        (
            43,
            services.ticket_assign,
            {"ticket_id": f.pk, "actor": people["ops"], "user_id": second.pk},
        ),
    ):
        with time_machine.travel(at(hours), tick=False):
            call(now=at(hours), **kwargs)
    return {**people, "engineer3": second}


def test_every_handler_has_a_row_equal_to_the_filtered_figures(month: Month) -> None:
    people = _later(month)
    rows = {row["person"]: row for row in _api(month, by="person")["rows"]}
    handlers = ("engineer", "engineer3", "expert2", "expert3", "taskforce")
    assert set(rows) == {people[name].pk for name in handlers}
    # the line-3 expert no longer holds C, the line-1 engineer escalated it: both count
    assert rows[people["expert3"].pk]["total"] == 1
    assert rows[people["engineer"].pk]["total"] == 4  # A, B, C, F
    assert rows[people["engineer3"].pk]["total"] == 1  # F, given to them
    for pk, row in rows.items():
        assert row == {
            "person": pk,
            "name": str(people_by_pk(people)[pk]),
            **_api(month, person=pk),
        }


def test_a_team_counts_each_problem_once(month: Month) -> None:
    _later(month)
    rows = {row["team"]: row for row in _api(month, by="team")["rows"]}
    assert set(rows) == {1, 2, 3, 4}  # line 3 and the task force included
    assert rows[1]["total"] == 4  # A, B, C, F: F by two engineers, once
    assert (rows[2]["total"], rows[3]["total"], rows[4]["total"]) == (1, 1, 1)
    assert rows[3]["name"] == "三线：产品专家"
    for tier, row in rows.items():
        assert row == {"team": tier, "name": row["name"], **_api(month, tier=tier)}


def test_rows_refuse_an_unknown_grouping(month: Month) -> None:
    client = api_client_for(month.people["hq"], language="zh-hans")
    with time_machine.travel(month.now, tick=False):
        response = client.get("/api/v1/reports/kpi/", {"period": "2026-11", "by": "tier"})
    assert response.status_code == 400
    assert "请选择" in response.content.decode()


def test_rows_are_for_vendor_staff_only(month: Month) -> None:
    """A customer of another organisation may not read who handled what."""
    client = api_client_for(month.people["user2"])
    with time_machine.travel(month.now, tick=False):
        response = client.get("/api/v1/reports/kpi/", {"period": "2026-11", "by": "person"})
    assert response.status_code == 403


def test_query_count_does_not_grow_with_the_people(month: Month) -> None:
    """The page and the API read every row in the same number of queries, with 5 or 9
    people in the table."""
    people = _later(month)
    before = (_queries(month, "/reports/kpi/"), _queries(month, "/api/v1/reports/kpi/"))
    d = month.tickets["D"]
    for n in range(4):
        someone = UserFactory(
            username=f"newcomer{n}",
            role=Role.ENGINEER,
            organisation=people["engineer"].organisation,
        )
        month.project.line1_team.add(someone)
        with time_machine.travel(at(44 + n), tick=False):
            services.ticket_assign(
                ticket_id=d.pk, actor=people["ops"], user_id=someone.pk, now=at(44 + n)
            )
    assert len(_api(month, by="person")["rows"]) == 9
    after = (_queries(month, "/reports/kpi/"), _queries(month, "/api/v1/reports/kpi/"))
    assert after == before


def test_page_rows_link_to_the_same_figures(month: Month) -> None:
    people = _later(month)
    client = web_client_for(people["ops"])
    with time_machine.travel(month.now, tick=False):
        html = client.get("/reports/kpi/", {"period": "2026-11"}).content.decode()
        section = html[html.index('id="per-person"') : html.index('id="per-team"')]
        rows = re.findall(
            r'<tr data-key="(\d+)"><td><a href="/reports/kpi/\?([^"]+)">'
            r'[^<]+</a></td><td data-figure="all">(\d+)</td>',
            section,
        )
        assert len(rows) == 5 and str(people["expert3"].pk) in {key for key, _q, _n in rows}
        for _key, query, total in rows:
            filtered = client.get("/reports/kpi/?" + query.replace("&amp;", "&")).content.decode()
            assert re.search(rf'data-figure="all"><a [^>]+>{total}</a>', filtered)


def people_by_pk(people: dict[str, User]) -> dict[int, User]:
    return {user.pk: user for user in people.values()}


def _api(month: Month, **params: Any) -> dict[str, Any]:
    client = api_client_for(month.people["hq"])
    with time_machine.travel(month.now, tick=False):
        response = client.get("/api/v1/reports/kpi/", {"period": "2026-11", **params})
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def _queries(month: Month, url: str) -> int:
    client = web_client_for(month.people["hq"])
    query = {"period": "2026-11"} | ({"by": "person"} if "/api/" in url else {})
    with time_machine.travel(month.now, tick=False), CaptureQueriesContext(connection) as seen:
        assert client.get(url, query).status_code == 200
    return len(seen)
