"""campusdesk's own scenarios of issue 9, in-process on a generated database (``make bench``
runs it after the HTTP runs): case suggestions, the operations watch list, the SLA sweep with
1,000 tickets due, the monthly service report and KPI figures of the largest customer.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench_1m DATA_DIR=var/bench-gen \
        .venv/bin/python bench/own_scenarios.py --size 1m \
        --manifest bench/results/manifest_campusdesk_1m.json [--results bench/RESULTS.md]

The pages go through Django's test client with the whole middleware stack (no gunicorn, no
driver: these are not in the shared driver's plans), logged in as the manifest's operations
specialist; the sweep runs inside a transaction that is rolled back. Writes the section of
``--size`` between ``<!-- own size=… -->`` markers of ``--results`` (other sizes are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")
BEGIN, END = "<!-- own scenarios: begin -->", "<!-- own scenarios: end -->"


class Rollback(Exception):
    pass


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm: the first call reads the catalog and fills PostgreSQL's cache
    timings = []
    for _n in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def pages(manifest: dict[str, Any], runs: dict[str, int]) -> dict[str, list[float]]:
    from django.conf import settings
    from django.test import Client

    from campusdesk.accounts.models import User

    settings.ALLOWED_HOSTS = ["testserver"]
    from profile_pages import load_adapter  # bench/, beside this script

    requests = load_adapter()["requests"]
    client = Client()
    client.force_login(
        User.objects.get(username=manifest["staff_user"]),
        backend="campusdesk.accounts.backends.UserBackend",
    )
    found: dict[str, list[float]] = {}
    for key, count in runs.items():
        sequence = iter(range(10**6))

        def one(key: str = key, sequence: Any = sequence) -> None:
            req = requests[key](manifest, next(sequence))
            response = client.get(req["path"], data=req.get("params") or {})
            assert response.status_code in req["expect"], (key, response.status_code)

        found[key] = _timed(one, count)
    return found


def sweep(due: int, repeat: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from campusdesk.sla import services as sla
    from campusdesk.tickets.models import OPEN_STATUSES, Ticket

    if connection.vendor == "postgresql":
        # the HTTP runs' registrations and earlier rolled-back sweeps leave dead rows that
        # autovacuum may not have reached yet: a sweep would read past them (+30 %)
        with connection.cursor() as cursor:
            for table in (
                "tickets_ticket",
                "tickets_ticketevent",
                "sla_slafiring",
                "notify_notification",
                "notify_delivery",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
    waiting = Ticket.objects.filter(next_deadline_at__isnull=False).order_by("next_deadline_at")
    due = min(due, waiting.count())  # a small database has fewer tickets waiting for a check
    if due == 0:
        return {"timings": [0.0], "fired": 0, "open": 0, "due": 0}
    moment = waiting.values_list("next_deadline_at", flat=True)[due - 1]
    timings, fired = [], 0
    for run in range(repeat + 1):  # the first one warms the caches, untimed
        try:
            with transaction.atomic():
                started = time.perf_counter()
                fired = sla.sweep(now=moment, limit=due)
                if run:
                    timings.append((time.perf_counter() - started) * 1000)
                raise Rollback
        except Rollback:
            pass
    open_count = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    return {"timings": timings, "fired": fired, "open": open_count, "due": due}


def report(repeat: int) -> dict[str, Any]:
    from django.db.models import Count

    from campusdesk.accounts.models import User
    from campusdesk.accounts.roles import Role
    from campusdesk.core import clock
    from campusdesk.reports import kpi, periods
    from campusdesk.reports import report as reports
    from campusdesk.tickets.models import Ticket

    hq = User.objects.filter(role=Role.HQ, is_active=True).order_by("pk").first()
    assert hq is not None, "the database has no HQ user (bench.gen makes them)"
    month = periods.previous_month(clock.now())
    in_month = Ticket.objects.filter(created_at__gte=month.start, created_at__lt=month.end)
    biggest = (
        in_month.values("project__organisation").annotate(n=Count("id")).order_by("-n").first()
    )
    assert biggest is not None, f"no tickets in {month.key}"
    scope = reports.scope_for(hq, organisation_id=biggest["project__organisation"])
    built = _timed(lambda: reports.as_dict(reports.build(scope, month)), repeat)
    chosen = kpi.KpiFilters(period=month)
    figures = _timed(lambda: kpi.compute(kpi.tickets(hq, chosen), chosen), repeat)
    return {
        "month": month.key,
        "customer_tickets": biggest["n"],
        "report": built,
        "kpi": figures,
        "all_tickets": in_month.count(),
    }


def section(
    size: str,
    db: str,
    page: dict[str, list[float]],
    swept: dict[str, Any],
    built: dict[str, Any],
    cases: int,
) -> str:
    def row(label: str, values: list[float], target: str) -> str:
        return (
            f"| {label} | {len(values)} | {statistics.median(values):,.1f} | "
            f"{_p(values, 0.95):,.1f} | {max(values):,.1f} | {target} |"
        )

    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"<!-- own size={size} -->",
        f"### {size}: campusdesk's own scenarios (in-process, `{db}`, {stamp})",
        "",
        "| scenario | runs | median ms | p95 ms | max ms | target |",
        "|---|---|---|---|---|---|",
        row(
            f"`GET /api/v1/kb/suggest/?q=<word>页面报错` ({cases:,} cases)",
            page["kb_suggest"],
            "p95 < 50 ms at 10,000",
        ),
        row("`GET /ops/overdue/` (operations watch list)", page["watch_overdue"], "–"),
        row("`GET /` (home: projects, inbox count)", page["home"], "–"),
        row(
            f"SLA sweep, {swept['due']:,} due among {swept['open']:,} open "
            f"({swept['fired']:,} firings, rolled back)",
            swept["timings"],
            "< 1,000 ms",
        ),
        row(
            f"monthly service report of the largest customer ({built['customer_tickets']:,} "
            f"of {built['all_tickets']:,} tickets in {built['month']})",
            built["report"],
            "< 10,000 ms",
        ),
        row(f"KPI figures of {built['month']}, every customer (HQ's page)", built["kpi"], "–"),
        "",
        f"<!-- /own size={size} -->",
        "",
    ]
    return "\n".join(lines)


def write(results: Path, size: str, text: str) -> None:
    body = results.read_text()
    if BEGIN not in body:
        anchor = "<!-- make bench: end -->\n"
        body = body.replace(anchor, f"{anchor}\n{BEGIN}\n{END}\n", 1)
    head, rest = body.split(BEGIN, 1)
    inner, tail = rest.split(END, 1)
    pattern = re.compile(
        r"<!-- own size=(?P<size>\S+) -->\n.*?<!-- /own size=(?P=size) -->\n+", re.S
    )
    sections = {m["size"]: m[0].rstrip("\n") + "\n\n" for m in pattern.finditer(inner)}
    sections[size] = text
    order = sorted(sections, key=lambda s: float(s[:-1]) * (1000 if s[-1] in "mM" else 1))
    results.write_text(f"{head}{BEGIN}\n" + "".join(sections[s] for s in order) + f"{END}{tail}")


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--results", default=str(ROOT / "bench/RESULTS.md"))
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    django.setup()
    from django.conf import settings

    manifest = json.loads(Path(args.manifest).read_text())
    page = pages(manifest, {"kb_suggest": 200, "watch_overdue": 30, "home": 100})
    swept = sweep(args.due, repeat=3)
    built = report(repeat=3)
    from campusdesk.kb.models import Article

    db = settings.DATABASES["default"]["NAME"]
    text = section(args.size, db, page, swept, built, Article.objects.count())
    print(text)
    write(Path(args.results), args.size, text)


if __name__ == "__main__":
    main()
