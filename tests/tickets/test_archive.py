"""The archive: a problem closed more than ARCHIVE_AFTER_DAYS ago leaves the default lists
(web and API), a search still finds it, "archived too" and ``archived=1`` show it, its page
opens and says so; open problems and recent ones stay; 0 days archives nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campusdesk.tickets import archive, services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket


@pytest.fixture
def old_and_new(project, people):
    """One problem closed 400 days ago, one closed yesterday, one still open."""
    tickets = {}
    for name in ("old", "recent", "open"):
        ticket = new_ticket(project, people["user"], title=f"归档测试 {name}")
        tickets[name] = ticket
        if name == "open":
            continue
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS3",
            committed_resolution_at=timezone.now() + timedelta(days=3),
        )
        services.ticket_request_close(ticket_id=ticket.pk, actor=people["engineer"], solution="好")
        services.ticket_close(ticket_id=ticket.pk, actor=people["user"], rating=5, workload_hours=1)
    Ticket.objects.filter(pk=tickets["old"].pk).update(
        updated_at=timezone.now() - timedelta(days=400)
    )
    Ticket.objects.filter(pk=tickets["recent"].pk).update(
        updated_at=timezone.now() - timedelta(days=1)
    )
    return tickets


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_the_sweep_archives_only_what_was_closed_long_ago(old_and_new, settings):
    settings.ARCHIVE_AFTER_DAYS = 365
    assert archive.sweep() == 1
    assert archive.sweep() == 0  # once
    flags = dict(Ticket.objects.values_list("title", "archived"))
    assert flags == {"归档测试 old": True, "归档测试 recent": False, "归档测试 open": False}


def test_zero_days_archives_nothing(old_and_new, settings):
    settings.ARCHIVE_AFTER_DAYS = 0
    assert archive.sweep() == 0 and not Ticket.objects.filter(archived=True).exists()


def test_lists_leave_it_out_and_a_search_finds_it(old_and_new, people):
    archive.sweep(days=365)
    old = old_and_new["old"]
    client = web_client_for(people["user"])
    listed = client.get("/tickets/").content.decode()
    assert "归档测试 recent" in listed and "归档测试 old" not in listed
    assert "归档测试 old" in client.get("/tickets/", {"include_archived": "on"}).content.decode()
    assert "归档测试 old" in client.get("/tickets/", {"search": old.number}).content.decode()
    page = client.get(f"/tickets/{old.pk}/").content.decode()
    assert 'id="archived"' in page and "已归档" in page
    api = api_client_for(people["user"])
    assert old.pk not in _ids(api.get("/api/v1/tickets/"))
    assert old.pk in _ids(api.get("/api/v1/tickets/", {"archived": "1"}))
    assert old.pk in _ids(api.get("/api/v1/tickets/", {"search": old.number}))
    assert api.get(f"/api/v1/tickets/{old.pk}/").json()["archived"] is True


def test_another_organisation_finds_no_archived_problem(old_and_new, people):
    archive.sweep(days=365)
    api = api_client_for(people["user2"])
    assert old_and_new["old"].pk not in _ids(api.get("/api/v1/tickets/", {"archived": "1"}))
