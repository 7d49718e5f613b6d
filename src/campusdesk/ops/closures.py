"""Closures that stall: a ticket waiting for its customer's closure (待关闭) reminds its
reporter after 2 and 5 working days and tells operations after 7 (seed §7.3: operations
watch every step). Working days are the project's calendar's: statutory holidays and 调休
make-up days count as the SLA counts them. A contract may close such a ticket by itself
after its ``auto_close_days`` working days (default: never, since the seed says only the
user closes); the timeline records it as closed automatically, by the ``closures`` account.

The worker's sweep reads the tickets waiting at least a working day's hours; for each, the
latest reporter reminder it has reached and the operations stage, each claimed by inserting
its ``ClosureReminder`` (unique per ticket, closure request and stage) before telling, so
two workers never send one twice. A sweep that was down sends the latest reminder reached,
not every one it missed. A rejected closure and a new request start the count again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.core import clock
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind
from campusdesk.ops.actions import CLOSURE_ACCOUNT
from campusdesk.ops.models import ClosureReminder
from campusdesk.sla import calendars
from campusdesk.sla.worktime import WorkCalendar, add_working_days
from campusdesk.tickets import workflow
from campusdesk.tickets.models import Channel, Status, Ticket
from campusdesk.tickets.workflow import Action

#: working days after the closure request at which the reporter is reminded
REPORTER_STAGES = (2, 5)
#: ... and at which operations hear that the closure stalls
OPS_STAGE = 7
#: no ticket waiting less than this can have reached the first stage (two 8-hour days)
FIRST_POSSIBLE = timedelta(hours=16)


@dataclass
class _Calendars:
    """The projects' calendars, read once per sweep."""

    found: dict[int, WorkCalendar] = field(default_factory=dict)

    def of(self, ticket: Ticket) -> WorkCalendar:
        if ticket.project_id not in self.found:
            self.found[ticket.project_id] = calendars.for_project(ticket.project)
        return self.found[ticket.project_id]


def sweep(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Send the reminders due now; returns how many people were told."""
    now = now or clock.now()
    # past every stage (operations told) and no auto-close: nothing left to do for it
    finished = ClosureReminder.objects.filter(
        ticket=OuterRef("pk"), requested_at=OuterRef("resolved_at"), stage=OPS_STAGE
    )
    waiting = (
        Ticket.objects.filter(
            status=Status.PENDING_CLOSE,
            resolved_at__isnull=False,
            resolved_at__lte=now - FIRST_POSSIBLE,
        )
        .filter(~Exists(finished) | Q(project__auto_close_days__gt=0))
        .select_related("project", "reporter")
        .order_by("resolved_at", "pk")[:limit]
    )
    work = _Calendars()
    ops: list[User] | None = None
    told = 0
    for ticket in waiting:
        reached = _reached(ticket, work.of(ticket), now)
        reminder = max((s for s in reached if s in REPORTER_STAGES), default=None)
        if reminder is not None and _claim(ticket, reminder, now):
            told += _remind(ticket, reminder, now)
        if OPS_STAGE in reached and _claim(ticket, OPS_STAGE, now):
            if ops is None:
                ops = list(User.objects.filter(role=Role.OPS, is_active=True))
            told += _tell_ops(ticket, ops, now)
        days = ticket.project.auto_close_days
        if days and _waited(ticket, days, work.of(ticket), now):
            auto_close(ticket.pk, days, now)
    return told


def _waited(ticket: Ticket, days: int, work: WorkCalendar, now: datetime) -> bool:
    assert ticket.resolved_at is not None  # noqa: S101 - filtered by the query
    return add_working_days(ticket.resolved_at.astimezone(work.tz), days, work) <= now


def closure_account() -> User:
    """The vendor-side system account that closes what a contract closes by itself."""
    vendor = Organisation.objects.filter(kind=Organisation.Kind.VENDOR).order_by("id").first()
    user, created = User.objects.get_or_create(
        username=CLOSURE_ACCOUNT,
        defaults={
            "role": Role.AGENT,
            "display_name": _("Automatic closure"),
            "organisation": vendor,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def auto_close(ticket_id: int, days: int, now: datetime) -> bool:
    """Close a ticket its customer left waiting ``days`` working days, when the contract
    says so: the timeline says it was closed automatically, with no rating. A ticket the
    customer answered meanwhile (closed, rejected) is left alone."""
    actor = closure_account()
    ticket = workflow.lock_visible(ticket_id, actor)
    if ticket.status != Status.PENDING_CLOSE:
        return False
    target = workflow.check(actor, ticket, Action.AUTO_CLOSE)
    workflow.transition(
        ticket=ticket,
        action=Action.AUTO_CLOSE,
        target=target,
        actor=actor,
        channel=Channel.SYSTEM,
        now=now,
        changes={"closed_at": now},
        data={"days": days},
    )
    return True


def _reached(ticket: Ticket, work: WorkCalendar, now: datetime) -> list[int]:
    assert ticket.resolved_at is not None  # noqa: S101 - filtered by the query
    start = ticket.resolved_at.astimezone(work.tz)
    return [
        stage
        for stage in (*REPORTER_STAGES, OPS_STAGE)
        if add_working_days(start, stage, work) <= now
    ]


def _claim(ticket: Ticket, stage: int, now: datetime) -> bool:
    """Whether this worker is the one to send ``stage`` of the ticket's closure request
    (a later stage claimed first also covers an earlier one missed)."""
    assert ticket.resolved_at is not None  # noqa: S101 - filtered by the query
    earlier = ClosureReminder.objects.filter(
        ticket=ticket, requested_at=ticket.resolved_at, stage__gte=stage
    )
    if stage in REPORTER_STAGES:
        earlier = earlier.filter(stage__in=REPORTER_STAGES)
    if earlier.exists():
        return False
    try:
        with transaction.atomic():
            ClosureReminder.objects.create(
                ticket=ticket, requested_at=ticket.resolved_at, stage=stage, sent_at=now
            )
    except IntegrityError:  # another worker claimed it first
        return False
    return True


def _remind(ticket: Ticket, stage: int, now: datetime) -> int:
    person = ticket.reporter
    if not person.is_active:
        return 0
    with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
        title = _("Problem %(number)s has waited %(days)d working days for your confirmation") % {
            "number": ticket.number,
            "days": stage,
        }
        body = _(
            "The handler has given the solution of “%(title)s”. If it is solved, close it "
            "and rate the service; if not, reject the closure and say what remains."
        ) % {"title": ticket.title}
    # the project: the e-mail's footer names the contract's engineer on duty
    inbox.tell(
        person,
        Kind.CLOSURE_REQUESTED,
        title,
        body,
        _path(ticket),
        now,
        project_id=ticket.project_id,
        robots=False,
    )
    return 1


def _tell_ops(ticket: Ticket, ops: list[User], now: datetime) -> int:
    for person in ops:
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            title = _(
                "Problem %(number)s has waited %(days)d working days for the customer's closure"
            ) % {"number": ticket.number, "days": OPS_STAGE}
            body = _(
                "%(reporter)s of %(project)s was reminded after 2 and 5 working days; "
                "call them to close it or to say what remains."
            ) % {"reporter": ticket.reporter, "project": ticket.project.name}
        inbox.tell(
            person,
            Kind.CLOSURE_REQUESTED,
            title,
            body,
            _path(ticket),
            now,
            project_id=ticket.project_id,
            robots=False,
        )
    return len(ops)


def _path(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])
