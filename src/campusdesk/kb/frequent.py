"""Frequent problems (seed §7: "当某一问题出现频率过高…将进入常见问题案例库").

Closed problems of a recent period are grouped by the words they share; a group of
several that no published case covers yet is proposed to the product's experts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.catalog.models import ProductExpert
from campusdesk.core import clock
from campusdesk.kb import search
from campusdesk.kb.models import Article
from campusdesk.tickets.models import Status, Ticket

#: the words that characterise a problem: its heaviest terms
KEY_TERMS = 12
#: share of a problem's key terms a group must already have for the problem to join it
SIMILARITY = 0.5
#: a case whose search score for the group's title reaches this covers the group
COVERED = 0.5


@dataclass
class Group:
    product_id: int
    product_name: str
    terms: set[str]
    tickets: list[Ticket] = field(default_factory=list)
    covered_by: Article | None = None

    @property
    def size(self) -> int:
        return len(self.tickets)


def _key_terms(ticket: Ticket) -> set[str]:
    weights = search.terms(f"{ticket.title} {ticket.title} {ticket.description}")
    return {t for t, _w in sorted(weights.items(), key=lambda kv: -kv[1])[:KEY_TERMS]}


def _similar(group: set[str], problem: set[str]) -> bool:
    return len(group & problem) / (len(problem) or 1) >= SIMILARITY


def frequent_problems(
    *, user: User, days: int = 90, min_size: int = 3, now: datetime | None = None
) -> list[Group]:
    """Groups of at least ``min_size`` similar closed problems of the last ``days`` days,
    uncovered ones first, then the largest."""
    now = now or clock.now()
    tickets = scoping.scope(Ticket.objects.all(), user, "project").filter(
        status=Status.CLOSED, closed_at__gte=now - timedelta(days=days)
    )
    if not scoping.sees_all_projects(user):
        tickets = tickets.filter(
            product__in=ProductExpert.objects.filter(user=user).values("product")
        )
    groups: list[Group] = []
    for ticket in tickets.select_related("product").order_by("closed_at", "pk")[:5000]:
        terms = _key_terms(ticket)
        home = next(
            (g for g in groups if g.product_id == ticket.product_id and _similar(g.terms, terms)),
            None,
        )
        if home is None:
            home = Group(ticket.product_id, ticket.product.name, terms)
            groups.append(home)
        home.tickets.append(ticket)
        home.terms |= terms
    found = [g for g in groups if g.size >= min_size]
    linked = _linked_cases([t.pk for g in found for t in g.tickets])
    for group in found:
        group.covered_by = _covering_case(group, user, linked)
    return sorted(found, key=lambda g: (g.covered_by is not None, -g.size))


def _linked_cases(ticket_ids: list[int]) -> dict[int, Article]:
    """The published case made from each of these tickets, in one query for all groups."""
    linked: dict[int, Article] = {}
    cases = Article.objects.filter(source_ticket__in=ticket_ids, status=Article.Status.PUBLISHED)
    for article in cases.order_by("pk"):
        if article.source_ticket_id is not None:
            linked.setdefault(article.source_ticket_id, article)
    return linked


def _covering_case(group: Group, user: User, linked: dict[int, Article]) -> Article | None:
    for ticket in group.tickets:
        if ticket.pk in linked:
            return linked[ticket.pk]
    best = search.search(group.tickets[0].title, user=user, product_id=group.product_id, limit=1)
    return best[0][0] if best and best[0][1] >= COVERED else None
