"""Files of a ticket through the API: the incident analysis report and attachments."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import ValidationError
from campusdesk.tickets import services
from campusdesk.tickets.downloads import DOCX
from campusdesk.tickets.models import Attachment, IncidentReport, Ticket, TicketEvent
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket
from tests.tickets.test_exports import docx_text, pdf_text

pytestmark = pytest.mark.security

URL = "/api/v1/tickets/"

REPORT = {
    "what_happened": "上午 8 点起研究生系统全部无法登录，持续约一小时。",
    "cause": "数据库连接池耗尽，连接未归还",
    "solution": "重启应用服务器并修复连接泄漏。",
    "responsible_person": "李工程师",
    "improvements": "增加连接池使用率监控告警。",
}


@pytest.fixture
def incident(project: Project, customer: User, people: dict[str, User]) -> Ticket:
    ticket = new_ticket(project, customer, service_type="incident", title="研究生系统全部无法登录")
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS1",
        committed_resolution_at=timezone.now() + timedelta(hours=4),
    )


def _request_close(people: dict[str, User], ticket: Ticket) -> Any:
    return api_client_for(people["engineer"]).post(
        f"{URL}{ticket.pk}/request-close/", {"solution": "已恢复服务"}, format="json"
    )


def _put_report(
    people: dict[str, User], ticket: Ticket, body: dict[str, str], login: str = "engineer"
) -> Any:
    return api_client_for(people[login]).put(
        f"{URL}{ticket.pk}/incident-report/", body, format="json"
    )


# --- incident analysis report --------------------------------------------------------


def test_closure_of_an_incident_waits_for_the_report(incident: Ticket, people: dict[str, User]):
    refused = _request_close(people, incident)
    assert refused.status_code == 409
    assert Ticket.objects.get(pk=incident.pk).status == "in_progress"

    partial = _put_report(people, incident, {"what_happened": REPORT["what_happened"]})
    assert partial.status_code == 200, partial.json()
    assert partial.json()["complete"] is False
    assert partial.json()["what_happened"] == REPORT["what_happened"]
    assert _request_close(people, incident).status_code == 409

    done = _put_report(people, incident, REPORT)
    assert done.status_code == 200
    assert done.json()["complete"] is True
    assert done.json()["updated_by"]["username"] == "engineer"
    closing = _request_close(people, incident)
    assert closing.status_code == 200, closing.json()
    assert closing.json()["status"] == "pending_close"


@pytest.mark.parametrize("missing", IncidentReport.REQUIRED)
@pytest.mark.parametrize("blank", ["", "   \n "])
def test_any_blank_field_keeps_the_report_incomplete(
    incident: Ticket, people: dict[str, User], missing: str, blank: str
):
    body = {**REPORT, missing: blank}
    saved = _put_report(people, incident, body)
    assert saved.status_code == 200, saved.json()
    assert saved.json()["complete"] is False
    assert _request_close(people, incident).status_code == 409
    assert Ticket.objects.get(pk=incident.pk).status == "in_progress"


def test_a_partial_put_keeps_the_other_fields(incident: Ticket, people: dict[str, User]):
    _put_report(people, incident, REPORT)
    changed = _put_report(people, incident, {"cause": "存储阵列故障导致数据库挂起"})
    assert changed.json()["cause"] == "存储阵列故障导致数据库挂起"
    assert changed.json()["solution"] == REPORT["solution"]
    assert changed.json()["complete"] is True


def test_only_vendor_staff_write_the_report_and_the_customer_reads_it(
    incident: Ticket, people: dict[str, User]
):
    user = api_client_for(people["user"])
    assert user.get(f"{URL}{incident.pk}/incident-report/").status_code == 404  # none yet
    assert _put_report(people, incident, REPORT, login="user").status_code == 403
    assert not IncidentReport.objects.filter(ticket=incident).exists()

    assert _put_report(people, incident, REPORT).status_code == 200
    read = user.get(f"{URL}{incident.pk}/incident-report/")
    assert read.status_code == 200
    assert {k: read.json()[k] for k in REPORT} == REPORT
    assert read.json()["complete"] is True


def test_the_report_downloads_as_word(incident: Ticket, people: dict[str, User]):
    _put_report(people, incident, REPORT)
    response = api_client_for(people["user"]).get(f"{URL}{incident.pk}/incident-report/docx/")
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"] == (
        f'attachment; filename="incident-report-{incident.number}.docx"'
    )
    text = docx_text(response.content)
    for value in REPORT.values():
        assert value in text
    assert incident.number in text


def test_the_report_downloads_as_pdf(incident: Ticket, people: dict[str, User], tmp_path: Path):
    _put_report(people, incident, REPORT)
    response = api_client_for(people["user"]).get(f"{URL}{incident.pk}/incident-report/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    assert REPORT["cause"] in text
    assert REPORT["responsible_person"] in text


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_no_file_before_the_report_exists(incident: Ticket, people: dict[str, User], kind: str):
    response = api_client_for(people["user"]).get(f"{URL}{incident.pk}/incident-report/{kind}/")
    assert response.status_code == 404


@pytest.mark.parametrize("login", ["user2", "engineer2"])
def test_the_report_is_invisible_outside_the_project(
    incident: Ticket, people: dict[str, User], login: str
):
    _put_report(people, incident, REPORT)
    outsider = api_client_for(people[login])
    base = f"{URL}{incident.pk}/incident-report/"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}docx/").status_code == 404
    assert outsider.get(f"{base}pdf/").status_code == 404
    put = outsider.put(base, {"cause": "外部篡改"}, format="json")
    assert put.status_code == 404
    assert IncidentReport.objects.get(ticket=incident).cause == REPORT["cause"]


def test_only_emergency_incidents_have_a_report(accepted: Ticket, people: dict[str, User]):
    response = _put_report(people, accepted, REPORT)
    assert response.status_code == 409
    assert not IncidentReport.objects.filter(ticket=accepted).exists()
    assert not TicketEvent.objects.filter(ticket=accepted, action="incident_report").exists()


def test_each_save_is_on_the_timeline(incident: Ticket, people: dict[str, User]):
    _put_report(people, incident, {"what_happened": REPORT["what_happened"]})
    _put_report(people, incident, REPORT)
    timeline = api_client_for(people["user"]).get(f"{URL}{incident.pk}/timeline/").json()
    saves = [e for e in timeline if e["action"] == "incident_report"]
    assert len(saves) == 2
    assert saves[0]["data"] == {"changed": ["what_happened"], "complete": False}
    assert saves[1]["data"] == {
        "changed": ["cause", "solution", "responsible_person", "improvements"],
        "complete": True,
    }
    assert saves[1]["actor"]["username"] == "engineer"
    assert saves[1]["status_before"] == saves[1]["status_after"] == "in_progress"


def test_the_report_can_be_completed_after_closure(incident: Ticket, people: dict[str, User]):
    _put_report(people, incident, REPORT)
    _request_close(people, incident)
    api_client_for(people["user"]).post(
        f"{URL}{incident.pk}/close/", {"rating": 5, "workload_hours": 2}, format="json"
    )
    later = _put_report(people, incident, {"improvements": "每季度演练一次连接池故障。"})
    assert later.status_code == 200
    assert Ticket.objects.get(pk=incident.pk).status == "closed"
    assert _put_report(people, incident, REPORT, login="user").status_code == 403


# --- attachments -------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body with ``filename`` sent exactly as given (the test client strips paths)."""
    boundary = "campusdesk-boundary-7d1f"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(user: User, ticket: Ticket, name: str, content: bytes) -> Any:
    body, content_type = multipart(name, content)
    return api_client_for(user).post(
        f"{URL}{ticket.pk}/attachments/", body, content_type=content_type
    )


