"""Satisfaction surveys on Huey: every fifteen minutes the drafts whose opening day has come
are opened (their customers told, once whatever the number of workers: ``services._open``'s
compare-and-set) and the open surveys past their closing day closed."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from campusdesk.surveys import services


def _open_and_close() -> int:
    return services.open_due() + services.close_due()


open_and_close = db_periodic_task(crontab(minute="*/15"), name="surveys.open_and_close")(
    _open_and_close
)
