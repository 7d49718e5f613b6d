"""Every write to a ticket goes through one of these functions (web, API, tasks alike).

Each reads the clock once, locks the ticket row (``workflow.lock_visible``), checks
the transition table (``workflow.check``: 404 / 403 / 409), validates its input
(400), and applies the change with its timeline event (``workflow.transition``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.catalog.tiers import tier_staff
from campusdesk.core import clock
from campusdesk.core.errors import PermissionDenied, TooSoon, TransitionError, ValidationError
from campusdesk.core.storage import refusing_full_disk
from campusdesk.tickets import deadlines, workflow
from campusdesk.tickets.attachments import validate_upload
from campusdesk.tickets.models import (
    Attachment,
    Channel,
    Commitment,
    IncidentReport,
    OutOfScopeType,
    ServiceType,
    Severity,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
    Urgency,
)
from campusdesk.tickets.workflow import Action

MAX_HOURS = Decimal("10000")


# --- input checks -----------------------------------------------------------------
def clean_text(value: str | None, field: str, *, required: bool = True, limit: int = 20000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(fields={field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError(
            fields={field: [_("At most %(limit)d characters.") % {"limit": limit}]}
        )
    return text


def _choice(value: str | None, field: str, choices: list[str]) -> str:
    if value not in choices:
        raise ValidationError(fields={field: [_("Choose one of the offered values.")]})
    return value


def _future(value: datetime | None, field: str, now: datetime) -> datetime:
    if value is None:
        raise ValidationError(fields={field: [_("This field is required.")]})
    if value.tzinfo is None:
        raise ValidationError(fields={field: [_("Give the time with its time zone.")]})
    if value <= now:
        raise ValidationError(fields={field: [_("The committed time must be in the future.")]})
    return value


def _hours(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(fields={field: [_("Give the hours as a number.")]}) from None
    if hours < 0 or hours >= MAX_HOURS or (positive and hours == 0):
        raise ValidationError(fields={field: [_("Give a number of hours between 0 and 9999.")]})
    return hours


def begin_action(ticket_id: int, actor: User, action: Action) -> tuple[Ticket, Status]:
    ticket = workflow.lock_visible(ticket_id, actor)
    return ticket, workflow.check(actor, ticket, action)


# --- registration -----------------------------------------------------------------
def _next_number(now: datetime) -> str:
    year = clock.local(now).year
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    increment = f'UPDATE {table} SET "last" = "last" + 1 WHERE "year" = %s RETURNING "last"'  # noqa: S608
    for _attempt in range(3):
        with connection.cursor() as cursor:  # one round trip: PostgreSQL, SQLite >= 3.35
            cursor.execute(increment, [year])
            row = cursor.fetchone()
        if row is not None:
            return TicketCounter.number(year, row[0])
        try:
            with transaction.atomic():
                TicketCounter.objects.create(year=year, last=1)
            return TicketCounter.number(year, 1)
        except IntegrityError:  # another registration created the year's counter first
            continue
    raise TransitionError(_("Could not give the problem a number; please try again."))


def _reporter_for(actor: User, reporter_id: int | None, organisation_id: int) -> User:
    if actor.role == Role.CUSTOMER:
        if reporter_id not in (None, actor.pk):
            raise PermissionDenied(_("Customers register problems in their own name."))
        return actor
    reporter = None
    if reporter_id is not None:
        reporter = (
            User.objects.filter(pk=reporter_id, role=Role.CUSTOMER, is_active=True)
            .select_related("organisation")
            .first()
        )
    if reporter is None:
        raise ValidationError(
            fields={"reporter": [_("Choose the customer user you register this problem for.")]}
        )
    if reporter.organisation_id != organisation_id:
        message = _(
            "%(caller)s is a user of %(organisation)s, and this project is another "
            "organisation's: choose a project of %(organisation)s."
        )
        organisation = reporter.organisation.name if reporter.organisation else "—"
        raise ValidationError(
            fields={"project": [message % {"caller": reporter, "organisation": organisation}]}
        )
    return reporter


def _register_project(actor: User, project_id: int | None, product_id: int | None) -> Project:
    """The active project ``actor`` may register in, checked against ``product_id``."""
    projects = scoping.visible_projects(actor).filter(is_active=True)
    project = (
        projects.select_related("organisation", "product", "service_manager")
        .filter(pk=project_id)
        .first()
        if project_id is not None
        else None
    )  # (with what the answer to the registration shows)
    if project is None:
        raise ValidationError(fields={"project": [_("Choose one of your projects.")]})
    if product_id is not None and product_id != project.product_id:
        raise ValidationError(fields={"product": [_("This project is for another product.")]})
    return project


def _outside_service_period(actor: User, project: Project, now: datetime) -> bool:
    """Whether ``now`` lies outside the project's service period (服务期). A customer cannot
    register then and is told whom to call; the vendor's staff can, and the ticket is
    flagged."""
    today = clock.local(now).date()
    if project.service_start <= today <= project.service_end:
        return False
    if actor.is_vendor_staff:
        return True
    manager = project.service_manager
    contact = (
        " ".join(
            part
            for part in (manager.get_full_name() or manager.username, manager.phone, manager.email)
            if part
        )
        if manager is not None
        else " ".join(part for part in (settings.SERVICE_HOTLINE, settings.SERVICE_EMAIL) if part)
        or _("the vendor's service desk")
    )
    message = _(
        "The service contract %(project)s runs from %(start)s to %(end)s; outside it no "
        "problem can be registered here. Please contact %(contact)s."
    ) % {
        "project": project.name,
        "start": project.service_start.isoformat(),
        "end": project.service_end.isoformat(),
        "contact": contact,
    }
    raise ValidationError(message, fields={"project": [message]})


def _register_event_data(
    ticket: Ticket, actor: User, channel: str, call_notes: str, now: datetime
) -> dict[str, Any]:
    """What the register event records: on whose behalf, and a phone call's notes."""
    data: dict[str, Any] = {
        "title": ticket.title,
        "urgency": ticket.urgency,
        "service_type": ticket.service_type,
    }
    if ticket.reporter_id != actor.pk:
        data["on_behalf_of"] = ticket.reporter_id
    if channel == Channel.PHONE:
        data["call_notes"] = clean_text(call_notes, "call_notes", required=False, limit=5000)
        data["duty_line"] = not deadlines.keeper().in_business_hours(now)
    return data


