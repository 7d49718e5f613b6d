"""The one clock of campusdesk.

Services read ``now()`` once per operation and pass the value down, so a whole
operation sees one instant and tests can freeze or move time (time-machine).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return timezone.now()


def local(moment: datetime) -> datetime:
    """``moment`` in the deployment's time zone (Asia/Shanghai by default)."""
    return timezone.localtime(moment)
