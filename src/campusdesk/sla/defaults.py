"""The seed's service levels (§6) and the 5×8 service centre's calendar.

Written by the data migration; ``ensure()`` writes them again where they are missing
(a database emptied by hand, or by a test that flushes tables).
"""

from __future__ import annotations

from decimal import Decimal

from campusdesk.core import clock
from campusdesk.sla.models import Calendar, SlaPolicy, SlaPolicySet, default_weekly

#: severity, clock, respond, resolve, follow-up kind, follow-up, warning minutes
POLICIES = [
    ("SIS1", "24x7", "2", "4", "onsite", "8", 30),
    ("SIS2", "24x7", "4", "8", "onsite", "8", 60),
    ("SIS3", "business", "1", "1", "plan", "3", 120),
]


def ensure() -> None:
    if not Calendar.objects.filter(is_default=True).exists():
        Calendar.objects.create(
            name="客服中心 5×8", is_default=True, use_chinese_calendar=True, weekly=default_weekly()
        )
    version = SlaPolicySet.objects.filter(project__isnull=True, retired_at__isnull=True).first()
    if version is None:
        version = SlaPolicySet.objects.create(created_at=clock.now())
    for severity, clock_kind, respond, resolve, kind, followup, warn in POLICIES:
        SlaPolicy.objects.get_or_create(
            policy_set=version,
            severity=severity,
            defaults={
                "clock": clock_kind,
                "accept_hours": Decimal(24),
                "respond": Decimal(respond),
                "resolve": Decimal(resolve),
                "followup_kind": kind,
                "followup": Decimal(followup),
                "warning_minutes": warn,
            },
        )
