"""Domain errors whose messages are safe to show to the user as they are.

Views show ``str(error)``; the API maps them to 400 / 403 / 404 / 409 / 507 (core.api).
Messages are lazy translations, so they follow the language of the request.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    default_message: Any = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, fields: dict[str, list[Any]] | None = None):
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(DomainError):
    status_code = 400
    default_message = _("Some of the values are not valid.")


class PermissionDenied(DomainError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class NotFound(DomainError):
    status_code = 404
    default_message = _("Not found.")


class TransitionError(DomainError):
    status_code = 409
    default_message = _("This action is not possible in the current state.")


class TooSoon(DomainError):
    status_code = 429
    default_message = _("Too soon; please wait a little before trying again.")


class StorageFull(DomainError):
    status_code = 507
    default_message = _(
        "The file could not be stored: the server's storage is full. Nothing was saved; "
        "please try again later or tell your administrator."
    )
