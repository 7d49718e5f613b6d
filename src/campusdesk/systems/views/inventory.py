"""The pages of the application systems: the list, the forms, the always-current environment
document page with its history and diff, the environment form, and the dashboard.

Views are thin: they read through ``systems.selectors`` (another organisation's system is a
404), write through ``systems.services`` and show the services' messages on the fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import VENDOR_ROLES, Role
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, is_htmx, show_errors
from campusdesk.systems import environment, panels, selectors, services
from campusdesk.systems.forms import (
    ROW_FORMS,
    EnvironmentRows,
    SystemFilter,
    SystemForm,
    blank_row,
)
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    ComponentKind,
    Finding,
    InstalledComponent,
    Severity,
    TicketSystem,
)
from campusdesk.tickets import selectors as tickets

ACTIVE = (Finding.Status.OPEN, Finding.Status.UNVERIFIED, Finding.Status.FIXING)
PENDING = (Change.Status.PLANNED, Change.Status.APPROVED)
SEVERITIES = tuple(Severity.values)
PAGE_SIZE = 50  # systems per page of the list


def _system(user: User, pk: int) -> ApplicationSystem:
    try:
        return selectors.system_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _manageable(user: User, system: ApplicationSystem) -> None:
    if not selectors.may_manage(user, system.project):
        raise PermissionDenied


def _counted(rows: QuerySet[Any], field: str = "system") -> Coalesce:
    """The number of ``rows`` per outer system, as one subquery (no join, no query per row)."""
    counted = rows.order_by().values(field).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _annotated(systems: QuerySet[ApplicationSystem]) -> QuerySet[ApplicationSystem]:
    findings = Finding.objects.filter(system=OuterRef("pk"), status__in=ACTIVE)
    severity = {
        f"open_{level}": _counted(findings.filter(vulnerability__severity=level))
        for level in SEVERITIES
    }
    components = InstalledComponent.objects.filter(
        environment=OuterRef("current_environment")
    ).exclude(kind=ComponentKind.OS)
    return systems.select_related("organisation", "project", "current_environment").annotate(
        component_count=_counted(components, "environment"),
        pending_changes=_counted(Change.objects.filter(system=OuterRef("pk"), status__in=PENDING)),
        **severity,
    )


def _rows(systems: Iterable[ApplicationSystem]) -> list[dict[str, Any]]:
    rows = []
    for system in systems:
        data = system.current_environment.data if system.current_environment else {}
        os = data.get("os") or {}
        rows.append(
            {
                "system": system,
                "os": " ".join(v for v in (os.get("name"), os.get("version")) if v),
                "findings": [(level, getattr(system, f"open_{level}")) for level in SEVERITIES],
            }
        )
    return rows


@login_required
def system_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    visible = selectors.visible_systems(user)
    organisations = Organisation.objects.filter(pk__in=visible.values("organisation_id"))
    form = SystemFilter(request.GET or None, organisations=organisations)
    systems = visible
    if form.is_valid():
        data = form.cleaned_data
        if data["organisation"]:
            systems = systems.filter(organisation=data["organisation"])
        if data["importance"]:
            systems = systems.filter(importance=data["importance"])
        if data["q"]:
            systems = systems.filter(Q(name__icontains=data["q"]) | Q(notes__icontains=data["q"]))
    page = Paginator(_annotated(systems), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "severities": Severity.choices,
        "may_create": user.is_vendor_staff and scoping.visible_projects(user).exists(),
    }
    return render(request, "systems/inventory/list.html", context)


def _staff() -> QuerySet[User]:
    return User.objects.filter(role__in=VENDOR_ROLES, is_active=True).order_by("username")


def _customers(organisations: Any) -> QuerySet[User]:
    """The university's users a system's contact is chosen from (``organisations``: ids)."""
    return User.objects.filter(
        role=Role.CUSTOMER, is_active=True, organisation_id__in=organisations
    ).order_by("username")


@login_required
def system_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    projects = scoping.visible_projects(user).select_related("organisation")
    customers = _customers(projects.values("organisation_id"))
    form = SystemForm(request.POST or None, projects=projects, staff=_staff(), customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            system = services.system_create(
                actor=user,
                project=form.cleaned_data["project"],
                **form.service_fields(),
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("System %(name)s added.") % {"name": system.name})
            return redirect("systems-detail", pk=system.pk)
    return render(request, "systems/inventory/form.html", {"form": form, "system": None})


@login_required
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    _manageable(user, system)
    initial = {
        "name": system.name,
        "importance": system.importance,
        "owner": system.owner,
        "vendor_contact": system.vendor_contact_id,
        "customer_contact": system.customer_contact_id,
        "urls": "\n".join(system.urls),
        "hosts": "\n".join(system.hosts),
        "notes": system.notes,
    }
    customers = _customers([system.organisation_id])
    form = SystemForm(request.POST or None, initial=initial, staff=_staff(), customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            services.system_update(system_id=system.pk, actor=user, **form.service_fields())
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("systems-detail", pk=system.pk)
    return render(request, "systems/inventory/form.html", {"form": form, "system": system})


@login_required
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    versions = list(
        system.environments.select_related("author", "change").defer("data").order_by("-number")
    )
    links = TicketSystem.objects.filter(
        system=system, ticket__in=tickets.visible_tickets(user)
    ).select_related("ticket")
    events = system.events.select_related("actor").order_by("-at", "-id")[:200]
    templates, added = panels.collect(system, user)  # the sections of the apps above
    context = {
        **added,
        "panels": templates,
        "system": system,
        "env": _environment_view(system.current_environment),
        "versions": versions,
        "tickets": [link.ticket for link in links.order_by("-ticket__created_at")[:100]],
        "changes": Change.objects.filter(system=system).select_related(
            "requested_by", "approved_by", "completed_by"
        )[:100],
        "findings": Finding.objects.filter(system=system)
        .select_related("vulnerability")
        .order_by("status", "due_date", "id")[:200],
        "events": [_event_line(e) for e in events],
        "may_manage": selectors.may_manage(user, system.project),
        "today": clock.local(clock.now()).date(),
    }
    return render(request, "systems/inventory/detail.html", context)


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else None


@login_required
def environment_diff(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    numbers = list(system.environments.order_by("number").values_list("number", flat=True))
    default_to = numbers[-1] if numbers else None
    default_from = numbers[-2] if len(numbers) > 1 else default_to
    first = _number(request.GET.get("from")) or default_from
    second = _number(request.GET.get("to")) or default_to
    context: dict[str, Any] = {"system": system, "numbers": numbers, "from": first, "to": second}
    status = 200
    if first is not None and second is not None:
        try:
            before = services.version_of(system, first)
            after = services.version_of(system, second)
        except DomainError as error:
            context["error"], status = str(error), 400
        else:
            context.update(
                before=before,
                after=after,
                rows=_diff_rows(before.data, after.data),
            )
    return render(request, "systems/inventory/diff.html", context, status=status)


@login_required
def environment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    _manageable(user, system)
    current = system.current_environment
    if request.method != "POST":
        rows = EnvironmentRows.from_data(current.data if current else None)
        return _environment_page(request, system, rows)
    add = request.POST.get("add", "")
    rows = EnvironmentRows.from_post(request.POST, add=add)
    if add or not rows.is_valid():
        return _environment_page(request, system, rows)
    try:
        version = services.environment_change(
            system_id=system.pk,
            actor=user,
            data=rows.data(),
            reason=rows.main.cleaned_data["reason"],
        )
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from error
        rows.show_errors(error)
        return _environment_page(request, system, rows)
    messages.success(
        request, _("Environment version %(number)s saved.") % {"number": version.number}
    )
    return redirect("systems-detail", pk=system.pk)


def _environment_page(
    request: HttpRequest, system: ApplicationSystem, rows: EnvironmentRows
) -> HttpResponse:
    context = {"system": system, "form": rows.main, "rows": rows.rows}
    return render(request, "systems/inventory/environment.html", context)


@login_required
def environment_row(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One blank component or port row (the environment form's "add a row", by htmx)."""
    user = current_user(request)
    system = _system(user, pk)
    _manageable(user, system)
    if kind not in ROW_FORMS:
        raise Http404
    template = f"systems/inventory/_{kind}_row.html"
    return render(request, template, {"row": blank_row(kind), "htmx": is_htmx(request)})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = _dashboard(selectors.visible_systems(user), clock.local(clock.now()).date())
    return render(request, "systems/inventory/dashboard.html", context)


