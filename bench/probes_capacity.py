"""How many probes the workers keep on schedule (issue 19): lateness, hanging targets, outage.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_probes_bench \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/probes_capacity.py [--probes 2000] [--hanging 20] \\
            [--workers 2] [--threads 16] [--before 2] [--after 4]

1. The database is created, migrated and given the demo if it has no systems yet; every
   probe, result and outage of an earlier run is deleted; the Redis queue is emptied.
2. Local targets on 127.0.0.1 (asyncio, in this process): one that answers 200 at once,
   one that accepts and never answers, one that answers until it goes down.
3. ``--probes`` HTTP probes of one system against the healthy target, interval 60 s, their
   first runs spread over a minute; one probe of another system against the target that
   will go down; ``--hanging`` probes of a third system against the hanging one, first due
   when the second phase begins, all at the same second of each minute (the worst case:
   all hold a thread at once, for their whole timeout).
4. ``--workers`` processes of ``campusdesk run_huey --workers <threads>`` (with their
   periodic scheduler: each claims the due runs every minute, as in production).
5. ``--before`` minutes without hanging targets, then ``--after`` minutes with them. 2 s
   after its probe's first run in the second phase the outage target goes down (the worst
   case: its first failed run is a whole interval later).
6. The workers are stopped, and the figures read from the rows: lateness
   (``started_at − scheduled_for``) of the healthy probes in both phases and of the
   hanging ones, runs done of runs due, the outage's detection and its incident ticket,
   the time each claim took (from the consumers' logs) and their CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campusdesk.settings")
os.environ.setdefault("DATA_DIR", str(ROOT / "var" / "bench-probes"))
os.environ.setdefault("SECRET_KEY", "bench-probes-not-a-real-secret-key-0123456789abcdefghij")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
os.environ["OUTBOUND_ALLOW_NETWORKS"] = "127.0.0.0/8"
os.environ.setdefault("DEBUG", "0")
Path(os.environ["DATA_DIR"]).mkdir(parents=True, exist_ok=True)

INTERVAL = 60
FAILURES = 3


# --- the targets -------------------------------------------------------------------------------
class Targets:
    """Three loopback servers on one event loop in a thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.held: list[asyncio.StreamWriter] = []
        self.answered = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.healthy = self.loop.run_until_complete(
            asyncio.start_server(self._answer, "127.0.0.1", 0, backlog=512)
        )
        self.flaky = self.loop.run_until_complete(
            asyncio.start_server(self._answer, "127.0.0.1", 0, backlog=64)
        )
        self.hanging = self.loop.run_until_complete(
            asyncio.start_server(self._hang, "127.0.0.1", 0, backlog=64)
        )
        ready.set()
        self.loop.run_forever()

    @staticmethod
    def port(server: asyncio.Server) -> int:
        return int(server.sockets[0].getsockname()[1])

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
            self.answered += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _hang(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.held.append(writer)
        await reader.read()  # until the probe gives up and closes
        writer.close()
        self.held.remove(writer)

    def take_down_flaky(self) -> None:
        """Stop listening: connections are refused from now on."""
        asyncio.run_coroutine_threadsafe(self._close(self.flaky), self.loop).result(10)

    @staticmethod
    async def _close(server: asyncio.Server) -> None:
        server.close()
        await server.wait_closed()


# --- set-up ---------------------------------------------------------------------------------
def ensure_database() -> None:
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def prepare() -> list[Any]:
    """Migrate and load the demo once; clear earlier runs; three systems with a contact."""
    from django.core.management import call_command

    from campusdesk.monitoring.models import Outage, Probe, ProbeHourly, ProbeResult
    from campusdesk.site import demo
    from campusdesk.systems.models import ApplicationSystem

    call_command("migrate", verbosity=0)
    if not ApplicationSystem.objects.exists():
        print("loading the demo (once) …", flush=True)
        demo.load()
    ProbeResult.objects.all().delete()
    ProbeHourly.objects.all().delete()
    Outage.objects.all().delete()
    Probe.objects.all().delete()
    systems = list(
        ApplicationSystem.objects.filter(customer_contact__isnull=False).order_by("pk")[:3]
    )
    assert len(systems) == 3, "the demo's systems have no customer contact"
    return systems


def create_probes(
    systems: list[Any], targets: Targets, args: argparse.Namespace, start: datetime
) -> tuple[list[int], list[int], int]:
    from campusdesk.monitoring.models import Probe

    healthy_port = Targets.port(targets.healthy)
    common = {
        "kind": "http",
        "interval_seconds": INTERVAL,
        "timeout_seconds": 10,
        "failures_to_open": FAILURES,
        "created_at": start,
    }
    spread = INTERVAL / args.probes
    healthy = Probe.objects.bulk_create(
        Probe(
            system=systems[0],
            name=f"bench {i}",
            target=f"http://127.0.0.1:{healthy_port}/p/{i}",
            next_run_at=start + timedelta(seconds=i * spread),
            **common,
        )
        for i in range(args.probes)
    )
    outage = Probe.objects.create(
        system=systems[1],
        name="bench outage",
        target=f"http://127.0.0.1:{Targets.port(targets.flaky)}/",
        next_run_at=start + timedelta(seconds=INTERVAL / 2),
        **common,
    )
    hanging = Probe.objects.bulk_create(
        Probe(
            system=systems[2],
            name=f"bench hanging {i}",
            target=f"http://127.0.0.1:{Targets.port(targets.hanging)}/h/{i}",
            # not due before the second phase; all at the same second of each minute
            next_run_at=start + timedelta(minutes=args.before),
            **{**common, "timeout_seconds": args.hang_timeout},
        )
        for i in range(args.hanging)
    )
    return [p.pk for p in healthy], [p.pk for p in hanging], outage.pk


# --- the workers ---------------------------------------------------------------------------
def start_workers(args: argparse.Namespace, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    workers = []
    for n in range(args.workers):
        log = (logs / f"worker{n}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "campusdesk", "run_huey", "--workers", str(args.threads)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def wait_started(logs: Path, count: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = sum(
            "consumer started" in p.read_text(errors="replace") for p in logs.glob("*.log")
        )
        if started >= count:
            return
        time.sleep(0.5)
    raise SystemExit("the workers did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGINT)  # graceful: running checks finish
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


# --- figures ----------------------------------------------------------------------------
def percentiles(values: list[float]) -> str:
    if not values:
        return "no runs"
    values = sorted(values)

    def at(q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))]

    return (
        f"p50 {at(0.50):.2f} s, p95 {at(0.95):.2f} s, p99 {at(0.99):.2f} s, "
        f"max {values[-1]:.2f} s (mean {statistics.fmean(values):.2f} s, {len(values)} runs)"
    )


def lateness(probe_ids: list[int], since: datetime, until: datetime) -> tuple[list[float], int]:
    from campusdesk.monitoring.models import ProbeResult

    rows = ProbeResult.objects.filter(
        probe_id__in=probe_ids, scheduled_for__gte=since, scheduled_for__lt=until
    ).values_list("started_at", "scheduled_for")
    late = [(started - due).total_seconds() for started, due in rows]
    return late, len(late)


def claims(logs: Path) -> list[float]:
    pattern = re.compile(r"monitoring\.schedule: \S+(?: p=\d+)? executed in ([0-9.]+)s")
    return [
        float(m.group(1))
        for path in logs.glob("*.log")
        for m in pattern.finditer(path.read_text(errors="replace"))
    ]


def report(args: argparse.Namespace, marks: dict[str, Any], ids: dict[str, Any]) -> None:
    from campusdesk.monitoring.models import Outage, ProbeResult

    t0, t1, t2 = marks["start"], marks["hang"], marks["end"]
    before, done_before = lateness(ids["healthy"], t0, t1)
    after, done_after = lateness(ids["healthy"], t1, t2)
    hung, done_hung = lateness(ids["hanging"], t1, t2)
    due_before = args.probes * round((t1 - t0).total_seconds() / INTERVAL)
    due_after = args.probes * round((t2 - t1).total_seconds() / INTERVAL)
    print()
    print(f"## {args.probes} probes, {args.workers} workers × {args.threads} threads")
    print(f"- healthy, without hanging targets: {percentiles(before)}; {done_before}/{due_before}")
    print(f"- healthy, {args.hanging} hanging: {percentiles(after)}; {done_after}/{due_after}")
    print(f"- the hanging probes themselves: {percentiles(hung)}; {done_hung} runs")
    outage = Outage.objects.select_related("ticket").filter(probe_id=ids["outage"]).first()
    down = marks["down"]
    if outage is None or outage.ticket is None:
        print(f"- outage: no incident ({outage})")
    else:

        def since(moment: datetime) -> str:
            return f"+{(moment - down).total_seconds():.1f} s"

        print(
            f"- outage: target down at +0 s; first failed run {since(outage.started_at)}, "
            f"detected {since(outage.detected_at)}, incident {outage.ticket} registered "
            f"{since(outage.ticket.created_at)} (goal ≤ {INTERVAL * FAILURES + 10} s); "
            f"notice_seconds {outage.notice_seconds}"
        )
    errors = ProbeResult.objects.filter(probe_id__in=ids["healthy"], ok=False).count()
    print(f"- healthy runs that failed: {errors}")
    took = claims(marks["logs"])
    if took:
        print(
            f"- claims (monitoring.schedule, both workers): {len(took)}, "
            f"median {statistics.median(took):.2f} s, max {max(took):.2f} s"
        )
    minutes = (marks["stopped"] - marks["began"]) / 60
    cpu = ", ".join(f"{c / 60 / minutes:.0%}" for c in marks["cpu"])
    print(f"- worker CPU (share of one core, over {minutes:.1f} min): {cpu}")
    print(f"- load average at the end: {os.getloadavg()}")


# --- the claim alone ------------------------------------------------------------------------
class Rollback(Exception):
    pass


def measure_claims(systems: list[Any], count: int, repeat: int = 5) -> None:
    """``claim_due`` of ``count`` due probes, rolled back: one UPDATE per batch (PostgreSQL's
    ``UPDATE … FROM (VALUES …)``) against one conditional UPDATE per probe."""
    from django.db import transaction

    from campusdesk.core import clock
    from campusdesk.monitoring import scheduler
    from campusdesk.monitoring.models import Probe

    now = clock.now()
    Probe.objects.bulk_create(
        Probe(
            system=systems[0],
            kind="http",
            target=f"http://127.0.0.1:9/p/{i}",
            next_run_at=now + timedelta(seconds=i * 60 / count),
            created_at=now,
        )
        for i in range(count)
    )
    for name, move in (
        ("one UPDATE per batch", scheduler._move_at_once),
        ("per probe", scheduler._move_each),
    ):
        scheduler._move = lambda plans, move=move: move(plans) if plans else set()
        timings = []
        for _n in range(repeat):
            try:
                with transaction.atomic():
                    began = time.perf_counter()
                    runs = scheduler.claim_due(now=now, claimed=lambda runs: None)
                    timings.append(time.perf_counter() - began)
                    raise Rollback
            except Rollback:
                pass
        print(
            f"claim of {count} probes ({runs} runs), {name}: median "
            f"{statistics.median(timings):.3f} s ({', '.join(f'{t:.3f}' for t in timings)})"
        )
    Probe.objects.all().delete()


# --- the nightly roll-up -----------------------------------------------------------------
def measure_rollup(systems: list[Any], probes: int, days: float, batch: int) -> None:
    """``retention.rollup`` of ``days`` of one-minute runs of ``probes`` probes, all expired
    (made by ``generate_series``: the rows, not Python objects)."""
    import resource

    from django.conf import settings
    from django.db import connection

    from campusdesk.core import clock
    from campusdesk.monitoring import retention
    from campusdesk.monitoring.models import Probe, ProbeHourly, ProbeResult

    now = clock.now()
    old = now - timedelta(days=settings.PROBE_RETENTION_DAYS + days + 1)
    made = Probe.objects.bulk_create(
        Probe(
            system=systems[0],
            kind="http",
            target=f"http://127.0.0.1:9/r/{i}",
            next_run_at=now + timedelta(days=1),
            created_at=old,
            is_active=False,
        )
        for i in range(probes)
    )
    minutes = int(days * 1440)
    with connection.cursor() as cursor:
        for probe in made:
            cursor.execute(
                "INSERT INTO monitoring_proberesult "
                "(probe_id, scheduled_for, started_at, ok, latency_ms, error) "
                "SELECT %s, t, t + interval '0.3 s', m %% 97 <> 0, "
                "CASE WHEN m %% 97 <> 0 THEN 5 + m %% 40 END, '' "
                "FROM generate_series(0, %s) AS m, "
                "LATERAL (SELECT %s + m * interval '1 minute') AS s(t)",
                [probe.pk, minutes - 1, old],
            )
        cursor.execute("VACUUM ANALYZE monitoring_proberesult")
    rows = ProbeResult.objects.count()
    began = time.perf_counter()
    done = retention.rollup(now=now, batch=batch)
    took = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rollup of {rows} results ({probes} probes × {days:g} days of 1-minute runs): "
        f"{done} rolled into {ProbeHourly.objects.count()} hourly rows in {took:.1f} s "
        f"({done / took:,.0f} results/s, batch {batch}); peak RSS {peak:.0f} MB"
    )
    began = time.perf_counter()
    again = retention.rollup(now=now)
    print(f"again: {again} in {time.perf_counter() - began:.2f} s")
    Probe.objects.filter(pk__in=[p.pk for p in made]).delete()


