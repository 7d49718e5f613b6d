"""How a timeline event reads to a person (the words of the seed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.core import clock
from campusdesk.tickets import deadlines
from campusdesk.tickets.models import Channel, OutOfScopeType, Status, Ticket, TicketEvent, Tier
from campusdesk.tickets.workflow import ACTION_LABELS

#: a tier's short name, where a list has no room for its whole label (一线：项目团队)
TIER_SHORT = {
    Tier.LINE1: gettext_lazy("Line 1"),
    Tier.LINE2: gettext_lazy("Line 2"),
    Tier.LINE3: gettext_lazy("Line 3"),
    Tier.TASK_FORCE: gettext_lazy("Task force"),
}


def when_label(raw: Any) -> str:
    moment = parse_datetime(raw) if isinstance(raw, str) else raw
    if not isinstance(moment, datetime):
        return "—"
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


def list_rows(tickets: list[Ticket]) -> list[dict[str, Any]]:
    """What each row of a ticket list shows, as plain values: the template only prints them
    (resolving ``get_status_display``, ``|date`` and ``{% url %}`` per row in the template
    engine cost a queue page more than its queries)."""
    statuses = {value: str(label) for value, label in Status.choices}
    tiers = {int(value): str(label) for value, label in TIER_SHORT.items()}
    detail = reverse("tickets:detail", args=[0]).removesuffix("0/")  # the same for every row
    rows = []
    for ticket in tickets:
        organisation = ticket.project.organisation
        rows.append(
            {
                "url": f"{detail}{ticket.pk}/",
                "number": ticket.number,
                "title": ticket.title,
                "urge_count": ticket.urge_count,
                "status": ticket.status,
                "status_label": statuses.get(ticket.status, ticket.status),
                "tier": tiers.get(ticket.tier, ticket.tier),
                "severity": ticket.severity or "—",
                "where": f"{organisation.short_name or organisation.name} · {ticket.project.name}",
                "handler": str(ticket.assignee) if ticket.assignee else "—",
                "committed": when_label(ticket.committed_resolution_at),
                "registered": when_label(ticket.created_at),
            }
        )
    return rows


def timeline_rows(events: Iterable[TicketEvent], *, staff: bool = False) -> list[dict[str, Any]]:
    """What each event of a ticket's timeline shows, as plain values (the template engine's
    half-dozen lookups and filters per event were a good part of the ticket page).
    ``staff``: the reader is vendor staff, who also see the operations flags."""
    tiers = {value: str(label) for value, label in Tier.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    system = _("System")
    return [
        {
            "action": event.action,
            "internal": event.internal,
            "actor": str(event.actor) if event.actor_id else system,
            "at": when_label(event.at),
            "tier": tiers.get(event.tier, event.tier),
            "channel": "" if event.channel == Channel.WEB else channels.get(event.channel, ""),
            "summary": summary(event.action, event.data),
            "body": body(event.data),
            "flag": beyond_target(event.data) if staff else "",
        }
        for event in events
    ]


def beyond_target(data: dict[str, Any]) -> str:
    """The warning of an accept or commitment event whose time is beyond the target."""
    if not data.get("exceeds_target"):
        return ""
    return _("Beyond the resolution target (%(target)s).") % {
        "target": when_label(data.get("resolve_target"))
    }


def tier_label(number: Any) -> str:
    try:
        return str(Tier(int(number)).label)
    except (TypeError, ValueError):
        return "—"


def tier_short(number: Any) -> str:
    """一线 / 二线 / 三线 / 攻关小组 (``TIER_SHORT``); "—" for anything else."""
    try:
        return str(TIER_SHORT[Tier(int(number))])
    except (TypeError, ValueError, KeyError):
        return "—"


def summary(action: str, data: dict[str, Any]) -> str:
    """One line saying what the event did (its declaration's ``summary``: ``tickets.actions``);
    bodies of records and reasons are shown apart."""
    # imported here: the declarations use this module's formatting helpers
    from campusdesk.tickets.actions import ACTIONS

    spec = ACTIONS.get(action)  # type: ignore[call-overload]
    if spec is None or spec.summary is None:
        return str(ACTION_LABELS.get(action, action))  # type: ignore[call-overload]
    return str(spec.summary(data))


def deadline_label(kind: Any) -> str:
    return deadlines.keeper().label(str(kind))


def out_of_scope_label(value: Any) -> str:
    try:
        return str(OutOfScopeType(value).label)
    except ValueError:
        return str(value)


def body(data: dict[str, Any]) -> str:
    """The free text the event carries (record body, reason, solution, message, comment)."""
    keys = (
        "body",
        "reason",
        "solution",
        "message",
        "comment",
        "question",
        "answer",
        "plan",
        "call_notes",
    )
    for key in keys:
        if data.get(key):
            return str(data[key])
    return ""
