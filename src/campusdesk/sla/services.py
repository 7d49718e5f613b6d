"""Service-level clocks of tickets: set at registration, moved by transitions, fired by the sweeper.

A warning and a breach fire at most once per ticket and deadline: the firing row's
unique constraint decides, whatever number of sweepers and transitions race.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from campusdesk.catalog.tiers import prime_tier_people
from campusdesk.core import clock
from campusdesk.core.batch import shared_lookups
from campusdesk.sla import deadlines
from campusdesk.sla import policies as levels
from campusdesk.sla.deadlines import KINDS
from campusdesk.sla.models import Calendar, CalendarDay, SlaFiring, SlaPolicy
from campusdesk.sla.worktime import WorkCalendar, working_time_between
from campusdesk.tickets import workflow
from campusdesk.tickets.actions import SlaEffect, declared
from campusdesk.tickets.deadlines import STATES as STATES
from campusdesk.tickets.deadlines import DeadlineState as DeadlineState
from campusdesk.tickets.models import Channel, Ticket, TicketEvent
from campusdesk.tickets.workflow import Action

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Project

INFO, CLOSURE = "info", "closure"


@dataclass
class Context:
    """What evaluating one ticket's clocks needs, loaded once."""

    policy: SlaPolicy
    calendar: WorkCalendar
    fired: set[tuple[str, str]]


def policy_for(ticket: Ticket) -> SlaPolicy:
    return levels.policy_for(ticket)


@dataclass
class Lookups:
    """Policies and working calendars read once for many tickets (one sweep), not per ticket.

    Made per call and dropped with it: never a module-level cache that would outlive an
    administrator's change.
    """

    policies: dict[tuple[int | None, int, str], SlaPolicy] = field(default_factory=dict)
    calendars: dict[tuple[int | None, int | None, int | None], WorkCalendar] = field(
        default_factory=dict
    )

    def prime(self, tickets: list[Ticket]) -> None:
        """Read the policies of a batch of tickets at once."""
        self.policies.update(
            levels.policies_for([t for t in tickets if self._key(t) not in self.policies])
        )

    @staticmethod
    def _key(ticket: Ticket) -> tuple[int | None, int, str]:
        # pinned: the version's policy; not yet accepted: the contract's current one
        version = ticket.sla_policy_version
        return (version, ticket.project_id if version is None else 0, levels.severity_of(ticket))

    def policy(self, ticket: Ticket) -> SlaPolicy:
        key = self._key(ticket)
        if key not in self.policies:
            self.policies[key] = policy_for(ticket)
        return self.policies[key]

    def calendar(self, policy: SlaPolicy, ticket: Ticket) -> WorkCalendar:
        key = (policy.calendar_id, policy.policy_set.calendar_id, ticket.project.calendar_id)
        if key not in self.calendars:
            chosen = deadlines.calendar_of(policy, ticket.project.calendar)
            self.calendars[key] = chosen.work_calendar()
        return self.calendars[key]


def load(ticket: Ticket, lookups: Lookups | None = None) -> Context:
    lookups = Lookups() if lookups is None else lookups
    policy = lookups.policy(ticket)
    calendar = lookups.calendar(policy, ticket)
    fired: set[tuple[str, str]] = set()
    if ticket.pk is not None:
        fired = {
            (deadline, kind)
            for deadline, kind in SlaFiring.objects.filter(ticket=ticket).values_list(
                "deadline", "kind"
            )
        }
    return Context(policy=policy, calendar=calendar, fired=fired)


def met_at(ticket: Ticket, kind: str) -> datetime | None:
    """When the event that meets deadline ``kind`` happened (None: it has not happened).

    Only the stage's own event counts: acceptance, the first response, engineers on site
    (a dispatch record), the solution (resolve, and the plan of SIS3).
    """
    if kind == "accept":
        return ticket.accepted_at
    if kind == "respond":
        return ticket.responded_at
    if kind == "onsite":
        return ticket.onsite_at
    return ticket.resolved_at


def _clock_stopped_at(ticket: Ticket, kind: str) -> datetime | None:
    """When deadline ``kind`` stopped asking for anything: its event, or for the on-site
    visit also a solution given first (nobody need go; the sweeper stops watching)."""
    if kind == "onsite":
        moments = [m for m in (ticket.onsite_at, ticket.resolved_at) if m is not None]
        return min(moments, default=None)
    return met_at(ticket, kind)


