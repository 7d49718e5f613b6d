"""Operations pages: the watch lists, and complaints with their own track."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import VENDOR_ROLES, Role
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, raise_refusal, refusal_text, show_errors
from campusdesk.ops import complaints, forms, object_lists, selectors, services
from campusdesk.ops.models import Complaint
from campusdesk.tickets import selectors as tickets
from campusdesk.tickets.models import Status, Ticket

TAB_CAP = 999  # a tab shows "999+" beyond this
WATCH_PAGE = 25  # rows of a watch list per page

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


class _TabPages(Paginator[Any]):
    """The pages of a watch list, whose tab has counted its rows already: no second COUNT
    (but past the tab's cap, where the tab stopped counting)."""

    def __init__(self, rows: Any, per_page: int, *, counted: int) -> None:
        super().__init__(rows, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted if self.counted <= TAB_CAP else super().count


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
        rows, key = spec.rows(user), "rows"
        context["rows_template"] = spec.template
    elif name == "complaints":
        rows, key = selectors.open_complaints(user), "complaints"
    elif name == "deliveries":
        rows, key = selectors.failed_deliveries(user), "deliveries"
    else:
        rows, key = selectors.watch(user, name), "tickets"
    page = _TabPages(rows, WATCH_PAGE, counted=counts[name]).get_page(request.GET.get("page"))
    context |= {key: page.object_list, "page": page}
    return render(request, "ops/watch.html", context)


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = complaints.with_overdue(services.visible_complaints(user))
    rows = rows.select_related("organisation", "owner")
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
                    severity=data["severity"] or Complaint.Severity.NORMAL,
                )
            except DomainError as error:
                show_errors(form, error)
            else:
                messages.success(
                    request, _("Complaint %(number)s filed.") % {"number": complaint.number}
                )
                return redirect("ops:complaint", pk=complaint.pk)
    page = Paginator(rows, WATCH_PAGE).get_page(request.GET.get("page"))
    context = {"complaints": page.object_list, "page": page, "form": form}
    return render(request, "ops/complaints.html", context)


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
    group = complaints.group_of(complaint)
    initial = {"leader": complaint.owner_id, "members": [p.pk for p in group]}
    context = {
        "complaint": complaint,
        "notes": complaint.notes.select_related("actor"),
        "group": group,
        "overdue": complaints.is_overdue(complaint),
        "steps": complaints.steps_for(user, complaint),
        "stars": "★" * (complaint.rating or 0),
        "group_form": forms.GroupForm(staff=_staff(), initial=initial),
        "severity_form": forms.SeverityForm(initial={"severity": complaint.severity}),
        "note_form": forms.NoteForm(),
        "resolve_form": forms.ResolveForm(),
        "confirm_form": forms.ConfirmForm(),
        "reopen_form": forms.ReopenForm(),
    }
    return render(request, "ops/complaint.html", context)


#: each step of the page: its form, and the service it calls with the form's values
COMPLAINT_STEPS: dict[str, tuple[Callable[..., Any], Callable[..., Complaint]]] = {
    "assign": (
        lambda data: forms.OwnerForm(data, staff=_staff()),
        lambda d, **kw: complaints.complaint_assign(owner_id=d["owner"].pk, **kw),
    ),
    "group": (
        lambda data: forms.GroupForm(data, staff=_staff()),
        lambda d, **kw: complaints.complaint_group_set(
            leader_id=d["leader"].pk, member_ids=[p.pk for p in d["members"]], **kw
        ),
    ),
    "severity": (
        forms.SeverityForm,
        lambda d, **kw: complaints.complaint_severity_set(severity=d["severity"], **kw),
    ),
    "note": (forms.NoteForm, lambda d, **kw: complaints.complaint_add_note(body=d["body"], **kw)),
    "resolve": (
        forms.ResolveForm,
        lambda d, **kw: complaints.complaint_resolve(resolution=d["resolution"], **kw),
    ),
    "confirm": (
        forms.ConfirmForm,
        lambda d, **kw: complaints.complaint_confirm(
            rating=d["rating"], comment=d["comment"], **kw
        ),
    ),
    "reopen": (
        forms.ReopenForm,
        lambda d, **kw: complaints.complaint_reopen(reason=d["reason"], **kw),
    ),
}


@require_POST
@login_required
def complaint_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = current_user(request)
    complaint = _complaint(user, pk)
    if step not in COMPLAINT_STEPS:
        raise Http404
    make_form, run = COMPLAINT_STEPS[step]
    form = make_form(request.POST)
    if not form.is_valid():
        problems = [str(p) for ps in form.errors.values() for p in ps]
        messages.error(request, " ".join(problems) or _("Please fill in the form."))
        return redirect("ops:complaint", pk=complaint.pk)
    try:
        run(form.cleaned_data, complaint_id=complaint.pk, actor=user)
    except DomainError as error:
        raise_refusal(error)
        messages.error(request, refusal_text(error))
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
