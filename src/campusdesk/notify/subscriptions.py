"""Subscriptions: people following a problem (关注) and webhooks following a project."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import batch, clock
from campusdesk.notify import outbox
from campusdesk.notify.models import Delivery, WebhookSubscription
from campusdesk.tickets.models import Ticket, TicketEvent


def ticket_follow(
    *, ticket_id: int, actor: User, follow: bool, now: datetime | None = None
) -> bool:
    """Follow (关注) or stop following a problem the user may see; whether they follow now."""
    from campusdesk.catalog import scoping
    from campusdesk.core.errors import NotFound
    from campusdesk.notify.models import Follower

    ticket = scoping.scope(Ticket.objects.all(), actor, "project").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    if follow:
        Follower.objects.get_or_create(
            ticket=ticket, user=actor, defaults={"since": now or clock.now()}
        )
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
        name=name.strip()[:100] or url[:100],
        project=project,
        url=url,
        secret=secret,
        events=[str(e)[:40] for e in events][:50],
    )
    return subscription, secret


def webhook_deliveries(ticket: Ticket, event: TicketEvent) -> list[Delivery]:
    """The signed JSON for each subscriber of the ticket's project that wants this event."""
    from campusdesk.notify.channels.webhook.transport import document

    subscriptions = batch.shared(
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
            {
                "id": ticket.pk,
                "number": ticket.number,
                "title": ticket.title,
                "status": ticket.status,
                "tier": ticket.tier,
                "severity": ticket.severity,
                "project": ticket.project_id,
                "url": f"{settings.SITE_URL}/tickets/{ticket.pk}/",
            },
            event.data,
            event.at.isoformat(),
            event.actor.username if event.actor else None,
        )
        payload = {"subject": event.action, "text": body}
        deliveries.append(
            outbox.new_delivery(
                "webhook", sub.url, event.action[:20], payload, event.at, webhook=sub
            )
        )
    return deliveries