# --- the run ---------------------------------------------------------------------------
def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument("--hanging", type=int, default=20)
    parser.add_argument("--hang-timeout", type=int, default=10, help="the hanging probes' timeout")
    parser.add_argument("--workers", type=int, default=2, help="run_huey processes")
    parser.add_argument("--threads", type=int, default=16, help="worker threads per process")
    parser.add_argument("--before", type=float, default=2, help="minutes without hanging targets")
    parser.add_argument("--after", type=float, default=4, help="minutes with them")
    parser.add_argument("--warmup", type=float, default=30, help="seconds before the first runs")
    parser.add_argument("--claim-only", action="store_true", help="time the claim alone")
    parser.add_argument(
        "--rollup-days", type=float, default=0, help="time the roll-up of this many days alone"
    )
    parser.add_argument("--rollup-batch", type=int, default=5000)
    return parser.parse_args()


def main() -> None:
    args = parse()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL=postgres://… (a bench database) is needed")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL=redis://… is needed")
    ensure_database()
    import django

    django.setup()
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    from campusdesk.core import clock

    systems = prepare()
    if args.claim_only:
        measure_claims(systems, args.probes)
        return
    if args.rollup_days:
        measure_rollup(systems, args.probes, args.rollup_days, args.rollup_batch)
        return
    HUEY.flush()
    targets = Targets()
    start = (clock.now() + timedelta(seconds=args.warmup)).replace(microsecond=0)
    healthy, hanging, outage = create_probes(systems, targets, args, start)
    connection.close()
    logs = Path(os.environ["DATA_DIR"]) / "logs"
    logs.mkdir(exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    print(
        f"{len(healthy)} probes from {start:%H:%M:%S}; starting {args.workers} workers", flush=True
    )
    began = time.monotonic()
    workers = start_workers(args, logs)
    try:
        wait_started(logs, args.workers)
        hang = start + timedelta(minutes=args.before)
        _sleep_until(hang)
        print(f"{clock.now():%H:%M:%S} {len(hanging)} hanging probes due", flush=True)
        # worst case: down just after a run of its probe, so the first failed run is a whole
        # interval later and the incident comes FAILURES intervals after the outage began
        runs_since = math.ceil((hang - start).total_seconds() / INTERVAL - 0.5)
        _sleep_until(start + timedelta(seconds=INTERVAL * (runs_since + 0.5) + 2))
        targets.take_down_flaky()
        down = clock.now()
        print(f"{down:%H:%M:%S} the outage target is down", flush=True)
        end = hang + timedelta(minutes=args.after)
        _sleep_until(end + timedelta(seconds=args.hang_timeout + 5))
        cpu = [cpu_seconds(w.pid) for w in workers]
    finally:
        stop(workers)
    marks = {
        "start": start,
        "hang": hang,
        "end": end,
        "down": down,
        "logs": logs,
        "cpu": cpu,
        "began": began,
        "stopped": time.monotonic(),
    }
    report(args, marks, {"healthy": healthy, "hanging": hanging, "outage": outage})
    print(f"- commit {_commit()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")


def _sleep_until(moment: datetime) -> None:
    from campusdesk.core import clock

    seconds = (moment - clock.now()).total_seconds()
    if seconds > 0:
        time.sleep(seconds)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
