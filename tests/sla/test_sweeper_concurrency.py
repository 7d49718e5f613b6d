"""Sweepers racing in real threads, each with its own connection, on SQLite and PostgreSQL.

A warning or a breach fires once per ticket and deadline however many sweepers run:
the firing row is unique, and on PostgreSQL a sweeper skips the tickets another one
holds (``SKIP LOCKED``); on SQLite the IMMEDIATE transactions queue up.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

import pytest
from django.db import connection

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.sla import services as sla
from campusdesk.sla.models import SlaFiring
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.tickets.conftest import new_ticket

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = 20
# SIS1 tickets registered Mon 10:00: respond 12:00, resolve 14:00, on site 22:00, accept Tue
# 10:00, each warned 30 min ahead
REGISTERED = datetime.fromisoformat("2026-03-09T10:00:00+08:00")
RESPOND_WARNING = datetime.fromisoformat("2026-03-09T11:30:00+08:00")
ALL_PAST_DUE = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
DEADLINES = ["accept", "onsite", "resolve", "respond"]


def sweep_together(threads: int, now: datetime) -> list[int]:
    """What ``sweep(now=now)`` returned in each of ``threads`` threads released at once."""
    barrier = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = sla.sweep(now=now)
        except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert not any(worker.is_alive() for worker in workers), "a sweeper is stuck"
    assert all(isinstance(r, int) for r in results), results
    return [r for r in results if isinstance(r, int)]


def fired(action: str) -> Counter[tuple[int, str]]:
    events = TicketEvent.objects.filter(action=action)
    return Counter((e.ticket_id, e.data["deadline"]) for e in events)


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_sweepers_fire_each_deadline_once(
    people: dict[str, User], project: Project, threads: int
):
    tickets = [
        new_ticket(
            project, people["user"], urgency="critical", title=f"并发扫描 {i}", now=REGISTERED
        )
        for i in range(TICKETS)
    ]
    ids = {ticket.pk for ticket in tickets}

    warned = sweep_together(threads, RESPOND_WARNING)
    assert sum(warned) == TICKETS
    assert fired("sla_warning") == Counter({(pk, "respond"): 1 for pk in ids})

    breached = sweep_together(threads, ALL_PAST_DUE)
    assert sum(breached) == TICKETS * len(DEADLINES)
    assert fired("sla_breached") == Counter({(pk, kind): 1 for pk in ids for kind in DEADLINES})
    assert fired("sla_warning").total() == TICKETS  # too late to warn of the rest
    assert SlaFiring.objects.count() == TICKETS * (1 + len(DEADLINES))
    assert not Ticket.objects.filter(next_deadline_at__isnull=False).exists()

    assert sweep_together(threads, ALL_PAST_DUE) == [0] * threads
    assert TicketEvent.objects.filter(action__startswith="sla_").count() == TICKETS * 5
