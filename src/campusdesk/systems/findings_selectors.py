"""Who sees which findings and vulnerabilities, and the counts other pages show.

Findings follow their system (``selectors.visible_systems``): another organisation's are
not there (404). The register is global: the vendor's staff see every entry; a customer
sees only the entries found on their own organisation's systems.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from campusdesk.core import clock
from campusdesk.core.errors import NotFound
from campusdesk.systems.models import ApplicationSystem, Finding, Vulnerability
from campusdesk.systems.selectors import visible_systems

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import User

#: the statuses of a finding someone still has to act on; ``overdue`` is one of these past
#: its due date
ACTIVE = (Finding.Status.OPEN, Finding.Status.UNVERIFIED, Finding.Status.FIXING)


def visible_findings(user: User | AnonymousUser) -> QuerySet[Finding]:
    return Finding.objects.filter(system__in=visible_systems(user))


def finding_for(user: User | AnonymousUser, finding_id: int) -> Finding:
    """The finding ``user`` may see, with its system and entry, or ``NotFound``."""
    finding = (
        visible_findings(user)
        .select_related("system__project", "system__organisation", "vulnerability")
        .filter(pk=finding_id)
        .first()
    )
    if finding is None:
        raise NotFound()
    return finding


def visible_vulnerabilities(user: User | AnonymousUser) -> QuerySet[Vulnerability]:
    if not user.is_authenticated:
        return Vulnerability.objects.none()
    if user.is_vendor_staff:
        return Vulnerability.objects.all()
    found = visible_findings(user).values("vulnerability_id")
    return Vulnerability.objects.filter(pk__in=found)


def vulnerability_for(user: User | AnonymousUser, vulnerability_id: int) -> Vulnerability:
    vulnerability = visible_vulnerabilities(user).filter(pk=vulnerability_id).first()
    if vulnerability is None:
        raise NotFound()
    return vulnerability


def in_range(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """The findings whose system has (or may have) a version in the range: all but those
    fixed by their version."""
    return findings.exclude(status=Finding.Status.FIXED, fixed_by_decision=False)


def affected_systems(vulnerability: Vulnerability, user: User | AnonymousUser) -> list[int]:
    """The ids of the systems ``user`` sees whose current version lies in the entry's range
    or cannot be compared with it (an ``unverified`` finding)."""
    findings = in_range(visible_findings(user).filter(vulnerability=vulnerability))
    return sorted(findings.values_list("system_id", flat=True))


def open_findings(user: User | AnonymousUser) -> QuerySet[Finding]:
    """The findings ``user`` sees that someone still has to act on, soonest due first."""
    return (
        visible_findings(user)
        .filter(status__in=ACTIVE)
        .select_related("system", "vulnerability")
        .order_by("due_date", "id")
    )


def overdue_findings(user: User | AnonymousUser, today: date) -> QuerySet[Finding]:
    """Open findings past their due date (the operations watch list shows these)."""
    return open_findings(user).filter(due_date__lt=today)


def finding_counts_by_severity(
    systems: QuerySet[ApplicationSystem], today: date | None = None
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per system id: severity → (open, overdue) of its unfinished findings, one query.
    Systems without any are left out."""
    today = today or clock.local(clock.now()).date()
    rows = (
        Finding.objects.filter(system__in=systems, status__in=ACTIVE)
        .values("system_id", "vulnerability__severity")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
        .order_by()
    )
    counts: dict[int, dict[str, tuple[int, int]]] = {}
    for row in rows:
        per_system = counts.setdefault(row["system_id"], {})
        per_system[row["vulnerability__severity"]] = (row["open"], row["overdue"])
    return counts
