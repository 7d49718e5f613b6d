"""The operations specialist's watch lists (seed §7.3), each a query on indexed columns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.notify.models import Delivery
from campusdesk.ops.complaints import ACTIVE, with_overdue
from campusdesk.ops.models import Complaint, CorrectiveAction
from campusdesk.ops.services import may_complete_corrective, visible_complaints
from campusdesk.tickets import selectors as tickets
from campusdesk.tickets.models import Status, Ticket

TICKET_LISTS = (
    "unaccepted",
    "nearing",
    "overdue",
    "beyond_target",
    "urged",
    "dispatch",
    "retrospectives",
)
LISTS = (*TICKET_LISTS, "complaints", "deliveries")


def _open_corrective() -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(
        ticket=OuterRef("pk"), tier=OuterRef("tier"), done_at__isnull=True
    ).order_by("filed_at", "id")


def watch(user: User, name: str, now: datetime | None = None) -> QuerySet[Ticket]:
    """The tickets of watch list ``name`` that ``user`` may see, most urgent first."""
    now = now or clock.now()
    base = tickets.visible_tickets(user).select_related(*tickets.LIST_RELATED)
    if name == "unaccepted":  # not accepted in time (seed §7: 24 h)
        return base.filter(
            status=Status.NEW, accepted_at__isnull=True, accept_by__lte=now
        ).order_by("accept_by")
    if name == "nearing":  # nearing the committed resolution time
        window = now + timedelta(hours=settings.OPS_NEARING_HOURS)
        return base.filter(
            status=Status.IN_PROGRESS,
            committed_resolution_at__gt=now,
            committed_resolution_at__lte=window,
        ).order_by("committed_resolution_at")
    if name == "overdue":  # past it: the handler owes a corrective action
        return (
            base.filter(status=Status.IN_PROGRESS, committed_resolution_at__lte=now)
            .annotate(
                has_corrective_action=Exists(_open_corrective()),
                # the page's "done" button: the open one, and its filer (who may close it)
                open_corrective_id=Subquery(_open_corrective().values("pk")[:1]),
                open_corrective_filed_by=Subquery(_open_corrective().values("filed_by")[:1]),
            )
            .order_by("committed_resolution_at")
        )
    if name == "beyond_target":  # committed later than the severity's resolution target
        return base.filter(status=Status.IN_PROGRESS, commitment_exceeds_target=True).order_by(
            "committed_resolution_at"
        )
    if name == "urged":
        return base.filter(
            status__in=[Status.NEW, Status.IN_PROGRESS, Status.PENDING_CLOSE], urge_count__gt=0
        ).order_by("-last_urged_at")
    if name == "dispatch":  # SIS1/SIS2 past the resolution target with nobody on site yet
        return base.filter(
            Q(status=Status.NEW) | Q(status=Status.IN_PROGRESS),
            severity__in=["SIS1", "SIS2"],
            resolve_by__lte=now,
            resolved_at__isnull=True,
            onsite_at__isnull=True,
        ).order_by("onsite_by")
    if name == "retrospectives":  # closed problems whose retrospective (复盘) is due
        return base.filter(retrospective__status="due").order_by("closed_at")
    raise ValueError(name)


def corrective_actions_of(ticket: Ticket, user: User) -> list[tuple[CorrectiveAction, bool]]:
    """The ticket's corrective actions for its page, each with whether ``user`` may close it
    now (vendor staff only; two queries at most)."""
    if not user.is_vendor_staff:
        return []
    rows = ticket.corrective_actions.select_related("filed_by")
    return [(a, a.done_at is None and may_complete_corrective(user, a, ticket)) for a in rows]


def open_complaints(user: User, now: datetime | None = None) -> QuerySet[Complaint]:
    """Complaints stay on the watch list until their group resolves them, the nearest
    deadline first (those without one, filed before deadlines existed, last)."""
    return (
        with_overdue(visible_complaints(user), now)
        .filter(status__in=ACTIVE)
        .select_related("organisation", "owner", "filed_by", "ticket")
        .order_by(F("due_at").asc(nulls_last=True), "created_at")
    )


def failed_deliveries(user: User) -> QuerySet[Delivery]:
    """Messages that failed for good, newest first: each says why (``last_error``); an
    administrator sends them again from the deliveries page once the cause is fixed. Staff
    who do not see every project see those of their projects' problems, robots and webhooks."""
    rows = Delivery.objects.filter(status=Delivery.Status.FAILED)
    if not scoping.sees_all_projects(user):
        projects = scoping.visible_projects(user)
        rows = rows.filter(
            Q(notification__ticket__project__in=projects)
            | Q(robot__project__in=projects)
            | Q(webhook__project__in=projects)
        )
    return rows.select_related("recipient", "robot", "webhook").order_by("-created_at", "-id")


def counts(user: User, now: datetime | None = None, cap: int | None = None) -> dict[str, int]:
    """How many in each list; with ``cap``, counted no further than ``cap + 1`` (a backlog
    of a hundred thousand need not be counted to the last one to show "999+")."""
    now = now or clock.now()

    def count(rows: QuerySet[Any]) -> int:
        return rows.order_by()[: cap + 1].count() if cap is not None else rows.count()

    result = {name: count(watch(user, name, now)) for name in TICKET_LISTS}
    result["complaints"] = count(open_complaints(user, now))
    result["deliveries"] = count(failed_deliveries(user))
    return result
