"""The transition table: its shape, who may do what in each status, the append-only timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.core.errors import PermissionDenied, TransitionError
from campusdesk.tickets import workflow
from campusdesk.tickets.models import AppendOnlyError, Status, Ticket, TicketEvent
from campusdesk.tickets.workflow import Action
from tests.factories import UserFactory

A = Action


# recorded by the system or by a service outside the table, never taken as a transition
SYSTEM_EVENTS = {
    A.REGISTER,
    A.SLA_WARNING,
    A.SLA_BREACHED,
    A.DISPATCH_REQUIRED,
    A.CORRECTIVE_DONE,
    A.ALERT_FIRED,
    A.ALERT_RESOLVED,
    # the probes' (campusdesk.monitoring): an outage's end and flaps, a certificate's expiry
    A.PROBE_RECOVERED,
    A.PROBE_FLAPPED,
    A.CERT_WARNING,
}


def test_every_action_but_system_events_has_a_rule_and_a_label():
    assert set(workflow.RULE_OF) == set(Action) - SYSTEM_EVENTS
    assert {action for (_status, action) in workflow.TRANSITIONS} == set(Action) - SYSTEM_EVENTS
    assert all(rule.sources for rule in workflow.RULES)
    assert set(workflow.ACTION_LABELS) == set(Action)


def test_nothing_leads_out_of_closed_or_withdrawn():
    from_closed = {a: t for (s, a), t in workflow.TRANSITIONS.items() if s == Status.CLOSED}
    assert from_closed == {
        A.OUT_OF_SCOPE: Status.CLOSED,
        A.INCIDENT_REPORT: Status.CLOSED,
        A.OPS_RECORD: Status.CLOSED,
    }
    from_withdrawn = {a: t for (s, a), t in workflow.TRANSITIONS.items() if s == Status.WITHDRAWN}
    assert from_withdrawn == {A.OPS_RECORD: Status.WITHDRAWN}


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (A.ACCEPT, {Status.NEW: Status.IN_PROGRESS}),
        (A.ESCALATE, {Status.NEW: Status.NEW, Status.IN_PROGRESS: Status.NEW}),
        (A.REQUEST_CLOSE, {Status.IN_PROGRESS: Status.PENDING_CLOSE}),
        (A.REJECT_CLOSE, {Status.PENDING_CLOSE: Status.IN_PROGRESS}),
        (A.CLOSE, {Status.PENDING_CLOSE: Status.CLOSED}),
        (A.WITHDRAW, {Status.NEW: Status.WITHDRAWN}),
        (
            A.URGE,
            {
                Status.NEW: Status.NEW,
                Status.IN_PROGRESS: Status.IN_PROGRESS,
                Status.PENDING_CLOSE: Status.PENDING_CLOSE,
            },
        ),
    ],
)
def test_the_rows_of_the_status_changing_actions(action: Action, expected: dict[Status, Status]):
    rows = {s: t for (s, a), t in workflow.TRANSITIONS.items() if a == action}
    assert rows == expected


def _at(ticket: Ticket, status: Status) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    return Ticket.objects.select_related("project", "product").get(pk=ticket.pk)


@pytest.mark.parametrize(
    ("status", "login", "expected"),
    [
        (Status.PENDING_CLOSE, "user", [A.RECORD, A.REJECT_CLOSE, A.CLOSE, A.URGE, A.ATTACH]),
        (Status.NEW, "user", [A.RECORD, A.URGE, A.WITHDRAW, A.ATTACH]),
        (Status.IN_PROGRESS, "user", [A.RECORD, A.URGE, A.ATTACH]),
        (Status.CLOSED, "user", []),
        (Status.WITHDRAWN, "user", []),
        (
            Status.NEW,
            "engineer",
            [A.ACCEPT, A.RECORD, A.ESCALATE, A.ASSIGN, A.OUT_OF_SCOPE, A.ATTACH],
        ),
        (
            Status.IN_PROGRESS,
            "engineer",
            [
                A.CHANGE_COMMITMENT,
                A.RECORD,
                A.ESCALATE,
                A.ASSIGN,
                A.REQUEST_CLOSE,
                A.OUT_OF_SCOPE,
                A.ATTACH,
                A.ASK_INFO,
            ],
        ),
        (
            Status.PENDING_CLOSE,
            "engineer",
            [A.CHANGE_COMMITMENT, A.RECORD, A.ASSIGN, A.OUT_OF_SCOPE, A.ATTACH],
        ),
        (Status.CLOSED, "engineer", [A.OUT_OF_SCOPE]),
        (Status.WITHDRAWN, "engineer", []),
        # ops are not a tier's staff: no acceptance, no closure request
        (
            Status.IN_PROGRESS,
            "ops",
            [A.RECORD, A.ESCALATE, A.ASSIGN, A.OUT_OF_SCOPE, A.ATTACH, A.OPS_RECORD],
        ),
        # a line-2 expert on a line-1 ticket: vendor staff, but not its handler
        (Status.NEW, "expert2", [A.RECORD, A.ATTACH]),
        (Status.IN_PROGRESS, "agent", [A.RECORD, A.ATTACH]),
        # the other university's customer may do nothing at all
        (Status.IN_PROGRESS, "user2", []),
        (Status.PENDING_CLOSE, "user2", []),
    ],
)
def test_allowed_actions(
    ticket: Ticket, people: dict[str, User], status: Status, login: str, expected: list[Action]
):
    assert workflow.allowed_actions(people[login], _at(ticket, status)) == expected


def test_a_colleague_of_the_reporter_may_not_withdraw(ticket: Ticket, people: dict[str, User]):
    colleague = UserFactory(role="customer", organisation=people["user"].organisation)
    assert workflow.allowed_actions(colleague, ticket) == [A.RECORD, A.URGE, A.ATTACH]


def test_a_deactivated_user_may_do_nothing(ticket: Ticket, people: dict[str, User]):
    engineer = people["engineer"]
    engineer.is_active = False
    assert workflow.allowed_actions(engineer, ticket) == []


def test_after_escalation_line_1_no_longer_accepts_but_line_2_does(
    accepted: Ticket, people: dict[str, User]
):
    Ticket.objects.filter(pk=accepted.pk).update(tier=2, status=Status.NEW)
    ticket = Ticket.objects.select_related("project", "product").get(pk=accepted.pk)
    assert A.ACCEPT not in workflow.allowed_actions(people["engineer"], ticket)
    assert A.ACCEPT in workflow.allowed_actions(people["expert2"], ticket)
    assert A.ACCEPT not in workflow.allowed_actions(people["expert3"], ticket)


def test_check_refuses_the_role_before_the_status(ticket: Ticket, people: dict[str, User]):
    closed = _at(ticket, Status.CLOSED)
    with pytest.raises(PermissionDenied):  # a customer never accepts, whatever the status
        workflow.check(people["user"], closed, A.ACCEPT)
    with pytest.raises(TransitionError):
        workflow.check(people["engineer"], closed, A.ACCEPT)
    assert workflow.check(people["engineer"], _at(ticket, Status.NEW), A.ACCEPT) == (
        Status.IN_PROGRESS
    )


def test_transition_consults_the_table_again(ticket: Ticket, people: dict[str, User]):
    with pytest.raises(TransitionError):
        workflow.transition(
            ticket=ticket,
            action=A.CLOSE,
            target=Status.CLOSED,
            actor=people["user"],
            channel="web",
            now=timezone.now(),
        )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert not TicketEvent.objects.filter(ticket=ticket, action="close").exists()


def test_events_are_never_changed(ticket: Ticket):
    event = TicketEvent.objects.get(ticket=ticket, action="register")
    event.data = {"title": "篡改后的标题"}
    event.at = event.at + timedelta(days=1)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["data"])
    stored = TicketEvent.objects.get(pk=event.pk)
    assert stored.data["title"] == "成绩录入时系统报错"
    assert stored.at == ticket.created_at


def test_events_are_never_deleted(ticket: Ticket):
    event = TicketEvent.objects.get(ticket=ticket, action="register")
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_a_new_event_is_appended(ticket: Ticket, people: dict[str, User]):
    event = workflow.record(
        ticket=ticket,
        action=A.RECORD,
        actor=people["user"],
        channel="web",
        now=timezone.now(),
        data={"body": "补充说明"},
    )
    assert event.pk is not None
    assert list(ticket.events.values_list("action", flat=True)) == ["register", "record"]


def test_bulk_changes_to_the_timeline_are_refused(accepted):
    from campusdesk.tickets.models import AppendOnlyError, TicketEvent

    with pytest.raises(AppendOnlyError):
        TicketEvent.objects.filter(ticket=accepted).update(action="forged")
    with pytest.raises(AppendOnlyError):
        TicketEvent.objects.filter(ticket=accepted).delete()
    assert list(accepted.events.values_list("action", flat=True)) == ["register", "accept"]


def test_an_escalation_event_belongs_to_the_tier_that_escalated(accepted, people):
    from campusdesk.tickets import services

    services.ticket_escalate(ticket_id=accepted.pk, actor=people["engineer"], reason="需要专家")
    event = accepted.events.get(action="escalate")
    assert (event.tier, event.data["from_tier"], event.data["to_tier"]) == (1, 1, 2)