@transaction.atomic
def ticket_register(
    *,
    actor: User,
    project_id: int | None,
    product_id: int | None,
    title: str,
    description: str,
    urgency: str,
    service_type: str,
    channel: str,
    environment: str = "",
    expected_resolution_date: date | None = None,
    reporter_id: int | None = None,
    call_notes: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Register a problem (问题登记); it enters its project's line-1 queue at once.

    A service-desk agent registers a call for a customer (``reporter_id``, channel
    ``phone``) with the notes of the call; a call outside the 5×8 service centre's hours
    came in on the 7×24 duty line.
    """
    now = now or clock.now()
    project = _register_project(actor, project_id, product_id)
    out_of_contract = _outside_service_period(actor, project, now)
    if expected_resolution_date is not None and expected_resolution_date < clock.local(now).date():
        raise ValidationError(
            fields={"expected_resolution_date": [_("The expected date is in the past.")]}
        )
    ticket = Ticket(
        project=project,
        product=project.product,
        title=clean_text(title, "title", limit=200),
        description=clean_text(description, "description"),
        environment=clean_text(environment, "environment", required=False),
        urgency=_choice(urgency, "urgency", Urgency.values),
        service_type=_choice(service_type, "service_type", ServiceType.values),
        channel=_choice(channel, "channel", Channel.values),
        expected_resolution_date=expected_resolution_date,
        reporter=_reporter_for(actor, reporter_id, project.organisation_id),
        created_by=actor,
        created_at=now,
        updated_at=now,
        out_of_contract=out_of_contract,
    )
    ticket.number = _next_number(now)
    deadlines.keeper().on_register(ticket, now)
    ticket.save()
    data = _register_event_data(ticket, actor, channel, call_notes, now)
    workflow.record(
        ticket=ticket, action=Action.REGISTER, actor=actor, channel=channel, now=now, data=data
    )
    # kb marks the case suggestions it had offered: a subscriber to the register event
    return ticket


# --- handling -----------------------------------------------------------------------
#: The form's checkbox that confirms a committed time beyond the resolution target.
BEYOND_TARGET_OK = "beyond_target_ok"
#: Keys of an accept or commitment event for the vendor's staff only (an operations flag).
STAFF_DATA = ("resolve_target", "exceeds_target")


def _against_target(
    ticket: Ticket, due: datetime, severity: str | None, acknowledged: bool
) -> dict[str, Any]:
    """How commitment ``due`` stands to the severity's resolution target, for the event.

    A later time is allowed (the engineer knows the problem), but a person entering it
    confirms once (``acknowledged``); the ticket and the event keep the flag for operations.
    """
    target = deadlines.keeper().resolve_target(ticket, severity)
    if due > target and not acknowledged:
        message = _(
            "The committed time is later than the resolution target of %(severity)s "
            "(%(target)s). To keep it, tick “I know this is beyond the target time” and submit "
            "again."
        )
        when = clock.local(target).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(
            fields={BEYOND_TARGET_OK: [message % {"severity": severity, "target": when}]}
        )
    return {"resolve_target": target.isoformat(), "exceeds_target": due > target}


@transaction.atomic
def ticket_accept(
    *,
    ticket_id: int,
    actor: User,
    committed_resolution_at: datetime | None,
    severity: str | None = None,
    beyond_target_acknowledged: bool = True,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Accept (受理): severity on first acceptance, and the current tier's commitment.

    ``beyond_target_acknowledged=False`` (the web form) refuses a time beyond the target
    until the person confirms it; the API records it without asking.
    """
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ACCEPT)
    if severity or not ticket.severity:
        severity = _choice(severity, "severity", Severity.values)
    due = _future(committed_resolution_at, "committed_resolution_at", now)
    against = _against_target(ticket, due, severity or ticket.severity, beyond_target_acknowledged)
    before = ticket.severity
    Commitment.objects.create(
        ticket=ticket, tier=ticket.tier, due_at=due, set_by=actor, created_at=now
    )
    assignee = ticket.assignee_id
    if assignee is None or not tier_staff(ticket).filter(pk=assignee).exists():
        assignee = actor.pk
    workflow.transition(
        ticket=ticket,
        action=Action.ACCEPT,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={
            "severity": severity or ticket.severity,
            "committed_resolution_at": due,
            "commitment_exceeds_target": against["exceeds_target"],
            "assignee_id": assignee,
            "accepted_at": ticket.accepted_at or now,
        },
        data={
            "severity": {"before": before, "after": severity or ticket.severity},
            "committed_resolution_at": due.isoformat(),
            "assignee": assignee,
            **against,
        },
    )
    return ticket


