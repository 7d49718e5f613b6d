"""One archive holds an installation: its database and its stored files (attachments, raw
received mail, evidence, case and announcement files), with a manifest of row counts and
checksums; ``campusdesk backup PATH`` writes it while the service runs and ``campusdesk
restore PATH`` puts it back into an empty installation and verifies it.

The archive (``.tar.gz``) holds, in this order:

- ``database/db.sqlite3``: SQLite's online backup of the live file (a consistent copy even
  while others write), or ``database/db.pgdump``: ``pg_dump --format=custom`` run on a
  snapshot exported by a repeatable-read transaction, which also counts the rows, so the
  counts and the dump see the same moment;
- ``media/…``: every file under ``MEDIA_ROOT`` (taken after the database, so a file a row
  names was there when the copy began: stored files are never rewritten, only added);
- ``manifest.json``, last: the format, when, the database vendor, every table's row count,
  each member's size and SHA-256, and a fingerprint of ``SECRET_KEY`` (never the key: the
  stored mailbox passwords are encrypted with it, and a restore warns when it differs).

A restore reads the archive twice: first it checks every member against the manifest and
touches nothing; then it loads the database, writes the files and counts the rows again.
The queue of background jobs is not kept: sweeps find their work again from the data.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import posixpath
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from campusdesk.core import clock

FORMAT = "campusdesk-backup/1"
MANIFEST = "manifest.json"
DB_SQLITE = "database/db.sqlite3"
DB_PG = "database/db.pgdump"
MEDIA = "media/"
#: what an archive written into a directory is called; the retention reads the same pattern
ARCHIVE_NAME = "campusdesk-{:%Y%m%d-%H%M%S}.tar.gz"
ARCHIVE_PATTERN = re.compile(r"^campusdesk-\d{8}-\d{6}\.tar\.gz$")
#: an installation holding any of these rows is not empty: a restore would mix two sites
OCCUPIED_TABLES = ("accounts_user", "tickets_ticket")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore that cannot go on; its message says why, in the user's language."""


@dataclass(frozen=True)
class Database:
    """Where a database is: Django's settings of a connection (``connection.settings_dict``)."""

    settings: dict[str, Any]

    @property
    def vendor(self) -> str:
        engine = str(self.settings["ENGINE"])
        if engine.endswith("sqlite3"):
            return "sqlite"
        if engine.endswith("postgresql"):
            return "postgresql"
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine}
        )

    @property
    def path(self) -> Path:
        return Path(str(self.settings["NAME"]))

    def pg_environment(self) -> dict[str, str]:
        """The libpq variables that name this database to ``pg_dump`` and ``pg_restore``."""
        env = dict(os.environ)
        values = {
            "PGDATABASE": self.settings.get("NAME"),
            "PGUSER": self.settings.get("USER"),
            "PGPASSWORD": self.settings.get("PASSWORD"),
            "PGHOST": self.settings.get("HOST"),
            "PGPORT": self.settings.get("PORT"),
            "PGSSLMODE": (self.settings.get("OPTIONS") or {}).get("sslmode"),
        }
        env.update({name: str(value) for name, value in values.items() if value})
        return env

    def pg_connect(self) -> Any:
        import psycopg

        keys = {"NAME": "dbname", "USER": "user", "PASSWORD": "password", "HOST": "host"}
        params = {arg: self.settings[key] for key, arg in keys.items() if self.settings.get(key)}
        if self.settings.get("PORT"):
            params["port"] = int(self.settings["PORT"])
        sslmode = (self.settings.get("OPTIONS") or {}).get("sslmode")
        if sslmode:
            params["sslmode"] = sslmode
        return psycopg.connect(**params)


