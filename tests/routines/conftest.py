"""Shared fixtures of the routine-work tests: 研究生管理系统 of 新疆师范大学 with its customer
contact, and a monthly inspection of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.routines import services
from campusdesk.routines.models import Routine
from campusdesk.systems.models import ApplicationSystem
from tests.systems.changefix import registered

#: 2025-12-20 10:00 in Beijing
T0 = datetime(2025, 12, 20, 2, 0, tzinfo=timezone.get_fixed_timezone(0))

CHECKLIST = [
    {"text": "磁盘使用率", "expected": "< 80%", "evidence": True},
    {"text": "错误日志", "expected": "无 ERROR"},
    {"text": "备份新鲜度", "expected": "24 小时内", "evidence": True},
]


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    system = registered(people["engineer"], project)
    system.customer_contact = people["user"]
    system.save(update_fields=["customer_contact"])
    return system


def monthly(actor: User, system: ApplicationSystem, **fields: Any) -> Routine:
    data: dict[str, Any] = {
        "name": "研究生管理系统月度巡检",
        "kind": "inspection",
        "systems": [system.pk],
        "assignee": actor.pk,
        "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1",
        "starts_on": "2025-12-01",
        "lead_days": 3,
        "checklist": CHECKLIST,
        **fields,
    }
    return services.routine_create(actor=actor, data=data, now=T0)
