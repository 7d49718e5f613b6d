"""Who handled a problem in a period, read from the timeline: the KPI rows per person and per
team (按人员 / 按团队) and the person and line filters all select problems this way.

A person handled a problem in the period when, within it, they

1. accepted it (受理), escalated it (升级) or requested its closure with a solution (申请关闭);
2. or held it (were its handler): an acceptance or an assignment within the period made them
   the handler, or they were the handler when the period began (the last acceptance or
   assignment before the start named them, and no escalation came after it).

The team of such an event is the line (处理线) the problem was at when it happened, so a
line's problems are those its members handled there, each counted once.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from campusdesk.reports.periods import Period
from campusdesk.tickets.models import OPEN_STATUSES, Ticket, TicketEvent

#: the actions by which someone handles a problem
HANDLING = ("accept", "assign", "escalate", "request_close")
#: the actions that make someone the handler (the event's data names them)
GIVING = ("accept", "assign")
#: the actions after which the handler named before is no longer the handler
HANDLER_CHANGES = ("accept", "assign", "escalate")
FINISHING = ("close", "withdraw")


def _named(key: str, prefix: str) -> Cast:
    return Cast(KeyTextTransform(key, f"{prefix}data"), IntegerField())


def person(period: Period | None, prefix: str = "") -> Case:
    """Whom a handling event (the relation ``prefix`` leads to) counts for: an assignment its
    new handler; an acceptance before the period the handler it left; else whoever acted.

    (An acceptance within the period that kept an earlier handler counts for its actor: the
    handler it kept is counted by the assignment within the period, or as the handler at
    the start.)
    """
    whens = [When(Q(**{f"{prefix}action": "assign"}), then=_named("after", prefix))]
    if period is not None:
        before = Q(**{f"{prefix}action": "accept", f"{prefix}at__lt": period.start})
        whens.append(
            When(before, then=Coalesce(_named("assignee", prefix), F(f"{prefix}actor_id")))
        )
    return Case(*whens, default=F(f"{prefix}actor_id"), output_field=IntegerField())


def _held_at_start(period: Period) -> Q:
    """The event that made someone the handler the problem still had when the period began."""
    start = period.start
    later = TicketEvent.objects.filter(
        ticket_id=OuterRef("ticket_id"), action__in=HANDLER_CHANGES, at__lt=start
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    # only problems still open at the start can have had a handler then (read through the
    # indexed status and the finishing events, not a scan of every ticket's history)
    finished = TicketEvent.objects.filter(action__in=FINISHING, at__gte=start)
    open_then = Ticket.objects.filter(created_at__lt=start).filter(
        Q(status__in=OPEN_STATUSES) | Q(pk__in=finished.values("ticket_id"))
    )
    return Q(~Exists(later), action__in=GIVING, at__lt=start, ticket_id__in=open_then.values("pk"))


def events(period: Period | None) -> QuerySet[TicketEvent]:
    """The handling events of ``period`` (all of them without one), each annotated with the
    ``person`` it counts for; its ``tier`` is the team's line."""
    found = TicketEvent.objects.filter(action__in=HANDLING)
    if period is not None:
        within = Q(at__gte=period.start, at__lt=period.end)
        found = found.filter(within | _held_at_start(period))
    return found.annotate(person=person(period))
