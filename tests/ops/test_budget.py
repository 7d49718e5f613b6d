"""A contract's hour budget: the confirmed workload of closed tickets and of completed
routine runs consumes it; the service manager hears at 80 % and at 100 %, once each (a
second check, or a second worker, tells nobody again); a larger budget re-arms the
thresholds; the service report shows the balance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campusdesk.core import clock
from campusdesk.notify.models import Kind, Notification
from campusdesk.ops import budget
from campusdesk.routines import services as routines
from campusdesk.tickets import services
from tests.helpers import api_client_for, web_client_for
from tests.routines.conftest import monthly
from tests.routines.conftest import system as system  # the fixture
from tests.tickets.conftest import new_ticket


@pytest.fixture
def budgeted(project, people):
    project.hour_budget = Decimal("10.0")
    project.service_manager = people["manager"]
    project.save(update_fields=["hour_budget", "service_manager"])
    return project


def _closed(project, people, hours: str) -> None:
    ticket = new_ticket(project, people["user"])
    engineer = people["engineer"]
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=engineer,
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=2),
    )
    services.ticket_request_close(ticket_id=ticket.pk, actor=engineer, solution="已处理")
    services.ticket_close(
        ticket_id=ticket.pk, actor=people["user"], rating=5, workload_hours=Decimal(hours)
    )


def _told(manager) -> list[str]:
    return list(
        Notification.objects.filter(recipient=manager, kind=Kind.CONTRACT)
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_the_manager_hears_at_80_and_at_100_percent_once_each(budgeted, people, system):
    manager = people["manager"]
    _closed(budgeted, people, "5")
    assert _told(manager) == []  # 50 %
    _closed(budgeted, people, "3.5")
    assert len(_told(manager)) == 1 and "80" in _told(manager)[0]  # 85 %: told at once
    _closed(budgeted, people, "0.5")
    assert len(_told(manager)) == 1  # 90 %: nothing new
    # a routine run's two hours take it past the budget; the hourly sweep tells
    run = routines.run_create_now(
        actor=people["engineer"], routine=monthly(people["engineer"], system)
    )
    for item in run.items.all():
        routines.run_item_record(
            actor=people["engineer"], run=run, position=item.position, result="na"
        )
    routines.run_complete(actor=people["engineer"], run=run, workload_hours=Decimal("2"))
    assert budget.sweep() == 1
    assert budget.sweep() == 0  # a second worker, a second hour: nobody told again
    titles = _told(manager)
    assert len(titles) == 2 and "100" in titles[1]
    found = budget.budget_of(budgeted)
    assert (found.tickets, found.routines, found.balance) == (
        Decimal("9.00"),
        Decimal("2.0"),
        Decimal("-1.00"),
    )


def test_a_larger_budget_rearms_the_thresholds(budgeted, people):
    _closed(budgeted, people, "9")
    assert budget.check(budgeted) is None  # told at the close already
    budgeted.hour_budget = Decimal("100")
    budgeted.save(update_fields=["hour_budget"])
    budget.sweep()
    budgeted.refresh_from_db()
    assert budgeted.budget_alerted == 0


def test_a_project_without_a_budget_is_never_checked(project, people):
    _closed(project, people, "500")
    assert budget.budget_of(project) is None and budget.sweep() == 0
    assert _told(people["manager"]) == []


def test_the_service_report_shows_the_balance(budgeted, people):
    _closed(budgeted, people, "4")
    api = api_client_for(people["manager"], "zh-hans")
    period = clock.local(clock.now()).strftime("%Y-%m")
    query = {"project": budgeted.pk, "period": period}
    data = api.get("/api/v1/reports/service/", query).json()
    page = web_client_for(people["manager"]).get("/reports/service/", query).content.decode()
    assert "服务工时：研究生管理系统运维服务" in page and "余 6.00 小时" in page
    (line,) = data["workload"]["budgets"]
    assert (line["budget"], line["used"], line["balance"], line["percent"]) == (
        "10.00",
        "4.00",
        "6.00",
        40,
    )
