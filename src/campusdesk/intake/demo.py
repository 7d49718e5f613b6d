"""Demo intake: Prometheus watches the Graduate Management System (one alert fired twice);
its support mailbox received a problem by e-mail, an out-of-office reply, and a message
from an unknown sender that waits in the review queue."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.intake import inbound, services
from campusdesk.intake.models import AlertSource, Mailbox

MAILBOX = "gms-support@desk.example"


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    _mail(people, projects)
    if AlertSource.objects.exists():
        return
    source, _token = services.alert_source_create(
        actor=people["admin"], name="Prometheus 研究生系统", project_id=projects["xjnu"].pk
    )
    alert = services.Incoming(
        fingerprint="demo-gms-web-01",
        firing=True,
        labels={
            "alertname": "HighResponseTime",
            "instance": "gms-web-01:8080",
            "severity": "warning",
        },
        annotations={
            "summary": "研究生系统响应时间超过 3 秒",
            "description": "过去 10 分钟 P95 响应时间 3.8 秒。",
        },
    )
    now = clock.now()
    services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=30))
    services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=25))


def _message(sender: str, subject: str, body: str, key: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, MAILBOX, subject
    msg["Message-ID"] = f"<{key}@mail.demo.example>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def _mail(people: dict[str, User], projects: dict[str, Project]) -> None:
    if Mailbox.objects.filter(address=MAILBOX).exists():
        return
    box = Mailbox.objects.create(address=MAILBOX, project=projects["xjnu"])
    now = clock.now()
    user = people["user"]
    inbound.mail_receive(
        raw=_message(
            f"{user.display_name} <{user.email}>",
            "学位论文上传后页面一直转圈",
            "今天上午开始，学生上传学位论文 PDF 后页面一直转圈，约 20 名学生反映。\n"
            "文件大小约 15 MB。",
            "demo-mail-1",
        ),
        mailbox=box,
        now=now - timedelta(hours=3),
    )
    inbound.mail_receive(
        raw=_message(
            user.email,
            "自动回复：休假中",
            "我 12 月 1 日后回复邮件。",
            "demo-mail-2",
            Auto_Submitted="auto-replied",
        ),
        mailbox=box,
        now=now - timedelta(hours=2),
    )
    inbound.mail_receive(
        raw=_message(
            "信息中心 张工 <zhang@it-partner.example>",
            "研究生系统能否对接统一身份认证？",
            "我们是学校信息中心的合作单位，想了解研究生系统对接 CAS 统一身份认证的方式。",
            "demo-mail-3",
        ),
        mailbox=box,
        now=now - timedelta(hours=1),
    )
