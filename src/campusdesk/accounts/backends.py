"""The login backend: Django's own, reading the signed-in user with their organisation.

Every page shows the user's organisation in its header and most pages scope by it; read with
the user (one query per request instead of two).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from campusdesk.accounts.models import User


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
