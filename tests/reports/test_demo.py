"""The demo shows a service report of last month with figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.reports import periods
from campusdesk.reports import report as reports
from campusdesk.routines.models import RunItem
from campusdesk.site import demo
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for


@pytest.mark.django_db
def test_demo_report_has_figures() -> None:
    moment = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        demo.load()
        count = Ticket.objects.count()
        demo.load()  # twice changes nothing
        assert Ticket.objects.count() == count
    project = Ticket.objects.filter(title__endswith="（上月）").first().project  # type: ignore[union-attr]
    scope = reports.Scope(project.organisation, project)
    data = reports.as_dict(reports.build(scope, periods.parse("2026-10"), moment))
    # the demo's October tickets, and the problem its October inspection found (still open)
    found = RunItem.objects.filter(
        ticket__project=project,
        ticket__created_at__gte=datetime(2026, 9, 30, 16, 0, tzinfo=UTC),
        ticket__created_at__lt=datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
    ).count()
    assert found == 1
    assert data["kpis"]["total"] == 12 + found and data["kpis"]["closed"] == 12
    assert data["workload"]["out_of_scope_tickets"] == 4
    codes = {s["code"] for s in data["suggestions"]}
    assert {"training", "out_of_scope_network"} <= codes
    assert data["recurring"]["root_causes"] and data["recurring"]["tags"]


@pytest.mark.django_db
def test_demo_kpi_page_has_a_row_for_every_line() -> None:
    """This month's problem went through lines 1–3 to the task force: each handler and each
    line has a row, the line-3 expert too, though the task force holds it now."""
    moment = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        demo.load()
        people = {u.username: u for u in User.objects.all()}
        html = web_client_for(people["hq"]).get("/reports/kpi/").content.decode()
    persons = html[html.index('id="per-person"') : html.index('id="per-team"')]
    teams = html[html.index('id="per-team"') :]
    for name in ("engineer", "expert2", "expert3", "taskforce"):
        assert f'data-key="{people[name].pk}"' in persons, name
    assert "产品专家 周静" in persons
    assert all(f'data-key="{tier}"' in teams for tier in (1, 2, 3, 4))
