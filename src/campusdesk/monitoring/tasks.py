"""The probes on Huey: every minute the due runs are claimed and each becomes its own task,
due at its time; every night the results past retention are rolled into hourly figures.

One run is one task, so the consumer's worker threads (``HUEY_WORKERS``) bound how many
checks run at once, and a target that hangs holds one thread for at most its timeout. A
worker that probes needs about probes ÷ interval × typical latency threads, plus one per
target that may hang (README, "Running it for real": worker hosts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from campusdesk.monitoring import retention, scheduler, services

#: claiming is quick and every probe waits on it: ahead of the runs, and of other work
SCHEDULE_PRIORITY = 20
#: a run due now goes before the queue's ordinary work (mails, reports)
RUN_PRIORITY = 10


def _run_probe(probe_id: int, scheduled_for: str) -> bool:
    result = services.probe_run(probe_id, scheduled_for=datetime.fromisoformat(scheduled_for))
    return result is not None


run_probe = db_task(name="monitoring.run_probe", priority=RUN_PRIORITY)(_run_probe)


def enqueue(runs: list[scheduler.Run], task: Any = None) -> None:
    """Each run as its own task at its due time (one already due runs at once).

    A run not started by the time the next one is due is dropped (Huey's ``expires``):
    workers that fall behind catch up instead of working off a backlog of stale checks.
    """
    task = task or run_probe
    for run in runs:
        task.schedule(
            args=(run.probe_id, run.scheduled_for.isoformat()),
            eta=run.scheduled_for,
            expires=run.stale_at,
            priority=RUN_PRIORITY,
        )


def _schedule() -> int:
    return scheduler.claim_due(claimed=enqueue)


def _rollup() -> int:
    return retention.rollup()


schedule = db_periodic_task(
    crontab(minute="*"), name="monitoring.schedule", priority=SCHEDULE_PRIORITY
)(_schedule)
#: 03:10 in Beijing (Huey's clock is UTC), when nobody reads the status pages
rollup = db_periodic_task(crontab(hour="19", minute="10"), name="monitoring.rollup")(_rollup)
