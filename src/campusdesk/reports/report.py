"""The service report (服务情况报表, R-OPS-5) of a customer for a period.

All requests registered in the period are counted by service type, severity,
product, channel and status; the KPIs of the same tickets give the SLA attainment;
the trend counts registrations and closures per day (per week beyond two months);
recurring problems come from the retrospectives' tags and root causes and from
groups of tickets whose titles share their key words; suggestions are derived from
these figures (``suggestions.py``). Everything is read in a bounded number of
queries, so a customer with 100,000 tickets is reported in seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import NotFound
from campusdesk.kb import search
from campusdesk.kb.models import Retrospective
from campusdesk.ops import budget
from campusdesk.ops.models import Complaint
from campusdesk.reports import availability, kpi, routine_work, satisfaction
from campusdesk.reports.availability import Availability
from campusdesk.reports.periods import Period
from campusdesk.systems.models import ApplicationSystem
from campusdesk.tickets.models import (
    Channel,
    OutOfScopeType,
    ServiceType,
    Severity,
    Status,
    Ticket,
)

#: tickets whose titles are grouped into similar problems (the most recent ones)
GROUPING_LIMIT = 2000
KEY_TERMS = 6
SIMILARITY = 0.6
TOP = 10


@dataclass(frozen=True)
class Scope:
    """Whose report: one project, or every project of one organisation."""

    organisation: Organisation
    project: Project | None

    @property
    def title(self) -> str:
        name = self.organisation.name
        return f"{name} · {self.project.name}" if self.project else name

    def tickets(self) -> QuerySet[Ticket]:
        if self.project is not None:
            return Ticket.objects.filter(project=self.project)
        return Ticket.objects.filter(project__organisation=self.organisation)

    def projects(self) -> QuerySet[Project]:
        if self.project is not None:
            return Project.objects.filter(pk=self.project.pk)
        return Project.objects.filter(organisation=self.organisation).order_by("name", "pk")

    def systems(self) -> QuerySet[ApplicationSystem]:
        if self.project is not None:
            return ApplicationSystem.objects.filter(project=self.project)
        return ApplicationSystem.objects.filter(organisation=self.organisation)

    def kpi_filters(self, period: Period) -> kpi.KpiFilters:
        if self.project is not None:
            return kpi.KpiFilters(period=period, project=self.project.pk)
        return kpi.KpiFilters(period=period, organisation=self.organisation.pk)


def scope_for(
    user: User, *, project_id: int | None = None, organisation_id: int | None = None
) -> Scope:
    """The scope ``user`` asks for, if they may see it; else NotFound (never 403: a customer
    does not learn that another organisation's project exists)."""
    if project_id is not None:
        visible = scoping.visible_projects(user).select_related("organisation", "product")
        project = visible.filter(pk=project_id).first()
        if project is None:
            raise NotFound(_("No such project."))
        return Scope(project.organisation, project)
    if organisation_id is not None:
        organisation = scoping.visible_organisations(user).filter(pk=organisation_id).first()
        visible = scoping.visible_projects(user).filter(organisation_id=organisation_id)
        if organisation is None or not visible.exists():
            raise NotFound(_("No such organisation."))
        if (
            not scoping.sees_all_projects(user)
            and visible.count() < Project.objects.filter(organisation_id=organisation_id).count()
        ):  # a partial view of an organisation would be a misleading report
            raise NotFound(_("No such organisation."))
        return Scope(organisation, None)
    raise NotFound(_("Choose a project."))


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    count: int
    hours: Decimal | None = None


@dataclass(frozen=True)
class Point:
    day: date
    registered: int
    closed: int


@dataclass(frozen=True)
class Group:
    title: str
    count: int
    numbers: list[str]


@dataclass(frozen=True)
class Suggestion:
    code: str
    text: str
    figures: list[tuple[str, str]]


@dataclass
class ServiceReport:
    scope: Scope
    period: Period
    generated_at: datetime
    kpis: kpi.Kpis
    totals: dict[str, list[Line]]
    severity_attainment: list[dict[str, Any]]
    trend_unit: str
    trend: list[Point]
    tags: list[Line]
    root_causes: list[Line]
    groups: list[Group]
    workload_hours: Decimal
    out_of_scope: list[Line]
    out_of_scope_items: list[dict[str, Any]]
    complaints: int
    availability: Availability
    routine_work: dict[str, Any] = field(default_factory=dict)
    budgets: list[budget.Budget] = field(default_factory=list)
    #: the satisfaction surveys open in the period (``satisfaction.compute``)
    satisfaction: dict[str, Any] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def out_of_scope_hours(self) -> Decimal:
        return sum((line.hours or Decimal(0) for line in self.out_of_scope), Decimal(0))

    @property
    def out_of_scope_tickets(self) -> int:
        return sum(line.count for line in self.out_of_scope)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "service_type": {str(k): str(v) for k, v in ServiceType.choices},
        "severity": {str(k): str(v) for k, v in Severity.choices},
        "channel": {str(k): str(v) for k, v in Channel.choices},
        "status": {str(k): str(v) for k, v in Status.choices},
    }


