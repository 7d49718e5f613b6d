"""Reads of the report pages: each role's dashboard and the names of grouped rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.reports import kpi, periods
from campusdesk.tickets import selectors as tickets
from campusdesk.tickets.models import OPEN_STATUSES, Status, TicketEvent, Tier

METRIC_LABELS: dict[str, str | Promise] = {
    "all": _("All problems"),
    "withdrawn": _("Withdrawn"),
    "open": _("Open"),
    "closed": _("Closed"),
    "accept_on_time": _("Accepted within 24 h"),
    "accept_late": _("Not accepted within 24 h"),
    "respond_met": _("Responded within the SIS target"),
    "respond_missed": _("Response target missed"),
    "resolve_met": _("Resolved within the SIS target"),
    "resolve_missed": _("Resolution target missed"),
    "commit_met": _("Resolved by the committed time"),
    "commit_missed": _("Committed time missed"),
    "commit_changed": _("Committed time changed"),
    "escalated": _("Escalated"),
    "rated": _("Rated"),
    "rejected": _("Rejected at least once"),
    "closure_requested": _("Closure requested"),
    "urged": _("Urged"),
    "complained": _("Complained about"),
    "out_of_scope": _("Out of scope"),
}


def metric_label(metric: str) -> str:
    if metric.startswith("rating_"):
        return str(_("Rated %(n)s") % {"n": metric.removeprefix("rating_")})
    return str(METRIC_LABELS.get(metric, metric))


def handler_rows(
    user: User, filters: kpi.KpiFilters, by: str, now: datetime
) -> list[dict[str, Any]]:
    """The rows of the per-person (``by="person"``) or per-team (``"team"``: per line) table
    and API, the most problems first: ``key``, ``name``, the figures ``k`` (equal to the page
    filtered to that person or line) and the ``query`` of that filtered page."""
    rows = kpi.handler_rows(kpi.scope(user, filters), filters, by, now)
    field = "person" if by == "person" else "tier"
    if by == "person":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=list(rows))}
    else:
        names = {int(k): str(v) for k, v in Tier.choices}
    found = [
        {
            "key": key,
            "name": names[key],
            "k": k,
            "query": urlencode(replace(filters, **{field: key}).query()),
        }
        for key, k in rows.items()
        if key in names
    ]
    return sorted(found, key=lambda row: (-row["k"].total, row["name"]))


def _today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)


def _ops(user: User, now: datetime) -> dict[str, Any]:
    from campusdesk.ops import selectors as ops

    visible = tickets.visible_tickets(user)
    today = TicketEvent.objects.filter(at__gte=_today(now), ticket__in=visible.values("pk"))
    return {
        "watch": ops.counts(user, now),
        "breaches_today": today.filter(action="sla_breached").count(),
        "urges_today": today.filter(action="urge").count(),
    }


def _customers(user: User, now: datetime, month: periods.Period) -> list[dict[str, Any]]:
    """Per project the user answers for: this month's figures and the open problems."""
    projects = scoping.visible_projects(user).filter(is_active=True)
    if user.role == Role.MANAGER:
        projects = projects.filter(service_manager=user)
    projects = projects.select_related("organisation__region", "product").order_by(
        "organisation__region__name", "organisation__name", "name"
    )[:300]
    found = kpi.tickets(user, kpi.KpiFilters(period=month)).filter(project__in=projects)
    figures = {row["key"]: row for row in kpi.breakdown(found, "project", now, limit=300)}
    open_counts = {
        row["project_id"]: row["n"]
        for row in tickets.visible_tickets(user)
        .filter(status__in=OPEN_STATUSES, project__in=projects)
        .values("project_id")
        .annotate(n=Count("pk"))
    }
    return [
        {"project": p, "month": figures.get(p.pk), "open": open_counts.get(p.pk, 0)}
        for p in projects
    ]


def dashboard(user: User, now: datetime) -> dict[str, Any]:
    """What the reports home shows ``user``: the figures of their role."""
    month = periods.current_month(now)
    last = periods.previous_month(now)
    context: dict[str, Any] = {"month": month, "last_month": last, "role": user.role}
    if user.role == Role.CUSTOMER:
        mine = kpi.KpiFilters(period=month)
        context["k"] = kpi.compute(kpi.tickets(user, mine), mine, now)
        context.update(figure_rows(context["k"]))
        previous = kpi.KpiFilters(period=last)
        context["k_last"] = kpi.compute(kpi.tickets(user, previous), previous, now)
        rows = (
            tickets.visible_tickets(user)
            .filter(Q(reporter=user) | Q(created_by=user), status__in=OPEN_STATUSES)
            .values("status")
            .annotate(n=Count("pk"))
            .order_by("status")
        )
        labels = dict(Status.choices)
        context["own_open"] = [(labels[row["status"]], row["n"]) for row in rows]
        context["projects"] = scoping.visible_projects(user).order_by("name")[:50]
        return context
    if user.role in (Role.OPS, Role.ADMIN):
        context.update(_ops(user, now))
    if user.role in (Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.ADMIN, Role.OPS):
        context["customers"] = _customers(user, now, month)
        return context
    own = kpi.KpiFilters(period=month, person=user.pk)
    context["k"] = kpi.compute(kpi.tickets(user, own), own, now)
    context.update(figure_rows(context["k"]))
    context["drill_query"] = urlencode(own.query())
    return context


def hours(value: timedelta | None) -> str | None:
    return None if value is None else f"{value.total_seconds() / 3600:.1f} h"


def figure_rows(k: kpi.Kpis) -> dict[str, Any]:
    """The KPI table rows: ratios with met/missed drill-downs, then counts and times."""
    ratios = [
        (_("Accepted within 24 h"), k.acceptance),
        (_("Responded within the SIS target"), k.response),
        (_("Resolved within the SIS target"), k.resolution),
        (_("Resolved by the committed time"), k.commitment),
    ]
    rate = f"{k.rejection_rate}%" if k.rejection_rate is not None else None
    counts: list[tuple[Any, Any, str]] = [
        (_("Problems registered"), k.total, "all"),
        (_("Open"), k.open, "open"),
        (_("Closed"), k.closed, "closed"),
        (_("Withdrawn"), k.withdrawn, "withdrawn"),
        (
            _("Commitment changes (tickets)"),
            f"{k.commitment_changes} ({k.tickets_with_commitment_changes})",
            "commit_changed",
        ),
        (_("Median / 90th percentile time to accept"), _pair(k.accept_time), ""),
        (_("Median / 90th percentile time to respond"), _pair(k.response_time), ""),
        (_("Median / 90th percentile time to the solution"), _pair(k.resolution_time), ""),
        (_("Average rating"), k.rating_average, "rated"),
        *[(_("Rated %(n)s") % {"n": n}, k.ratings[n], f"rating_{n}") for n in range(5, 0, -1)],
        (_("Rejection (re-open) rate"), rate, "rejected"),
        (_("Rejections"), k.rejections, "rejected"),
        (_("Urges (tickets)"), f"{k.urges} ({k.urged_tickets})", "urged"),
        (_("Complaints"), k.complaints, "complained"),
        (_("Escalations (tickets)"), f"{k.escalations} ({k.escalated_tickets})", "escalated"),
        (_("Out-of-scope problems"), k.out_of_scope_tickets, "out_of_scope"),
    ]
    return {"ratios": ratios, "counts": counts}


def _pair(spread: kpi.Spread) -> str:
    if not spread.count:
        return "—"
    return f"{hours(spread.median)} / {hours(spread.p90)}"
