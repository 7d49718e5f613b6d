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
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import bulk, clock
from campusdesk.notify import rules
from campusdesk.notify.models import (
    MANDATORY,
    Delivery,
    Kind,
    Notification,
    Preference,
    QuietHours,
    RobotChannel,
    WebhookSubscription,
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


class _Mail(NamedTuple):
    """An e-mail to write: to whom, the inbox row it belongs to (if any), its words."""

    user: User
    note: Notification | None
    title: str
    body: str
    html: str


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
        deliveries += _webhooks(event.ticket, event)
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
    quiet = _quiet_hours(list({m.user.pk: m.user for _e, _k, u, m in mails if not u}.values()))
    for event, kind, urgent, mail in mails:
        url = f"{settings.SITE_URL}/tickets/{event.ticket_id}/"
        when = _send_time(None if urgent else quiet.get(mail.user.pk), urgent, event.at)
        deliveries.append(_email(mail, kind, url, when, event.ticket, event))
    for event, kind, _people, _urgent in plans:
        url = f"{settings.SITE_URL}/tickets/{event.ticket_id}/"
        deliveries += _robot_deliveries(event.ticket, event, kind, url)
    queue_deliveries(deliveries, max(e.at for e in events))
    return sum(len(people) for _e, _k, people, _u in plans)


def _inbox(ticket: Ticket, event: TicketEvent, kind: Kind, people: list[User], urgent: bool,
           prefs: dict[tuple[int, str], Preference]
           ) -> tuple[list[Notification], list[_Mail]]:  # fmt: skip
    """The unsaved inbox rows of ``event`` and who gets an e-mail (with its inbox row)."""
    texts: dict[str, tuple[str, str, str]] = {}  # per language: the same words for everyone
    inbox: list[Notification] = []
    mails: list[_Mail] = []
    url = f"{settings.SITE_URL}/tickets/{ticket.pk}/"
    for user in people:
        language = user.preferred_language or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):  # the e-mail's link words too
                title, body = _text(ticket, event, kind)
                texts[language] = (title, body, _html(body, url))
        title, body, html = texts[language]
        channels = _channels(user, kind, prefs, critical=ticket.severity == "SIS1")
        note = None
        if "inbox" in channels:
            note = bulk.new(
                Notification, recipient_id=user.pk, kind=kind, title=title, body=body,
                url=f"/tickets/{ticket.pk}/", ticket_id=ticket.pk, event_id=event.pk,
                urgent=urgent, created_at=event.at,
            )  # fmt: skip
            inbox.append(note)
        if "email" in channels and user.email:
            mails.append(_Mail(user, note, title, body, html))
    return inbox, mails


def _email(mail: _Mail, kind: Kind, url: str, send: tuple[datetime, bool], ticket: Ticket,
           event: TicketEvent) -> Delivery:  # fmt: skip
    user, note, title, body, html = mail
    when, digest = send
    payload = {"subject": title, "text": f"{body}\n\n{url}", "url": url,
               "html": html, "thread": f"ticket-{ticket.pk}",
               "digest": digest}  # fmt: skip
    return _delivery("email", user.email, kind, payload, event.at, when=when, recipient=user,
                     notification=note)  # fmt: skip


def _robot_deliveries(ticket: Ticket, event: TicketEvent, kind: Kind, url: str) -> list[Delivery]:
    found = []
    for robot in _robots(ticket, event):
        if robot.kinds and kind not in robot.kinds:
            continue
        title, body = _text(ticket, event, kind)
        payload = {"subject": title, "text": f"{body}\n{url}", "url": url}
        found.append(_delivery(robot.platform, robot.webhook_url, kind, payload, event.at,
                               robot=robot))  # fmt: skip
    return found