def dimension_titles() -> dict[str, str]:
    return {
        "service_type": _("Service type"),
        "severity": _("Severity"),
        "product": _("Product"),
        "channel": _("Channel"),
        "status": _("Status"),
    }


def _totals(found: QuerySet[Ticket]) -> dict[str, list[Line]]:
    labels = _labels()
    result: dict[str, list[Line]] = {}
    for name in ("service_type", "severity", "channel", "status"):
        rows = found.values(name).annotate(n=Count("pk")).order_by("-n", name)
        result[name] = [
            Line(row[name], labels[name].get(row[name]) or _("Not set"), row["n"]) for row in rows
        ]
    products = found.values("product__name").annotate(n=Count("pk")).order_by("-n")
    result["product"] = [Line(r["product__name"], r["product__name"], r["n"]) for r in products]
    return result


def _trend(scope: Scope, period: Period, found: QuerySet[Ticket]) -> tuple[str, list[Point]]:
    unit = "day" if period.days <= 62 else "week"
    tz = timezone.get_default_timezone()
    trunc = TruncDate if unit == "day" else TruncWeek

    def per(queryset: QuerySet[Ticket], moment: str) -> dict[date, int]:
        rows = queryset.annotate(bucket=trunc(moment, tzinfo=tz)).values("bucket")
        counted = rows.annotate(n=Count("pk")).order_by("bucket")
        return {_as_date(r["bucket"]): r["n"] for r in counted}

    closed = scope.tickets().filter(
        status=Status.CLOSED, closed_at__gte=period.start, closed_at__lt=period.end
    )
    registered, done = per(found, "created_at"), per(closed, "closed_at")
    first = period.first if unit == "day" else period.first - timedelta(days=period.first.weekday())
    step = timedelta(days=1 if unit == "day" else 7)
    points, day = [], first
    while day <= period.last:
        points.append(Point(day, registered.get(day, 0), done.get(day, 0)))
        day += step
    return unit, points


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _recurring(found: QuerySet[Ticket]) -> tuple[list[Line], list[Line]]:
    retros = Retrospective.objects.filter(ticket__in=found.values("pk"))
    tags: Counter[str] = Counter()
    for row in retros.exclude(tags=[]).values_list("tags", flat=True)[:20000]:
        tags.update({str(tag).strip() for tag in row or [] if str(tag).strip()})
    causes = dict(Retrospective.RootCause.choices)
    rows = retros.exclude(root_cause="").values("root_cause").annotate(n=Count("pk"))
    root = [
        Line(r["root_cause"], str(causes.get(r["root_cause"], r["root_cause"])), r["n"])
        for r in rows.order_by("-n")
    ]
    return [Line(tag, tag, n) for tag, n in tags.most_common(TOP)], root


def _groups(found: QuerySet[Ticket]) -> list[Group]:
    """Tickets whose titles share most of their key words, largest groups first."""
    rows = found.exclude(status=Status.WITHDRAWN).order_by("-created_at")
    groups: list[tuple[set[str], list[tuple[str, str]]]] = []
    by_term: dict[str, list[int]] = {}
    for number, title in rows.values_list("number", "title")[:GROUPING_LIMIT]:
        weights = search.terms(title)
        terms = {t for t, _w in sorted(weights.items(), key=lambda kv: -kv[1])[:KEY_TERMS]}
        if not terms:
            continue
        candidates = {i for term in terms for i in by_term.get(term, [])}
        home = next(
            (i for i in sorted(candidates) if len(groups[i][0] & terms) / len(terms) >= SIMILARITY),
            None,
        )
        if home is None:
            home = len(groups)
            groups.append((set(terms), []))
            for term in terms:
                by_term.setdefault(term, []).append(home)
        groups[home][1].append((number, title))
    found_groups = [g for g in groups if len(g[1]) >= 2]
    found_groups.sort(key=lambda g: -len(g[1]))
    return [
        Group(members[-1][1], len(members), [n for n, _t in members[:20]])
        for _terms, members in found_groups[:TOP]
    ]


