"""The demo's routine work and duty roster, as `make run` shows them: a monthly inspection
of 研究生管理系统 with two past runs (one failure and its problem) and the latest run past
due, a backup-restore drill that exercised the database plan, a plan never exercised, and a
roster with no uncovered minute in the next 30 days."""

from __future__ import annotations

from campusdesk.catalog.models import Project
from campusdesk.duty import services as duty
from campusdesk.routines import services
from campusdesk.routines.models import EmergencyPlan, Routine, Run, RunItem
from campusdesk.site import demo


def test_the_demo_shows_routine_work_and_a_covered_roster(db):
    demo.load()
    demo.load()  # again: nothing doubles
    inspection = Routine.objects.get(name="研究生管理系统月度巡检")
    assert Routine.objects.count() == 2 and len(inspection.checklist) == 9
    done = list(inspection.runs.filter(status="completed").order_by("due_on"))
    assert len(done) == 2
    failed = RunItem.objects.get(run=done[1], result="fail")
    assert failed.ticket is not None and failed.text == "备份新鲜度"
    assert not RunItem.objects.filter(run=done[0], result="fail").exists()
    ops = inspection.project.line1_team.first() or inspection.assignee
    assert inspection.runs.filter(status="open").exists()
    assert list(services.late_runs(ops)) == list(inspection.runs.filter(status="open"))
    drill = Run.objects.get(routine__name="研究生管理系统季度备份恢复演练", status="completed")
    assert (drill.recovery_minutes, drill.data_loss_minutes) == (42, 10)
    assert drill.manager_signed_at is not None
    database = EmergencyPlan.objects.get(scenario="数据库主机宕机")
    assert database.last_run == drill and not services.plan_overdue(database)
    assert services.plan_overdue(EmergencyPlan.objects.get(scenario="HTTPS 证书过期"))
    for project in Project.objects.all():
        assert duty.roster_check(project) == [], project
        assert duty.on_duty(project.pk) is not None or duty.calendars.in_business_hours_of(
            project, duty.clock.now()
        )