def _recompute(ticket: Ticket, ctx: Context) -> None:
    for name, value in deadlines.for_ticket(ticket, ctx.policy, ctx.calendar).as_dict().items():
        setattr(ticket, name, value)


def next_check(ticket: Ticket, ctx: Context) -> datetime | None:
    """The next instant the sweeper must look at ``ticket``: a warning or a breach not yet fired."""
    if not ticket.is_open or ticket.waiting_since is not None:
        return None
    lead = timedelta(minutes=ctx.policy.warning_minutes)
    moments = []
    for kind in KINDS:
        due = getattr(ticket, f"{kind}_by")
        if due is None or _clock_stopped_at(ticket, kind) is not None:
            continue
        breached = (kind, SlaFiring.Kind.BREACHED) in ctx.fired
        if (kind, SlaFiring.Kind.WARNING) not in ctx.fired and not breached:
            moments.append(due - lead)  # (once breached, a warning would come too late)
        if not breached:
            moments.append(due)
    return min(moments, default=None)


def _standing_still(ticket: Ticket, kind: str, due: datetime) -> bool:
    """Whether ``kind``'s clock is paused short of ``due``: it moves on when the pause ends.

    ``due`` still leaves out the current pause, so a deadline the pause began before
    is not late, however long the pause lasts. Acceptance never pauses.
    """
    return ticket.waiting_since is not None and kind != "accept" and due > ticket.waiting_since


def _events(
    ticket: Ticket, ctx: Context, deadline: str, kind: str, due: datetime, now: datetime
) -> list[TicketEvent]:
    """The unsaved timeline events of one firing."""
    action = Action.SLA_WARNING if kind == SlaFiring.Kind.WARNING else Action.SLA_BREACHED
    events = [
        workflow.new_event(
            ticket=ticket,
            action=action,
            actor=None,
            channel=Channel.SYSTEM,
            now=now,
            status_before=ticket.status,
            data={"deadline": deadline, "due_at": due.isoformat(), "severity": ctx.policy.severity},
        )
    ]
    if deadline == "resolve" and kind == SlaFiring.Kind.BREACHED and ticket.onsite_by:
        # seed §6: not solved in time → engineers on site before onsite_by, and the
        # customer service department is informed (notifications read this event)
        events.append(
            workflow.new_event(
                ticket=ticket,
                action=Action.DISPATCH_REQUIRED,
                actor=None,
                channel=Channel.SYSTEM,
                now=now,
                status_before=ticket.status,
                internal=True,
                data={
                    "onsite_by": ticket.onsite_by.isoformat(),
                    "inform_group": settings.CUSTOMER_SERVICE_GROUP,
                },
            )
        )
    return events


def _due(ticket: Ticket, ctx: Context, now: datetime) -> list[tuple[str, str, datetime]]:
    """Each warning and breach of ``ticket`` due at ``now`` and not fired: (deadline, kind, due)."""
    if not ticket.is_open:
        return []
    lead = timedelta(minutes=ctx.policy.warning_minutes)
    found = []
    for kind in KINDS:
        due, met = getattr(ticket, f"{kind}_by"), _clock_stopped_at(ticket, kind)
        if due is None or (met is not None and met <= due):
            continue
        late = now >= due and (
            met > due if met is not None else not _standing_still(ticket, kind, due)
        )
        if late and (kind, SlaFiring.Kind.BREACHED) not in ctx.fired:
            found.append((kind, SlaFiring.Kind.BREACHED.value, due))
        elif (
            met is None
            and not late
            and now >= due - lead
            and ticket.waiting_since is None
            and (kind, SlaFiring.Kind.WARNING) not in ctx.fired
        ):
            found.append((kind, SlaFiring.Kind.WARNING.value, due))
    return found


