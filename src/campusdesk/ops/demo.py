"""Demo operations data: a complaint on its track, an operations record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.ops import budget, services
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
    services.complaint_assign(
        complaint_id=complaint.pk,
        actor=people["ops"],
        owner_id=people["manager"].pk,
        now=now - timedelta(minutes=40),
    )


def _budget() -> None:
    """研究生管理系统运维服务 buys 300 service hours (the service report shows the balance)."""
    project = Project.objects.filter(name="研究生管理系统运维服务").first()
    if project is None or project.hour_budget is not None:
        return
    project.hour_budget = DEMO_BUDGET
    project.save(update_fields=["hour_budget"])
    budget.check(project)