@transaction.atomic
def ticket_change_commitment(
    *,
    ticket_id: int,
    actor: User,
    committed_resolution_at: datetime | None,
    reason: str,
    beyond_target_acknowledged: bool = True,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Move this tier's committed resolution time; the written reason is required and kept.
    A time beyond the resolution target is kept as in ``ticket_accept``."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.CHANGE_COMMITMENT)
    if not ticket.commitments.filter(tier=ticket.tier).exists():
        raise TransitionError(_("This tier has not accepted the problem yet."))
    reason = clean_text(reason, "reason", limit=2000)
    due = _future(committed_resolution_at, "committed_resolution_at", now)
    against = _against_target(ticket, due, ticket.severity, beyond_target_acknowledged)
    before = ticket.committed_resolution_at
    Commitment.objects.create(
        ticket=ticket, tier=ticket.tier, due_at=due, reason=reason, set_by=actor, created_at=now
    )
    workflow.transition(
        ticket=ticket,
        action=Action.CHANGE_COMMITMENT,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={
            "committed_resolution_at": due,
            "commitment_exceeds_target": against["exceeds_target"],
        },
        data={
            "before": before.isoformat() if before else None,
            "after": due.isoformat(),
            "reason": reason,
            **against,
        },
    )
    return ticket


@transaction.atomic
def ticket_add_record(
    *,
    ticket_id: int,
    actor: User,
    body: str,
    internal: bool = False,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> TicketEvent:
    """An investigation record (排查过程) by staff, or a comment by the customer.

    An internal note is seen by vendor staff only.
    """
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.RECORD)
    if internal and not actor.is_vendor_staff:
        raise PermissionDenied(_("Only vendor staff write internal notes."))
    body = clean_text(body, "body")
    kind = "investigation" if actor.is_vendor_staff else "comment"
    return workflow.transition(
        ticket=ticket,
        action=Action.RECORD,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"body": body, "kind": kind},
        internal=internal,
    )