def _webhooks(ticket: Ticket, event: TicketEvent) -> list[Delivery]:
    """The signed JSON for each subscriber of the ticket's project that wants this event."""
    from campusdesk.notify.channels.webhook import document

    subscriptions = rules.shared(
        ("webhooks", ticket.project_id),
        lambda: list(
            WebhookSubscription.objects.filter(project_id=ticket.project_id, is_active=True)
        ),
    )
    deliveries = []
    for sub in subscriptions:
        if (sub.events and event.action not in sub.events) or (
            event.internal and not sub.include_internal
        ):
            continue
        body = document(
            event.action,
            {"id": ticket.pk, "number": ticket.number, "title": ticket.title,
             "status": ticket.status, "tier": ticket.tier, "severity": ticket.severity,
             "project": ticket.project_id, "url": f"{settings.SITE_URL}/tickets/{ticket.pk}/"},
            event.data, event.at.isoformat(), event.actor.username if event.actor else None,
        )  # fmt: skip
        payload = {"subject": event.action, "text": body}
        deliveries.append(
            _delivery("webhook", sub.url, event.action[:20], payload, event.at, webhook=sub)
        )
    return deliveries


def _prime_channels(events: list[TicketEvent]) -> None:
    """Inside ``shared_lookups``, read the webhooks and robots of every project of ``events`` in
    one query each (the sweeper's events span hundreds of projects), as ``_webhooks`` and
    ``_robots`` would one project at a time."""
    memo = rules.memo()
    if memo is None or len(events) < 2:
        return
    projects = {event.ticket.project_id for event in events}
    hooks = {pk for pk in projects if ("webhooks", pk) not in memo}
    if hooks:
        found: dict[int, list[Any]] = {pk: [] for pk in hooks}
        for sub in WebhookSubscription.objects.filter(project_id__in=hooks, is_active=True
                                                      ).order_by("pk"):  # fmt: skip
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

    return rules.shared(("robots", ticket.project_id, event.internal), read)


def _html(body: str, url: str) -> str:
    from django.utils.html import escape, linebreaks

    link = _("Open the problem")
    return f'{linebreaks(escape(body))}<p><a href="{escape(url)}">{escape(link)}</a></p>'


def _quiet_hours(people: list[User]) -> dict[int, QuietHours]:
    """The quiet hours of ``people`` (those who set any), by user id: one query."""
    if not people:
        return {}
    return {quiet.user_id: quiet for quiet in QuietHours.objects.filter(user__in=people)}


def _send_time(quiet: QuietHours | None, urgent: bool, now: datetime) -> tuple[datetime, bool]:
    """When a message's e-mail goes, and whether it joins the daily digest.

    Urgent messages go at once; others wait out the user's quiet hours, or, with the
    digest on, are gathered into one e-mail at the end of the quiet hours.
    """
    if urgent or quiet is None or not (quiet.enabled or quiet.digest):
        return now, False
    local = clock.local(now)
    if quiet.digest:
        return _next_at(local, quiet.end), True
    if _within(local.time(), quiet.start, quiet.end):
        return _next_at(local, quiet.end), False
    return now, False


def _within(moment: time, start: time, end: time) -> bool:
    return start <= moment < end if start < end else moment >= start or moment < end


def _next_at(local: datetime, at: time) -> datetime:
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def _delivery(channel: str, address: str, kind: str, payload: dict[str, Any], now: datetime,
              *, when: datetime | None = None, **links: Any) -> Delivery:  # fmt: skip
    """An unsaved delivery; ``links`` are saved objects (``recipient=user``) or None."""
    ids = {f"{name}_id": (None if linked is None else linked.pk) for name, linked in links.items()}
    return bulk.new(
        Delivery, key=uuid.uuid4().hex, channel=channel, address=address, kind=kind,
        payload=payload, next_attempt_at=when or now, created_at=now, **ids,
    )  # fmt: skip


def queue_delivery(channel: str, address: str, kind: str, payload: dict[str, Any], now: datetime,
           *, when: datetime | None = None, **links: Any) -> Delivery:  # fmt: skip
    delivery = _delivery(channel, address, kind, payload, now, when=when, **links)
    queue_deliveries([delivery], now)
    return delivery


def queue_deliveries(deliveries: list[Delivery], now: datetime) -> None:
    """Write ``deliveries`` in one query; those due now are sent after the commit."""
    if not deliveries:
        return
    bulk.insert(deliveries)  # sets the pks
    due = [delivery.pk for delivery in deliveries if delivery.next_attempt_at <= now]
    if due:
        transaction.on_commit(lambda: _enqueue_all(due))


