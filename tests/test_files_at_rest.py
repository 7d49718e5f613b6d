"""Files at rest: attachments and received mail are private to campusdesk's user and group.

The process's umask is set to the common 022 for each test, under which files would be
0644 and directories 0755 (readable by every user of the host) unless campusdesk says
otherwise: the assertions hold whatever the umask of the machine running the tests.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.intake import inbound
from campusdesk.intake.models import Mailbox
from campusdesk.kb.models import Article
from campusdesk.tickets.models import Attachment
from tests.helpers import api_client_for, web_client_for
from tests.intake import mails

pytestmark = pytest.mark.security


@pytest.fixture
def media(settings, tmp_path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    was = os.umask(0o022)
    try:
        yield settings.MEDIA_ROOT
    finally:
        os.umask(was)


def assert_private(path: Path, root: Path) -> None:
    """No write for the group, nothing for others: the file and every directory up to root."""
    for node in [path, *[p for p in path.parents if p.is_relative_to(root)]]:
        mode = stat.S_IMODE(node.stat().st_mode)
        assert mode & 0o027 == 0, f"{node} is {mode:o}"


def test_raw_mail_is_private(media, project):
    Mailbox.objects.create(address=mails.GMS, project=project)
    record = inbound.mail_receive(raw=mails.plain())
    assert_private(Path(record.raw.path), media)
    poison = inbound.mail_receive(raw=mails.nested(3000))  # quarantined, kept as privately
    assert_private(Path(poison.raw.path), media)


@pytest.mark.parametrize("size", [100, 3 * 1024 * 1024], ids=["in memory", "temporary file"])
def test_ticket_attachments_are_private(media, people, accepted, size):
    """A small upload is written from memory; a large one moved from a temporary file."""
    upload = SimpleUploadedFile("slow.log", b"x" * size)
    response = api_client_for(people["user"]).post(
        f"/api/v1/tickets/{accepted.pk}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content[:500]
    attachment = Attachment.objects.get(ticket=accepted)
    assert_private(Path(attachment.file.path), media)


def test_case_library_attachments_are_private(media, people, project):
    form = {
        "product": project.product_id,
        "title": "成绩导出脚本",
        "symptoms": "需要批量导出",
        "cause": "",
        "solution": "运行附件中的脚本",
        "tags": "成绩",
        "visibility": "public",
        "attachment": SimpleUploadedFile("导出.txt", b"select 1;"),
    }
    assert web_client_for(people["expert2"]).post("/kb/new/", form).status_code == 302
    article = Article.objects.get(title="成绩导出脚本")
    assert_private(Path(article.attachment.path), media)
