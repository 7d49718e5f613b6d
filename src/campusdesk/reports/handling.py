"""Who handled a problem in a period, read from the timeline: the KPI rows per person and per
team (按人员 / 按团队) and the person and line filters all select problems this way.

A person handled a problem in the period when, within it, they accepted it (受理), were made
its handler (an assignment, 指派), escalated it (升级) or requested its closure with a
solution (申请关闭). The team of such an event is the line (处理线) the problem was at when
it happened, so a line's problems are those its members handled there, each counted once.

Only events of the period count (an index range of the timeline): a problem someone holds
without acting on it in the period is not theirs in that period's figures.
"""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, QuerySet, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from campusdesk.reports.periods import Period
from campusdesk.tickets.models import TicketEvent

#: the actions by which someone handles a problem
HANDLING = ("accept", "assign", "escalate", "request_close")


def person(prefix: str = "") -> Case:
    """Whom a handling event (the relation ``prefix`` leads to) counts for: an assignment its
    new handler, any other its actor."""
    assigned = Cast(KeyTextTransform("after", f"{prefix}data"), IntegerField())
    return Case(
        When(Q(**{f"{prefix}action": "assign"}), then=assigned),
        default=F(f"{prefix}actor_id"),
        output_field=IntegerField(),
    )


def events(period: Period | None) -> QuerySet[TicketEvent]:
    """The handling events of ``period`` (all of them without one), each annotated with the
    ``person`` it counts for; its ``tier`` is the team's line."""
    found = TicketEvent.objects.filter(action__in=HANDLING)
    if period is not None:
        found = found.filter(at__gte=period.start, at__lt=period.end)
    return found.annotate(person=person())
