"""The inbox one row per problem, read when the problem is opened, "mark all read", and
what a new customer hears of by default (issue 22 item 4)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.notify import announcements, threads
from campusdesk.notify.inbox import CUSTOMER_DEFAULTS, preference_set
from campusdesk.notify.models import MANDATORY, Delivery, Kind, Notification
from campusdesk.site import demo
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import accept_now, new_ticket


def unread(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def handled(ticket: Ticket, engineer: User) -> None:
    """Accepted, a question asked, closure requested: three steps the reporter hears of."""
    accept_now(ticket, engineer)
    services.ticket_ask_info(ticket_id=ticket.pk, actor=engineer, question="请提供截图")
    services.ticket_request_close(ticket_id=ticket.pk, actor=engineer, solution="已清理重复记录")


def message(user: User, title: str, ticket: Ticket | None = None, minutes: int = 0) -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=Kind.RECORD if ticket else Kind.ANNOUNCEMENT,
        title=title,
        url=f"/tickets/{ticket.pk}/" if ticket else "/announcements/",
        ticket=ticket,
        created_at=timezone.now() + timedelta(minutes=minutes),
    )


def rows_of(html: str) -> list[str]:
    return re.findall(r'<li class="note[^"]*" id="note-\d+">.*?</li>', html, re.DOTALL)


def badge(row: str, name: str) -> int | None:
    """The number on a row's badge (``messages``, ``unread``), whatever the language."""
    found = re.search(rf'class="badge[^"]* n-{name}">\D*(\d+)', row)
    return int(found.group(1)) if found else None