def test_a_screenshot_is_uploaded_and_listed(
    accepted: Ticket, people: dict[str, User], media: Path
):
    data = png_bytes()
    file = SimpleUploadedFile("报错截图.png", data, content_type="image/png")
    response = api_client_for(people["user"]).post(
        f"{URL}{accepted.pk}/attachments/", {"file": file}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["name"], row["size"], row["content_type"]) == (
        "报错截图.png",
        len(data),
        "image/png",
    )
    assert row["uploaded_by"]["username"] == "user"
    assert row["url"] == f"/tickets/{accepted.pk}/attachments/{row['id']}/"

    listed = api_client_for(people["engineer"]).get(f"{URL}{accepted.pk}/attachments/")
    assert listed.status_code == 200
    assert [(a["id"], a["name"]) for a in listed.json()] == [(row["id"], "报错截图.png")]
    event = TicketEvent.objects.get(ticket=accepted, action="attach")
    assert event.data == {"attachment": row["id"], "name": "报错截图.png", "size": len(data)}
    assert [p.read_bytes() for p in stored_files(media)] == [data]


def test_the_stored_path_is_random_not_the_users_name(
    accepted: Ticket, people: dict[str, User], media: Path
):
    first = upload(people["user"], accepted, "成绩单.txt", "第一份".encode())
    second = upload(people["user"], accepted, "成绩单.txt", "第二份".encode())
    assert first.status_code == second.status_code == 201
    paths = [a.file.name for a in Attachment.objects.order_by("id")]
    assert paths[0] != paths[1]
    for path in paths:
        directory, _, stored = path.rpartition("/")
        assert directory == f"tickets/{accepted.pk}"
        assert len(stored) == 32
        int(stored, 16)  # a uuid4 hex, nothing of the user's name or extension
    on_disk = sorted(str(p.relative_to(media)) for p in stored_files(media))
    assert on_disk == sorted(paths)
    assert all("成绩单" not in p and not p.endswith(".txt") for p in on_disk)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("a\\b\\..\\evil<>.log", "evil__.log"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("  .hidden.log", "hidden.log"),
        ("x; rm -rf $HOME|`id`.csv", "x_ rm -rf _HOME__id_.csv"),
    ],
)
def test_names_are_stored_without_directories(
    accepted: Ticket, people: dict[str, User], media: Path, sent: str, kept: str
):
    response = upload(
        people["engineer"], accepted, sent, b"2026-03-01 08:10 ERROR pool exhausted\n"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == kept
    attachment = Attachment.objects.get()
    assert attachment.name == kept
    for path in stored_files(media):
        assert path.resolve().is_relative_to(media.resolve() / "tickets")
    assert not (media.parent / "etc").exists()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("a\\b\\..\\evil<>.log", "evil__.log"),
        ("C:\\Users\\张三\\桌面\\日志.log", "日志.log"),
        ("C:日志.log", "日志.log"),
        ("..\\..\\.env.txt", "env.txt"),
    ],
)
def test_the_service_itself_cleans_names(
    accepted: Ticket, people: dict[str, User], media: Path, sent: str, kept: str
):
    # Web form and API both reach this service: Django's parser must not be the only guard
    # (on Linux, an UploadedFile keeps Windows paths in its name).
    file = SimpleUploadedFile(sent, b"log line\n")
    assert file.name == sent
    attachment = services.attachment_add(ticket_id=accepted.pk, actor=people["user"], upload=file)
    assert attachment.name == kept


