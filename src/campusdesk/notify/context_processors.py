from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from campusdesk.accounts.models import User
from campusdesk.notify.models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the page header (one indexed count)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {
        "unread_count": Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    }
