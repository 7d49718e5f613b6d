"""Every API route answers as the schema says: no route the action methods cannot serve."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from campusdesk.accounts.models import User
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append(prefix + str(entry.pattern))
    return found


def test_no_format_suffix_routes_that_would_answer_500() -> None:
    api = [p for p in _patterns(get_resolver()) if p.startswith("api/v1/")]
    assert api, "the API's routes were not found"
    assert not [p for p in api if "format" in p]


def test_a_ticket_read_with_a_json_suffix_is_not_found(
    ticket: Ticket, people: dict[str, User]
) -> None:
    client = api_client_for(people["admin"])
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert client.get(f"/api/v1/tickets/{ticket.pk}.json").status_code == 404
