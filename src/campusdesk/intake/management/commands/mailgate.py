"""``campusdesk mailgate``: receive one e-mail from standard input (an MTA pipe).

For Postfix, an alias such as ``support: "|/srv/campusdesk/.venv/bin/campusdesk mailgate"``.
Exit codes follow sysexits(3), which MTAs understand: 0 received (or ignored, held for
review, or quarantined when it cannot be processed: the message is kept either way), 65
no message at all or too large (the MTA bounces it to the sender), 75 a temporary
failure such as the database being down (the MTA keeps it and retries). A message's own
content never gives 75: the MTA would retry it forever.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from campusdesk.intake import inbound
from campusdesk.intake.models import Mailbox

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Receive one RFC 5322 message on standard input (for an MTA pipe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox", help="the address it was sent to, when the MTA cannot tell (optional)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read(settings.MAIL_MAX_BYTES + 1)
        if not raw.strip():
            self.stderr.write("mailgate: empty input")
            sys.exit(EX_DATAERR)
        if len(raw) > settings.MAIL_MAX_BYTES:
            self.stderr.write(f"mailgate: message larger than {settings.MAIL_MAX_BYTES} bytes")
            sys.exit(EX_DATAERR)
        try:
            mailbox = None
            if options["mailbox"]:
                mailbox = Mailbox.objects.filter(address__iexact=options["mailbox"]).first()
            record = inbound.mail_receive(raw=raw, mailbox=mailbox)
        except Exception as exc:  # the database is down, the disk full…: let the MTA retry
            self.stderr.write(f"mailgate: temporary failure, try again later: {exc!r}")
            sys.exit(EX_TEMPFAIL)
        ticket = f" {record.ticket.number}" if record.ticket else ""
        reason = f": {record.reason}" if record.outcome == record.Outcome.QUARANTINED else ""
        self.stdout.write(f"{record.get_outcome_display()}{ticket}{reason}")
