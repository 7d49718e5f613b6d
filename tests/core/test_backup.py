"""Backup and restore (issue 23 §3) on the suite's own database, SQLite or PostgreSQL: the
archive restores into an empty installation with every row and file, a backup taken while
problems are being registered is one consistent moment, and a damaged, foreign or unsafe
archive, or an installation in use, is refused before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import backup, clock
from campusdesk.intake.models import InboundMessage
from campusdesk.site import demo
from campusdesk.tickets.models import Attachment, Ticket
from tests.tickets.conftest import new_ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """The commands speak the site's language (LANGUAGE_CODE); whatever a test before set."""
    with translation.override("zh-hans"):
        yield


def live() -> backup.Database:
    return backup.Database(connection.settings_dict)


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[backup.Database]:
    """A new, empty database of the suite's own kind."""
    if connection.vendor == "sqlite":
        yield backup.Database(
            {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "new.sqlite3"}
        )
        return
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    admin = live().pg_connect()
    admin.autocommit = True
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield backup.Database({**connection.settings_dict, "NAME": name})
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) for p in root.rglob("*") if p.is_file()}


def test_the_archive_restores_every_row_and_file_into_an_empty_installation(
    tmp_path: Path, empty: backup.Database
):
    demo.load()
    media = Path(settings.MEDIA_ROOT)
    # the demo's stored files: announcement and case documents, attachments, raw mail
    assert Attachment.objects.exists() and InboundMessage.objects.exclude(raw="").exists()
    before = stored_files(media)
    archive, manifest = backup.backup(tmp_path / "site.tar.gz", live(), media)
    assert archive.stat().st_mode & 0o777 == 0o600
    assert manifest.tables["tickets_ticket"] == Ticket.objects.count() > 20
    assert manifest.tables["accounts_user"] == User.objects.count()
    assert manifest.key_fingerprint == backup.key_fingerprint()
    assert settings.SECRET_KEY not in archive.read_bytes().decode("latin-1")

    restored_media = tmp_path / "media"
    result = backup.restore(archive, empty, restored_media)
    assert result.tables == manifest.tables
    assert backup.table_counts(empty) == manifest.tables  # every table, every row
    restored = stored_files(restored_media)
    assert before.items() <= restored.items()  # every file, byte for byte
    archived = {n[len(backup.MEDIA) :] for n in manifest.members if n.startswith(backup.MEDIA)}
    assert set(restored) == archived
    for ticket in Ticket.objects.filter(attachments__isnull=False)[:3]:
        for attachment in ticket.attachments.all():
            assert (restored_media / attachment.file.name).read_bytes() == attachment.file.read()
    # the restored database holds the same problems, not only as many
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert _column(empty, "SELECT number FROM tickets_ticket ORDER BY number") == numbers


def _column(db: backup.Database, query: str) -> list[Any]:
    if db.vendor == "sqlite":
        with backup._sqlite(db.path) as conn:
            return [row[0] for row in conn.execute(query)]
    with db.pg_connect() as conn:
        return [row[0] for row in conn.execute(query)]


def test_a_backup_while_problems_are_registered_is_one_moment(
    tmp_path: Path, empty: backup.Database
):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    customer = User.objects.get(username="user")
    stop, made = threading.Event(), []

    def register() -> None:
        try:
            while not stop.is_set() or len(made) < 5:
                made.append(new_ticket(project, customer, title=f"备份期间登记 {len(made)}").pk)
        finally:
            connections.close_all()

    writer = threading.Thread(target=register)
    writer.start()
    try:
        while len(made) < 3:
            threading.Event().wait(0.05)
        archive, manifest = backup.backup(tmp_path, live(), Path(settings.MEDIA_ROOT))
    finally:
        stop.set()
        writer.join(timeout=60)
    total = Ticket.objects.count()
    assert 3 <= manifest.tables["tickets_ticket"] <= total
    # the restore counts the rows again: the dump and the counts saw the same moment
    backup.restore(archive, empty, tmp_path / "media")
    assert backup.table_counts(empty)["tickets_ticket"] == manifest.tables["tickets_ticket"]


