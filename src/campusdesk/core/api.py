"""API plumbing shared by every app: error mapping and scoped lookups."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from campusdesk.core.errors import DomainError

#: A router's ``lookup_value_regex`` for integer ids: like ``<int:pk>`` paths, anything else
#: is a 404 from the URL resolver before a view's ``int()`` or a pk lookup sees it.
NUMERIC_ID = r"[0-9]+"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain errors become 400/403/404/409 with their (translated) message."""
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": str(exc.message)}
        for field, messages in exc.fields.items():
            body[field] = [str(m) for m in messages]
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data = {"detail": str(response.data.get("detail", ""))}
    return response
