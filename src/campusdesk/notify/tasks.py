"""Delivery of notifications on Huey: right after the commit, and a sweep every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from campusdesk.notify import outbox


def _deliver(delivery_id: int) -> str:
    return outbox.deliver(delivery_id)


def _deliver_due() -> int:
    return outbox.deliver_due()


deliver = db_task(name="notify.deliver")(_deliver)
deliver_due = db_periodic_task(crontab(minute="*"), name="notify.deliver_due")(_deliver_due)
