"""The side panels of the ticket page, in order; the apps above add theirs.

tickets may not import sla or kb (the layers), yet its page shows the SLA deadlines and the
case library's button. Each app registers its panel (a template and what it adds to the
page's context) in its ``AppConfig.ready()``; the page includes them by ``order``.
tickets' own sections are panels too, so the others can sit between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.tickets.models import Ticket

#: What a panel adds to the page's context (read once per page, with the rest).
ContextFn = Callable[["Ticket", "User"], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context_fn: ContextFn | None
    order: int


_PANELS: dict[str, Panel] = {}


def register_panel(
    name: str, template: str, context_fn: ContextFn | None = None, order: int = 100
) -> None:
    """Show ``template`` on the ticket page at ``order`` (a new registration replaces one)."""
    _PANELS[name] = Panel(name, template, context_fn, order)


def collect(ticket: Ticket, user: User) -> tuple[list[str], dict[str, Any]]:
    """The panels' templates in order, and the context they add to the page."""
    chosen = sorted(_PANELS.values(), key=lambda panel: panel.order)
    context: dict[str, Any] = {}
    for panel in chosen:
        if panel.context_fn is not None:
            context.update(panel.context_fn(ticket, user))
    return [panel.template for panel in chosen], context


# tickets' own sections; sla adds its deadlines at 20, kb its case library at 50
register_panel("actions", "tickets/_panel_actions.html", order=10)
register_panel("commitments", "tickets/_panel_commitments.html", order=30)
register_panel("attachments", "tickets/_panel_attachments.html", order=40)
register_panel("incident_report", "tickets/_panel_incident_report.html", order=60)
