"""Routine work on Huey: every five minutes the runs whose creation time has come are created
(once each, whatever the number of workers: ``services.create_due_runs``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.routines import services


def _create_runs() -> int:
    return len(services.create_due_runs())


create_runs = db_periodic_task(crontab(minute="*/5"), name="routines.create_runs")(_create_runs)
