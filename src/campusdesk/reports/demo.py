"""Demo history for the reports: last month's problems of 新疆师范大学, handled from end to end,
so that the service report of last month has figures, recurring problems and suggestions;
and this month's problem that every line handled, for the KPI rows per person and team."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.batch import shared_lookups
from campusdesk.kb import services as kb
from campusdesk.reports import periods
from campusdesk.sla import worktime
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket

Spec = tuple[str, str, str, int, int, bool, str]
HOUR = timedelta(hours=1)

#: title, service type, severity, hours to the solution, rating, rejected?, out of scope
HISTORY: list[Spec] = [
    ("成绩录入页面保存缓慢", "fault", "SIS2", 6, 5, False, ""),
    ("成绩录入页面保存报错", "bug", "SIS2", 30, 3, True, ""),
    ("成绩录入后无法提交审核", "bug", "SIS2", 12, 4, False, ""),
    ("如何批量导入导师名单", "consultation", "SIS3", 5, 5, False, ""),
    ("如何设置学位申请时间", "consultation", "SIS3", 4, 5, False, ""),
    ("如何导出在校研究生名单", "consultation", "SIS3", 3, 4, False, ""),
    ("如何修改培养方案课程", "consultation", "SIS3", 6, 5, False, ""),
    ("如何重置导师登录密码", "consultation", "SIS3", 2, 5, False, ""),
    ("服务器更换IP后系统无法访问", "support", "SIS1", 3, 4, False, "network"),
    ("域名变更后单点登录失败", "support", "SIS2", 9, 2, True, "network"),
    ("机房断电后数据库无法启动", "incident", "SIS1", 5, 3, False, "power_loss"),
    ("学位系统升级到新版本", "support", "SIS3", 20, 4, False, "expansion"),
]
#: the time of day each was registered (the hours to the solution are working hours after it)
STARTS = [
    "09:20", "10:05", "14:30", "09:45", "15:10", "10:40",
    "16:05", "11:15", "08:55", "09:30", "08:40", "13:50",
]  # fmt: skip
#: the working days of last month from the first, with the last ten days left for the
#: slower ones to be solved, closed and reviewed before this month begins
SPAN_DAYS = 10


Later = partial[datetime]


def _handle(project: Project, people: dict[str, User], start: datetime, spec: Spec) -> None:
    title, service_type, severity, hours, rating, rejected, change = spec
    user, eng, ex2 = people["user"], people["engineer"], people["expert2"]
    later = partial(_working_hours_after, start)
    ticket = services.ticket_register(
        actor=user,
        project_id=project.pk,
        product_id=project.product_id,
        title=title,
        description=f"{title}，请协助处理。",
        urgency="medium",
        service_type=service_type,
        channel="web" if service_type != "support" else "phone",
        now=start,
    )
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=eng,
        severity=severity,
        committed_resolution_at=start + 24 * HOUR,
        now=later(2 / 3),
    )
    if service_type == "incident":
        _to_line_two(ticket.pk, eng, ex2, start)
    handler = ex2 if service_type == "incident" else eng
    if change:  # found once the handler knows the cause (an incident: after its report)
        services.ticket_mark_out_of_scope(
            ticket_id=ticket.pk,
            actor=handler,
            change_type=change,
            workload_hours="4",
            now=start + (4.5 if service_type == "incident" else 2) * HOUR,
        )
    closed_at = _resolve(ticket.pk, handler, user, later, hours, rating, rejected=rejected)
    if rating <= 3 or severity == "SIS1":
        kb.retrospective_record(
            ticket_id=ticket.pk,
            actor=ex2,
            findings="复盘：原因已查明。",
            root_cause="environment" if change else "product_bug",
            tags=["成绩录入"] if "成绩" in title else ["环境变更"],
            case_needed=False,
            now=_working_hours_after(closed_at, 8),
        )


def _to_line_two(ticket_id: int, eng: User, ex2: User, start: datetime) -> None:
    """An incident: escalated to the engineering expert, who accepts and writes its report."""
    services.ticket_escalate(
        ticket_id=ticket_id, actor=eng, reason="需要工程专家", now=start + 2 * HOUR
    )
    services.ticket_accept(
        ticket_id=ticket_id,
        actor=ex2,
        now=start + 3 * HOUR,
        committed_resolution_at=start + 12 * HOUR,
    )
    services.incident_report_save(
        ticket_id=ticket_id,
        actor=ex2,
        now=start + 4 * HOUR,
        fields={
            "what_happened": "机房断电后数据库无法启动",
            "cause": "断电导致数据文件损坏",
            "solution": "从备份恢复",
            "responsible_person": "工程专家 孙涛",
            "improvements": "配置UPS并定期演练备份恢复",
        },
    )


def _resolve(
    ticket_id: int,
    handler: User,
    user: User,
    later: Later,
    hours: int,
    rating: int,
    *,
    rejected: bool,
) -> datetime:
    """Closure requested (once rejected first, if so), then closed by the user with a rating;
    ``later(h)``: ``h`` working hours after the problem was registered. When it was closed."""
    if rejected:
        services.ticket_request_close(
            ticket_id=ticket_id, actor=handler, solution="已处理", now=later(hours // 2)
        )
        services.ticket_reject_close(
            ticket_id=ticket_id, actor=user, reason="仍有问题", now=later(hours // 2 + 1)
        )
    services.ticket_request_close(
        ticket_id=ticket_id, actor=handler, solution="已处理并验证。", now=later(hours)
    )
    closed_at = later(hours + 2)
    services.ticket_close(
        ticket_id=ticket_id, actor=user, rating=rating, workload_hours="2", now=closed_at
    )
    return closed_at


def _calendar() -> worktime.WorkCalendar:
    """The service centre's working time: 5×8, on the Chinese calendar."""
    return worktime.default_calendar(ZoneInfo(settings.TIME_ZONE))


