"""The demo's inbox: whoever logs in finds a few fresh messages, not a month's worth unread.

The other apps' demos act through the real services, so everyone hears of every step as
they would; a person who had been using the desk would have read the older ones. Run last.
"""

from __future__ import annotations

from datetime import timedelta

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.notify.models import Notification

#: unread messages each demo person keeps at most (the newest, of the last day)
KEEP_UNREAD = 8


def load(people: dict[str, User]) -> None:
    """The demo organisations' people (the logins and the colleagues other demos add) have
    read what is older than a day, and keep the newest few unread."""
    now = clock.now()
    organisations = {person.organisation_id for person in people.values()}
    unread = Notification.objects.filter(
        recipient__organisation__in=organisations, read_at__isnull=True
    )
    unread.filter(created_at__lt=now - timedelta(days=1)).update(read_at=now)
    for person in User.objects.filter(organisation__in=organisations):
        newest = unread.filter(recipient=person).order_by("-created_at", "-id")
        older = list(newest.values_list("pk", flat=True)[KEEP_UNREAD:])
        if older:
            Notification.objects.filter(pk__in=older).update(read_at=now)
