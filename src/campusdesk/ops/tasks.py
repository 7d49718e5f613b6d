"""Operations on Huey: every hour the contracts' hour budgets are checked (a routine run's
workload counts there; a ticket's closure checks at once); every quarter of an hour the
tickets waiting for their customer's closure are reminded of (``closures.sweep``) and the
complaints past their deadline told to the supervisors (``complaints.sweep``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.ops import budget, closures, complaints


def _budget_sweep() -> int:
    return budget.sweep()


budget_sweep = db_periodic_task(crontab(minute="17"), name="ops.budget_sweep")(_budget_sweep)


def _closure_sweep() -> int:
    return closures.sweep()


closure_sweep = db_periodic_task(crontab(minute="*/15"), name="ops.closure_sweep")(_closure_sweep)


def _complaint_sweep() -> int:
    return complaints.sweep()


complaint_sweep = db_periodic_task(crontab(minute="*/15"), name="ops.complaint_sweep")(
    _complaint_sweep
)
