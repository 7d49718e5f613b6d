"""``campusdesk doctor``: check this installation as it runs and say what to fix
(``campusdesk.core.doctor``). Exit status 0 when nothing is wrong (warnings allowed), 1
otherwise; ``--json`` for a monitoring system."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from campusdesk.core import doctor

MARKS = {doctor.Level.OK: "✓", doctor.Level.WARNING: "!", doctor.Level.ERROR: "✗"}


class Command(BaseCommand):
    help = "Check the database, queue, worker, mail, disk, clock and settings; say what to fix."
    requires_system_checks: list[str] = []  # a broken database must still be reported

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="findings as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = doctor.examine()
        errors = [f for f in findings if f.level is doctor.Level.ERROR]
        if options["json"]:
            rows = [
                {"check": f.check, "level": f.level.value, "message": f.message, "fix": f.fix}
                for f in findings
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
        else:
            for finding in findings:
                line = f"{MARKS[finding.level]} {finding.check}：{finding.message}"
                if finding.fix:
                    line += " " + _("What to do: %(fix)s") % {"fix": finding.fix}
                self.stdout.write(line)
            warnings = sum(1 for f in findings if f.level is doctor.Level.WARNING)
            self.stdout.write(
                _("%(errors)s problems, %(warnings)s warnings.")
                % {"errors": len(errors), "warnings": warnings}
            )
        if errors:
            sys.exit(1)
