"""Reads of accounts that need care."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from campusdesk.accounts.models import ApiToken, User
from campusdesk.core import clock


def live_api_tokens(user: User, now: datetime | None = None) -> QuerySet[ApiToken]:
    """The user's tokens that still authenticate, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=now or clock.now()).order_by(
        "-created_at", "-id"
    )
