"""A hand-built month of tickets whose figures the tests compute by hand.

T0 is Monday 2026-11-02 09:00 in Shanghai; "now" is T0 + 60 h. Every ticket is SIS2
(7×24: respond 4 h, resolve 8 h), so the deadlines are plain arithmetic:

A  registered T0, accepted +1 h (commit +6 h), solution +5 h, closed +7 h, rated 5.
B  registered T0, accepted +30 h (late; commit +40 h), commitment moved at +31 h to +50 h,
   solution +32 h rejected at +34 h (clock stood still 2 h), solution again +45 h,
   closed +46 h, rated 2.
C  registered +2 h, accepted +3 h (commit +20 h), escalated +4 h, line 2 accepts +29 h
   (25 h after it arrived: late; commit +40 h), urged +10 h, complained about; open.
D  registered +20 h, never accepted: 40 h waiting at "now".
E  registered +1 h, withdrawn +2 h.
F  registered +40 h, accepted +41 h (commit +70 h), asked the customer +42 h: its clock
   stands still at "now".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.ops import services as ops
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
NOW = T0 + timedelta(hours=60)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass
class Month:
    tickets: dict[str, Ticket]
    people: dict[str, User]
    project: Project
    now: datetime = NOW


def _step(hours: float, call: Callable[..., object], **kwargs: object) -> object:
    with time_machine.travel(at(hours), tick=False):
        return call(now=at(hours), **kwargs)


def _register(project: Project, customer: User, hours: float, title: str) -> Ticket:
    ticket = _step(
        hours,
        services.ticket_register,
        actor=customer,
        project_id=project.pk,
        product_id=project.product_id,
        title=title,
        description=f"{title}，请处理。",
        urgency="high",
        service_type="fault",
        channel="web",
    )
    assert isinstance(ticket, Ticket)
    return ticket


def _accept(ticket: Ticket, who: User, hours: float, commit: float) -> None:
    _step(
        hours,
        services.ticket_accept,
        ticket_id=ticket.pk,
        actor=who,
        severity="SIS2",
        committed_resolution_at=at(commit),
    )


def _solve(ticket: Ticket, who: User, hours: float) -> None:
    _step(hours, services.ticket_request_close, ticket_id=ticket.pk, actor=who, solution="已处理")


def _close(ticket: Ticket, customer: User, hours: float, rating: int) -> None:
    _step(
        hours,
        services.ticket_close,
        ticket_id=ticket.pk,
        actor=customer,
        rating=rating,
        workload_hours="2",
    )


@pytest.fixture
def month(people: dict[str, User], project: Project) -> Month:
    user, eng, ex2 = people["user"], people["engineer"], people["expert2"]
    a = _register(project, user, 0, "成绩录入时系统报错")
    _accept(a, eng, 1, 6)
    _solve(a, eng, 5)
    _close(a, user, 7, 5)

    b = _register(project, user, 0, "成绩录入页面无法保存")
    _accept(b, eng, 30, 40)
    _step(
        31,
        services.ticket_change_commitment,
        ticket_id=b.pk,
        actor=eng,
        committed_resolution_at=at(50),
        reason="需要厂商补丁",
    )
    _solve(b, eng, 32)
    _step(34, services.ticket_reject_close, ticket_id=b.pk, actor=user, reason="仍然报错")
    _solve(b, eng, 45)
    _close(b, user, 46, 2)

    c = _register(project, user, 2, "学位审核数据同步失败")
    _accept(c, eng, 3, 20)
    _step(4, services.ticket_escalate, ticket_id=c.pk, actor=eng, reason="需要工程专家")
    _step(10, services.ticket_urge, ticket_id=c.pk, actor=user, message="请加快")
    _step(
        12, ops.complaint_file, actor=user, subject="处理太慢", body="一直没有解决", ticket_id=c.pk
    )
    _accept(c, ex2, 29, 40)

    d = _register(project, user, 20, "导师名单导出为空")
    e = _register(project, user, 1, "误报：登录页面打不开")
    _step(2, services.ticket_withdraw, ticket_id=e.pk, actor=user, reason="已恢复")

    f = _register(project, user, 40, "招生系统照片上传失败")
    _accept(f, eng, 41, 70)
    _step(42, services.ticket_ask_info, ticket_id=f.pk, actor=eng, question="请提供照片样例")

    tickets = {
        name: Ticket.objects.get(pk=t.pk)
        for name, t in {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}.items()
    }
    return Month(tickets=tickets, people=people, project=project)
