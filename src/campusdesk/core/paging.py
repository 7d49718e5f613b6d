"""Keyset pagination of newest-first lists: every page costs the same, however deep.

A page is named by the row it continues from (``?after=<cursor>`` for older rows,
``?before=<cursor>`` for newer ones), not by an offset: the database walks the
``(created_at, id)`` index from that row instead of counting past every earlier one. The
total is counted only up to ``cap`` (a list of a million problems shows "500+"), so no
page ever scans the whole table for a number nobody reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

CAP = 500


@dataclass(frozen=True)
class Window:
    rows: list[Any]
    newer: str | None  # cursor of the first row, when newer rows exist
    older: str | None  # cursor of the last row, when older rows exist
    total: int  # at most ``cap``
    capped: bool  # there are more than ``total``

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def cursor_of(row: Any) -> str:
    return f"{row.created_at.isoformat()}_{row.pk}"


def parse_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """(created_at, id) of a cursor; None for anything that is not one (the first page)."""
    stamp, _sep, pk = (raw or "").rpartition("_")
    if not stamp or not pk.isdigit() or len(pk) > 18:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment, int(pk)


def window(
    rows: QuerySet[Any], *, after: str | None, before: str | None, size: int, cap: int = CAP
) -> Window:
    """One page of ``rows`` (newest first by ``created_at``, ``id``) around a cursor."""
    newest_first = rows.order_by("-created_at", "-id")
    start, end = parse_cursor(after), parse_cursor(before)
    counted = _count(rows, cap)
    total, capped = min(counted, cap), counted > cap
    if end is not None and start is None:
        moment, pk = end
        # "created_at >= t" bounds the index scan; the OR alone would not
        newer = rows.filter(created_at__gte=moment).filter(Q(created_at__gt=moment) | Q(id__gt=pk))
        found = list(newer.order_by("created_at", "id")[: size + 1])
        more_newer = len(found) > size
        page = list(reversed(found[:size]))
        return Window(
            rows=page,
            newer=cursor_of(page[0]) if more_newer and page else None,
            older=cursor_of(page[-1]) if page else None,
            total=total,
            capped=capped,
        )
    if start is not None:
        moment, pk = start
        newest_first = newest_first.filter(created_at__lte=moment).filter(
            Q(created_at__lt=moment) | Q(id__lt=pk)
        )
    found = list(newest_first[: size + 1])
    page = found[:size]
    return Window(
        rows=page,
        newer=cursor_of(page[0]) if start is not None and page else None,
        older=cursor_of(page[-1]) if len(found) > size else None,
        total=total,
        capped=capped,
    )


def _count(rows: QuerySet[Any], cap: int) -> int:
    """How many rows, counting no further than one past ``cap``."""
    return rows.order_by()[: cap + 1].count()
