"""Mass assignment through the API (issue 23 §1): whatever extra fields a customer sends, a
registration sets only what a customer may — never the severity, tier, assignee, status,
organisation, number, commitment or another reporter — and the steps that set those are
refused to them; their own account's role and organisation cannot be written either."""

from __future__ import annotations

import pytest

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Project
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.tickets.test_api_flow import URL, registration

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def test_a_registration_ignores_what_a_customer_may_not_set(
    people: dict[str, User], project: Project
):
    customer, engineer = people["user"], people["engineer"]
    other = Organisation.objects.exclude(pk=customer.organisation_id).first()
    assert other is not None
    extra = {
        "severity": "SIS1",
        "tier": 4,
        "assignee": engineer.pk,
        "status": "closed",
        "organisation": other.pk,
        "number": "2099-99999",
        "committed_resolution_at": "2099-01-01T00:00:00+08:00",
        "out_of_contract": True,
        "sla_policy_version": 1,
        "rating": 5,
        "id": 424242,
    }
    made = api_client_for(customer).post(URL, registration(project, **extra), format="json")
    assert made.status_code == 201, made.json()
    ticket = Ticket.objects.get(pk=made.json()["id"])
    assert ticket.pk != 424242
    assert (ticket.severity, ticket.tier, ticket.assignee_id, ticket.status) == ("", 1, None, "new")
    assert ticket.project.organisation_id == customer.organisation_id
    assert ticket.number != "2099-99999" and ticket.committed_resolution_at is None
    assert ticket.out_of_contract is False and ticket.reporter_id == customer.pk


def test_a_customer_cannot_register_for_someone_else_or_another_organisation(
    people: dict[str, User], project: Project
):
    customer, stranger = people["user"], people["user2"]
    client = api_client_for(customer)
    for_other = client.post(URL, registration(project, reporter=stranger.pk), format="json")
    if for_other.status_code == 201:
        assert Ticket.objects.get(pk=for_other.json()["id"]).reporter_id == customer.pk
    else:
        assert for_other.status_code in (400, 403), for_other.json()
    theirs = Project.objects.exclude(organisation=customer.organisation).first()
    assert theirs is not None
    refused = client.post(URL, registration(theirs), format="json")
    assert refused.status_code in (400, 403, 404)
    assert not Ticket.objects.filter(project=theirs).exists()


def test_the_steps_that_set_those_fields_are_refused_to_the_customer(
    people: dict[str, User], project: Project
):
    customer, engineer = people["user"], people["engineer"]
    client = api_client_for(customer)
    tid = client.post(URL, registration(project), format="json").json()["id"]
    steps = {
        "accept/": {"severity": "SIS1", "committed_resolution_at": "2099-01-01T00:00:00+08:00"},
        "assign/": {"user": engineer.pk},
        "escalate/": {"reason": "我想要专家"},
        "out-of-scope/": {"change_type": "new_feature", "workload_hours": 1},
    }
    for step, body in steps.items():
        answer = client.post(f"{URL}{tid}/{step}", body, format="json")
        assert answer.status_code in (403, 409), (step, answer.status_code, answer.json())
    ticket = Ticket.objects.get(pk=tid)
    assert (ticket.severity, ticket.tier, ticket.assignee_id, ticket.status) == ("", 1, None, "new")


def test_a_customer_cannot_give_themselves_a_role_or_an_organisation(people: dict[str, User]):
    customer = people["user"]
    other = Organisation.objects.exclude(pk=customer.organisation_id).first()
    assert other is not None
    client = api_client_for(customer)
    body = {"role": "admin", "organisation": other.pk, "is_staff": True, "is_superuser": True}
    for path in ("/api/v1/me/", f"/api/v1/users/{customer.pk}/"):
        for method in ("patch", "put"):
            answer = getattr(client, method)(path, body, format="json")
            assert answer.status_code in (403, 404, 405), (path, method, answer.status_code)
    customer.refresh_from_db()
    assert customer.role == "customer" and customer.organisation_id != other.pk
    assert not customer.is_staff and not customer.is_superuser
