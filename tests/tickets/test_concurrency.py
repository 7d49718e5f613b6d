"""Races between real threads, each with its own database connection, on SQLite and PostgreSQL.

The services lock the ticket row (``select_for_update``; on SQLite the IMMEDIATE
transaction holds the write lock from its start), so concurrent writers queue up:
no double acceptance, no lost urge, no number given out twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import TransitionError
from campusdesk.tickets import services
from campusdesk.tickets.models import Commitment, Ticket, TicketEvent
from tests.factories import UserFactory
from tests.tickets.conftest import new_ticket

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(0)`` … ``work(count - 1)`` in threads released at the same moment.

    Each slot of the result holds what ``work`` returned or the exception it raised.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def test_two_engineers_accepting_at_once_one_wins(people: dict[str, User], project: Project):
    colleague = UserFactory(role="engineer", organisation=people["engineer"].organisation)
    project.line1_team.add(colleague)
    engineers = [people["engineer"], colleague]
    due = timezone.now() + timedelta(hours=8)
    for round_ in range(5):  # a few rounds: a missing lock would not always show in one
        ticket = new_ticket(project, people["user"], title=f"并发受理 {round_}")

        def accept(index: int, ticket: Ticket = ticket) -> object:
            return services.ticket_accept(
                ticket_id=ticket.pk,
                actor=engineers[index],
                severity="SIS2",
                committed_resolution_at=due,
            )

        results = together(2, accept)
        won = [r for r in results if isinstance(r, Ticket)]
        lost = [r for r in results if not isinstance(r, Ticket)]
        assert len(won) == 1, results
        assert len(lost) == 1
        assert isinstance(lost[0], TransitionError), repr(lost[0])
        winner = engineers[results.index(won[0])]

        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.status == "in_progress"
        assert stored.assignee_id == winner.pk
        accepts = TicketEvent.objects.filter(ticket=ticket, action="accept")
        assert [e.actor_id for e in accepts] == [winner.pk]
        assert [c.set_by_id for c in Commitment.objects.filter(ticket=ticket)] == [winner.pk]


def test_concurrent_urges_are_all_counted(people: dict[str, User], project: Project, settings):
    settings.URGE_INTERVAL_MINUTES = 0  # eight urges at once: only the count is tested here
    ticket = new_ticket(project, people["user"])

    def urge(index: int) -> object:
        return services.ticket_urge(
            ticket_id=ticket.pk, actor=people["user"], message=f"第 {index} 次催办"
        )

    results = together(8, urge)
    assert all(isinstance(r, Ticket) for r in results), results
    assert Ticket.objects.get(pk=ticket.pk).urge_count == 8
    urges = TicketEvent.objects.filter(ticket=ticket, action="urge")
    assert sorted(e.data["count"] for e in urges) == list(range(1, 9))
    assert sorted(e.data["message"] for e in urges) == sorted(f"第 {i} 次催办" for i in range(8))


def _numbers(tickets: list[object]) -> list[int]:
    assert all(isinstance(t, Ticket) for t in tickets), tickets
    return sorted(int(t.number.split("-")[1]) for t in tickets if isinstance(t, Ticket))


def test_concurrent_registrations_get_consecutive_numbers(
    people: dict[str, User], project: Project
):
    def register(index: int) -> object:
        return new_ticket(project, people["user"], title=f"并发登记 {index}")

    # the year's counter does not exist yet: the registrations also race to create it
    assert _numbers(together(10, register)) == list(range(1, 11))
    # and once it exists, they queue on its row
    assert _numbers(together(10, register)) == list(range(11, 21))
    stored = list(Ticket.objects.values_list("number", flat=True))
    assert len(stored) == len(set(stored)) == 20
    assert TicketEvent.objects.filter(action="register").count() == 20
