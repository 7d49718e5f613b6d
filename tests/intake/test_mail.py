"""E-mail in: real messages through ``mail_receive`` (the unit the mailgate and IMAP call)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from campusdesk.core.errors import PermissionDenied, TransitionError
from campusdesk.intake import inbound
from campusdesk.intake.mail import parse, trim_quote
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.notify.channels.email.ids import thread_id
from campusdesk.tickets.models import Channel, Status, Ticket, TicketEvent
from tests.intake import mails

Outcome = InboundMessage.Outcome


@pytest.fixture
def mailbox(project) -> Mailbox:
    return Mailbox.objects.create(address=mails.GMS, project=project)


def test_plain_mail_from_a_known_user_registers_a_problem_in_the_mailbox_project(
    mailbox, project, customer
):
    record = inbound.mail_receive(raw=mails.plain())
    assert record.outcome == Outcome.TICKET, record.reason
    ticket = record.ticket
    assert ticket.project == project
    assert ticket.reporter == customer
    assert ticket.channel == Channel.EMAIL
    assert ticket.title == "研究生系统成绩录入报错"
    assert "保存按钮无响应" in ticket.description
    assert ticket.status == Status.NEW


def test_the_original_message_is_stored_byte_for_byte(mailbox):
    raw = mails.plain()
    record = inbound.mail_receive(raw=raw)
    with record.raw.open("rb") as handle:
        assert handle.read() == raw


def test_the_same_message_twice_is_one_problem(mailbox):
    raw = mails.plain(message_id="<retry-1@mail.xjnu.example>")
    first = inbound.mail_receive(raw=raw)
    second = inbound.mail_receive(raw=raw)
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_html_only_mail_is_sanitised_and_read_as_text(mailbox):
    record = inbound.mail_receive(raw=mails.html_only())
    assert record.outcome == Outcome.TICKET, record.reason
    assert "导师分配页面打不开" in record.ticket.title
    assert "提示 500 错误" in record.ticket.description
    assert "<" not in record.ticket.description
    assert "alert" not in record.ticket.description  # script content is dropped, not shown
    assert "<b>打不开</b>" in record.html
    for bad in ("<script", "javascript:", "onclick", "<style"):
        assert bad not in record.html


@pytest.mark.parametrize("transfer", ["base64", "8bit"])
def test_gb2312_labelled_gbk_mail_reads_correctly(mailbox, transfer):
    record = inbound.mail_receive(raw=mails.gb2312(transfer=transfer))
    assert record.outcome == Outcome.TICKET, record.reason
    assert record.ticket.title == "学位申请模块异常"
    assert "李喆老师反映：学位申请提交后状态不更新。" in record.ticket.description
    assert record.sender_name == "李喆"
    assert "\ufffd" not in record.ticket.description


def test_utf8_subject_encoded_words_and_body(mailbox):
    raw = mails.plain(subject="【紧急】研究生系统登录后白屏", body="所有学院都无法登录。")
    assert b"=?utf-8?" in raw.lower()  # the subject really is RFC 2047-encoded
    record = inbound.mail_receive(raw=raw)
    assert record.ticket.title == "【紧急】研究生系统登录后白屏"


def test_attachments_are_kept_and_refused_types_are_noted(mailbox):
    record = inbound.mail_receive(raw=mails.with_attachments())
    assert record.outcome == Outcome.TICKET
    names = sorted(a.name for a in record.ticket.attachments.all())
    assert names == ["gms-error.log", "报错截图.png"]
    png = record.ticket.attachments.get(name="报错截图.png")
    with png.file.open("rb") as handle:
        assert handle.read() == b"\x89PNG\r\n\x1a\nfake-png-bytes"
    assert "setup.exe" in record.reason  # not attached, but named; the original keeps it
    assert record.attachment_names == ["报错截图.png", "gms-error.log", "setup.exe"]


def test_default_mailbox_uses_the_senders_only_project(customer, project):
    Mailbox.objects.create(address="help@desk.example")
    visible = list(inbound.scoping.visible_projects(customer).filter(is_active=True))
    record = inbound.mail_receive(raw=mails.plain(to="help@desk.example"))
    if len(visible) == 1:
        assert record.outcome == Outcome.TICKET
        assert record.ticket.project == visible[0]
    else:
        assert record.outcome == Outcome.REVIEW
        assert "several projects" in record.reason


# --- replies ----------------------------------------------------------------------------
def test_reply_by_references_is_a_comment_with_the_quote_trimmed(mailbox, accepted):
    root = thread_id(f"ticket-{accepted.pk}")
    record = inbound.mail_receive(raw=mails.reply(in_reply_to=root))
    assert record.outcome == Outcome.COMMENT, record.reason
    assert record.ticket == accepted
    assert Ticket.objects.count() == 1
    event = TicketEvent.objects.filter(ticket=accepted, action="record").latest("id")
    assert event.channel == Channel.EMAIL
    assert event.data["body"] == "已按你们说的清除缓存，问题依旧。"
    assert event.data["kind"] == "comment"


def test_reply_found_by_the_number_in_the_subject(mailbox, accepted):
    raw = mails.plain(subject=f"回复：[#{accepted.number}] 问题已受理", body="谢谢，已经好了。")
    record = inbound.mail_receive(raw=raw)
    assert record.outcome == Outcome.COMMENT
    assert record.ticket == accepted


def test_reply_to_an_outgoing_notification_threads(mailbox, accepted, settings, smtp_server):
    """The Message-ID/References we send are the ones a reply brings back."""
    from campusdesk.notify.outbox import deliver_due
    from campusdesk.tickets import services

    services.ticket_add_record(
        ticket_id=accepted.pk, actor=accepted.assignee, body="请清除缓存后重试"
    )
    deliver_due()
    sent = [m for m in smtp_server.messages if mails.USER in m["To"]]
    assert sent, "the customer was notified by e-mail"
    references = sent[-1]["References"]
    record = inbound.mail_receive(raw=mails.reply(in_reply_to=references))
    assert record.outcome == Outcome.COMMENT
    assert record.ticket == accepted


def test_reply_to_a_closed_problem_waits_for_review_not_a_new_problem(mailbox, accepted):
    Ticket.objects.filter(pk=accepted.pk).update(status=Status.CLOSED)
    record = inbound.mail_receive(raw=mails.reply(in_reply_to=thread_id(f"ticket-{accepted.pk}")))
    assert record.outcome == Outcome.REVIEW
    assert record.ticket == accepted
    assert Ticket.objects.count() == 1


def test_reply_from_another_organisation_cannot_reach_the_problem(mailbox, accepted, outsider):
    raw = mails.reply(in_reply_to=thread_id(f"ticket-{accepted.pk}"), sender=outsider.email)
    record = inbound.mail_receive(raw=raw)
    assert record.outcome == Outcome.REVIEW
    assert not TicketEvent.objects.filter(ticket=accepted, actor=outsider).exists()


# --- ignored and held -------------------------------------------------------------------
def test_auto_reply_and_bounce_are_ignored_and_kept(mailbox, accepted):
    root = thread_id(f"ticket-{accepted.pk}")
    events = TicketEvent.objects.count()
    auto = inbound.mail_receive(raw=mails.auto_reply(in_reply_to=root))
    bounced = inbound.mail_receive(raw=mails.bounce())
    assert (auto.outcome, bounced.outcome) == (Outcome.IGNORED, Outcome.IGNORED)
    assert "Auto-Submitted" in auto.reason
    assert TicketEvent.objects.count() == events
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("header", [("Precedence", "bulk"), ("Precedence", "auto_reply")])
def test_list_and_auto_reply_precedence_is_ignored(mailbox, header):
    record = inbound.mail_receive(raw=mails.plain(headers=dict([header])))
    assert record.outcome == Outcome.IGNORED


def test_our_own_notification_coming_back_is_ignored(mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "campusdesk <noreply@desk.example>"
    record = inbound.mail_receive(raw=mails.plain(sender="noreply@desk.example"))
    assert record.outcome == Outcome.IGNORED
    looped = mails.plain(message_id="<0123456789abcdef0123456789abcdef@desk.example>")
    assert inbound.mail_receive(raw=looped).outcome == Outcome.IGNORED


def test_unknown_sender_goes_to_review(mailbox):
    record = inbound.mail_receive(raw=mails.plain(sender="stranger@gmail.example"))
    assert record.outcome == Outcome.REVIEW
    assert record.ticket is None
    assert Ticket.objects.count() == 0


def test_spoofed_sender_goes_to_review(mailbox):
    record = inbound.mail_receive(raw=mails.spoofed())
    assert record.outcome == Outcome.REVIEW
    assert record.user is not None  # the address is a known user's …
    assert Ticket.objects.count() == 0  # … but nothing reaches their problems


def test_authentication_results_of_another_server_do_not_count(mailbox, settings):
    """A sender can write a passing Authentication-Results; only our server's counts."""
    settings.MAIL_AUTHSERV_ID = "mx.desk.example"
    forged_pass = mails.plain(headers={"Authentication-Results": "evil.example; dmarc=pass"})
    assert inbound.mail_receive(raw=forged_pass).outcome == Outcome.TICKET
    assert inbound.mail_receive(raw=mails.spoofed()).outcome == Outcome.REVIEW