def _enqueue_all(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        _enqueue(delivery_id)


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
    return (
        Delivery.objects.select_related("robot", "webhook").get(pk=delivery_id) if claimed else None
    )


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try to send one delivery; its status afterwards."""
    now = now or clock.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    batch = _digest_batch(delivery, now) if delivery.payload.get("digest") else [delivery]
    message = _digest_message(batch) if len(batch) > 1 else _message(delivery)
    transport = REGISTRY.get(delivery.channel)
    secret = (
        delivery.robot.secret if delivery.robot
        else delivery.webhook.secret if delivery.webhook else ""
    )  # fmt: skip
    try:
        if transport is None:
            raise TransportError(f"no transport for {delivery.channel}", permanent=True)
        transport.send(message, delivery.address, secret)
    except TransportError as error:
        for item in batch:
            _failed(item, error, now)
        return Delivery.objects.get(pk=delivery.pk).status
    Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
        status=Delivery.Status.SENT, sent_at=now, attempts=F("attempts") + 1,
        locked_until=None, last_error="",
    )  # fmt: skip
    return Delivery.Status.SENT


def _message(delivery: Delivery) -> Message:
    fields = ("subject", "text", "html", "markdown", "url", "thread")
    return Message(key=delivery.key, **{k: v for k, v in delivery.payload.items() if k in fields})


def _digest_batch(first: Delivery, now: datetime) -> list[Delivery]:
    """The other digest e-mails of the same person that are due: claimed together."""
    others = Delivery.objects.filter(
        recipient=first.recipient_id, channel=first.channel, status=Delivery.Status.PENDING,
        payload__digest=True, next_attempt_at__lte=now,
    ).exclude(pk=first.pk)  # fmt: skip
    ids = list(others.values_list("pk", flat=True)[:200])
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, locked_until=now + CLAIM
    )
    claimed = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING,
                                      locked_until=now + CLAIM)  # fmt: skip
    return [first, *claimed.order_by("created_at", "id")]


def _digest_message(batch: list[Delivery]) -> Message:
    subject = _("campusdesk daily digest: %(count)d messages") % {"count": len(batch)}
    parts = [f"{d.payload.get('subject', '')}\n{d.payload.get('text', '')}" for d in batch]
    return Message(key=batch[0].key, subject=subject, text="\n\n———\n\n".join(parts))


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


def ticket_follow(*, ticket_id: int, actor: User, follow: bool, now: datetime | None = None
                  ) -> bool:  # fmt: skip
    """Follow (关注) or stop following a problem the user may see; whether they follow now."""
    from campusdesk.catalog import scoping
    from campusdesk.core.errors import NotFound
    from campusdesk.notify.models import Follower

    ticket = scoping.scope(Ticket.objects.all(), actor, "project").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    if follow:
        Follower.objects.get_or_create(ticket=ticket, user=actor,
                                       defaults={"since": now or clock.now()})  # fmt: skip
    else:
        Follower.objects.filter(ticket=ticket, user=actor).delete()
    return follow


def webhook_create(
    *, actor: User, name: str, project_id: int | None, url: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    """A subscriber of a project's events; its signing secret is shown once, here.

    The URL must lead to an address outgoing requests may reach (core.outbound): not
    loopback, the cloud's metadata service or the campus network unless allowed.
    """
    import secrets as secret_tokens

    from campusdesk.catalog.models import Project
    from campusdesk.core import outbound
    from campusdesk.core.errors import PermissionDenied, ValidationError

    if not actor.is_administrator:
        raise PermissionDenied(_("Only administrators add webhooks."))
    project = Project.objects.filter(pk=project_id).first() if project_id is not None else None
    if project is None:
        raise ValidationError(fields={"project": [_("Choose a project.")]})
    try:
        outbound.check_url(url)
    except ValidationError as error:
        raise ValidationError(error.message, fields={"url": [error.message]}) from error
    secret = secret_tokens.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        name=name.strip()[:100] or url[:100], project=project, url=url, secret=secret,
        events=[str(e)[:40] for e in events][:50],
    )  # fmt: skip
    return subscription, secret
