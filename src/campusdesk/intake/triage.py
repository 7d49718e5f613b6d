"""Alert triage (告警分诊): the service desk and line 1 decide what each monitoring alert is.

1. Vendor staff of line 1 and above, operations and administrators triage the alerts of
   the projects they see (``scoping``: an alert belongs to its source's project); customers
   never do.
2. Each step is a compare-and-set on the alert's triage state (and its problem): of two
   people acting on one alert at once, one wins and the other is told who did (409).
3. Each step is kept on the alert (who, when, the note) and, where a problem is involved,
   as an internal note on that problem's timeline, through the tickets app's own service.
4. A false alarm or a duplicate withdraws the problem the alert raised when nobody has
   accepted it yet (the workflow lets those who triage alerts withdraw a problem the
   monitoring raised); an accepted one stays with its handler, told on its timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.intake import services
from campusdesk.intake.models import Alert, AlertSource
from campusdesk.tickets import services as tickets
from campusdesk.tickets import workflow
from campusdesk.tickets.models import OPEN_STATUSES, Channel, Ticket

Triage = Alert.Triage
State = Alert.State

#: Who triages: the service desk, line 1 and the tiers above it, operations, administrators.
TRIAGE_ROLES = workflow.ALERT_HANDLERS
#: Triage states a step may start from, by step.
UNDECIDED = (Triage.UNTRIAGED, Triage.ACKNOWLEDGED)
FROM: dict[str, tuple[Triage, ...]] = {
    "acknowledge": (Triage.UNTRIAGED,),
    "false_alarm": UNDECIDED,
    "link": UNDECIDED,
    "raise": UNDECIDED,
}
NOTE_LIMIT = 300


def may_triage(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in TRIAGE_ROLES)


# --- reads ------------------------------------------------------------------------------------
def visible_alerts(user: User) -> QuerySet[Alert]:
    return scoping.scope(Alert.objects.all(), user, "source__project")


def visible_sources(user: User) -> QuerySet[AlertSource]:
    return scoping.scope(AlertSource.objects.all(), user, "project").order_by("name", "id")


def queue(
    user: User, *, state: str = "all", triage: str = "", source_id: int | None = None
) -> QuerySet[Alert]:
    """The alerts ``user`` triages, most recently seen first; ``state`` and ``triage`` are
    filters ("all" or an unknown value: none), ``source_id`` one source."""
    rows = visible_alerts(user).select_related(
        "source__project__organisation", "ticket", "triaged_by"
    )
    if state in State.values:
        rows = rows.filter(state=state)
    if triage in Triage.values:
        rows = rows.filter(triage=triage)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return rows.order_by("-last_seen_at", "-id")


def untriaged_firing(user: User) -> int:
    """How many firing alerts nobody has triaged yet (one count)."""
    return visible_alerts(user).filter(state=State.FIRING, triage=Triage.UNTRIAGED).count()


def ticket_id_for(user: User, number: str) -> int:
    """The id of the problem numbered ``number`` that ``user`` sees (the web form names
    problems so)."""
    visible = scoping.scope(Ticket.objects.all(), user, "project")
    ticket_id = visible.filter(number=(number or "").strip()).values_list("pk", flat=True).first()
    if ticket_id is None:
        raise ValidationError(fields={"ticket": [_("No problem has this number.")]})
    return ticket_id


# --- the steps ------------------------------------------------------------------------------
@transaction.atomic
def alert_acknowledge(
    *,
    alert_id: int,
    actor: User,
    note: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Alert:
    """Acknowledge ("I am on it"): the alert is taken; its problem's timeline says by whom."""
    now = now or clock.now()
    alert = _begin(alert_id, actor, "acknowledge")
    note = tickets.clean_text(note, "note", required=False, limit=NOTE_LIMIT)
    _claim(alert, actor, now, Triage.ACKNOWLEDGED, note)
    text = _("Alert triage: acknowledged the monitoring alert “%(alert)s”; working on it.")
    _note(alert.ticket, actor, now, channel, _with(text % {"alert": label(alert)}, note))
    return alert


