"""Retention of probe results: runs older than ``PROBE_RETENTION_DAYS`` become hourly figures.

A year of one-minute runs is 525,600 rows per probe; an hour of them is one ``ProbeHourly``
row (runs, failures, latency sum, count and maximum). ``rollup`` works a batch at a time,
so its memory stays bounded whatever the backlog:

1. The cut-off is the start of the hour ``PROBE_RETENTION_DAYS`` ago: an hour is rolled
   up whole, so it is either in the hourly figures or in the results, never split.
2. In one transaction: lock a batch of the oldest results (PostgreSQL: ``SKIP LOCKED``, so
   a second rollup running at the same time takes other rows; SQLite takes its write lock
   at BEGIN, so the second waits), add them up per probe and hour, merge the sums into the
   hourly rows with one upsert that adds to what is there, and delete the batch. A result
   is counted once: the transaction that deletes it is the one that added it.
3. Repeat until no result is older than the cut-off. Running it again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from campusdesk.core import clock
from campusdesk.monitoring.models import ProbeHourly, ProbeResult

#: results per transaction: ~10 MB of Python tuples, and under SQLite's 32,766 parameters
#: of the DELETE; 1M results rolled up in 24 s on PostgreSQL (5,000: 35 s; bench/RESULTS.md)
BATCH = 20_000


@dataclass
class Hour:
    """The figures of one probe's hour, as they add up."""

    runs: int = 0
    failures: int = 0
    latency_sum_ms: int = 0
    latency_count: int = 0
    latency_max_ms: int = 0

    def add(self, ok: bool, latency_ms: int | None) -> None:
        self.runs += 1
        self.failures += 0 if ok else 1
        if latency_ms is not None:
            self.latency_sum_ms += latency_ms
            self.latency_count += 1
            self.latency_max_ms = max(self.latency_max_ms, latency_ms)


def cutoff(now: datetime) -> datetime:
    """The start of the hour ``PROBE_RETENTION_DAYS`` before ``now``: older runs roll up."""
    moment = (now - timedelta(days=settings.PROBE_RETENTION_DAYS)).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def rollup(now: datetime | None = None, batch: int = BATCH) -> int:
    """Roll the results older than the retention into hourly figures; returns how many."""
    before = cutoff(now or clock.now())
    total = 0
    while True:
        done = _rollup_batch(before, batch)
        total += done
        if done == 0:
            return total


def _rollup_batch(before: datetime, batch: int) -> int:
    with transaction.atomic():
        rows = list(
            ProbeResult.objects.filter(started_at__lt=before)
            .order_by("started_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "probe_id", "started_at", "ok", "latency_ms")[:batch]
        )
        if not rows:
            return 0
        hours: dict[tuple[int, datetime], Hour] = defaultdict(Hour)
        for _pk, probe_id, started_at, ok, latency_ms in rows:
            hour = started_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            hours[probe_id, hour].add(ok, latency_ms)
        _merge(hours)
        ProbeResult.objects.filter(pk__in=[row[0] for row in rows]).delete()
    return len(rows)


#: adds a batch's figures to the hour's row, or makes it: ON CONFLICT DO UPDATE, which
#: PostgreSQL and SQLite both know, is one atomic statement even with two rollups at once
_UPSERT = """
INSERT INTO {table} AS h
    (probe_id, hour, runs, failures, latency_sum_ms, latency_count, latency_max_ms)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (probe_id, hour) DO UPDATE SET
    runs = h.runs + EXCLUDED.runs,
    failures = h.failures + EXCLUDED.failures,
    latency_sum_ms = h.latency_sum_ms + EXCLUDED.latency_sum_ms,
    latency_count = h.latency_count + EXCLUDED.latency_count,
    latency_max_ms = CASE WHEN EXCLUDED.latency_max_ms > h.latency_max_ms
        THEN EXCLUDED.latency_max_ms ELSE h.latency_max_ms END
"""


def _merge(hours: dict[tuple[int, datetime], Hour]) -> None:
    """Add ``hours`` to the hourly rows."""
    sql = _UPSERT.format(table=connection.ops.quote_name(ProbeHourly._meta.db_table))
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (
            probe,
            adapt(hour),
            h.runs,
            h.failures,
            h.latency_sum_ms,
            h.latency_count,
            h.latency_max_ms,
        )
        for (probe, hour), h in hours.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
