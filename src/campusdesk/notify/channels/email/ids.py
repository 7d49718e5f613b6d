"""E-mail identifiers, so that retries are recognisable and replies thread:

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
from email.utils import parseaddr
from urllib.parse import quote, unquote

from django.conf import settings

FALLBACK_DOMAIN = "campusdesk.invalid"
THREAD_PREFIX = "thread."
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
