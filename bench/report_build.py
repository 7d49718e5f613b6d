"""How fast the service report and the KPIs are built for a large customer (issue 8 item 6).

Targets: the monthly report of a customer with 100,000 tickets builds in under 10 s; the
KPI page's figures in under 1 s.

    DATA_DIR=var/bench-reports DEBUG=1 .venv/bin/python bench/report_build.py --tickets 100000

Without DATABASE_URL it builds a fresh SQLite file under DATA_DIR (whose last part must
start with "bench"). With DATABASE_URL it uses that database, which must be empty of
tickets: give it a database of its own.

Steps: migrate, load the demo personas and projects, write N tickets of 新疆师范大学 spread
over the 12 months before the current one with bulk_create: statuses, severities,
SLA deadlines, acceptance/response/solution/closure times, ratings, rejections, urges,
escalations, commitment changes and out-of-scope work, each with its timeline events
(about 6 per ticket) and a retrospective for one in ten; then time the report of the
last month, the report of the whole year (all N tickets), the KPI figures of the last
month and of the year, and the month's workbook and PDF.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")

TITLES = [
    "成绩录入页面保存报错",
    "导师名单导出为空",
    "学位申请无法提交",
    "如何批量导入学生信息",
    "选课系统加载很慢",
    "论文盲审结果不显示",
    "登录后页面空白",
    "奖助名单审核失败",
    "培养方案无法修改",
    "毕业审核数据不同步",
    "如何设置答辩时间",
    "招生复试名单乱码",
]
SERVICE_TYPES = ["fault"] * 4 + ["bug"] * 3 + ["consultation"] * 4 + ["support", "incident"]
SEVERITY_HOURS = {"SIS1": (2, 4), "SIS2": (4, 8), "SIS3": (8, 24)}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    return parser.parse_args()


def fresh_sqlite() -> None:
    data_dir = Path(os.environ.get("DATA_DIR", "var")).resolve()
    if not data_dir.name.startswith("bench"):
        sys.exit(f"DATA_DIR={data_dir} is not a bench directory (its name must start 'bench').")
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"campusdesk.sqlite3{suffix}").unlink(missing_ok=True)


def _ticket(
    rng: random.Random, n: int, start: datetime, span: float, ctx: dict[str, Any]
) -> tuple[Any, list[dict[str, Any]]]:
    from campusdesk.tickets.models import Ticket

    h = timedelta(hours=1)
    created = start + timedelta(seconds=rng.random() * span)
    severity = rng.choices(["SIS1", "SIS2", "SIS3"], [1, 4, 10])[0]
    respond, resolve = SEVERITY_HOURS[severity]
    accepted = created + rng.expovariate(1 / 3) * h
    resolved = accepted + rng.expovariate(1 / resolve) * h
    rejected = rng.random() < 0.08
    escalated = rng.random() < 0.07
    changed = rng.random() < 0.05
    status = rng.choices(["closed", "pending_close", "in_progress"], [90, 4, 6])[0]
    oos = rng.random() < 0.03
    ticket = Ticket(
        number=f"{created.year}-{ctx['seq'].setdefault(created.year, 0) + 1:05d}",
        project=ctx["project"],
        product_id=ctx["project"].product_id,
        title=rng.choice(TITLES),
        description="批量生成的问题。",
        urgency="medium",
        service_type=rng.choice(SERVICE_TYPES),
        channel=rng.choice(["web", "web", "phone"]),
        status=status,
        tier=2 if escalated else 1,
        severity=severity,
        reporter=ctx["user"],
        created_by=ctx["user"],
        assignee=ctx["eng"],
        committed_resolution_at=accepted + (24 if not changed else 48) * h,
        urge_count=1 if rng.random() < 0.05 else 0,
        rejection_count=int(rejected),
        rating=rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 4, 3])[0] if status == "closed" else None,
        workload_hours=Decimal("2.00") if status == "closed" else None,
        out_of_scope_type=rng.choice(["network", "power_loss", "expansion"]) if oos else "",
        out_of_scope_hours=Decimal("4.00") if oos else None,
        created_at=created,
        updated_at=resolved,
        accepted_at=accepted,
        closed_at=resolved + 3 * h if status == "closed" else None,
        accept_by=created + 24 * h,
        respond_by=created + respond * h,
        resolve_by=created + resolve * h,
        responded_at=accepted,
        resolved_at=resolved if status != "in_progress" else None,
    )
    ctx["seq"][created.year] += 1
    events = [("register", created, 1), ("accept", accepted, 1)]
    if changed:
        events.append(("change_commitment", accepted + h, 1))
    if escalated:
        events += [("escalate", accepted + 2 * h, 1), ("accept", accepted + 3 * h, 2)]
    if rejected:
        events += [
            ("request_close", resolved - h, ticket.tier),
            ("reject_close", resolved - 0.5 * h, ticket.tier),
        ]
    if status != "in_progress":
        events.append(("request_close", resolved, ticket.tier))
    if status == "closed":
        events.append(("close", resolved + 3 * h, ticket.tier))
    return ticket, [{"action": a, "at": at, "tier": tier} for a, at, tier in events]


def generate(count: int, seed: int) -> tuple[int, float]:
    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Project
    from campusdesk.core import clock
    from campusdesk.kb.models import Retrospective
    from campusdesk.reports import periods
    from campusdesk.tickets.models import Ticket, TicketEvent

    began = time.perf_counter()
    rng = random.Random(seed)
    project = Project.objects.get(name="研究生管理系统运维服务")
    users = {u.username: u for u in User.objects.filter(username__in=["user", "engineer"])}
    ctx: dict[str, Any] = {
        "project": project,
        "user": users["user"],
        "eng": users["engineer"],
        "seq": {},
    }
    last = periods.previous_month(clock.now())
    start = last.end - timedelta(days=365)
    span = (last.end - start).total_seconds()
    written = 0
    for offset in range(0, count, 5000):
        batch = [
            _ticket(rng, offset + i, start, span, ctx) for i in range(min(5000, count - offset))
        ]
        tickets = Ticket.objects.bulk_create([t for t, _e in batch])
        events = [
            TicketEvent(
                ticket=t,
                action=e["action"],
                at=e["at"],
                tier=e["tier"],
                channel="web",
                actor=ctx["eng"] if e["action"] != "register" else ctx["user"],
            )
            for t, (_t, evs) in zip(tickets, batch, strict=True)
            for e in evs
        ]
        TicketEvent.objects.bulk_create(events, batch_size=2000)
        retros = [
            Retrospective(
                ticket=t,
                status="done",
                root_cause=rng.choice(["usage", "product_bug", "environment"]),
                tags=[t.title[:4]],
                created_at=t.closed_at,
                done_at=t.closed_at,
            )
            for t in tickets
            if t.status == "closed" and rng.random() < 0.1
        ]
        Retrospective.objects.bulk_create(retros)
        written += len(events)
    return written, time.perf_counter() - began


def timed(label: str, call: Any, runs: int = 3) -> Any:
    result, times = None, []
    for _run in range(runs):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    print(f"{label:<44} best {min(times):7.2f} s   worst {max(times):7.2f} s")
    return result


def main() -> None:
    args = parse()
    if not os.environ.get("DATABASE_URL"):
        fresh_sqlite()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from campusdesk.accounts.models import User
    from campusdesk.core import clock
    from campusdesk.reports import exports, kpi, periods
    from campusdesk.reports import report as reports
    from campusdesk.site import demo

    call_command("migrate", verbosity=0)
    demo.load(tickets=False)
    events, took = generate(args.tickets, args.seed)
    print(f"{connection.vendor}: {args.tickets} tickets, {events} events written in {took:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    hq = User.objects.get(username="hq")
    scope = reports.scope_for(
        hq, project_id=reports.Project.objects.get(name="研究生管理系统运维服务").pk
    )
    month = periods.previous_month(clock.now())
    year = periods.Period("year", month.end.date() - timedelta(days=365), month.last)
    in_month = scope.tickets().filter(created_at__gte=month.start, created_at__lt=month.end)
    print(f"last month {month.key}: {in_month.count()} tickets; year: {scope.tickets().count()}")
    data = timed(
        "service report, last month (build + JSON)",
        lambda: reports.as_dict(reports.build(scope, month)),
    )
    timed(
        "service report, whole year (build + JSON)",
        lambda: reports.as_dict(reports.build(scope, year)),
    )
    for label, period in (("KPI figures, last month", month), ("KPI figures, whole year", year)):
        chosen = kpi.KpiFilters(period=period)
        timed(label, lambda c=chosen: kpi.compute(kpi.tickets(hq, c), c))
    rows = lambda: list(reports.all_requests(scope, month).values(*exports.REQUEST_FIELDS))  # noqa: E731
    timed("workbook (xlsx), last month", lambda: exports.xlsx(data, rows()), runs=1)
    timed("PDF, last month", lambda: exports.pdf(data), runs=1)


if __name__ == "__main__":
    main()
