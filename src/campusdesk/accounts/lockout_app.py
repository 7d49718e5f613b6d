"""django-axes (login lockout) as an installed app under a Chinese name.

Its own module: an apps.py holding two AppConfig classes would need a ``default``."""

from __future__ import annotations

from typing import Any

from axes.apps import AppConfig as AxesConfig
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class LockoutConfig(AxesConfig):  # type: ignore[misc] # django-axes is untyped
    """django-axes (login lockout) under a Chinese name, its records named in Chinese too:
    axes names its section "Axes" and its records in English f-strings (the admin's
    titles and breadcrumbs), and ships no Chinese catalogue (ours has its strings)."""

    verbose_name = _("Login lockout")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttempt.__str__ = _attempt_name
        AccessFailureLog.__str__ = _attempt_name
        AccessLog.__str__ = _attempt_name


def _attempt_name(record: Any) -> str:
    return gettext("%(username)s from %(address)s at %(time)s") % {
        "username": record.username or "—",
        "address": record.ip_address or "—",
        "time": localtime(record.attempt_time).strftime("%Y-%m-%d %H:%M:%S"),
    }
