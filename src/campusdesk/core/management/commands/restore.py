"""``campusdesk restore PATH``: put a backup archive back into an empty installation (a new
database, an empty MEDIA_ROOT) and verify every checksum and row count of its manifest.
``--check`` only verifies the archive and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.utils.translation import gettext as _

from campusdesk.core import backup


class Command(BaseCommand):
    help = "Restore a backup archive into an empty installation and verify it."
    requires_system_checks: list[str] = []  # an empty database has no tables to check yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive written by campusdesk backup")
        parser.add_argument(
            "--check", action="store_true", help="verify the archive only, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        db = backup.Database(connection.settings_dict)
        connections.close_all()  # the restore writes the database through its own connection
        try:
            if options["check"]:
                manifest = backup.verify(path)
            else:
                manifest = backup.restore(path, db, Path(settings.MEDIA_ROOT))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "created": manifest.created_at,
            "tables": len(manifest.tables),
            "rows": sum(manifest.tables.values()),
            "files": sum(1 for name in manifest.members if name.startswith(backup.MEDIA)),
        }
        if options["check"]:
            message = _(
                "The archive of %(created)s is whole: %(tables)s tables, %(rows)s rows, "
                "%(files)s files match the manifest."
            )
        else:
            message = _(
                "Restored the backup of %(created)s: %(tables)s tables, %(rows)s rows and "
                "%(files)s files, every count and checksum verified."
            )
        self.stdout.write(message % summary)
        if manifest.key_fingerprint and manifest.key_fingerprint != backup.key_fingerprint():
            self.stderr.write(
                _(
                    "SECRET_KEY differs from the backed-up installation's: stored mailbox "
                    "passwords cannot be decrypted until SECRET_KEY is set to the old value "
                    "or the passwords are entered again; everyone must log in again."
                )
            )
