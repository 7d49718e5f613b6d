"""The pages of routine work: the routines, a routine with its coming due days and runs, a
run with its checklist to record and its report, and a new routine from a template.

Thin views: look up through ``routines.services`` (another organisation's routine or run is
a 404), write through it, show its messages on the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, show_errors
from campusdesk.routines import recurrence, report, services
from campusdesk.routines.forms import ItemForm, RoutineForm
from campusdesk.routines.models import EmergencyPlan, Routine, Run, RunItem
from campusdesk.sla import calendars
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem

#: how many coming due days a routine's page shows
UPCOMING = 6


def _refused(error: DomainError) -> None:
    if error.status_code == 403:
        raise PermissionDenied from error
    if error.status_code == 404:
        raise Http404 from error


def _routine(user: User, pk: int) -> Routine:
    try:
        return services.routine_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _run(user: User, pk: int) -> Run:
    try:
        return services.run_for(user, pk)
    except DomainError as error:
        raise Http404 from error


@login_required
def routine_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    routines = (
        services.visible_routines(user)
        .select_related("project__organisation", "assignee")
        .prefetch_related("systems")
        .order_by("project__organisation__name", "name", "pk")
    )
    return render(
        request,
        "routines/list.html",
        {
            "routines": routines,
            "late": services.late_runs(user)[:50],
            "plans": services.unexercised_plans(user)[:50],
            "may_plan": user.is_vendor_staff,
        },
    )


def _choices(user: User) -> dict[str, list[tuple[int, str]]]:
    managed = [
        s
        for s in systems.visible_systems(user).select_related("organisation", "project")
        if systems.may_manage(user, s.project)
    ]
    people = User.objects.filter(
        is_active=True, role__in=["engineer", "expert2", "expert3", "ops", "manager"]
    )
    plans = EmergencyPlan.objects.filter(system__in=[s.pk for s in managed]).select_related(
        "system"
    )
    return {
        "systems": [(s.pk, f"{s.organisation.name} · {s.name}") for s in managed],
        "people": [(p.pk, p.get_full_name() or p.username) for p in people.order_by("username")],
        "plans": [(p.pk, str(p)) for p in plans],
    }


@login_required
def routine_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    form = RoutineForm(request.POST or None, **_choices(user))
    if request.method == "POST" and form.is_valid():
        try:
            routine = services.routine_create(actor=user, data=form.data_for_service())
        except DomainError as error:
            _refused(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Routine planned: %(name)s") % {"name": routine.name})
            return redirect("routines:routine", routine.pk)
    return render(request, "routines/form.html", {"form": form})


@login_required
def routine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    routine = _routine(user, pk)
    rule = recurrence.parse(routine.recurrence, routine.starts_on)
    calendar = calendars.for_project(routine.project) if routine.working_days else None
    start = max(clock.local(clock.now()).date(), routine.starts_on)
    return render(
        request,
        "routines/routine.html",
        {
            "routine": routine,
            "systems": routine.systems.order_by("pk"),
            "upcoming": recurrence.upcoming(rule, start, calendar, UPCOMING),
            "runs": routine.runs.select_related("assignee").order_by("-due_on", "-pk")[:50],
            "may_manage": systems.may_manage(user, routine.project),
        },
    )


@require_POST
@login_required
def routine_run_now(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    routine = _routine(user, pk)
    try:
        run = services.run_create_now(actor=user, routine=routine)
    except DomainError as error:
        _refused(error)
        messages.error(request, str(error))
        return redirect("routines:routine", routine.pk)
    return redirect("routines:run", run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    run = _run(user, pk)
    items = list(run.items.select_related("system", "ticket", "recorded_by").order_by("position"))
    return render(
        request,
        "routines/run.html",
        {
            "run": run,
            "rows": [(item, _item_form(item)) for item in items],
            "facts": report.facts(run),
            "may_record": run.status == Run.Status.OPEN
            and systems.may_manage(user, run.routine.project),
        },
    )


def _item_form(item: RunItem) -> ItemForm:
    """The check's form, filled with what is recorded; its ids unique on the page."""
    initial = {"result": item.result or None, "value": item.value, "note": item.note}
    return ItemForm(auto_id=f"item{item.position}-%s", initial=initial)


@require_POST
@login_required
def run_item(request: HttpRequest, pk: int, n: int) -> HttpResponse:
    user = current_user(request)
    run = _run(user, pk)
    form = ItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose pass, fail or not applicable."))
        return redirect(f"{run_url(run)}#item-{n}")
    try:
        item = services.run_item_record(actor=user, run=run, position=n, **form.cleaned_data)
    except DomainError as error:
        _refused(error)
        problems = [str(p) for ps in error.fields.values() for p in ps] or [str(error)]
        messages.error(request, " ".join(problems))
    else:
        if item.result == RunItem.Result.FAIL and item.ticket is not None:
            messages.success(
                request,
                _("Recorded; problem #%(number)s tracks it.") % {"number": item.ticket.number},
            )
        else:
            messages.success(request, _("Recorded."))
    return redirect(f"{run_url(run)}#item-{n}")


def run_url(run: Run) -> str:
    return reverse("routines:run", args=[run.pk])


@login_required
def run_report(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(current_user(request), pk)
    kind = request.GET.get("format", "pdf")
    if kind not in report.FORMATS:
        raise Http404
    return report.download(run, kind)


def system_panel(system: ApplicationSystem, user: User) -> dict[str, Any]:
    """What the system's page shows of its routine work (``systems.panels``): its routines
    with their next due day and its emergency plans, those due for a drill marked."""
    now = clock.now()
    plans = list(EmergencyPlan.objects.filter(system=system).select_related("last_run"))
    return {
        "system_routines": list(
            Routine.objects.filter(systems=system).select_related("assignee").order_by("name")
        ),
        "system_plans": [(plan, services.plan_overdue(plan, now)) for plan in plans],
    }
