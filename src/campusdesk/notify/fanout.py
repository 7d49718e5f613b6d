"""Fan-out: a ticket event becomes inbox rows and deliveries, as the rules say.

``on_event`` runs inside the transaction that records a ticket event: it writes the inbox
rows and one ``Delivery`` per e-mail, robot and webhook (``outbox``), so a message exists
exactly when its event does. Who hears what is ``rules``; each person's channels and quiet
hours are ``inbox``; webhooks are ``subscriptions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import batch, bulk, clock
from campusdesk.notify import rules, subscriptions
from campusdesk.notify.channels.email.message import parts as email_parts
from campusdesk.notify.channels.robot import parts as robot_parts
from campusdesk.notify.inbox import channels_for, quiet_hours, send_time
from campusdesk.notify.models import (
    Delivery,
    Kind,
    Notification,
    Preference,
    RobotChannel,
    WebhookSubscription,
)
from campusdesk.notify.outbox import new_delivery, queue_deliveries
from campusdesk.tickets.models import Ticket, TicketEvent


def _text(ticket: Ticket, event: TicketEvent, kind: Kind) -> tuple[str, str]:
    from campusdesk.tickets import presenters

    title = f"[#{ticket.number}] {Kind(kind).label}: {ticket.title}"
    who = str(event.actor) if event.actor else _("System")
    lines = [f"{who}: {presenters.summary(event.action, event.data)}"]
    body = presenters.body(event.data)
    if body:
        lines.append(body)
    return title, "\n".join(lines)


class _Mail(NamedTuple):
    """An e-mail to write: to whom, the inbox row it belongs to (if any), its words."""

    user: User
    note: Notification | None
    parts: dict[str, str]  # subject, text, html (channels/email/message.py)


def on_event(event: TicketEvent, ticket: Ticket | None = None) -> int:
    """Write the inbox messages and deliveries of ``event``; how many people it reaches.

    A fixed number of queries whatever the number of recipients: their settings are read
    together and the rows written in bulk.
    """
    if ticket is None:
        ticket = Ticket.objects.select_related("project", "reporter", "assignee").get(
            pk=event.ticket_id
        )
    event.ticket = ticket
    return on_events([event])


def on_events(events: list[TicketEvent]) -> int:
    """``on_event`` for many saved events at once (each with its ``ticket`` loaded): the same
    fixed number of queries for the whole batch, so the sweeper's thousand firings cost no
    more round trips than one."""
    deliveries: list[Delivery] = []
    plans: list[tuple[TicketEvent, Kind, list[User], bool]] = []
    _prime_channels(events)
    for event in events:
        deliveries += subscriptions.webhook_deliveries(event.ticket, event)
        found = rules.recipients(event.ticket, event)
        if found is None:
            continue
        kind, people = found
        urgent = kind in rules.URGENT_KINDS or event.ticket.severity == "SIS1"
        plans.append((event, kind, people, urgent))
    if not plans:
        queue_deliveries(deliveries, max((e.at for e in events), default=clock.now()))
        return 0
    everyone = {user.pk: user for _e, _k, people, _u in plans for user in people}
    prefs = {
        (p.user_id, p.kind): p
        for p in Preference.objects.filter(
            user__in=list(everyone), kind__in={kind for _e, kind, _p, _u in plans}
        )
    }
    inbox: list[Notification] = []
    mails: list[tuple[TicketEvent, Kind, bool, _Mail]] = []
    for event, kind, people, urgent in plans:
        notes, event_mails = _inbox(event.ticket, event, kind, people, urgent, prefs)
        inbox += notes
        mails += [(event, kind, urgent, mail) for mail in event_mails]
    bulk.insert(inbox)  # sets the pks the e-mails link to
    quiet = quiet_hours(list({m.user.pk: m.user for _e, _k, u, m in mails if not u}.values()))
    for event, kind, urgent, mail in mails:
        url = f"{settings.SITE_URL}/tickets/{event.ticket_id}/"
        when = send_time(None if urgent else quiet.get(mail.user.pk), urgent, event.at)
        deliveries.append(_email(mail, kind, url, when, event.ticket, event))
    for event, kind, _people, _urgent in plans:
        url = f"{settings.SITE_URL}/tickets/{event.ticket_id}/"
        deliveries += _robot_deliveries(event.ticket, event, kind, url)
    queue_deliveries(deliveries, max(e.at for e in events))
    return sum(len(people) for _e, _k, people, _u in plans)


def _inbox(
    ticket: Ticket,
    event: TicketEvent,
    kind: Kind,
    people: list[User],
    urgent: bool,
    prefs: dict[tuple[int, str], Preference],
) -> tuple[list[Notification], list[_Mail]]:
    """The unsaved inbox rows of ``event`` and who gets an e-mail (with its inbox row)."""
    # per language: the same words for everyone
    texts: dict[str, tuple[str, str, dict[str, str]]] = {}
    inbox: list[Notification] = []
    mails: list[_Mail] = []
    url = f"{settings.SITE_URL}/tickets/{ticket.pk}/"
    for user in people:
        language = user.preferred_language or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):  # the e-mail's link words too
                title, body = _text(ticket, event, kind)
                texts[language] = (title, body, email_parts(title=title, body=body, url=url))
        title, body, parts = texts[language]
        channels = channels_for(user, kind, prefs, critical=ticket.severity == "SIS1")
        note = None
        if "inbox" in channels:
            note = bulk.new(
                Notification,
                recipient_id=user.pk,
                kind=kind,
                title=title,
                body=body,
                url=f"/tickets/{ticket.pk}/",
                ticket_id=ticket.pk,
                event_id=event.pk,
                urgent=urgent,
                created_at=event.at,
            )
            inbox.append(note)
        if "email" in channels and user.email:
            mails.append(_Mail(user, note, parts))
    return inbox, mails


def _email(
    mail: _Mail,
    kind: Kind,
    url: str,
    send: tuple[datetime, bool],
    ticket: Ticket,
    event: TicketEvent,
) -> Delivery:
    user, note, parts = mail
    when, digest = send
    payload = {
        "subject": parts["subject"],
        "text": parts["text"],
        "url": url,
        "html": parts["html"],
        "thread": f"ticket-{ticket.pk}",
        "digest": digest,
        "project": ticket.project_id,  # the footer's engineer on duty (outbox)
    }
    return new_delivery(
        "email", user.email, kind, payload, event.at, when=when, recipient=user, notification=note
    )


def _robot_deliveries(ticket: Ticket, event: TicketEvent, kind: Kind, url: str) -> list[Delivery]:
    found = []
    for robot in _robots(ticket, event):
        if robot.kinds and kind not in robot.kinds:
            continue
        title, body = _text(ticket, event, kind)
        payload = robot_parts(title=title, body=body, url=url) | {"url": url}
        found.append(
            new_delivery(robot.platform, robot.webhook_url, kind, payload, event.at, robot=robot)
        )
    return found


def _prime_channels(events: list[TicketEvent]) -> None:
    """Inside ``shared_lookups``, read the webhooks and robots of every project of ``events`` in
    one query each (the sweeper's events span hundreds of projects), as
    ``subscriptions.webhook_deliveries`` and ``_robots`` would one project at a time."""
    memo = batch.memo()
    if memo is None or len(events) < 2:
        return
    projects = {event.ticket.project_id for event in events}
    hooks = {pk for pk in projects if ("webhooks", pk) not in memo}
    if hooks:
        found: dict[int, list[Any]] = {pk: [] for pk in hooks}
        for sub in WebhookSubscription.objects.filter(
            project_id__in=hooks, is_active=True
        ).order_by("pk"):
            found[sub.project_id].append(sub)
        memo.update({("webhooks", pk): subs for pk, subs in found.items()})
    for internal in {event.internal for event in events}:
        missing = {pk for pk in projects if ("robots", pk, internal) not in memo}
        if not missing:
            continue
        robots = RobotChannel.objects.filter(
            Q(project__in=missing) | Q(project__isnull=True), is_active=True
        ).order_by("pk")
        chosen = list(robots.filter(internal=True) if internal else robots)
        for pk in missing:
            memo[("robots", pk, internal)] = [r for r in chosen if r.project_id in (None, pk)]


def _robots(ticket: Ticket, event: TicketEvent) -> list[RobotChannel]:
    def read() -> list[RobotChannel]:
        robots = RobotChannel.objects.filter(
            Q(project=ticket.project_id) | Q(project__isnull=True), is_active=True
        )
        return list(robots.filter(internal=True) if event.internal else robots)

    return batch.shared(("robots", ticket.project_id, event.internal), read)