@transaction.atomic
def alert_mark_false_alarm(
    *,
    alert_id: int,
    actor: User,
    reason: str,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Alert:
    """A false alarm, with the reason: the problem it raised is withdrawn if nobody has
    accepted it yet, else its handler reads the reason on its timeline."""
    now = now or clock.now()
    alert = _begin(alert_id, actor, "false_alarm")
    if not (reason or "").strip():
        raise ValidationError(fields={"reason": [_("Say why this is a false alarm.")]})
    reason = tickets.clean_text(reason, "reason", limit=NOTE_LIMIT)
    _claim(alert, actor, now, Triage.FALSE_ALARM, reason)
    text = _("Alert triage: the monitoring alert “%(alert)s” is a false alarm: %(reason)s") % {
        "alert": label(alert),
        "reason": reason,
    }
    _note(alert.ticket, actor, now, channel, text)
    if _untouched(alert.ticket):
        _withdraw(
            alert.ticket, actor, now, channel, _("False alarm: %(reason)s") % {"reason": reason}
        )
    return alert


@transaction.atomic
def alert_link(
    *,
    alert_id: int,
    actor: User,
    ticket_id: int,
    note: str = "",
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Alert:
    """The alert belongs to an open problem of the same organisation: its repeats go there
    from now on; the problem it raised itself, if any, is noted as a duplicate."""
    now = now or clock.now()
    alert = _begin(alert_id, actor, "link")
    note = tickets.clean_text(note, "note", required=False, limit=NOTE_LIMIT)
    target = _link_target(alert, actor, ticket_id)
    own = alert.ticket
    _claim(alert, actor, now, Triage.LINKED, note, ticket=target)
    text = _(
        "Alert triage: the monitoring alert “%(alert)s” was linked to this problem; its "
        "repeats are recorded here from now on."
    ) % {"alert": label(alert)}
    _note(target, actor, now, channel, _with(text, note))
    if own is not None:
        text = _(
            "Alert triage: the monitoring alert “%(alert)s” was linked to %(number)s; this "
            "problem duplicates it."
        ) % {"alert": label(alert), "number": target.number}
        _note(own, actor, now, channel, text)
        if _untouched(own):
            reason = _("Duplicate of %(number)s.") % {"number": target.number}
            _withdraw(own, actor, now, channel, reason)
    return alert


@transaction.atomic
def alert_raise(
    *, alert_id: int, actor: User, channel: str = Channel.WEB, now: datetime | None = None
) -> Ticket:
    """Register the incident an alert did not raise (silenced by maintenance, say), for the
    source's customer contact, as the alert would have."""
    now = now or clock.now()
    alert = _begin(alert_id, actor, "raise")
    if alert.ticket_id is not None and alert.ticket is not None:
        raise TransitionError(
            _("This alert already has a problem: %(number)s.") % {"number": alert.ticket.number}
        )
    incoming = services.Incoming(
        alert.fingerprint, alert.state != State.RESOLVED, alert.labels, alert.annotations
    )
    ticket = services.raise_incident(alert.source, incoming, now, actor=actor)
    _claim(alert, actor, now, Triage.ACKNOWLEDGED, "", ticket=ticket)
    text = _("Alert triage: registered from the monitoring alert “%(alert)s” (%(state)s).")
    state = alert.get_state_display()
    _note(ticket, actor, now, channel, text % {"alert": label(alert), "state": state})
    return ticket


# --- the parts ------------------------------------------------------------------------------
def label(alert: Alert) -> str:
    """How notes name an alert: its title and, where known, its instance."""
    return f"{alert.title} [{alert.instance}]" if alert.instance else alert.title


def _begin(alert_id: int, actor: User, step: str) -> Alert:
    """The alert, if ``actor`` triages and sees it (403, 404) and ``step`` is still open (409)."""
    if not may_triage(actor):
        raise PermissionDenied(
            _("Only vendor staff of line 1 and above, operations and administrators triage alerts.")
        )
    alert = (
        visible_alerts(actor)
        .select_related("source__project", "ticket", "triaged_by")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        raise NotFound(_("No such alert."))
    if alert.triage not in FROM[step]:
        raise _taken(alert)
    return alert


def _taken(alert: Alert) -> TransitionError:
    """What the loser of a race (or a late click) is told: who triaged it, and how."""
    if alert.triaged_by is None:
        return TransitionError(_("The alert has changed meanwhile; reload and try again."))
    return TransitionError(
        _("%(name)s has already triaged this alert: %(triage)s.")
        % {"name": str(alert.triaged_by), "triage": alert.get_triage_display()}
    )


def _claim(
    alert: Alert,
    actor: User,
    now: datetime,
    to: Triage,
    note: str,
    ticket: Ticket | None = None,
) -> None:
    """Compare-and-set: from the triage state and problem read, or someone else won (409)."""
    changes: dict[str, Any] = {
        "triage": to,
        "triaged_by": actor,
        "triaged_at": now,
        "triage_note": note[:NOTE_LIMIT],
    }
    if ticket is not None:
        changes["ticket"] = ticket
    same = Alert.objects.filter(pk=alert.pk, triage=alert.triage)
    if alert.ticket_id is None:
        same = same.filter(ticket__isnull=True)
    else:
        same = same.filter(ticket_id=alert.ticket_id)
    if same.update(**changes) != 1:
        raise _taken(Alert.objects.select_related("triaged_by").get(pk=alert.pk))
    for field, value in changes.items():
        setattr(alert, field, value)


def _link_target(alert: Alert, actor: User, ticket_id: int) -> Ticket:
    target = (
        scoping.scope(Ticket.objects.select_related("project"), actor, "project")
        .filter(pk=ticket_id)
        .first()
    )
    if target is None:
        raise NotFound(_("No such problem."))
    if target.project.organisation_id != alert.source.project.organisation_id:
        raise ValidationError(
            fields={"ticket": [_("Link the alert to a problem of its own organisation.")]}
        )
    if target.status not in OPEN_STATUSES:
        raise ValidationError(fields={"ticket": [_("Link the alert to an open problem.")]})
    if target.pk == alert.ticket_id:
        raise ValidationError(fields={"ticket": [_("The alert is already on this problem.")]})
    return target


def _untouched(ticket: Ticket | None) -> bool:
    """A problem the monitoring raised that nobody has accepted yet."""
    return (
        ticket is not None
        and ticket.status in OPEN_STATUSES
        and ticket.accepted_at is None
        and ticket.channel == Channel.ALERT
    )


def _withdraw(ticket: Ticket | None, actor: User, now: datetime, channel: str, reason: str) -> None:
    """Withdraw the problem the alert raised (nobody accepted it): through the workflow."""
    if ticket is None:
        return
    tickets.ticket_withdraw(
        ticket_id=ticket.pk, actor=actor, reason=reason, channel=channel, now=now
    )


def _with(text: str, note: str) -> str:
    return f"{text}\n{note}" if note else text


def _note(ticket: Ticket | None, actor: User, now: datetime, channel: str, text: str) -> None:
    """An internal note on an open problem's timeline (a closed one's stays as it ended)."""
    if ticket is None or ticket.status not in OPEN_STATUSES:
        return
    tickets.ticket_add_record(
        ticket_id=ticket.pk, actor=actor, body=text, internal=True, channel=channel, now=now
    )
