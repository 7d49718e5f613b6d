"""Polling IMAP mailboxes: each unread message goes through ``inbound.mail_receive``.

A message is marked ``\\Seen`` only after it was received (committed or recognised as
already received), so a failure leaves it unread for the next poll; the Message-ID key
makes a second reading harmless. A message that cannot be processed is quarantined by
``mail_receive`` and marked too: never read again every minute. One poll of a mailbox at
a time (a Huey lock), so two worker hosts do not fetch the same messages at once.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from campusdesk.core.crypto import SecretUnreadable
from campusdesk.intake import inbound
from campusdesk.intake.models import Mailbox

log = logging.getLogger(__name__)
BATCH = 200  # messages per poll of one mailbox; the rest wait for the next minute


@dataclass(frozen=True)
class Account:
    label: str
    host: str
    port: int
    use_ssl: bool
    user: str
    password: str
    folder: str
    mailbox_id: int | None = None


def accounts() -> list[Account]:
    """The default mailbox of the ``IMAP_*`` settings, then every mailbox row with a host
    (skipped, with the reason logged, when its stored password cannot be decrypted)."""
    found: list[Account] = []
    if settings.IMAP_HOST:
        found.append(
            Account(
                "default",
                settings.IMAP_HOST,
                settings.IMAP_PORT,
                settings.IMAP_SSL,
                settings.IMAP_USER,
                settings.IMAP_PASSWORD,
                settings.IMAP_FOLDER,
            )
        )
    for box in Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"):
        try:
            password = box.imap_secret()
        except SecretUnreadable as exc:
            log.error("IMAP %s: not polled: %s", box.address, exc)
            continue
        found.append(
            Account(
                box.address,
                box.imap_host,
                box.imap_port,
                box.imap_ssl,
                box.imap_user,
                password,
                box.imap_folder or "INBOX",
                box.pk,
            )
        )
    return found


def _connect(account: Account) -> imaplib.IMAP4:
    timeout = settings.IMAP_TIMEOUT
    if account.use_ssl:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(account.host, account.port, ssl_context=context, timeout=timeout)
    conn = imaplib.IMAP4(account.host, account.port, timeout=timeout)
    if "STARTTLS" in conn.capabilities:
        conn.starttls(ssl.create_default_context())
    return conn


def _raw(fetched: list[object]) -> bytes | None:
    for item in fetched:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll(account: Account, *, now: datetime | None = None) -> int:
    """Receive the unread messages of one mailbox; how many were received."""
    mailbox = Mailbox.objects.filter(pk=account.mailbox_id).first() if account.mailbox_id else None
    conn = _connect(account)
    received = 0
    try:
        conn.login(account.user, account.password)
        status, _count = conn.select(_quoted(account.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {account.folder!r}")
        _status, data = conn.uid("SEARCH", "UNSEEN")
        for uid in (data[0] or b"").decode("ascii").split()[:BATCH]:
            _status, fetched = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _raw(list(fetched))
            if raw is None:
                continue
            try:
                inbound.mail_receive(raw=raw, mailbox=mailbox, now=now)
            except Exception:  # left unread: the next poll tries again
                log.exception("IMAP %s: message %s not received", account.label, uid)
                continue
            conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            received += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return received


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
