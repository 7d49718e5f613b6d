"""Who may act on which tier: line 1 is the project's team, lines 2–4 the product's experts.

Products and projects live here, so the people of a tier are read here too; the ticket
workflow (who may accept, escalate, …), the notification rules (who hears of it) and the
SLA sweeper (who is warned) all ask this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from django.db.models import QuerySet

from campusdesk.accounts.models import User
from campusdesk.catalog.models import ProductExpert, Project
from campusdesk.core.batch import memo, shared


class OnTier(Protocol):
    """A piece of work handled by tiers (a ticket): its project, product and current tier."""

    @property
    def tier(self) -> int: ...
    @property
    def project_id(self) -> int: ...
    @property
    def product_id(self) -> int: ...
    @property
    def project(self) -> Project: ...


def tier_staff(work: OnTier, tier: int | None = None) -> QuerySet[User]:
    """The people who handle ``work`` at ``tier`` (default: its current tier)."""
    tier = tier or work.tier
    if tier == 1:
        return work.project.line1_team.filter(is_active=True)
    experts = ProductExpert.objects.filter(product_id=work.product_id, tier=tier)
    return User.objects.filter(is_active=True, id__in=experts.values("user_id"))


def tier_people(work: OnTier, tier: int | None = None) -> list[User]:
    """``tier_staff``, read once per project (line 1) or product (experts) in a batch."""
    tier = tier or work.tier
    key = ("tier", tier, work.project_id if tier == 1 else work.product_id)
    return shared(key, lambda: list(tier_staff(work, tier)))


def prime_tier_people(works: Iterable[OnTier]) -> None:
    """Inside ``core.batch.shared_lookups``, read the people of the current tiers of ``works``
    at once (two queries), not one query per project or product as their events come."""
    current = memo()
    if current is None:
        return
    works = list(works)  # read twice below (a generator would be empty the second time)
    projects = {w.project_id for w in works if w.tier == 1} - {
        key[2] for key in current if key[:2] == ("tier", 1)
    }
    experts = {(w.tier, w.product_id) for w in works if w.tier != 1} - {
        key[1:] for key in current if key[0] == "tier"
    }
    found: dict[tuple[Any, ...], list[User]] = defaultdict(list)
    if projects:
        team = Project.line1_team.through.objects.filter(
            project_id__in=projects, user__is_active=True
        ).select_related("user")
        for member in team.order_by("user_id"):
            found[("tier", 1, member.project_id)].append(member.user)
        current.update({("tier", 1, pk): found[("tier", 1, pk)] for pk in projects})
    if experts:
        rows = ProductExpert.objects.filter(
            product_id__in={product for _tier, product in experts},
            tier__in={tier for tier, _product in experts},
            user__is_active=True,
        ).select_related("user")
        for row in rows.order_by("user_id"):
            people = found[("tier", row.tier, row.product_id)]
            if all(user.pk != row.user_id for user in people):
                people.append(row.user)
        current.update({("tier", *key): found[("tier", *key)] for key in experts})
