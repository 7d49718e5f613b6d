"""The archive: problems closed or withdrawn ``ARCHIVE_AFTER_DAYS`` ago leave the default
lists (web and API) so that the lists people work from stay about the work of this year;
a search still finds them, the list's "archived too" box and the API's ``archived=1`` show
them, and their links open them as before. Nothing is deleted or changed but the flag."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from campusdesk.core import clock
from campusdesk.tickets.models import Status, Ticket

#: rows flagged per statement: a first sweep over years of tickets holds no long lock
BATCH = 2000


def sweep(*, now: datetime | None = None, days: int | None = None) -> int:
    """Flag the problems closed (or withdrawn) more than ``days`` ago; returns how many."""
    days = settings.ARCHIVE_AFTER_DAYS if days is None else days
    if days <= 0:
        return 0
    before = (now or clock.now()) - timedelta(days=days)
    old = Ticket.objects.filter(
        status__in=(Status.CLOSED, Status.WITHDRAWN), archived=False, updated_at__lt=before
    )
    total = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return total
        total += Ticket.objects.filter(pk__in=ids, archived=False).update(archived=True)
