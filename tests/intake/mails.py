"""Real e-mail messages as mail clients and servers write them, as bytes.

Built by hand (headers, encodings, MIME structure) rather than through a library's
convenience API where that matters: Chinese mail clients still send GB2312/GBK bodies
and RFC 2047 subjects, Outlook sends HTML-only mail, servers add Authentication-Results.
"""

from __future__ import annotations

import base64
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

GMS = "gms-support@desk.example"
USER = "user@xjnu.example"  # the demo customer of 新疆师范大学


def _date() -> str:
    return format_datetime(timezone.now())


def plain(
    *,
    sender: str = USER,
    to: str = GMS,
    subject: str = "研究生系统成绩录入报错",
    body: str = "录入成绩时系统报错：保存按钮无响应。\n浏览器：Chrome 120",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"李老师 <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = _date()
    msg["Message-ID"] = message_id or make_msgid(domain="mail.xjnu.example")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


def html_only(*, sender: str = USER, to: str = GMS) -> bytes:
    """As Outlook sends it: one text/html part, with a script that must not survive."""
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>导师分配页面<b>打不开</b>，提示 500 错误。</p>"
        "<div>时间：今天上午</div><script>alert('x')</script>"
        '<p><a href="javascript:alert(1)" onclick="steal()">详情</a></p></body></html>'
    )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "导师分配页面打不开"
    msg["Date"] = _date()
    msg["Message-ID"] = make_msgid(domain="mail.xjnu.example")
    msg.set_content(html, subtype="html")
    return bytes(msg)


def gb2312(*, sender: str = USER, to: str = GMS, transfer: str = "base64") -> bytes:
    """Foxmail's old default: charset=gb2312, but the name 李喆 is GBK-only (喆)."""
    subject = Header("学位申请模块异常", "gb2312").encode()
    name = Header("李喆", "gbk").encode()
    body = "李喆老师反映：学位申请提交后状态不更新。\r\n请协助排查。\r\n".encode("gbk")
    # "8bit": the raw bytes, as many servers still pass them
    payload = base64.encodebytes(body) if transfer == "base64" else body
    head = (
        f"From: {name} <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {_date()}\r\nMessage-ID: {make_msgid(domain='mail.xjnu.example')}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\n"
        f"Content-Transfer-Encoding: {transfer}\r\n\r\n"
    )
    return head.encode("ascii") + payload


def with_attachments(*, sender: str = USER, to: str = GMS) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "附件：错误截图和日志"
    msg["Date"] = _date()
    msg["Message-ID"] = make_msgid(domain="mail.xjnu.example")
    msg.set_content("截图和日志见附件。")
    msg.add_attachment(
        b"\x89PNG\r\n\x1a\nfake-png-bytes", maintype="image", subtype="png", filename="报错截图.png"
    )
    msg.add_attachment(
        "2026-11-26 ERROR 保存失败\n".encode(),
        maintype="text",
        subtype="plain",
        filename="gms-error.log",
    )
    msg.add_attachment(
        b"MZ\x90\x00evil", maintype="application", subtype="octet-stream", filename="setup.exe"
    )
    return bytes(msg)


def reply(
    *, in_reply_to: str, sender: str = USER, to: str = GMS, subject: str = "Re: 您的问题已受理"
) -> bytes:
    body = (
        "已按你们说的清除缓存，问题依旧。\n\n"
        "在 2026年11月26日 10:02，campusdesk 写道：\n"
        "> 您的问题已受理，处理人：服务工程师 陈刚\n"
        "> 承诺解决时间：2026-11-26 18:00\n"
    )
    return plain(
        sender=sender,
        to=to,
        subject=subject,
        body=body,
        headers={"In-Reply-To": in_reply_to, "References": in_reply_to},
    )


def auto_reply(*, in_reply_to: str = "", sender: str = USER) -> bytes:
    headers = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    return plain(
        sender=sender, subject="自动回复：我正在休假", body="我 12 月 1 日后回复。", headers=headers
    )


def bounce(*, to: str = GMS) -> bytes:
    """A delivery status notification (RFC 3464), as Postfix writes one."""
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mail.xjnu.example (Mail Delivery System)\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {_date()}\r\nMessage-ID: {make_msgid(domain='mail.xjnu.example')}\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
        "--B1\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mail.xjnu.example.\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.xjnu.example\r\n\r\n"
        "Final-Recipient: rfc822; nobody@xjnu.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--B1--\r\n"
    ).encode("ascii")


