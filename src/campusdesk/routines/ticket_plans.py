"""Emergency plans on incident tickets: an incident opens its system's plan, whose steps
become the ticket's checklist (who ticked each step, and when).

The steps are copied when the plan is opened, so a plan edited later does not change a
checklist already under way. Vendor staff who serve the ticket's project open a plan and
tick its steps while the incident is open; the customer's users read the checklist on the
ticket (they see the ticket). tickets lies below routines and knows nothing of it: the
ticket page shows the checklist through its panel registry (``routines.apps``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import FilteredRelation, Q, QuerySet
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.routines.models import EmergencyPlan, TicketPlan
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import TicketSystem
from campusdesk.systems.services import record as system_record
from campusdesk.tickets import services as tickets
from campusdesk.tickets import workflow
from campusdesk.tickets.models import OPEN_STATUSES, Channel, ServiceType, Ticket


# --- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One step of an opened plan, numbered from 0 (the API's ``/steps/{n}/``)."""

    n: int
    text: str
    done_at: datetime | None
    done_by_id: int | None
    done_by: User | None


@dataclass(frozen=True)
class OpenedPlan:
    """A plan opened on the ticket, its steps with who ticked them."""

    ticket_plan: TicketPlan
    plan: EmergencyPlan
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.done_at is not None)

    @property
    def total(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class TicketPlans:
    """What the ticket shows of emergency plans: those opened, and its system's others."""

    opened: list[OpenedPlan] = field(default_factory=list)
    #: the plans of the ticket's system not opened on it yet
    matching: list[EmergencyPlan] = field(default_factory=list)


def is_incident(ticket: Ticket) -> bool:
    return ticket.service_type == ServiceType.INCIDENT


def matching_plans(ticket: Ticket) -> QuerySet[EmergencyPlan]:
    """The emergency plans of the ticket's application system (none if it names none)."""
    return EmergencyPlan.objects.filter(system__ticket_links__ticket=ticket).order_by(
        "scenario", "pk"
    )


def plans_of(ticket: Ticket) -> TicketPlans:
    """The plans opened on an incident ticket and its system's plans not opened yet, in two
    queries at most (the ticket page's panel): the plans with their use on this ticket
    joined in (unique per ticket and plan), then the people who opened and ticked them."""
    if not is_incident(ticket):
        return TicketPlans()  # only an incident opens a plan: nothing to read
    plans = list(
        EmergencyPlan.objects.annotate(
            use=FilteredRelation("ticket_uses", condition=Q(ticket_uses__ticket=ticket))
        )
        .filter(Q(pk__in=matching_plans(ticket).values("pk")) | Q(use__isnull=False))
        .select_related("use")  # type: ignore[misc]  # the stubs know no filtered relation
        .order_by("scenario", "pk")
    )
    # ``use``: the plan's row on this ticket; not set when it is not opened on it
    uses = [(plan, use) for plan in plans if (use := getattr(plan, "use", None)) is not None]
    people = _people(ticket_plan for _plan, ticket_plan in uses)
    opened = []
    for plan, ticket_plan in sorted(uses, key=lambda pair: (pair[1].opened_at, pair[1].pk)):
        ticket_plan.plan = plan
        if ticket_plan.opened_by_id in people:
            ticket_plan.opened_by = people[ticket_plan.opened_by_id]
        opened.append(OpenedPlan(ticket_plan, plan, _steps(ticket_plan, people)))
    matching: list[EmergencyPlan] = [p for p in plans if getattr(p, "use", None) is None]
    return TicketPlans(opened=opened, matching=matching)


def _people(rows: Iterable[TicketPlan]) -> dict[int, User]:
    """Who opened ``rows`` and ticked their steps, by id (one query)."""
    ids: set[int] = set()
    for ticket_plan in rows:
        ids.add(ticket_plan.opened_by_id)
        ids.update(step["done_by"] for step in ticket_plan.steps if step.get("done_by"))
    return User.objects.in_bulk(ids) if ids else {}


def _steps(ticket_plan: TicketPlan, people: dict[int, User]) -> list[Step]:
    return [
        Step(
            n=n,
            text=str(step.get("text", "")),
            done_at=datetime.fromisoformat(step["done_at"]) if step.get("done_at") else None,
            done_by_id=step.get("done_by"),
            done_by=people.get(step["done_by"]) if step.get("done_by") else None,
        )
        for n, step in enumerate(ticket_plan.steps)
    ]


def opened_plan(ticket_plan: TicketPlan) -> OpenedPlan:
    """One opened plan as ``plans_of`` shows it (the API's answer to a write)."""
    people = _people([ticket_plan])
    return OpenedPlan(ticket_plan, ticket_plan.plan, _steps(ticket_plan, people))


def ticket_plan_for(ticket: Ticket, plan_id: int) -> TicketPlan:
    """The plan ``plan_id`` as opened on ``ticket`` (a ticket the caller sees)."""
    found = TicketPlan.objects.select_related("plan").filter(ticket=ticket, plan_id=plan_id)
    ticket_plan = found.first()
    if ticket_plan is None:
        raise NotFound(_("This emergency plan has not been opened on this problem."))
    return ticket_plan


# --- writing ---------------------------------------------------------------------------------
def _must_serve(actor: User, ticket: Ticket) -> None:
    if not systems.may_manage(actor, ticket.project):
        raise PermissionDenied(
            _("Only the vendor's staff of the problem's project carry out its emergency plans.")
        )


def _must_be_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise TransitionError(
            _("The problem is %(status)s: its emergency plans no longer change.")
            % {"status": ticket.get_status_display()}
        )


def _plan_of_system(ticket: Ticket, plan_id: int) -> EmergencyPlan:
    link = TicketSystem.objects.select_related("system").filter(ticket=ticket).first()
    if link is None:
        raise ValidationError(
            _("This problem names no application system, so no emergency plan applies.")
        )
    plan = EmergencyPlan.objects.filter(pk=plan_id).first()
    if plan is None or plan.system_id != link.system_id:
        message = _("Choose an emergency plan of the problem's application system, %(system)s.")
        message %= {"system": link.system.name}
        raise ValidationError(message, fields={"plan": [message]})
    plan.system = link.system
    return plan


@transaction.atomic
def plan_open(
    *,
    actor: User,
    ticket: Ticket,
    plan_id: int,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> TicketPlan:
    """Open an emergency plan of the ticket's system on an open incident: its steps become
    the ticket's checklist; the ticket's timeline and the system's record it. Once per plan.
    """
    now = now or clock.now()
    ticket = workflow.lock_visible(ticket.pk, actor)  # another's ticket: NotFound
    _must_serve(actor, ticket)
    if not is_incident(ticket):
        raise ValidationError(_("Only an emergency incident opens an emergency plan."))
    _must_be_open(ticket)
    plan = _plan_of_system(ticket, plan_id)
    twice = ValidationError(_("This emergency plan is already open on this problem."))
    if TicketPlan.objects.filter(ticket=ticket, plan=plan).exists():
        raise twice
    steps = [{"text": text, "done_at": None, "done_by": None} for text in plan.steps]
    try:
        with transaction.atomic():  # the unique key, should a second open slip past the lock
            opened = TicketPlan.objects.create(
                ticket=ticket, plan=plan, steps=steps, opened_by=actor, opened_at=now
            )
    except IntegrityError:
        raise twice from None
    system_record(
        plan.system,
        "plan.opened",
        actor,
        now,
        plan=plan.pk,
        scenario=plan.scenario,
        ticket=ticket.pk,
        number=ticket.number,
    )
    tickets.ticket_add_record(
        ticket_id=ticket.pk,
        actor=actor,
        body=_("Emergency plan opened: %(scenario)s (%(steps)d steps).")
        % {"scenario": plan.scenario, "steps": len(steps)},
        channel=channel,
        now=now,
    )
    return opened


@transaction.atomic
def step_toggle(
    *, actor: User, ticket_plan: TicketPlan, n: int, done: bool, now: datetime | None = None
) -> TicketPlan:
    """Tick step ``n`` (from 0) of an opened plan, recording who and when, or untick it.

    The row is locked: two people ticking at once each keep their step, and a step ticked
    twice keeps its first ticking.
    """
    now = now or clock.now()
    ticket_plan = (
        TicketPlan.objects.select_for_update(of=("self",))
        .select_related("ticket__project", "plan")
        .get(pk=ticket_plan.pk)
    )
    _must_serve(actor, ticket_plan.ticket)
    _must_be_open(ticket_plan.ticket)
    if not 0 <= n < len(ticket_plan.steps):
        message = _("There is no step %(n)s: the plan's steps are numbered 0 to %(last)d.") % {
            "n": n,
            "last": len(ticket_plan.steps) - 1,
        }
        raise ValidationError(message, fields={"n": [message]})
    step = ticket_plan.steps[n]
    if done and not step.get("done_at"):
        step["done_at"], step["done_by"] = now.isoformat(), actor.pk
    elif not done:
        step["done_at"], step["done_by"] = None, None
    ticket_plan.save(update_fields=["steps"])
    return ticket_plan
