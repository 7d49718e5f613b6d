"""The outbox: deliveries written with their event, sent by the worker, retried.

1. A ``Delivery`` is written inside the transaction that records what it tells of, so a
   message exists exactly when its event does (``queue_deliveries``).
2. After the commit a task delivers each one; ``deliver_due`` (every minute) picks up
   what failed or what a killed worker left, with exponential backoff.
3. A delivery is claimed by compare-and-set, so two workers never send it together;
   its key (the e-mail's Message-ID) is the same on every attempt.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.core import bulk, clock
from campusdesk.notify.channels.email.message import footer
from campusdesk.notify.models import Delivery
from campusdesk.notify.transports import REGISTRY, Message, TransportError

MAX_ATTEMPTS = 12
CLAIM = timedelta(minutes=5)


# --- writing ---------------------------------------------------------------------------
def new_delivery(
    channel: str,
    address: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    when: datetime | None = None,
    **links: Any,
) -> Delivery:
    """An unsaved delivery; ``links`` are saved objects (``recipient=user``) or None."""
    ids = {f"{name}_id": (None if linked is None else linked.pk) for name, linked in links.items()}
    return bulk.new(
        Delivery,
        key=uuid.uuid4().hex,
        channel=channel,
        address=address,
        kind=kind,
        payload=payload,
        next_attempt_at=when or now,
        created_at=now,
        **ids,
    )


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
        Delivery.objects.select_related("robot", "webhook", "recipient").get(pk=delivery_id)
        if claimed
        else None
    )


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try to send one delivery; its status afterwards."""
    now = now or clock.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    batch = _digest_batch(delivery, now) if delivery.payload.get("digest") else [delivery]
    reader = delivery.recipient.preferred_language if delivery.recipient else ""
    with translation.override(reader or settings.LANGUAGE_CODE):
        message = _digest_message(batch) if len(batch) > 1 else _message(delivery)
        if delivery.channel == "email":
            message = _with_footer(message, batch, now)
    transport = REGISTRY.get(delivery.channel)
    secret = (
        delivery.robot.secret
        if delivery.robot
        else delivery.webhook.secret
        if delivery.webhook
        else ""
    )
    try:
        if transport is None:
            raise TransportError(f"no transport for {delivery.channel}", permanent=True)
        transport.send(message, delivery.address, secret)
    except TransportError as error:
        for item in batch:
            _failed(item, error, now)
        return Delivery.objects.get(pk=delivery.pk).status
    Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
        status=Delivery.Status.SENT,
        sent_at=now,
        attempts=F("attempts") + 1,
        locked_until=None,
        last_error="",
    )
    return Delivery.Status.SENT


def _message(delivery: Delivery) -> Message:
    fields = ("subject", "text", "html", "markdown", "url", "thread")
    return Message(key=delivery.key, **{k: v for k, v in delivery.payload.items() if k in fields})


def _with_footer(message: Message, batch: list[Delivery], now: datetime) -> Message:
    """``message`` with the foot every e-mail carries (its project's engineer on duty when all
    of ``batch`` is about one project), in the active language: the reader's."""
    projects = {delivery.payload.get("project") for delivery in batch}
    project_id = projects.pop() if len(projects) == 1 else None
    foot = footer(project_id=project_id, now=now)
    return replace(
        message,
        text=message.text + foot["text"],
        html=message.html + foot["html"] if message.html else "",
    )


def _digest_batch(first: Delivery, now: datetime) -> list[Delivery]:
    """The other digest e-mails of the same person that are due: claimed together."""
    others = Delivery.objects.filter(
        recipient=first.recipient_id,
        channel=first.channel,
        status=Delivery.Status.PENDING,
        payload__digest=True,
        next_attempt_at__lte=now,
    ).exclude(pk=first.pk)
    ids = list(others.values_list("pk", flat=True)[:200])
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, locked_until=now + CLAIM
    )
    claimed = Delivery.objects.filter(
        pk__in=ids, status=Delivery.Status.SENDING, locked_until=now + CLAIM
    )
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
        status=status,
        attempts=attempts,
        last_error=str(error)[:2000],
        locked_until=None,
        next_attempt_at=now + backoff,
    )
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
