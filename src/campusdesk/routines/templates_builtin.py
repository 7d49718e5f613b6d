"""Checklists that ship with the product for the common routines (seed §1, §4): a routine
starts from one and is edited from there. Their words are Chinese first, as the seed's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.routines.models import Kind


@dataclass(frozen=True)
class Template:
    key: str
    label: str | Promise
    kind: Kind
    recurrence: str
    checklist: tuple[tuple[Any, Any, bool], ...]  # (check, expected, evidence)
    #: the numbers (from 0) of the security checks: their failure is a vulnerability finding
    security: frozenset[int] = frozenset()

    def items(self) -> list[dict[str, Any]]:
        return [
            {
                "text": str(text),
                "expected": str(expected),
                "evidence": evidence,
                "security": number in self.security,
            }
            for number, (text, expected, evidence) in enumerate(self.checklist)
        ]


TEMPLATES = {
    t.key: t
    for t in (
        Template(
            "java_web_monthly",
            _("Monthly inspection of a Java web system"),
            Kind.INSPECTION,
            "FREQ=MONTHLY;BYMONTHDAY=1",
            (
                (_("Disk usage of every partition"), _("below 80 %"), True),
                (_("Memory usage"), _("below 85 %, no swapping"), True),
                (_("CPU load (15-minute average)"), _("below the number of cores"), True),
                (
                    _("Error logs of the application and middleware"),
                    _("no new ERROR or OOM"),
                    False,
                ),
                (_("Certificate expiry"), _("more than 30 days left"), True),
                (_("Backup freshness"), _("a good backup from the last 24 hours"), True),
                (_("Slow queries of the database"), _("none above 5 s"), True),
                (_("Account review"), _("no unknown or stale administrator accounts"), False),
                (
                    _("Security patches of the operating system and middleware"),
                    _("no missing high or critical patch"),
                    False,
                ),
            ),
            security=frozenset({7, 8}),
        ),
        Template(
            "backup_restore_quarterly",
            _("Quarterly backup-restore drill"),
            Kind.BACKUP_DRILL,
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
            (
                (
                    _("Latest full backup located and its checksum verified"),
                    _("checksum matches"),
                    True,
                ),
                (_("Restored to the test environment"), _("restore finishes without error"), True),
                (
                    _("Application started against the restored data"),
                    _("login and key pages work"),
                    False,
                ),
                (
                    _("Newest record in the restored data"),
                    _("within the plan's data-loss target"),
                    True,
                ),
            ),
        ),
        Template(
            "ha_switch_half_yearly",
            _("Half-yearly HA switch-over drill"),
            Kind.HA_DRILL,
            "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=20",
            (
                (_("Primary node stopped in the agreed window"), _("standby takes over"), False),
                (_("Service available again"), _("within the plan's recovery target"), True),
                (_("Switched back to the primary"), _("no data lost"), False),
            ),
        ),
    )
}
