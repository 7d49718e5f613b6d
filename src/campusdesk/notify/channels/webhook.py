"""Outgoing webhooks: a ticket event as JSON, signed with HMAC-SHA256 of the body.

The receiver recomputes ``hmac.new(secret, body, sha256).hexdigest()`` and compares it
with the ``X-Campusdesk-Signature: sha256=<hex>`` header; ``X-Campusdesk-Delivery`` is
the same on every retry of one delivery, so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from campusdesk.notify.transports import Message, TransportError, register

TIMEOUT_SECONDS = 10.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport:
    kind = "webhook"

    def send(self, message: Message, address: str, secret: str = "") -> None:
        if urlsplit(address).scheme not in ("http", "https"):
            raise TransportError("a webhook URL must be http(s)", permanent=True)
        body = message.text.encode("utf-8")  # the JSON document, prepared by the outbox
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            address, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "User-Agent": "campusdesk-webhook/1",
                     "X-Campusdesk-Event": message.subject,
                     "X-Campusdesk-Delivery": message.key,
                     "X-Campusdesk-Signature": signature(secret, body)},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                answer.read(1024)
        except urllib.error.HTTPError as error:
            retry = error.code >= 500 or error.code in (408, 429)
            raise TransportError(f"HTTP {error.code}", permanent=not retry) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise TransportError(f"unreachable: {error}", permanent=False) from error


register(WebhookTransport())


def document(event_action: str, ticket: dict[str, object], data: dict[str, object],
             at: str, actor: str | None) -> str:  # fmt: skip
    return json.dumps(
        {"event": event_action, "at": at, "actor": actor, "ticket": ticket, "data": data},
        ensure_ascii=False,
    )
