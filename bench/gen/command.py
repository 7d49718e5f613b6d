"""``python -m bench.gen``: load a generated data set for benchmarks and demos (issue 9).

A management command that is not registered in any app: the product does not ship the
generator (issue 17), so ``__main__`` runs this class itself, with Django's argument
handling, and the tests pass an instance to ``call_command``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

import bench.gen.load as gen


def _end(value: str) -> datetime:
    """A date (the start of that day in the site's time zone) or an ISO instant."""
    moment = datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Generate a realistic data set: universities, people of every role, projects, "
        "tickets with full timelines over several years, and case library entries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--orgs", type=int, default=300, help="customer universities")
        parser.add_argument("--seed", type=int, default=gen.Options.seed)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument(
            "--end", type=_end, help="the data end here (default: the start of today)"
        )
        parser.add_argument(
            "--open-share",
            type=float,
            default=gen.Options.open_share,
            help="share of older problems still open (recent ones mostly are)",
        )
        parser.add_argument("--cases", type=int, help="case library entries")
        parser.add_argument(
            "--workers",
            type=int,
            default=gen.Options.workers,
            help="processes that make the rows on PostgreSQL (the data do not depend on it)",
        )
        parser.add_argument(
            "--force", action="store_true", help="load even though DEBUG is off (a real site)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real site. Generated users have a known "
                "password; use --force if you really want them here."
            )
        if options["tickets"] < 0 or options["orgs"] < 1 or options["years"] < 1:
            raise CommandError("--tickets must be 0 or more, --orgs and --years at least 1")
        opts = gen.Options(
            tickets=options["tickets"],
            orgs=options["orgs"],
            seed=options["seed"],
            years=options["years"],
            end=options["end"],
            open_share=options["open_share"],
            cases=options["cases"],
            workers=options["workers"],
        )
        try:
            report = gen.generate(opts, log=self.stdout.write)
        except gen.GenError as error:
            raise CommandError(str(error)) from error
        for label, count in sorted(report.counts.items()):
            self.stdout.write(f"  {label:<28} {count:>10}")
        timings = ", ".join(f"{k} {v} s" for k, v in report.seconds.items())
        self.stdout.write(self.style.SUCCESS(f"Generated in {timings}."))
        self.stdout.write(f"Logins: every generated user, password {opts.password}.")
