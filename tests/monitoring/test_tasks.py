"""The probes' scheduler: due runs claimed exactly once (two schedulers, a stale read,
threads), a probe far behind runs once, inactive probes rest, a 30-s probe runs twice a
minute at its own times; and a real Huey consumer with real loopback servers, where 20
hanging targets do not delay 20 healthy ones."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from huey import PriorityRedisHuey
from huey.contrib.djhuey import HUEY

from campusdesk.core import clock
from campusdesk.monitoring import scheduler, services, tasks
from campusdesk.monitoring.models import Probe, ProbeResult
from campusdesk.monitoring.scheduler import LOOKAHEAD, Run, claim_due, occurrences
from campusdesk.systems.models import ApplicationSystem
from tests.helpers import PYTHON, serving, subprocess_env
from tests.monitoring.conftest import T0, make_probe

REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL_PROBES", "redis://127.0.0.1:6379/14")


def claim(now: datetime, batch: int = scheduler.BATCH) -> list[Run]:
    runs: list[Run] = []
    claim_due(now=now, batch=batch, claimed=runs.extend)
    return runs


def due_at(probe: Probe) -> datetime:
    return Probe.objects.values_list("next_run_at", flat=True).get(pk=probe.pk)


# --- claiming --------------------------------------------------------------------------------
def test_due_probes_are_claimed_earliest_first_and_moved_past_the_horizon(system):
    late = make_probe(system, next_run_at=T0 - timedelta(seconds=20))
    now = make_probe(system, next_run_at=T0)
    soon = make_probe(system, next_run_at=T0 + timedelta(seconds=50))
    later = make_probe(system, next_run_at=T0 + LOOKAHEAD)  # not before the horizon
    runs = claim(T0)
    seconds = [(run.probe_id, (run.scheduled_for - T0).total_seconds()) for run in runs]
    assert seconds == [
        (late.pk, -20),  # a little late: keeps its own times
        (late.pk, 40),
        (now.pk, 0),
        (now.pk, 60),  # before the horizon (70 s): the next tick might start a bit late
        (soon.pk, 50),
    ]
    assert due_at(late) == T0 + timedelta(seconds=100)
    assert due_at(now) == T0 + timedelta(seconds=120)
    assert due_at(soon) == T0 + timedelta(seconds=110)
    assert due_at(later) == T0 + LOOKAHEAD
    assert claim(T0) == []  # the same tick again: nothing left to claim


def test_a_second_scheduler_with_the_same_stale_read_claims_nothing(system, monkeypatch):
    probes = [make_probe(system, next_run_at=T0 + timedelta(seconds=10 + i)) for i in range(5)]
    read = scheduler._due  # what both schedulers read before either wrote
    stale = read(T0 + LOOKAHEAD, scheduler.BATCH)
    first = claim(T0)
    monkeypatch.setattr(scheduler, "_due", lambda horizon, batch: stale)
    second = claim(T0)
    assert [run.probe_id for run in first] == [p.pk for p in probes]
    assert second == []


def test_batches_claim_every_due_probe_once(system):
    # one run each: due 10–16 s from now, the next one lies past the horizon
    probes = [make_probe(system, next_run_at=T0 + timedelta(seconds=10 + i % 7)) for i in range(23)]
    runs = claim(T0, batch=5)
    assert sorted(run.probe_id for run in runs) == sorted(p.pk for p in probes)


def test_a_probe_far_behind_runs_once_now_and_goes_on_from_there(system):
    probe = make_probe(system, interval_seconds=120, next_run_at=T0 - timedelta(days=3))
    assert claim(T0) == [Run(probe.pk, T0, 120)]  # not the 2,160 runs it missed
    assert due_at(probe) == T0 + timedelta(seconds=120)


def test_inactive_probes_are_not_claimed(system):
    probe = make_probe(system, is_active=False, next_run_at=T0 - timedelta(minutes=5))
    assert claim(T0) == []
    assert due_at(probe) == T0 - timedelta(minutes=5)


def test_a_30_second_probe_runs_twice_a_minute_at_its_own_times(system):
    probe = make_probe(system, interval_seconds=30, next_run_at=T0 + timedelta(seconds=5))
    per_tick = []
    etas: list[datetime] = []
    for minute in range(10):  # ten ticks, a minute apart
        runs = claim(T0 + timedelta(minutes=minute))
        per_tick.append(len(runs))
        etas += [run.scheduled_for for run in runs]
    assert per_tick[1:] == [2] * 9  # the first tick also takes the run due at 1:05
    assert etas == [T0 + timedelta(seconds=5 + 30 * i) for i in range(len(etas))]
    assert all(run.probe_id == probe.pk for run in claim(T0 + timedelta(minutes=10)))


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_enqueue_each_run_once(system):
    probes = [make_probe(system, next_run_at=T0 + timedelta(seconds=i % 50)) for i in range(120)]
    expected = sorted(
        (p.pk, at)
        for p in probes
        for at in occurrences(p.next_run_at, 60, now=T0, horizon=T0 + LOOKAHEAD)[0]
    )
    results: list[list[Run]] = [[], []]
    start = threading.Barrier(2)

    def scheduler_thread(mine: list[Run]) -> None:
        try:
            start.wait()
            claim_due(now=T0, batch=10, claimed=mine.extend)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler_thread, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    claimed = sorted((run.probe_id, run.scheduled_for) for run in results[0] + results[1])
    assert claimed == expected  # each run once: 120 probes, those due in 10 s twice


# --- the tasks -------------------------------------------------------------------------------
@pytest.fixture
def queue() -> Iterator[Any]:
    """Huey in immediate mode (the tests' default): a due task runs inline, a later one
    waits in its in-memory schedule."""
    HUEY.flush()
    yield HUEY
    HUEY.flush()


def test_each_run_is_its_own_task_at_its_due_time(system, queue, monkeypatch):
    ran: list[tuple[int, datetime | None]] = []
    monkeypatch.setattr(
        services,
        "probe_run",
        lambda probe_id, scheduled_for=None: ran.append((probe_id, scheduled_for)),
    )
    now = T0
    overdue = make_probe(system, next_run_at=now - timedelta(seconds=10))
    later = make_probe(system, interval_seconds=30, next_run_at=now + timedelta(seconds=20))
    with time_machine.travel(now, tick=False):
        assert tasks.schedule.call_local() == 4  # overdue: -10, +50; later: +20, +50
    assert ran == [(overdue.pk, now - timedelta(seconds=10))]  # already due: ran at once
    waiting = sorted((t.args[1], t.args[0]) for t in queue.scheduled())
    assert waiting == [
        ((now + timedelta(seconds=20)).isoformat(), later.pk),
        ((now + timedelta(seconds=50)).isoformat(), overdue.pk),
        ((now + timedelta(seconds=50)).isoformat(), later.pk),
    ]
    for task in queue.scheduled():  # stale once the next run is due: then dropped
        interval = 30 if task.args[0] == later.pk else 60
        due = datetime.fromisoformat(task.args[1])
        assert task.priority == tasks.RUN_PRIORITY
        assert task.expires_resolved == (due + timedelta(seconds=interval)).replace(tzinfo=None)


def test_a_run_not_started_before_the_next_is_due_is_dropped(system, queue, monkeypatch):
    ran: list[int] = []
    monkeypatch.setattr(services, "probe_run", lambda probe_id, scheduled_for=None: ran.append(1))
    probe = make_probe(system)
    with time_machine.travel(T0, tick=False):
        tasks.enqueue([Run(probe.pk, T0 - timedelta(seconds=61), 60)])  # the workers were busy
        assert ran == []
        tasks.enqueue([Run(probe.pk, T0 - timedelta(seconds=59), 60)])
        assert ran == [1]


def test_the_run_task_records_a_result(system, queue):
    probe = make_probe(system, kind="tcp", target="127.0.0.1:9")  # nothing listens: refused
    tasks.run_probe(probe.pk, T0.isoformat())
    result = ProbeResult.objects.get(probe=probe)
    assert result.scheduled_for == T0 and not result.ok


def test_a_removed_probe_has_nothing_to_run(db, queue):
    assert tasks.run_probe.call_local(123456, T0.isoformat()) is False


# --- a real consumer -------------------------------------------------------------------------
class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class _Hanging:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def _start_consumer(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], list[str]]:
    consumer = subprocess.Popen(
        [PYTHON, "-m", "campusdesk", "run_huey", "--workers", str(workers), "--no-periodic"],
        env=subprocess_env(tmp_path, REDIS_URL=REDIS_TEST_URL),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    assert consumer.stdout is not None
    stdout = consumer.stdout
    threading.Thread(
        target=lambda: lines.extend(line.decode() for line in iter(stdout.readline, b"")),
        daemon=True,
    ).start()
    return consumer, lines


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_consumer_runs_healthy_probes_on_time_beside_hanging_ones(
    tmp_path: Path, system: ApplicationSystem
):
    """24 worker threads: the 20 hanging targets (enqueued first) hold 20 threads for
    their 3-s timeout; the other 4 run the 20 healthy probes on time."""
    remote = PriorityRedisHuey("campusdesk", url=REDIS_TEST_URL)
    remote.flush()
    # the consumer's task, registered on this handle to its queue
    remote_run = remote.task(name="monitoring.run_probe")(tasks._run_probe)
    healthy = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    hanging = _Hanging()
    consumer, lines = _start_consumer(tmp_path, workers=24)
    try:
        with serving(healthy):
            started = _wait(
                lambda: consumer.poll() is not None or any("consumer started" in x for x in lines),
                60,
            )
            assert started and consumer.poll() is None, "".join(lines)
            now = clock.now()
            for i in range(20):
                make_probe(
                    system,
                    target=f"http://127.0.0.1:{hanging.port}/",
                    timeout_seconds=3,
                    retries=0,
                    next_run_at=now - timedelta(milliseconds=40 - i),
                )
            for i in range(20):
                make_probe(
                    system,
                    target=f"http://127.0.0.1:{healthy.server_port}/",
                    retries=0,
                    next_run_at=now - timedelta(milliseconds=20 - i),
                )
            claim_due(now=now, claimed=lambda runs: tasks.enqueue(runs, task=remote_run))
            assert _wait(lambda: ProbeResult.objects.count() == 40, 12), "".join(lines)
    finally:
        consumer.terminate()
        consumer.wait(timeout=20)
        hanging.close()
        remote.flush()
    results = list(ProbeResult.objects.select_related("probe"))
    healthy_url = f"http://127.0.0.1:{healthy.server_port}/"
    fast = [r for r in results if r.probe.target == healthy_url]
    slow = [r for r in results if r.probe.target != healthy_url]
    lateness = sorted((r.started_at - r.scheduled_for).total_seconds() for r in fast)
    assert len(fast) == len(slow) == 20
    assert all(r.ok for r in fast) and not any(r.ok for r in slow)
    assert lateness[-1] < 1.0, lateness
    # the healthy ones ran while all 20 hanging ones still held their threads
    first_hang = min(r.started_at for r in slow)
    assert max(r.started_at for r in fast) < first_hang + timedelta(seconds=3)
