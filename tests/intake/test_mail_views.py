"""The review queue pages: who may see them, and the three decisions through the web."""

from __future__ import annotations

import pytest

from campusdesk.intake import inbound
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.intake import mails

Outcome = InboundMessage.Outcome


@pytest.fixture
def held(project):
    Mailbox.objects.create(address=mails.GMS, project=project)
    return inbound.mail_receive(raw=mails.with_attachments(sender="stranger@gmail.example"))


@pytest.mark.parametrize("who", ["user", "engineer", "expert3", "manager"])
def test_only_the_service_desk_sees_received_mail(people, held, who):
    client = web_client_for(people[who])
    assert client.get("/intake/mail/").status_code == 403
    assert client.get(f"/intake/mail/{held.pk}/").status_code == 403
    assert client.get(f"/intake/mail/{held.pk}/original/").status_code == 403


def test_agent_lists_and_reads_the_queue(people, held, django_assert_max_num_queries):
    client = web_client_for(people["agent"])
    for _ in range(5):
        inbound.mail_receive(raw=mails.plain(sender="someone@gmail.example"))
    with django_assert_max_num_queries(12):
        page = client.get("/intake/mail/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "stranger@gmail.example" in text and "附件：错误截图和日志" in text
    detail = client.get(f"/intake/mail/{held.pk}/")
    assert "截图和日志见附件。" in detail.content.decode()
    original = client.get(f"/intake/mail/{held.pk}/original/")
    assert b"".join(original.streaming_content) == mails_bytes(held)


def mails_bytes(record: InboundMessage) -> bytes:
    with record.raw.open("rb") as handle:
        return handle.read()


def test_register_through_the_page(people, held, customer, project):
    client = web_client_for(people["agent"])
    done = client.post(
        f"/intake/mail/{held.pk}/register/", {"reporter": customer.pk, "project": project.pk}
    )
    ticket = Ticket.objects.get(reporter=customer)
    assert done.status_code == 302 and done["Location"] == f"/tickets/{ticket.pk}/"
    held.refresh_from_db()
    assert held.outcome == Outcome.TICKET


def test_bad_input_is_shown_in_chinese_and_nothing_changes(people, held):
    client = web_client_for(people["agent"])
    page = client.post(f"/intake/mail/{held.pk}/append/", {"ticket_number": "2099-99999"})
    assert page.status_code == 400
    assert "没有这个编号的问题" in page.content.decode()
    page = client.post(f"/intake/mail/{held.pk}/discard/", {"reason": ""})
    assert page.status_code == 400
    held.refresh_from_db()
    assert held.outcome == Outcome.REVIEW


def test_admin_keeps_the_imap_password_when_left_empty(people, project):
    box = Mailbox(address="xg@desk.example", imap_host="imap.example", imap_user="xg")
    box.set_imap_password("s3cret")
    box.save()
    client = web_client_for(people["admin"])
    page = client.get(f"/admin/intake/mailbox/{box.pk}/change/")
    assert page.status_code == 200 and "s3cret" not in page.content.decode()
    saved = client.post(
        f"/admin/intake/mailbox/{box.pk}/change/",
        {
            "address": box.address,
            "trusted_domains": "",
            "imap_host": "imap.example",
            "imap_port": 993,
            "imap_ssl": "on",
            "imap_user": "xg",
            "imap_password": "",
            "imap_folder": "INBOX",
            "is_active": "on",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    box.refresh_from_db()
    assert box.imap_secret() == "s3cret"
