"""Who hears of what: each ticket event's message type and recipients (seed §7.2.1, §7.2.4).

The recipient groups are here; which groups hear an action, and as what message type, is
declared with the action (``notice`` in ``tickets/actions.py``), and an administrator's
``Rule`` row overrides it. The declared defaults follow the seed: a new problem goes to
the project's line-1 team; every step of the handling to the reporter and the problem's
handlers; an urge to every handler and the operations specialists; deadlines to the
handler and operations, a missed SIS1/SIS2 deadline also to the service manager and the
customer service department. Customers never hear of internal notes or vendor-only events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.tiers import tier_people
from campusdesk.core.batch import shared
from campusdesk.notify.models import Kind, Rule
from campusdesk.tickets.actions import ACTIONS, declared
from campusdesk.tickets.models import Ticket, TicketEvent

Audience = Callable[[Ticket, TicketEvent], Iterable[User]]


def reporter(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return [ticket.reporter]


def followers(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return User.objects.filter(id__in=ticket.followers.values("user_id"))


def line1(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    return tier_people(ticket, 1)


def current_tier(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    """The assignee, or the whole tier while nobody has taken it."""
    if ticket.assignee_id is not None and ticket.assignee is not None:
        return [ticket.assignee]
    return tier_people(ticket)


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


def declared_rule(action: str) -> tuple[Kind, list[str]] | None:
    """The default rule of ``action``: the ``notice`` its declaration gives (``tickets.actions``).

    Read when asked, so an action declared later (a test's) has its rule too. A notice that
    names a message type or a recipient group notify does not know is a mistake in the
    code, refused loudly rather than heard by nobody.
    """
    spec = declared(action)
    if spec is None or spec.notice is None:
        return None
    kind, audience = spec.notice.kind, list(spec.notice.audience)
    unknown = [name for name in audience if name not in AUDIENCES]
    if kind not in Kind.values or unknown:
        raise ImproperlyConfigured(
            f"The notice of the action {action!r} names an unknown message type {kind!r} "
            f"or recipient groups {unknown}."
        )
    return Kind(kind), audience


def default_rules() -> dict[str, tuple[Kind, list[str]]]:
    """Every declared action's default rule (seed §7.2.1, §7.2.4): what the data migration
    wrote as ``Rule`` rows, which administrators may edit."""
    return {str(action): rule for action in ACTIONS if (rule := declared_rule(action))}


def rule_for(action: str) -> tuple[Kind, list[str]] | None:
    """The rule in force: the administrators' row, else the declared default (a row
    switched off: none)."""
    row = shared(("rule", action), lambda: Rule.objects.filter(action=action).first())
    if row is not None:
        return (Kind(row.kind), list(row.audiences)) if row.is_active else None
    return declared_rule(action)


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