def _out_of_scope(found: QuerySet[Ticket]) -> tuple[list[Line], list[dict[str, Any]]]:
    flagged = found.exclude(out_of_scope_type="")
    labels = dict(OutOfScopeType.choices)
    rows = flagged.values("out_of_scope_type").annotate(n=Count("pk"), h=Sum("out_of_scope_hours"))
    lines = [
        Line(
            r["out_of_scope_type"],
            str(labels.get(r["out_of_scope_type"], "")),
            r["n"],
            r["h"] or Decimal(0),
        )
        for r in rows.order_by("-h", "-n")
    ]
    fields = ("number", "title", "out_of_scope_type", "out_of_scope_hours", "status")
    rows_found = flagged.order_by("created_at").values(*fields)[:1000]
    items: list[dict[str, Any]] = [dict(item) for item in rows_found]
    for item in items:
        item["change"] = str(labels.get(item["out_of_scope_type"], ""))
    return lines, items


def build(scope: Scope, period: Period, now: datetime | None = None) -> ServiceReport:
    """The service report of ``scope`` for ``period`` as of ``now``."""
    from campusdesk.reports import suggestions

    now = now or clock.now()
    filters = scope.kpi_filters(period)
    found = scope.tickets().filter(created_at__gte=period.start, created_at__lt=period.end)
    unit, trend = _trend(scope, period, found)
    tags, root_causes = _recurring(found)
    out_lines, out_items = _out_of_scope(found)
    workload = found.aggregate(h=Sum("workload_hours"))["h"] or Decimal(0)
    complaints = Complaint.objects.filter(
        organisation=scope.organisation, created_at__gte=period.start, created_at__lt=period.end
    )
    if scope.project is not None:
        complaints = complaints.filter(Q(ticket__project=scope.project) | Q(ticket__isnull=True))
    report = ServiceReport(
        scope=scope,
        period=period,
        generated_at=now,
        kpis=kpi.compute(found, filters, now),
        totals=_totals(found),
        severity_attainment=kpi.breakdown(found, "severity", now),
        trend_unit=unit,
        trend=trend,
        tags=tags,
        root_causes=root_causes,
        groups=_groups(found),
        workload_hours=workload,
        out_of_scope=out_lines,
        out_of_scope_items=out_items,
        complaints=complaints.count(),
        availability=availability.compute(scope.systems(), period, now),
        routine_work=routine_work.compute(scope.systems(), period, now),
        budgets=budget.budgets(scope.projects()),
        satisfaction=satisfaction.compute(scope.projects(), period),
    )
    report.suggestions = suggestions.derive(report)
    return report


def all_requests(scope: Scope, period: Period) -> QuerySet[Ticket]:
    """Every request of the period, for the workbook's list (oldest first)."""
    found = scope.tickets().filter(created_at__gte=period.start, created_at__lt=period.end)
    return found.order_by("created_at", "id").annotate(product_name=F("product__name"))


def hours_text(value: Decimal | None) -> str:
    """Hours with two decimals, whatever the database's SUM returned."""
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _hours(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 2) if value is not None else None


def _ratio(ratio: kpi.Ratio) -> dict[str, Any]:
    return {"met": ratio.good, "due": ratio.total, "percent": ratio.percent}


