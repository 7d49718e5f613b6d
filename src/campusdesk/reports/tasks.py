"""The monthly service reports on Huey: 01:00 UTC (09:00 in Beijing) on the 1st."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.reports import services


def _monthly() -> int:
    return services.monthly_reports_send()


monthly = db_periodic_task(
    crontab(day="1", hour="1", minute="0"), name="reports.monthly", retries=3, retry_delay=600
)(_monthly)
