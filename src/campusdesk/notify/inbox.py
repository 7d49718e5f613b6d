"""The inbox (站内消息): reading and choosing messages, quiet hours and the daily digest.

Which channels a person hears a message type on (``channels_for``) and when their e-mail
goes (``send_time``) are decided here; ``fanout`` writes the rows, ``outbox`` sends.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import bulk, clock
from campusdesk.notify import outbox
from campusdesk.notify.channels.email.message import text as email_text
from campusdesk.notify.channels.robot import parts as robot_parts
from campusdesk.notify.models import (
    MANDATORY,
    Delivery,
    Kind,
    Notification,
    Preference,
    QuietHours,
    RobotChannel,
)

#: The types a customer hears of until they choose otherwise (消息设置): the steps of their
#: problems that ask something of them or say where it stands (accepted, information
#: needed, closure requested, closed), their own complaint's answer to confirm, and what is
#: published for them alone (announcements, surveys). The other steps (records, changed
#: commitments, escalations …) stay on the problem's page; mandatory types keep the inbox.
CUSTOMER_DEFAULTS = frozenset(
    {
        Kind.ACCEPTED,
        Kind.INFO,
        Kind.CLOSURE_REQUESTED,
        Kind.CLOSED,
        Kind.COMPLAINT,
        Kind.ANNOUNCEMENT,
        Kind.SURVEY,
    }
)


def default_channels(user: User, kind: str) -> set[str]:
    """The channels of a type ``user`` never chose: vendor staff every one; a customer
    every one for ``CUSTOMER_DEFAULTS``, none for the rest."""
    if user.role == Role.CUSTOMER and kind not in CUSTOMER_DEFAULTS:
        return set()
    return {"inbox", "email"}


def channels_for(
    user: User, kind: Kind, prefs: dict[tuple[int, str], Preference], critical: bool
) -> set[str]:
    """The channels ``user`` hears ``kind`` on: their preference (or the default of their
    role), with the inbox kept for mandatory and critical messages."""
    pref = prefs.get((user.pk, kind))
    chosen = default_channels(user, kind)
    if pref is not None:
        chosen = {channel for channel in ("inbox", "email") if getattr(pref, channel)}
    if kind in MANDATORY or critical:
        chosen.add("inbox")  # breaches and SIS1 problems are never switched off entirely
    return chosen


def quiet_hours(people: list[User]) -> dict[int, QuietHours]:
    """The quiet hours of ``people`` (those who set any), by user id: one query."""
    if not people:
        return {}
    return {quiet.user_id: quiet for quiet in QuietHours.objects.filter(user__in=people)}


def send_time(quiet: QuietHours | None, urgent: bool, now: datetime) -> tuple[datetime, bool]:
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


def ticket_notifications_read(*, user: User, ticket_id: int, now: datetime | None = None) -> int:
    """Mark read ``user``'s messages about one problem (they opened it, or its inbox row):
    one UPDATE; how many were unread."""
    now = now or clock.now()
    mine = Notification.objects.filter(recipient=user, ticket_id=ticket_id, read_at__isnull=True)
    return mine.update(read_at=now)


def preference_set(*, user: User, kind: str, inbox: bool, email: bool) -> Preference:
    """Choose the channels of one message type; mandatory types keep the inbox."""
    if kind in MANDATORY:
        inbox = True
    pref, _created = Preference.objects.update_or_create(
        user=user, kind=kind, defaults={"inbox": inbox, "email": email}
    )
    return pref


def on_complaint(complaint: Any, now: datetime) -> int:
    """A complaint reaches the operations specialists and the customer's service managers:
    an inbox row and an e-mail each, in the reader's language, written in one query each."""
    managers = Project.objects.filter(organisation=complaint.organisation_id).values(
        "service_manager"
    )
    people = list(User.objects.filter(Q(role=Role.OPS) | Q(id__in=managers), is_active=True))
    path = f"/complaints/{complaint.pk}/"
    url = f"{settings.SITE_URL}{path}"
    text = email_text(body=complaint.body, url=url)
    notes: list[Notification] = []
    mails: list[Delivery] = []
    for user in people:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            title = f"[{complaint.number}] {Kind.COMPLAINT.label}: {complaint.subject}"
        notes.append(
            bulk.new(
                Notification,
                recipient_id=user.pk,
                kind=Kind.COMPLAINT,
                title=title,
                body=complaint.body,
                url=path,
                urgent=True,
                created_at=now,
            )
        )
        if user.email:
            payload = {"subject": title, "text": text, "url": url}
            mails.append(
                outbox.new_delivery(
                    "email", user.email, Kind.COMPLAINT, payload, now, recipient=user
                )
            )
    bulk.insert(notes)
    outbox.queue_deliveries(mails, now)
    return len(people)


def tell(
    person: User,
    kind: Kind,
    title: str,
    body: str,
    path: str,
    now: datetime,
    *,
    urgent: bool = False,
    project_id: int | None = None,
    robots: bool = True,
) -> None:
    """One message to one person outside a ticket's events (a routine run due, a duty alarm,
    an accepted risk's expiry): an inbox row and an e-mail on the channels they chose (the
    inbox kept for urgent ones; an urgent e-mail ignores quiet hours), and, with
    ``project_id``, the project's vendor group robots (``robots=False``: only the e-mail
    footer's engineer on duty). ``title`` and ``body`` are already in the reader's language."""
    url = f"{settings.SITE_URL}{path}"
    prefs = {(p.user_id, p.kind): p for p in Preference.objects.filter(user=person, kind=kind)}
    channels = channels_for(person, kind, prefs, critical=urgent)
    title = " ".join(title.split())[:300]
    note = None
    if "inbox" in channels:
        note = Notification.objects.create(
            recipient=person,
            kind=kind,
            title=title,
            body=body,
            url=path,
            urgent=urgent,
            created_at=now,
        )
    deliveries: list[Delivery] = []
    if "email" in channels and person.email:
        when = now
        if not urgent:
            when, _digest = send_time(quiet_hours([person]).get(person.pk), False, now)
        payload: dict[str, Any] = {
            "subject": title,
            "text": email_text(body=body, url=url),
            "url": url,
        }
        if project_id is not None:
            payload["project"] = project_id  # the footer's engineer on duty (outbox)
        deliveries.append(
            outbox.new_delivery(
                "email",
                person.email,
                kind,
                payload,
                now,
                when=when,
                recipient=person,
                notification=note,
            )
        )
    if project_id is not None and robots:
        deliveries += _robot_messages(project_id, kind, title, body, url, now)
    outbox.queue_deliveries(deliveries, now)


def _robot_messages(
    project_id: int, kind: Kind, title: str, body: str, url: str, now: datetime
) -> list[Delivery]:
    robots = RobotChannel.objects.filter(
        Q(project=project_id) | Q(project__isnull=True), is_active=True, internal=True
    )
    payload = robot_parts(title=title, body=body, url=url) | {"url": url}
    return [
        outbox.new_delivery(robot.platform, robot.webhook_url, kind, payload, now, robot=robot)
        for robot in robots
        if not robot.kinds or kind in robot.kinds
    ]
