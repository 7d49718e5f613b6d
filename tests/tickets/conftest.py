"""Ticket fixtures: the demo's 新疆师范大学 project and helpers to move a ticket along."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket


def later(hours: float = 24) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


@pytest.fixture
def project(people: dict[str, User]) -> Project:
    return Project.objects.get(name="研究生管理系统运维服务")


@pytest.fixture
def other_project(people: dict[str, User]) -> Project:
    return Project.objects.get(name="学工系统运维服务")


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


@pytest.fixture
def ticket(project: Project, customer: User) -> Ticket:
    return new_ticket(project, customer)


@pytest.fixture
def accepted(ticket: Ticket, people: dict[str, User]) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS2",
        committed_resolution_at=timezone.now() + timedelta(hours=8),
    )
