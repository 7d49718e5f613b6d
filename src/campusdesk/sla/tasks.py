"""The service-level sweeper: every minute, fire the warnings and breaches that are due."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.sla import services


def _sweep() -> int:
    return services.sweep()


sweep = db_periodic_task(crontab(minute="*"), name="sla.sweep")(_sweep)