def kpi_dict(k: kpi.Kpis) -> dict[str, Any]:
    """The KPIs as JSON (times in hours)."""
    return {
        "total": k.total,
        "withdrawn": k.withdrawn,
        "open": k.open,
        "closed": k.closed,
        "acceptance_within_24h": _ratio(k.acceptance),
        "response_within_target": _ratio(k.response),
        "resolution_within_target": _ratio(k.resolution),
        "resolution_by_commitment": _ratio(k.commitment),
        "commitment_changes": k.commitment_changes,
        "tickets_with_commitment_changes": k.tickets_with_commitment_changes,
        "times_hours": {
            name: {"count": s.count, "median": _hours(s.median), "p90": _hours(s.p90)}
            for name, s in (
                ("acceptance", k.accept_time),
                ("response", k.response_time),
                ("resolution", k.resolution_time),
            )
        },
        "rating": {
            "count": k.rated,
            "average": k.rating_average,
            "distribution": {str(n): c for n, c in k.ratings.items()},
        },
        "closure_requests": k.closure_requested,
        "rejected_tickets": k.rejected_tickets,
        "rejections": k.rejections,
        "rejection_rate": k.rejection_rate,
        "urges": k.urges,
        "urged_tickets": k.urged_tickets,
        "complaints": k.complaints,
        "escalations": k.escalations,
        "escalated_tickets": k.escalated_tickets,
    }


def _lines(lines: list[Line]) -> list[dict[str, Any]]:
    return [
        {"key": line.key, "label": line.label, "count": line.count}
        | ({"hours": hours_text(line.hours)} if line.hours is not None else {})
        for line in lines
    ]


def as_dict(report: ServiceReport) -> dict[str, Any]:
    """The figures of ``report`` as JSON: what the page, the workbook and the PDF show."""
    scope = report.scope
    return {
        "organisation": {"id": scope.organisation.pk, "name": scope.organisation.name},
        "project": {"id": scope.project.pk, "name": scope.project.name} if scope.project else None,
        "period": {
            "key": report.period.key,
            "from": report.period.first.isoformat(),
            "to": report.period.last.isoformat(),
        },
        "generated_at": report.generated_at.isoformat(),
        "kpis": kpi_dict(report.kpis),
        "totals": {name: _lines(lines) for name, lines in report.totals.items()},
        "severity_attainment": _severity_attainment_rows(report),
        "trend": _trend_dict(report),
        "recurring": _recurring_dict(report),
        "suggestions": _suggestion_rows(report),
        "workload": _workload_dict(report),
        "complaints": report.complaints,
        "availability": availability.as_dict(report.availability),
        "routine_work": report.routine_work,
        "satisfaction": report.satisfaction,
    }


def _severity_attainment_rows(report: ServiceReport) -> list[dict[str, Any]]:
    return [
        {
            "severity": row["key"] or "",
            "tickets": row["all"],
            "resolution": row["resolution"],
            "commitment": row["commitment"],
        }
        for row in report.severity_attainment
    ]


def _trend_dict(report: ServiceReport) -> dict[str, Any]:
    return {
        "unit": report.trend_unit,
        "points": [
            {"date": p.day.isoformat(), "registered": p.registered, "closed": p.closed}
            for p in report.trend
        ],
    }


def _recurring_dict(report: ServiceReport) -> dict[str, Any]:
    return {
        "tags": _lines(report.tags),
        "root_causes": _lines(report.root_causes),
        "similar": [
            {"title": g.title, "count": g.count, "numbers": g.numbers} for g in report.groups
        ],
    }


def _suggestion_rows(report: ServiceReport) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "text": s.text,
            "figures": [{"label": label, "value": value} for label, value in s.figures],
        }
        for s in report.suggestions
    ]


def _workload_dict(report: ServiceReport) -> dict[str, Any]:
    return {
        "hours": hours_text(report.workload_hours),
        "budgets": [
            {
                "project": found.project.name,
                "budget": hours_text(found.hours),
                "used": hours_text(found.used),
                "tickets": hours_text(found.tickets),
                "routines": hours_text(found.routines),
                "balance": hours_text(found.balance),
                "percent": found.percent,
            }
            for found in report.budgets
        ],
        "out_of_scope_hours": hours_text(report.out_of_scope_hours),
        "out_of_scope_tickets": report.out_of_scope_tickets,
        "out_of_scope": _lines(report.out_of_scope),
        "out_of_scope_items": [
            {
                "number": i["number"],
                "title": i["title"],
                "change": i["out_of_scope_type"],
                "hours": hours_text(i["out_of_scope_hours"]),
            }
            for i in report.out_of_scope_items
        ],
    }
