"""Small helpers for views."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from campusdesk.accounts.models import User


def current_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a view (web or API) that requires one, typed as our User."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def htmx_target(request: HttpRequest) -> str | None:
    """The element id an htmx request will swap, or None for a plain request."""
    details = getattr(request, "htmx", None)
    if not details:
        return None
    return str(details.target or "")


def is_htmx(request: HttpRequest) -> bool:
    return htmx_target(request) is not None
