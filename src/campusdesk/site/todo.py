"""The home page's first card: what its reader has to do now, each item counted and linked.

A customer: their open problems and those awaiting their confirmation (待关闭: the handler
asked to close). The handlers of a tier (line 1, the experts): problems to accept, due soon,
awaiting the customer's closure, and their routine runs due. Operations and those who
supervise: the watch lists' problems not accepted in time, nearing and past the committed
time (``ops.selectors.watch``). Vendor staff: vulnerabilities past their due date in the
systems they see; the service desk: received e-mail awaiting review.

Every item is one count query (a page of counts, never of lists), so the page's queries
stay the same whatever the backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.intake import inbound
from campusdesk.intake.models import InboundMessage
from campusdesk.ops import selectors as watch
from campusdesk.ops import systems_watch
from campusdesk.routines import services as routines
from campusdesk.routines.models import Run
from campusdesk.tickets import selectors as tickets
from campusdesk.tickets.models import OPEN_STATUSES, Status

HANDLERS = frozenset({Role.ENGINEER, Role.EXPERT2, Role.EXPERT3, Role.TASKFORCE})
#: who watches every deadline of the problems they see (seed §7.3) and supervises
SUPERVISORS = frozenset({Role.OPS, Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.ADMIN})


@dataclass(frozen=True)
class Todo:
    key: str
    label: str | Promise
    count: int
    href: str
    #: a count above zero is a deadline at stake (shown in the warning colour)
    urgent: bool = False


def todo(user: User, now: datetime | None = None) -> list[Todo]:
    """``user``'s to-do, most pressing first."""
    now = now or clock.now()
    if not user.is_vendor_staff:
        return _customer(user)
    items: list[Todo] = []
    if user.role in HANDLERS:
        items += _handler(user, now)
    if user.role in SUPERVISORS or user.is_superuser:
        items += _supervisor(user, now)
    if inbound.may_review(user):
        review = InboundMessage.objects.filter(outcome=InboundMessage.Outcome.REVIEW)
        items.append(
            Todo("mail", _("E-mail awaiting review"), review.count(), reverse("intake:mail_list"))
        )
    if user.role != Role.AGENT:
        items += _maintenance(user, now)
    return items


def _customer(user: User) -> list[Todo]:
    """Counted among the problems the customer reported (never another organisation's:
    ``visible_tickets`` keeps them to their own), in one query."""
    counts = (
        tickets.visible_tickets(user)
        .filter(reporter=user)
        .aggregate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            confirm=Count("pk", filter=Q(status=Status.PENDING_CLOSE)),
        )
    )
    mine = reverse("tickets:list") + "?mine=1"
    return [
        Todo(
            "confirm",
            _("Awaiting my confirmation"),
            counts["confirm"],
            f"{mine}&status={Status.PENDING_CLOSE}",
            urgent=True,
        ),
        Todo("open", _("My open problems"), counts["open"], f"{mine}&open=1"),
    ]


def _handler(user: User, now: datetime) -> list[Todo]:
    """The problems at the tiers ``user`` handles (as their queues), in one query."""
    soon = now + timedelta(hours=settings.OPS_NEARING_HOURS)
    counts = tickets.my_tier_tickets(user).aggregate(
        accept=Count("pk", filter=Q(status=Status.NEW)),
        soon=Count("pk", filter=Q(status=Status.IN_PROGRESS, committed_resolution_at__lte=soon)),
        closure=Count("pk", filter=Q(status=Status.PENDING_CLOSE)),
    )
    return [
        Todo("accept", _("Awaiting acceptance"), counts["accept"], reverse("tickets:queue")),
        Todo(
            "due_soon",
            _("Due within %(hours)s h or overdue") % {"hours": settings.OPS_NEARING_HOURS},
            counts["soon"],
            reverse("tickets:queue_named", args=["in_progress"]),
            urgent=True,
        ),
        Todo(
            "closure",
            _("Awaiting the customer's closure"),
            counts["closure"],
            reverse("tickets:queue_named", args=["pending_close"]),
        ),
        _runs_due(user, now),
    ]


def _runs_due(user: User, now: datetime) -> Todo:
    """Open runs due today or earlier, assigned to ``user`` or to nobody in a project whose
    line-1 team they are in (what their queue's routine work lists)."""
    teams = Project.line1_team.through.objects.filter(user_id=user.pk).values("project_id")
    runs = Run.objects.filter(status=Run.Status.OPEN, due_on__lte=clock.local(now).date())
    mine = runs.filter(Q(assignee=user) | Q(assignee__isnull=True, routine__project__in=teams))
    return Todo("runs", _("Routine runs due"), mine.count(), reverse("tickets:queue"))


def _supervisor(user: User, now: datetime) -> list[Todo]:
    """The operations watch lists' first three (the same queries as the watch page's)."""
    lists = [
        ("unaccepted", _("Not accepted in time")),
        ("nearing", _("Nearing the committed time")),
        ("overdue", _("Past the committed time")),
    ]
    items = [
        Todo(name, label, _count(watch.watch(user, name, now)), _watch_url(name), urgent=True)
        for name, label in lists
    ]
    late = routines.late_runs(user, now)
    items.append(
        Todo("late_runs", _("Routine runs past due"), _count(late), _watch_url("routine_runs"))
    )
    return items


def _maintenance(user: User, now: datetime) -> list[Todo]:
    """Vulnerabilities past their due date in the systems ``user`` sees and serves."""
    overdue = systems_watch.overdue_findings(user, clock.local(now).date())
    return [
        Todo(
            "findings",
            systems_watch.LABEL,
            _count(overdue),
            _watch_url(systems_watch.NAME),
            urgent=True,
        )
    ]


def _count(rows: QuerySet[Any]) -> int:
    return rows.order_by().count()


def _watch_url(name: str) -> str:
    return reverse("ops:watch_named", args=[name])
