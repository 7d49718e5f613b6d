"""The application systems on the operations watch list: findings past their due date.

Ops lies above systems, so the watch page reads the systems' findings here; a finding is
overdue while it is still open, unverified or being fixed after its due date.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.systems.models import Finding
from campusdesk.systems.selectors import visible_systems

NAME = "findings"
LABEL = _("Overdue vulnerabilities")
TEMPLATE = "systems/inventory/_overdue_findings.html"
ACTIVE = (Finding.Status.OPEN, Finding.Status.UNVERIFIED, Finding.Status.FIXING)


def overdue_findings(user: User, today: date | None = None) -> QuerySet[Finding]:
    """The findings of ``user``'s visible systems past their due date, oldest due first."""
    today = today or clock.local(clock.now()).date()
    return (
        Finding.objects.filter(
            system__in=visible_systems(user), status__in=ACTIVE, due_date__lt=today
        )
        .select_related("vulnerability", "system__organisation")
        .order_by("due_date", "id")
    )