def _working_hours_after(start: datetime, hours: float) -> datetime:
    return worktime.add_working_time(start, timedelta(hours=hours), _calendar())


def _starts(last: periods.Period) -> list[datetime]:
    """When each problem of ``HISTORY`` was registered: spread over last month's working
    days (not its last ``SPAN_DAYS``), at its time of ``STARTS``."""
    calendar = _calendar()
    days = [
        day
        for day in (last.first + timedelta(days=n) for n in range(last.days - SPAN_DAYS))
        if calendar.is_working_day(day)
    ] or [last.first]
    step = (len(days) - 1) / max(len(HISTORY) - 1, 1)
    return [_at(days[round(n * step)], STARTS[n], calendar.tz) for n in range(len(HISTORY))]


def _at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=tz)


#: this month's problem that went through every line (the KPI page's rows for each)
THROUGH_ALL_LINES = "学位数据上报国家平台接口报错"


def _through_all_lines(project: Project, people: dict[str, User], now: datetime) -> None:
    """Accepted and escalated at lines 1, 2 and 3, now with the task force: each of the four
    handlers has a row of this month's KPIs (per person and per team), though only the
    task force holds it now."""
    month = periods.current_month(now)
    span = min(timedelta(hours=30), now - month.start - timedelta(minutes=10))
    if span <= timedelta(0):
        span = timedelta(hours=30)  # the month has just begun: last month's rows then
    step = span / 8
    start = now - span
    ticket = services.ticket_register(
        actor=people["user"],
        project_id=project.pk,
        product_id=project.product_id,
        title=THROUGH_ALL_LINES,
        description="上报学位数据时接口返回 500，各学院均受影响。",
        urgency="high",
        service_type="fault",
        channel="web",
        now=start,
    )
    handlers = ("engineer", "expert2", "expert3", "taskforce")
    for index, name in enumerate(handlers):
        at = start + step * (2 * index + 1)
        due = at + timedelta(hours=24)
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=people[name],
            severity="SIS2",
            committed_resolution_at=due,
            now=at,
        )
        if name != "taskforce":
            services.ticket_escalate(
                ticket_id=ticket.pk, actor=people[name], now=at + step, reason="需要下一线的专家。"
            )


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    project = projects["xjnu"]
    with shared_lookups():  # the rules, tiers and robots are read once for all of them
        if not Ticket.objects.filter(project=project, title=THROUGH_ALL_LINES).exists():
            _through_all_lines(project, people, clock.now())
        if Ticket.objects.filter(project=project, title=HISTORY[0][0]).exists():
            return  # loaded before
        last = periods.previous_month(clock.now())
        for start, spec in zip(_starts(last), HISTORY, strict=True):
            _handle(project, people, start, spec)
