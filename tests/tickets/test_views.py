"""Ticket pages: registration, the ticket page's actions (htmx), queues, scope."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-main"}


def form_data(project: Project, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "project": project.pk,
        "title": "学籍异动审批后状态未更新",
        "description": "学院审批通过后，学生端仍显示“审批中”。",
        "environment": "",
        "urgency": "medium",
        "expected_resolution_date": "",
        "service_type": "bug",
    }
    data.update(overrides)
    return data


def test_customer_registers_through_the_form_with_an_attachment(
    customer: User, project: Project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = web_client_for(customer)
    page = client.get(reverse("tickets:register"))
    assert page.status_code == 200
    assert 'name="reporter"' not in page.content.decode()
    shot = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    response = client.post(reverse("tickets:register"), {**form_data(project), "files": [shot]})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.channel, ticket.reporter, ticket.status) == ("web", customer, "new")
    assert ticket.attachments.get().name == "截图.png"
    detail = client.get(response["Location"]).content.decode()
    assert "学籍异动审批后状态未更新" in detail
    assert "截图.png" in detail


def test_bad_registration_keeps_what_was_typed_and_says_why(customer: User, project: Project):
    client = web_client_for(customer)
    response = client.post(
        reverse("tickets:register"),
        form_data(project, title="", expected_resolution_date="2001-01-01"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "必填项" in body
    assert "学院审批通过后，学生端仍显示“审批中”。" in body  # nothing lost
    assert Ticket.objects.count() == 0
    past = client.post(
        reverse("tickets:register"), form_data(project, expected_resolution_date="2001-01-01")
    )
    assert Ticket.objects.count() == 0
    assert "expected_resolution_date" in past.content.decode()


def test_a_refused_attachment_refuses_the_whole_registration(
    customer: User, project: Project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    bad = SimpleUploadedFile("tool.exe", b"MZ" + b"0" * 10)
    response = web_client_for(customer).post(
        reverse("tickets:register"), {**form_data(project), "files": [bad]}
    )
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert not any(tmp_path.rglob("*"))


def test_agent_registers_a_phone_call_for_a_customer(people: dict[str, User], project: Project):
    client = web_client_for(people["agent"])
    page = client.get(reverse("tickets:register")).content.decode()
    assert 'name="reporter"' in page
    missing = client.post(reverse("tickets:register"), form_data(project))
    assert missing.status_code == 200 and Ticket.objects.count() == 0
    done = client.post(reverse("tickets:register"), form_data(project, reporter=people["user"].pk))
    assert done.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.reporter, ticket.created_by) == (
        "phone",
        people["user"],
        people["agent"],
    )


def _actions(client, ticket: Ticket) -> set[str]:
    import re

    body = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    return set(re.findall(r'data-action="([a-z_]+)"', body))


def test_each_viewer_is_offered_only_their_actions(
    people: dict[str, User], project: Project, customer: User
):
    ticket = new_ticket(project, customer)
    assert _actions(web_client_for(customer), ticket) == {"record", "urge", "withdraw", "attach"}
    assert _actions(web_client_for(people["engineer"]), ticket) == {
        "accept",
        "record",
        "escalate",
        "assign",
        "attach",
        "out_of_scope",
    }
    assert _actions(web_client_for(people["expert2"]), ticket) == {"record", "attach"}
    assert _actions(web_client_for(people["ops"]), ticket) == {
        "record",
        "escalate",
        "assign",
        "attach",
        "out_of_scope",
        "ops_record",
    }


def test_accept_through_htmx_swaps_the_panel(people: dict[str, User], project, customer):
    ticket = new_ticket(project, customer)
    client = web_client_for(people["engineer"])
    # within SIS3's target (a working day), whatever the hour: no confirmation asked
    due = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("tickets:act", args=[ticket.pk, "accept"]),
        {"severity": "SIS3", "committed_resolution_at": due},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div id="ticket-main">')
    assert "<html" not in body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.assignee) == (
        "in_progress",
        "SIS3",
        people["engineer"],
    )
    assert 'data-action="request_close"' in body


def test_an_invalid_action_form_shows_the_error_and_keeps_the_input(
    people: dict[str, User], project, customer
):
    ticket = new_ticket(project, customer)
    client = web_client_for(people["engineer"])
    response = client.post(
        reverse("tickets:act", args=[ticket.pk, "accept"]),
        {"severity": "SIS2", "committed_resolution_at": "2001-01-01T10:00"},
        **HTMX,
    )
    body = response.content.decode()
    assert "承诺解决时间必须晚于当前时间" in body
    assert 'value="2001-01-01T10:00"' in body
    assert '<details class="action" data-action="accept" open>' in body
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_forbidden_action_by_post_is_refused(people: dict[str, User], project, customer):
    ticket = new_ticket(project, customer)
    response = web_client_for(customer).post(
        reverse("tickets:act", args=[ticket.pk, "escalate"]), {"reason": "快点"}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).tier == 1


def test_the_other_organisation_sees_nothing(people: dict[str, User], project, customer):
    ticket = new_ticket(project, customer)
    outsider = web_client_for(people["user2"])
    assert outsider.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    assert outsider.post(reverse("tickets:act", args=[ticket.pk, "urge"]), {}).status_code == 404
    listing = outsider.get(reverse("tickets:list")).content.decode()
    assert ticket.number not in listing


def test_queues_show_the_users_tier(people: dict[str, User], project, customer):
    first = new_ticket(project, customer, title="一线的问题")
    second = new_ticket(project, customer, title="二线的问题")
    Ticket.objects.filter(pk=second.pk).update(tier=2)
    engineer = web_client_for(people["engineer"]).get(reverse("tickets:queue")).content.decode()
    assert first.title in engineer and second.title not in engineer
    expert = web_client_for(people["expert2"]).get(reverse("tickets:queue")).content.decode()
    assert second.title in expert and first.title not in expert
    assert web_client_for(customer).get(reverse("tickets:queue")).status_code == 403


def test_list_filters_and_search(people: dict[str, User], project, customer):
    new_ticket(project, customer, title="论文查重接口超时")
    new_ticket(project, customer, title="学费缴纳状态错误")
    client = web_client_for(people["engineer"])
    body = client.get(reverse("tickets:list"), {"search": "查重"}).content.decode()
    assert "论文查重接口超时" in body and "学费缴纳状态错误" not in body
    rows = client.get(
        reverse("tickets:list"),
        {"search": "学费"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="ticket-rows",
    ).content.decode()
    assert rows.startswith('<div id="ticket-rows">') and "学费缴纳状态错误" in rows


def test_search_matches_chinese_as_written_and_latin_in_any_case(
    people: dict[str, User], project, customer
):
    vpn = new_ticket(project, customer, title="校外 VPN 无法登录", description="提示证书错误")
    oracle = new_ticket(project, customer, title="成绩库报错", description="日志里有 ORA-01555。")
    budget = new_ticket(project, customer, title="财务问题", description="预算编制页面打不开")
    client = web_client_for(people["engineer"])

    def found(word: str) -> set[str]:
        body = client.get(reverse("tickets:list"), {"search": word}).content.decode()
        return {t.title for t in (vpn, oracle, budget) if t.title in body}

    assert found("vpn") == found("VPN") == {vpn.title}
    assert found("ora-01555") == {oracle.title}
    assert found("预算编制") == {budget.title}  # in the description only
    assert found("证书错误 VPN") == {vpn.title}  # every word must match
    assert found("预算 VPN") == set()
    assert found(budget.number) == {budget.title}


def test_a_list_row_shows_the_ticket_as_its_page_does(people: dict[str, User], project, customer):
    """Each column of a row, read from the few fields the list query loads."""
    ticket = new_ticket(project, customer, title="成绩导出<乱码>", now=timezone.now())
    registered = timezone.localtime(ticket.created_at).strftime("%Y-%m-%d %H:%M")
    Ticket.objects.filter(pk=ticket.pk).update(
        assignee=people["engineer"],
        severity="SIS2",
        urge_count=2,
        committed_resolution_at=ticket.created_at + timedelta(hours=30),
    )
    committed = timezone.localtime(ticket.created_at + timedelta(hours=30))
    client = web_client_for(people["engineer"])
    body = client.get(reverse("tickets:list")).content.decode()
    row = body[body.index(f'href="/tickets/{ticket.pk}/"') :].split("</tr>")[0]
    organisation = project.organisation
    assert ticket.number in row
    assert "成绩导出&lt;乱码&gt;" in row  # escaped
    assert "催办 ×2" in row
    assert "SIS2" in row and ticket.get_status_display() in row
    assert f"{organisation.short_name or organisation.name} · {project.name}" in row
    assert str(people["engineer"]) in row
    assert committed.strftime("%Y-%m-%d %H:%M") in row and registered in row


def test_list_and_queue_pages_have_bounded_queries(
    people: dict[str, User], project, customer, django_assert_max_num_queries
):
    for n in range(30):
        new_ticket(project, customer, title=f"问题{n}")
    client = web_client_for(people["engineer"])
    client.get(reverse("tickets:list"))  # the session's first request
    with django_assert_max_num_queries(9):
        assert client.get(reverse("tickets:list")).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(reverse("tickets:queue")).status_code == 200


def test_ticket_page_queries_do_not_grow_with_the_timeline(
    people: dict[str, User], project, customer, django_assert_max_num_queries
):
    from campusdesk.tickets import services

    ticket = new_ticket(project, customer)
    for n in range(20):
        services.ticket_add_record(ticket_id=ticket.pk, actor=customer, body=f"补充{n}")
    client = web_client_for(people["engineer"])
    with django_assert_max_num_queries(16):
        page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert page.content.decode().count('class="ev ') == 21


def test_filter_by_product(people: dict[str, User], project, other_project, customer):
    mine = new_ticket(project, customer, title="研究生系统的问题")
    theirs = new_ticket(other_project, people["user2"], title="学工系统的问题")
    client = web_client_for(people["ops"])
    body = client.get(reverse("tickets:list"), {"product": project.product_id}).content.decode()
    assert mine.title in body and theirs.title not in body
    body = client.get(
        reverse("tickets:list"), {"product": other_project.product_id}
    ).content.decode()
    assert theirs.title in body and mine.title not in body


def test_the_timeline_shows_who_when_where_and_what(people: dict[str, User], project, customer):
    from django.utils import translation

    from campusdesk.tickets import services, workflow
    from campusdesk.tickets.models import Channel, Tier
    from campusdesk.tickets.workflow import Action

    ticket = new_ticket(project, customer, title="选课系统卡顿")
    services.ticket_add_record(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        body="电话沟通：\n<b>缓存</b>已清理",
        internal=True,
        channel=Channel.PHONE,
    )
    moment = timezone.now()
    data = {"deadline": "accept", "due_at": moment.isoformat()}
    workflow.record(
        ticket=ticket,
        action=Action.SLA_WARNING,
        actor=None,
        channel=Channel.SYSTEM,
        now=moment,
        data=data,
    )
    staff = web_client_for(people["engineer"]).get(f"/tickets/{ticket.pk}/").content.decode()
    timeline = staff[staff.index('id="timeline"') :]
    local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert "电话" in timeline and "内部" in timeline  # the channel, the internal badge
    assert "电话沟通：<br>&lt;b&gt;缓存&lt;/b&gt;已清理" in timeline  # escaped, line breaks kept
    assert "<strong>系统</strong>" in timeline and local in timeline  # no actor: the system
    with translation.override("zh-hans"):
        assert str(Tier.LINE1.label) in timeline  # the line it happened at
    assert str(people["engineer"]) in timeline
    mine = web_client_for(customer).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "缓存" not in mine  # internal records stay with the vendor
