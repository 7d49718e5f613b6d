"""Periodic work of the core: the worker heartbeat, forgetting old idempotency keys."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from campusdesk.core import idempotency, services


def _beat() -> None:
    services.worker_heartbeat_record()


#: Every minute, each consumer that runs the scheduler says it is alive.
heartbeat = db_periodic_task(crontab(minute="*"), name="core.heartbeat")(_beat)

#: The same unit, on demand (tests, and ``campusdesk`` operators checking a worker).
heartbeat_now = db_task(name="core.heartbeat_now")(_beat)


#: Hourly, keys older than IDEMPOTENCY_KEY_HOURS are forgotten.
idempotency_purge = db_periodic_task(crontab(minute="17"), name="core.idempotency_purge")(
    idempotency.purge
)
