"""Operations pages: the watch lists, and complaints with their own track."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import VENDOR_ROLES, Role
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, show_errors
from campusdesk.ops import forms, object_lists, selectors, services
from campusdesk.ops.models import Complaint
from campusdesk.tickets import selectors as tickets
from campusdesk.tickets.models import Status, Ticket

TAB_CAP = 999  # a tab shows "999+" beyond this

LIST_LABELS: dict[str, Any] = {
    "unaccepted": gettext_lazy("Not accepted in time"),
    "nearing": gettext_lazy("Nearing the committed time"),
    "overdue": gettext_lazy("Past the committed time"),
    "beyond_target": gettext_lazy("Committed time beyond the target"),
    "urged": gettext_lazy("Urged"),
    "dispatch": gettext_lazy("On-site dispatch due"),
    "retrospectives": gettext_lazy("Retrospectives due"),
    "complaints": gettext_lazy("Complaints"),
    "deliveries": gettext_lazy("Failed notifications"),
    **{name: spec.label for name, spec in object_lists.LISTS.items()},
}


@login_required
def watch(request: HttpRequest, name: str = "unaccepted") -> HttpResponse:
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied
    if name not in (*selectors.LISTS, *object_lists.LISTS):
        raise Http404
    counts = selectors.counts(user, cap=TAB_CAP)
    for key, spec in object_lists.LISTS.items():
        counts[key] = spec.rows(user).order_by()[: TAB_CAP + 1].count()
    tabs = [
        (key, LIST_LABELS[key], f"{TAB_CAP}+" if counts[key] > TAB_CAP else counts[key])
        for key in (*selectors.LISTS, *object_lists.LISTS)
    ]
    context: dict[str, Any] = {"tabs": tabs, "name": name}
    if name in object_lists.LISTS:
        spec = object_lists.LISTS[name]
        context["rows"], context["rows_template"] = spec.rows(user)[:100], spec.template
    elif name == "complaints":
        context["complaints"] = selectors.open_complaints(user)[:100]
    elif name == "deliveries":
        context["deliveries"] = selectors.failed_deliveries(user)[:100]
    else:
        context["tickets"] = selectors.watch(user, name)[:100]
    return render(request, "ops/watch.html", context)


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    complaints = services.visible_complaints(user).select_related("organisation", "owner")
    form = None
    if user.role == Role.CUSTOMER:
        form = forms.ComplaintForm(request.POST or None, tickets=_own_tickets(user))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_file(
                    actor=user,
                    subject=data["subject"],
                    body=data["body"],
                    ticket_id=data["ticket"].pk if data["ticket"] else None,
                )
            except DomainError as error:
                show_errors(form, error)
            else:
                messages.success(
                    request, _("Complaint %(number)s filed.") % {"number": complaint.number}
                )
                return redirect("ops:complaint", pk=complaint.pk)
    return render(request, "ops/complaints.html", {"complaints": complaints[:200], "form": form})


def _own_tickets(user: User) -> Any:
    return tickets.visible_tickets(user).order_by("-created_at")[:200]


def _complaint(user: User, pk: int) -> Complaint:
    found = services.visible_complaints(user).select_related("organisation", "owner", "ticket")
    complaint = found.filter(pk=pk).first()
    if complaint is None:
        raise Http404
    return complaint


def _staff() -> Any:
    return User.objects.filter(role__in=VENDOR_ROLES, is_active=True).order_by("username")


@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    complaint = _complaint(user, pk)
    context = {
        "complaint": complaint,
        "notes": complaint.notes.select_related("actor"),
        "owner_form": forms.OwnerForm(staff=_staff()),
        "note_form": forms.NoteForm(),
        "resolve_form": forms.ResolveForm(),
        "can_assign": user.role in (Role.OPS, Role.ADMIN),
        "can_resolve": user.role in (Role.OPS, Role.ADMIN) or user.pk == complaint.owner_id,
    }
    return render(request, "ops/complaint.html", context)


@require_POST
@login_required
def complaint_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = current_user(request)
    complaint = _complaint(user, pk)
    try:
        if step == "assign":
            form: Any = forms.OwnerForm(request.POST, staff=_staff())
            if form.is_valid():
                services.complaint_assign(
                    complaint_id=complaint.pk, actor=user, owner_id=form.cleaned_data["owner"].pk
                )
        elif step == "note":
            form = forms.NoteForm(request.POST)
            if form.is_valid():
                services.complaint_add_note(
                    complaint_id=complaint.pk, actor=user, body=form.cleaned_data["body"]
                )
        elif step == "resolve":
            form = forms.ResolveForm(request.POST)
            if form.is_valid():
                services.complaint_resolve(
                    complaint_id=complaint.pk,
                    actor=user,
                    resolution=form.cleaned_data["resolution"],
                )
        else:
            raise Http404
        if not form.is_valid():
            messages.error(request, _("Please fill in the form."))
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from error
        messages.error(request, str(error))
    return redirect("ops:complaint", pk=complaint.pk)


# --- corrective actions -----------------------------------------------------------------------
def corrective_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """The ticket page's corrective actions (``tickets.panels``): vendor staff, once the
    problem was accepted (none is filed before)."""
    if ticket.status == Status.NEW:
        return {}
    return {"corrective_actions": selectors.corrective_actions_of(ticket, user)}


@require_POST
@login_required
def corrective_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a corrective action done, from the ticket page or the overdue watch list."""
    user = current_user(request)
    action = services.visible_corrective_actions(user).filter(pk=pk).first()
    if action is None:
        raise Http404
    try:
        services.corrective_action_done(action_id=action.pk, actor=user)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise PermissionDenied from error
        messages.error(request, str(error))
    else:
        messages.success(request, _("The corrective action is done."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect(f"{reverse('tickets:detail', args=[action.ticket_id])}#corrective-actions")
