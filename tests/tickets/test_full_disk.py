"""A full disk during an upload: a clear message, no ticket or attachment row half-made, no
partial file left behind.

The disk is really full: media (or the upload's temporary files) go to a 64 KB tmpfs, so
the kernel answers ENOSPC. Mounting needs root (as `make test` runs here and in CI)."""

from __future__ import annotations

import gc
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets.models import Attachment, Ticket, TicketEvent
from tests.helpers import web_client_for
from tests.tickets.test_views import form_data

pytestmark = pytest.mark.faults

FULL = "服务器存储空间已满"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"a 64 KB tmpfs cannot be mounted here (root only): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        gc.collect()  # a failed upload's temporary file goes (deleted) with its request
        subprocess.run(["umount", str(mount)], check=True)


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "temporary-file"])
def test_registration_with_a_file_that_does_not_fit_saves_nothing(
    customer: User, project: Project, settings: Any, small_disk: Path, in_memory: bool
):
    settings.MEDIA_ROOT = small_disk
    if not in_memory:  # Django moves an upload it kept in a temporary file instead
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    fits = SimpleUploadedFile("日志.txt", b"log line\n" * 100)  # stored first, then removed
    too_big = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200_000, "image/png")
    response = web_client_for(customer).post(
        reverse("tickets:register"), {**form_data(project), "files": [fits, too_big]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert FULL in page
    assert "学院审批通过后，学生端仍显示“审批中”。" in page  # what was typed is kept
    assert not (Ticket.objects.exists() or Attachment.objects.exists())
    assert not TicketEvent.objects.exists()
    assert files_in(small_disk) == []


def test_an_api_upload_that_does_not_fit_answers_507(
    accepted: Ticket, people: dict[str, User], settings: Any, small_disk: Path
):
    settings.MEDIA_ROOT = small_disk
    events = TicketEvent.objects.count()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(people["engineer"], backend="campusdesk.accounts.backends.UserBackend")
    big = SimpleUploadedFile("trace.log", b"x" * 200_000)
    response = client.post(f"/api/v1/tickets/{accepted.pk}/attachments/", {"file": big})
    assert response.status_code == 507
    assert FULL in json.loads(response.content)["detail"]
    assert not Attachment.objects.exists() and TicketEvent.objects.count() == events
    assert files_in(small_disk) == []
    small = SimpleUploadedFile("trace.log", b"x" * 1000)  # space is there again: it works
    ok = client.post(f"/api/v1/tickets/{accepted.pk}/attachments/", {"file": small})
    assert ok.status_code == 201 and len(files_in(small_disk)) == 1


def test_no_space_for_the_uploads_temporary_file_answers_507(
    customer: User, project: Project, settings: Any, small_disk: Path, caplog: Any
):
    """Django writes a large upload to a temporary file while it reads the request, before
    any view runs: a full disk there is a 507 page, not a 500."""
    settings.FILE_UPLOAD_TEMP_DIR = small_disk
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = web_client_for(customer)
    client.raise_request_exception = False
    big = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200_000, "image/png")
    response = client.post(reverse("tickets:register"), {**form_data(project), "files": [big]})
    assert response.status_code == 507
    assert FULL in response.content.decode()
    assert Ticket.objects.count() == 0
    for record in caplog.records:  # the logged error holds the request and its open upload
        record.exc_info = record.request = None