def _claim(rows: list[tuple[int, str, str, datetime]], now: datetime) -> set[tuple[int, str, str]]:
    """Insert the firing rows ``(ticket_id, deadline, kind, due)``; those this call inserted.

    One statement; the unique constraint decides: a row another sweeper or a transition
    wrote first is left out (``ON CONFLICT DO NOTHING … RETURNING``, PostgreSQL and
    SQLite >= 3.35).
    """
    if not rows:
        return set()
    ops, quote = connection.ops, connection.ops.quote_name
    fields = ["ticket_id", "deadline", "kind", "due_at", "fired_at"]
    fired_at = ops.adapt_datetimefield_value(now)
    params: list[Any] = []
    for ticket_id, deadline, kind, due in rows:
        params += [ticket_id, deadline, kind, ops.adapt_datetimefield_value(due), fired_at]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    # the names are the model's own; every value is a parameter
    sql = (
        f"INSERT INTO {quote(SlaFiring._meta.db_table)} ({', '.join(map(quote, fields))}) "  # noqa: S608
        f"VALUES {placeholders} ON CONFLICT DO NOTHING "
        f"RETURNING {quote('ticket_id')}, {quote('deadline')}, {quote('kind')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(t), d, k) for t, d, k in cursor.fetchall()}


def fire_due(ticket: Ticket, ctx: Context, now: datetime) -> int:
    """Fire every warning and breach of ``ticket`` that is due at ``now``; how many fired."""
    due = _due(ticket, ctx, now)
    won = _claim([(ticket.pk, deadline, kind, at) for deadline, kind, at in due], now)
    events = []
    for deadline, kind, at in due:
        if (ticket.pk, deadline, kind) in won:
            ctx.fired.add((deadline, kind))
            events += _events(ticket, ctx, deadline, kind, at, now)
    workflow.record_many(events)
    return len(won)


# --- hooks for the ticket workflow --------------------------------------------------------
def on_register(ticket: Ticket, now: datetime) -> None:
    """Set the deadlines of a new ticket (provisional severity from the urgency)."""
    ctx = load(ticket)
    _recompute(ticket, ctx)
    ticket.next_deadline_at = next_check(ticket, ctx)


def _pause(ticket: Ticket, reason: str, now: datetime, pauses: bool) -> None:
    ticket.waiting_for = reason
    if pauses and ticket.waiting_since is None:
        ticket.waiting_since = now


def _resume(ticket: Ticket, now: datetime, calendar: WorkCalendar) -> None:
    if ticket.waiting_since is not None:
        ticket.paused_clock += now - ticket.waiting_since
        ticket.paused_working += working_time_between(ticket.waiting_since, now, calendar)
    ticket.waiting_since = None
    ticket.waiting_for = ""


def on_transition(
    ticket: Ticket, action: str, actor: User | None, now: datetime, internal: bool = False
) -> None:
    """Update the markers and pauses that ``action`` implies, then the deadlines.

    What an action does to the clocks is declared with it (``sla`` in ``tickets/actions.py``);
    an action without an effect only has its deadlines recomputed.
    """
    ctx = load(ticket)
    levels.pin(ticket, ctx.policy)
    spec = declared(action)
    effect = spec.sla if spec is not None else None
    is_staff = actor is not None and actor.is_vendor_staff
    if effect == SlaEffect.RESPONDS or (effect == SlaEffect.REPLY and is_staff and not internal):
        ticket.responded_at = ticket.responded_at or now
    # any reply of the customer answers the handler's question
    answered = effect == SlaEffect.ANSWERS_INFO or (
        effect == SlaEffect.REPLY and not is_staff and ticket.waiting_for == INFO
    )
    if effect == SlaEffect.RESOLVES:
        ticket.resolved_at = now
        _pause(ticket, CLOSURE, now, ctx.policy.pause_while_pending_close)
    elif effect == SlaEffect.REOPENS:
        ticket.resolved_at = None
        _resume(ticket, now, ctx.calendar)
    elif effect == SlaEffect.AWAITS_INFO:
        _pause(ticket, INFO, now, ctx.policy.pause_while_waiting)
    elif answered or effect == SlaEffect.RESUMES:
        _resume(ticket, now, ctx.calendar)
    _recompute(ticket, ctx)
    fire_due(ticket, ctx, now)
    ticket.next_deadline_at = next_check(ticket, ctx)


# --- the sweeper -------------------------------------------------------------------------------
#: Tickets per sweeper transaction: a fixed number of queries each, whatever fires.
SWEEP_BATCH = 250


def sweep(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Fire what is due on tickets whose next check has come; the number of firings.

    Cost grows with the due tickets, not the open ones: it reads the partial index on
    ``next_deadline_at``, in batches of ``SWEEP_BATCH`` tickets, each one transaction of
    a fixed number of queries (the tickets locked, their firings, the firing rows, the
    events, the notifications and deliveries, the new next checks).
    """
    now = now or clock.now()
    lookups = Lookups()
    fired = looked = 0
    with shared_lookups():  # the notification rules, robots, tier people … once per sweep
        while looked < limit:
            size = min(SWEEP_BATCH, limit - looked)
            batch_fired, batch_size = _sweep_batch(now, size, lookups)
            fired, looked = fired + batch_fired, looked + batch_size
            if batch_size < size:  # nothing more is due, or other sweepers hold the rest
                break
    return fired


@transaction.atomic
def _sweep_batch(now: datetime, size: int, lookups: Lookups) -> tuple[int, int]:
    """One batch of due tickets: (firings, tickets looked at)."""
    # the assignee and the service manager: who hears of the warnings and breaches
    tickets = (
        Ticket.objects.select_related("project__calendar", "project__service_manager", "assignee")
        .filter(next_deadline_at__lte=now)
        .order_by("next_deadline_at", "pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        # a ticket another sweeper or a transition holds is left to it
        tickets = tickets.select_for_update(skip_locked=True, of=("self",))
    batch = list(tickets[:size])
    if not batch:
        return 0, 0
    already: dict[int, set[tuple[str, str]]] = {ticket.pk: set() for ticket in batch}
    for ticket_id, deadline, kind in SlaFiring.objects.filter(
        ticket_id__in=list(already)
    ).values_list("ticket_id", "deadline", "kind"):
        already[ticket_id].add((deadline, kind))
    contexts, due = {}, []
    lookups.prime(batch)
    for ticket in batch:
        policy = lookups.policy(ticket)
        ctx = Context(policy, lookups.calendar(policy, ticket), already[ticket.pk])
        contexts[ticket.pk] = ctx
        due += [(ticket, deadline, kind, at) for deadline, kind, at in _due(ticket, ctx, now)]
    won = _claim([(t.pk, deadline, kind, at) for t, deadline, kind, at in due], now)
    events = []
    for ticket, deadline, kind, at in due:
        if (ticket.pk, deadline, kind) in won:
            ctx = contexts[ticket.pk]
            ctx.fired.add((deadline, kind))
            events += _events(ticket, ctx, deadline, kind, at, now)
    prime_tier_people(ticket for ticket in batch if ticket.assignee_id is None)
    workflow.record_many(events)
    for ticket in batch:
        ticket.next_deadline_at = next_check(ticket, contexts[ticket.pk])
    _save_next_checks(batch)
    return len(won), len(batch)


def _save_next_checks(tickets: list[Ticket]) -> None:
    """Write each ticket's ``next_deadline_at`` in one statement.

    On PostgreSQL an ``UPDATE … FROM (VALUES …)``: ``bulk_update``'s ``CASE`` of 250 branches
    took a sixth of a sweep there.
    """
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, ["next_deadline_at"])
        return
    quote = connection.ops.quote_name
    rows = ", ".join(["(%s::bigint, %s::timestamptz)"] * len(tickets))
    params: list[Any] = []
    for ticket in tickets:
        params += [ticket.pk, ticket.next_deadline_at]
    column = quote("next_deadline_at")
    # the names are the model's own; every value is a parameter
    sql = (
        f"UPDATE {quote(Ticket._meta.db_table)} AS t SET {column} = v.next_check "  # noqa: S608
        f"FROM (VALUES {rows}) AS v(id, next_check) WHERE t.{quote('id')} = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- state for the pages and the API -------------------------------------------------------------
# DeadlineState and STATES are tickets' (tickets.deadlines): the page and API show them


def states(
    ticket: Ticket, now: datetime | None = None, policy: SlaPolicy | None = None
) -> list[DeadlineState]:
    """Each deadline of ``ticket`` with its state and the time left at ``now``."""
    now = now or clock.now()
    lead = timedelta(minutes=(policy or policy_for(ticket)).warning_minutes)
    result = []
    for kind in KINDS:
        due = getattr(ticket, f"{kind}_by")
        if due is None:
            continue
        met = met_at(ticket, kind)
        state = _state(ticket, kind, due, met, now, lead)
        remaining = None
        if state == "paused":  # the time left stands still with the clock
            remaining = due - (ticket.waiting_since or now)
        elif state in ("running", "at_risk"):
            remaining = due - now
        label = str(deadlines.LABELS[kind])
        result.append(DeadlineState(kind, label, due, met, state, remaining))
    return result


def _state(
    ticket: Ticket, kind: str, due: datetime, met: datetime | None, now: datetime, lead: timedelta
) -> str:
    if met is not None:
        return "met" if met <= due else "breached"
    if kind == "onsite" and ticket.resolved_at is not None and ticket.resolved_at <= due:
        return "not_applicable"  # seed §6: the visit is owed only while the problem stands
    if _standing_still(ticket, kind, due):
        return "paused"
    if now >= due:
        return "breached"
    if not ticket.is_open:
        return "stopped"
    return "at_risk" if due - now <= lead else "running"


# --- administration ----------------------------------------------------------------------
def calendar_day_set(*, calendar: Calendar, day: date, kind: str, name: str = "") -> CalendarDay:
    """Add or change an override of ``calendar`` (a holiday, or an adjusted working day)."""
    entry, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=day, defaults={"kind": kind, "name": name.strip()[:100]}
    )
    return entry


def preview(
    *,
    severity: str,
    start: datetime,
    calendar: Calendar | None = None,
    project: Project | None = None,
) -> deadlines.Deadlines:
    """The deadlines a ticket of ``severity`` registered at ``start`` would get: under the
    contract's current levels and calendar when ``project`` is given, else the default ones
    (``calendar`` chooses another calendar for either)."""
    policy = levels.current_policy(project.pk if project else None, severity)
    if calendar is not None:
        work = calendar.work_calendar()
    else:
        own = project.calendar if project is not None else None
        work = deadlines.calendar_of(policy, own).work_calendar()
    return deadlines.compute(start=start, policy=policy, calendar=work)


def resolve_target(ticket: Ticket, severity: str | None = None) -> datetime:
    """The resolution deadline ``ticket`` has under ``severity``'s policy (default: its own),
    as the next transition will set it: what a committed resolution time is measured by."""
    severity = severity or levels.severity_of(ticket)
    version = ticket.sla_policy_version
    policy = (levels.pinned_policy(version, severity) if version else None) or (
        levels.current_policy(ticket.project_id, severity)
    )
    work = deadlines.calendar_of(policy, ticket.project.calendar).work_calendar()
    return deadlines.for_ticket(ticket, policy, work).resolve_by


def resolve_targets(ticket: Ticket, severities: Sequence[str]) -> dict[str, datetime]:
    """``resolve_target`` of each of ``severities`` ("": the ticket's own), the policies and
    the working calendar read once for all (the accept form offers every severity)."""
    lookups = Lookups()
    variants = {severity: _with_severity(ticket, severity) for severity in severities}
    lookups.prime(list(variants.values()))
    result = {}
    for severity, variant in variants.items():
        policy = lookups.policy(variant)
        work = lookups.calendar(policy, variant)
        result[severity] = deadlines.for_ticket(variant, policy, work).resolve_by
    return result


def _with_severity(ticket: Ticket, severity: str) -> Ticket:
    """``ticket`` as if of ``severity`` (a copy, never saved; "": the ticket itself)."""
    if not severity:
        return ticket
    variant = copy.copy(ticket)
    variant.severity = severity
    return variant


def commitment_state(ticket: Ticket, now: datetime | None = None) -> DeadlineState | None:
    """The current tier's committed resolution time as a deadline: a promise, not an SLA clock.

    Met by a solution given in time; at risk within OPS_NEARING_HOURS of it.
    """
    due = ticket.committed_resolution_at
    if due is None:
        return None
    now = now or clock.now()
    met = ticket.resolved_at
    lead = timedelta(hours=settings.OPS_NEARING_HOURS)
    if met is not None:
        state = "met" if met <= due else "breached"
    elif now >= due:
        state = "breached"
    elif not ticket.is_open:
        state = "stopped"
    else:
        state = "at_risk" if due - now <= lead else "running"
    remaining = due - now if state in ("running", "at_risk") else None
    return DeadlineState(
        "commitment", str(_("Committed resolution time")), due, met, state, remaining
    )


def in_business_hours(moment: datetime) -> bool:
    """Whether ``moment`` falls in the 5×8 service centre's hours (the default calendar)."""
    calendar = Calendar.objects.filter(is_default=True).first()
    if calendar is None:
        return True
    work = calendar.work_calendar()
    local = moment.astimezone(work.tz)
    return any(start <= local.time() < end for start, end in work.intervals(local.date()))
