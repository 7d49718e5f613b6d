"""Demo problems in every status, with realistic timelines (seed §7 from start to end)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def _register(
    project: Project,
    reporter: User,
    title: str,
    at: datetime,
    actor: User | None = None,
    **extra: str,
) -> Ticket:
    return services.ticket_register(
        actor=actor or reporter,
        project_id=project.pk,
        product_id=project.product_id,
        title=title,
        description=extra.pop("description", f"{title}。请尽快处理。"),
        environment=extra.pop("environment", "CentOS 7.9 · Tomcat 9 · Oracle 19c"),
        urgency=extra.pop("urgency", "medium"),
        service_type=extra.pop("service_type", "fault"),
        channel=extra.pop("channel", "web"),
        reporter_id=reporter.pk,
        now=at,
    )


def _accept(ticket: Ticket, who: User, at: datetime, hours: int, severity: str = "") -> None:
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=who,
        severity=severity or None,
        committed_resolution_at=at + timedelta(hours=hours),
        now=at,
    )


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    xjnu, univ2 = projects["xjnu"], projects["univ2"]
    if Ticket.objects.filter(project__in=[xjnu, univ2]).exists():
        return  # loaded before: demo data is idempotent
    now = clock.now()
    user, eng, ex2 = people["user"], people["engineer"], people["expert2"]
    _load_closed(xjnu, user, eng, now)
    _load_escalated(xjnu, user, eng, ex2, now)
    _load_upload(xjnu, user, eng, now)
    _load_pending(xjnu, user, eng, now)
    _load_incident(xjnu, user, eng, ex2, now)
    _load_new_and_withdrawn(xjnu, user, now)
    _load_univ2(univ2, people, now)


def _load_closed(xjnu: Project, user: User, eng: User, now: datetime) -> None:
    """Closed after one rejected close request."""
    closed = _register(
        xjnu,
        user,
        "成绩录入时系统报错",
        now - 9 * DAY,
        description="导师在“成绩录入”页面点击保存后提示“系统异常”，多名导师均出现。",
    )
    _accept(closed, eng, now - 9 * DAY + 2 * HOUR, 24, "SIS2")
    services.ticket_add_record(
        ticket_id=closed.pk,
        actor=eng,
        now=now - 9 * DAY + 3 * HOUR,
        body="排查：应用日志显示成绩表唯一索引冲突，定位到重复提交。",
    )
    services.ticket_request_close(
        ticket_id=closed.pk,
        actor=eng,
        now=now - 8 * DAY,
        solution="已修复重复提交问题并清理重复数据。",
    )
    services.ticket_reject_close(
        ticket_id=closed.pk, actor=user, now=now - 8 * DAY + 4 * HOUR, reason="部分课程仍然报错。"
    )
    services.ticket_request_close(
        ticket_id=closed.pk,
        actor=eng,
        now=now - 7 * DAY,
        solution="补充修复了跨学期课程的成绩保存逻辑，已验证。",
    )
    services.ticket_close(
        ticket_id=closed.pk,
        actor=user,
        rating=5,
        workload_hours="6",
        comment="处理及时，感谢！",
        now=now - 6 * DAY,
    )


def _load_escalated(xjnu: Project, user: User, eng: User, ex2: User, now: datetime) -> None:
    """Commitment moved, escalated to the product line's expert, urged twice."""
    escalated = _register(
        xjnu, user, "培养方案审核流程卡在学院审核环节", now - 3 * DAY, urgency="high"
    )
    _accept(escalated, eng, now - 3 * DAY + HOUR, 8, "SIS2")
    services.ticket_change_commitment(
        ticket_id=escalated.pk,
        actor=eng,
        now=now - 3 * DAY + 6 * HOUR,
        committed_resolution_at=now - 2 * DAY,
        reason="需要产品线确认流程引擎的配置。",
    )
    services.ticket_escalate(
        ticket_id=escalated.pk,
        actor=eng,
        now=now - 2 * DAY - 2 * HOUR,
        reason="流程引擎问题，一线无法修改产品代码。",
    )
    _accept(escalated, ex2, now - 2 * DAY, 72)
    services.ticket_urge(
        ticket_id=escalated.pk,
        actor=user,
        now=now - DAY,
        message="下周一培养方案要提交研究生院，请加急处理。",
    )
    services.ticket_urge(ticket_id=escalated.pk, actor=user, now=now - 2 * HOUR)


