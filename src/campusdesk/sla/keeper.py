"""sla's side of ``tickets.deadlines`` (the keeper tickets calls) and of ``tickets.panels``
(the deadlines on the ticket page), registered in ``SlaConfig.ready()``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campusdesk.sla import policies, services
from campusdesk.sla.deadlines import LABELS
from campusdesk.sla.models import Calendar
from campusdesk.tickets.deadlines import DeadlineState

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Project
    from campusdesk.tickets.models import Ticket


class SlaKeeper:
    def on_register(self, ticket: Ticket, now: datetime) -> None:
        services.on_register(ticket, now)

    def on_transition(
        self, ticket: Ticket, action: str, actor: User | None, now: datetime, internal: bool
    ) -> None:
        services.on_transition(ticket, action, actor, now, internal=internal)

    def in_business_hours(self, moment: datetime) -> bool:
        return services.in_business_hours(moment)

    def resolve_target(self, ticket: Ticket, severity: str | None) -> datetime:
        return services.resolve_target(ticket, severity)

    def resolve_targets(self, ticket: Ticket, severities: Sequence[str]) -> dict[str, datetime]:
        return services.resolve_targets(ticket, severities)

    def states(self, ticket: Ticket) -> list[DeadlineState]:
        return services.states(ticket)

    def commitment_state(self, ticket: Ticket) -> DeadlineState | None:
        return services.commitment_state(ticket)

    def label(self, kind: str) -> str:
        return str(LABELS.get(kind, kind))


def deadlines_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """The ticket page's SLA panel: each deadline and the committed time, with their states."""
    policy = services.policy_for(ticket)
    return {
        "deadlines": services.states(ticket, policy=policy),
        "commitment": services.commitment_state(ticket),
        # the version of the levels: kept since acceptance, else the contract's current one
        "levels": policy.policy_set,
        "levels_kept": ticket.sla_policy_version is not None,
    }


def levels_panel(project: Project, user: User) -> dict[str, Any]:
    """A contract's page: the service levels it runs under (its own or the default) and
    its working calendar."""
    levels = policies.levels_of(project)
    calendar = (
        Calendar.objects.filter(pk=levels.calendar_id).first() if levels.calendar_id else None
    )
    return {"levels": levels, "levels_calendar": calendar}
