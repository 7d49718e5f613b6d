"""The demo shows a service report of last month with figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campusdesk.core import demo
from campusdesk.reports import periods
from campusdesk.reports import report as reports
from campusdesk.tickets.models import Ticket


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
    assert data["kpis"]["total"] == 12 and data["kpis"]["closed"] == 12
    assert data["workload"]["out_of_scope_tickets"] == 4
    codes = {s["code"] for s in data["suggestions"]}
    assert {"training", "out_of_scope_network"} <= codes
    assert data["recurring"]["root_causes"] and data["recurring"]["tags"]
