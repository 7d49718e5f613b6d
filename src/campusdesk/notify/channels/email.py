"""E-mail channel: one ``Message`` as a text + HTML e-mail over SMTP.

Identifiers, so that retries are recognisable and replies thread:

* ``message_id(key)`` is ``<{key}@{domain}>``: the same delivery key gives the same
  ``Message-ID`` on every attempt, so a message sent twice (the server took it but the
  connection broke before we heard "250") is recognisably one message.
* ``thread_id(thread)`` is ``<thread.{thread}@{domain}>``: a root that is never sent
  itself; every message of ``ticket-12`` names it in ``References``/``In-Reply-To``, so
  mail clients group them and a reply's ``References`` still carries it (``thread_of``).

``{domain}`` is the domain of ``settings.DEFAULT_FROM_EMAIL`` (the mail domain we send
as; ``SITE_URL`` may be an IP address with a port, which is no domain). Changing
``DEFAULT_FROM_EMAIL`` therefore starts new threads. Key and thread are percent-encoded
with ``.`` encoded too, so the local part is always valid and ``thread.`` cannot be
produced by a key: the two kinds of id never collide.
"""

from __future__ import annotations

import re
import smtplib
from email.utils import parseaddr
from urllib.parse import quote, unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from campusdesk.core.text import one_line
from campusdesk.notify.transports import Message, TransportError, register

FALLBACK_DOMAIN = "campusdesk.invalid"
THREAD_PREFIX = "thread."
# Ours win: a caller's header must not break threading or the auto-reply guard.
RESERVED_HEADERS = frozenset({"message-id", "references", "in-reply-to", "from", "to"})
_ID = re.compile(r"<([^<>@\s]+)@([^<>@\s]+)>")


def mail_domain() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].strip().lower()
    return domain or FALLBACK_DOMAIN


def _encode(value: str) -> str:
    if not value:
        raise ValueError("an e-mail id needs a non-empty key or thread")
    return quote(value, safe="").replace(".", "%2E")


def message_id(key: str) -> str:
    """The ``Message-ID`` of every attempt to deliver the message with idempotency ``key``."""
    return f"<{_encode(key)}@{mail_domain()}>"


def thread_id(thread: str) -> str:
    """The root id that every message of ``thread`` (e.g. ``ticket-12``) refers to."""
    return f"<{THREAD_PREFIX}{_encode(thread)}@{mail_domain()}>"


def thread_of(header: str) -> str | None:
    """The thread named by a ``References``/``In-Reply-To`` value of a reply, if one of ours."""
    domain = mail_domain()
    for local, host in _ID.findall(header):
        if host.lower() == domain and local.startswith(THREAD_PREFIX):
            return unquote(local.removeprefix(THREAD_PREFIX))
    return None


def _headers(message: Message) -> dict[str, str]:
    headers = {
        k: one_line(v) for k, v in message.headers.items() if k.lower() not in RESERVED_HEADERS
    }
    headers["Message-ID"] = message_id(message.key)
    if message.thread:
        root = thread_id(message.thread)
        headers["References"] = root
        headers["In-Reply-To"] = root
    given = {name.lower() for name in headers}
    if "auto-submitted" not in given:  # RFC 3834: auto-responders must not answer
        headers["Auto-Submitted"] = "auto-generated"
    if "x-auto-response-suppress" not in given:  # the same for Exchange/Outlook
        headers["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    return headers


def _is_permanent(exc: Exception) -> bool:
    """Whether trying again cannot help.

    Only the server's 5xx refusal of this message (its sender, recipient or content:
    MAIL, RCPT or DATA) is permanent. Everything about reaching the server — refused or
    timed-out connections, 4xx replies, a disconnect, a failed greeting, login or
    STARTTLS — is temporary: a server or configuration problem, and the message waits
    in the outbox until it is fixed instead of being dropped.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return not all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


class EmailTransport:
    kind = "email"

    def send(self, message: Message, address: str, secret: str = "") -> None:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise TransportError(f"not an e-mail address: {address!r}", permanent=True) from exc
        mail = EmailMultiAlternatives(
            # Stored titles may hold a line break (older rows, mail and alert subjects): a
            # header is one line, and a message must never fail for the words it carries.
            subject=one_line(message.subject),
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers=_headers(message),
            connection=get_connection(fail_silently=False),
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            mail.send()
        except BadHeaderError as exc:  # a newline in the subject or a header
            raise TransportError(str(exc), permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:  # smtplib's errors are OSErrors
            raise TransportError(
                f"{type(exc).__name__}: {exc}", permanent=_is_permanent(exc)
            ) from exc


register(EmailTransport())