def test_sender_outside_the_mailbox_trusted_domains_goes_to_review(mailbox, customer):
    mailbox.trusted_domains = "other.example\nmail.other.example"
    mailbox.save()
    record = inbound.mail_receive(raw=mails.plain())
    assert record.outcome == Outcome.REVIEW
    mailbox.trusted_domains = "xjnu.example"
    mailbox.save()
    assert inbound.mail_receive(raw=mails.plain()).outcome == Outcome.TICKET


def test_staff_mail_that_is_not_a_reply_waits_for_review(mailbox, people):
    record = inbound.mail_receive(raw=mails.plain(sender=people["engineer"].email))
    assert record.outcome == Outcome.REVIEW
    assert Ticket.objects.count() == 0


# --- the review queue -------------------------------------------------------------------
def test_agent_registers_a_reviewed_mail_for_a_customer(mailbox, people, customer, project):
    held = inbound.mail_receive(raw=mails.with_attachments(sender="stranger@gmail.example"))
    ticket = inbound.mail_register(
        message_id=held.pk, actor=people["agent"], reporter_id=customer.pk, project_id=project.pk
    )
    held.refresh_from_db()
    assert (held.outcome, held.ticket, held.reviewed_by) == (
        Outcome.TICKET,
        ticket,
        people["agent"],
    )
    assert ticket.reporter == customer and ticket.channel == Channel.EMAIL
    assert ticket.attachments.count() == 2
    with pytest.raises(TransitionError):  # dealt with once only
        inbound.mail_discard(message_id=held.pk, actor=people["agent"], reason="spam")