@transaction.atomic
def ticket_escalate(
    *,
    ticket_id: int,
    actor: User,
    reason: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Pass the problem to the next line (升级): it waits there until that tier accepts."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ESCALATE)
    reason = clean_text(reason, "reason", limit=2000)
    workflow.transition(
        ticket=ticket,
        action=Action.ESCALATE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={
            "tier": ticket.tier + 1,
            "assignee_id": None,
            "committed_resolution_at": None,
            "commitment_exceeds_target": False,
        },
        data={"reason": reason, "from_tier": ticket.tier, "to_tier": ticket.tier + 1},
    )
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket_id: int,
    actor: User,
    user_id: int | None,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Give the problem to a handler of its current tier."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ASSIGN)
    if user_id is None or not tier_staff(ticket).filter(pk=user_id).exists():
        raise ValidationError(fields={"user": [_("Choose a handler of the current line.")]})
    before = ticket.assignee_id
    workflow.transition(
        ticket=ticket,
        action=Action.ASSIGN,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"assignee_id": user_id},
        data={"before": before, "after": user_id},
    )
    return ticket


@transaction.atomic
def ticket_request_close(
    *,
    ticket_id: int,
    actor: User,
    solution: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Ask the customer to close (申请关闭), with the solution."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.REQUEST_CLOSE)
    solution = clean_text(solution, "solution")
    if ticket.service_type == ServiceType.INCIDENT:
        report = IncidentReport.objects.filter(ticket=ticket).first()
        if report is None or not report.is_complete:
            raise TransitionError(
                _("Fill in the incident analysis report before requesting closure.")
            )
    workflow.transition(
        ticket=ticket,
        action=Action.REQUEST_CLOSE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"solution": solution},
        data={"solution": solution},
    )
    return ticket


@transaction.atomic
def ticket_reject_close(
    *,
    ticket_id: int,
    actor: User,
    reason: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """The customer rejects (驳回) the closure request: handling continues at the same tier."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.REJECT_CLOSE)
    reason = clean_text(reason, "reason", limit=2000)
    workflow.transition(
        ticket=ticket,
        action=Action.REJECT_CLOSE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"rejection_count": ticket.rejection_count + 1},
        data={"reason": reason},
    )
    return ticket


@transaction.atomic
def ticket_close(
    *,
    ticket_id: int,
    actor: User,
    rating: Any,
    workload_hours: Any,
    comment: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Only the customer closes (关闭), with a rating and confirmation of the workload."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.CLOSE)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError(fields={"rating": [_("Rate from 1 to 5.")]})
    hours = _hours(workload_hours, "workload_hours")
    comment = clean_text(comment, "comment", required=False, limit=2000)
    workflow.transition(
        ticket=ticket,
        action=Action.CLOSE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={
            "rating": rating,
            "rating_comment": comment,
            "workload_hours": hours,
            "closed_at": now,
        },
        data={"rating": rating, "comment": comment, "workload_hours": str(hours)},
    )
    # kb opens the retrospective: a subscriber to the close event
    return ticket


@transaction.atomic
def ticket_urge(
    *,
    ticket_id: int,
    actor: User,
    message: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """The customer urges (催办); counted and shown on the ticket."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.URGE)
    message = clean_text(message, "message", required=False, limit=2000)
    interval = timedelta(minutes=settings.URGE_INTERVAL_MINUTES)
    recent = ticket.events.filter(action=Action.URGE, actor=actor, at__gt=now - interval)
    if interval and recent.exists():
        raise TooSoon(
            _("You urged this problem less than %(minutes)d minutes ago; the handlers know.")
            % {"minutes": settings.URGE_INTERVAL_MINUTES}
        )
    workflow.transition(
        ticket=ticket,
        action=Action.URGE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"urge_count": ticket.urge_count + 1, "last_urged_at": now},
        data={"message": message, "count": ticket.urge_count + 1},
    )
    return ticket


