"""Demo intake: Prometheus watches the Graduate Management System (one alert fired twice,
untriaged; others acknowledged, a false alarm, silenced by a maintenance window — one of
those linked to the first one's incident, one waiting for a problem to be registered);
its support mailbox received a problem by e-mail, an out-of-office reply, and a message
from an unknown sender that waits in the review queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.intake import inbound, services, triage
from campusdesk.intake.models import Alert, AlertSource, Mailbox, MaintenanceWindow

MAILBOX = "gms-support@desk.example"


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    _mail(people, projects)
    if AlertSource.objects.exists():
        return
    source, _token, _secret = services.alert_source_create(
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
    first = services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=30))
    services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=25))
    _triaged(people, source, first, now)


#: alerts for the triage queue: key → (alertname, instance, severity, summary, minutes ago)
TRIAGE_ALERTS = {
    "db01-disk": ("DiskAlmostFull", "gms-db-01", "error", "数据库服务器磁盘使用率超过 90%", 20),
    "web02-cpu": ("HighCpuLoad", "gms-web-02:8080", "warning", "应用节点 CPU 负载过高", 15),
    "web01-5xx": (
        "HighErrorRate",
        "gms-web-01:8080",
        "critical",
        "应用节点 5xx 错误率超过 5%",
        150,
    ),
    "db02-lag": ("ReplicationLag", "gms-db-02", "warning", "数据库备库同步延迟超过 5 分钟", 140),
}


def _triaged(people: dict[str, User], source: AlertSource, first: Alert, now: datetime) -> None:
    """Alerts in each triage state: acknowledged, a false alarm, and two silenced by the
    night's maintenance window (one linked to the first alert's incident, one left for a
    problem to be registered)."""
    MaintenanceWindow.objects.create(
        source=source,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=2),
        reason="数据库版本升级",
    )
    alerts = {}
    for key, (name, instance, severity, summary, minutes) in TRIAGE_ALERTS.items():
        labels = {"alertname": name, "instance": instance, "severity": severity}
        annotations = {"summary": f"研究生系统{summary}"}
        incoming = services.Incoming(f"demo-{key}", True, labels, annotations)
        at = now - timedelta(minutes=minutes)
        alerts[key] = services.alert_receive(source=source, alert=incoming, now=at)
    engineer, agent = people["engineer"], people["agent"]
    triage.alert_acknowledge(alert_id=alerts["db01-disk"].pk, actor=engineer, now=now)
    reason = "压力测试期间的预期负载，已与学校确认。"
    triage.alert_mark_false_alarm(
        alert_id=alerts["web02-cpu"].pk, actor=agent, reason=reason, now=now
    )
    if first.ticket_id is not None:
        triage.alert_link(
            alert_id=alerts["web01-5xx"].pk, actor=engineer, ticket_id=first.ticket_id, now=now
        )


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
