"""The deadlines of a ticket as tickets sees them; the sla app above keeps them.

tickets may not import sla (the layers), yet a transition updates the deadlines before the
ticket is saved, registration asks whether it is business hours, a commitment is compared
with the resolution target, and the ticket page and API show the deadlines. So tickets
defines what it asks (``DeadlineKeeper``) and what it shows (``DeadlineState``), and sla
registers its keeper in ``SlaConfig.ready()``. These are calls that return values or must
happen before the save, not effects of an event: that is why they are not subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.tickets.models import Ticket


@dataclass(frozen=True)
class DeadlineState:
    kind: str
    label: str
    due_at: datetime
    met_at: datetime | None  # when the stage's own event happened; None: it has not
    state: str  # one of STATES
    remaining: timedelta | None


#: A stage is ``met`` only by its own event on time, ``breached`` by it coming late
#: (``met_at`` set) or by the deadline passing without it; without the event it is
#: pending (``running``, ``at_risk``, ``paused``), ``stopped`` (the ticket ended first)
#: or ``not_applicable`` (a solution came before the engineers had to be on site).
STATES = ("met", "breached", "at_risk", "running", "paused", "stopped", "not_applicable")


class DeadlineKeeper(Protocol):
    def on_register(self, ticket: Ticket, now: datetime) -> None:
        """Set the deadlines of a new, unsaved ticket."""

    def on_transition(
        self, ticket: Ticket, action: str, actor: User | None, now: datetime, internal: bool
    ) -> None:
        """Update the markers, pauses and deadlines ``action`` implies, before the save."""

    def in_business_hours(self, moment: datetime) -> bool: ...

    def resolve_target(self, ticket: Ticket, severity: str | None) -> datetime: ...

    def resolve_targets(self, ticket: Ticket, severities: Sequence[str]) -> dict[str, datetime]:
        """``resolve_target`` of each severity ("": the ticket's own, else its provisional
        one), read together (the accept form offers all three)."""

    def states(self, ticket: Ticket) -> list[DeadlineState]: ...

    def commitment_state(self, ticket: Ticket) -> DeadlineState | None: ...

    def label(self, kind: str) -> str:
        """The name of a deadline kind, for the timeline."""


_keeper: list[DeadlineKeeper] = []


def register(keeper: DeadlineKeeper) -> None:
    _keeper[:] = [keeper]


def keeper() -> DeadlineKeeper:
    if not _keeper:
        raise ImproperlyConfigured("No deadline keeper registered: install campusdesk.sla.")
    return _keeper[0]
