"""Routines and their runs: due days from the RRULE on working days, each run created once
(also by two workers at the same moment), checks recorded, a failure's one ticket,
completion, drills against their plan, and sign-off."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.notify.models import Notification
from campusdesk.routines import services
from campusdesk.routines.models import EmergencyPlan, Run, RunItem
from campusdesk.systems.models import TicketSystem
from campusdesk.tickets.models import Ticket
from tests.routines.conftest import T0, monthly

BEIJING = timezone.get_fixed_timezone(8 * 60)


def at(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), BEIJING) + timedelta(
        hours=hour
    )


def test_the_first_due_day_moves_from_new_year_to_the_adjusted_working_sunday(people, system):
    """1 January 2026 is a holiday (1–3 January off); Sunday 4 January is a 调休 working day."""
    routine = monthly(people["engineer"], system)
    assert routine.next_due_on == date(2026, 1, 4)
    # created three days before its due day, at midnight in Beijing
    assert routine.next_create_at == at("2026-01-01")


def test_without_working_days_the_rule_s_own_day_stands(people, system):
    routine = monthly(people["engineer"], system, working_days=False)
    assert routine.next_due_on == date(2026, 1, 1)


def test_each_due_day_gets_one_run_and_the_assignee_hears_once(people, system):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    assert services.create_due_runs(now=at("2025-12-31", 23)) == []
    with time_machine.travel(at("2026-01-01", 0), tick=False):
        runs = services.create_due_runs()
        assert services.create_due_runs() == []  # again: nothing new
    assert [run.due_on for run in runs] == [date(2026, 1, 4)]
    run = runs[0]
    assert [i.text for i in run.items.order_by("position")] == [
        "磁盘使用率",
        "错误日志",
        "备份新鲜度",
    ]
    assert Notification.objects.filter(recipient=engineer, kind="routine").count() == 1
    routine.refresh_from_db()
    # 1 February 2026 is a Sunday: the next working day
    assert routine.next_due_on == date(2026, 2, 2)
    with time_machine.travel(at("2026-01-30", 0), tick=False):
        assert [r.due_on for r in services.create_due_runs()] == [date(2026, 2, 2)]
    assert Run.objects.filter(routine=routine, scheduled=True).count() == 2


def test_a_scheduler_that_was_down_creates_the_missed_runs_once_each(people, system):
    routine = monthly(people["engineer"], system)
    with time_machine.travel(at("2026-03-05"), tick=False):
        runs = services.create_due_runs()
    assert [r.due_on for r in runs] == [date(2026, 1, 4), date(2026, 2, 2), date(2026, 3, 2)]
    routine.refresh_from_db()
    assert routine.next_due_on == date(2026, 4, 1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_create_one_run(people, system):
    monthly(people["engineer"], system)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            services.create_due_runs(now=at("2026-01-01", 1))
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Run.objects.count() == 1
    assert Notification.objects.filter(kind="routine").count() == 1


def test_an_invalid_rule_is_refused_in_chinese(people, system):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        monthly(people["engineer"], system, recurrence="FREQ=HOURLY")
    assert "recurrence" in refused.value.fields
    assert "每天" in str(refused.value.fields["recurrence"][0])
    with pytest.raises(ValidationError):
        monthly(people["engineer"], system, recurrence="EVERY MONDAY")


def test_customers_and_other_projects_staff_cannot_plan(people, system):
    with pytest.raises(PermissionDenied):
        monthly(people["user"], system)


def _run(people, system) -> Run:
    routine = monthly(people["engineer"], system)
    return services.run_create_now(actor=people["engineer"], routine=routine, now=T0)


def test_a_failed_check_opens_one_ticket_for_its_system(people, system):
    run = _run(people, system)
    engineer = people["engineer"]
    item = services.run_item_record(
        actor=engineer, run=run, position=1, result="fail", note="ORA-01555 每小时 20 次", now=T0
    )
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.project_id == system.project_id and ticket.reporter == people["user"]
    assert "ORA-01555" in ticket.description and "错误日志" in ticket.title
    assert TicketSystem.objects.get(ticket=ticket).system_id == system.pk
    # recorded again (a better note): still the one ticket
    again = services.run_item_record(
        actor=engineer, run=run, position=1, result="fail", note="ORA-01555 已定位", now=T0
    )
    assert again.ticket_id == ticket.pk and Ticket.objects.count() == 1


def test_a_failure_may_link_an_existing_ticket_instead(people, system, ticket):
    run = _run(people, system)
    item = services.run_item_record(
        actor=people["engineer"],
        run=run,
        position=1,
        result="fail",
        note="同一问题",
        ticket_id=ticket.pk,
        now=T0,
    )
    assert item.ticket_id == ticket.pk and Ticket.objects.count() == 1


def test_a_failure_needs_a_note_and_evidence_needs_a_value(people, system):
    run = _run(people, system)
    with pytest.raises(ValidationError) as no_note:
        services.run_item_record(actor=people["engineer"], run=run, position=1, result="fail")
    assert "note" in no_note.value.fields
    with pytest.raises(ValidationError) as no_value:
        services.run_item_record(actor=people["engineer"], run=run, position=0, result="pass")
    assert "value" in no_value.value.fields
    assert RunItem.objects.get(run=run, position=0).result == ""  # nothing half-written


def test_completion_waits_for_every_check(people, system):
    run = _run(people, system)
    engineer = people["engineer"]
    services.run_item_record(actor=engineer, run=run, position=0, result="pass", value="62%")
    with pytest.raises(ValidationError) as early:
        services.run_complete(actor=engineer, run=run)
    assert "1, 2" in str(early.value)
    services.run_item_record(actor=engineer, run=run, position=1, result="na")
    services.run_item_record(actor=engineer, run=run, position=2, result="pass", value="3 小时前")
    done = services.run_complete(actor=engineer, run=run, summary="正常")
    assert done.status == "completed" and done.completed_by == engineer
    with pytest.raises(ValidationError):
        services.run_item_record(actor=engineer, run=run, position=0, result="fail", note="晚了")


def _plan(people, system, **fields) -> EmergencyPlan:
    data = {
        "scenario": "数据库主机宕机",
        "trigger": "数据库探针连续失败",
        "steps": ["确认主库不可用", "切换到备库", "验证业务"],
        "contacts": "张工 13800000000",
        "rto_minutes": 30,
        "rpo_minutes": 5,
        **fields,
    }
    return services.plan_create(actor=people["engineer"], system=system, data=data, now=T0)


def test_a_plan_never_exercised_is_flagged_until_a_drill_exercises_it(people, system):
    plan = _plan(people, system)
    engineer = people["engineer"]
    assert services.plan_overdue(plan, T0)
    assert list(services.unexercised_plans(engineer, T0)) == [plan]
    drill = monthly(
        engineer,
        system,
        kind="backup_drill",
        plan=plan.pk,
        checklist=[{"text": "恢复到测试库", "expected": "成功"}],
    )
    run = services.run_create_now(actor=engineer, routine=drill, now=T0)
    assert run.plan_id == plan.pk
    services.run_item_record(actor=engineer, run=run, position=0, result="pass", now=T0)
    with pytest.raises(ValidationError) as unmeasured:
        services.run_complete(actor=engineer, run=run, now=T0)
    assert "recovery_minutes" in unmeasured.value.fields
    services.run_complete(actor=engineer, run=run, recovery_minutes=25, data_loss_minutes=2, now=T0)
    plan.refresh_from_db()
    assert plan.last_exercised_at == T0 and plan.last_run_id == run.pk
    assert not services.plan_overdue(plan, T0 + timedelta(days=364))
    assert services.plan_overdue(plan, T0 + timedelta(days=366))
    assert list(services.unexercised_plans(engineer, T0 + timedelta(days=30))) == []
    assert list(services.unexercised_plans(engineer, T0 + timedelta(days=366))) == [plan]


def test_the_manager_signs_and_the_customer_confirms_a_completed_report(people, system):
    run = _run(people, system)
    engineer = people["engineer"]
    with pytest.raises(ValidationError):
        services.run_sign(actor=people["manager"], run=run)
    for n, value in ((0, "50%"), (1, ""), (2, "1 小时前")):
        services.run_item_record(actor=engineer, run=run, position=n, result="pass", value=value)
    services.run_complete(actor=engineer, run=run)
    manager = system.project.service_manager
    services.run_sign(actor=manager, run=run, now=T0)
    services.run_sign(actor=people["user"], run=run, now=T0)
    run.refresh_from_db()
    assert run.manager_signed_by == manager and run.customer_confirmed_by == people["user"]
    with pytest.raises(PermissionDenied):
        services.run_sign(actor=people["user2"], run=run)


def test_a_routine_with_a_report_is_deactivated_not_deleted(people, system):
    run = _run(people, system)
    engineer = people["engineer"]
    for n, value in ((0, "50%"), (1, ""), (2, "1 小时前")):
        services.run_item_record(actor=engineer, run=run, position=n, result="pass", value=value)
    services.run_complete(actor=engineer, run=run)
    with pytest.raises(ValidationError):
        services.routine_delete(actor=engineer, routine=run.routine)
    fresh = monthly(engineer, system, name="季度巡检")
    services.routine_delete(actor=engineer, routine=fresh)
    assert not type(fresh).objects.filter(pk=fresh.pk).exists()


def test_an_update_plans_the_next_due_day_again_and_keeps_the_project(
    people, system, other_project
):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    with time_machine.travel(T0, tick=False):
        updated = services.routine_update(
            actor=engineer, routine=routine, data={"recurrence": "FREQ=MONTHLY;BYMONTHDAY=15"}
        )
    assert updated.next_due_on == date(2026, 1, 15)
    with pytest.raises(PermissionDenied):
        services.routine_update(actor=people["user"], routine=routine, data={"name": "x"})
    routine.refresh_from_db()
    assert routine.name == "研究生管理系统月度巡检"


def test_a_plan_is_edited_by_its_project_s_staff_only(people, system):
    plan = _plan(people, system)
    changed = services.plan_update(
        actor=people["engineer"], plan=plan, data={"rto_minutes": 45}, now=T0
    )
    assert changed.rto_minutes == 45 and changed.steps[0] == "确认主库不可用"
    with pytest.raises(PermissionDenied):
        services.plan_update(actor=people["user"], plan=plan, data={"rto_minutes": 1})
    with pytest.raises(ValidationError) as bad:
        services.plan_update(actor=people["engineer"], plan=plan, data={"steps": []})
    assert "steps" in bad.value.fields