@transaction.atomic
def ticket_withdraw(
    *,
    ticket_id: int,
    actor: User,
    reason: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """The reporter withdraws a problem that nobody has accepted yet."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.WITHDRAW)
    reason = clean_text(reason, "reason", required=False, limit=2000)
    workflow.transition(
        ticket=ticket,
        action=Action.WITHDRAW,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"closed_at": now},
        data={"reason": reason},
    )
    return ticket


@transaction.atomic
def ticket_mark_out_of_scope(
    *,
    ticket_id: int,
    actor: User,
    change_type: str,
    workload_hours: Any,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Flag work caused by a change outside the service promise (seed §3.1.2), for billing."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.OUT_OF_SCOPE)
    change_type = _choice(change_type, "change_type", OutOfScopeType.values)
    hours = _hours(workload_hours, "workload_hours", positive=True)
    workflow.transition(
        ticket=ticket,
        action=Action.OUT_OF_SCOPE,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        changes={"out_of_scope_type": change_type, "out_of_scope_hours": hours},
        data={
            "change_type": change_type,
            "workload_hours": str(hours),
            "before": {
                "change_type": ticket.out_of_scope_type,
                "workload_hours": str(ticket.out_of_scope_hours or ""),
            },
        },
    )
    return ticket


@transaction.atomic
def incident_report_save(
    *,
    ticket_id: int,
    actor: User,
    fields: dict[str, str],
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> IncidentReport:
    """Write the incident analysis report of an emergency incident; each save is on the timeline."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.INCIDENT_REPORT)
    report = IncidentReport.objects.filter(ticket=ticket).first() or IncidentReport(ticket=ticket)
    changed = []
    for field in IncidentReport.REQUIRED:
        if field in fields:
            limit = 100 if field == "responsible_person" else 20000
            value = clean_text(fields[field], field, required=False, limit=limit)
            if value != getattr(report, field):
                changed.append(field)
                setattr(report, field, value)
    report.updated_by = actor
    report.updated_at = now
    report.save()
    workflow.transition(
        ticket=ticket,
        action=Action.INCIDENT_REPORT,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"changed": changed, "complete": report.is_complete},
    )
    return report


@transaction.atomic
def attachment_add(
    *,
    ticket_id: int,
    actor: User,
    upload: UploadedFile,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Attachment:
    """Attach a screenshot or log; the file is kept outside the web root."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ATTACH)
    name, content_type = validate_upload(upload)
    attachment = Attachment(
        ticket=ticket,
        name=name,
        size=upload.size or 0,
        content_type=content_type,
        uploaded_by=actor,
        uploaded_at=now,
    )
    with refusing_full_disk():  # the storage removed its partial file
        attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
        workflow.transition(
            ticket=ticket,
            action=Action.ATTACH,
            target=target,
            actor=actor,
            channel=channel,
            now=now,
            data={"attachment": attachment.pk, "name": name, "size": attachment.size},
        )
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return attachment


@transaction.atomic
def attachments_add(
    *,
    ticket_id: int,
    actor: User,
    uploads: list[UploadedFile],
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> list[Attachment]:
    """Attach several files, all or none: when one fails (refused, disk full) the rows roll
    back, and the files already stored are removed with them."""
    added: list[Attachment] = []
    try:
        for upload in uploads:
            added.append(
                attachment_add(
                    ticket_id=ticket_id, actor=actor, upload=upload, channel=channel, now=now
                )
            )
    except Exception:
        for attachment in added:
            attachment.file.delete(save=False)
        raise
    return added


@transaction.atomic
def ticket_ask_info(
    *,
    ticket_id: int,
    actor: User,
    question: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """Ask the customer for information (待用户补充): the clocks stand still until they answer."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ASK_INFO)
    question = clean_text(question, "question", limit=5000)
    workflow.transition(
        ticket=ticket,
        action=Action.ASK_INFO,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"question": question},
    )
    return ticket


@transaction.atomic
def ticket_answer_info(
    *,
    ticket_id: int,
    actor: User,
    answer: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Ticket:
    """The customer answers the handler's question; the clocks run again."""
    now = now or clock.now()
    ticket, target = begin_action(ticket_id, actor, Action.ANSWER_INFO)
    answer = clean_text(answer, "answer", limit=20000)
    workflow.transition(
        ticket=ticket,
        action=Action.ANSWER_INFO,
        target=target,
        actor=actor,
        channel=channel,
        now=now,
        data={"answer": answer},
    )
    return ticket