@dataclass
class Manifest:
    vendor: str
    created_at: str
    tables: dict[str, int]
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_fingerprint: str = ""
    version: str = ""

    def as_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "version": self.version,
            "created_at": self.created_at,
            "vendor": self.vendor,
            "key_fingerprint": self.key_fingerprint,
            "tables": self.tables,
            "members": self.members,
        }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(
                    _("This is not a campusdesk backup of a known format (%(format)s).")
                    % {"format": data.get("format")}
                )
            return cls(
                vendor=str(data["vendor"]),
                created_at=str(data["created_at"]),
                tables={str(k): int(v) for k, v in data["tables"].items()},
                members={str(k): dict(v) for k, v in data["members"].items()},
                key_fingerprint=str(data.get("key_fingerprint", "")),
                version=str(data.get("version", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(
                _("The archive's manifest cannot be read: %(error)s") % {"error": exc}
            ) from exc


def key_fingerprint() -> str:
    """Tells two SECRET_KEYs apart without giving either away."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"campusdesk backup: which key", hashlib.sha256
    ).hexdigest()[:16]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("campusdesk")
    except PackageNotFoundError:  # pragma: no cover - always installed with pip install -e
        return ""


# --- counting rows ----------------------------------------------------------------------


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # sqlite3 binds no identifiers: a catalogue name, quoted, checked by _ident
    count = 'SELECT COUNT(*) FROM "{}"'
    return {name: conn.execute(count.format(_ident(name))).fetchone()[0] for name in names}


def _pg_counts(cursor: Any) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(name)))
        counts[name] = cursor.fetchone()[0]
    return counts


def _ident(name: str) -> str:
    """A table name from the catalogue, quoted: a double quote in it would end the quoting."""
    if '"' in name or "\x00" in name:
        raise BackupError(_("A table name cannot be quoted: %(name)r") % {"name": name})
    return name


def table_counts(db: Database) -> dict[str, int]:
    """Every table's row count in ``db`` as it is now (empty when it has no tables yet)."""
    if db.vendor == "sqlite":
        if not db.path.exists():
            return {}
        with _sqlite(db.path) as conn:
            return _sqlite_counts(conn)
    with db.pg_connect() as conn, conn.cursor() as cursor:
        return _pg_counts(cursor)


class _sqlite:
    """A plain sqlite3 connection, closed on leaving (sqlite3's own ``with`` only commits)."""

    def __init__(self, path: Path | str) -> None:
        self.conn = sqlite3.connect(str(path), timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


# --- writing an archive -----------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """Reads ``source`` and hashes what was read: a file is read once, into the archive."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _add(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as source:
        info = tar.gettarinfo(fileobj=source, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o640
        reader = _Hashing(source)
        tar.addfile(info, reader)
        return {"size": info.size, "sha256": reader.digest.hexdigest()}


def _dump_sqlite(db: Database, into: Path) -> dict[str, int]:
    """SQLite's online backup (all pages in one step, under one read lock: a consistent copy
    while others write), and the counts read from the copy itself."""
    if not db.path.exists():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": db.path})
    with _sqlite(db.path) as source, _sqlite(into) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        return _sqlite_counts(copy)


def _dump_pg(db: Database, into: Path) -> dict[str, int]:
    """``pg_dump`` of a snapshot this transaction exports, counted in the same snapshot."""
    _require("pg_dump")
    from psycopg import IsolationLevel

    with db.pg_connect() as conn:
        conn.read_only = True
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _pg_counts(cursor)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={into}",
                ],
                db,
            )
        conn.rollback()
    return counts


def _require(program: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(
            _(
                "%(program)s is missing: install the PostgreSQL client "
                "(apt-get install postgresql-client)."
            )
            % {"program": program}
        )


def _run(command: list[str], db: Database) -> None:
    env = db.pg_environment()
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - fixed program
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": command[0], "error": done.stderr.strip()[-2000:]}
        )


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield MEDIA + path.relative_to(root).as_posix(), path


def archive_path(target: Path, now: datetime | None = None) -> Path:
    """``target`` itself, or a new dated archive in it when it is a directory."""
    if target.is_dir():
        return target / ARCHIVE_NAME.format(clock.local(now or clock.now()))
    return target


def backup(target: Path, db: Database, media_root: Path) -> tuple[Path, Manifest]:
    """Write the archive of ``db`` and ``media_root`` to ``target`` (a file, or a directory
    to write a dated file into). The archive appears whole or not at all."""
    path = archive_path(target)
    if not path.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.") % {"path": path.parent})
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".campusdesk-backup-") as work:
        dump = Path(work) / "db"
        member = DB_SQLITE if db.vendor == "sqlite" else DB_PG
        counts = _dump_sqlite(db, dump) if db.vendor == "sqlite" else _dump_pg(db, dump)
        manifest = Manifest(
            vendor=db.vendor,
            created_at=clock.local(clock.now()).isoformat(timespec="seconds"),
            tables=counts,
            key_fingerprint=key_fingerprint(),
            version=_version(),
        )
        try:
            partial.touch(mode=0o600)  # the whole site's data: its owner's only, from the start
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                manifest.members[member] = _add(tar, member, dump)
                dump.unlink()
                for name, file in _media_files(media_root):
                    try:
                        manifest.members[name] = _add(tar, name, file)
                    except FileNotFoundError:
                        continue  # deleted after the snapshot, with its row: gone here too
                raw = manifest.as_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(raw), 0o640, int(clock.now().timestamp())
                tar.addfile(info, io.BytesIO(raw))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return path, manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` dated archives in ``directory``; the removed."""
    archives = sorted(p for p in directory.iterdir() if ARCHIVE_PATTERN.match(p.name))
    old = archives[: max(len(archives) - keep, 0)]
    for path in old:
        path.unlink()
    return old


# --- reading an archive -----------------------------------------------------------------


def _member_name(info: tarfile.TarInfo) -> str:
    """A member's name if it is one this format writes; anything else refuses the archive
    (an absolute path, ``..``, a link or device, an unknown place)."""
    name = info.name
    normal = posixpath.normpath(name)
    safe = (
        info.isfile()
        and normal == name
        and not name.startswith("/")
        and ".." not in name.split("/")
        and "\x00" not in name
        and (
            name in (MANIFEST, DB_SQLITE, DB_PG)
            or (name.startswith(MEDIA) and len(name) > len(MEDIA))
        )
    )
    if not safe:
        raise BackupError(_("The archive holds an unexpected member: %(name)r") % {"name": name})
    return name


def _read(tar: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    source = tar.extractfile(info)
    if source is None:  # not a regular file: _member_name refused those already
        raise BackupError(
            _("The archive holds an unexpected member: %(name)r") % {"name": info.name}
        )
    return source


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(
            _("%(path)s is not a readable backup archive: %(error)s") % {"path": path, "error": exc}
        ) from exc


def verify(path: Path) -> Manifest:
    """Read the whole archive and check every member against the manifest; touch nothing."""
    seen: dict[str, dict[str, Any]] = {}
    manifest: Manifest | None = None
    with _open(path) as tar:
        try:
            for info in tar:
                name = _member_name(info)
                source = _read(tar, info)
                if name == MANIFEST:
                    manifest = Manifest.parse(source.read())
                    continue
                digest, size = hashlib.sha256(), 0
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                seen[name] = {"size": size, "sha256": digest.hexdigest()}
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(_("The archive is damaged: %(error)s") % {"error": exc}) from exc
    if manifest is None:
        raise BackupError(_("The archive has no manifest: it is incomplete."))
    wrong = sorted(
        name
        for name in set(seen) | set(manifest.members)
        if seen.get(name) != manifest.members.get(name)
    )
    if wrong:
        raise BackupError(
            _("The archive does not match its manifest (missing, extra or changed): %(names)s")
            % {"names": ", ".join(wrong[:10])}
        )
    return manifest


def occupied(db: Database) -> dict[str, int]:
    """The rows that make ``db`` an installation in use (users, problems)."""
    counts = table_counts(db)
    return {name: counts[name] for name in OCCUPIED_TABLES if counts.get(name)}


def restore(path: Path, db: Database, media_root: Path) -> Manifest:
    """Restore the archive into the empty installation ``db`` + ``media_root`` and check it:
    every file's checksum and every table's row count as the manifest says."""
    manifest = verify(path)
    if manifest.vendor != db.vendor:
        raise BackupError(
            _("This backup is of a %(archive)s database; this installation uses %(here)s.")
            % {"archive": manifest.vendor, "here": db.vendor}
        )
    busy = occupied(db)
    if busy:
        raise BackupError(
            _("This installation is not empty (%(rows)s): restore into a new, empty database.")
            % {"rows": ", ".join(f"{name} {count}" for name, count in busy.items())}
        )
    files = [name for name in manifest.members if name.startswith(MEDIA)]
    clash = [name for name in files if (media_root / name[len(MEDIA) :]).exists()]
    if clash:
        raise BackupError(
            _("Files are already stored where the backup's would go: %(names)s")
            % {"names": ", ".join(clash[:10])}
        )
    with _open(path) as tar:
        for info in tar:
            name = _member_name(info)
            source = _read(tar, info)
            if name in (DB_SQLITE, DB_PG):
                _restore_database(name, source, db, manifest)
            elif name.startswith(MEDIA):
                _restore_file(source, media_root / name[len(MEDIA) :], manifest.members[name])
    counts = table_counts(db)
    differ = sorted(name for name in manifest.tables if counts.get(name) != manifest.tables[name])
    if differ:
        raise BackupError(
            _("The restored database does not hold the rows the manifest counts: %(names)s")
            % {"names": ", ".join(f"{n} {counts.get(n)}≠{manifest.tables[n]}" for n in differ[:10])}
        )
    return manifest


def _restore_database(name: str, source: IO[bytes], db: Database, manifest: Manifest) -> None:
    with tempfile.TemporaryDirectory(prefix=".campusdesk-restore-") as work:
        dump = Path(work) / "db"
        _copy_checked(source, dump, manifest.members[name])
        if db.vendor == "sqlite":
            db.path.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(dump) as copy, _sqlite(db.path) as live:
                copy.backup(live)
                live.execute("PRAGMA journal_mode=WAL")
        else:
            _require("pg_restore")
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={db.settings['NAME']}",
                    str(dump),
                ],
                db,
            )


def _restore_file(source: IO[bytes], target: Path, expected: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    partial = target.with_name(f".{target.name}.partial")
    try:
        _copy_checked(source, partial, expected)
        partial.chmod(0o640)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _copy_checked(source: IO[bytes], target: Path, expected: dict[str, Any]) -> None:
    digest = hashlib.sha256()
    with target.open("xb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected["sha256"]:
        raise BackupError(_("%(name)s changed after it was checked.") % {"name": target.name})
