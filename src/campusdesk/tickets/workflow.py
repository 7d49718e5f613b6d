"""The ticket workflow: one explicit transition table, enforced on every write.

Each row says: from these statuses, this action leads to that status (None: the
status stays), and who may do it. ``transition()`` checks a row, saves the ticket
and records the event; the pages and the API read ``allowed_actions()`` from the
same table to decide which actions to offer.

Checks run in this order: the ticket must be visible (else 404, never revealing
that it exists), the role must be allowed (else 403), the status must allow the
action (else 409), then the input is validated (else 400).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.tiers import tier_staff
from campusdesk.core import bulk, clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError
from campusdesk.tickets import deadlines
from campusdesk.tickets.events import publish
from campusdesk.tickets.models import OPEN_STATUSES, Channel, Status, Ticket, TicketEvent


class Action(StrEnum):
    REGISTER = "register"
    ACCEPT = "accept"
    CHANGE_COMMITMENT = "change_commitment"
    RECORD = "record"
    ESCALATE = "escalate"
    ASSIGN = "assign"
    REQUEST_CLOSE = "request_close"
    REJECT_CLOSE = "reject_close"
    CLOSE = "close"
    URGE = "urge"
    WITHDRAW = "withdraw"
    OUT_OF_SCOPE = "out_of_scope"
    INCIDENT_REPORT = "incident_report"
    ATTACH = "attach"
    ASK_INFO = "ask_info"
    ANSWER_INFO = "answer_info"
    OPS_RECORD = "ops_record"
    CORRECTIVE_ACTION = "corrective_action"
    DISPATCH = "dispatch"
    # recorded by the service-level sweeper, never taken by a person
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    DISPATCH_REQUIRED = "dispatch_required"
    CORRECTIVE_DONE = "corrective_done"
    ALERT_FIRED = "alert_fired"
    ALERT_RESOLVED = "alert_resolved"
    # recorded by the probes (campusdesk.monitoring declares them)
    PROBE_RECOVERED = "probe_recovered"
    PROBE_FLAPPED = "probe_flapped"
    CERT_WARNING = "cert_warning"
    AUTO_CLOSE = "auto_close"


ACTION_LABELS: dict[Action, str | Promise] = {
    Action.REGISTER: _("Registered"),
    Action.ACCEPT: _("Accept"),
    Action.CHANGE_COMMITMENT: _("Change committed time"),
    Action.RECORD: _("Add a record"),
    Action.ESCALATE: _("Escalate"),
    Action.ASSIGN: _("Assign"),
    Action.REQUEST_CLOSE: _("Request closure"),
    Action.REJECT_CLOSE: _("Reject closure"),
    Action.CLOSE: _("Close and rate"),
    Action.URGE: _("Urge"),
    Action.WITHDRAW: _("Withdraw"),
    Action.OUT_OF_SCOPE: _("Mark as out of scope"),
    Action.INCIDENT_REPORT: _("Incident analysis report"),
    Action.ATTACH: _("Attach a file"),
    Action.ASK_INFO: _("Ask the customer for information"),
    Action.ANSWER_INFO: _("Answer the question"),
    Action.SLA_WARNING: _("Deadline near"),
    Action.SLA_BREACHED: _("Deadline missed"),
    Action.OPS_RECORD: _("Operations record"),
    Action.CORRECTIVE_ACTION: _("File a corrective action"),
    Action.DISPATCH: _("Record on-site dispatch"),
    Action.DISPATCH_REQUIRED: _("On-site dispatch required"),
    Action.CORRECTIVE_DONE: _("Corrective action done"),
    Action.ALERT_FIRED: _("Alert fired again"),
    Action.ALERT_RESOLVED: _("Alert resolved"),
    Action.PROBE_RECOVERED: _("Probe reports the system up again"),
    Action.PROBE_FLAPPED: _("Probe reports the system down again"),
    Action.CERT_WARNING: _("Certificate expiry warning"),
    Action.AUTO_CLOSE: _("Closed automatically"),
}


def action_label(action: str) -> str:
    """What an event's action is called; an unknown one as it is stored."""
    try:
        return str(ACTION_LABELS.get(Action(action), action))
    except ValueError:
        return action


# --- who ---------------------------------------------------------------------
Who = Callable[[User, Ticket], bool]


def is_ticket_customer(user: User, ticket: Ticket) -> bool:
    """A customer user of the organisation the ticket belongs to."""
    return user.role == Role.CUSTOMER and user.organisation_id == ticket.project.organisation_id


def is_reporter(user: User, ticket: Ticket) -> bool:
    return user.pk == ticket.reporter_id


def is_tier_staff(user: User, ticket: Ticket) -> bool:
    """Whether ``user`` handles the ticket's current tier (remembered on the instance)."""
    if not user.is_vendor_staff:
        return False
    memo: dict[tuple[int, int], bool] = ticket.__dict__.setdefault("_tier_staff_memo", {})
    key = (user.pk, ticket.tier)
    if key not in memo:
        memo[key] = tier_staff(ticket).filter(pk=user.pk).exists()
    return memo[key]


