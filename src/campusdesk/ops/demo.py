"""Demo operations data: complaints with their resolution groups (one handled, one waiting
for its filer's confirmation, one confirmed and closed), an operations record."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.ops import budget, complaints, services
from campusdesk.ops.models import Complaint
from campusdesk.tickets.models import Ticket

#: the demo contract's service hours: the month's closed tickets use a little of them
DEMO_BUDGET = Decimal("300.0")


def load(people: dict[str, User]) -> None:
    _budget()
    if Complaint.objects.exists():
        return
    now = clock.now()
    urged = Ticket.objects.filter(title__startswith="培养方案审核流程").first()
    if urged is None:
        return
    services.ops_record_add(
        ticket_id=urged.pk,
        actor=people["ops"],
        now=now - timedelta(hours=1),
        body="已电话联系工程专家孙涛，确认明日上午给出修复方案；已告知研究生院李老师。",
    )
    complaint = services.complaint_file(
        actor=people["user"],
        ticket_id=urged.pk,
        now=now - timedelta(minutes=50),
        subject="培养方案问题处理太慢",
        body="已催办两次，仍未解决，影响下周培养方案提交。",
    )
    complaints.complaint_severity_set(
        complaint_id=complaint.pk,
        actor=people["ops"],
        severity=Complaint.Severity.SERIOUS,
        now=now - timedelta(minutes=45),
    )
    complaints.complaint_group_set(
        complaint_id=complaint.pk,
        actor=people["ops"],
        leader_id=people["manager"].pk,
        member_ids=[people["expert2"].pk, people["engineer"].pk],
        now=now - timedelta(minutes=40),
    )
    _awaiting_confirmation(people, now)
    _closed_after_confirmation(people, now)


def _awaiting_confirmation(people: dict[str, User], now: datetime) -> None:
    """Resolved by its group, waiting for the filer's confirmation (待确认)."""
    ticket = Ticket.objects.filter(title="成绩录入时系统报错").first()
    complaint = complaints.complaint_file(
        actor=people["user"],
        ticket_id=ticket.pk if ticket else None,
        now=now - timedelta(days=3),
        subject="成绩录入问题反复出现",
        body="同一问题第二次提交才修好，期间导师无法按时录入成绩，希望说明原因并避免再发生。",
    )
    complaints.complaint_group_set(
        complaint_id=complaint.pk,
        actor=people["ops"],
        leader_id=people["expert2"].pk,
        member_ids=[people["engineer"].pk],
        now=now - timedelta(days=3) + timedelta(hours=1),
    )
    complaints.complaint_resolve(
        complaint_id=complaint.pk,
        actor=people["expert2"],
        now=now - timedelta(days=1),
        resolution="已说明原因（重复提交未加校验），修复已上线并增加回归用例；已向研究生院致歉。",
    )


def _closed_after_confirmation(people: dict[str, User], now: datetime) -> None:
    """Resolved, then confirmed by its filer with a rating: closed."""
    complaint = complaints.complaint_file(
        actor=people["user"],
        now=now - timedelta(days=6),
        subject="服务热线长时间无人接听",
        body="周一上午连续拨打服务热线二十分钟无人接听。",
    )
    complaints.complaint_group_set(
        complaint_id=complaint.pk,
        actor=people["ops"],
        leader_id=people["manager"].pk,
        member_ids=[people["agent"].pk],
        now=now - timedelta(days=6) + timedelta(hours=1),
    )
    complaints.complaint_resolve(
        complaint_id=complaint.pk,
        actor=people["manager"],
        now=now - timedelta(days=5),
        resolution="当日为系统升级导致话务排队异常，已恢复并增加值班坐席；已回电说明。",
    )
    complaints.complaint_confirm(
        complaint_id=complaint.pk,
        actor=people["user"],
        rating=4,
        comment="已收到回电，情况属实，感谢处理。",
        now=now - timedelta(days=4),
    )


def _budget() -> None:
    """研究生管理系统运维服务 buys 300 service hours (the service report shows the balance)."""
    project = Project.objects.filter(name="研究生管理系统运维服务").first()
    if project is None or project.hour_budget is not None:
        return
    project.hour_budget = DEMO_BUDGET
    project.save(update_fields=["hour_budget"])
    budget.check(project)
