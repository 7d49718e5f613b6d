"""``Idempotency-Key`` on an API call that creates something (``POST /api/v1/tickets/``): a
client that did not get the answer (a timeout, a restarted database, a lost connection)
sends the same request with the same key again and gets the first answer, never a second
ticket.

The record of a key is written in the same transaction as the work, first: a retry racing
the first request waits on the unique key and then reads the first answer; a request whose
work failed leaves no record, so its retry does the work. The same key with another request
body is refused (422); a key is kept ``IDEMPOTENCY_KEY_HOURS`` (24) hours, per user.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campusdesk.core import clock
from campusdesk.core.errors import DomainError, ValidationError
from campusdesk.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_LENGTH = 255

#: the header in the OpenAPI schema of an operation that honours it
PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique value (a UUID) chosen by the client for this request, up to 255 visible "
        "ASCII characters. A retry with the same key and body returns the first answer "
        f"(with `{REPLAYED}: true`) instead of doing the work again; the same key with "
        "another body is a 422. Keys are kept 24 hours per user."
    ),
)


class KeyReused(DomainError):
    status_code = 422
    default_message = _(
        "This Idempotency-Key was already used for a different request: use a new key for "
        "a new request."
    )


def _key(raw: str) -> str:
    if not 0 < len(raw) <= MAX_LENGTH or not all(" " <= ch <= "~" for ch in raw):
        raise ValidationError(
            _("Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say).")
        )
    return raw


def fingerprint(data: Any) -> str:
    """The request as validated, canonically: the same request gives the same value."""
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.fingerprint != digest:
        raise KeyReused
    return Response(record.response, status=record.status_code, headers={REPLAYED: "true"})


def once(request: Any, user: Any, scope: str, data: Any, work: Callable[[], Response]) -> Response:
    """``work()`` (which answers a 2xx or raises), once per ``Idempotency-Key`` of ``user``;
    without the header, simply ``work()`` in a transaction."""
    raw = request.headers.get(HEADER)
    if raw is None:
        with transaction.atomic():
            return work()
    key, digest = _key(raw), fingerprint(data)
    mine = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key)
    first = mine.first()
    if first is not None:
        return _replay(first, digest)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, scope=scope, key=key, fingerprint=digest, created_at=clock.now()
                )
        except IntegrityError:
            # a request with this key committed while this one waited for it
            return _replay(mine.get(), digest)
        response = work()
        record.status_code = response.status_code
        record.response = json.loads(JSONRenderer().render(response.data))
        record.save(update_fields=["status_code", "response"])
    return response


def purge(now: Any = None) -> int:
    """Forget keys older than ``IDEMPOTENCY_KEY_HOURS``; how many."""
    cutoff = (now or clock.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