def is_ops(user: User, ticket: Ticket) -> bool:
    return user.role == Role.OPS


#: Who triages monitoring alerts: the service desk, line 1 and the tiers above, operations,
#: administrators (intake's alert triage).
ALERT_HANDLERS = frozenset(
    {
        Role.AGENT,
        Role.ENGINEER,
        Role.EXPERT2,
        Role.EXPERT3,
        Role.TASKFORCE,
        Role.OPS,
        Role.ADMIN,
    }
)


def handles_alert(user: User, ticket: Ticket) -> bool:
    """A problem the monitoring raised: those who triage alerts act for its reporter (the
    source's contact, who did not see the alert) when they find it a false alarm or a
    duplicate."""
    return ticket.channel == Channel.ALERT and user.role in ALERT_HANDLERS


def is_vendor(user: User, ticket: Ticket) -> bool:
    return user.is_vendor_staff


def anyone(user: User, ticket: Ticket) -> bool:
    return True


def either(*checks: Who) -> Who:
    def check(user: User, ticket: Ticket) -> bool:
        return any(c(user, ticket) for c in checks)

    return check


# --- the table -----------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    action: Action
    sources: tuple[Status, ...]
    target: Status | None
    who: Who
    #: a condition beyond the status, and what to say when it does not hold (409)
    guard: Callable[[Ticket], bool] | None = None
    refusal: str | Promise = ""


OPEN = tuple(OPEN_STATUSES)
N, P, PC, C = Status.NEW, Status.IN_PROGRESS, Status.PENDING_CLOSE, Status.CLOSED

RULES: tuple[Rule, ...] = (
    Rule(Action.ACCEPT, (N,), P, is_tier_staff),
    Rule(Action.CHANGE_COMMITMENT, (P, PC), None, is_tier_staff),
    Rule(Action.RECORD, OPEN, None, either(is_vendor, is_ticket_customer)),
    Rule(
        Action.ESCALATE,
        (N, P),
        N,
        either(is_tier_staff, is_ops),
        guard=lambda t: t.tier < 4,
        refusal=_("The task force is the last line; it cannot be escalated."),
    ),
    Rule(Action.ASSIGN, OPEN, None, either(is_tier_staff, is_ops)),
    Rule(Action.REQUEST_CLOSE, (P,), PC, is_tier_staff),
    Rule(Action.REJECT_CLOSE, (PC,), P, is_ticket_customer),
    Rule(Action.CLOSE, (PC,), C, is_ticket_customer),
    Rule(Action.URGE, OPEN, None, is_ticket_customer),
    Rule(
        Action.WITHDRAW,
        (N,),
        Status.WITHDRAWN,
        lambda user, ticket: is_reporter(user, ticket) or handles_alert(user, ticket),
        guard=lambda t: t.accepted_at is None,
        refusal=_("The problem has been accepted; ask the handler to close it."),
    ),
    Rule(Action.OUT_OF_SCOPE, (*OPEN, C), None, either(is_tier_staff, is_ops)),
    Rule(
        Action.INCIDENT_REPORT,
        (*OPEN, C),
        None,
        is_vendor,
        guard=lambda t: t.service_type == "incident",
        refusal=_("Only emergency incidents have an incident analysis report."),
    ),
    Rule(Action.ATTACH, OPEN, None, either(is_vendor, is_ticket_customer)),
    Rule(Action.OPS_RECORD, (*OPEN, C, Status.WITHDRAWN), None, is_ops),
    Rule(
        Action.CORRECTIVE_ACTION,
        (P,),
        None,
        is_tier_staff,
        guard=lambda t: (
            t.committed_resolution_at is not None and t.committed_resolution_at <= clock.now()
        ),
        refusal=_("The problem is not past its committed resolution time."),
    ),
    Rule(
        Action.DISPATCH,
        OPEN,
        None,
        either(is_tier_staff, is_ops),
        guard=lambda t: t.severity in ("SIS1", "SIS2"),
        refusal=_("On-site dispatch is for SIS1 and SIS2 problems."),
    ),
    Rule(
        Action.ASK_INFO,
        (P,),
        None,
        is_tier_staff,
        guard=lambda t: t.waiting_for != "info",
        refusal=_("The customer has not answered the last question yet."),
    ),
    Rule(
        Action.ANSWER_INFO,
        (P,),
        None,
        is_ticket_customer,
        guard=lambda t: t.waiting_for == "info",
        refusal=_("Nobody is waiting for an answer on this problem."),
    ),
)

#: status × action → new status (the status itself where it does not change).
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (source, rule.action): rule.target or source for rule in RULES for source in rule.sources
}
RULE_OF: dict[Action, Rule] = {rule.action: rule for rule in RULES}


