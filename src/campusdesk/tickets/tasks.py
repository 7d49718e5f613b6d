"""Tickets on Huey: every night at 02:40 (Beijing) the problems closed or withdrawn long ago
are archived out of the default lists (``archive.sweep``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.tickets import archive


def _archive_sweep() -> int:
    return archive.sweep()


# the worker's crontab runs in UTC: 18:40 UTC is 02:40 in Beijing
archive_sweep = db_periodic_task(crontab(hour="18", minute="40"), name="tickets.archive_sweep")(
    _archive_sweep
)
