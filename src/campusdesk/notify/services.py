"""Notifications: written with the event (the outbox), delivered by the worker, retried.

1. ``on_event`` runs inside the transaction that records a ticket event: it writes the
   inbox rows and one ``Delivery`` per e-mail and robot, so a message exists exactly
   when its event does.
2. After the commit a task delivers each one; ``deliver_due`` (every minute) picks up
   what failed or what a killed worker left, with exponential backoff.
3. A delivery is claimed by compare-and-set, so two workers never send it together;
   its key (the e-mail's Message-ID) is the same on every attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.notify import rules
from campusdesk.notify.models import (
    MANDATORY,
    Delivery,
    Kind,
    Notification,
    Preference,
    QuietHours,
    RobotChannel,
)
from campusdesk.notify.transports import REGISTRY, Message, TransportError
from campusdesk.tickets.models import Ticket, TicketEvent

MAX_ATTEMPTS = 12
CLAIM = timedelta(minutes=5)


# --- writing ---------------------------------------------------------------------------
def _text(ticket: Ticket, event: TicketEvent, kind: Kind) -> tuple[str, str]:
    from campusdesk.tickets import presenters

    title = f"[#{ticket.number}] {Kind(kind).label}: {ticket.title}"
    who = str(event.actor) if event.actor else _("System")
    lines = [f"{who}: {presenters.summary(event.action, event.data)}"]
    body = presenters.body(event.data)
    if body:
        lines.append(body)
    return title, "\n".join(lines)


def _channels(
    user: User, kind: Kind, prefs: dict[tuple[int, str], Preference], critical: bool
) -> set[str]:
    pref = prefs.get((user.pk, kind))
    chosen = {"inbox", "email"}
    if pref is not None:
        chosen = {channel for channel in ("inbox", "email") if getattr(pref, channel)}
    if kind in MANDATORY or critical:
        chosen.add("inbox")  # breaches and SIS1 problems are never switched off entirely
    return chosen


def on_event(event: TicketEvent, ticket: Ticket | None = None) -> int:
    """Write the inbox messages and deliveries of ``event``; how many people it reaches."""
    if ticket is None:
        ticket = Ticket.objects.select_related("project", "reporter", "assignee").get(
            pk=event.ticket_id
        )
    found = rules.recipients(ticket, event)
    if found is None:
        return 0
    robots = _robots(ticket, event)
    kind, people = found
    prefs = {(p.user_id, p.kind): p for p in Preference.objects.filter(user__in=people, kind=kind)}
    url = f"{settings.SITE_URL}/tickets/{ticket.pk}/"
    urgent = kind in rules.URGENT_KINDS or ticket.severity == "SIS1"
    for user in people:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title, body = _text(ticket, event, kind)
        channels = _channels(user, kind, prefs, critical=ticket.severity == "SIS1")
        note = None
        if "inbox" in channels:
            note = Notification.objects.create(
                recipient=user, kind=kind, title=title, body=body, url=f"/tickets/{ticket.pk}/",
                ticket=ticket, event=event, urgent=urgent, created_at=event.at,
            )  # fmt: skip
        if "email" in channels and user.email:
            payload = {"subject": title, "text": f"{body}\n\n{url}", "url": url,
                       "html": _html(body, url), "thread": f"ticket-{ticket.pk}"}  # fmt: skip
            queue_delivery("email", user.email, kind, payload, event.at, recipient=user,
                   notification=note, when=_send_time(user, urgent, event.at))  # fmt: skip
    for robot in robots:
        if robot.kinds and kind not in robot.kinds:
            continue
        title, body = _text(ticket, event, kind)
        payload = {"subject": title, "text": f"{body}\n{url}", "url": url}
        queue_delivery(robot.platform, robot.webhook_url, kind, payload, event.at, robot=robot)
    return len(people)


def _robots(ticket: Ticket, event: TicketEvent) -> list[RobotChannel]:
    robots = RobotChannel.objects.filter(Q(project=ticket.project) | Q(project__isnull=True),
                                         is_active=True)  # fmt: skip
    if event.internal:
        robots = robots.filter(internal=True)
    return list(robots)


def _html(body: str, url: str) -> str:
    from django.utils.html import escape, linebreaks

    link = _("Open the problem")
    return f'{linebreaks(escape(body))}<p><a href="{escape(url)}">{escape(link)}</a></p>'


def _send_time(user: User, urgent: bool, now: datetime) -> datetime:
    """Non-urgent e-mail waits out the user's quiet hours (or for the morning digest)."""
    quiet = QuietHours.objects.filter(user=user).first()
    if urgent or quiet is None or not (quiet.enabled or quiet.digest):
        return now
    local = clock.local(now)
    if quiet.digest:
        return _next_at(local, quiet.end)
    if _within(local.time(), quiet.start, quiet.end):
        return _next_at(local, quiet.end)
    return now


