"""The inbox as people read it: one row per problem (its newest message and how many of its
messages are unread), a message about no problem one row of its own.

A reporter hears of a dozen steps of one problem; a row per message buried the one that
asks something of them. The rows are paged in the database, the same on SQLite and
PostgreSQL: a problem's row is its newest message (the highest id of that recipient and
ticket, ``Max('id')`` grouped by ticket in a subquery), and one more query counts the
messages of the problems on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from campusdesk.accounts.models import User
from campusdesk.notify import inbox
from campusdesk.notify.models import Notification
from campusdesk.tickets.models import Ticket

UNREAD = Q(read_at__isnull=True)


@dataclass(frozen=True)
class InboxRow:
    """One row of the inbox: the newest message of a problem (or a message of its own)."""

    note: Notification
    #: the messages of the row, and how many of them are unread
    messages: int
    unread: int


def heads(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The newest message of each of ``user``'s rows, newest first (``unread_only``: the rows
    with an unread message). A queryset, so the paginator counts and slices it in SQL."""
    mine = Notification.objects.filter(recipient=user)
    groups: QuerySet[Any, Any] = mine.filter(ticket__isnull=False).order_by().values("ticket_id")
    alone = Q(ticket__isnull=True)
    if unread_only:
        groups = groups.annotate(unread=Count("id", filter=UNREAD)).filter(unread__gt=0)
        alone &= UNREAD
    newest = groups.annotate(newest=Max("id")).values("newest")
    return mine.filter(alone | Q(pk__in=newest)).order_by("-created_at", "-id")


def rows(user: User, notes: list[Notification]) -> list[InboxRow]:
    """The rows of the head messages ``notes`` (a page): one query for their counts."""
    tickets = {note.ticket_id for note in notes if note.ticket_id is not None}
    counts: dict[int, tuple[int, int]] = {}
    if tickets:
        found = (
            Notification.objects.filter(recipient=user, ticket_id__in=tickets)
            .order_by()
            .values("ticket_id")
            .annotate(total=Count("id"), unread=Count("id", filter=UNREAD))
        )
        counts = {row["ticket_id"]: (row["total"], row["unread"]) for row in found}
    return [
        InboxRow(note, *counts.get(note.ticket_id or 0, (1, int(note.read_at is None))))
        for note in notes
    ]


def row_read(*, user: User, notification_id: int) -> InboxRow | None:
    """Mark a row read (a problem's row: every message of that problem) and answer it as it
    now reads; None when ``user`` has no such message."""
    note = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if note is None:
        return None
    if note.ticket_id is not None:
        inbox.ticket_notifications_read(user=user, ticket_id=note.ticket_id)
    else:
        inbox.notification_read(user=user, notification_id=note.pk)
    note.refresh_from_db(fields=["read_at"])
    return rows(user, [note])[0]


def opened_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """The ticket page's panel of notify (it shows nothing): whoever opens a problem has read
    its messages, so its inbox row and the header's count drop — one UPDATE, before the
    page's header counts the unread."""
    inbox.ticket_notifications_read(user=user, ticket_id=ticket.pk)
    return {}
