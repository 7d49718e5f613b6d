"""The channel registry: one transport per kind, each in its package notify/channels/<kind>/.

A transport sends one ``Message`` to one address, or raises ``TransportError`` saying
whether trying again could help (the outbox retries the others with backoff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key: the same for every attempt of one delivery
    subject: str
    text: str  # plain text (robots use it, e-mails carry it as the text part)
    html: str = ""  # e-mail HTML part; robots may use ``markdown`` instead
    markdown: str = ""
    url: str = ""  # absolute link to what the message is about
    thread: str = ""  # e.g. "ticket-12": e-mails of one thread share References
    headers: dict[str, str] = field(default_factory=dict)


class Transport(Protocol):
    kind: str

    def send(self, message: Message, address: str, secret: str = "") -> None:
        """Send ``message`` to ``address`` (an e-mail address or a robot's webhook URL)."""


REGISTRY: dict[str, Transport] = {}


def register(transport: Transport) -> Transport:
    REGISTRY[transport.kind] = transport
    return transport