def _within(moment: time, start: time, end: time) -> bool:
    return start <= moment < end if start < end else moment >= start or moment < end


def _next_at(local: datetime, at: time) -> datetime:
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def queue_delivery(channel: str, address: str, kind: str, payload: dict[str, Any], now: datetime,
           *, when: datetime | None = None, **links: Any) -> Delivery:  # fmt: skip
    delivery = Delivery.objects.create(
        key=uuid.uuid4().hex, channel=channel, address=address, kind=kind, payload=payload,
        next_attempt_at=when or now, created_at=now, **links,
    )  # fmt: skip
    if delivery.next_attempt_at <= now:
        transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from campusdesk.notify import tasks

    tasks.deliver(delivery_id)


# --- delivering ---------------------------------------------------------------------------
def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take the delivery for this worker, unless another one holds it or it is done."""
    free = Q(status=Delivery.Status.PENDING) | Q(
        status=Delivery.Status.SENDING, locked_until__lt=now
    )
    claimed = Delivery.objects.filter(free, pk=delivery_id, next_attempt_at__lte=now).update(
        status=Delivery.Status.SENDING, locked_until=now + CLAIM
    )
    return Delivery.objects.select_related("robot").get(pk=delivery_id) if claimed else None


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try to send one delivery; its status afterwards."""
    now = now or clock.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    transport = REGISTRY.get(delivery.channel)
    message = Message(key=delivery.key, **{k: v for k, v in delivery.payload.items()
                                           if k in ("subject", "text", "html", "markdown",
                                                    "url", "thread")})  # fmt: skip
    secret = delivery.robot.secret if delivery.robot else ""
    try:
        if transport is None:
            raise TransportError(f"no transport for {delivery.channel}", permanent=True)
        transport.send(message, delivery.address, secret)
    except TransportError as error:
        return _failed(delivery, error, now)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=now, attempts=delivery.attempts + 1,
        locked_until=None, last_error="",
    )  # fmt: skip
    return Delivery.Status.SENT


def _failed(delivery: Delivery, error: TransportError, now: datetime) -> str:
    attempts = delivery.attempts + 1
    permanent = error.permanent or attempts >= MAX_ATTEMPTS
    status = Delivery.Status.FAILED if permanent else Delivery.Status.PENDING
    backoff = timedelta(minutes=min(60, 2 ** (attempts - 1)))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, attempts=attempts, last_error=str(error)[:2000], locked_until=None,
        next_attempt_at=now + backoff,
    )  # fmt: skip
    return status


def deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Deliver what is due: new, retried, or left by a worker that died while sending."""
    now = now or clock.now()
    due = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, locked_until__lt=now),
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:limit])
    return sum(deliver(pk, now=now) == Delivery.Status.SENT for pk in ids)


def delivery_retry(*, delivery_id: int, now: datetime | None = None) -> None:
    """An administrator sends a failed delivery again."""
    now = now or clock.now()
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.PENDING, next_attempt_at=now, locked_until=None
    )
    transaction.on_commit(lambda: _enqueue(delivery_id))


# --- the inbox -----------------------------------------------------------------------------
def notification_read(*, user: User, notification_id: int, now: datetime | None = None) -> bool:
    now = now or clock.now()
    mine = Notification.objects.filter(recipient=user, pk=notification_id)
    if not mine.exists():
        return False
    mine.filter(read_at__isnull=True).update(read_at=now)
    return True


def notification_read_all(*, user: User, now: datetime | None = None) -> int:
    now = now or clock.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


def preference_set(*, user: User, kind: str, inbox: bool, email: bool) -> Preference:
    """Choose the channels of one message type; mandatory types keep the inbox."""
    if kind in MANDATORY:
        inbox = True
    pref, _created = Preference.objects.update_or_create(
        user=user, kind=kind, defaults={"inbox": inbox, "email": email}
    )
    return pref


def on_complaint(complaint: Any, now: datetime) -> int:
    """A complaint reaches the operations specialists and the customer's service managers."""
    from campusdesk.accounts.roles import Role
    from campusdesk.catalog.models import Project

    managers = Project.objects.filter(organisation=complaint.organisation_id).values(
        "service_manager"
    )
    people = User.objects.filter(Q(role=Role.OPS) | Q(id__in=managers), is_active=True)
    path = f"/complaints/{complaint.pk}/"
    for user in people:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title = f"[{complaint.number}] {Kind.COMPLAINT.label}: {complaint.subject}"
        Notification.objects.create(
            recipient=user, kind=Kind.COMPLAINT, title=str(title), body=complaint.body, url=path,
            urgent=True, created_at=now,
        )  # fmt: skip
        if user.email:
            url = f"{settings.SITE_URL}{path}"
            payload = {"subject": str(title), "text": f"{complaint.body}\n\n{url}", "url": url}
            queue_delivery("email", user.email, Kind.COMPLAINT, payload, now, recipient=user)
    return len(people)
