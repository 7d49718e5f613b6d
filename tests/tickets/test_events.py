"""tickets publishes its events and the apps above subscribe (issue 17): the registries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.kb.models import Retrospective
from campusdesk.notify.models import Delivery, Notification
from campusdesk.tickets import events, panels, workflow
from campusdesk.tickets.models import Ticket, TicketEvent
from campusdesk.tickets.workflow import Action


@pytest.fixture
def heard() -> Any:
    """A subscriber in each phase, removed afterwards."""
    got: dict[str, list[list[str]]] = {"transaction": [], "commit": []}

    def in_transaction(batch: list[TicketEvent]) -> None:
        got["transaction"].append([e.action for e in batch])

    def after_commit(batch: list[TicketEvent]) -> None:
        got["commit"].append([e.action for e in batch])

    events.subscribe(in_transaction, phase="transaction")
    events.subscribe(after_commit, phase="commit")
    yield got
    events._SUBSCRIBERS["transaction"].remove(in_transaction)
    events._SUBSCRIBERS["commit"].remove(after_commit)


def _record(ticket: Ticket, user: User) -> TicketEvent:
    return workflow.record(
        ticket=ticket,
        action=Action.RECORD,
        actor=user,
        channel="web",
        now=timezone.now(),
        data={"body": "补充说明"},
    )


def test_the_commit_phase_waits_for_the_commit(
    ticket: Ticket, customer: User, heard: Any, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        _record(ticket, customer)
        assert heard == {"transaction": [["record"]], "commit": []}
    assert heard == {"transaction": [["record"]], "commit": [["record"]]}


def test_a_rolled_back_event_leaves_no_notification_and_runs_no_commit_subscriber(
    ticket: Ticket, customer: User, heard: Any, django_capture_on_commit_callbacks: Any
):
    before = Notification.objects.count(), Delivery.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _record(ticket, customer)
        assert (Notification.objects.count(), Delivery.objects.count()) != before
        raise RuntimeError
    assert (Notification.objects.count(), Delivery.objects.count()) == before
    assert callbacks == [] and heard["commit"] == []


def test_the_sweepers_batch_is_published_once(ticket: Ticket, heard: Any):
    now = timezone.now()
    batch = [
        workflow.new_event(
            ticket=ticket,
            action=Action.SLA_WARNING,
            actor=None,
            channel="system",
            now=now,
            data={"kind": kind},
        )
        for kind in ("accept", "respond")
    ]
    workflow.record_many(batch)
    assert heard["transaction"] == [["sla_warning", "sla_warning"]]


def test_kb_opens_the_retrospective_as_a_subscriber_to_the_close_event(
    ticket: Ticket, customer: User
):
    event = workflow.new_event(
        ticket=ticket, action=Action.CLOSE, actor=customer, channel="web", now=timezone.now()
    )
    event.save()
    assert not Retrospective.objects.filter(ticket=ticket).exists()
    events.publish([event])
    assert Retrospective.objects.filter(ticket=ticket).exists()


def test_the_apps_above_add_their_panels_to_the_ticket_page():
    order = [panel.name for panel in sorted(panels._PANELS.values(), key=lambda p: p.order)]
    assert order == [
        "actions",
        "deadlines",
        "commitments",
        "corrective_actions",
        "attachments",
        "case_library",
        "retrospective",
        "emergency_plans",
        "incident_report",
        "messages_read",
    ]
    assert panels._PANELS["deadlines"].template.startswith("sla/")
    assert panels._PANELS["case_library"].template.startswith("kb/")
