"""E-mail in on Huey: every minute, poll each IMAP mailbox (one poller per mailbox)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import TaskLockedException

from campusdesk.intake import imap

log = logging.getLogger(__name__)


def _poll_mailboxes() -> int:
    received = 0
    for account in imap.accounts():
        try:
            with HUEY.lock_task(f"imap-poll-{account.label}"):
                received += imap.poll(account)
        except TaskLockedException:  # another worker is reading this mailbox right now
            continue
        except Exception:  # one unreachable server must not stop the others
            log.exception("IMAP %s: poll failed", account.label)
    return received


poll_mailboxes = db_periodic_task(crontab(minute="*"), name="intake.poll_mailboxes")(
    _poll_mailboxes
)
