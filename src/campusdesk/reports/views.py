"""Report pages: the dashboard of each role, the KPI page with its drill-downs, the service
report."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, ValidationError
from campusdesk.core.http import current_user
from campusdesk.reports import (
    availability,
    charts,
    exports,
    forms,
    kpi,
    periods,
    routine_work,
    satisfaction,
    scores,
    selectors,
)
from campusdesk.reports import report as reports
from campusdesk.tickets import selectors as ticket_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The reports home of each role (R-OPS-4/5): what this person is answerable for."""
    user = current_user(request)
    now = clock.now()
    context = selectors.dashboard(user, now)
    return render(request, "reports/dashboard.html", context)


def _filters(request: HttpRequest, user: User) -> tuple[forms.KpiFilterForm, kpi.KpiFilters]:
    if not user.is_vendor_staff:
        raise PermissionDenied
    try:
        filters = forms.kpi_filters(request.GET, clock.now())
    except ValidationError as error:
        raise Http404(str(error)) from error
    return forms.KpiFilterForm(request.GET or None, user=user), filters


@login_required
def kpi_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, filters = _filters(request, user)
    now = clock.now()
    found = kpi.tickets(user, filters)
    figures = kpi.compute(found, filters, now)
    context: dict[str, Any] = {
        **selectors.figure_rows(figures),
        "form": form,
        "filters": filters,
        "k": figures,
        "drill_query": urlencode(filters.query()),
        "people": selectors.handler_rows(user, filters, "person", now),
        "teams": selectors.handler_rows(user, filters, "team", now),
    }
    return render(request, "reports/kpi.html", context)


@login_required
def drill(request: HttpRequest) -> HttpResponse:
    """The tickets behind one figure of the KPI page."""
    user = current_user(request)
    _form, filters = _filters(request, user)
    metric = request.GET.get("metric", "all")
    if metric not in kpi.metric_names():
        raise Http404
    found = kpi.drill(kpi.tickets(user, filters), filters, metric, clock.now())
    found = found.select_related(*ticket_selectors.LIST_RELATED).order_by("-created_at", "-id")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "tickets": page.object_list,
        "metric": metric,
        "label": selectors.metric_label(metric),
        "filters": filters,
        "query": query.urlencode(),
        "back": urlencode(filters.query()),
    }
    return render(request, "reports/drill.html", context)


@login_required
def scores_page(request: HttpRequest) -> HttpResponse:
    """The performance scores (绩效评分) of a period, for those who answer for others' work."""
    user = current_user(request)
    if not scores.may_read(user):
        raise PermissionDenied
    now = clock.now()
    try:
        period = forms.period_or_current(request.GET, now)
    except ValidationError as error:
        raise Http404(str(error)) from error
    found = scores.build(user, period, now, numbers=False)
    context = {
        "form": forms.PeriodForm(request.GET or None),
        "scores": found,
        "weights": [(scores.LABELS[name], value) for name, value in found.weights.items()],
        "query": urlencode(scores.period_query(period)),
    }
    return render(request, "reports/scores.html", context)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


@login_required
def service(request: HttpRequest) -> HttpResponse:
    """The service report page; without a project, the list of reports the user may open."""
    user = current_user(request)
    now = clock.now()
    project_id, organisation_id = (
        _int(request.GET.get("project")),
        _int(request.GET.get("organisation")),
    )
    try:
        given = any(request.GET.get(n) for n in ("period", "from", "to"))
        period = forms.period_from(request.GET) if given else periods.previous_month(now)
    except ValidationError as error:
        raise Http404(str(error)) from error
    if project_id is None and organisation_id is None:
        projects = scoping.visible_projects(user).select_related("organisation", "product")
        return render(
            request,
            "reports/service_index.html",
            {
                "projects": projects.order_by("organisation__name", "name")[:500],
                "period": period,
            },
        )
    try:
        scope = reports.scope_for(user, project_id=project_id, organisation_id=organisation_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    report = reports.build(scope, period, now)
    data = reports.as_dict(report)
    return render(request, "reports/service.html", _service_context(report, data, request))


def _service_context(
    report: reports.ServiceReport, data: dict[str, Any], request: HttpRequest
) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("format", None)
    drawn = {
        chart.key: {"svg": charts.svg(chart), "summary": chart.summary}
        for chart in charts.for_report(data, reports.dimension_titles())
    }
    return {
        "report": report,
        "data": data,
        "summary": exports.summary_rows(data),
        "title": exports.title(data),
        "charts": drawn,
        "dimension_charts": [drawn[name] for name in charts.DIMENSIONS],
        "availability": availability.tables(data["availability"]),
        "routine_work": routine_work.tables(data["routine_work"]),
        "satisfaction": satisfaction.tables(data["satisfaction"]),
        "no_probes": availability.no_probes(),
        "query": query.urlencode(),
        "kpi_query": urlencode(report.scope.kpi_filters(report.period).query()),
    }
