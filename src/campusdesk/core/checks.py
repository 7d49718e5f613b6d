"""System checks of campusdesk's own settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def generated_secret_key(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """A SECRET_KEY made on this host is fine for one machine, wrong for several."""
    if "SECRET_KEY" not in getattr(settings, "GENERATED_SECRETS", set()):
        return []
    return [
        Warning(
            "SECRET_KEY was generated and kept in DATA_DIR.",
            hint="Set SECRET_KEY (or SECRET_KEY_FILE), the same on every web host.",
            id="campusdesk.W001",
        )
    ]
