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
from campusdesk.notify import inbox as notify
from campusdesk.ops.models import Complaint, ComplaintNote, CorrectiveAction, Dispatch
from campusdesk.tickets import workflow
from campusdesk.tickets.models import Channel, Ticket
from campusdesk.tickets.services import begin_action, clean_text
from campusdesk.tickets.workflow import Action

#: who runs a complaint's track: operations, with the service managers and HQ watching
COMPLAINT_STAFF = frozenset({Role.OPS, Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.ADMIN})


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


# --- complaints -----------------------------------------------------------------------------
def visible_complaints(user: User) -> QuerySet[Complaint]:
    complaints = Complaint.objects.all()
    if scoping.sees_all_projects(user):
        return complaints
    return complaints.filter(organisation__in=scoping.visible_organisations(user))


def _note(
    complaint: Complaint, action: ComplaintNote.Action, actor: User, body: str, now: datetime
) -> None:
    ComplaintNote.objects.create(complaint=complaint, action=action, actor=actor, body=body, at=now)


@transaction.atomic
def complaint_file(
    *,
    actor: User,
    subject: str,
    body: str,
    ticket_id: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    """A customer complains (投诉) about a problem or the service in general."""
    now = now or clock.now()
    if actor.role != Role.CUSTOMER or actor.organisation is None:
        raise PermissionDenied(_("Complaints are filed by customer users."))
    ticket = None
    if ticket_id is not None:
        ticket = scoping.scope(Ticket.objects.all(), actor, "project").filter(pk=ticket_id).first()
        if ticket is None:
            raise ValidationError(fields={"ticket": [_("Choose one of your problems.")]})
    complaint = Complaint.objects.create(
        number=f"TS{now:%Y%m%d%H%M%S%f}"[:20],
        organisation=actor.organisation,
        ticket=ticket,
        subject=clean_text(subject, "subject", limit=200),
        body=clean_text(body, "body", limit=20000),
        filed_by=actor,
        created_at=now,
    )
    complaint.number = f"TS{clock.local(now).year}-{complaint.pk:05d}"
    complaint.save(update_fields=["number"])
    _note(complaint, ComplaintNote.Action.FILED, actor, complaint.body, now)
    notify.on_complaint(complaint, now)
    return complaint


def _complaint_for(complaint_id: int, actor: User) -> Complaint:
    complaint = visible_complaints(actor).select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound()
    return complaint


@transaction.atomic
def complaint_assign(
    *, complaint_id: int, actor: User, owner_id: int | None, now: datetime | None = None
) -> Complaint:
    """Operations give the complaint an owner, who leads its handling (专项解决小组)."""
    now = now or clock.now()
    complaint = _complaint_for(complaint_id, actor)
    if actor.role not in (Role.OPS, Role.ADMIN):
        raise PermissionDenied(_("Operations specialists assign complaints."))
    if complaint.status == Complaint.Status.RESOLVED:
        raise TransitionError(_("This complaint is resolved."))
    owner = User.objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
    if owner is None or not owner.is_vendor_staff:
        raise ValidationError(fields={"owner": [_("Choose a member of the vendor's staff.")]})
    complaint.owner, complaint.status = owner, Complaint.Status.HANDLING
    complaint.save(update_fields=["owner", "status"])
    _note(complaint, ComplaintNote.Action.ASSIGNED, actor, str(owner), now)
    return complaint


@transaction.atomic
def complaint_add_note(
    *, complaint_id: int, actor: User, body: str, now: datetime | None = None
) -> Complaint:
    """A step on the complaint's track: by its owner, operations, or the customer."""
    now = now or clock.now()
    complaint = _complaint_for(complaint_id, actor)
    if not (
        actor.role in COMPLAINT_STAFF
        or actor.pk == complaint.owner_id
        or actor.organisation_id == complaint.organisation_id
    ):
        raise PermissionDenied()
    _note(complaint, ComplaintNote.Action.NOTE, actor, clean_text(body, "body", limit=20000), now)
    return complaint


@transaction.atomic
def complaint_resolve(
    *, complaint_id: int, actor: User, resolution: str, now: datetime | None = None
) -> Complaint:
    """The owner or operations close the complaint with what was done."""
    now = now or clock.now()
    complaint = _complaint_for(complaint_id, actor)
    if not (actor.role in (Role.OPS, Role.ADMIN) or actor.pk == complaint.owner_id):
        raise PermissionDenied(_("The complaint's owner or operations resolve it."))
    if complaint.status == Complaint.Status.RESOLVED:
        raise TransitionError(_("This complaint is resolved."))
    complaint.resolution = clean_text(resolution, "resolution", limit=20000)
    complaint.status, complaint.resolved_at = Complaint.Status.RESOLVED, now
    complaint.save(update_fields=["resolution", "status", "resolved_at"])
    _note(complaint, ComplaintNote.Action.RESOLVED, actor, complaint.resolution, now)
    return complaint