def test_one_row_per_problem_with_its_newest_step(people, project, customer):
    first = new_ticket(project, customer, title="成绩录入报错")
    handled(first, people["engineer"])
    second = new_ticket(project, customer, title="课表导出失败")
    services.ticket_accept(
        ticket_id=second.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    message(customer, "维护通知", minutes=1)
    message(customer, "另一则通知", minutes=2)
    assert unread(customer) == 6
    rows = rows_of(web_client_for(customer).get("/inbox/").content.decode())
    assert len(rows) == 4  # two notices on their own, one row for each problem
    assert "另一则通知" in rows[0] and "维护通知" in rows[1]
    assert "课表导出失败" in rows[2] and "问题已受理" in rows[2]
    assert "成绩录入报错" in rows[3] and "申请关闭" in rows[3]  # its newest step
    assert badge(rows[3], "messages") == 3 and badge(rows[3], "unread") == 3
    assert f'href="/tickets/{first.pk}/"' in rows[3]
    assert badge(rows[2], "messages") is None and badge(rows[2], "unread") == 1
    assert badge(rows[0], "unread") is None  # a message of its own: its style says unread


def test_other_peoples_messages_are_never_shown(people, project, customer):
    ticket = new_ticket(project, customer, title="成绩录入报错")
    handled(ticket, people["engineer"])
    message(people["user2"], "昆仑大学的通知")
    message(people["engineer"], "工程师的留言", ticket=ticket)
    mine = threads.heads(customer)
    assert {note.recipient_id for note in mine} == {customer.pk}
    page = web_client_for(people["user2"]).get("/inbox/").content.decode()
    assert len(rows_of(page)) == 1 and "成绩录入报错" not in page
    assert threads.row_read(user=people["user2"], notification_id=mine[0].pk) is None
    other = web_client_for(people["user2"]).post(f"/inbox/{mine[0].pk}/read/")
    assert other.status_code == 404 and unread(customer) == 3


def test_unread_only_lists_the_problems_with_something_unread(people, project, customer):
    read_one = new_ticket(project, customer, title="已读的问题")
    handled(read_one, people["engineer"])
    waiting = new_ticket(project, customer, title="有未读的问题")
    handled(waiting, people["engineer"])
    Notification.objects.filter(ticket=read_one).update(read_at=timezone.now())
    # only an older message of the problem unread: the row is still there, with its newest
    newest = Notification.objects.filter(recipient=customer, ticket=waiting).order_by("id")
    Notification.objects.filter(pk=newest.last().pk).update(read_at=timezone.now())
    page = web_client_for(customer).get("/inbox/?unread=1").content.decode()
    rows = rows_of(page)
    assert len(rows) == 1 and "有未读的问题" in rows[0] and badge(rows[0], "unread") == 2


def test_rows_are_paged_in_a_bounded_number_of_queries(
    people, project, customer, django_assert_max_num_queries
):
    ticket = new_ticket(project, customer)
    client = web_client_for(customer)
    for i in range(3):
        message(customer, f"本问题的第 {i} 条消息", ticket=ticket, minutes=i)
    for i in range(40):
        message(customer, f"通知 {i}", minutes=10 + i)
    client.get("/inbox/")  # the session, warmed
    with django_assert_max_num_queries(8):
        first = client.get("/inbox/").content.decode()
    assert len(rows_of(first)) == 30 and "通知 39" in rows_of(first)[0]
    with django_assert_max_num_queries(8):
        second = client.get("/inbox/?page=2").content.decode()
    rows = rows_of(second)
    assert len(rows) == 11  # the ten oldest notices and the problem's one row
    assert "本问题的第 2 条消息" in rows[-1] and badge(rows[-1], "messages") == 3


def test_opening_the_problem_reads_its_messages(
    people, project, customer, django_assert_max_num_queries
):
    ticket = new_ticket(project, customer, title="成绩录入报错")
    handled(ticket, people["engineer"])
    other = new_ticket(project, customer, title="另一个问题")
    handled(other, people["engineer"])
    client = web_client_for(customer)
    assert 'id="unread-count">6<' in client.get("/").content.decode()
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="unread-count">3<' in page  # the header already counts without them
    assert unread(customer) == 3
    mine = Notification.objects.filter(ticket=ticket, recipient=customer)
    assert mine.exists() and not mine.filter(read_at__isnull=True).exists()
    staff = Notification.objects.filter(ticket=ticket, recipient=people["engineer"])
    assert staff.filter(read_at__isnull=True).exists()  # only the reader's own messages
    marking = threads.opened_panel
    with django_assert_max_num_queries(1):
        assert marking(other, customer) == {}
    assert unread(customer) == 0


def test_marking_a_problems_row_read_reads_all_of_its_messages(people, project, customer):
    ticket = new_ticket(project, customer)
    handled(ticket, people["engineer"])
    head = threads.heads(customer).get()
    swapped = web_client_for(customer).post(f"/inbox/{head.pk}/read/", HTTP_HX_REQUEST="true")
    html = swapped.content.decode()
    assert html.startswith('<li class="note"') and badge(html, "unread") is None
    assert unread(customer) == 0


def test_mark_all_read_on_the_page_and_through_the_api(people, project, customer):
    ticket = new_ticket(project, customer)
    handled(ticket, people["engineer"])
    message(customer, "维护通知")
    client = web_client_for(customer)
    page = client.get("/inbox/").content.decode()
    assert 'id="read-all"' in page and "全部标为已读" in page
    assert client.post("/inbox/read-all/").status_code == 302
    assert unread(customer) == 0
    assert 'id="read-all"' not in client.get("/inbox/").content.decode()  # nothing to mark
    message(customer, "又一则通知")
    answer = api_client_for(customer).post("/api/v1/notifications/read-all/")
    assert answer.json() == {"marked": 1} and unread(customer) == 0
    assert unread(people["engineer"]) > 0  # only the caller's


def kinds(user: User) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def test_a_new_customer_hears_only_the_steps_that_need_them(people, project, customer):
    ticket = new_ticket(project, customer)
    engineer, expert = people["engineer"], people["expert2"]
    later = timezone.now() + timedelta(days=1)
    services.ticket_accept(
        ticket_id=ticket.pk, actor=engineer, severity="SIS3", committed_resolution_at=later
    )
    services.ticket_add_record(ticket_id=ticket.pk, actor=engineer, body="排查中")
    services.ticket_change_commitment(
        ticket_id=ticket.pk, actor=engineer, committed_resolution_at=later, reason="等待补丁"
    )
    services.ticket_escalate(ticket_id=ticket.pk, actor=engineer, reason="需要专家")
    services.ticket_accept(ticket_id=ticket.pk, actor=expert, committed_resolution_at=later)
    services.ticket_ask_info(ticket_id=ticket.pk, actor=expert, question="请提供日志")
    services.ticket_answer_info(ticket_id=ticket.pk, actor=customer, answer="见附件")
    services.ticket_request_close(ticket_id=ticket.pk, actor=expert, solution="已修复")
    services.ticket_reject_close(ticket_id=ticket.pk, actor=customer, reason="仍然报错")
    services.ticket_request_close(ticket_id=ticket.pk, actor=expert, solution="已修复")
    heard = ["accepted", "accepted", "info", "closure_requested", "closure_requested"]
    assert kinds(customer) == heard  # not the record, the commitment, the escalation
    mailed = Delivery.objects.filter(recipient=customer, channel="email")
    assert sorted(mailed.values_list("kind", flat=True)) == sorted(heard)
    # vendor staff still hear of every step by default
    assert {"escalated", "info", "closure_rejected"} <= set(kinds(expert))
    assert {"accepted", "closure_rejected"} <= set(kinds(engineer))


def test_a_customers_own_choice_wins_over_the_default(people, project, customer):
    preference_set(user=customer, kind="escalated", inbox=True, email=False)
    preference_set(user=customer, kind="accepted", inbox=False, email=False)
    ticket = new_ticket(project, customer)
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    services.ticket_escalate(ticket_id=ticket.pk, actor=people["engineer"], reason="需要专家")
    heard = Notification.objects.filter(recipient=customer).values_list("kind", flat=True)
    assert list(heard) == ["escalated"]
    assert not Delivery.objects.filter(recipient=customer, channel="email").exists()


def test_announcements_still_reach_customers_by_default(people, project):
    announcements.announcement_publish(
        actor=people["expert3"],
        category="notice",
        title="维护通知",
        body="今晚维护",
        products=[project.product],
    )
    assert unread(people["user"]) == 1


def test_the_settings_matrix_shows_the_defaults_with_labels(people, customer):
    page = web_client_for(customer).get("/me/messages/").content.decode()
    table = page[page.index('<table class="matrix"') : page.index("</table>")]
    assert '<th scope="col">站内消息</th>' in table and '<th scope="col">邮件</th>' in table
    assert table.count('<th scope="row">') == len(Kind)
    boxes = re.findall(r"<input [^>]*>", table)
    assert len(boxes) == 2 * len(Kind)
    assert all('aria-label="' in box for box in boxes)
    assert 'aria-label="问题已受理 · 站内消息" checked' in table
    assert 'aria-label="新的处理记录或留言 · 邮件">' in table  # off for a customer
    for kind in MANDATORY:
        label = f'aria-label="{Kind(kind).label} · 站内消息" checked disabled'
        assert label in table, kind
    ticked = {box.split('name="')[1].split('"')[0] for box in boxes if " checked" in box}
    wanted = {f"{kind}-{c}" for kind in CUSTOMER_DEFAULTS for c in ("inbox", "email")}
    assert ticked == wanted | {f"{kind}-inbox" for kind in MANDATORY}
    staff = web_client_for(people["engineer"]).get("/me/messages/").content.decode()
    assert staff.count(" checked") >= 2 * len(Kind)  # staff defaults: everything on


def test_after_the_demo_nobody_starts_with_dozens_unread(db):
    demo.load()
    people = User.objects.filter(notifications__isnull=False).distinct()
    assert people.exists()
    counts = {person.username: unread(person) for person in people}
    assert max(counts.values()) <= 10, counts
    day_ago = timezone.now() - timedelta(days=1)
    old = Notification.objects.filter(created_at__lt=day_ago, read_at__isnull=True)
    assert not old.exists()
