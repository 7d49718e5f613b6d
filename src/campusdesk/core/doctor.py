"""``campusdesk doctor``: a live installation checked from the inside, each finding with what
to do about it, in the site's language: the database and its migrations, the queue (Redis
or SQLite), a worker's heartbeat, the mail server, the free disk, the time zone and clock,
static files, and the settings a real site must not keep (DEBUG, a generated SECRET_KEY).

Each check is a function returning its findings; one that raises is itself a finding, so
one broken part never hides the others.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campusdesk.core import clock, selectors

TIMEOUT_SECONDS = 5
MAX_CLOCK_DRIFT = timedelta(seconds=5)


class Level(Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    message: str
    fix: str = ""


Check = Callable[[], list[Finding]]


def _database() -> list[Finding]:
    name = _("Database")
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return [
            Finding(
                name,
                Level.ERROR,
                _("The database cannot be reached: %(error)s") % {"error": exc},
                _("Check DATABASE_URL and that the database server runs and accepts us."),
            )
        ]
    vendor = connection.display_name
    found = [Finding(name, Level.OK, _("%(vendor)s answers.") % {"vendor": vendor})]
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        found.append(
            Finding(
                _("Migrations"),
                Level.ERROR,
                _("%(count)s migrations have not been applied.") % {"count": len(plan)},
                _("Run campusdesk migrate (once, from one host) and restart the services."),
            )
        )
    else:
        found.append(Finding(_("Migrations"), Level.OK, _("Every migration is applied.")))
    return found


def _queue() -> list[Finding]:
    name = _("Task queue")
    backend = selectors.queue_backend()
    pending, scheduled = selectors.queue_counts()
    if pending is None:
        return [
            Finding(
                name,
                Level.ERROR,
                _("The %(backend)s queue cannot be read.") % {"backend": backend},
                _("Start Redis or correct REDIS_URL (the same value on every host).")
                if settings.REDIS_URL
                else _("Check that DATA_DIR is writable by the service's user."),
            )
        ]
    values = {"backend": backend, "pending": pending, "scheduled": scheduled}
    message = _("%(backend)s queue: %(pending)s waiting, %(scheduled)s scheduled.") % values
    return [Finding(name, Level.OK, message)]


def _worker() -> list[Finding]:
    name = _("Background worker")
    heard = selectors.workers()
    if not heard:
        return [
            Finding(
                name,
                Level.ERROR,
                _("No background worker has ever reported: deadlines, mail and probes stop."),
                _("Start campusdesk run_huey (systemd: campusdesk-worker.service)."),
            )
        ]
    alive = sum(1 for w in heard if w.alive)
    if not alive:
        last = clock.local(heard[0].heartbeat.last_seen_at)
        return [
            Finding(
                name,
                Level.ERROR,
                _("No background worker has reported since %(when)s.")
                % {"when": f"{last:%Y-%m-%d %H:%M}"},
                _("Start or restart campusdesk run_huey and read its log."),
            )
        ]
    return [Finding(name, Level.OK, _("%(count)s workers report.") % {"count": alive})]


def _mail() -> list[Finding]:
    name = _("Mail server")
    if not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return [
            Finding(
                name,
                Level.WARNING,
                _("E-mails are not sent: EMAIL_BACKEND is %(backend)s.")
                % {"backend": settings.EMAIL_BACKEND},
                _("Set EMAIL_BACKEND to SMTP and EMAIL_HOST to the campus mail relay."),
            )
        ]
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        link = mail.get_connection(fail_silently=False, timeout=TIMEOUT_SECONDS)
        link.open()
        link.close()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the relay is the finding
        return [
            Finding(
                name,
                Level.ERROR,
                _("The mail server %(where)s cannot be reached: %(error)s")
                % {"where": where, "error": exc},
                _("Check EMAIL_HOST, EMAIL_PORT, TLS and the account; notifications wait."),
            )
        ]
    return [Finding(name, Level.OK, _("%(where)s accepts us.") % {"where": where})]


def _disk() -> list[Finding]:
    """The disk of DATA_DIR (the SQLite database, attachments, received mail)."""
    path = Path(settings.DATA_DIR)
    usage = shutil.disk_usage(path)
    free_mb = usage.free // (1024 * 1024)
    share = usage.free / usage.total if usage.total else 0
    values = {"path": path, "free": f"{free_mb:,}", "share": f"{share:.0%}"}
    if free_mb < settings.DOCTOR_MIN_FREE_MB:
        level, fix = Level.ERROR, _("Free space on this disk: attachments and mail stop.")
    elif share < 0.10:
        level, fix = Level.WARNING, _("Plan more space: less than a tenth is free.")
    else:
        level, fix = Level.OK, ""
    message = _("%(path)s: %(free)s MB free (%(share)s).") % values
    return [Finding(_("Disk"), level, message, fix)]


def _time() -> list[Finding]:
    name = _("Time zone and clock")
    found = []
    if settings.TIME_ZONE != "Asia/Shanghai":
        found.append(
            Finding(
                name,
                Level.WARNING,
                _("TIME_ZONE is %(zone)s: working hours and deadlines follow it.")
                % {"zone": settings.TIME_ZONE},
                _("Set TIME_ZONE=Asia/Shanghai unless the service desk works elsewhere."),
            )
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            database_now = cursor.fetchone()[0]
        drift = abs(database_now - clock.now())
        if drift > MAX_CLOCK_DRIFT:
            found.append(
                Finding(
                    name,
                    Level.ERROR,
                    _("This host's clock and the database's differ by %(seconds)s s.")
                    % {"seconds": int(drift.total_seconds())},
                    _("Synchronise the clocks (chrony or systemd-timesyncd) on every host."),
                )
            )
    return found or [
        Finding(name, Level.OK, _("%(zone)s; the clock agrees.") % {"zone": settings.TIME_ZONE})
    ]


def _settings() -> list[Finding]:
    name = _("Settings")
    found = []
    if settings.DEBUG:
        found.append(
            Finding(
                name,
                Level.WARNING,
                _("DEBUG is on: error pages show internals."),
                _("Set DEBUG=0 on a real site."),
            )
        )
    if "SECRET_KEY" in settings.GENERATED_SECRETS:
        found.append(
            Finding(
                name,
                Level.WARNING,
                _("SECRET_KEY was generated on this host: other hosts cannot share sessions."),
                _("Set SECRET_KEY in the environment, the same on every host, kept apart."),
            )
        )
    if settings.STATIC_MANIFEST and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        found.append(
            Finding(
                _("Static files"),
                Level.ERROR,
                _("The collected static files are missing: pages have no styles."),
                _("Run campusdesk collectstatic --noinput after each upgrade."),
            )
        )
    return found or [Finding(name, Level.OK, _("Production settings in place."))]


#: a check's name when it fails outright (the names its findings carry)
LABELS = {
    "_database": _lazy("Database"),
    "_queue": _lazy("Task queue"),
    "_worker": _lazy("Background worker"),
    "_mail": _lazy("Mail server"),
    "_disk": _lazy("Disk"),
    "_time": _lazy("Time zone and clock"),
    "_settings": _lazy("Settings"),
}
CHECKS: list[Check] = [_database, _queue, _worker, _mail, _disk, _time, _settings]


def examine(checks: list[Check] | None = None) -> list[Finding]:
    """Every check's findings; a check that fails outright is an error finding itself."""
    found: list[Finding] = []
    for check in checks or CHECKS:
        try:
            found += check()
        except Exception as exc:  # noqa: BLE001 - one broken part never hides the rest
            label = LABELS.get(check.__name__, check.__name__)
            message = _("The check failed: %(error)s") % {"error": exc}
            fix = _("Fix the problems above first: this check depends on them.")
            found.append(Finding(str(label), Level.ERROR, message, fix))
    return found
