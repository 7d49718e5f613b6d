"""A real SMTP server on loopback for the e-mail channel and the outbox tests.

``smtp_server`` starts aiosmtpd on 127.0.0.1 and a free port and points Django's SMTP
backend at it (through pytest-django's ``settings``, so it is undone after the test)::

    def test_it(smtp_server):
        smtp_server.refuse["nobody@example.edu"] = "550 5.1.1 no such user"
        ...send...
        [mail] = smtp_server.messages          # parsed EmailMessage objects, in order
        smtp_server.envelopes[0].rcpt_tos      # what the SMTP dialogue said
        smtp_server.stop()                      # "SMTP down": connections are refused
        smtp_server.start()                     # back, on the same port

``refuse`` maps a recipient address (case-insensitive) to the reply its ``RCPT TO``
gets, e.g. ``"451 4.3.0 try again later"``; ``refuse_data`` is the reply to every
``DATA`` when set. Received mail is kept across ``stop()``/``start()``; ``clear()``
forgets it.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.notify.test_robots import robot  # noqa: F401 - the robot endpoint, for the outbox tests

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # the message as it came over the wire


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_data: str = ""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        refused = {addr.lower(): reply for addr, reply in self.refuse.items()}
        reply = refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.host = HOST
        self.port = port
        self._handler = _Handler()
        self._controller: Controller | None = None

    @property
    def refuse(self) -> dict[str, str]:
        return self._handler.refuse

    @property
    def refuse_data(self) -> str:
        return self._handler.refuse_data

    @refuse_data.setter
    def refuse_data(self, reply: str) -> None:
        self._handler.refuse_data = reply

    @property
    def envelopes(self) -> list[Received]:
        return list(self._handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(r.content, policy=email.policy.default)
            for r in self._handler.received
        ]

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            # A stopped aiosmtpd Controller has closed its loop: start a new one.
            self._controller = Controller(self._handler, hostname=HOST, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        self._handler.received.clear()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server on loopback that Django's mail functions send to."""
    server = SmtpServer(_free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    server.start()
    try:
        yield server
    finally:
        server.stop()
