"""Password rules with complete Chinese messages (Django's own catalog lacks this plural)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _(
            "This password is too short. It must contain at least %(min_length)d characters."
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("Your password must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
