"""The roster check on Huey: every morning the service managers hear of their projects'
uncovered duty minutes in the next 30 days."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.duty import services


def _check_roster() -> int:
    return services.warn_gaps()


#: 08:30 in Beijing (Huey's clock is UTC)
check_roster = db_periodic_task(crontab(hour="0", minute="30"), name="duty.check_roster")(
    _check_roster
)