def _load_upload(xjnu: Project, user: User, eng: User, now: datetime) -> None:
    """In progress, with an attachment and an internal record."""
    upload = _register(
        xjnu,
        user,
        "学位论文上传失败，提示文件过大",
        now - DAY,
        urgency="low",
        service_type="consultation",
    )
    _accept(upload, eng, now - DAY + 2 * HOUR, 24, "SIS3")
    services.attachment_add(
        ticket_id=upload.pk,
        actor=user,
        now=now - DAY + 3 * HOUR,
        upload=SimpleUploadedFile("上传报错截图.txt", b"413 Request Entity Too Large"),
    )
    services.ticket_add_record(
        ticket_id=upload.pk,
        actor=eng,
        internal=True,
        now=now - 20 * HOUR,
        body="内部：Nginx client_max_body_size 为 20M，需与学校确认是否可调整。",
    )


def _load_pending(xjnu: Project, user: User, eng: User, now: datetime) -> None:
    """Waiting for the reporter to confirm the close."""
    pending = _register(xjnu, user, "导师信息同步不完整", now - 2 * DAY, service_type="support")
    _accept(pending, eng, now - 2 * DAY + HOUR, 24, "SIS3")
    services.ticket_request_close(
        ticket_id=pending.pk,
        actor=eng,
        now=now - 5 * HOUR,
        solution="已重新执行人事系统同步任务，缺失的 12 名导师已补齐。",
    )


def _load_incident(xjnu: Project, user: User, eng: User, ex2: User, now: datetime) -> None:
    """A critical incident with its report, marked out of scope."""
    incident = _register(
        xjnu,
        user,
        "研究生系统整体无法访问",
        now - 5 * HOUR,
        urgency="critical",
        service_type="incident",
    )
    _accept(incident, eng, now - 5 * HOUR + 20 * MINUTE, 4, "SIS1")
    services.ticket_escalate(
        ticket_id=incident.pk, actor=eng, now=now - 4 * HOUR, reason="数据库无法启动。"
    )
    _accept(incident, ex2, now - 3 * HOUR, 6)
    services.incident_report_save(
        ticket_id=incident.pk,
        actor=ex2,
        now=now - HOUR,
        fields={
            "what_happened": "上午 9:10 起研究生系统所有页面返回 502。",
            "cause": "数据库服务器磁盘写满，Oracle 实例挂起。",
            "responsible_person": "工程专家 孙涛",
        },
    )
    services.ticket_mark_out_of_scope(
        ticket_id=incident.pk,
        actor=ex2,
        change_type="expansion",
        workload_hours="4",
        now=now - HOUR,
    )


def _load_new_and_withdrawn(xjnu: Project, user: User, now: datetime) -> None:
    """One just registered, one withdrawn by its reporter."""
    _register(
        xjnu,
        user,
        "研究生招生系统导出名单中文乱码",
        now - 40 * MINUTE,
        service_type="bug",
    )
    withdrawn = _register(
        xjnu, user, "忘记密码无法登录", now - 4 * DAY, urgency="low", service_type="consultation"
    )
    services.ticket_withdraw(
        ticket_id=withdrawn.pk,
        actor=user,
        reason="已通过统一身份认证找回。",
        now=now - 4 * DAY + HOUR,
    )


def _load_univ2(univ2: Project, people: dict[str, User], now: datetime) -> None:
    """The second university: one registered by phone for a customer, one accepted."""
    _register(
        univ2,
        people["user2"],
        "奖助学金名单审核后状态不更新",
        now - 6 * HOUR,
        actor=people["agent"],
        channel="phone",
    )
    other = _register(univ2, people["user2"], "学生请假审批无法提交", now - 2 * DAY)
    _accept(other, people["engineer2"], now - 2 * DAY + HOUR, 24, "SIS3")
