"""The e-mail channel against a real SMTP server on loopback (``smtp_server``)."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.notify.channels.email.ids import message_id, thread_id, thread_of
from campusdesk.notify.channels.email.transport import EmailTransport
from campusdesk.notify.transports import REGISTRY, Message, TransportError
from tests.notify.conftest import SmtpServer

URL = "http://127.0.0.1:8000/tickets/12/"
SUBJECT = "【工单 #12】图书馆管理系统无法登录 — 已受理"
TEXT = f"您好，张老师：\n\n您的工单已由工程师李工受理，承诺 4 小时内答复。\n查看工单：{URL}\n"
HTML = f'<p>您好，张老师：</p><p>您的工单已受理。</p><p><a href="{URL}">查看工单</a></p>'
TO = "zhang.laoshi@xjnu.edu.cn"


def ticket_message(key: str = "delivery-41", **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": key,
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "url": URL,
        "thread": "ticket-12",
    }
    return Message(**(fields | changes))


def send(message: Message, address: str = TO) -> None:
    EmailTransport().send(message, address)


def test_registered_as_the_email_channel() -> None:
    assert isinstance(REGISTRY["email"], EmailTransport)


def test_chinese_text_and_html_arrive_intact_with_the_link(smtp_server: SmtpServer) -> None:
    send(ticket_message())

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [TO]
    [mail] = smtp_server.messages
    # Django 5.2 folds a long encoded subject onto a continuation line ("Subject: \r\n
    # =?utf-8?b?...?="); Python's parser keeps that fold's space, mail clients drop it.
    assert mail["Subject"].lstrip() == SUBJECT
    assert mail["To"] == TO
    assert mail.get_content_type() == "multipart/alternative"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().strip() == HTML
    assert URL in text.get_content() and f'href="{URL}"' in html.get_content()


def test_text_only_message_has_no_html_part(smtp_server: SmtpServer) -> None:
    send(ticket_message(html=""))

    [mail] = smtp_server.messages
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().replace("\r\n", "\n") == TEXT


def test_message_id_comes_from_the_key_and_is_the_same_on_a_retry(
    smtp_server: SmtpServer,
) -> None:
    send(ticket_message("delivery-41"))
    send(ticket_message("delivery-41"))
    send(ticket_message("delivery-42"))

    first, retry, other = (mail["Message-ID"] for mail in smtp_server.messages)
    assert first == retry == message_id("delivery-41") == "<delivery-41@campusdesk.invalid>"
    assert other == message_id("delivery-42") != first


def test_messages_of_a_ticket_thread_under_one_root(smtp_server: SmtpServer) -> None:
    send(ticket_message("delivery-41"))
    send(ticket_message("delivery-57", subject="【工单 #12】已解决"))

    root = thread_id("ticket-12")
    assert root == "<thread.ticket-12@campusdesk.invalid>"
    for mail in smtp_server.messages:
        assert mail["References"] == root
        assert mail["In-Reply-To"] == root
        assert mail["Auto-Submitted"] == "auto-generated"
    # A reply's References carry the root after the message it answers.
    assert thread_of(f"{root} {message_id('delivery-57')}") == "ticket-12"


def test_without_a_thread_there_are_no_references(smtp_server: SmtpServer) -> None:
    send(ticket_message(thread=""))

    [mail] = smtp_server.messages
    assert mail["References"] is None and mail["In-Reply-To"] is None
    assert mail["Auto-Submitted"] == "auto-generated"


def test_extra_headers_are_added_but_cannot_break_threading(smtp_server: SmtpServer) -> None:
    headers = {"X-Campusdesk-Event": "ticket.accepted", "message-id": "<other@example.org>"}
    send(ticket_message(headers=headers))

    [mail] = smtp_server.messages
    assert mail["X-Campusdesk-Event"] == "ticket.accepted"
    assert mail.get_all("Message-ID") == [message_id("delivery-41")]


def test_ids_use_the_domain_we_send_as(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "校园服务台 <helpdesk@Service.XJNU.edu.cn>"
    assert message_id("d-1") == "<d-1@service.xjnu.edu.cn>"
    assert thread_id("ticket-12") == "<thread.ticket-12@service.xjnu.edu.cn>"
    assert thread_of("<thread.ticket-12@campusdesk.invalid>") is None  # not our domain


@pytest.mark.parametrize("key", ["event 7:user/3", "a..b.", "工单-12", "thread.ticket-12"])
def test_any_key_gives_a_valid_id_that_is_never_a_thread_root(key: str) -> None:
    local = message_id(key).removeprefix("<").removesuffix("@campusdesk.invalid>")
    assert local and all(c.isascii() and c.isalnum() or c in "%-_~" for c in local)
    assert thread_of(message_id(key)) is None
    assert thread_of(thread_id(key)) == key


def test_server_down_is_temporary_and_the_retry_succeeds(smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    with pytest.raises(TransportError) as failure:
        send(ticket_message())
    assert failure.value.permanent is False

    smtp_server.start()
    send(ticket_message())
    [mail] = smtp_server.messages
    assert mail["Message-ID"] == message_id("delivery-41")


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [("550 5.1.1 no such user", True), ("451 4.3.0 mailbox busy, try later", False)],
)
def test_a_refused_recipient(smtp_server: SmtpServer, reply: str, permanent: bool) -> None:
    smtp_server.refuse["nobody@xjnu.edu.cn"] = reply
    with pytest.raises(TransportError) as failure:
        send(ticket_message(), "nobody@xjnu.edu.cn")
    assert failure.value.permanent is permanent
    assert reply.split()[0] in str(failure.value)
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [("554 5.6.0 message rejected", True), ("452 4.3.1 insufficient storage", False)],
)
def test_refused_content(smtp_server: SmtpServer, reply: str, permanent: bool) -> None:
    smtp_server.refuse_data = reply
    with pytest.raises(TransportError) as failure:
        send(ticket_message())
    assert failure.value.permanent is permanent


@pytest.mark.parametrize("address", ["", "   ", "not-an-address", "a@b@xjnu.edu.cn"])
def test_no_valid_address_is_permanent(smtp_server: SmtpServer, address: str) -> None:
    with pytest.raises(TransportError) as failure:
        send(ticket_message(), address)
    assert failure.value.permanent is True
    assert smtp_server.envelopes == []
