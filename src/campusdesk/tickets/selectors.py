"""Reads of tickets that need care: scope, filters, queues, the timeline as a viewer sees it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import ProductExpert, Project
from campusdesk.tickets.models import Commitment, Status, Ticket, TicketEvent

LIST_RELATED = ("project__organisation", "product", "assignee", "reporter")
#: Long texts a list page's row never shows (the API's rows do show the description).
LIST_DEFERRED = ("description", "environment", "solution", "rating_comment")
#: What a row of the web lists shows (``presenters.list_rows``), and nothing more: two joins
#: instead of five keep PostgreSQL's planning of the page's query (5 ms of 6) short.
ROW_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "tier",
    "severity",
    "urge_count",
    "committed_resolution_at",
    "created_at",
    "project_id",
    "assignee_id",
    "project__name",
    "project__organisation__name",
    "project__organisation__short_name",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def visible_tickets(user: User) -> QuerySet[Ticket]:
    return scoping.scope(Ticket.objects.all(), user, "project")


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    severity: str = ""
    tier: int | None = None
    project: int | None = None
    product: int | None = None
    assignee: int | None = None
    search: str = ""
    #: archived tickets too (a search always finds them)
    include_archived: bool = False


def filtered(tickets: QuerySet[Ticket], filters: TicketFilters) -> QuerySet[Ticket]:
    exact = {
        "status": filters.status,
        "severity": filters.severity,
        "tier": filters.tier,
        "project_id": filters.project,
        "product_id": filters.product,
        "assignee_id": filters.assignee,
    }
    tickets = tickets.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    words = filters.search.split()[:5]
    if not (words or filters.include_archived):
        tickets = tickets.filter(archived=False)
    for word in words:
        tickets = tickets.filter(_matches(word))
    return tickets


def _matches(word: str) -> Q:
    """Number, title or description containing ``word``, whatever its case.

    A word without letters of any case (Chinese, digits: most searches here) is matched
    as it is: ``UPPER()`` of every title and description, which case-insensitive matching
    costs on PostgreSQL, made a search at a million tickets three times slower.
    """
    if word.upper() == word.lower():
        return Q(number=word) | Q(title__contains=word) | Q(description__contains=word)
    return Q(number__iexact=word) | Q(title__icontains=word) | Q(description__icontains=word)


def ticket_list(user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, filtered, newest first, with what a list row shows."""
    return (
        filtered(visible_tickets(user), filters)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-id")
    )


def for_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``tickets`` with only what a web list row shows (see ``ROW_FIELDS``)."""
    related = tickets.select_related(None).select_related("project__organisation", "assignee")
    return related.only(*ROW_FIELDS)


def my_tier_tickets(user: User) -> QuerySet[Ticket]:
    """Tickets whose current tier ``user`` handles: line 1 by project, higher lines by product."""
    line1 = Project.line1_team.through.objects.filter(user_id=user.pk).values("project_id")
    rule = Q(tier=1, project_id__in=line1)
    for tier in (2, 3, 4):
        products = ProductExpert.objects.filter(user=user, tier=tier).values("product_id")
        rule |= Q(tier=tier, product_id__in=products)
    return visible_tickets(user).filter(rule)


QUEUES: dict[str, tuple[Status, ...]] = {
    "new": (Status.NEW,),
    "in_progress": (Status.IN_PROGRESS,),
    "pending_close": (Status.PENDING_CLOSE,),
}


def staff_queue(user: User, queue: str, filters: TicketFilters) -> QuerySet[Ticket]:
    """A staff queue: the user's tier (all visible tickets for ops and the service desk)."""
    base = visible_tickets(user) if scoping.sees_all_projects(user) else my_tier_tickets(user)
    statuses = QUEUES.get(queue, QUEUES["new"])
    return (
        filtered(base.filter(status__in=statuses), filters)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-id")
    )


def timeline(ticket: Ticket, user: User) -> QuerySet[TicketEvent]:
    """The ticket's events oldest first; customers never see internal ones."""
    events = ticket.events.select_related("actor").order_by("at", "id")
    if not user.is_vendor_staff:
        events = events.filter(internal=False)
    return events


def commitments(ticket: Ticket) -> QuerySet[Commitment]:
    return ticket.commitments.select_related("set_by").order_by("created_at", "id")
