"""The worker's part of the systems app: every hour, remind accepted risks that are about
to expire and open again those that have (``findings.expiry_sweep``; once per finding)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.systems import findings


def _expiry_sweep() -> int:
    return findings.expiry_sweep()


expiry_sweep = db_periodic_task(crontab(minute="7"), name="systems.expiry_sweep")(_expiry_sweep)
