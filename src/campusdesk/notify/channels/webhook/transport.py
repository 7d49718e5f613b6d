"""Outgoing webhooks: a ticket event as JSON, signed with HMAC-SHA256 of the body.

The receiver recomputes ``hmac.new(secret, body, sha256).hexdigest()`` and compares it
with the ``X-Campusdesk-Signature: sha256=<hex>`` header; ``X-Campusdesk-Delivery`` is
the same on every retry of one delivery, so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from campusdesk.core import outbound
from campusdesk.core.text import one_line
from campusdesk.notify.transports import Message, TransportError, register

TIMEOUT_SECONDS = 10.0
MAX_REPLY_BYTES = 1024  # the receiver's answer is not used


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport:
    """POST through the guarded client (core.outbound): refused addresses and redirects fail
    for good; no answer, 408, 429 and 5xx are tried again."""

    kind = "webhook"

    def send(self, message: Message, address: str, secret: str = "") -> None:
        body = message.text.encode("utf-8")  # the JSON document, prepared by the outbox
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "campusdesk-webhook/1",
            "X-Campusdesk-Event": one_line(message.subject),
            "X-Campusdesk-Delivery": message.key,
            "X-Campusdesk-Signature": signature(secret, body),
        }
        try:
            answer = outbound.request(
                "POST",
                address,
                body=body,
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                max_bytes=MAX_REPLY_BYTES,
            )
        except outbound.OutboundRefused as error:
            raise TransportError(str(error), permanent=True) from error
        except outbound.OutboundError as error:
            raise TransportError(f"unreachable: {error}", permanent=False) from error
        if 300 <= answer.status < 400:
            raise TransportError(
                f"HTTP {answer.status}: redirects are not followed; give the final URL",
                permanent=True,
            )
        if answer.status >= 400:
            retry = answer.status >= 500 or answer.status in (408, 429)
            raise TransportError(f"HTTP {answer.status}", permanent=not retry)


register(WebhookTransport())


def document(
    event_action: str,
    ticket: dict[str, object],
    data: dict[str, object],
    at: str,
    actor: str | None,
) -> str:
    return json.dumps(
        {"event": event_action, "at": at, "actor": actor, "ticket": ticket, "data": data},
        ensure_ascii=False,
    )
