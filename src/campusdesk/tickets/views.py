"""Ticket pages: parse → check → service → render. Rules live in services and workflow."""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core import paging
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, htmx_target, is_htmx, show_errors
from campusdesk.core.widgets import FastSelect, LazySelect
from campusdesk.tickets import (
    actions,
    downloads,
    extensions,
    forms,
    panels,
    presenters,
    selectors,
    services,
    workflow,
)
from campusdesk.tickets.models import OPEN_STATUSES, Channel, IncidentReport, Ticket
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
    request: HttpRequest, user: User, *, archived: bool = False
) -> tuple[forms.QueueFilterForm, selectors.TicketFilters]:
    """The filter form and what it asks (``archived``: the form offers archived tickets)."""
    form = _filter_form(request, user)
    if archived:
        form.fields["include_archived"] = forms.IncludeArchivedField()
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
        include_archived=bool(data.get("include_archived")),
    )


def _list_page(
    request: HttpRequest, template: str, context: dict[str, Any], tickets: Any
) -> HttpResponse:
    page = paging.window(
        selectors.for_rows(tickets),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=PAGE_SIZE,
    )
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
    form, filters = _filters(request, user, archived=True)
    tickets = selectors.ticket_list(user, filters)
    if request.GET.get("mine") == "1":
        tickets = tickets.filter(reporter=user)
    if request.GET.get("open") == "1":  # not yet closed or withdrawn (the home page's link)
        tickets = tickets.filter(status__in=OPEN_STATUSES)
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
    context: dict[str, Any] = {"form": form, "queue": name}
    if htmx_target(request) != "ticket-rows":  # the apps above's sections (routine runs)
        sections, added = panels.queue.collect(user, user)
        context |= {**added, "queue_sections": sections}
    return _list_page(request, "tickets/queue.html", context, tickets)


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


def _registrable(user: User) -> Any:
    return scoping.visible_projects(user).filter(is_active=True).select_related("product")


@login_required
def ticket_register(request: HttpRequest) -> HttpResponse:
    """问题登记: the form of seed §7.1."""
    user = current_user(request)
    projects = _registrable(user)
    form = forms.RegisterForm(
        request.POST or None, projects=projects, customers=_customers_for(user)
    )
    extensions.add_form_fields(form, user, projects)  # the apps above's (a ticket's system)
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
    notes, notes_context = panels.registration.collect(user, user)
    return render(
        request,
        "tickets/register.html",
        {"form": form, "projects": projects, "registration_notes": notes, **notes_context},
    )


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
    extensions.save(ticket, user, data)
    services.attachments_add(ticket_id=ticket.pk, actor=user, uploads=files, channel=WEB)
    return ticket


# --- one ticket ---------------------------------------------------------------------------
def _visible(user: User, pk: int) -> Ticket:
    tickets = selectors.visible_tickets(user).select_related(*selectors.LIST_RELATED)
    return get_object_or_404(tickets, pk=pk)


def _action_forms(
    ticket: Ticket, user: User, bound: dict[Action, djforms.BaseForm] | None = None
) -> list[tuple[Action, Any, djforms.BaseForm, str]]:
    """(action, label, form, the URL it posts to) of each action ``user`` may take now."""
    bound = bound or {}
    result = []
    base = reverse("tickets:act", args=[ticket.pk, "-"]).removesuffix("-/")
    for action in workflow.allowed_actions(user, ticket):
        spec = actions.ACTIONS.get(action)
        form = bound.get(action) or (spec.blank_form(ticket, user) if spec else None)
        if form is not None:
            result.append((action, ACTION_LABELS[action], form, f"{base}{action.value}/"))
    return result


def _context(
    ticket: Ticket, user: User, bound: dict[Action, djforms.BaseForm] | None = None
) -> dict[str, Any]:
    templates, added = panels.collect(ticket, user)  # the side panels, the apps above's too
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
        "extra_facts": extensions.facts(ticket, user),  # the apps above's (its system)
        **added,
        "is_staff": user.is_vendor_staff,
        "following": ticket.followers.filter(user=user).exists(),
        "panels": templates,
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
    spec = actions.ACTIONS.get(action)  # type: ignore[call-overload]
    form = spec.bound_form(ticket, request.POST, request.FILES) if spec else None
    if spec is None or spec.run is None or form is None:
        raise Http404
    chosen = spec.action
    status = 200
    if form.is_valid():
        try:
            spec.run(ticket, user, form.cleaned_data, WEB)
        except DomainError as error:
            show_errors(form, error)
            status = 422 if error.status_code == 400 else error.status_code
        else:
            done = _("Done: %(action)s.") % {"action": ACTION_LABELS[chosen]}
            if not is_htmx(request):
                messages.success(request, done)
                return redirect("tickets:detail", pk=pk)
            ticket = _visible(user, pk)
            response = render(request, "tickets/_main.html", _context(ticket, user))
            return trigger_client_event(response, "toast", {"message": done})  # app.js shows it
    else:
        status = 422
    context = _context(ticket, user, {chosen: form})
    context["open_action"] = chosen
    if is_htmx(request):  # htmx swaps only 2xx answers: the form shows its errors in place
        return render(request, "tickets/_main.html", context)
    return render(request, "tickets/detail.html", context, status=status)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    return downloads.attachment(_visible(current_user(request), pk), attachment_id)


@login_required
def incident_report_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ("docx", "pdf"):
        raise Http404
    return downloads.incident_report(_visible(current_user(request), pk), kind)


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
            Q(display_name__icontains=query)
            | Q(username__icontains=query)
            | Q(phone__icontains=query)
            | Q(organisation__name__icontains=query)
            | Q(organisation__short_name__icontains=query)
        )
    return render(request, "tickets/_customer_options.html", {"customers": customers[:50]})


@login_required
def project_options(request: HttpRequest) -> HttpResponse:
    """The hotline's projects once the caller is chosen: their organisation's (htmx:
    <option>s), the chosen one kept if it is among them, the only one chosen; no caller: all."""
    user = current_user(request)
    customers = _customers_for(user)
    if customers is None:
        raise DjangoPermissionDenied
    form = forms.RegisterForm(request.GET, projects=_registrable(user), customers=customers)
    field = form["project"]
    widget = field.field.widget
    if not isinstance(widget, FastSelect):
        raise TypeError("project")
    options = list(widget.all_options())
    keys = [key for key, _label in options if key]
    chosen = str(field.value() or "")
    if chosen not in keys and len(keys) == 1:  # the caller's organisation's only contract
        chosen = keys[0]
    return HttpResponse(widget.options_html(chosen, options))
