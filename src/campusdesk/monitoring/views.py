"""The pages of the probes: a system's probes and availability (a section of the system's
page), the probe forms and results, maintenance windows, the organisations' status pages
(logged in, or by a public link) and the vendor's overview of every system.

Views are thin: they read through the selectors (another organisation's probe, window or
status page is a 404), write through ``monitoring.services`` and show its messages on the
fields. What a status page shows comes from ``monitoring.status``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import Organisation, User
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, is_htmx, show_errors
from campusdesk.monitoring import chart, selectors, services, status
from campusdesk.monitoring.forms import ProbeForm, WindowForm
from campusdesk.monitoring.models import Probe, ProbeResult, StatusPage
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem, Importance

STATE_LABELS = {
    "up": pgettext_lazy("system state", "Up"),
    "down": pgettext_lazy("system state", "Down"),
    "maintenance": pgettext_lazy("system state", "In maintenance"),
    "unknown": pgettext_lazy("system state", "Not yet probed"),
}
SORTS = {
    "state": gettext_lazy("state"),
    "organisation": gettext_lazy("organisation"),
    "name": gettext_lazy("name"),
    "uptime": gettext_lazy("uptime (24 h)"),
}
RESULTS_PER_PAGE = 50
#: a certificate this close to its expiry is marked on the page
CERT_SOON = timedelta(days=30)


# --- lookups ----------------------------------------------------------------------------------
def _system(user: User, pk: int) -> ApplicationSystem:
    try:
        return systems.system_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _probe(user: User, pk: int) -> Probe:
    try:
        return selectors.probe_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _manageable(user: User, system: ApplicationSystem) -> None:
    if not selectors.may_manage(user, system):
        raise PermissionDenied


def _refused(error: DomainError) -> None:
    """A service's refusal: 403 and 404 as pages; the caller shows any other error."""
    if error.status_code == 403:
        raise PermissionDenied from error
    if error.status_code == 404:
        raise Http404 from error


def _back(system_id: int) -> HttpResponse:
    return redirect(reverse("systems-detail", kwargs={"pk": system_id}) + "#system-probes")


# --- what a row shows -------------------------------------------------------------------------
def _shown(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A status row with its labels and latency chart for the templates."""
    importance = row["importance"]
    return {
        **row,
        "state_label": STATE_LABELS[row["state"]],
        "importance_label": Importance(importance).label
        if importance in Importance.values
        else importance,
        "chart": chart.latency_svg(f"latency-{row['id']}", row["latency"], now),
        "chart_summary": chart.summary(row["latency"]),
        "periods": [(key, row["uptime"][key]) for key in status.PERIODS],
    }


def _counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "state": state,
            "label": STATE_LABELS[state],
            "n": sum(1 for r in rows if r["state"] == state),
        }
        for state in status.STATES
    ]


# --- the section of a system's page -----------------------------------------------------------
def system_panel(system: ApplicationSystem, user: User) -> dict[str, Any]:
    """What the system's page shows about its probes (``systems.panels``); the page's own
    ``may_manage`` (vendor staff of the project) decides the buttons."""
    now = clock.now()
    detail = status.system_detail(system, now)
    return {
        "availability": _shown(detail["row"], now),
        "probe_rows": [_probe_row(probe, uptime, now) for probe, uptime in detail["probes"]],
        "windows": [
            {**window, "active": window["starts_at"] <= now}
            for window in detail["row"]["maintenance"]
        ],
        "outage_rows": [
            {
                "outage": outage,
                "duration": services.duration_text(
                    ((outage.ended_at or now) - outage.started_at).total_seconds()
                ),
            }
            for outage in detail["outages"]
        ],
    }


def _probe_row(probe: Probe, uptime: dict[str, float | None], now: datetime) -> dict[str, Any]:
    expires = probe.cert_expires_at
    return {
        "probe": probe,
        "uptime": uptime,
        "cert_soon": expires is not None and expires - now <= CERT_SOON,
    }


# --- probes -----------------------------------------------------------------------------------
@login_required
def probe_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    _manageable(user, system)
    form = ProbeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            probe = services.probe_create(actor=user, system_id=system.pk, data=form.service_data())
        except DomainError as error:
            _refused(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Probe %(probe)s added.") % {"probe": probe})
            return _back(system.pk)
    context = {"form": form, "system": system, "probe": None}
    return render(request, "monitoring/probe_form.html", context)


@login_required
def probe_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    probe = _probe(user, pk)
    _manageable(user, probe.system)
    form = ProbeForm.of(probe, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.probe_update(actor=user, probe=probe, data=form.service_data())
        except DomainError as error:
            _refused(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return _back(probe.system_id)
    context = {"form": form, "system": probe.system, "probe": probe}
    return render(request, "monitoring/probe_form.html", context)


@require_POST
@login_required
def probe_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    probe = _probe(user, pk)
    name, system_id = str(probe), probe.system_id
    try:
        services.probe_delete(actor=user, probe=probe)
    except DomainError as error:
        _refused(error)
        messages.error(request, str(error))
    else:
        messages.success(request, _("Probe %(probe)s deleted.") % {"probe": name})
    return _back(system_id)


@require_POST
@login_required
def probe_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the probe now; an htmx request gets the result in place, a plain one a message."""
    user = current_user(request)
    probe = _probe(user, pk)
    try:
        result = services.probe_run_now(actor=user, probe=probe)
    except DomainError as error:
        _refused(error)
        messages.error(request, str(error))
        return redirect("monitoring:probe", pk=probe.pk)
    if is_htmx(request):
        return render(request, "monitoring/_run_result.html", {"result": result, "probe": probe})
    if result.ok:
        messages.success(request, _("Up: answered in %(ms)s ms.") % {"ms": result.latency_ms})
    else:
        messages.error(request, _("Down: %(error)s") % {"error": result.error})
    return redirect("monitoring:probe", pk=probe.pk)


@login_required
def probe_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A probe's recent results, newest first, a page at a time."""
    user = current_user(request)
    probe = _probe(user, pk)
    results = ProbeResult.objects.filter(probe=probe).order_by("-started_at", "-pk")
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "probe": probe,
        "system": probe.system,
        "page": page,
        "may_manage_probes": selectors.may_manage(user, probe.system),
    }
    return render(request, "monitoring/probe.html", context)


