"""IMAP polling against a real Dovecot on loopback: the worker's task reads each mailbox."""

from __future__ import annotations

import pytest

from campusdesk.intake import inbound, tasks
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.notify.channels.email.ids import thread_id
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.intake import mails

Outcome = InboundMessage.Outcome


@pytest.fixture
def default_box(imap_server, settings):
    account = imap_server.account()
    settings.IMAP_HOST, settings.IMAP_PORT = account.host, account.port
    settings.IMAP_SSL = False
    settings.IMAP_USER, settings.IMAP_PASSWORD = account.user, account.password
    settings.IMAP_FOLDER = "INBOX"
    return account


def test_poll_receives_each_unread_message_once(default_box, project, accepted):
    Mailbox.objects.create(address=mails.GMS, project=project)
    default_box.deliver(mails.plain())
    default_box.deliver(mails.gb2312())
    default_box.deliver(mails.reply(in_reply_to=thread_id(f"ticket-{accepted.pk}")))
    default_box.deliver(mails.auto_reply())
    before = Ticket.objects.count()

    assert tasks._poll_mailboxes() == 4
    outcomes = sorted(InboundMessage.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([Outcome.TICKET, Outcome.TICKET, Outcome.COMMENT, Outcome.IGNORED])
    assert Ticket.objects.count() == before + 2
    assert Ticket.objects.filter(title="学位申请模块异常", project=project).exists()
    assert TicketEvent.objects.filter(ticket=accepted, channel="email").exists()
    assert default_box.unseen() == 0

    assert tasks._poll_mailboxes() == 0  # read and marked: nothing twice
    assert Ticket.objects.count() == before + 2


def imap_box(account, **fields) -> Mailbox:
    """A mailbox row polled over IMAP, its password stored as the admin stores it."""
    box = Mailbox(
        imap_host=account.host,
        imap_port=account.port,
        imap_ssl=False,
        imap_user=account.user,
        **fields,
    )
    box.set_imap_password(account.password)
    box.save()
    return box


def test_project_mailbox_rows_are_polled_too(imap_server, other_project, outsider, settings):
    settings.IMAP_HOST = ""
    account = imap_server.account()
    imap_box(account, address="xg-support@desk.example", project=other_project)
    account.deliver(mails.plain(sender=outsider.email, to="xg-support@desk.example"))
    assert tasks._poll_mailboxes() == 1
    ticket = Ticket.objects.get(reporter=outsider)
    assert ticket.project == other_project


def test_a_message_that_fails_stays_unread_for_the_next_poll(default_box, project, monkeypatch):
    """A database outage while receiving (simulated: the only mock here) loses nothing."""
    Mailbox.objects.create(address=mails.GMS, project=project)
    default_box.deliver(mails.plain())
    real = inbound.mail_receive

    def down(**kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(inbound, "mail_receive", down)
    assert tasks._poll_mailboxes() == 0
    assert default_box.unseen() == 1
    monkeypatch.setattr(inbound, "mail_receive", real)
    assert tasks._poll_mailboxes() == 1
    assert default_box.unseen() == 0


def test_wrong_password_is_logged_and_other_mailboxes_still_polled(
    imap_server, default_box, project, settings, caplog
):
    settings.IMAP_PASSWORD = "wrong"
    good = imap_server.account()
    imap_box(good, address=mails.GMS, project=project)
    good.deliver(mails.plain())
    assert tasks._poll_mailboxes() == 1
    assert "poll failed" in caplog.text
