"""API plumbing shared by every app: error mapping, and ids as requests give them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from campusdesk.core import failures
from campusdesk.core.errors import DomainError, NotFound, ValidationError

logger = logging.getLogger(__name__)

#: The largest id a request may name, a bigint's: past it a foreign-key or ``__in`` lookup
#: overflows the database driver instead of finding nothing.
MAX_ID = 2**63 - 1
#: An id as text: ASCII digits (``str.isdigit`` also takes "²", which ``int()`` refuses),
#: few enough to stay under ``MAX_ID``.
ID_DIGITS = re.compile(r"[0-9]{1,18}")


def path_id(raw: object) -> int:
    """The id in a URL, or a 404: a router passes any text, ``<int:…>`` any number of digits."""
    if raw is None or not ID_DIGITS.fullmatch(str(raw)):
        raise NotFound()
    return int(str(raw))


class IdField(serializers.IntegerField):
    """An id in a request body: positive, and at most ``MAX_ID``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def query_int(raw: str | None) -> int | None:
    """An id from a query string, or None for anything else (the filter is then not applied)."""
    return int(raw) if raw and ID_DIGITS.fullmatch(raw) else None


def query_text(raw: str | None, limit: int = 200) -> str:
    """Text from a query string, without NUL: PostgreSQL text cannot hold one, so a lookup
    with it fails instead of finding nothing."""
    return (raw or "").replace("\x00", "")[:limit]


def query_choice(raw: str | None, choices: Iterable[str], field: str, message: Any) -> str:
    """A choice from a query string ('' when not given); any other value is a 400 that
    names the parameter with ``message``."""
    value = query_text(raw)
    if value and value not in choices:
        raise ValidationError(message, fields={field: [message]})
    return value


def valid(
    serializer_class: type[serializers.Serializer[Any]], request: Request, partial: bool = False
) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (a 400 with the fields' errors)."""
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def paged(
    rows: QuerySet[Any], request: Request, serializer: type[serializers.BaseSerializer[Any]]
) -> Response:
    """One page (``?page=``) of ``rows`` with the count and the next and previous links."""
    pages = PageNumberPagination()
    page = pages.paginate_queryset(rows, request)
    return pages.get_paginated_response(serializer(page, many=True).data)


class IgnoreFormatParameter(DefaultContentNegotiation):
    """For the views of a document download: ``?format=`` names the document's format
    (docx, pdf), not DRF's renderer (its URL_FORMAT_OVERRIDE would answer 404 for
    ``docx``); errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain errors become 400/403/404/409/507 with their (translated) message; a database
    that cannot be reached 503 with Retry-After, so the client tries again."""
    if isinstance(exc, failures.DATABASE_DOWN):
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        set_rollback()
        return Response(
            {"detail": failures.database_down_message()},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(settings.RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": str(exc.message)}
        for field, messages in exc.fields.items():
            body[field] = [str(m) for m in messages]
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data = {"detail": str(response.data.get("detail", ""))}
    return response