# --- what the pages show: labels for stored keys ------------------------------------------
EXPOSURES = {
    "intranet": pgettext_lazy("exposure", "Intranet"),
    "internet": pgettext_lazy("exposure", "Internet"),
}
TEXT_FIELDS = {
    "os.name": gettext_lazy("Operating system"),
    "os.version": gettext_lazy("Operating system version"),
    "deployment": gettext_lazy("Deployment"),
    "backup": gettext_lazy("Backup arrangements"),
    "notes": gettext_lazy("Notes"),
}
EVENTS = {
    "system.created": gettext_lazy("System registered"),
    "system.updated": gettext_lazy("System details edited"),
    "environment.changed": gettext_lazy("Environment changed"),
    "change.planned": gettext_lazy("Change planned"),
    "change.approved": gettext_lazy("Change approved"),
    "change.completed": gettext_lazy("Change completed"),
    "change.cancelled": gettext_lazy("Change cancelled"),
    "finding.opened": gettext_lazy("Vulnerability found"),
    "finding.confirmed": gettext_lazy("Vulnerability confirmed"),
    "finding.unverified": gettext_lazy("Vulnerability to verify"),
    "finding.fixing": gettext_lazy("Vulnerability being fixed"),
    "finding.fixed": gettext_lazy("Vulnerability fixed"),
    "finding.fixed_by_decision": gettext_lazy("Vulnerability marked fixed"),
    "finding.accept": gettext_lazy("Risk accepted"),
    "finding.reopen": gettext_lazy("Vulnerability reopened"),
    "finding.reopened": gettext_lazy("Vulnerability reopened"),
    "finding.expired": gettext_lazy("Accepted risk expired"),
    "finding.expiry_reminded": gettext_lazy("Accepted risk expires soon"),
    "vulnerability.updated": gettext_lazy("Vulnerability entry edited"),
    # written by the probes (monitoring) on the system's record
    "probe.created": gettext_lazy("Probe added"),
    "probe.changed": gettext_lazy("Probe edited"),
    "probe.deleted": gettext_lazy("Probe deleted"),
    "outage.opened": gettext_lazy("Outage began"),
    "outage.ended": gettext_lazy("Outage ended"),
    "maintenance.planned": gettext_lazy("Maintenance window planned"),
    "maintenance.cancelled": gettext_lazy("Maintenance window cancelled"),
    "maintenance.changed": gettext_lazy("Maintenance window changed"),
}
#: an action key not listed above reads by its first part
EVENT_KINDS = {
    "system": gettext_lazy("System updated"),
    "environment": gettext_lazy("Environment updated"),
    "change": gettext_lazy("Change updated"),
    "finding": gettext_lazy("Vulnerability finding updated"),
    "vulnerability": gettext_lazy("Vulnerability entry edited"),
    "ticket": gettext_lazy("Problem linked"),
}


