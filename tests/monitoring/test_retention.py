"""Retention: results older than PROBE_RETENTION_DAYS become exact hourly figures, whole
hours at a time, merged into the rows already there; running it again, in small batches,
or twice at once changes nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection

from campusdesk.monitoring import retention, tasks
from campusdesk.monitoring.models import Probe, ProbeHourly, ProbeResult
from campusdesk.systems.models import ApplicationSystem
from tests.monitoring.conftest import T0, make_probe

NOW = T0 + timedelta(days=100, minutes=25)  # 2026-06-10 02:25 UTC
CUTOFF = datetime.fromisoformat("2026-03-12 02:00+00:00")  # the hour of NOW − 90 days


def result(probe: Probe, at: datetime, ok: bool = True, latency_ms: int | None = 10) -> None:
    ProbeResult.objects.create(
        probe=probe, scheduled_for=at, started_at=at, ok=ok, latency_ms=latency_ms
    )


def hourly() -> dict[tuple[int, str], tuple[int, int, int, int, int]]:
    return {
        (h.probe_id, h.hour.isoformat()): (
            h.runs,
            h.failures,
            h.latency_sum_ms,
            h.latency_count,
            h.latency_max_ms,
        )
        for h in ProbeHourly.objects.all()
    }


@pytest.fixture
def probes(system: ApplicationSystem) -> tuple[Probe, Probe]:
    """Two probes with runs on both sides of the cut-off."""
    a, b = make_probe(system), make_probe(system, target="http://127.0.0.1:10/")
    hour = CUTOFF - timedelta(hours=1)  # 01:00–02:00, the last hour rolled up
    result(a, hour - timedelta(minutes=30), latency_ms=40)  # 00:30
    result(a, hour, latency_ms=10)
    result(a, hour + timedelta(minutes=1), ok=False, latency_ms=None)
    result(a, hour + timedelta(minutes=2), ok=False, latency_ms=3000)
    result(a, CUTOFF - timedelta(microseconds=1), latency_ms=25)
    result(a, CUTOFF, latency_ms=99)  # the first kept
    result(b, hour + timedelta(minutes=5), latency_ms=7)
    result(b, NOW, latency_ms=8)
    return a, b


def test_the_cut_off_is_the_start_of_the_hour_90_days_ago(settings):
    assert retention.cutoff(NOW) == CUTOFF
    settings.PROBE_RETENTION_DAYS = 7
    assert retention.cutoff(NOW) == datetime.fromisoformat("2026-06-03 02:00+00:00")


def expected(a: Probe, b: Probe) -> dict[tuple[int, str], tuple[int, int, int, int, int]]:
    """runs, failures, latency sum, runs with a latency, maximum latency"""
    return {
        (a.pk, "2026-03-12T00:00:00+00:00"): (1, 0, 40, 1, 40),
        (a.pk, "2026-03-12T01:00:00+00:00"): (4, 2, 10 + 3000 + 25, 3, 3000),
        (b.pk, "2026-03-12T01:00:00+00:00"): (1, 0, 7, 1, 7),
    }


def test_old_results_become_exact_hourly_figures(probes):
    a, b = probes
    with time_machine.travel(NOW, tick=False):
        assert retention.rollup() == 6
    assert hourly() == expected(a, b)
    kept = ProbeResult.objects.order_by("started_at")
    assert [(r.probe_id, r.started_at) for r in kept] == [(a.pk, CUTOFF), (b.pk, NOW)]


def test_running_it_again_changes_nothing(probes):
    with time_machine.travel(NOW, tick=False):
        retention.rollup()
        figures = hourly()
        assert retention.rollup() == 0
    assert hourly() == figures
    assert ProbeResult.objects.count() == 2


def test_small_batches_add_up_to_the_same_figures(probes):
    assert retention.rollup(now=NOW, batch=2) == 6
    assert hourly() == expected(*probes)


def test_a_late_result_is_merged_into_its_hour(probes):
    a, _b = probes
    retention.rollup(now=NOW)
    result(a, CUTOFF - timedelta(minutes=10), ok=False, latency_ms=5000)  # written late
    assert retention.rollup(now=NOW + timedelta(days=1)) == 2  # it, and 02:00 a day later
    figures = hourly()
    assert figures[a.pk, "2026-03-12T01:00:00+00:00"] == (5, 3, 8035, 4, 5000)
    assert figures[a.pk, "2026-03-12T02:00:00+00:00"] == (1, 0, 99, 1, 99)


def test_the_nightly_task_rolls_up(probes):
    with time_machine.travel(NOW, tick=False):
        assert tasks.rollup.call_local() == 6
    assert ProbeResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_rollups_at_once_count_each_result_once(system):
    probe = make_probe(system)
    start = CUTOFF - timedelta(hours=3)
    ProbeResult.objects.bulk_create(
        ProbeResult(
            probe=probe,
            scheduled_for=start + timedelta(minutes=i),
            started_at=start + timedelta(minutes=i),
            ok=i % 4 != 0,
            latency_ms=i,
        )
        for i in range(180)
    )
    counted: list[int] = []
    ready = threading.Barrier(2)

    def worker() -> None:
        try:
            ready.wait()
            counted.append(retention.rollup(now=NOW, batch=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counted) == 180
    assert not ProbeResult.objects.exists()
    assert hourly() == {
        (probe.pk, (start + timedelta(hours=k)).isoformat()): (
            60,
            15,  # every fourth run failed
            sum(range(60 * k, 60 * k + 60)),
            60,
            60 * k + 59,
        )
        for k in range(3)
    }
