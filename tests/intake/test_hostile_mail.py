"""Poison e-mail: hostile messages are processed or quarantined, never retried forever.

Each message of the corpus goes through ``mail_receive`` (the unit the mailgate and the
IMAP poller call); some through a real ``campusdesk mailgate`` process as the MTA runs
it, and through a real Dovecot. A quarantined message is kept whole with its reason,
listed for the service desk, and can be processed again or discarded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from campusdesk.intake import inbound, tasks
from campusdesk.intake import mail as mailparse
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.tickets import services as tickets
from tests.helpers import api_client_for, web_client_for
from tests.intake import mails
from tests.intake.test_mailgate import mailgate

pytestmark = pytest.mark.security

Outcome = InboundMessage.Outcome
UNSAFE = re.compile("[\x00\ud800-\udfff]")

#: name → (message, the outcome it gets)
CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "raw UTF-8 From display name": (mails.utf8_display_name, Outcome.TICKET),
    "raw GBK headers": (mails.gbk_raw_header, Outcome.TICKET),
    "unknown charset": (mails.unknown_charset, Outcome.TICKET),
    "charset lie": (mails.charset_lie, Outcome.TICKET),
    "lone surrogates": (mails.lone_surrogates, Outcome.TICKET),
    "NUL bytes in headers and body": (mails.nul_bytes, Outcome.TICKET),
    "malformed base64 and quoted-printable": (mails.broken_encodings, Outcome.TICKET),
    "empty body, no subject": (mails.empty_body, Outcome.TICKET),
    "missing From": (mails.no_from, Outcome.IGNORED),
    "40 levels of multipart": (lambda: mails.nested(40), Outcome.TICKET),
    "3,000 levels of multipart": (lambda: mails.nested(3000), Outcome.QUARANTINED),
    "3,000 enclosed messages": (lambda: mails.nested_messages(3000), Outcome.QUARANTINED),
    "10,000 parts": (lambda: mails.many_parts(10_000), Outcome.QUARANTINED),
    "a 1 MB header line": (mails.huge_header, Outcome.QUARANTINED),
}


@pytest.fixture
def mailbox(project) -> Mailbox:
    return Mailbox.objects.create(address=mails.GMS, project=project)


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_hostile_message_is_kept_whole_with_an_outcome(mailbox, customer, name):
    build, expected = CORPUS[name]
    raw = build()
    record = inbound.mail_receive(raw=raw)
    record.refresh_from_db()
    assert record.outcome == expected, record.reason
    with record.raw.open("rb") as handle:
        assert handle.read() == raw
    texts = [
        record.sender,
        record.sender_name,
        record.subject,
        record.body,
        record.html,
        record.reason,
        *record.recipients,
        *record.attachment_names,
    ]
    assert not any(UNSAFE.search(text) for text in texts)
    if expected == Outcome.QUARANTINED:
        assert record.reason
        assert record.ticket is None
    if expected == Outcome.TICKET:
        assert record.ticket.reporter == customer
        assert not UNSAFE.search(record.ticket.title + record.ticket.description)
    assert inbound.mail_receive(raw=raw).pk == record.pk  # the same message again: nothing new


def test_raw_utf8_headers_are_read_as_text(mailbox, customer):
    """RFC 6532: the display name and subject as sent, not replacement characters."""
    record = inbound.mail_receive(raw=mails.utf8_display_name())
    assert (record.sender, record.sender_name) == (customer.email, "李老师")
    assert record.ticket.title == "成绩录入页面报错"
    gbk = inbound.mail_receive(raw=mails.gbk_raw_header())
    assert (gbk.sender_name, gbk.subject) == ("李喆", "学位申请模块异常")


def test_quarantine_says_why_and_shows_who_sent_it(mailbox):
    deep = inbound.mail_receive(raw=mails.nested(3000))
    assert deep.reason == "邮件嵌套超过 50 层。"
    assert (deep.sender, deep.subject) == (mails.USER, "nested")
    parts = inbound.mail_receive(raw=mails.many_parts(10_000))
    assert parts.reason == "邮件的部分超过 1000 个。"
    huge = inbound.mail_receive(raw=mails.huge_header())
    assert huge.reason == "邮件头超过 128 KB。"


def test_bounds_hold_at_the_limit_and_cost_no_recursion():
    mailparse.parse(mails.nested(mailparse.MAX_DEPTH - 1))  # the message itself is one more
    with pytest.raises(mailparse.Unreadable):
        mailparse.parse(mails.nested(mailparse.MAX_DEPTH + 1))
    assert len(mailparse.parse(mails.many_parts(mailparse.MAX_PARTS)).text) > 0
    with pytest.raises(mailparse.Unreadable):
        mailparse.check_bounds(mails.many_parts(mailparse.MAX_PARTS + 1))
    started = time.monotonic()
    with pytest.raises(mailparse.Unreadable):  # far beyond Python's recursion limit
        mailparse.check_bounds(mails.nested(200_000))
    assert time.monotonic() - started < 5


def test_a_boundary_closes_the_levels_opened_inside_it():
    """Unclosed inner multiparts (common in broken mail) do not add up to a false depth."""
    part = b'--O\r\nContent-Type: multipart/alternative; boundary="I%d"\r\n\r\n--I%d\r\n\r\nx\r\n'
    body = b"".join(part % (n, n) for n in range(200)) + b"--O--\r\n"
    raw = mails._head("siblings", extra='Content-Type: multipart/mixed; boundary="O"\r\n')
    mailparse.check_bounds(raw + b"\r\n" + body)


def test_a_failure_on_the_messages_content_is_quarantined_not_raised(
    mailbox, customer, monkeypatch, people
):
    """A bug a message meets (simulated: the only mock here) quarantines it; an agent
    processes it again once the cause is gone."""

    def broken(**kwargs):
        raise ValueError("a bug met by this message")

    monkeypatch.setattr(tickets, "ticket_register", broken)
    record = inbound.mail_receive(raw=mails.plain())
    assert record.outcome == Outcome.QUARANTINED
    assert "ValueError: a bug met by this message" in record.reason
    assert record.subject == "研究生系统成绩录入报错"
    monkeypatch.undo()

    again = inbound.mail_retry(message_id=record.pk, actor=people["agent"])
    assert again.outcome == Outcome.TICKET, again.reason
    assert again.ticket.reporter == customer and again.reviewed_by == people["agent"]


def test_the_review_list_and_the_api_show_quarantined_mail(mailbox, people):
    poison = inbound.mail_receive(raw=mails.nested(3000))
    inbound.mail_receive(raw=mails.plain())
    client = web_client_for(people["agent"])
    page = client.get("/intake/mail/?outcome=quarantined").content.decode()
    assert "隔离" in page and "邮件嵌套超过 50 层。" in page
    assert f"/intake/mail/{poison.pk}/" in page
    assert "研究生系统成绩录入报错" not in page  # only the quarantined one
    assert re.search(r"隔离[^<]*<span class=\"badge warn\">1</span>", page)

    api = api_client_for(people["agent"])
    listed = api.get("/api/v1/mail/?outcome=quarantined").json()["results"]
    assert [(m["id"], m["outcome"], m["reason"]) for m in listed] == [
        (poison.pk, "quarantined", "邮件嵌套超过 50 层。")
    ]
    customer_api = api_client_for(people["user"])
    assert customer_api.get("/api/v1/mail/?outcome=quarantined").status_code == 403


def test_an_agent_retries_or_discards_a_quarantined_message(mailbox, people):
    raw = mails.nested(3000)
    poison = inbound.mail_receive(raw=raw)
    client = web_client_for(people["agent"])
    detail = client.get(f"/intake/mail/{poison.pk}/").content.decode()
    assert "重新处理" in detail and 'id="quarantine-actions"' in detail

    retried = client.post(f"/intake/mail/{poison.pk}/retry/", follow=True).content.decode()
    assert "该邮件仍无法处理" in retried
    poison.refresh_from_db()
    assert poison.outcome == Outcome.QUARANTINED and poison.reason == "邮件嵌套超过 50 层。"

    api = api_client_for(people["agent"])
    assert api.post(f"/api/v1/mail/{poison.pk}/retry/").json()["outcome"] == "quarantined"
    gone = api.post(f"/api/v1/mail/{poison.pk}/discard/", {"reason": "恶意邮件"}, format="json")
    assert gone.status_code == 200 and gone.json()["outcome"] == "discarded"
    assert api.post(f"/api/v1/mail/{poison.pk}/retry/").status_code == 409
    with poison.raw.open("rb") as handle:  # discarded, still kept whole
        assert handle.read() == raw


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("build", "expected", "said"),
    [
        (mails.utf8_display_name, Outcome.TICKET, "新问题登记 "),
        (lambda: mails.nested(3000), Outcome.QUARANTINED, "已隔离（无法处理）: 邮件嵌套超过"),
        (lambda: mails.many_parts(10_000), Outcome.QUARANTINED, "已隔离（无法处理）: 邮件的部分"),
        (mails.nul_bytes, Outcome.TICKET, "新问题登记 "),
    ],
    ids=["utf8-from", "nested-3000", "parts-10000", "nul-bytes"],
)
def test_mailgate_exits_0_for_hostile_mail(tmp_path, project, customer, build, expected, said):
    Mailbox.objects.create(address=mails.GMS, project=project)
    raw = build()
    done = mailgate(tmp_path, raw)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().startswith(said)
    record = InboundMessage.objects.get()
    assert record.outcome == expected
    assert (tmp_path / "media" / record.raw.name).read_bytes() == raw  # the process's DATA_DIR
    assert mailgate(tmp_path, raw).returncode == 0  # the MTA's retry: the same row
    assert InboundMessage.objects.count() == 1


def test_imap_marks_poison_handled_and_never_reads_it_again(imap_server, project, settings):
    account = imap_server.account()
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = account.host, account.port, False
    settings.IMAP_USER, settings.IMAP_PASSWORD = account.user, account.password
    Mailbox.objects.create(address=mails.GMS, project=project)
    for raw in (mails.nested(3000), mails.utf8_display_name(), mails.many_parts(10_000)):
        account.deliver(raw)

    assert tasks._poll_mailboxes() == 3
    assert account.unseen() == 0
    outcomes = sorted(InboundMessage.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([Outcome.QUARANTINED, Outcome.QUARANTINED, Outcome.TICKET])

    assert tasks._poll_mailboxes() == 0  # nothing fetched, so nothing parsed again
    assert InboundMessage.objects.count() == 3


def test_retrying_a_quarantined_message_whose_file_is_gone_says_so(mailbox, people):
    poison = inbound.mail_receive(raw=mails.nested(3000))
    poison.raw.storage.delete(poison.raw.name)
    api = api_client_for(people["agent"])
    answer = api.post(f"/api/v1/mail/{poison.pk}/retry/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "quarantined"
    assert "原始邮件已不在存储中" in answer.json()["reason"]
