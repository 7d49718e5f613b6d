from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from campusdesk.accounts.models import User
from campusdesk.site.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": items_for(user)}