def _kind_label(kind: str) -> str:
    return str(ComponentKind(kind).label) if kind in ComponentKind.values else kind


def _environment_view(version: Any) -> dict[str, Any] | None:
    """The current environment with readable kinds and exposures (None: not recorded yet)."""
    if version is None:
        return None
    data = version.data
    components = [{**c, "kind_label": _kind_label(c["kind"])} for c in data.get("components", [])]
    ports = [
        {**p, "exposure_label": EXPOSURES.get(p["exposure"], p["exposure"])}
        for p in data.get("ports", [])
    ]
    return {**data, "version": version, "components": components, "ports": ports}


def _event_detail(action: str, data: dict[str, Any]) -> str:
    if action == "environment.changed":
        return _("Version %(number)s: %(reason)s") % {
            "number": data.get("number", "?"),
            "reason": data.get("reason", ""),
        }
    if action == "change.completed" and data.get("outcome") in Change.Status.values:
        return str(Change.Status(data["outcome"]).label)
    keys = ("title", "vulnerability", "identifier", "name", "reason", "target", "duration")
    return next((str(data[key]) for key in keys if data.get(key)), "")


def _event_line(event: Any) -> dict[str, Any]:
    label = EVENTS.get(event.action) or EVENT_KINDS.get(
        event.action.split(".")[0], gettext_lazy("Updated")
    )
    return {
        "at": event.at,
        "actor": event.actor,
        "label": label,
        "detail": _event_detail(event.action, event.data or {}),
        "action": event.action,
    }


