"""Who hears of what: each ticket event's message type and recipients (seed §7.2.1, §7.2.4).

The defaults follow the seed: a new problem goes to the project's line-1 team; every
step of the handling to the reporter and the problem's handlers; an urge to every
handler and the operations specialists; deadlines to the handler and operations, a
missed SIS1/SIS2 deadline also to the service manager and the customer service
department. Customers never hear of internal notes or vendor-only events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.notify.models import Kind
from campusdesk.tickets.models import Ticket, TicketEvent
from campusdesk.tickets.workflow import tier_staff

Audience = Callable[[Ticket, TicketEvent], Iterable[User]]
T = TypeVar("T")

_shared: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("notify_shared", default=None)


@contextmanager
def shared_lookups() -> Iterator[None]:
    """Inside the block, what does not depend on the ticket (rules, robots, webhooks, the
    operations and customer service people) is read once, not once per event.

    For a batch of events such as one sweep: the memo ends with the block, so an
    administrator's change is seen by the next batch.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def memo() -> dict[tuple[Any, ...], Any] | None:
    """The memo of the current ``shared_lookups`` block (None outside one), to fill in bulk."""
    return _shared.get()


def shared(key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()``, remembered under ``key`` inside ``shared_lookups``."""
    memo = _shared.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[no-any-return]


def reporter(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return [ticket.reporter]


def followers(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return User.objects.filter(id__in=ticket.followers.values("user_id"))


def _tier_people(ticket: Ticket, tier: int | None = None) -> list[User]:
    """``tier_staff``, read once per project (line 1) or product (experts) in a batch."""
    tier = tier or ticket.tier
    key = ("tier", tier, ticket.project_id if tier == 1 else ticket.product_id)
    return shared(key, lambda: list(tier_staff(ticket, tier)))


def prime_tier_people(tickets: Iterable[Ticket]) -> None:
    """Inside ``shared_lookups``, read the people of the current tiers of ``tickets`` at once
    (two queries), not one query per project or product as their events come."""
    from collections import defaultdict

    from campusdesk.catalog.models import ProductExpert, Project

    memo = _shared.get()
    if memo is None:
        return
    tickets = list(tickets)  # read twice below (a generator would be empty the second time)
    projects = {t.project_id for t in tickets if t.tier == 1} - {
        key[2] for key in memo if key[:2] == ("tier", 1)
    }
    experts = {(t.tier, t.product_id) for t in tickets if t.tier != 1} - {
        key[1:] for key in memo if key[0] == "tier"
    }
    found: dict[tuple[Any, ...], list[User]] = defaultdict(list)
    if projects:
        team = Project.line1_team.through.objects.filter(
            project_id__in=projects, user__is_active=True
        ).select_related("user")
        for member in team.order_by("user_id"):
            found[("tier", 1, member.project_id)].append(member.user)
        memo.update({("tier", 1, pk): found[("tier", 1, pk)] for pk in projects})
    if experts:
        rows = ProductExpert.objects.filter(
            product_id__in={product for _tier, product in experts},
            tier__in={tier for tier, _product in experts}, user__is_active=True,
        ).select_related("user")  # fmt: skip
        for row in rows.order_by("user_id"):
            people = found[("tier", row.tier, row.product_id)]
            if all(user.pk != row.user_id for user in people):
                people.append(row.user)
        memo.update({("tier", *key): found[("tier", *key)] for key in experts})


def line1(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return _tier_people(ticket, 1)


def current_tier(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    """The assignee, or the whole tier while nobody has taken it."""
    if ticket.assignee_id is not None and ticket.assignee is not None:
        return [ticket.assignee]
    return _tier_people(ticket)


def handlers(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    """Everyone of the vendor who has handled the problem at any tier, and the current tier."""
    acted = ticket.events.filter(actor__isnull=False).values("actor_id")
    earlier = User.objects.filter(
        Q(id__in=acted) & ~Q(role=Role.CUSTOMER) & ~Q(role=Role.OPS), is_active=True
    )
    return [*earlier, *current_tier(ticket, event)]


def operations(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return shared(("operations",), lambda: list(User.objects.filter(role=Role.OPS, is_active=True)))


def service_manager(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    manager = ticket.project.service_manager
    return [manager] if manager is not None else []


def customer_service(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    group = settings.CUSTOMER_SERVICE_GROUP
    return shared(
        ("customer_service", group),
        lambda: list(User.objects.filter(groups__name=group, is_active=True)),
    )


def if_serious(*audiences: Audience) -> Audience:
    """Only for SIS1 and SIS2 problems."""

    def pick(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
        if ticket.severity not in ("SIS1", "SIS2"):
            return []
        return [user for audience in audiences for user in audience(ticket, event)]

    return pick


#: The recipient groups a rule may name (the admin shows this list).
AUDIENCES: dict[str, Audience] = {
    "reporter": reporter,
    "followers": followers,
    "line1": line1,
    "current_tier": current_tier,
    "handlers": handlers,
    "operations": operations,
    "service_manager": service_manager,
    "customer_service": customer_service,
    "service_manager_if_serious": if_serious(service_manager),
    "customer_service_if_serious": if_serious(customer_service),
}

#: What each group is called where an administrator chooses them.
AUDIENCE_LABELS = {
    "reporter": _("The reporter"),
    "followers": _("Followers"),
    "line1": _("Line 1: project team"),
    "current_tier": _("The assignee, or the whole current line while nobody has taken it"),
    "handlers": _("Everyone of the vendor who has handled the problem"),
    "operations": _("Operations specialists"),
    "service_manager": _("The project's service manager"),
    "customer_service": _("The service desk"),
    "service_manager_if_serious": _("The project's service manager, for SIS1 and SIS2"),
    "customer_service_if_serious": _("The service desk, for SIS1 and SIS2"),
}

STEP = ["reporter", "followers", "handlers"]

#: The defaults (seed §7.2.1, §7.2.4): event action → (message type, recipient groups).
#: The data migration writes them as ``Rule`` rows, which administrators may edit.
DEFAULT_RULES: dict[str, tuple[Kind, list[str]]] = {
    "register": (Kind.REGISTERED, ["line1"]),
    "accept": (Kind.ACCEPTED, STEP),
    "change_commitment": (Kind.COMMITMENT, STEP),
    "record": (Kind.RECORD, STEP),
    "escalate": (Kind.ESCALATED, [*STEP, "current_tier"]),
    "assign": (Kind.ACCEPTED, ["current_tier"]),
    "ask_info": (Kind.INFO, ["reporter", "followers"]),
    "answer_info": (Kind.INFO, ["handlers"]),
    "request_close": (Kind.CLOSURE_REQUESTED, STEP),
    "reject_close": (Kind.CLOSURE_REJECTED, [*STEP, "operations"]),
    "close": (Kind.CLOSED, STEP),
    "urge": (Kind.URGED, ["handlers", "operations"]),
    "sla_warning": (Kind.SLA_WARNING, ["current_tier", "operations"]),
    "sla_breached": (Kind.SLA_BREACHED, ["current_tier", "operations",
                                         "service_manager_if_serious",
                                         "customer_service_if_serious"]),
    "dispatch_required": (Kind.DISPATCH, ["current_tier", "operations", "customer_service"]),
    "alert_resolved": (Kind.RECORD, ["current_tier", "reporter"]),
}  # fmt: skip


def rule_for(action: str) -> tuple[Kind, list[str]] | None:
    """The rule in force: the administrators' row, else the default (a row switched off: none)."""
    from campusdesk.notify.models import Rule

    row = shared(("rule", action), lambda: Rule.objects.filter(action=action).first())
    if row is not None:
        return (Kind(row.kind), list(row.audiences)) if row.is_active else None
    return DEFAULT_RULES.get(action)


#: Kinds that also reach a customer's inbox only when the event is not internal.
URGENT_KINDS = frozenset({Kind.SLA_BREACHED, Kind.DISPATCH, Kind.URGED})


def recipients(ticket: Ticket, event: TicketEvent) -> tuple[Kind, list[User]] | None:
    """The message type of ``event`` and who receives it (not its actor; no customers for
    internal events, none of another organisation ever)."""
    rule = rule_for(event.action)
    if rule is None:
        return None
    kind, names = rule
    seen: dict[int, User] = {}
    for name in names:
        audience = AUDIENCES.get(name)
        for user in audience(ticket, event) if audience else []:
            seen.setdefault(user.pk, user)
    seen.pop(event.actor_id or 0, None)
    people = [u for u in seen.values() if u.is_active and _may_hear(u, ticket, event)]
    return kind, people


def _may_hear(user: User, ticket: Ticket, event: TicketEvent) -> bool:
    if user.role != Role.CUSTOMER:
        return True
    return not event.internal and user.organisation_id == ticket.project.organisation_id
