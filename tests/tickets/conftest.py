"""Ticket fixtures: the demo's 新疆师范大学 project and helpers to move a ticket along."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket


def later(hours: float = 24) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def new_ticket(project: Project, reporter: User, **overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "actor": reporter,
        "project_id": project.pk,
        "product_id": project.product_id,
        "title": "成绩录入时系统报错",
        "description": "导师在成绩录入页面点击保存后提示“系统异常”，多名导师均出现。",
        "environment": "CentOS 7.9, Tomcat 9, Oracle 19c",
        "urgency": "high",
        "service_type": "fault",
        "channel": "web",
    }
    fields.update(overrides)
    return services.ticket_register(**fields)


def accept_now(ticket: Ticket, engineer: User, severity: str = "SIS3", hours: float = 24) -> None:
    """``ticket`` accepted by ``engineer`` at ``severity``, committed ``hours`` from now."""
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=engineer,
        severity=severity,
        committed_resolution_at=timezone.now() + timedelta(hours=hours),
    )