def _field_label(field: str, names: dict[str, str]) -> str:
    if field in TEXT_FIELDS:
        return str(TEXT_FIELDS[field])
    part, _sep, rest = field.partition(".")
    key, _sep, attribute = rest.rpartition(".")
    if part == "components":
        label = _("version") if attribute == "version" else _("kind")
        return _("Component %(name)s: %(field)s") % {"name": names.get(key, key), "field": label}
    if part == "ports":
        label = _("service") if attribute == "service" else _("exposed to")
        return _("Port %(port)s: %(field)s") % {"port": key, "field": label}
    return field


def _value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.endswith(".kind"):
        return _kind_label(str(value))
    if field.endswith(".exposure"):
        return str(EXPOSURES.get(str(value), value))
    return str(value)


def _diff_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field (``environment.diff``), each field and value as a person reads it."""
    names = {
        environment.fold(c["name"]): c["name"]
        for data in (before, after)
        for c in data.get("components", [])
    }
    return [
        {
            "field": row["field"],
            "label": _field_label(row["field"], names),
            "before": _value(row["field"], row["before"]),
            "after": _value(row["field"], row["after"]),
        }
        for row in environment.diff(before, after)
    ]


def _dashboard(systems: QuerySet[ApplicationSystem], today: Any) -> dict[str, Any]:
    """Per organisation, its systems with open and overdue findings by severity and pending
    changes: three aggregate queries whatever the number of systems."""
    findings = (
        Finding.objects.filter(system__in=systems, status__in=ACTIVE)
        .order_by()
        .values("system_id", "vulnerability__severity")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    )
    changes = (
        Change.objects.filter(system__in=systems, status__in=PENDING)
        .order_by()
        .values("system_id", "status")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in findings:
        entry = counts.setdefault(row["system_id"], {})
        entry[row["vulnerability__severity"]] = row["n"]
        entry["overdue"] = entry.get("overdue", 0) + row["overdue"]
    for row in changes:
        counts.setdefault(row["system_id"], {})[row["status"]] = row["n"]
    organisations: dict[int, dict[str, Any]] = {}
    for system in systems.select_related("organisation").order_by("organisation__name", "name"):
        entry = counts.get(system.pk, {})
        block = organisations.setdefault(
            system.organisation_id,
            {
                "organisation": system.organisation,
                "systems": [],
                "totals": dict.fromkeys(_TOTALS, 0),
            },
        )
        row = {"system": system, **{key: entry.get(key, 0) for key in _TOTALS}}
        for key in _TOTALS:
            block["totals"][key] += row[key]
        if any(row[key] for key in _TOTALS):
            block["systems"].append(row)
    return {"organisations": list(organisations.values()), "severities": Severity.choices}


_TOTALS = (*SEVERITIES, "overdue", Change.Status.PLANNED.value, Change.Status.APPROVED.value)


urlpatterns = [
    path("systems/", system_list, name="systems-list"),
    path("systems/new/", system_create, name="systems-create"),
    path("systems/dashboard/", dashboard, name="systems-dashboard"),
    path("systems/<int:pk>/", system_detail, name="systems-detail"),
    path("systems/<int:pk>/edit/", system_edit, name="systems-edit"),
    path("systems/<int:pk>/environment/edit/", environment_edit, name="systems-environment"),
    path(
        "systems/<int:pk>/environment/row/<str:kind>/",
        environment_row,
        name="systems-environment-row",
    ),
    path("systems/<int:pk>/environment/diff/", environment_diff, name="systems-diff"),
]