def test_agent_appends_and_discards(mailbox, people, accepted):
    held = inbound.mail_receive(raw=mails.plain(sender="it-office@xjnu-partner.example"))
    inbound.mail_append(message_id=held.pk, actor=people["agent"], ticket_number=accepted.number)
    event = TicketEvent.objects.filter(ticket=accepted, action="record").latest("id")
    assert "it-office@xjnu-partner.example" in event.data["body"]
    spam = inbound.mail_receive(raw=mails.plain(sender="spam@ads.example", subject="发票代开"))
    inbound.mail_discard(message_id=spam.pk, actor=people["agent"], reason="广告")
    spam.refresh_from_db()
    assert spam.outcome == Outcome.DISCARDED and spam.reason == "广告"


def test_only_the_service_desk_reviews(mailbox, people, customer):
    held = inbound.mail_receive(raw=mails.plain(sender="stranger@gmail.example"))
    for who in ("user", "engineer", "expert2"):
        with pytest.raises(PermissionDenied):
            inbound.mail_discard(message_id=held.pk, actor=people[who], reason="x")


def test_trim_quote_knows_common_clients():
    assert trim_quote("好的\n\n-----原始邮件-----\n发件人: x") == "好的"
    assert trim_quote("OK\n\nOn Mon, 1 Dec 2026 at 10:00, desk <a@b> wrote:\n> hi") == "OK"
    assert trim_quote("收到\n发件人：campusdesk\n发送时间：2026年11月26日") == "收到"
    assert trim_quote("> only a quote") == "> only a quote"


def test_parse_reads_recipients_and_references():
    raw = mails.reply(in_reply_to="<thread.ticket-5@desk.example>")
    mail = parse(raw)
    assert mail.recipients == [mails.GMS]
    assert "<thread.ticket-5@desk.example>" in mail.references
    assert (
        message_from_bytes(raw, policy=policy.default)["From"].addresses[0].addr_spec == mails.USER
    )
