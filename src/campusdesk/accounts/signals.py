"""API tokens die with the password they were issued under, and with the account."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from campusdesk.accounts import services
from campusdesk.accounts.models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens")
def revoke_tokens(
    sender: type[User], instance: User, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """Every path that changes a password (the password pages, the admin, a reset, the API,
    ``changepassword``) ends in ``set_password`` and ``save``; ``_password`` holds the new
    one until the save is over. A hasher upgrade at login clears it first (Django's
    ``check_password``), so logging in revokes nothing."""
    if created:
        return
    password_changed = getattr(instance, "_password", None) is not None
    deactivated = not instance.is_active and (update_fields is None or "is_active" in update_fields)
    if password_changed or deactivated:
        services.api_tokens_revoke_all(user=instance)
