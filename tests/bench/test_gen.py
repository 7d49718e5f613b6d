"""``python -m bench.gen``: counts, determinism, timelines that agree with the tickets' columns,
service-level columns as ``sla`` computes them, and generated tickets that render."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

import bench.gen.load as gen
from bench.gen import stories
from bench.gen.clocks import WorkIndex
from bench.gen.command import Command
from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.kb import search
from campusdesk.kb.models import Article, Retrospective, Term
from campusdesk.kb.services import retrospective_due
from campusdesk.sla import deadlines
from campusdesk.sla import services as sla
from campusdesk.sla.models import Calendar, SlaFiring
from campusdesk.sla.worktime import add_working_time, working_time_between
from campusdesk.tickets import services
from campusdesk.tickets.models import Commitment, Status, Ticket, TicketCounter, TicketEvent
from campusdesk.tickets.workflow import TRANSITIONS, Action
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

END = datetime(2026, 11, 1, tzinfo=UTC)
N = 400


def _load(seed: int = 7, tickets: int = N) -> gen.Report:
    options = gen.Options(tickets=tickets, orgs=12, seed=seed, years=1, end=END)
    return gen.generate(options)


@pytest.fixture
def loaded(db: None) -> gen.Report:
    return _load()


def _snapshot() -> list[tuple[Any, ...]]:
    tickets = list(
        Ticket.objects.order_by("id").values_list(
            "number",
            "title",
            "status",
            "tier",
            "severity",
            "created_at",
            "closed_at",
            "resolve_by",
            "next_deadline_at",
            "reporter__username",
            "project__name",
        )
    )
    events = list(
        TicketEvent.objects.order_by("id").values_list("ticket__number", "action", "at", "data")
    )
    return [*tickets, *events, Term.objects.count()]


def test_counts_and_every_role(loaded: gen.Report):
    assert Ticket.objects.count() == N
    assert loaded.counts["tickets.Ticket"] == N
    assert TicketEvent.objects.count() == loaded.counts["tickets.TicketEvent"] > 4 * N
    assert Organisation.objects.filter(kind="customer").count() == 12
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Article.objects.count() == 20
    assert Term.objects.count() > 20 * 10
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert set(statuses) == {"new", "in_progress", "pending_close", "closed", "withdrawn"}
    assert Retrospective.objects.count() == statuses["closed"]


def test_numbers_follow_the_yearly_scheme_and_counters(loaded: gen.Report):
    numbers = list(Ticket.objects.order_by("created_at", "id").values_list("number", flat=True))
    assert len(set(numbers)) == N
    per_year: Counter[str] = Counter()
    for number in numbers:
        year, serial = number.split("-")
        per_year[year] += 1
        assert int(serial) == per_year[year] and len(serial) >= 5
    assert {str(c.year): c.last for c in TicketCounter.objects.all()} == dict(per_year)


class Rollback(Exception):
    pass


def _restart_sequences() -> None:
    """PostgreSQL's sequences do not roll back: set them to follow the rows there are, so
    that a second run gets the same ids (SQLite's counters roll back with the rows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)


def _generated(seed: int) -> list[tuple[Any, ...]]:
    """What ``seed`` generates, rolled back afterwards so the next run starts afresh."""
    snapshot: list[tuple[Any, ...]] = []
    with pytest.raises(Rollback), transaction.atomic():
        _restart_sequences()
        _load(seed=seed, tickets=150)
        snapshot = _snapshot()
        raise Rollback
    return snapshot


def test_same_seed_same_data_other_seed_other_data(db: None):
    first = _generated(11)
    assert len(first) > 150
    assert _generated(11) == first
    assert _generated(12) != first


def test_timelines_agree_with_statuses(loaded: gen.Report):
    by_ticket: dict[int, list[TicketEvent]] = {}
    for event in TicketEvent.objects.order_by("at", "id"):
        by_ticket.setdefault(event.ticket_id, []).append(event)
    for ticket in Ticket.objects.all():
        events = by_ticket[ticket.pk]
        assert events[0].action == "register" and events[0].at == ticket.created_at
        people = [e for e in events if e.actor_id is not None]
        assert people[-1].status_after == ticket.status
        for before, after in zip(people, people[1:], strict=False):
            assert after.status_before == before.status_after
        actions = Counter(e.action for e in events)
        assert actions["close"] == (ticket.status == "closed")
        assert actions["withdraw"] == (ticket.status == "withdrawn")
        assert actions["reject_close"] == ticket.rejection_count
        assert actions["urge"] == ticket.urge_count
        assert actions["escalate"] == ticket.tier - 1
        assert actions["accept"] == Commitment.objects.filter(ticket=ticket, reason="").count()
        if ticket.status == "closed":
            close = events[-1] if events[-1].action == "close" else None
            close = close or next(e for e in events if e.action == "close")
            assert close.data["rating"] == ticket.rating and close.at == ticket.closed_at
        if ticket.status in ("in_progress", "pending_close"):
            assert ticket.accepted_at is not None and ticket.severity
        assert all(e.at <= END for e in events)


def test_service_level_columns_as_sla_computes_them(loaded: gen.Report):
    """Deadlines are ``deadlines.for_ticket``; what was due at the end has fired; the next
    check is ``next_check``'s; so the sweeper at the end finds nothing to do."""
    for ticket in Ticket.objects.select_related("project__calendar"):
        ctx = sla.load(ticket)
        expected = deadlines.for_ticket(ticket, ctx.policy, ctx.calendar).as_dict()
        assert {k: getattr(ticket, k) for k in expected} == expected, ticket.number
        if ticket.is_open:
            assert ticket.next_deadline_at == sla.next_check(ticket, ctx), ticket.number
            assert ticket.next_deadline_at is None or ticket.next_deadline_at > END
    assert sla.sweep(now=END) == 0
    firings = SlaFiring.objects.count()
    assert firings == TicketEvent.objects.filter(action__in=["sla_warning", "sla_breached"]).count()
    assert firings > 0


def test_work_index_matches_worktime(db: None):
    calendar = Calendar.objects.get(is_default=True).work_calendar()
    index = WorkIndex(calendar, date(2024, 1, 1), date(2027, 6, 1))
    rng = random.Random(3)  # noqa: S311
    base = int(datetime(2024, 1, 10, tzinfo=UTC).timestamp())
    for _n in range(400):
        start = base + rng.randrange(0, 900 * 86400)
        start -= start % rng.choice((1, 60, 3600))  # sometimes right on an opening
        span = rng.choice((0, 1, 8 * 3600, 3 * 8 * 3600, rng.randrange(1, 40 * 3600)))
        moment = datetime.fromtimestamp(start, UTC)
        expected = add_working_time(moment, timedelta(seconds=span), calendar)
        assert index.add(start, span) == int(expected.timestamp())
        other = start + rng.randrange(0, 20 * 86400)
        between = working_time_between(moment, datetime.fromtimestamp(other, UTC), calendar)
        assert index.between(start, other) == between.total_seconds()


def test_generated_pages_render_and_accept_more_work(loaded: gen.Report):
    busiest = (
        Ticket.objects.annotate(n=Count("events")).filter(status="closed").order_by("-n").first()
    )
    assert busiest is not None
    ops = User.objects.filter(role=Role.OPS).first()
    assert ops is not None
    client = web_client_for(ops)
    page = client.get(f"/tickets/{busiest.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert busiest.number in html and busiest.title in html
    assert html.count('class="ev ev-') == busiest.events.count()
    assert client.get("/queue/in_progress/").status_code == 200
    reporter = busiest.reporter
    assert web_client_for(reporter).get(f"/tickets/{busiest.pk}/").status_code == 200
    # the counters continue the generated numbers
    project = Project.objects.filter(organisation=reporter.organisation).first()
    assert project is not None
    ticket = services.ticket_register(
        actor=reporter,
        project_id=project.pk,
        product_id=None,
        title="新问题",
        description="生成数据之后登记的问题。",
        urgency="low",
        service_type="consultation",
        channel="web",
        now=END + timedelta(hours=1),
    )
    last = TicketCounter.objects.get(year=2026).last
    assert ticket.number == f"2026-{last:05d}"
    assert last > 100
    assert Ticket.objects.filter(number=ticket.number).count() == 1


def test_case_library_is_searchable(loaded: gen.Report):
    article = Article.objects.filter(status="published", visibility="public").first()
    assert article is not None
    staff = User.objects.filter(role=Role.EXPERT2).first()
    assert staff is not None
    found = [a.pk for a, _score in search.search(article.title, user=staff)]
    assert article.pk in found[:5]


def test_refuses_a_database_with_problems(loaded: gen.Report, settings: Any):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="fresh database"):
        call_command(Command(), tickets=5, orgs=2)


def test_command_refuses_without_debug(db: None, settings: Any):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command(Command(), tickets=5, orgs=2)
    assert not Ticket.objects.exists()


def test_every_step_is_one_the_transition_table_allows(loaded: gen.Report):
    """Statuses come from ``workflow.TRANSITIONS``, not from a copy of the rules."""
    steps = TicketEvent.objects.exclude(action="register").filter(actor__isnull=False)
    seen = set()
    for before, action, after in steps.values_list("status_before", "action", "status_after"):
        assert TRANSITIONS[(Status(before), Action(action))] == after, (before, action)
        seen.add(action)
    assert {"accept", "escalate", "request_close", "reject_close", "close", "withdraw"} <= seen


def test_a_plan_the_table_refuses_is_not_generated(db: None):
    """Withdrawing an accepted problem is refused by the rule's condition; closing a new one
    by the table: the generator stops instead of writing a timeline the product could not."""
    t = stories.Ticket(
        id=1,
        project=None,
        number="2026-00001",
        title="",
        description="",
        environment="",
        urgency="low",
        service_type="bug",
        channel="web",
        reporter=1,
        created_by=1,
        created=0,
        module="",
    )
    assert stories.Storyteller._allowed(t, "accept") == "in_progress"
    with pytest.raises(stories.PlanError, match="close is not allowed from new"):
        stories.Storyteller._allowed(t, "close")
    t.accepted = 1
    with pytest.raises(stories.PlanError, match="withdraw"):
        stories.Storyteller._allowed(t, "withdraw")


def test_numbers_and_retrospectives_as_the_services_write_them(loaded: gen.Report):
    """The yearly number is ``TicketCounter.number``'s; a retrospective is due exactly when
    ``kb.services.retrospective_due`` says so, with its reason."""
    for ticket in Ticket.objects.all():
        year, serial = ticket.number.split("-")
        assert ticket.number == TicketCounter.number(int(year), int(serial))
    retros = Retrospective.objects.select_related("ticket")
    assert retros.filter(status="offered").exists() and retros.exclude(status="offered").exists()
    for retro in retros:
        due, reason = retrospective_due(retro.ticket.severity, retro.ticket.rating)
        assert (retro.status != "offered", retro.reason) == (due, reason), retro.ticket.number


def _payload_shapes() -> dict[str, set[frozenset[str]]]:
    """Each action's event payloads (their keys) as the generator writes them, rolled back."""
    shapes: dict[str, set[frozenset[str]]] = {}
    with pytest.raises(Rollback), transaction.atomic():
        _load(tickets=300)
        for action, data in TicketEvent.objects.values_list("action", "data"):
            shapes.setdefault(action, set()).add(frozenset(data))
        raise Rollback
    return shapes


def test_payloads_are_those_the_services_write(db: None, request: pytest.FixtureRequest):
    """The timeline rows a generated ticket carries read like those the services record:
    for each action, the services' payload is one the generator writes."""
    generated = _payload_shapes()
    people = request.getfixturevalue("people")
    project = request.getfixturevalue("project")
    customer, engineer = people["user"], people["engineer"]
    soon = timezone.now() + timedelta(hours=8)
    t = new_ticket(project, customer).pk
    services.ticket_accept(
        ticket_id=t, actor=engineer, severity="SIS2", committed_resolution_at=soon
    )
    services.ticket_add_record(ticket_id=t, actor=engineer, body="查看日志。")
    services.ticket_change_commitment(
        ticket_id=t, actor=engineer, committed_resolution_at=soon, reason="需厂商配合。"
    )
    services.ticket_urge(ticket_id=t, actor=customer, message="请尽快处理。")
    services.ticket_ask_info(ticket_id=t, actor=engineer, question="请提供截图。")
    services.ticket_answer_info(ticket_id=t, actor=customer, answer="已上传。")
    services.ticket_request_close(ticket_id=t, actor=engineer, solution="已修复。")
    services.ticket_reject_close(ticket_id=t, actor=customer, reason="仍然报错。")
    services.ticket_request_close(ticket_id=t, actor=engineer, solution="已修复。")
    services.ticket_close(ticket_id=t, actor=customer, rating=5, workload_hours="2.00")
    services.ticket_withdraw(ticket_id=new_ticket(project, customer).pk, actor=customer)
    services.ticket_escalate(
        ticket_id=new_ticket(project, customer).pk, actor=engineer, reason="需二线支持。"
    )
    written = {
        (action, frozenset(data))
        for action, data in TicketEvent.objects.filter(actor__isnull=False).values_list(
            "action", "data"
        )
    }
    assert len({action for action, _keys in written}) == 12
    for action, keys in written:
        assert keys in generated.get(action, set()), (action, sorted(keys))


def test_commitment_beyond_target_as_the_timeline_says(loaded: gen.Report):
    """``commitment_exceeds_target`` is the last acceptance's or change's flag, cleared by an
    escalation, as the services set it; the operations list of such problems is not empty."""
    last: dict[int, bool] = {}
    moves = TicketEvent.objects.filter(action__in=["accept", "change_commitment", "escalate"])
    for ticket_id, action, data in moves.order_by("at", "id").values_list(
        "ticket_id", "action", "data"
    ):
        last[ticket_id] = action != "escalate" and data["exceeds_target"]
    for ticket_id, flag in Ticket.objects.values_list("id", "commitment_exceeds_target"):
        assert flag == last.get(ticket_id, False), ticket_id
    assert any(last.values()) and not all(last.values())