def spoofed(*, sender: str = USER) -> bytes:
    """A known user's address, but our MTA found SPF and DMARC failing."""
    return plain(
        sender=sender,
        subject="请重置管理员密码",
        body="请把管理员密码重置为 123456 并回信告诉我。",
        headers={
            "Authentication-Results": (
                "mx.desk.example; spf=fail smtp.mailfrom=xjnu.example;"
                " dmarc=fail header.from=xjnu.example"
            )
        },
    )


# --- hostile mail: what broke the gateway, and what a sender can make of MIME ------------
def _head(subject: str = "hostile", sender: str = USER, to: str = GMS, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {_date()}\r\n"
        f"Message-ID: {make_msgid(domain='mail.xjnu.example')}\r\nMIME-Version: 1.0\r\n{extra}"
    ).encode()


def utf8_display_name(*, sender: str = USER) -> bytes:
    """RFC 6532: raw UTF-8 in From and Subject, no encoded words (Gmail, QQ Mail send it)."""
    return _head("成绩录入页面报错", f"李老师 <{sender}>") + "\r\n请尽快处理。\r\n".encode()


def gbk_raw_header(*, sender: str = USER) -> bytes:
    """An old client's raw GBK display name and subject: bytes that are not UTF-8."""
    head = f"From: 李喆 <{sender}>\r\nTo: {GMS}\r\nSubject: 学位申请模块异常\r\n".encode("gbk")
    return head + f"Message-ID: {make_msgid(domain='mail.xjnu.example')}\r\n\r\nbody\r\n".encode()


def unknown_charset() -> bytes:
    return (
        _head("=?x-no-such-charset?b?5L2g5aW9?=")
        + b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
    )


def charset_lie() -> bytes:
    """Declared gb2312; the bytes are neither GB nor UTF-8."""
    return (
        _head("=?gb2312?b?/////w==?=")
        + b"Content-Type: text/plain; charset=gb2312\r\n"
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe\x80\x81\xff ok\r\n"
    )


def lone_surrogates() -> bytes:
    """UTF-8-encoded surrogates (ED A0 80) in an encoded word, a UTF-7 body decoding to a
    lone surrogate, and a UTF-16 file name with half a pair."""
    name = base64.b64encode("报错".encode("utf-16-le") + b"\x00\xd8").decode()
    return (
        _head("=?utf-8?b?7aCA5oql6ZSZ?=")
        + b'Content-Type: multipart/mixed; boundary="S"\r\n\r\n'
        + b"--S\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+2AA- text\r\n"
        + b"--S\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + f'Content-Disposition: attachment; filename="=?utf-16-le?b?{name}?="\r\n\r\n'.encode()
        + b"\xed\xa0\x80log\r\n--S--\r\n"
    )


def nested(levels: int) -> bytes:
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i)
        for i in range(levels)
    )
    body += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    body += b"".join(b"--n%d--\r\n" % i for i in reversed(range(levels)))
    return _head("nested") + body


def nested_messages(levels: int) -> bytes:
    """message/rfc822 inside message/rfc822, no boundaries at all."""
    return _head("forwarded") + b"Content-Type: message/rfc822\r\n\r\n" * levels + b"\r\nend\r\n"


def many_parts(count: int) -> bytes:
    parts = b"".join(
        b"--P\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(count)
    )
    return _head("parts", extra='Content-Type: multipart/mixed; boundary="P"\r\n') + (
        b"\r\n" + parts + b"--P--\r\n"
    )


def huge_header() -> bytes:
    """One header line of a megabyte (a To with 60,000 addresses)."""
    to = ",".join(f"u{n}@xjnu.example" for n in range(60_000))
    return _head("huge header", to=to) + b"\r\nbody\r\n"


def nul_bytes() -> bytes:
    return (
        _head("NUL\x00in subject", f"NUL\x00name <{USER}>")
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody\x00with NUL\r\n"
    )


def broken_encodings() -> bytes:
    """Base64 with bad padding and stray characters; quoted-printable with bad escapes."""
    return (
        _head("=?utf-8?q?broken=ZZ=E4=B8?=")
        + b'Content-Type: multipart/mixed; boundary="E"\r\n\r\n'
        + b"--E\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n5oql6ZSZ!!*\r\nQQ=\r\n"
        + b"--E\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=E6=8A=A5=ZZ=\r\n=E9\r\n"
        + b"--E\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        + b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n%%%%\r\n--E--\r\n'
    )


def no_from() -> bytes:
    msgid = make_msgid(domain="mail.xjnu.example")
    return f"To: {GMS}\r\nSubject: 无发件人\r\nMessage-ID: {msgid}\r\n\r\nbody\r\n".encode()


def empty_body(*, sender: str = USER) -> bytes:
    return _head("", sender) + b"\r\n"
