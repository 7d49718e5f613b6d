"""The reports pages of each role, the KPI page's drill-downs, and their query counts."""

from __future__ import annotations

import re
from typing import Any

import time_machine

from tests.helpers import web_client_for
from tests.reports.conftest import Month

NOVEMBER = {"period": "2026-11"}


def _page(
    month: Month,
    who: str,
    url: str,
    params: dict[str, Any] | None = None,
    limit: int = 40,
    assert_max: Any = None,
) -> str:
    client = web_client_for(month.people[who])
    with time_machine.travel(month.now, tick=False):
        if assert_max is not None:
            with assert_max(limit):
                response = client.get(url, params or {})
        else:
            response = client.get(url, params or {})
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_kpi_page_figures_link_to_their_tickets(
    month: Month, django_assert_max_num_queries: Any
) -> None:
    # the figures, then the per-person and per-team tables (a fixed number each)
    html = _page(month, "ops", "/reports/kpi/", NOVEMBER, 32, django_assert_max_num_queries)
    assert 'data-figure="resolve_met">25.0%' in html
    links = re.findall(r'href="(/reports/kpi/tickets/\?metric=resolve_missed[^"]*)"', html)
    assert links
    drill = _page(month, "ops", links[0].replace("&amp;", "&"))
    numbers = {month.tickets[n].number for n in ("B", "C", "D")}
    assert all(number in drill for number in numbers)
    assert month.tickets["A"].number not in drill


def test_kpi_page_is_for_vendor_staff(month: Month) -> None:
    client = web_client_for(month.people["user"])
    assert client.get("/reports/kpi/").status_code == 403
    assert client.get("/reports/kpi/tickets/", {"metric": "all"}).status_code == 403


def test_dashboards_per_role(month: Month, django_assert_max_num_queries: Any) -> None:
    ops = _page(month, "ops", "/reports/", None, 40, django_assert_max_num_queries)
    assert 'id="ops-today"' in ops and 'id="customers"' in ops
    manager = _page(month, "manager", "/reports/", None, 30, django_assert_max_num_queries)
    assert month.project.name in manager  # their customer's project
    assert "学工系统运维服务" not in manager  # another manager's customer
    hq = _page(month, "hq", "/reports/")
    assert month.project.name in hq and "学工系统运维服务" in hq
    customer = _page(month, "user", "/reports/", None, 40, django_assert_max_num_queries)
    assert 'id="figures"' in customer and "/reports/kpi/tickets/" not in customer
    engineer = _page(month, "engineer", "/reports/")
    assert 'id="figures"' in engineer


def test_navigation_links_the_reports(month: Month) -> None:
    assert 'href="/reports/"' in _page(month, "user", "/")


def test_service_index_lists_only_visible_projects(month: Month) -> None:
    html = _page(month, "user", "/reports/service/")
    assert month.project.name in html and "学工系统运维服务" not in html
