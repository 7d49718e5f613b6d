"""``campusdesk demo``: load the demo data (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from campusdesk.site import demo


class Command(BaseCommand):
    help = (
        "Load demo data: the seed's university, its Graduate Management System, one user per role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="load even though DEBUG is off (a real site)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real site. Demo users have a known password; "
                "use --force if you really want them here."
            )
        logins = demo.load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Logins (password: {demo.PASSWORD}):")
        )
        for login in logins:
            self.stdout.write(f"  {login.username:<11} {login.role_label:<24} {login.where}")
