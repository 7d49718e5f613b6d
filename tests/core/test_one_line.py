"""One-line fields (titles, names, subjects) refuse control characters where people type them.

A line break in a title would become a header of its own in every e-mail about it; the
API answers 400 and the forms show the error beside the field, in Chinese, and nothing is
saved.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campusdesk.accounts.models import Organisation
from campusdesk.core.text import one_line, validate_one_line
from campusdesk.kb.models import Article
from campusdesk.notify.models import Announcement
from campusdesk.ops.models import Complaint
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.kb.test_library import case
from tests.tickets.test_api_flow import registration
from tests.tickets.test_views import form_data

pytestmark = pytest.mark.security

INJECTION = "a\r\nBcc: x@y"
MESSAGE = "请写在一行内，不能包含换行、制表符等控制字符。"


@pytest.mark.parametrize(
    "value",
    [
        INJECTION,
        "a\nb",
        "a\rb",
        "a\tb",
        "a\x00b",
        "a\x1bb",
        "a\x85b",
        "a\u2028b",
        "a\u2029b",
        "a\x7fb",
    ],
)
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_one_line(value)


def test_ordinary_titles_pass_and_stored_text_is_made_one_line() -> None:
    validate_one_line("研究生系统 500 错误（紧急）— “学位申请”")
    assert one_line(INJECTION) == "a Bcc: x@y"
    assert one_line(" 标题\u2028第二行\t\t尾 ") == "标题 第二行 尾"


def test_the_api_answers_400_to_a_title_with_a_line_break(people, project) -> None:
    client = api_client_for(people["user"], language="zh-hans")
    answer = client.post("/api/v1/tickets/", registration(project, title=INJECTION), format="json")
    assert answer.status_code == 400
    assert answer.json()["title"] == [MESSAGE]
    assert not Ticket.objects.exists()


def test_the_form_shows_the_error_beside_the_title_and_keeps_the_rest(people, project) -> None:
    client = web_client_for(people["user"])
    page = client.post(
        reverse("tickets:register"),
        form_data(project, title=INJECTION),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 200
    assert page.context["form"].errors["title"] == [MESSAGE]
    assert "学院审批通过后" in page.content.decode()  # nothing typed is lost
    assert not Ticket.objects.exists()


def test_complaint_subjects_are_one_line(people, project) -> None:
    client = api_client_for(people["user"], language="zh-hans")
    answer = client.post("/api/v1/complaints/", {"subject": INJECTION, "body": "三天没有回复。"})
    assert answer.status_code == 400 and answer.json()["subject"] == [MESSAGE]
    page = web_client_for(people["user"]).post(
        "/complaints/", {"subject": "服务\n态度", "body": "电话里不耐烦。"}
    )
    assert page.status_code == 200 and "subject" in page.context["form"].errors
    assert not Complaint.objects.exists()


def test_announcement_and_case_titles_are_one_line(people, project) -> None:
    ops = api_client_for(people["ops"], language="zh-hans")
    body = {
        "category": "alert",
        "title": "补丁\r\n通知",
        "body": "请于本周内升级。",
        "products": [project.product_id],
    }
    answer = ops.post("/api/v1/announcements/", body, format="json")
    assert answer.status_code == 400 and answer.json()["title"] == [MESSAGE]
    assert not Announcement.objects.exists()
    expert = api_client_for(people["expert2"], language="zh-hans")
    answer = expert.post("/api/v1/kb/articles/", case(project, title="报错\n处理"), format="json")
    assert answer.status_code == 400 and answer.json()["title"] == [MESSAGE]
    tags = expert.post("/api/v1/kb/articles/", case(project, tags=["成\n绩"]), format="json")
    assert tags.status_code == 400
    assert not Article.objects.exists()


def test_webhook_names_are_one_line(people, project) -> None:
    answer = api_client_for(people["admin"]).post(
        "/api/v1/webhooks/",
        {"name": "校方\r\n平台", "project": project.pk, "url": "http://127.0.0.1:9/x"},
        format="json",
    )
    assert answer.status_code == 400 and "name" in answer.json()


def test_the_admin_refuses_a_name_with_a_line_break(people) -> None:
    client = web_client_for(people["admin"])
    page = client.post(
        "/admin/accounts/organisation/add/",
        {
            "name": "新疆\r\nBcc: x@y",
            "short_name": "新",
            "kind": "customer",
            "is_active": "on",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["name"] == [MESSAGE]
    assert not Organisation.objects.filter(short_name="新").exists()
