"""/api/v1/mail/: the review queue through the API, with its permissions and bad input."""

from __future__ import annotations

import pytest

from campusdesk.intake import inbound
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for
from tests.intake import mails

Outcome = InboundMessage.Outcome


@pytest.fixture
def held(project):
    Mailbox.objects.create(address=mails.GMS, project=project)
    inbound.mail_receive(raw=mails.plain())  # a problem: not in the queue
    return inbound.mail_receive(raw=mails.plain(sender="stranger@gmail.example"))


def test_queue_lists_only_what_waits(people, held):
    api = api_client_for(people["agent"])
    answer = api.get("/api/v1/mail/?outcome=review").json()
    assert [m["id"] for m in answer["results"]] == [held.pk]
    assert answer["results"][0]["sender"] == "stranger@gmail.example"
    assert api.get("/api/v1/mail/").json()["count"] == 2


@pytest.mark.parametrize("who", ["user", "engineer", "manager"])
def test_others_are_refused(people, held, who):
    api = api_client_for(people[who])
    assert api.get("/api/v1/mail/").status_code == 403
    assert api.post(f"/api/v1/mail/{held.pk}/discard/", {"reason": "x"}).status_code == 403


def test_register_append_discard(people, held, customer, project, accepted):
    api = api_client_for(people["agent"])
    done = api.post(
        f"/api/v1/mail/{held.pk}/register/", {"reporter": customer.pk, "project": project.pk}
    )
    assert done.status_code == 200, done.json()
    assert done.json()["outcome"] == "ticket"
    assert Ticket.objects.get(number=done.json()["ticket_number"]).reporter == customer
    again = api.post(f"/api/v1/mail/{held.pk}/discard/", {"reason": "重复"})
    assert again.status_code == 409

    other = inbound.mail_receive(raw=mails.plain(sender="it@partner.example"))
    missing = api.post(f"/api/v1/mail/{other.pk}/append/", {"ticket": "2099-00001"})
    assert missing.status_code == 404
    added = api.post(f"/api/v1/mail/{other.pk}/append/", {"ticket": accepted.number})
    assert added.json()["ticket"] == accepted.pk

    third = inbound.mail_receive(raw=mails.plain(sender="ads@spam.example"))
    assert api.post(f"/api/v1/mail/{third.pk}/discard/", {}).status_code == 400
    assert api.post(f"/api/v1/mail/{third.pk}/discard/", {"reason": "广告"}).status_code == 200
    assert api.get("/api/v1/mail/?outcome=review").json()["count"] == 0


def test_register_for_a_non_customer_is_refused_and_nothing_changes(people, held, project):
    api = api_client_for(people["agent"])
    bad = api.post(
        f"/api/v1/mail/{held.pk}/register/",
        {"reporter": people["engineer"].pk, "project": project.pk},
    )
    assert bad.status_code == 400
    held.refresh_from_db()
    assert held.outcome == Outcome.REVIEW
