"""Closures that stall, across the 2025 National Day holiday (1–8 October off, Saturday
11 October a make-up working day): the reporter is reminded after 2 and after 5 working days
of waiting, operations hear after 7, each once whatever the number of sweeps; a rejected
closure and a new request start the count again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from campusdesk.core.errors import PermissionDenied
from campusdesk.notify.models import Kind, Notification
from campusdesk.ops import closures
from campusdesk.ops.models import ClosureReminder
from campusdesk.tickets import services, workflow
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

BEIJING = timezone.get_fixed_timezone(8 * 60)


def _at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


def _waiting(project, people):
    """Accepted and its closure requested on Tuesday 30 September 2025, 10:00."""
    with time_machine.travel(_at("2025-09-30", 9), tick=False):
        ticket = new_ticket(project, people["user"])
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people["engineer"],
            severity="SIS3",
            committed_resolution_at=timezone.now() + timedelta(days=20),
        )
    with time_machine.travel(_at("2025-09-30", 10), tick=False):
        services.ticket_request_close(
            ticket_id=ticket.pk, actor=people["engineer"], solution="已修复"
        )
    return ticket


def _sweep(day: str, hour: int) -> int:
    with time_machine.travel(_at(day, hour), tick=False):
        return closures.sweep()


def _titles(person) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=person, kind=Kind.CLOSURE_REQUESTED, title__contains="工作日"
        )
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_reminders_at_2_5_and_7_working_days_across_the_holiday(project, people):
    ticket = _waiting(project, people)
    user, ops = people["user"], people["ops"]
    assert _sweep("2025-10-08", 20) == 0  # eight days on, all of them off: nothing yet
    assert _sweep("2025-10-10", 18) == 1  # 9 and 10 October worked: the first reminder
    assert _titles(user) == [f"问题 {ticket.number} 已等待您确认关闭 2 个工作日"]
    assert _sweep("2025-10-10", 19) == 0  # the next sweep (or another worker): nothing more
    assert _sweep("2025-10-13", 9) == 0  # 11 (make-up Saturday) and 13 October: only 4
    assert _sweep("2025-10-14", 18) == 1
    assert len(_titles(user)) == 2 and "5 个工作日" in _titles(user)[1]
    assert _titles(ops) == []
    assert _sweep("2025-10-16", 18) == 1  # operations: the seventh working day
    assert len(_titles(ops)) == 1 and "7 个工作日" in _titles(ops)[0]
    assert _sweep("2025-10-20", 18) == 0
    assert ClosureReminder.objects.filter(ticket=ticket).count() == 3


def test_a_sweep_that_was_down_sends_only_the_latest_reminder(project, people):
    _waiting(project, people)
    assert _sweep("2025-10-15", 18) == 1  # 6 working days: the 5-day reminder alone
    assert len(_titles(people["user"])) == 1 and "5 个工作日" in _titles(people["user"])[0]
    assert _sweep("2025-10-15", 19) == 0  # the 2-day one is not sent late


def test_a_rejected_closure_and_a_new_request_count_again(project, people):
    ticket = _waiting(project, people)
    assert _sweep("2025-10-10", 18) == 1
    with time_machine.travel(_at("2025-10-13", 10), tick=False):
        services.ticket_reject_close(ticket_id=ticket.pk, actor=people["user"], reason="仍报错")
        services.ticket_request_close(
            ticket_id=ticket.pk, actor=people["engineer"], solution="再次修复"
        )
    assert _sweep("2025-10-14", 18) == 0  # one working day since the new request
    assert _sweep("2025-10-15", 18) == 1  # two: reminded again
    assert len(_titles(people["user"])) == 2


def test_a_closed_ticket_is_never_reminded(project, people):
    ticket = _waiting(project, people)
    with time_machine.travel(_at("2025-10-09", 9), tick=False):
        services.ticket_close(ticket_id=ticket.pk, actor=people["user"], rating=5, workload_hours=1)
    assert _sweep("2025-10-20", 18) == 0 and _titles(people["user"]) == []


def test_a_contract_may_close_by_itself_and_says_so(project, people):
    project.auto_close_days = 10
    project.save(update_fields=["auto_close_days"])
    ticket = _waiting(project, people)
    _sweep("2025-10-20", 9)  # 9 working days (9–11, 13–17 October, the 20th's morning not yet)
    ticket.refresh_from_db()
    assert ticket.status == "pending_close"
    _sweep("2025-10-21", 18)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.rating is None and ticket.closed_at is not None
    event = ticket.events.order_by("-pk").first()
    assert event.action == "auto_close" and event.actor.username == "closures"
    page = web_client_for(people["user"]).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "自动关闭" in page and "10 个工作日" in page
    assert closures.auto_close(ticket.pk, 10, timezone.now()) is False  # once


def test_without_the_contract_s_rule_nobody_closes_but_the_customer(project, people):
    ticket = _waiting(project, people)
    _sweep("2025-11-28", 18)
    ticket.refresh_from_db()
    assert ticket.status == "pending_close"
    with pytest.raises(PermissionDenied):
        workflow.check(people["ops"], ticket, workflow.Action.AUTO_CLOSE)
    assert workflow.Action.AUTO_CLOSE not in workflow.allowed_actions(people["user"], ticket)


def test_a_ticket_past_every_stage_is_no_longer_read(
    project, people, django_assert_max_num_queries
):
    _waiting(project, people)
    _sweep("2025-10-16", 18)  # all three stages sent
    later = time_machine.travel(_at("2025-11-20", 18), tick=False)
    with later, django_assert_max_num_queries(1):  # the one query, which finds nothing to do
        assert closures.sweep() == 0


def test_a_reminder_e_mail_names_the_contract_for_its_footer_and_reaches_no_robot(project, people):
    """The reminder's e-mail carries the project (the footer names its engineer on duty);
    the reminder is the customer's, so the vendor group's robots hear nothing of it."""
    from campusdesk.notify.models import Delivery, RobotChannel

    RobotChannel.objects.create(
        name="项目群",
        platform="wecom",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        project=project,
        internal=True,
        is_active=True,
    )
    ticket = _waiting(project, people)
    before = set(Delivery.objects.values_list("pk", flat=True))
    assert _sweep("2025-10-10", 18) == 1
    new = Delivery.objects.exclude(pk__in=before)
    mails = [d for d in new if d.channel == "email" and d.recipient_id == people["user"].pk]
    assert len(mails) == 1 and mails[0].payload["project"] == ticket.project_id
    assert not [d for d in new if d.robot_id is not None]
