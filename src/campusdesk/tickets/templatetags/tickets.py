from __future__ import annotations

from django import template

from campusdesk.tickets import presenters
from campusdesk.tickets.models import TicketEvent

register = template.Library()


@register.filter
def event_summary(event: TicketEvent) -> str:
    return presenters.summary(event.action, event.data)


@register.filter
def event_body(event: TicketEvent) -> str:
    return presenters.body(event.data)
