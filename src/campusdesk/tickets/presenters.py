"""How a timeline event reads to a person (the words of the seed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from campusdesk.core import clock
from campusdesk.sla.deadlines import LABELS
from campusdesk.tickets.models import Channel, OutOfScopeType, Status, Ticket, TicketEvent, Tier
from campusdesk.tickets.workflow import ACTION_LABELS, Action


def _when(raw: Any) -> str:
    moment = parse_datetime(raw) if isinstance(raw, str) else raw
    if not isinstance(moment, datetime):
        return "—"
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


def list_rows(tickets: list[Ticket]) -> list[dict[str, Any]]:
    """What each row of a ticket list shows, as plain values: the template only prints them
    (resolving ``get_status_display``, ``|date`` and ``{% url %}`` per row in the template
    engine cost a queue page more than its queries)."""
    statuses = {value: str(label) for value, label in Status.choices}
    detail = reverse("tickets:detail", args=[0]).removesuffix("0/")  # the same for every row
    rows = []
    for ticket in tickets:
        organisation = ticket.project.organisation
        rows.append({
            "url": f"{detail}{ticket.pk}/",
            "number": ticket.number,
            "title": ticket.title,
            "urge_count": ticket.urge_count,
            "status": ticket.status,
            "status_label": statuses.get(ticket.status, ticket.status),
            "tier": ticket.tier,
            "severity": ticket.severity or "—",
            "where": f"{organisation.short_name or organisation.name} · {ticket.project.name}",
            "handler": str(ticket.assignee) if ticket.assignee else "—",
            "committed": _when(ticket.committed_resolution_at),
            "registered": _when(ticket.created_at),
        })  # fmt: skip
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
            "at": _when(event.at),
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
        "target": _when(data.get("resolve_target"))
    }


def _tier(number: Any) -> str:
    try:
        return str(Tier(int(number)).label)
    except (TypeError, ValueError):
        return "—"


def _accept(data: dict[str, Any]) -> str:
    severity = data.get("severity", {})
    text = _("Accepted; committed resolution time %(due)s.") % {
        "due": _when(data.get("committed_resolution_at"))
    }
    if severity.get("after") and severity.get("after") != severity.get("before"):
        text += " " + _("Severity %(severity)s.") % {"severity": severity["after"]}
    return text


def summary(action: str, data: dict[str, Any]) -> str:
    """One line saying what the event did; bodies of records and reasons are shown apart."""
    writers: dict[str, Any] = {
        Action.REGISTER: lambda d: (
            (
                _("Registered the problem from a call on the 7×24 duty line.")
                if d.get("duty_line")
                else _("Registered the problem from a phone call.")
            )
            if "call_notes" in d
            else _("Registered the problem.")
        ),
        Action.ACCEPT: _accept,
        Action.CHANGE_COMMITMENT: lambda d: (
            _("Changed the committed resolution time from %(before)s to %(after)s.")
            % {"before": _when(d.get("before")), "after": _when(d.get("after"))}
        ),
        Action.RECORD: lambda d: (
            _("Investigation record") if d.get("kind") == "investigation" else _("Comment")
        ),
        Action.ESCALATE: lambda d: (
            _("Escalated from %(from)s to %(to)s.")
            % {"from": _tier(d.get("from_tier")), "to": _tier(d.get("to_tier"))}
        ),
        Action.ASSIGN: lambda d: _("Assigned a handler."),
        Action.REQUEST_CLOSE: lambda d: _("Requested closure with the solution."),
        Action.REJECT_CLOSE: lambda d: _("Rejected the closure request."),
        Action.CLOSE: lambda d: (
            _("Closed the problem: rating %(rating)s/5, workload %(hours)s h.")
            % {"rating": d.get("rating", "—"), "hours": d.get("workload_hours", "—")}
        ),
        Action.URGE: lambda d: _("Urged (%(count)s).") % {"count": d.get("count", 1)},
        Action.WITHDRAW: lambda d: _("Withdrew the problem."),
        Action.OUT_OF_SCOPE: lambda d: (
            _("Marked as out-of-scope work: %(type)s, %(hours)s h.")
            % {"type": _out_of_scope(d.get("change_type")), "hours": d.get("workload_hours", "")}
        ),
        Action.INCIDENT_REPORT: lambda d: (
            _("Updated the incident analysis report (complete).")
            if d.get("complete")
            else _("Updated the incident analysis report (incomplete).")
        ),
        Action.ATTACH: lambda d: _("Attached %(name)s.") % {"name": d.get("name", "")},
        Action.OPS_RECORD: lambda d: _("Operations record"),
        Action.CORRECTIVE_ACTION: lambda d: _("Filed a corrective action for the delay."),
        Action.CORRECTIVE_DONE: lambda d: _("The corrective action is done."),
        Action.DISPATCH: lambda d: (
            _("%(engineer)s arrived on site at %(at)s.")
            % {"engineer": d.get("engineer_name", ""), "at": _when(d.get("arrived_at"))}
        ),
        Action.DISPATCH_REQUIRED: lambda d: (
            _("Not solved in time: engineers must be on site by %(due)s; %(group)s is informed.")
            % {"due": _when(d.get("onsite_by")), "group": d.get("inform_group", "")}
        ),
        Action.ALERT_FIRED: lambda d: (
            _("The monitoring alert fired again (%(count)s times).") % {"count": d.get("count", "")}
        ),
        Action.ALERT_RESOLVED: lambda d: _(
            "The monitoring reports the alert resolved; the customer confirms and closes."
        ),
        Action.ASK_INFO: lambda d: _("Asked the customer for information; the clocks stand still."),
        Action.ANSWER_INFO: lambda d: _("Answered; the clocks run again."),
        Action.SLA_WARNING: lambda d: (
            _("%(deadline)s deadline near: %(due)s.")
            % {"deadline": _deadline(d.get("deadline")), "due": _when(d.get("due_at"))}
        ),
        Action.SLA_BREACHED: lambda d: (
            _("%(deadline)s deadline missed: %(due)s.")
            % {"deadline": _deadline(d.get("deadline")), "due": _when(d.get("due_at"))}
        ),
    }
    writer = writers.get(action)
    if writer is None:
        return str(ACTION_LABELS.get(Action(action), action)) if action in Action else action
    return str(writer(data))


def _deadline(kind: Any) -> str:
    return str(LABELS.get(str(kind), kind))


def _out_of_scope(value: Any) -> str:
    try:
        return str(OutOfScopeType(value).label)
    except ValueError:
        return str(value)


def body(data: dict[str, Any]) -> str:
    """The free text the event carries (record body, reason, solution, message, comment)."""
    keys = ("body", "reason", "solution", "message", "comment", "question", "answer", "plan",
            "call_notes")  # fmt: skip
    for key in keys:
        if data.get(key):
            return str(data[key])
    return ""
