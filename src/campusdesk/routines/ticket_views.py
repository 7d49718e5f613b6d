"""The emergency plans on the ticket page: its panel, and the two buttons it posts (open a
plan, tick or untick a step), which go back to the ticket page with a message.

The ticket is looked up through ``tickets.selectors.visible_tickets``: another
organisation's ticket is a 404, as on the ticket page itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.core.errors import DomainError
from campusdesk.core.http import current_user, raise_refusal, refusal_text
from campusdesk.routines import ticket_plans
from campusdesk.tickets.models import OPEN_STATUSES, Ticket
from campusdesk.tickets.selectors import visible_tickets


def ticket_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """What the ticket page shows of emergency plans (``tickets.panels``): nothing but on
    an incident; two queries at most. Whoever sees the ticket reads its checklists; vendor
    staff who see it serve its project (the ticket's scoping), so they open and tick."""
    if not ticket_plans.is_incident(ticket):
        return {}
    may_act = user.is_vendor_staff and ticket.status in OPEN_STATUSES
    return {"ticket_plans": ticket_plans.plans_of(ticket), "may_act_on_plans": may_act}


def _ticket(user: User, pk: int) -> Ticket:
    ticket = visible_tickets(user).select_related("project").filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def _back(ticket: Ticket, plan_id: int | None = None) -> HttpResponse:
    anchor = f"ticket-plan-{plan_id}" if plan_id else "ticket-plans"
    return redirect(f"{reverse('tickets:detail', args=[ticket.pk])}#{anchor}")


def _refused(request: HttpRequest, error: DomainError) -> None:
    """403 and 404 as such; any other refusal is said on the ticket page."""
    raise_refusal(error)
    messages.error(request, refusal_text(error))


@require_POST
@login_required
def ticket_plan_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(user, pk)
    raw = request.POST.get("plan", "")
    plan_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
    try:
        opened = ticket_plans.plan_open(actor=user, ticket=ticket, plan_id=plan_id)
    except DomainError as error:
        _refused(request, error)
        return _back(ticket)
    messages.success(
        request, _("Emergency plan opened: %(scenario)s") % {"scenario": opened.plan.scenario}
    )
    return _back(ticket, opened.plan_id)


@require_POST
@login_required
def ticket_plan_step(request: HttpRequest, pk: int, plan_pk: int, n: int) -> HttpResponse:
    user = current_user(request)
    ticket = _ticket(user, pk)
    try:
        ticket_plan = ticket_plans.ticket_plan_for(ticket, plan_pk)
        ticket_plans.step_toggle(
            actor=user, ticket_plan=ticket_plan, n=n, done=request.POST.get("done") == "1"
        )
    except DomainError as error:
        _refused(request, error)
    return _back(ticket, plan_pk)
