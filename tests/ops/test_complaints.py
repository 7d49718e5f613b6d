"""Complaints: filed by customers, owned and tracked to the end, never seen by other customers."""

from __future__ import annotations

import re

from campusdesk.accounts.models import User
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

URL = "/api/v1/complaints/"


def test_a_complaint_runs_its_own_track_to_the_end(people: dict[str, User], project, customer):
    ticket = new_ticket(project, customer)
    user = api_client_for(customer)
    filed = user.post(URL, {"subject": "处理太慢", "body": "三天没有回复。", "ticket": ticket.pk})
    assert filed.status_code == 201, filed.json()
    complaint = filed.json()
    assert complaint["status"] == "open" and complaint["number"].startswith("TS")
    ops = api_client_for(people["ops"])
    watch = ops.get("/api/v1/ops/watch/", {"list": "complaints"}).json()["results"]
    assert [c["id"] for c in watch] == [complaint["id"]]
    cid = complaint["id"]
    assert (
        api_client_for(people["engineer"])
        .post(f"{URL}{cid}/assign/", {"owner": people["manager"].pk})
        .status_code
        == 403
    )
    assert ops.post(f"{URL}{cid}/assign/", {"owner": customer.pk}).status_code == 400
    assigned = ops.post(f"{URL}{cid}/assign/", {"owner": people["manager"].pk})
    assert assigned.json()["status"] == "handling"
    manager = api_client_for(people["manager"])
    assert manager.post(f"{URL}{cid}/notes/", {"body": "已约谈一线，明日上门"}).status_code == 200
    assert user.post(f"{URL}{cid}/notes/", {"body": "好的"}).status_code == 200
    assert user.post(f"{URL}{cid}/resolve/", {"resolution": "自己关掉"}).status_code == 403
    resolved = manager.post(f"{URL}{cid}/resolve/", {"resolution": "已上门解决并道歉"})
    assert resolved.json()["status"] == "resolved"
    assert [n["action"] for n in resolved.json()["notes"]] == [
        "filed",
        "assigned",
        "note",
        "note",
        "resolved",
    ]
    assert ops.get("/api/v1/ops/watch/", {"list": "complaints"}).json()["results"] == []
    assert manager.post(f"{URL}{cid}/resolve/", {"resolution": "again"}).status_code == 409


def test_complaints_stay_within_the_organisation(people: dict[str, User], project, customer):
    mine = api_client_for(customer).post(URL, {"subject": "投诉", "body": "内容"}).json()
    outsider = api_client_for(people["user2"])
    assert outsider.get(f"{URL}{mine['id']}/").status_code == 404
    assert outsider.get(URL).json()["results"] == []
    assert outsider.post(f"{URL}{mine['id']}/notes/", {"body": "x"}).status_code == 404
    ticket = new_ticket(project, customer)
    foreign = outsider.post(URL, {"subject": "x", "body": "y", "ticket": ticket.pk})
    assert foreign.status_code == 400 and "ticket" in foreign.json()
    assert (
        api_client_for(people["engineer"]).post(URL, {"subject": "x", "body": "y"}).status_code
        == 403
    )


def test_complaint_pages(people: dict[str, User], customer):
    client = web_client_for(customer)
    page = client.post("/complaints/", {"subject": "服务态度", "body": "电话里不耐烦。"})
    assert page.status_code == 302
    detail = client.get(page["Location"]).content.decode()
    assert "服务态度" in detail and "电话里不耐烦。" in detail
    watch = web_client_for(people["ops"]).get("/ops/complaints/").content.decode()
    assert "服务态度" in watch
    assert web_client_for(customer).get("/ops/").status_code == 403
    assert web_client_for(people["user2"]).get(page["Location"]).status_code == 404


def test_the_track_names_its_steps_in_chinese(people: dict[str, User], customer):
    """The track showed the stored codes (filed, assigned) instead of words."""
    filed = api_client_for(customer).post(URL, {"subject": "态度", "body": "不耐烦"}).json()
    ops = api_client_for(people["ops"])
    ops.post(f"{URL}{filed['id']}/assign/", {"owner": people["manager"].pk})
    ops.post(f"{URL}{filed['id']}/notes/", {"body": "已联系"})
    page = web_client_for(customer).get(f"/complaints/{filed['id']}/").content.decode()
    steps = re.findall(r'<span class="muted">[^<]* · ([^<]*)</span>', page)
    assert steps == ["提交投诉", "指定负责人", "备注"]