def test_a_long_name_is_shortened_but_keeps_its_extension(
    accepted: Ticket, people: dict[str, User], media: Path
):
    long_name = "研究生系统应用服务器日志" * 20 + ".log"  # 244 characters
    response = upload(people["user"], accepted, long_name, b"log line\n")
    assert response.status_code == 201, response.json()
    kept = response.json()["name"]
    assert kept == long_name[:176] + ".log"


def test_shortening_a_long_name_does_not_reveal_an_allowed_extension(
    accepted: Ticket, people: dict[str, User], media: Path
):
    disguised = "a" * 176 + ".png.exe"  # the first 180 characters end in ".png"
    response = upload(people["user"], accepted, disguised, b"MZ\x90\x00")
    assert response.status_code == 400
    assert "file" in response.json()
    _nothing_stored(accepted, media)


def _nothing_stored(ticket: Ticket, media: Path) -> None:
    assert stored_files(media) == []
    assert not Attachment.objects.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, action="attach").exists()


@pytest.mark.parametrize("name", ["setup.exe", "report.pdf.exe", "run.sh", "page.html", "noext"])
def test_types_outside_the_allow_list_are_refused(
    accepted: Ticket, people: dict[str, User], media: Path, name: str
):
    response = upload(people["user"], accepted, name, b"MZ\x90\x00 not really a program")
    assert response.status_code == 400
    assert "file" in response.json()
    _nothing_stored(accepted, media)


