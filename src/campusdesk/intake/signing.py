"""Signed alerts: a source with a signing secret must send, with its bearer token,

    X-Campusdesk-Timestamp: <Unix seconds>
    X-Campusdesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

The timestamp must be within ``SIGNATURE_WINDOW`` (5 minutes) of our clock, and a signature
is accepted once: it is recorded in the transaction that saves the alerts, so a replay is
refused while a retry after a failed save (nothing recorded) is taken. A stolen token alone
no longer raises incidents, and a captured request cannot be sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from campusdesk.core import clock, crypto
from campusdesk.intake.models import AlertSignature, AlertSource

TIMESTAMP = "X-Campusdesk-Timestamp"
SIGNATURE = "X-Campusdesk-Signature"
SIGNATURE_WINDOW = timedelta(minutes=5)
#: signatures older than this are forgotten: their timestamps are refused anyway
KEEP = SIGNATURE_WINDOW * 2


class Replayed(exceptions.APIException):
    status_code = 409
    default_detail = _("This signature was already used: sign each alert anew.")
    default_code = "replayed"


def new_secret() -> tuple[str, str]:
    """A signing secret: as shown once to the administrator, and as stored (encrypted)."""
    secret = secrets.token_urlsafe(32)
    return secret, crypto.encrypt(secret)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def check(source: AlertSource, headers: Mapping[str, str], body: bytes) -> None:
    """Refuse the request unless it carries a fresh, correct, unused signature of ``body``;
    record the signature as used (the caller's transaction keeps or undoes the record)."""
    if not source.signing_secret:
        return
    raw_time, given = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not raw_time or not given:
        raise exceptions.AuthenticationFailed(
            _(
                "This source signs its alerts: send X-Campusdesk-Timestamp and "
                "X-Campusdesk-Signature."
            )
        )
    try:
        timestamp = int(raw_time)
    except ValueError:
        raise exceptions.AuthenticationFailed(
            _("X-Campusdesk-Timestamp must be the time in whole Unix seconds.")
        ) from None
    if abs(clock.now().timestamp() - timestamp) > SIGNATURE_WINDOW.total_seconds():
        raise exceptions.AuthenticationFailed(
            _("The signature's timestamp is more than 5 minutes from our clock: sign anew.")
        )
    expected = sign(crypto.decrypt(source.signing_secret), timestamp, body)
    if not hmac.compare_digest(expected.encode(), str(given).strip().encode()):
        raise exceptions.AuthenticationFailed(_("The alert's signature does not match its body."))
    _record(source, hashlib.sha256(expected.encode()).hexdigest())


def _record(source: AlertSource, digest: str) -> None:
    now = clock.now()
    AlertSignature.objects.filter(source=source, seen_at__lt=now - KEEP).delete()
    try:
        with transaction.atomic():
            AlertSignature.objects.create(source=source, digest=digest, seen_at=now)
    except IntegrityError:
        raise Replayed from None
