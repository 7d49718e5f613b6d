"""Writes of operations supervision. Ticket-side steps go through the ticket workflow table."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.ops.complaints import (  # complaints' services, also importable from here
    complaint_add_note as complaint_add_note,
)
from campusdesk.ops.complaints import complaint_assign as complaint_assign
from campusdesk.ops.complaints import complaint_file as complaint_file
from campusdesk.ops.complaints import complaint_resolve as complaint_resolve
from campusdesk.ops.complaints import visible_complaints as visible_complaints
from campusdesk.ops.models import CorrectiveAction, Dispatch
from campusdesk.tickets import workflow
from campusdesk.tickets.models import Channel, Ticket
from campusdesk.tickets.services import begin_action, clean_text
from campusdesk.tickets.workflow import Action


@transaction.atomic
def ops_record_add(
    *,
    ticket_id: int,
    actor: User,
    body: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> None:
    """An operations record (运营记录): vendor staff see it, customers never."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.OPS_RECORD)
    body = clean_text(body, "body")
    workflow.transition(
        ticket=ticket,
        action=Action.OPS_RECORD,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"body": body, "kind": "ops"},
        internal=True,
    )


@transaction.atomic
def corrective_action_file(
    *,
    ticket_id: int,
    actor: User,
    cause: str,
    plan: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> CorrectiveAction:
    """The handler of an overdue problem says why and what now (seed §7.3)."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.CORRECTIVE_ACTION)
    action = CorrectiveAction.objects.create(
        ticket=ticket,
        tier=ticket.tier,
        cause=clean_text(cause, "cause", limit=5000),
        plan=clean_text(plan, "plan", limit=5000),
        filed_by=actor,
        filed_at=now,
    )
    workflow.transition(
        ticket=ticket,
        action=Action.CORRECTIVE_ACTION,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"corrective_action": action.pk, "cause": action.cause, "plan": action.plan},
    )
    return action


@transaction.atomic
def corrective_action_done(
    *, action_id: int, actor: User, now: datetime | None = None
) -> CorrectiveAction:
    """Close a corrective action: its filer, the ticket's current handlers, or operations."""
    now = now or clock.now()
    action = _visible_corrective(action_id, actor)
    ticket = workflow.lock_visible(action.ticket_id, actor)
    if not may_complete_corrective(actor, action, ticket):
        raise PermissionDenied()
    if action.done_at is not None:
        raise TransitionError(_("This corrective action is already done."))
    action.done_at = now
    action.save(update_fields=["done_at"])
    workflow.record(
        ticket=ticket,
        action=Action.CORRECTIVE_DONE,
        actor=actor,
        channel=Channel.WEB,
        now=now,
        status_before=ticket.status,
        data={"corrective_action": action.pk},
    )
    return action


def may_complete_corrective(user: User, action: CorrectiveAction, ticket: Ticket) -> bool:
    """Its filer, operations, or the staff of the ticket's current tier close it."""
    if user.pk == action.filed_by_id or user.role == Role.OPS:
        return True
    return workflow.is_tier_staff(user, ticket)


def visible_corrective_actions(user: User) -> QuerySet[CorrectiveAction]:
    return scoping.scope(CorrectiveAction.objects.all(), user, "ticket__project")


def _visible_corrective(action_id: int, actor: User) -> CorrectiveAction:
    action = visible_corrective_actions(actor).filter(pk=action_id).first()
    if action is None:
        raise NotFound()
    return action


@transaction.atomic
def dispatch_record(
    *,
    ticket_id: int,
    actor: User,
    engineer_id: int | None,
    arrived_at: datetime | None,
    note: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Dispatch:
    """Engineers arrived on site (seed §6): meets the on-site deadline."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.DISPATCH)
    engineers = User.objects.filter(is_active=True)
    engineer = engineers.filter(pk=engineer_id).first() if engineer_id else None
    if engineer is None or not engineer.is_vendor_staff:
        raise ValidationError(fields={"engineer": [_("Choose the engineer who went on site.")]})
    if arrived_at is None or arrived_at > now:
        message = _("Give the time of arrival (not later than now).")
        raise ValidationError(fields={"arrived_at": [message]})
    dispatch = Dispatch.objects.create(
        ticket=ticket,
        engineer=engineer,
        arrived_at=arrived_at,
        note=clean_text(note, "note", required=False, limit=2000),
        recorded_by=actor,
        recorded_at=now,
    )
    first = min(m for m in (ticket.onsite_at, arrived_at) if m is not None)
    workflow.transition(
        ticket=ticket,
        action=Action.DISPATCH,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"onsite_at": first},
        data={
            "engineer": engineer.pk,
            "engineer_name": str(engineer),
            "arrived_at": arrived_at.isoformat(),
            "note": dispatch.note,
        },
    )
    return dispatch