def add_rule(rule: Rule, label: str | Promise) -> None:
    """Add the row of an action declared elsewhere (``tickets.actions.register``)."""
    if rule.action in RULE_OF:
        raise ValueError(f"{rule.action} already has a row")
    RULE_OF[rule.action] = rule
    ACTION_LABELS[rule.action] = label
    TRANSITIONS.update({(source, rule.action): rule.target or source for source in rule.sources})


def remove_rule(action: Action) -> None:
    """Take an added row out again (``tickets.actions.unregister``)."""
    RULE_OF.pop(action, None)
    ACTION_LABELS.pop(action, None)
    for key in [key for key in TRANSITIONS if key[1] == action]:
        del TRANSITIONS[key]


def may(user: User, ticket: Ticket, action: Action) -> bool:
    """Whether ``user``'s role allows ``action`` on ``ticket`` (whatever its status)."""
    return user.is_active and RULE_OF[action].who(user, ticket)


def allowed_actions(user: User, ticket: Ticket) -> list[Action]:
    """The actions ``user`` can take on ``ticket`` now: role and status both allow them."""
    return [
        rule.action
        for rule in RULE_OF.values()
        if (ticket.status, rule.action) in TRANSITIONS
        and (rule.guard is None or rule.guard(ticket))
        and may(user, ticket, rule.action)
    ]


# --- carrying out ----------------------------------------------------------------
def lock_visible(ticket_id: int, user: User) -> Ticket:
    """The ticket, row-locked for this transaction, if ``user`` may see it; else NotFound."""
    tickets = Ticket.objects.select_related("project", "product")
    if connection.features.has_select_for_update_of:
        tickets = tickets.select_for_update(of=("self",))
    else:  # SQLite: the IMMEDIATE transaction already holds the write lock
        tickets = tickets.select_for_update()
    ticket = scoping.scope(tickets, user, "project").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such problem."))
    return ticket


def check(user: User, ticket: Ticket, action: Action) -> Status:
    """The status ``action`` leads to, or PermissionDenied / TransitionError."""
    if not may(user, ticket, action):
        raise PermissionDenied(
            _("You may not do this on this problem: %(action)s.")
            % {"action": ACTION_LABELS[action]}
        )
    target = TRANSITIONS.get((Status(ticket.status), action))
    if target is None:
        raise TransitionError(
            _("“%(action)s” is not possible while the problem is “%(status)s”.")
            % {"action": ACTION_LABELS[action], "status": ticket.get_status_display()}
        )
    rule = RULE_OF[action]
    if rule.guard is not None and not rule.guard(ticket):
        raise TransitionError(rule.refusal)
    return target


def record(
    *,
    ticket: Ticket,
    action: Action,
    actor: User | None,
    channel: str,
    now: datetime,
    status_before: str = "",
    data: dict[str, Any] | None = None,
    internal: bool = False,
    tier: int | None = None,
) -> TicketEvent:
    """Append one event to the ticket's timeline (``tier``: where it happened; default current),
    published to the subscribers (notify writes its outbox rows in this transaction)."""
    event = new_event(
        ticket=ticket,
        action=action,
        actor=actor,
        channel=channel,
        now=now,
        status_before=status_before,
        data=data,
        internal=internal,
        tier=tier,
    )
    event.save()
    publish([event])
    return event


def new_event(
    *,
    ticket: Ticket,
    action: Action,
    actor: User | None,
    channel: str,
    now: datetime,
    status_before: str = "",
    data: dict[str, Any] | None = None,
    internal: bool = False,
    tier: int | None = None,
) -> TicketEvent:
    """An unsaved timeline event, for ``record_many``."""
    return TicketEvent(
        ticket=ticket,
        action=action.value,
        actor=actor,
        channel=channel,
        at=now,
        tier=tier or ticket.tier,
        status_before=status_before,
        status_after=ticket.status,
        internal=internal,
        data=data or {},
    )


def record_many(events: list[TicketEvent]) -> list[TicketEvent]:
    """Append many events (from ``new_event``) at once, with their notifications: a fixed
    number of queries for the whole batch (the SLA sweeper's firings)."""
    if not events:
        return []
    bulk.insert(events)  # sets the pks
    publish(events)
    return events


def transition(
    *,
    ticket: Ticket,
    action: Action,
    target: Status,
    actor: User,
    channel: str,
    now: datetime,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    internal: bool = False,
) -> TicketEvent:
    """Apply ``changes`` and the new status, save, and record the event.

    ``ticket`` comes from ``lock_visible`` and ``target`` from ``check`` in the same
    transaction; the table is consulted once more so no caller can skip it.
    """
    before, tier = Status(ticket.status), ticket.tier
    if TRANSITIONS.get((before, action)) != target:
        raise TransitionError()
    for field, value in (changes or {}).items():
        setattr(ticket, field, value)
    ticket.status = target
    ticket.updated_at = now
    deadlines.keeper().on_transition(ticket, action, actor, now, internal)
    ticket.save()
    return record(
        ticket=ticket,
        action=action,
        actor=actor,
        channel=channel,
        now=now,
        status_before=before,
        data=data,
        internal=internal,
        tier=tier,
    )
