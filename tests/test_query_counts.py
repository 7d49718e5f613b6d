"""No list page or API list does a query per row: the count stays the same as rows grow.

Every list is read twice by the same user: with a few rows of everything (three of each,
so that sections which need some data, such as a frequent-problem group, are there), then
with many more (problems with their timelines, complaints, cases, announcements, notifications,
received e-mail). A query made per row would show as a higher count the second time. Each
list also has a ceiling, so a regression that adds fixed queries is seen too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campusdesk.catalog.models import Project
from campusdesk.intake import inbound
from campusdesk.kb import services as kb
from campusdesk.notify import announcements
from campusdesk.notify import outbox as notify
from campusdesk.notify.models import Delivery, WebhookSubscription
from campusdesk.ops import services as ops
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.intake import mails
from tests.tickets.conftest import new_ticket

WATCH_LISTS = (
    "unaccepted",
    "nearing",
    "overdue",
    "beyond_target",
    "urged",
    "dispatch",
    "retrospectives",
    "complaints",
    "deliveries",
)
#: (who reads, path, most queries allowed)
PAGES = [
    ("engineer", "/tickets/", 12),
    ("engineer", "/queue/", 12),
    ("engineer", "/queue/in_progress/", 12),
    ("engineer", "/queue/pending_close/", 12),
    ("user", "/tickets/", 11),
    # the tabs' counts: one query for the ticket lists, one per list of other things
    # (overdue findings, routine runs past due, emergency plans due: ops.object_lists)
    *(("ops", f"/ops/{name}/", 17) for name in WATCH_LISTS),
    ("ops", "/complaints/", 9),
    ("user", "/complaints/", 9),
    ("user", "/kb/", 9),
    ("expert3", "/kb/", 11),
    ("engineer", "/inbox/", 9),
    ("user", "/announcements/", 10),
    ("agent", "/intake/mail/", 10),
]
API = [
    ("engineer", "/api/v1/tickets/", 6),
    ("user", "/api/v1/tickets/", 6),
    ("engineer", "/api/v1/notifications/", 6),
    ("user", "/api/v1/announcements/", 6),
    ("user", "/api/v1/kb/articles/", 6),
    ("expert3", "/api/v1/kb/retrospectives/", 6),
    *(("ops", f"/api/v1/ops/watch/?list={name}", 6) for name in WATCH_LISTS),
    ("expert3", "/api/v1/kb/frequent/", 8),
    ("ops", "/api/v1/complaints/", 6),
    ("user", "/api/v1/complaints/", 6),
    ("agent", "/api/v1/mail/", 6),
    ("user", "/api/v1/projects/", 6),
]


def _grow(people, project: Project, n: int, start: int) -> None:
    """n more of everything a list shows, each with its related rows."""
    engineer, customer = people["engineer"], people["user"]
    for i in range(start, start + n):
        ticket = new_ticket(project, customer, title=f"成绩录入报错 {i}")
        services.ticket_accept(  # beyond SIS2's 8 h target: on the beyond-target list
            ticket_id=ticket.pk,
            actor=engineer,
            severity="SIS2",
            committed_resolution_at=timezone.now() + timedelta(hours=9),
        )
        services.ticket_add_record(ticket_id=ticket.pk, actor=engineer, body=f"排查 {i}")
        services.ticket_urge(ticket_id=ticket.pk, actor=customer)
        # every watch list gets rows: past its resolution targets (overdue, on-site dispatch)
        # or nearing them, as the clock would have it hours later
        now = timezone.now()
        if i % 2:
            Ticket.objects.filter(pk=ticket.pk).update(
                committed_resolution_at=now + timedelta(hours=1)
            )
        else:
            Ticket.objects.filter(pk=ticket.pk).update(
                committed_resolution_at=now - timedelta(hours=1),
                resolve_by=now - timedelta(hours=1),
            )
        ops.complaint_file(
            actor=customer, subject=f"投诉 {i}", body="处理太慢", ticket_id=ticket.pk
        )
        waiting = new_ticket(project, customer, title=f"尚未受理 {i}")
        Ticket.objects.filter(pk=waiting.pk).update(accept_by=now - timedelta(hours=1))
        closed = new_ticket(project, customer, title=f"系统宕机 {i}")  # retrospective due
        services.ticket_accept(
            ticket_id=closed.pk,
            actor=engineer,
            severity="SIS1",
            committed_resolution_at=timezone.now() + timedelta(hours=4),
        )
        services.ticket_request_close(ticket_id=closed.pk, actor=engineer, solution="重启服务")
        services.ticket_close(ticket_id=closed.pk, actor=customer, rating=2, workload_hours=1)
        article = kb.article_create(
            actor=people["expert3"],
            product_id=project.product_id,
            fields={
                "title": f"成绩录入报错的处理 {i}",
                "symptoms": "保存报错",
                "solution": "清缓存",
                "tags": "成绩,录入",
            },
        )
        kb.article_set_status(article_id=article.pk, actor=people["expert3"], status="published")
        announcements.announcement_publish(
            actor=people["expert3"],
            category="notice",
            title=f"维护通知 {i}",
            body="今晚维护",
            products=[project.product],
        )
        inbound.mail_receive(raw=mails.plain(sender=f"stranger{i}@gmail.example"))
    # the registrations' webhooks go to a refused address: failed for good, on their list
    for pk in Delivery.objects.filter(channel="webhook", status="pending").values_list("pk"):
        notify.deliver(pk[0])


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return len(queries)


@pytest.fixture
def grown(people, project, settings):
    settings.URGE_INTERVAL_MINUTES = 0
    WebhookSubscription.objects.create(
        name="元数据",
        project=project,
        secret="s",
        url="http://169.254.169.254/latest/",
        events=["register"],
    )
    _grow(people, project, 3, 0)  # three of a kind: the frequent-problem group is there
    return lambda: _grow(people, project, 9, 3)


def test_pages_do_not_query_per_row(people, grown):
    clients = {who: web_client_for(people[who]) for who, _, _ in PAGES}
    few = {(who, path): _count(clients[who], path) for who, path, _ in PAGES}
    grown()
    for who, path, ceiling in PAGES:
        many = _count(clients[who], path)
        assert many <= few[(who, path)], f"{who} {path}: {few[(who, path)]} → {many} queries"
        assert many <= ceiling, f"{who} {path}: {many} queries (at most {ceiling})"


def test_api_lists_do_not_query_per_row(people, grown):
    clients = {who: api_client_for(people[who]) for who, _, _ in API}
    few = {(who, path): _count(clients[who], path) for who, path, _ in API}
    grown()
    for who, path, ceiling in API:
        many = _count(clients[who], path)
        assert many <= few[(who, path)], f"{who} {path}: {few[(who, path)]} → {many} queries"
        assert many <= ceiling, f"{who} {path}: {many} queries (at most {ceiling})"


def _rows(client, name: str) -> int:
    answer = client.get(f"/api/v1/ops/watch/?list={name}")
    assert answer.status_code == 200, (name, answer.status_code)
    return int(answer.json()["count"])


def test_every_watch_list_has_rows_when_counted(people, grown):
    """The counts above mean something only if each watch list shows rows, more the second
    time."""
    client = api_client_for(people["ops"])
    few = {name: _rows(client, name) for name in WATCH_LISTS}
    grown()
    for name in WATCH_LISTS:
        assert 0 < few[name] < _rows(client, name), name
