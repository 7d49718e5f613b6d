"""The pages of the emergency plans: a plan with its steps, targets and drills, and its form
to write one for a system or change it.

Looked up through what the user sees (``routines.services.visible_plans``,
``systems.selectors.visible_systems``): another organisation's plan or system is a 404; the
customer reads a plan, the vendor's staff of its project write it (else 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, raise_refusal, show_errors
from campusdesk.routines import services
from campusdesk.routines.forms import PlanForm
from campusdesk.routines.models import EmergencyPlan
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem

#: how many of a plan's drills its page lists, newest first
DRILLS_SHOWN = 50


def _plan(user: User, pk: int) -> EmergencyPlan:
    plan = (
        services.visible_plans(user)
        .select_related("system__project", "system__organisation", "last_run")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404
    return plan


def _managed_system(user: User, pk: int) -> ApplicationSystem:
    try:
        system = systems.system_for(user, pk)
    except DomainError as error:
        raise Http404 from error
    if not systems.may_manage(user, system.project):
        raise PermissionDenied
    return system


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    plan = _plan(user, pk)
    drills = (
        services.visible_runs(user)
        .filter(plan=plan)
        .select_related("assignee")
        .order_by("-due_on", "-pk")[:DRILLS_SHOWN]
    )
    return render(
        request,
        "routines/plan.html",
        {
            "plan": plan,
            "overdue": services.plan_overdue(plan),
            "drills": drills,
            "routines": services.visible_routines(user).filter(plan=plan).order_by("name"),
            "may_manage": systems.may_manage(user, plan.system.project),
        },
    )


@login_required
def plan_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    system = _managed_system(user, pk)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=user, system=system, data=form.data_for_service())
        except DomainError as error:
            raise_refusal(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("routines:plan", plan.pk)
    return render(request, "routines/plan_form.html", {"form": form, "system": system})


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    plan = _plan(user, pk)
    if not systems.may_manage(user, plan.system.project):
        raise PermissionDenied
    form = PlanForm.of(plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=user, plan=plan, data=form.data_for_service())
        except DomainError as error:
            raise_refusal(error)
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("routines:plan", plan.pk)
    context = {"form": form, "system": plan.system, "plan": plan}
    return render(request, "routines/plan_form.html", context)
