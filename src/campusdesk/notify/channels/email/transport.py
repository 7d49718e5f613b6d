"""E-mail channel: one ``Message`` as a text + HTML e-mail over SMTP.

Its ``Message-ID`` and ``References`` come from ``ids``, so that retries are recognisable
and replies thread.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from campusdesk.core.text import one_line
from campusdesk.notify.channels.email.ids import message_id, thread_id
from campusdesk.notify.transports import Message, TransportError, register

# Ours win: a caller's header must not break threading or the auto-reply guard.
RESERVED_HEADERS = frozenset({"message-id", "references", "in-reply-to", "from", "to"})


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
