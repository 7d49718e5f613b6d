"""``campusdesk backup PATH``: the database, the stored files and a manifest in one archive,
written while the service runs (``campusdesk.core.backup``). PATH is the archive, or a
directory to write ``campusdesk-YYYYMMDD-HHMMSS.tar.gz`` into; ``--keep N`` then removes all
but the newest N archives there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from campusdesk.core import backup


class Command(BaseCommand):
    help = "Write a backup archive: database, stored files and a manifest of counts and checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive, or a directory to write one into")
        parser.add_argument(
            "--keep", type=int, default=0, help="keep only the newest N archives of the directory"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["path"]
        keep: int = options["keep"]
        if keep < 0 or (keep and not target.is_dir()):
            raise CommandError(_("--keep takes a number of archives and a directory as PATH."))
        try:
            path, manifest = backup.backup(
                target, backup.Database(connection.settings_dict), Path(settings.MEDIA_ROOT)
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        files = sum(1 for name in manifest.members if name.startswith(backup.MEDIA))
        self.stdout.write(
            _("Backup written: %(path)s (%(tables)s tables, %(rows)s rows, %(files)s files)")
            % {
                "path": path,
                "tables": len(manifest.tables),
                "rows": sum(manifest.tables.values()),
                "files": files,
            }
        )
        if keep:
            for old in backup.prune(target, keep):
                self.stdout.write(_("Removed the older archive %(path)s") % {"path": old})