# --- maintenance windows ----------------------------------------------------------------------
@login_required
def window_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _system(user, pk)
    _manageable(user, system)
    form = WindowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.window_create(actor=user, system=system, **form.cleaned_data)
        except DomainError as error:
            _refused(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Maintenance window added."))
            return _back(system.pk)
    return render(request, "monitoring/window_form.html", {"form": form, "system": system})


@require_POST
@login_required
def window_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    window = selectors.visible_windows(user).filter(pk=pk).first()
    if window is None or window.system_id is None:
        raise Http404
    system_id = window.system_id
    try:
        services.window_delete(actor=user, window=window)
    except DomainError as error:
        _refused(error)
        messages.error(request, str(error))
    else:
        messages.success(request, _("Maintenance window deleted."))
    return _back(system_id)


# --- status pages -----------------------------------------------------------------------------
def _status_context(
    organisation: Organisation, systems_qs: QuerySet[ApplicationSystem], public: bool
) -> dict[str, Any]:
    now = clock.now()
    rows = [_shown(row, now) for row in status.system_rows(systems_qs, now)]
    return {
        "organisation": organisation,
        "rows": rows,
        "counts": _counts(rows),
        "generated_at": now,
        "public": public,
    }


def _status_response(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    template = "monitoring/_status_systems.html" if is_htmx(request) else "monitoring/status.html"
    return render(request, template, context)


@login_required
def status_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An organisation's status page for its users and the vendor staff who serve it."""
    return _organisation_page(request, current_user(request), pk)


def _organisation_page(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    try:
        organisation = status.organisation_for(user, pk)
    except DomainError as error:
        raise Http404 from error
    shown = systems.visible_systems(user).filter(organisation=organisation)
    context = _status_context(organisation, shown, public=False)
    if user.is_vendor_staff:
        page = StatusPage.objects.filter(organisation=organisation).first()
        context["link"] = page if page is not None and page.token else None
        context["may_share"] = True
    return _status_response(request, context)


@require_POST
@login_required
def status_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Make (or replace) the organisation's public status link: the old one stops working."""
    user = current_user(request)
    try:
        organisation = status.organisation_for(user, pk)
        services.status_token_rotate(actor=user, organisation_id=organisation.pk)
    except DomainError as error:
        _refused(error)
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new public link is made; the old one no longer works."))
    return redirect("monitoring:status", pk=pk)


def public_status(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only status page of the public link: no login, no ticket links."""
    page = (
        StatusPage.objects.select_related("organisation").filter(token=token).first()
        if token
        else None
    )
    if page is None:
        raise Http404
    shown = ApplicationSystem.objects.filter(organisation=page.organisation)
    response = _status_response(request, _status_context(page.organisation, shown, public=True))
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Every system the vendor's staff serve (a customer: their organisation's status page)."""
    user = current_user(request)
    if not user.is_vendor_staff:
        if user.organisation_id is None:
            raise Http404
        return _organisation_page(request, user, user.organisation_id)
    now = clock.now()
    rows = [
        _shown(row, now)
        for row in status.system_rows(systems.visible_systems(user), now, organisation=True)
    ]
    sort = request.GET.get("sort", "state")
    sort = sort if sort in SORTS else "state"
    rows.sort(key=_SORT_KEYS[sort])
    context = {"rows": rows, "counts": _counts(rows), "sort": sort, "sorts": SORTS}
    return render(request, "monitoring/overview.html", context)


def _by_uptime(row: dict[str, Any]) -> tuple[Any, ...]:
    """Lowest uptime first; no figure yet last."""
    uptime = row["uptime"]["24h"]
    return (uptime is None, uptime if uptime is not None else 0, row["name"])


_SORT_KEYS = {
    "state": lambda r: (status.STATE_ORDER[r["state"]], r["organisation"]["name"], r["name"]),
    "organisation": lambda r: (r["organisation"]["name"], r["name"]),
    "name": lambda r: (r["name"], r["organisation"]["name"]),
    "uptime": _by_uptime,
}
