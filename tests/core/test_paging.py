"""Keyset pages: every row once, in order, forwards and back, however many share a time."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from campusdesk.core import paging
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket


def _make(project, customer, n: int) -> list[int]:
    base = timezone.now() - timedelta(days=1)
    ids = []
    for i in range(n):
        ticket = new_ticket(project, customer, title=f"第 {i} 个问题")
        # pairs share one instant: the id breaks the tie
        Ticket.objects.filter(pk=ticket.pk).update(created_at=base + timedelta(minutes=i // 2))
        ids.append(ticket.pk)
    return ids


def _newest_first(ids: list[int]) -> list[int]:
    rows = Ticket.objects.filter(pk__in=ids).order_by("-created_at", "-id")
    return list(rows.values_list("pk", flat=True))


def test_walks_every_row_once_both_ways(project, customer):
    expected = _newest_first(_make(project, customer, 11))
    rows = Ticket.objects.all()
    seen, pages, after = [], [], None
    while True:
        page = paging.window(rows, after=after, before=None, size=3)
        pages.append(page)
        seen += [t.pk for t in page.rows]
        if page.older is None:
            break
        after = page.older
    assert seen == expected
    assert [len(p.rows) for p in pages] == [3, 3, 3, 2]
    assert pages[0].newer is None and pages[1].newer is not None
    assert (pages[0].total, pages[0].capped) == (11, False)
    # and back from the last page with ``before``
    back = paging.window(rows, after=None, before=pages[-1].newer, size=3)
    assert [t.pk for t in back.rows] == [t.pk for t in pages[-2].rows]
    first = paging.window(rows, after=None, before=pages[1].newer, size=3)
    assert [t.pk for t in first.rows] == [t.pk for t in pages[0].rows]
    assert first.newer is None  # nothing newer than the first page


def test_total_is_capped(project, customer):
    _make(project, customer, 6)
    page = paging.window(Ticket.objects.all(), after=None, before=None, size=2, cap=4)
    assert (page.total, page.capped) == (4, True)


def test_a_broken_cursor_gives_the_first_page(project, customer):
    expected = _newest_first(_make(project, customer, 4))
    for bad in ("x", "2026-13-01T00:00:00+08:00_5", "2026-11-01T00:00:00_5", "_", "a_b", None):
        page = paging.window(Ticket.objects.all(), after=bad, before=bad, size=2)
        assert [t.pk for t in page.rows] == expected[:2], bad


def test_list_page_follows_the_older_link(people, project, customer):
    expected = _newest_first(_make(project, customer, 30))
    client = web_client_for(people["engineer"])
    html = client.get("/tickets/").content.decode()
    assert "30 个问题" in html
    link = re.search(r'href="\?(after=[^"]+)" rel="next"', html)
    assert link, "an Older link"
    older = client.get(f"/tickets/?{link.group(1).replace('&amp;', '&')}").content.decode()
    numbers = Ticket.objects.filter(pk__in=expected[25:]).values_list("number", flat=True)
    assert all(n in older for n in numbers)
    assert Ticket.objects.get(pk=expected[0]).number not in older
