"""The demo shows a service report of last month with figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.reports import demo as reports_demo
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
    project = Ticket.objects.get(title=reports_demo.HISTORY[0][0]).project
    scope = reports.Scope(project.organisation, project)
    data = reports.as_dict(reports.build(scope, periods.parse("2026-10"), moment))
    # the demo's October tickets: last month's history (12, closed), the problems of the
    # demo's month that fell in October, and the problem its October inspection found
    october = Ticket.objects.filter(
        project=project,
        created_at__gte=datetime(2026, 9, 30, 16, 0, tzinfo=UTC),
        created_at__lt=datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
    )
    history = october.filter(title__in=[spec[0] for spec in reports_demo.HISTORY])
    assert history.count() == 12 and not history.exclude(status="closed").exists()
    found = RunItem.objects.filter(ticket__in=october).count()
    assert found == 1
    assert data["kpis"]["total"] == october.count() > 12 + found
    assert data["kpis"]["closed"] == october.filter(status="closed").count() > 12
    assert data["workload"]["out_of_scope_tickets"] == october.exclude(out_of_scope_type="").count()
    assert data["workload"]["out_of_scope_tickets"] >= 4
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