def test_files_over_the_limit_are_refused(
    accepted: Ticket, people: dict[str, User], media: Path, settings: Any
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    too_big = upload(people["user"], accepted, "big.log", b"x" * 1025)
    assert too_big.status_code == 400
    assert "file" in too_big.json()
    _nothing_stored(accepted, media)
    at_limit = upload(people["user"], accepted, "fits.log", b"x" * 1024)
    assert at_limit.status_code == 201


def test_empty_files_are_refused(accepted: Ticket, people: dict[str, User], media: Path):
    response = upload(people["user"], accepted, "empty.log", b"")
    assert response.status_code == 400
    assert "file" in response.json()
    with pytest.raises(ValidationError) as refused:  # the service refuses it by itself too
        services.attachment_add(
            ticket_id=accepted.pk, actor=people["user"], upload=SimpleUploadedFile("e.log", b"")
        )
    assert "file" in refused.value.fields
    _nothing_stored(accepted, media)


def test_a_missing_file_field_is_refused(accepted: Ticket, people: dict[str, User], media: Path):
    response = api_client_for(people["user"]).post(
        f"{URL}{accepted.pk}/attachments/", {"other": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()
    _nothing_stored(accepted, media)


@pytest.mark.parametrize("login", ["user2", "engineer2"])
def test_other_projects_people_get_404(
    accepted: Ticket, people: dict[str, User], media: Path, login: str
):
    assert upload(people["user"], accepted, "mine.txt", b"ours").status_code == 201
    outsider = people[login]
    assert upload(outsider, accepted, "theirs.txt", b"theirs").status_code == 404
    assert api_client_for(outsider).get(f"{URL}{accepted.pk}/attachments/").status_code == 404
    assert list(Attachment.objects.values_list("name", flat=True)) == ["mine.txt"]
    assert len(stored_files(media)) == 1


def test_no_upload_on_a_closed_ticket(accepted: Ticket, people: dict[str, User], media: Path):
    engineer = api_client_for(people["engineer"])
    engineer.post(f"{URL}{accepted.pk}/request-close/", {"solution": "已修复"})
    api_client_for(people["user"]).post(
        f"{URL}{accepted.pk}/close/", {"rating": 5, "workload_hours": 1}, format="json"
    )
    assert Ticket.objects.get(pk=accepted.pk).status == "closed"
    for login in ("user", "engineer"):
        response = upload(people[login], accepted, "late.log", b"too late")
        assert response.status_code == 409
    _nothing_stored(accepted, media)


def test_no_upload_on_a_withdrawn_ticket(ticket: Ticket, people: dict[str, User], media: Path):
    api_client_for(people["user"]).post(f"{URL}{ticket.pk}/withdraw/", {})
    assert Ticket.objects.get(pk=ticket.pk).status == "withdrawn"
    response = upload(people["user"], ticket, "late.log", b"too late")
    assert response.status_code == 409
    _nothing_stored(ticket, media)


# --- attachment downloads (the web view) ----------------------------------------------------


def test_an_attachment_downloads_for_the_customer_and_staff(
    accepted: Ticket, people: dict[str, User], media: Path
):
    data = png_bytes()
    row = upload(people["user"], accepted, "报错截图.png", data).json()
    for login in ("user", "engineer"):
        response = web_client_for(people[login]).get(row["url"])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_attachments_do_not_download_outside_the_project(
    accepted: Ticket, people: dict[str, User], media: Path, other_project: Project
):
    row = upload(people["user"], accepted, "内部日志.log", b"secret").json()
    mine = web_client_for(people["user"]).get(row["url"])
    assert mine.status_code == 200
    assert b"".join(mine.streaming_content) == b"secret"
    for login in ("user2", "engineer2"):
        assert web_client_for(people[login]).get(row["url"]).status_code == 404
    # an attachment id under another ticket's URL is not found either
    theirs = new_ticket(other_project, people["user2"])
    wrong = f"/tickets/{theirs.pk}/attachments/{row['id']}/"
    assert web_client_for(people["user2"]).get(wrong).status_code == 404


# --- attachment downloads (the API, with a token) -------------------------------------------


def test_an_attachment_downloads_through_the_api_with_a_token(
    accepted: Ticket, people: dict[str, User], media: Path, other_project: Project
):
    data = png_bytes()
    row = upload(people["user"], accepted, "报错截图.png", data).json()
    assert row["download_url"] == f"/api/v1/tickets/{accepted.pk}/attachments/{row['id']}/"
    for login in ("user", "engineer"):
        response = api_client_for(people[login]).get(row["download_url"])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    for login in ("user2", "engineer2"):  # another organisation, another project's engineer
        assert api_client_for(people[login]).get(row["download_url"]).status_code == 404
    theirs = new_ticket(other_project, people["user2"])
    wrong = f"/api/v1/tickets/{theirs.pk}/attachments/{row['id']}/"
    assert api_client_for(people["user2"]).get(wrong).status_code == 404
    assert api_client_for(people["user"]).get(f"{row['download_url']}x/").status_code == 404
