from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from campusdesk.accounts.models import User
from campusdesk.site.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": []}
    items = items_for(user)
    more = [item for item in items if item.in_more]
    match = request.resolver_match
    here = match.view_name if match else None
    return {
        "nav_items": items,
        "nav_more": more,
        "nav_more_current": any(item.url_name == here for item in more),
    }
