"""Demo routine work of 研究生管理系统 (新疆师范大学), through the real services at past times:

1. an emergency plan, 数据库主机宕机 (RTO 60 min, RPO 15 min), and a second one,
   证书过期, never exercised (flagged on the watch list);
2. a monthly inspection from the shipped Java web template, assigned to ``engineer``, with
   two past runs (the first all passed, the second found stale backups, whose ticket is
   open) and the latest run created by the scheduler, due already and still to do;
3. a quarterly backup-restore drill exercising the database plan, its last run completed
   (42 minutes to recover, 10 minutes of data lost) and signed by the service manager;
4. the database plan opened on the system's open incident (研究生系统整体无法访问: the
   database server's disk full), its first two steps ticked by the expert handling it.

Running it again changes nothing (the routines are looked up by name).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.routines import services, ticket_plans
from campusdesk.routines.models import EmergencyPlan, Routine, Run, RunItem
from campusdesk.routines.templates_builtin import TEMPLATES
from campusdesk.systems.models import ApplicationSystem
from campusdesk.tickets.models import OPEN_STATUSES, ServiceType, Ticket

SYSTEM = "研究生管理系统"
INSPECTION = "研究生管理系统月度巡检"
DRILL = "研究生管理系统季度备份恢复演练"


def load(people: dict[str, User], systems_by_name: dict[str, ApplicationSystem]) -> None:
    system = systems_by_name.get(SYSTEM)
    if system is None or Routine.objects.filter(name=INSPECTION).exists():
        return
    engineer = people["engineer"]
    now = clock.now()
    today = clock.local(now).date()
    database = _plans(engineer, system, now)
    _inspection(engineer, system, today)
    _drill(people, system, database, today)
    _incident_plan(people, system, database, now)


def _plans(engineer: User, system: ApplicationSystem, now: datetime) -> EmergencyPlan:
    database = services.plan_create(
        actor=engineer,
        system=system,
        data={
            "scenario": "数据库主机宕机",
            "trigger": "数据库端口探针连续 3 次失败，或 DBA 确认主库不可用",
            "steps": [
                "值班工程师确认故障并电话通知学校系统负责人",
                "停止应用对主库的写入，记录最后一个归档日志序号",
                "在备库执行切换（Data Guard switchover / failover）",
                "修改应用数据源指向新主库并重启 Tomcat",
                "验证登录、学籍查询与成绩录入",
                "发布恢复公告，24 小时内提交故障报告",
            ],
            "contacts": "值班工程师（值班电话）；DBA 张工；学校研究生院信息负责人",
            "rto_minutes": 60,
            "rpo_minutes": 15,
            "exercise_days": 120,
        },
        now=now - timedelta(days=200),
    )
    services.plan_create(
        actor=engineer,
        system=system,
        data={
            "scenario": "HTTPS 证书过期",
            "trigger": "TLS 探针报告证书 7 天内到期或已过期",
            "steps": ["向学校申请新证书", "替换证书并重载 nginx", "用 TLS 探针确认新证书生效"],
            "contacts": "值班工程师；学校网络中心",
            "rto_minutes": 30,
            "rpo_minutes": 0,
        },
        now=now - timedelta(days=30),
    )
    return database


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=clock.local(clock.now()).tzinfo)


def _month_start(today: date, months_back: int) -> date:
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _inspection(engineer: User, system: ApplicationSystem, today: date) -> None:
    template = TEMPLATES["java_web_monthly"]
    starts_on = _month_start(today, 2)
    routine = services.routine_create(
        actor=engineer,
        data={
            "name": INSPECTION,
            "kind": template.kind,
            "systems": [system.pk],
            "assignee": engineer.pk,
            "recurrence": template.recurrence,
            "starts_on": starts_on,
            "lead_days": 3,
            "checklist": template.items(),
        },
        now=_midnight(starts_on) - timedelta(days=5),
    )
    runs = services.create_due_runs(now=clock.now())
    past = [run for run in runs if run.routine_id == routine.pk and run.due_on < today]
    # the two before the latest are done (the second found stale backups); the latest, due
    # already, is still to do: it stands on the operations watch list
    for number, run in enumerate(past[-3:-1]):
        _perform(engineer, run, failing=number == 1)


#: (measured value, note) of each check of the Java web template, in order
MEASURED = [
    ("/ 41%，/data 68%", ""),
    ("62%", ""),
    ("1.3", ""),
    ("", "无新增 ERROR"),
    ("剩余 143 天", ""),
    ("最近一次 02:00 完成", ""),
    ("最慢 2.1 s", ""),
    ("", "管理员账号 3 个，均在册"),
    ("", "操作系统与中间件补丁均为最新"),
]


def _perform(engineer: User, run: Run, *, failing: bool) -> None:
    at = _midnight(run.due_on) + timedelta(hours=10)
    for item in run.items.order_by("position"):
        value, note = MEASURED[item.position % len(MEASURED)]
        result: Any = RunItem.Result.PASS
        if failing and item.text.startswith(("Backup", "备份")):
            result, value = RunItem.Result.FAIL, "最近一次成功备份在 3 天前"
            note = "备份任务因归档目录空间不足失败，已连续 3 天未成功"
        services.run_item_record(
            actor=engineer,
            run=run,
            position=item.position,
            result=result,
            note=note,
            value=value or "—",
            now=at,
        )
    summary = "备份失败已登记问题跟踪，其余各项正常。" if failing else "各项检查正常。"
    services.run_complete(actor=engineer, run=run, summary=summary, now=at + timedelta(hours=1))


def _drill(
    people: dict[str, User], system: ApplicationSystem, plan: EmergencyPlan, today: date
) -> None:
    engineer = people["engineer"]
    template = TEMPLATES["backup_restore_quarterly"]
    routine = services.routine_create(
        actor=engineer,
        data={
            "name": DRILL,
            "kind": template.kind,
            "systems": [system.pk],
            "assignee": engineer.pk,
            "recurrence": "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
            "starts_on": _month_start(today, 2).replace(day=15) - timedelta(days=31),
            "lead_days": 7,
            "checklist": template.items(),
            "plan": plan.pk,
        },
        now=_midnight(today) - timedelta(days=120),
    )
    run = services.create_due_runs(now=clock.now())
    done = [r for r in run if r.routine_id == routine.pk and r.due_on < today]
    if not done:
        return
    last = done[-1]
    at = _midnight(last.due_on) + timedelta(hours=20)
    values = ["sha256 一致", "用时 38 分钟", "", "最新记录 01:50（备份时点 02:00 前 10 分钟）"]
    for item in last.items.order_by("position"):
        services.run_item_record(
            actor=engineer,
            run=last,
            position=item.position,
            result=RunItem.Result.PASS,
            value=values[item.position % len(values)] or "—",
            now=at,
        )
    services.run_complete(
        actor=engineer,
        run=last,
        summary="恢复演练达到预案目标。",
        recovery_minutes=42,
        data_loss_minutes=10,
        now=at + timedelta(hours=1),
    )
    manager = system.project.service_manager or people["manager"]
    services.run_sign(actor=manager, run=last, now=at + timedelta(days=1))


def _incident_plan(
    people: dict[str, User], system: ApplicationSystem, plan: EmergencyPlan, now: datetime
) -> None:
    """The database plan opened on the system's open incident, its first steps ticked, in
    the last hour (after the incident's last event, so its timeline stays in order)."""
    incident = (
        Ticket.objects.filter(
            service_type=ServiceType.INCIDENT,
            system_link__system=system,
            status__in=OPEN_STATUSES,
        )
        .select_related("project")
        .order_by("created_at", "pk")
        .first()
    )
    if incident is None:
        return
    expert = people.get("expert2") or people["engineer"]
    with translation.override("zh-hans"):  # the timeline's record is stored text
        opened = ticket_plans.plan_open(
            actor=expert, ticket=incident, plan_id=plan.pk, now=now - timedelta(minutes=45)
        )
    for n, minutes in enumerate((40, 25)):
        ticket_plans.step_toggle(
            actor=expert,
            ticket_plan=opened,
            n=n,
            done=True,
            now=now - timedelta(minutes=minutes),
        )
