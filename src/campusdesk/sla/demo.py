"""Demo service levels: the second university's contract has its own (R-SLA-4).

Its levels are tighter than the seed's and its service centre keeps the university's own
hours; the seed's university follows the default levels. Running it twice writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.sla import policies
from campusdesk.sla.models import Calendar

HOURS = {str(day): [["08:00", "12:00"], ["14:00", "18:00"]] for day in range(5)}
LEVELS = [
    # severity, clock, respond, resolve, follow-up kind, follow-up, warning minutes
    ("SIS1", "24x7", "1", "3", "onsite", "6", 30),
    ("SIS2", "24x7", "2", "6", "onsite", "8", 60),
    ("SIS3", "business", "0.5", "1", "plan", "2", 120),
]


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    calendar, _ = Calendar.objects.update_or_create(
        name="第二大学 学工服务时间",
        defaults={"use_chinese_calendar": True, "weekly": HOURS, "is_default": False},
    )
    policies.levels_set(
        project=projects["univ2"],
        policies=[
            {
                "severity": severity,
                "clock": clock,
                "accept_hours": Decimal(12),
                "respond": Decimal(respond),
                "resolve": Decimal(resolve),
                "followup_kind": kind,
                "followup": Decimal(followup),
                "warning_minutes": warn,
            }
            for severity, clock, respond, resolve, kind, followup, warn in LEVELS
        ],
        calendar=calendar,
        set_calendar=True,
        actor=people["admin"],
    )
