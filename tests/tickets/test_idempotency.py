"""``Idempotency-Key`` on ``POST /api/v1/tickets/`` (issue 23 §2): a client that lost the answer
sends the same request again and gets the first ticket, never a second; racing retries too;
the same key with another body, a malformed key, and a request that failed are told apart."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock, idempotency
from campusdesk.core.models import IdempotencyRecord
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.tickets.test_api_flow import URL, registration
from tests.tickets.test_concurrency import together

pytestmark = pytest.mark.faults


def post(client: object, body: dict[str, object], key: str | None) -> object:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, body, format="json", **headers)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_ticket(
    people: dict[str, User], project: Project
):
    client = api_client_for(people["user"])
    key = str(uuid.uuid4())
    first = post(client, registration(project), key)
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first
    again = post(client, registration(project), key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1
    # without a key, or with another one, a request is a new problem
    assert post(client, registration(project), None).status_code == 201
    assert post(client, registration(project), str(uuid.uuid4())).status_code == 201
    assert Ticket.objects.count() == 3
    # a key is the user's own: another user's same key is another request
    colleague = User.objects.filter(organisation=people["user"].organisation, role="customer")
    other = colleague.exclude(pk=people["user"].pk).first()
    if other is not None:
        mine = post(api_client_for(other), registration(project), key)
        assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_the_same_key_for_another_request_and_bad_keys_are_refused_in_chinese(
    people: dict[str, User], project: Project
):
    client = api_client_for(people["user"])
    key = "order-2026-0001"
    assert post(client, registration(project), key).status_code == 201
    other = post(client, registration(project, title="另一个问题"), key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and "新的请求" in other.json()["detail"]
    for bad in ("", "x" * 256, "键", "a\tb"):
        refused = post(client, registration(project), bad)
        assert refused.status_code == 400, bad
        assert "Idempotency-Key" in refused.json()["detail"] and "ASCII" in refused.json()["detail"]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_request_that_failed_keeps_no_key(people: dict[str, User], project: Project):
    client = api_client_for(people["user"])
    key = str(uuid.uuid4())
    refused = post(client, registration(project, project=999_999), key)
    assert refused.status_code in (400, 404)
    assert not IdempotencyRecord.objects.exists()
    made = post(client, registration(project), key)
    assert made.status_code == 201 and "Idempotent-Replayed" not in made


@pytest.mark.django_db(transaction=True)
def test_racing_retries_make_one_ticket(people: dict[str, User], project: Project):
    clients = [api_client_for(people["user"]) for _ in range(4)]
    key = str(uuid.uuid4())
    answers = together(4, lambda i: post(clients[i], registration(project), key))
    assert all(not isinstance(a, Exception) for a in answers), answers
    assert {a.status_code for a in answers} == {201}  # type: ignore[attr-defined]
    assert len({a.json()["id"] for a in answers}) == 1  # type: ignore[attr-defined]
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3  # type: ignore[attr-defined]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day(people: dict[str, User], project: Project):
    client = api_client_for(people["user"])
    key = str(uuid.uuid4())
    post(client, registration(project), key)
    with time_machine.travel(clock.now() + timedelta(hours=23)):
        assert idempotency.purge() == 0
    with time_machine.travel(clock.now() + timedelta(hours=25)):
        assert idempotency.purge() == 1
    again = post(client, registration(project), key)
    assert again.status_code == 201 and Ticket.objects.count() == 2


def test_the_header_is_in_the_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    names = {(p["name"], p["in"]) for p in create.get("parameters", [])}
    assert ("Idempotency-Key", "header") in names
