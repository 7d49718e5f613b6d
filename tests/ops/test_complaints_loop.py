"""Complaints that close the loop (seed §7.3): operations name a special resolution group
whose members see and handle the complaint; a deadline by severity on the customer's
working calendar, escalated to the supervisors once when missed; the filer confirms the
resolution (closed) or reopens it (handled again, against a new deadline)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.core.errors import TransitionError
from campusdesk.notify.models import Kind, Notification
from campusdesk.ops import complaints
from campusdesk.ops.models import Complaint, ComplaintMember, ComplaintNote
from campusdesk.sla.models import Calendar
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

URL = "/api/v1/complaints/"
BEIJING = timezone.get_fixed_timezone(8 * 60)
ZH = "zh-hans"


def _at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=BEIJING)


def _file(customer: User, **extra) -> Complaint:
    fields = {"actor": customer, "subject": "处理太慢", "body": "三天没有回复。"} | extra
    return complaints.complaint_file(**fields)


def _told(person: User) -> list[str]:
    rows = Notification.objects.filter(recipient=person, kind=Kind.COMPLAINT)
    return list(rows.order_by("pk").values_list("title", flat=True))


def _track(complaint: Complaint) -> list[str]:
    return list(complaint.notes.order_by("at", "pk").values_list("action", flat=True))


def _group(people: dict[str, User], complaint: Complaint, *members: str) -> Complaint:
    return complaints.complaint_group_set(
        complaint_id=complaint.pk,
        actor=people["ops"],
        leader_id=people["manager"].pk,
        member_ids=[people[name].pk for name in members],
    )


def test_group_members_see_and_act_and_leave(people: dict[str, User], project, customer):
    complaint = _file(customer, ticket_id=new_ticket(project, customer).pk)
    stranger = api_client_for(people["engineer2"])  # line 1 of the other university only
    assert stranger.get(f"{URL}{complaint.pk}/").status_code == 404
    assert stranger.get(URL).json()["results"] == []
    assert stranger.post(f"{URL}{complaint.pk}/notes/", {"body": "x"}).status_code == 404
    assert (
        web_client_for(people["engineer2"]).get(f"/complaints/{complaint.pk}/").status_code == 404
    )

    ops = api_client_for(people["ops"])
    members = [people["engineer2"].pk, people["expert3"].pk]
    named = ops.post(
        f"{URL}{complaint.pk}/group/",
        {"leader": people["manager"].pk, "members": members},
        format="json",
    )
    assert named.status_code == 200, named.json()
    body = named.json()
    assert body["status"] == "handling" and body["owner"]["id"] == people["manager"].pk
    assert body["group"]["leader"]["id"] == people["manager"].pk
    assert [p["username"] for p in body["group"]["members"]] == ["manager", "engineer2", "expert3"]
    assert _told(people["engineer2"]) == [
        f"您已加入投诉 {complaint.number} 的专项解决小组：处理太慢"
    ]
    told = Notification.objects.get(recipient=people["engineer2"], kind=Kind.COMPLAINT)
    assert told.url == f"/complaints/{complaint.pk}/" and told.urgent

    assert [c["id"] for c in stranger.get(URL).json()["results"]] == [complaint.pk]
    detail = stranger.get(f"{URL}{complaint.pk}/").json()
    assert [p["username"] for p in detail["group"]["members"]] == [
        "manager",
        "engineer2",
        "expert3",
    ]
    assert stranger.post(f"{URL}{complaint.pk}/notes/", {"body": "已远程排查"}).status_code == 200
    page = web_client_for(people["engineer2"]).get(f"/complaints/{complaint.pk}/")
    assert page.status_code == 200 and "服务工程师 刘洋" in page.content.decode()
    assert complaint.pk in complaints.visible_complaints(people["engineer2"]).values_list(
        "pk", flat=True
    )

    # engineer2 leaves the group: the complaint is out of sight again
    ops.post(
        f"{URL}{complaint.pk}/group/",
        {"leader": people["manager"].pk, "members": [people["expert3"].pk]},
        format="json",
    )
    assert stranger.get(f"{URL}{complaint.pk}/").status_code == 404
    assert stranger.post(f"{URL}{complaint.pk}/resolve/", {"resolution": "x"}).status_code == 404
    expert3 = api_client_for(people["expert3"])
    resolved = expert3.post(f"{URL}{complaint.pk}/resolve/", {"resolution": "已修复并致歉"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert _track(complaint) == ["filed", "group", "note", "group", "resolved"]


def test_bad_group_input_is_refused_in_chinese_and_changes_nothing(
    people: dict[str, User], customer
):
    complaint = _file(customer)
    told = _told(people["manager"])  # of the filing only
    ops = api_client_for(people["ops"], language=ZH)
    url = f"{URL}{complaint.pk}/group/"
    leader = people["manager"].pk

    unknown = ops.post(url, {"leader": leader, "members": [987654]}, format="json")
    assert unknown.status_code == 400
    assert "987654" in unknown.json()["members"][0]
    assert unknown.json()["members"] == ["没有编号为 987654 的有效用户。"]

    customer_member = ops.post(url, {"leader": leader, "members": [customer.pk]}, format="json")
    assert customer_member.status_code == 400
    assert customer_member.json()["members"] == [
        "研究生院 李老师：只有服务商员工可以加入专项解决小组。"
    ]
    customer_leader = ops.post(url, {"leader": customer.pk, "members": []}, format="json")
    assert customer_leader.status_code == 400
    assert customer_leader.json()["leader"] == ["请从服务商员工中选择组长。"]

    manager = api_client_for(people["manager"], language=ZH)
    refused = manager.post(url, {"leader": leader, "members": []}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "专项解决小组由运营专员组建。"

    complaint.refresh_from_db()
    assert complaint.status == "open" and complaint.owner_id is None
    assert not ComplaintMember.objects.filter(complaint=complaint).exists()
    assert _track(complaint) == ["filed"]
    assert _told(people["manager"]) == told


def test_a_customer_of_another_organisation_gets_404_everywhere(people: dict[str, User], customer):
    complaint = _file(customer)
    _group(people, complaint, "engineer")
    complaints.complaint_resolve(
        complaint_id=complaint.pk, actor=people["manager"], resolution="已处理"
    )
    outsider = api_client_for(people["user2"])
    for step, data in (
        ("", None),
        ("confirm/", {"rating": 5}),
        ("reopen/", {"reason": "不满意"}),
        ("group/", {"leader": people["manager"].pk, "members": []}),
        ("severity/", {"severity": "major"}),
    ):
        url = f"{URL}{complaint.pk}/{step}"
        answer = outsider.post(url, data, format="json") if data else outsider.get(url)
        assert answer.status_code == 404, (step, answer.content)
    web = web_client_for(people["user2"])
    assert web.get(f"/complaints/{complaint.pk}/").status_code == 404
    assert web.post(f"/complaints/{complaint.pk}/confirm/", {"rating": "5"}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "resolved"


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        # Tuesday 30 September 2025 15:00: two hours left, then the National Day holiday
        # (1–8 October), Thursday 9 and Friday 10, and Saturday 11 October, a make-up day
        ("major", _at("2025-10-09", 11)),
        ("serious", _at("2025-10-09", 15)),
        ("normal", _at("2025-10-11", 15)),
    ],
)
def test_the_deadline_follows_the_severity_across_the_holiday(
    people: dict[str, User], customer, severity: str, due: datetime
):
    with time_machine.travel(_at("2025-09-30", 15), tick=False):
        filed = api_client_for(customer).post(
            URL, {"subject": "态度", "body": "不耐烦", "severity": severity}
        )
    assert filed.status_code == 201, filed.json()
    assert datetime.fromisoformat(filed.json()["due_at"]) == due
    assert filed.json()["severity"] == severity


def test_the_deadline_skips_the_weekend_and_follows_the_projects_calendar(
    people: dict[str, User], project, customer
):
    # the default 5×8 calendar: Friday 19 September 2025 16:00, one hour, then Monday
    with time_machine.travel(_at("2025-09-19", 16), tick=False):
        general = _file(customer, severity="major")
    assert general.due_at == _at("2025-09-22", 12)
    # the customer's own calendar (every day 08:00–20:00) for a complaint about a problem
    every_day = {str(day): [["08:00", "20:00"]] for day in range(7)}
    project.calendar = Calendar.objects.create(
        name="每天 8–20", weekly=every_day, use_chinese_calendar=False
    )
    project.save(update_fields=["calendar"])
    ticket = new_ticket(project, customer)
    with time_machine.travel(_at("2025-09-20", 10), tick=False):  # a Saturday
        about = _file(customer, ticket_id=ticket.pk, severity="serious")  # one 12-hour day
        plain = _file(customer, severity="serious")  # the default calendar: Monday
    assert about.due_at == _at("2025-09-21", 10)
    assert plain.due_at == _at("2025-09-22", 17)


def test_operations_change_the_severity_and_the_deadline_follows(people: dict[str, User], customer):
    ops = api_client_for(people["ops"])
    with time_machine.travel(_at("2025-09-19", 16), tick=False):
        complaint = _file(customer)
        graded = ops.post(f"{URL}{complaint.pk}/severity/", {"severity": "major"})
    assert graded.status_code == 200
    assert datetime.fromisoformat(graded.json()["due_at"]) == _at("2025-09-22", 12)
    assert _track(complaint) == ["filed", "severity"]
    user = api_client_for(customer)
    assert user.post(f"{URL}{complaint.pk}/severity/", {"severity": "normal"}).status_code == 403
    assert ops.post(f"{URL}{complaint.pk}/severity/", {"severity": "huge"}).status_code == 400


def test_a_missed_deadline_escalates_to_the_supervisors_once(people: dict[str, User], customer):
    with time_machine.travel(_at("2025-09-19", 16), tick=False):
        complaint = _file(customer, severity="major")  # due Monday 12:00
        _group(people, complaint, "engineer")
    with time_machine.travel(_at("2025-09-22", 11, 59), tick=False):
        assert complaints.sweep() == 0
    stale = Complaint.objects.get(pk=complaint.pk)
    with time_machine.travel(_at("2025-09-22", 12, 15), tick=False):
        assert complaints.sweep() == 1
        assert complaints.sweep() == 0  # a second worker's sweep finds it claimed
        assert complaints.complaint_escalate(stale, timezone.now()) is False  # a racing one
    complaint.refresh_from_db()
    assert complaint.escalated_at == _at("2025-09-22", 12, 15)
    assert _track(complaint) == ["filed", "group", "escalated"]
    escalation = complaint.notes.get(action=ComplaintNote.Action.ESCALATED)
    assert escalation.actor is None and "区域服务主管 何峰" in escalation.body
    assert len(_told(people["supervisor"])) == 1  # the region's supervisor (西北区域)
    assert complaint.number in _told(people["supervisor"])[0]

    with time_machine.travel(_at("2025-09-23", 9), tick=False):
        assert complaints.sweep() == 0
        detail = api_client_for(people["ops"]).get(f"{URL}{complaint.pk}/").json()
        page = web_client_for(people["ops"]).get(f"/complaints/{complaint.pk}/").content.decode()
        listed = web_client_for(people["ops"]).get("/complaints/").content.decode()
    assert detail["overdue"] is True and detail["escalated_at"]
    assert 'id="complaint-overdue"' in page and "已逾期" in page
    assert "已逾期" in listed
    assert "逾期未解决，已上报区域服务主管" in page


def test_without_a_supervisor_of_the_region_operations_hear(people: dict[str, User], outsider):
    with time_machine.travel(_at("2025-09-19", 16), tick=False):
        complaint = _file(outsider, severity="major")  # 昆仑大学: no region
    before = _told(people["ops"])  # of the filing
    with time_machine.travel(_at("2025-09-23", 9), tick=False):
        assert complaints.sweep() == 1
    assert _told(people["ops"]) == [*before, f"投诉 {complaint.number} 逾期未解决：处理太慢"]
    assert _told(people["supervisor"]) == []


def test_the_filer_reopens_and_the_deadline_restarts(people: dict[str, User], customer):
    with time_machine.travel(_at("2025-09-19", 16), tick=False):
        complaint = _file(customer, severity="major")
        _group(people, complaint, "engineer")
    with time_machine.travel(_at("2025-09-22", 15), tick=False):
        complaints.sweep()  # missed at 12:00: escalated
        complaints.complaint_resolve(
            complaint_id=complaint.pk, actor=people["engineer"], resolution="已重启服务"
        )
    user = api_client_for(customer, language=ZH)
    before = len(_told(people["engineer"])), len(_told(people["manager"]))
    with time_machine.travel(_at("2025-09-23", 10), tick=False):
        empty = user.post(f"{URL}{complaint.pk}/reopen/", {"reason": "  "})
        assert empty.status_code == 400
        assert empty.json()["reason"] == ["请说明投诉仍未解决的原因。"]
        complaint.refresh_from_db()
        assert complaint.status == "resolved" and _track(complaint)[-1] == "resolved"
        reopened = user.post(f"{URL}{complaint.pk}/reopen/", {"reason": "问题又出现了"})
    assert reopened.status_code == 200, reopened.json()
    body = reopened.json()
    assert body["status"] == "handling" and body["resolution"] == "" and body["resolved_at"] is None
    assert datetime.fromisoformat(body["due_at"]) == _at("2025-09-23", 14)  # 4 working hours
    assert body["escalated_at"] is None and body["overdue"] is False
    assert (len(_told(people["engineer"])), len(_told(people["manager"]))) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert _track(complaint)[-1] == "reopened"
    with time_machine.travel(_at("2025-09-23", 14, 15), tick=False):
        assert complaints.sweep() == 1  # the new deadline escalates once more
    assert _track(complaint).count("escalated") == 2


def test_only_the_filer_confirms_and_two_clicks_do_not_both_win(people: dict[str, User], customer):
    complaint = _file(customer)
    _group(people, complaint, "engineer")
    colleague = User.objects.create_user(
        username="colleague", role=Role.CUSTOMER, organisation=customer.organisation
    )
    assert api_client_for(colleague).get(f"{URL}{complaint.pk}/").status_code == 200
    user = api_client_for(customer, language=ZH)
    assert user.post(f"{URL}{complaint.pk}/confirm/", {}).status_code == 409  # not resolved yet
    complaints.complaint_resolve(
        complaint_id=complaint.pk, actor=people["manager"], resolution="已上门解决并道歉"
    )
    assert len(_told(customer)) == 1  # asked to confirm
    for other in (colleague, people["ops"], people["manager"]):
        refused = api_client_for(other, language=ZH).post(f"{URL}{complaint.pk}/confirm/", {})
        assert refused.status_code == 403, other
        assert refused.json()["detail"] == "只有提出投诉的用户可以确认或重新打开投诉。"
    assert (
        api_client_for(people["ops"])
        .post(f"{URL}{complaint.pk}/reopen/", {"reason": "x"})
        .status_code
        == 403
    )
    assert user.post(f"{URL}{complaint.pk}/confirm/", {"rating": 9}).status_code == 400

    stale = Complaint.objects.get(pk=complaint.pk)
    confirmed = user.post(f"{URL}{complaint.pk}/confirm/", {"rating": 4, "comment": "满意"})
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    assert body["status"] == "closed" and body["rating"] == 4 and body["closed_at"]
    assert body["notes"][-1]["action"] == "confirmed" and body["notes"][-1]["body"] == "★★★★ 满意"
    assert user.post(f"{URL}{complaint.pk}/confirm/", {}).status_code == 409
    assert user.post(f"{URL}{complaint.pk}/reopen/", {"reason": "x"}).status_code == 409
    with pytest.raises(TransitionError):  # the second click, read before the first was saved
        complaints._move(stale, "reopen", resolution="")
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert any(complaint.number in title for title in _told(people["manager"]))


def test_the_page_speaks_chinese_and_its_buttons_work(people: dict[str, User], customer):
    complaint = _file(customer)
    ops = web_client_for(people["ops"])
    grouped = ops.post(
        f"/complaints/{complaint.pk}/group/",
        {"leader": people["manager"].pk, "members": [people["engineer"].pk]},
    )
    assert grouped.status_code == 302
    ops.post(f"/complaints/{complaint.pk}/severity/", {"severity": "serious"})
    web_client_for(people["engineer"]).post(
        f"/complaints/{complaint.pk}/resolve/", {"resolution": "已处理"}
    )
    user = web_client_for(customer)
    page = user.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "已解决，待确认" in page
    assert "确认已解决" in page and "重新打开" in page
    empty = user.post(f"/complaints/{complaint.pk}/reopen/", {"reason": ""}, follow=True)
    assert "请说明投诉仍未解决的原因。" in empty.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    user.post(f"/complaints/{complaint.pk}/reopen/", {"reason": "还是不行"})
    web_client_for(people["manager"]).post(
        f"/complaints/{complaint.pk}/resolve/", {"resolution": "已彻底修复"}
    )
    user.post(f"/complaints/{complaint.pk}/confirm/", {"rating": "5", "comment": "好"})
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.rating == 5

    page = web_client_for(people["ops"]).get(f"/complaints/{complaint.pk}/").content.decode()
    steps = re.findall(r'<span class="muted">[^<]* · ([^<]*)</span>', page)
    assert steps == [
        "提交投诉",
        "调整专项解决小组",
        "调整严重程度",
        "投诉已解决",
        "用户重新打开",
        "投诉已解决",
        "用户确认已解决",
    ]
    assert "已关闭" in page and "★★★★★" in page
    assert "组长" in page and "专项解决小组" in page and "严重程度" in page
    assert "服务经理 马超、服务工程师 陈刚" in page
    # nobody has a step left on a closed complaint but a note
    assert f"/complaints/{complaint.pk}/resolve/" not in page


def test_the_demo_has_a_group_a_complaint_awaiting_confirmation_and_one_closed(db):
    from campusdesk.site import demo

    demo.load(tickets=True)
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"handling", "resolved", "closed"} <= statuses
    handled = Complaint.objects.get(status="handling")
    assert handled.members.count() == 3 and handled.due_at is not None
    closed = Complaint.objects.get(status="closed")
    assert closed.rating == 4 and _track(closed)[-1] == "confirmed"


def test_the_watch_list_keeps_the_complaints_the_group_still_works_on(
    people: dict[str, User], customer
):
    waiting = _file(customer, subject="等待中")
    done = _file(customer, subject="已办结")
    _group(people, done, "engineer")
    complaints.complaint_resolve(complaint_id=done.pk, actor=people["manager"], resolution="好")
    listed = api_client_for(people["ops"]).get("/api/v1/ops/watch/", {"list": "complaints"})
    assert [c["id"] for c in listed.json()["results"]] == [waiting.pk]
    assert timedelta(0) < waiting.due_at - waiting.created_at
