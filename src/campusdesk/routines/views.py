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
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import DomainError
from campusdesk.core.http import (
    current_user,
    raise_refusal,
    refusal_text,
    sandboxed_download,
    show_errors,
)
from campusdesk.routines import recurrence, report, services
from campusdesk.routines.forms import ItemForm, RoutineEditForm, RoutineForm
from campusdesk.routines.models import EmergencyPlan, Routine, Run, RunItem
from campusdesk.sla import calendars
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem

#: how many coming due days a routine's page shows
UPCOMING = 6
#: how many of the user's open runs 我的待办 lists (the routines page has them all)
QUEUE_RUNS = 10


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


def _choices(user: User, project: Project | None = None) -> dict[str, list[tuple[int, str]]]:
    """The form's choices; a routine being edited keeps to its project's systems."""
    shown = systems.visible_systems(user).select_related("organisation", "project")
    if project is not None:
        shown = shown.filter(project=project)
    managed = [s for s in shown if systems.may_manage(user, s.project)]
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
            raise_refusal(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Routine planned: %(name)s") % {"name": routine.name})
            return redirect("routines:routine", routine.pk)
    return render(request, "routines/form.html", {"form": form})


def _managed_routine(user: User, pk: int) -> Routine:
    """The routine ``user`` plans: another organisation's is a 404, one they only read 403."""
    routine = _routine(user, pk)
    if not systems.may_manage(user, routine.project):
        raise PermissionDenied
    return routine


@login_required
def routine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    routine = _managed_routine(user, pk)
    choices = _choices(user, routine.project)
    form = RoutineEditForm.of(routine, request.POST or None, **choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.routine_update(actor=user, routine=routine, data=form.data_for_service())
        except DomainError as error:
            raise_refusal(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("routines:routine", routine.pk)
    return render(request, "routines/form.html", {"form": form, "routine": routine})


@require_POST
@login_required
def routine_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a routine; one with completed runs is refused (the edit page pauses it)."""
    user = current_user(request)
    routine = _managed_routine(user, pk)
    name = routine.name
    try:
        services.routine_delete(actor=user, routine=routine)
    except DomainError as error:
        raise_refusal(error)
        messages.error(request, str(error))
        return redirect("routines:edit", routine.pk)
    messages.success(request, _("Routine deleted: %(name)s") % {"name": name})
    return redirect("routines:list")


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
        raise_refusal(error)
        messages.error(request, str(error))
        return redirect("routines:routine", routine.pk)
    return redirect("routines:run", run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    run = _run(user, pk)
    items = list(
        run.items.select_related("system", "ticket", "recorded_by", "finding__vulnerability")
        .prefetch_related("files")
        .order_by("position")
    )
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
    """The check's form, filled with what is recorded; its ids unique on the page (the
    severity only on a security check)."""
    initial = {"result": item.result or None, "value": item.value, "note": item.note}
    form = ItemForm(auto_id=f"item{item.position}-%s", initial=initial)
    if not item.security:
        del form.fields["severity"]
    return form


@require_POST
@login_required
def run_item(request: HttpRequest, pk: int, n: int) -> HttpResponse:
    user = current_user(request)
    run = _run(user, pk)
    form = ItemForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [str(p) for ps in form.errors.values() for p in ps]
        messages.error(request, " ".join(problems))
        return redirect(f"{run_url(run)}#item-{n}")
    try:
        data = dict(form.cleaned_data)
        files = data.pop("evidence")
        item = services.run_item_record(actor=user, run=run, position=n, files=files, **data)
    except DomainError as error:
        raise_refusal(error)
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _recorded(item))
    return redirect(f"{run_url(run)}#item-{n}")


def _recorded(item: RunItem) -> str:
    if item.result == RunItem.Result.FAIL and item.finding is not None:
        return _("Recorded; vulnerability finding %(identifier)s tracks it.") % {
            "identifier": item.finding.vulnerability.identifier
        }
    if item.result == RunItem.Result.FAIL and item.ticket is not None:
        return _("Recorded; problem #%(number)s tracks it.") % {"number": item.ticket.number}
    return _("Recorded.")


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponseBase:
    """An evidence file, always as a download (never rendered inline by the browser)."""
    try:
        found = services.evidence_for(current_user(request), pk, evidence_id)
    except DomainError as error:
        raise Http404 from error
    return sandboxed_download(found.file, found.name, found.content_type)


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


def queue_panel(user: User, _user: Any) -> dict[str, Any]:
    """我的待办's routine work (``tickets.panels.queue``): the open runs assigned to ``user``,
    or to nobody in a project whose line-1 team they are in; due soonest first, one query."""
    if not user.is_vendor_staff:
        return {"queue_runs": []}
    teams = Project.line1_team.through.objects.filter(user_id=user.pk).values("project_id")
    runs = list(
        Run.objects.filter(status=Run.Status.OPEN)
        .filter(Q(assignee=user) | Q(assignee__isnull=True, routine__project__in=teams))
        .select_related("routine__project__organisation")
        .order_by("due_on", "pk")[: QUEUE_RUNS + 1]
    )
    today = clock.local(clock.now()).date()
    return {
        "queue_runs": [(run, run.due_on < today) for run in runs[:QUEUE_RUNS]],
        "queue_runs_more": len(runs) > QUEUE_RUNS,
    }
