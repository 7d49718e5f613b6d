"""The home page answers "what now" (issue 22 §5): each role's own to-do comes first, counted
and linked. A customer: their open problems and those awaiting their confirmation (never
another's, never another organisation's); the handlers of a tier: to accept, due soon,
awaiting the customer's closure, routine runs due; operations: not accepted in time, nearing
and past the committed time, routine runs past due; vendor staff: vulnerabilities past due.
The page counts, it loads no list: its queries are bounded whatever the backlog.

The scene, seen on Tue 2026-03-10 at 10:00 (``NOW``): registered Mon 09:00 and never
accepted, ``waiting`` (of 新疆师范大学) and ``theirs`` (of 昆仑大学); ``soon`` committed for
12:00, ``late`` for 09:00; ``asked`` awaiting the customer's closure; ``escalated`` at line 2.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.routines import services as routines
from campusdesk.site.todo import todo
from campusdesk.systems.models import Finding
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.routines.conftest import monthly, system  # noqa: F401 - the routine's system
from tests.systems.vulnfix import entry, system_with
from tests.tickets.conftest import new_ticket

NOW = "2026-03-10T10:00"


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}:00+08:00")


def at(text: str) -> Any:
    return time_machine.travel(t(text), tick=False)


def accepted(ticket: Ticket, engineer: User, due: str) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk, actor=engineer, severity="SIS3", committed_resolution_at=t(due)
    )


@pytest.fixture
def scene(people: dict[str, User], project: Project, other_project: Project) -> dict[str, Any]:
    customer, engineer = people["user"], people["engineer"]
    colleague = User.objects.create_user(
        "colleague", role=Role.CUSTOMER, organisation=customer.organisation
    )
    with at("2026-03-09T09:00"):
        made = {
            "waiting": new_ticket(project, customer),
            "theirs": new_ticket(other_project, people["user2"]),
            "soon": new_ticket(project, customer),
            "late": new_ticket(project, customer),
            "asked": new_ticket(project, customer),
            "escalated": new_ticket(project, customer),
            "colleague": new_ticket(project, colleague),  # open, not the customer's own
        }
        accepted(made["soon"], engineer, "2026-03-10T12:00")
        accepted(made["late"], engineer, "2026-03-10T09:00")
        accepted(made["asked"], engineer, "2026-03-10T09:00")
        services.ticket_request_close(
            ticket_id=made["asked"].pk, actor=engineer, solution="已清理缓存。"
        )
        accepted(made["escalated"], engineer, "2026-03-10T09:00")
        services.ticket_escalate(ticket_id=made["escalated"].pk, actor=engineer, reason="需专家")
        withdrawn = new_ticket(project, customer)
        services.ticket_withdraw(ticket_id=withdrawn.pk, actor=customer, reason="已自行解决")
    return made


def todo_items(page: str) -> dict[str, tuple[int, str]]:
    """key → (count, link) of the home page's to-do card."""
    found = re.findall(
        r'data-todo="([a-z_]+)"><a href="([^"]*)"><strong class="todo-count">(\d+)</strong>',
        page,
    )
    return {key: (int(count), href.replace("&amp;", "&")) for key, href, count in found}


def home(user: User) -> str:
    with at(NOW):
        return web_client_for(user).get("/").content.decode()


def counts(user: User) -> dict[str, int]:
    return {key: count for key, (count, _href) in todo_items(home(user)).items()}


def test_a_customer_sees_their_open_problems_and_those_awaiting_their_confirmation(scene, people):
    page = home(people["user"])
    items = todo_items(page)
    # waiting, soon, late, asked, escalated: not the colleague's, not the withdrawn one
    assert items["open"] == (5, "/tickets/?mine=1&open=1")
    assert items["confirm"] == (1, "/tickets/?mine=1&status=pending_close")
    assert set(items) == {"open", "confirm"}
    # first on the page, before the projects
    assert page.index('id="todo"') < page.index('<section class="card">')
    # the links list what they counted
    client = web_client_for(people["user"])
    listed = client.get("/tickets/?mine=1&open=1").content.decode()
    assert scene["asked"].number in listed and scene["colleague"].number not in listed
    confirm = client.get("/tickets/?mine=1&status=pending_close").content.decode()
    assert scene["asked"].number in confirm and scene["soon"].number not in confirm


