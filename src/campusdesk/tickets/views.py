"""Ticket pages: parse → check → service → render. Rules live in services and workflow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core import paging
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, htmx_target, is_htmx, show_errors
from campusdesk.core.widgets import LazySelect
from campusdesk.ops import services as ops
from campusdesk.sla import services as sla
from campusdesk.tickets import downloads, forms, presenters, selectors, services, workflow
from campusdesk.tickets.models import Channel, IncidentReport, Ticket
from campusdesk.tickets.workflow import ACTION_LABELS, Action

WEB = Channel.WEB
PAGE_SIZE = 25
HANDLER_ROLES = [Role.ENGINEER, Role.EXPERT2, Role.EXPERT3, Role.TASKFORCE]


# --- lists -------------------------------------------------------------------------
def _filter_form(request: HttpRequest, user: User) -> forms.QueueFilterForm:
    """The list filter with the choices ``user`` may pick (handlers: vendor staff only)."""
    form = forms.QueueFilterForm(request.GET or None)
    forms.set_choices(form, "project", scoping.visible_projects(user))
    forms.set_choices(form, "product", scoping.visible_products(user))
    if user.is_vendor_staff:
        handlers = User.objects.filter(role__in=HANDLER_ROLES, is_active=True)
        forms.set_choices(form, "assignee", handlers)
        forms.lazy(form, "assignee")  # the vendor's every handler
    else:
        del form.fields["assignee"]
    if scoping.sees_all_projects(user):
        forms.lazy(form, "project")  # every customer's every project
    return form


def _filters(
    request: HttpRequest, user: User
) -> tuple[forms.QueueFilterForm, selectors.TicketFilters]:
    form = _filter_form(request, user)
    data = form.cleaned_data if form.is_valid() else {}
    product, project, assignee = data.get("product"), data.get("project"), data.get("assignee")
    return form, selectors.TicketFilters(
        status=data.get("status") or "",
        severity=data.get("severity") or "",
        tier=data.get("tier"),
        project=project.pk if project else None,
        product=product.pk if product else None,
        assignee=assignee.pk if assignee else None,
        search=data.get("search") or "",
    )


def _list_page(
    request: HttpRequest, template: str, context: dict[str, Any], tickets: Any
) -> HttpResponse:
    page = paging.window(
        selectors.for_rows(tickets), after=request.GET.get("after"),
        before=request.GET.get("before"), size=PAGE_SIZE,
    )  # fmt: skip
    context |= {"page": page, "rows": presenters.list_rows(page.rows)}
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    context["query"] = query.urlencode()
    if htmx_target(request) == "ticket-rows":
        return render(request, "tickets/_rows.html", context)
    return render(request, template, context)


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """All the problems the user may see (a customer: their organisation's), newest first."""
    user = current_user(request)
    form, filters = _filters(request, user)
    tickets = selectors.ticket_list(user, filters)
    if request.GET.get("mine") == "1":
        tickets = tickets.filter(reporter=user)
    return _list_page(request, "tickets/list.html", {"form": form}, tickets)


@login_required
def queue(request: HttpRequest, name: str = "new") -> HttpResponse:
    """Staff queues: my tier's problems awaiting acceptance, in progress, awaiting closure."""
    user = current_user(request)
    if not user.is_vendor_staff:
        raise DjangoPermissionDenied
    if name not in selectors.QUEUES:
        raise Http404
    form, filters = _filters(request, user)
    tickets = selectors.staff_queue(user, name, filters)
    return _list_page(request, "tickets/queue.html", {"form": form, "queue": name}, tickets)


@login_required
def filter_options(request: HttpRequest, field: str) -> HttpResponse:
    """Every option of a long list filter (``core.widgets.LazySelect``), the current one
    selected: what the filter's ``<select>`` loads when the user reaches for it."""
    form = _filter_form(request, current_user(request))
    widget = form.fields[field].widget if field in form.fields else None
    if not isinstance(widget, LazySelect):  # a short filter, or none this user has
        raise Http404
    response = HttpResponse(widget.options_html(request.GET.get(field), widget.all_options()))
    # kept a minute by this browser for this login only (another user's cookie: asked anew)
    patch_cache_control(response, private=True, max_age=60)
    patch_vary_headers(response, ["Cookie"])
    return response


# --- registration ---------------------------------------------------------------------
def _customers_for(user: User) -> Any:
    if user.role == Role.CUSTOMER:
        return None
    orgs = scoping.visible_projects(user).values("organisation_id")
    customers = User.objects.filter(role=Role.CUSTOMER, is_active=True, organisation_id__in=orgs)
    return customers.select_related("organisation").order_by("organisation__name", "username")


@login_required
def ticket_register(request: HttpRequest) -> HttpResponse:
    """问题登记: the form of seed §7.1."""
    user = current_user(request)
    projects = scoping.visible_projects(user).filter(is_active=True).select_related("product")
    form = forms.RegisterForm(
        request.POST or None, projects=projects, customers=_customers_for(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _register(user, form.cleaned_data, request.FILES.getlist("files"))
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("Problem %(number)s registered.") % {"number": ticket.number}
            )
            return redirect("tickets:detail", pk=ticket.pk)
    return render(request, "tickets/register.html", {"form": form, "projects": projects})


@transaction.atomic
def _register(user: User, data: dict[str, Any], files: list[Any]) -> Ticket:
    reporter = data.get("reporter")
    ticket = services.ticket_register(
        actor=user,
        project_id=data["project"].pk,
        product_id=None,
        title=data["title"],
        description=data["description"],
        environment=data["environment"],
        urgency=data["urgency"],
        expected_resolution_date=data["expected_resolution_date"],
        service_type=data["service_type"],
        reporter_id=reporter.pk if reporter else None,
        channel=Channel.PHONE if user.role == Role.AGENT else WEB,
        call_notes=data.get("call_notes") or "",
    )
    services.attachments_add(ticket_id=ticket.pk, actor=user, uploads=files, channel=WEB)
    return ticket


# --- one ticket ---------------------------------------------------------------------------
def _visible(user: User, pk: int) -> Ticket:
    tickets = selectors.visible_tickets(user).select_related(*selectors.LIST_RELATED)
    return get_object_or_404(tickets, pk=pk)


def _action_forms(ticket: Ticket, user: User, bound: dict[Action, djforms.BaseForm] | None = None
                  ) -> list[tuple[Action, Any, djforms.BaseForm, str]]:  # fmt: skip
    """(action, label, form, the URL it posts to) of each action ``user`` may take now."""
    bound = bound or {}
    result = []
    base = reverse("tickets:act", args=[ticket.pk, "-"]).removesuffix("-/")
    for action in workflow.allowed_actions(user, ticket):
        form = bound.get(action) or _blank_form(action, ticket, user)
        if form is not None:
            result.append((action, ACTION_LABELS[action], form, f"{base}{action.value}/"))
    return result


def _vendor_staff() -> Any:
    return User.objects.filter(role__in=HANDLER_ROLES, is_active=True).order_by("username")


def _blank_form(action: Action, ticket: Ticket, user: User) -> djforms.BaseForm | None:
    if action == Action.ASSIGN:
        return forms.AssignForm(staff=workflow.tier_staff(ticket))
    if action == Action.DISPATCH:
        return forms.DispatchForm(staff=_vendor_staff())
    if action == Action.INCIDENT_REPORT:
        if ticket.service_type != "incident":
            return None
        report = IncidentReport.objects.filter(ticket=ticket).first()
        return forms.IncidentReportForm(instance=report)
    if action == Action.RECORD and not user.is_vendor_staff:
        form = forms.RecordForm()
        del form.fields["internal"]
        return form
    form_class = FORMS.get(action)
    return form_class() if form_class else None


def _context(ticket: Ticket, user: User, bound: dict[Action, djforms.BaseForm] | None = None
             ) -> dict[str, Any]:  # fmt: skip
    return {
        "ticket": ticket,
        "events": presenters.timeline_rows(
            selectors.timeline(ticket, user), staff=user.is_vendor_staff
        ),
        "commitments": selectors.commitments(ticket),
        "attachments": ticket.attachments.select_related("uploaded_by"),
        "report": (
            IncidentReport.objects.filter(ticket=ticket).first()
            if ticket.service_type == "incident"
            else None
        ),
        "action_forms": _action_forms(ticket, user, bound),
        "deadlines": sla.states(ticket),
        "commitment": sla.commitment_state(ticket),
        "is_staff": user.is_vendor_staff,
        "following": ticket.followers.filter(user=user).exists(),
    }


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    ticket = _visible(user, pk)
    return render(request, "tickets/detail.html", _context(ticket, user))


@require_POST
@login_required
def ticket_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Carry out one workflow action from the ticket page (htmx swaps the ticket panel)."""
    user = current_user(request)
    ticket = _visible(user, pk)
    try:
        chosen = Action(action)
    except ValueError:
        raise Http404 from None
    form = _bound_form(chosen, ticket, user, request)
    status = 200
    if form.is_valid():
        try:
            HANDLERS[chosen](ticket, user, form.cleaned_data)
        except DomainError as error:
            show_errors(form, error)
            status = 422 if error.status_code == 400 else error.status_code
        else:
            if not is_htmx(request):
                messages.success(
                    request, _("Done: %(action)s.") % {"action": ACTION_LABELS[chosen]}
                )
                return redirect("tickets:detail", pk=pk)
            ticket = _visible(user, pk)
            return render(request, "tickets/_main.html", _context(ticket, user))
    else:
        status = 422
    context = _context(ticket, user, {chosen: form})
    context["open_action"] = chosen
    if is_htmx(request):  # htmx swaps only 2xx answers: the form shows its errors in place
        return render(request, "tickets/_main.html", context)
    return render(request, "tickets/detail.html", context, status=status)


def _bound_form(
    action: Action, ticket: Ticket, user: User, request: HttpRequest
) -> djforms.BaseForm:
    if action == Action.ASSIGN:
        return forms.AssignForm(request.POST, staff=workflow.tier_staff(ticket))
    if action == Action.DISPATCH:
        return forms.DispatchForm(request.POST, staff=_vendor_staff())
    if action == Action.INCIDENT_REPORT:
        return forms.IncidentReportForm(request.POST)
    if action == Action.ATTACH:
        return forms.AttachForm(request.POST, request.FILES)
    form_class = FORMS.get(action)
    if form_class is None:
        raise Http404
    return form_class(request.POST)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    return downloads.attachment(_visible(current_user(request), pk), attachment_id)


@login_required
def incident_report_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ("docx", "pdf"):
        raise Http404
    return downloads.incident_report(_visible(current_user(request), pk), kind)


# --- action table for the pages: form to parse with, service to call -----------------------------
FORMS: dict[Action, type[djforms.Form]] = {
    Action.ACCEPT: forms.AcceptForm,
    Action.CHANGE_COMMITMENT: forms.CommitmentForm,
    Action.RECORD: forms.RecordForm,
    Action.ESCALATE: forms.ReasonForm,
    Action.REQUEST_CLOSE: forms.SolutionForm,
    Action.REJECT_CLOSE: forms.ReasonForm,
    Action.CLOSE: forms.CloseForm,
    Action.URGE: forms.UrgeForm,
    Action.WITHDRAW: forms.OptionalReasonForm,
    Action.OUT_OF_SCOPE: forms.OutOfScopeForm,
    Action.ATTACH: forms.AttachForm,
    Action.ASK_INFO: forms.QuestionForm,
    Action.ANSWER_INFO: forms.AnswerForm,
    Action.OPS_RECORD: forms.OpsRecordForm,
    Action.CORRECTIVE_ACTION: forms.CorrectiveActionForm,
}

Handler = Callable[[Ticket, User, dict[str, Any]], Any]
HANDLERS: dict[Action, Handler] = {
    Action.ACCEPT: lambda t, u, d: services.ticket_accept(
        ticket_id=t.pk, actor=u, severity=d["severity"] or None,
        committed_resolution_at=d["committed_resolution_at"],
        beyond_target_acknowledged=d.get(forms.TargetCheckForm.ACK, False), channel=WEB),
    Action.CHANGE_COMMITMENT: lambda t, u, d: services.ticket_change_commitment(
        ticket_id=t.pk, actor=u, committed_resolution_at=d["committed_resolution_at"],
        reason=d["reason"], beyond_target_acknowledged=d.get(forms.TargetCheckForm.ACK, False),
        channel=WEB),
    Action.RECORD: lambda t, u, d: services.ticket_add_record(
        ticket_id=t.pk, actor=u, body=d["body"], internal=d.get("internal", False), channel=WEB),
    Action.ESCALATE: lambda t, u, d: services.ticket_escalate(
        ticket_id=t.pk, actor=u, reason=d["reason"], channel=WEB),
    Action.ASSIGN: lambda t, u, d: services.ticket_assign(
        ticket_id=t.pk, actor=u, user_id=d["user"].pk, channel=WEB),
    Action.REQUEST_CLOSE: lambda t, u, d: services.ticket_request_close(
        ticket_id=t.pk, actor=u, solution=d["solution"], channel=WEB),
    Action.REJECT_CLOSE: lambda t, u, d: services.ticket_reject_close(
        ticket_id=t.pk, actor=u, reason=d["reason"], channel=WEB),
    Action.CLOSE: lambda t, u, d: services.ticket_close(
        ticket_id=t.pk, actor=u, rating=d["rating"], comment=d["comment"],
        workload_hours=d["workload_hours"], channel=WEB),
    Action.URGE: lambda t, u, d: services.ticket_urge(
        ticket_id=t.pk, actor=u, message=d["message"], channel=WEB),
    Action.WITHDRAW: lambda t, u, d: services.ticket_withdraw(
        ticket_id=t.pk, actor=u, reason=d["reason"], channel=WEB),
    Action.OUT_OF_SCOPE: lambda t, u, d: services.ticket_mark_out_of_scope(
        ticket_id=t.pk, actor=u, change_type=d["change_type"],
        workload_hours=d["workload_hours"], channel=WEB),
    Action.INCIDENT_REPORT: lambda t, u, d: services.incident_report_save(
        ticket_id=t.pk, actor=u, fields=d, channel=WEB),
    Action.ATTACH: lambda t, u, d: services.attachment_add(
        ticket_id=t.pk, actor=u, upload=d["file"], channel=WEB),
    Action.ASK_INFO: lambda t, u, d: services.ticket_ask_info(
        ticket_id=t.pk, actor=u, question=d["question"], channel=WEB),
    Action.ANSWER_INFO: lambda t, u, d: services.ticket_answer_info(
        ticket_id=t.pk, actor=u, answer=d["answer"], channel=WEB),
    Action.OPS_RECORD: lambda t, u, d: ops.ops_record_add(
        ticket_id=t.pk, actor=u, body=d["body"], channel=WEB),
    Action.CORRECTIVE_ACTION: lambda t, u, d: ops.corrective_action_file(
        ticket_id=t.pk, actor=u, cause=d["cause"], plan=d["plan"], channel=WEB),
    Action.DISPATCH: lambda t, u, d: ops.dispatch_record(
        ticket_id=t.pk, actor=u, engineer_id=d["engineer"].pk, arrived_at=d["arrived_at"],
        note=d["note"], channel=WEB),
}  # fmt: skip


@login_required
def customer_options(request: HttpRequest) -> HttpResponse:
    """The service desk finds the caller by name, phone or organisation (htmx: <option>s)."""
    user = current_user(request)
    customers = _customers_for(user)
    if customers is None:
        raise DjangoPermissionDenied
    query = request.GET.get("who", "").strip()[:50]
    if query:
        customers = customers.filter(
            Q(display_name__icontains=query) | Q(username__icontains=query)
            | Q(phone__icontains=query) | Q(organisation__name__icontains=query)
            | Q(organisation__short_name__icontains=query)
        )  # fmt: skip
    return render(request, "tickets/_customer_options.html", {"customers": customers[:50]})