def _rewrite(archive: Path, into: Path, change: Any) -> Path:
    """A copy of ``archive`` whose members ``change(name, data)`` may alter (None drops)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(into, "w:gz") as target:
        for info in source:
            member = source.extractfile(info)
            data = change(info.name, member.read() if member else b"")
            if data is None:
                continue
            copy = tarfile.TarInfo(info.name)
            copy.size = len(data)
            target.addfile(copy, io.BytesIO(data))
    return into


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    demo.load(tickets=False)
    return backup.backup(tmp_path / "good.tar.gz", live(), Path(settings.MEDIA_ROOT))[0]


def test_a_damaged_archive_is_refused_and_nothing_is_written(
    tmp_path: Path, archive: Path, empty: backup.Database
):
    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database/") else data

    damaged = _rewrite(archive, tmp_path / "damaged.tar.gz", flip)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    no_manifest = _rewrite(
        archive, tmp_path / "nomanifest.tar.gz", lambda n, d: None if n == backup.MANIFEST else d
    )
    for bad, says in [
        (damaged, "与其清单不符"),
        (truncated, "已损坏"),
        (no_manifest, "没有清单"),
        (tmp_path / "missing.tar.gz", "不是可读取的备份文件"),
    ]:
        with pytest.raises(backup.BackupError, match=says):
            backup.restore(bad, empty, tmp_path / "media")
        assert backup.table_counts(empty) == {}, bad
        assert not (tmp_path / "media").exists(), bad


def test_unsafe_members_are_refused(tmp_path: Path, archive: Path, empty: backup.Database):
    for evil in ("media/../../outside.txt", "/etc/cron.d/x", "settings.py", "media/"):
        bad = tmp_path / "evil.tar.gz"
        with tarfile.open(bad, "w:gz") as tar:
            info = tarfile.TarInfo(evil)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))
        with pytest.raises(backup.BackupError, match="不应出现的内容"):
            backup.restore(bad, empty, tmp_path / "media")
    assert not (tmp_path / "outside.txt").exists()
    link = tmp_path / "link.tar.gz"
    with tarfile.open(link, "w:gz") as tar:
        info = tarfile.TarInfo("media/x")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(backup.BackupError, match="不应出现的内容"):
        backup.verify(link)


def test_an_installation_in_use_or_of_another_kind_is_refused(
    tmp_path: Path, archive: Path, empty: backup.Database
):
    tickets = Ticket.objects.count()
    with pytest.raises(backup.BackupError, match="不是空的") as refused:
        backup.restore(archive, live(), tmp_path / "media")
    assert "accounts_user" in str(refused.value)
    assert Ticket.objects.count() == tickets

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def swap(name: str, data: bytes) -> bytes:
        if name != backup.MANIFEST:
            return data
        return json.dumps({**json.loads(data), "vendor": other}).encode()

    foreign = _rewrite(archive, tmp_path / "foreign.tar.gz", swap)
    with pytest.raises(backup.BackupError, match=f"来自 {other} 数据库"):
        backup.restore(foreign, empty, tmp_path / "media")
    assert backup.table_counts(empty) == {}


def test_the_commands_speak_chinese_and_keep_the_newest(tmp_path: Path):
    demo.load(tickets=False)
    out = io.StringIO()
    with translation.override("zh-hans"), time_machine.travel(clock.now(), tick=True) as clock_:
        for _ in range(3):
            call_command("backup", str(tmp_path), "--keep", "2", stdout=out)
            clock_.shift(timedelta(seconds=2))
        kept = sorted(p.name for p in tmp_path.iterdir())
        assert len(kept) == 2 and all(backup.ARCHIVE_PATTERN.match(n) for n in kept)
        assert "已写入备份" in out.getvalue() and "已删除较早的备份" in out.getvalue()
        checked = io.StringIO()
        call_command("restore", "--check", str(tmp_path / kept[-1]), stdout=checked)
        assert "完整" in checked.getvalue()
        with pytest.raises(CommandError, match="不是空的"):
            call_command("restore", str(tmp_path / kept[-1]))
        with pytest.raises(CommandError, match="--keep"):
            call_command("backup", str(tmp_path / "one.tar.gz"), "--keep", "2")