def test_another_organisation_s_problems_are_never_counted_for_a_customer(scene, people):
    assert counts(people["user2"]) == {"open": 1, "confirm": 0}  # theirs, only
    lonely = User.objects.create_user(
        "newcomer", role=Role.CUSTOMER, organisation=people["user"].organisation
    )
    assert counts(lonely) == {"open": 0, "confirm": 0}


def test_line_1_sees_what_to_accept_what_is_due_and_what_awaits_the_customer(scene, people):
    found = counts(people["engineer"])
    # waiting and the colleague's: not theirs of 昆仑大学, not the escalated one
    assert found["accept"] == 2
    assert found["due_soon"] == 2  # soon (12:00, within 4 h) and late (past 09:00)
    assert found["closure"] == 1
    assert list(found)[:3] == ["accept", "due_soon", "closure"]  # their own first
    assert "unaccepted" not in found  # operations' watch lists are not theirs
    items = todo_items(home(people["engineer"]))
    assert items["accept"][1] == reverse("tickets:queue")
    assert items["closure"][1] == reverse("tickets:queue_named", args=["pending_close"])


def test_an_expert_counts_the_problems_at_their_line(scene, people):
    found = counts(people["expert2"])
    assert (found["accept"], found["due_soon"], found["closure"]) == (1, 0, 0)


def test_operations_see_the_watch_lists_counts(scene, people):
    items = todo_items(home(people["ops"]))
    assert items["unaccepted"] == (3, "/ops/unaccepted/")  # waiting, the colleague's, theirs
    assert items["nearing"] == (1, "/ops/nearing/")
    assert items["overdue"] == (1, "/ops/overdue/")
    assert "accept" not in items
    assert items["mail"][0] == 0  # operations also review received e-mail


def test_routine_runs_due_and_overdue_vulnerabilities_for_those_who_handle_them(
    people,
    project,
    system,  # noqa: F811 - the fixture imported above
):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    with at("2026-01-05T10:00"):
        vulnerable = system_with(engineer, project, "学位系统", nginx="1.24.0")
        entry(engineer, cvss_score="9.8")  # critical: due within a few working days
    with at("2026-03-02T10:00"):
        routines.run_create_now(actor=engineer, routine=routine)  # due Mon 2 March
    overdue = Finding.objects.filter(system__project=project).count()
    assert vulnerable.findings.count() == 1 and overdue == 2  # the routine's system's too
    engineer_counts = counts(engineer)
    assert engineer_counts["runs"] == 1 and engineer_counts["findings"] == overdue
    ops = counts(people["ops"])
    assert ops["late_runs"] == 1 and ops["findings"] == overdue
    assert counts(people["engineer2"])["findings"] == 0  # another project's engineer
    assert set(counts(people["user"])) == {"open", "confirm"}


@pytest.mark.parametrize(
    ("who", "most"),
    # the session, the user, the unread count, the projects (a customer's contacts: 2 more),
    # and one count per item
    [("user", 7), ("engineer", 7), ("expert2", 7), ("ops", 10), ("agent", 5), ("hq", 9)],
)
def test_the_page_counts_in_a_bounded_number_of_queries(
    scene, people, project, who, most, django_assert_max_num_queries
):
    client = web_client_for(people[who])
    with at(NOW):
        client.get("/")  # the session's first request
        with django_assert_max_num_queries(most):
            first = client.get("/")
        with at("2026-03-09T09:00"):
            for n in range(10):
                new_ticket(project, people["user"], title=f"问题{n}")
        with django_assert_max_num_queries(most):
            again = client.get("/")
    assert first.status_code == again.status_code == 200


def test_each_role_has_a_to_do(people):
    with at(NOW):
        for user in people.values():
            assert todo(user), user.username
