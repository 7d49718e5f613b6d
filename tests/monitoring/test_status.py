"""What a status page shows (``monitoring.status``): a system's state, its uptime from raw
and rolled-up runs counted once each, the latency by local hour, open incidents and
announced maintenance, as JSON; a fixed number of queries whatever the number of systems."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import retention, status
from campusdesk.monitoring.checks import CheckResult
from campusdesk.monitoring.models import Outage, Probe, ProbeHourly, ProbeResult
from campusdesk.monitoring.services import record
from campusdesk.systems import services as systems
from campusdesk.systems.models import ApplicationSystem
from tests.monitoring.conftest import T0, make_probe
from tests.tickets.conftest import new_ticket

NOW = T0  # 2026-03-02 02:00 UTC, 10:00 in Shanghai: on the hour


def _run(probe: Probe, at: datetime, ok: bool = True, latency: int | None = 100) -> ProbeResult:
    return ProbeResult.objects.create(
        probe=probe, scheduled_for=at, started_at=at, ok=ok, latency_ms=latency
    )


def _runs(probe: Probe, start: datetime, n: int, failures: int = 0, every: int = 60) -> None:
    """``n`` runs a minute apart from ``start``, the first ``failures`` of them failed."""
    for i in range(n):
        _run(probe, start + timedelta(seconds=i * every), ok=i >= failures)


def _row(system: ApplicationSystem, now: datetime = NOW) -> dict[str, Any]:
    rows = status.system_rows(ApplicationSystem.objects.filter(pk=system.pk), now)
    assert len(rows) == 1
    return rows[0]


# --- uptime -------------------------------------------------------------------------------------
def test_uptime_adds_raw_runs_and_rolled_up_hours(system):
    first, second = make_probe(system), make_probe(system, kind="tcp", target="127.0.0.1:9")
    _runs(first, NOW - timedelta(hours=2), 8, failures=2)  # 24 h: 8 runs, 2 failed
    _runs(second, NOW - timedelta(hours=3), 2)  # 24 h: +2 runs
    _runs(first, NOW - timedelta(days=3), 10, failures=5)  # 7 d: 20 runs, 7 failed
    hour = (NOW - timedelta(days=20)).replace(minute=0)
    ProbeHourly.objects.create(probe=first, hour=hour, runs=60, failures=6)  # 30 d: 80, 13
    ProbeHourly.objects.create(
        probe=second, hour=NOW - timedelta(days=80), runs=20, failures=20
    )  # 90 d: 100 runs, 33 failed
    ProbeHourly.objects.create(probe=first, hour=NOW - timedelta(days=100), runs=9, failures=9)
    _run(first, NOW - timedelta(days=91), ok=False)  # older than 90 days: not counted
    _run(first, NOW + timedelta(minutes=1), ok=False)  # after now: not counted

    assert _row(system)["uptime"] == {"24h": 80.0, "7d": 65.0, "30d": 83.75, "90d": 67.0}


def test_a_rolled_up_hour_beside_its_remaining_runs_is_counted_once(system):
    """An hour partly in ``ProbeHourly`` (the runs it deleted) and partly raw: both halves."""
    probe = make_probe(system)
    hour = NOW - timedelta(days=2)
    ProbeHourly.objects.create(probe=probe, hour=hour, runs=3, failures=1)
    _run(probe, hour + timedelta(minutes=40))
    _run(probe, hour + timedelta(minutes=50), ok=False)
    assert _row(system)["uptime"]["7d"] == 60.0  # 5 runs, 2 failed


@pytest.mark.parametrize("days", [5, 20])
def test_the_rollup_changes_no_figure(system, settings, days):
    """Before and after ``retention.rollup``: the same uptime; raw rows become hourly ones."""
    probe = make_probe(system)
    for day in (0, 3, 10, 25, 40, 85):
        _runs(probe, NOW - timedelta(days=day, minutes=30), 10, failures=day % 4, every=90)
    before = _row(system)["uptime"]
    settings.PROBE_RETENTION_DAYS = days
    assert retention.rollup(now=NOW) > 0
    assert ProbeHourly.objects.filter(probe=probe).exists()
    assert not ProbeResult.objects.filter(started_at__lt=NOW - timedelta(days=days)).exists()
    assert _row(system)["uptime"] == before
    assert before == {"24h": 100.0, "7d": 85.0, "30d": 85.0, "90d": 88.33}  # cut, not rounded


def test_uptime_is_none_before_anything_ran_and_never_rounds_up_to_100(system):
    probe = make_probe(system)
    assert _row(system)["uptime"] == dict.fromkeys(status.PERIODS)
    ProbeHourly.objects.create(probe=probe, hour=NOW - timedelta(days=1), runs=99999, failures=1)
    assert _row(system)["uptime"]["7d"] == 99.99
    assert status.percent(0, 0) is None and status.percent(3, 0) == 100.0


# --- state --------------------------------------------------------------------------------------
def test_state_up_down_maintenance_unknown(system, people):
    assert (_row(system)["state"], _row(system)["since"]) == ("unknown", None)  # no probe
    probe = make_probe(system)
    assert _row(system)["state"] == "unknown"  # not run yet
    Probe.objects.filter(pk=probe.pk).update(state="up", last_run_at=NOW)
    assert (_row(system)["state"], _row(system)["since"]) == ("up", None)
    Probe.objects.filter(pk=probe.pk).update(state="down")
    assert _row(system)["state"] == "down"  # a probe down, no outage yet

    since = NOW - timedelta(minutes=5)
    Probe.objects.filter(pk=probe.pk).update(state="up")
    outage = Outage.objects.create(system=system, probe=probe, started_at=since, detected_at=NOW)
    assert (_row(system)["state"], _row(system)["since"]) == ("down", since)
    assert _row(system)["open_incidents"] == []  # no incident registered: not listed

    window = MaintenanceWindow.objects.create(
        system=system, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1)
    )
    row = _row(system)
    assert (row["state"], row["since"]) == ("maintenance", window.starts_at)

    window.delete()
    Outage.objects.filter(pk=outage.pk).update(ended_at=NOW - timedelta(minutes=1))
    assert (_row(system)["state"], _row(system)["since"]) == ("up", NOW - timedelta(minutes=1))


def test_a_paused_probe_is_left_out(system):
    make_probe(system, is_active=False, state="down")
    row = _row(system)
    assert row["probes"] == [] and row["state"] == "unknown"


def test_state_follows_recorded_runs(system):
    """Built with ``services.record``: three failures open the outage, a success ends it."""
    probe = make_probe(system, failures_to_open=3)
    for minute in range(3):
        at = NOW - timedelta(minutes=10 - minute)
        record(
            probe,
            CheckResult(ok=False, latency_ms=None, error="refused"),
            scheduled_for=at,
            started_at=at,
        )
        probe.refresh_from_db()
    row = _row(system)
    assert row["state"] == "down" and row["since"] == NOW - timedelta(minutes=10)
    assert [i["number"] for i in row["open_incidents"]] != []  # the incident registered
    at = NOW - timedelta(minutes=1)
    record(probe, CheckResult(ok=True, latency_ms=40), scheduled_for=at, started_at=at)
    row = _row(system)
    assert (row["state"], row["since"], row["open_incidents"]) == ("up", at, [])
    assert row["uptime"]["24h"] == 25.0


# --- latency ------------------------------------------------------------------------------------
def test_latency_by_local_hour_over_the_last_day(system):
    probe, other = make_probe(system), make_probe(system, kind="tcp", target="127.0.0.1:9")
    _run(probe, NOW - timedelta(minutes=50), latency=100)  # 09:10 in Shanghai
    _run(other, NOW - timedelta(minutes=40), latency=300)
    _run(probe, NOW - timedelta(minutes=30), latency=None, ok=False)  # no latency: left out
    _run(probe, NOW - timedelta(hours=5, minutes=50), latency=80)  # 04:10 in Shanghai
    _run(probe, NOW - timedelta(hours=25), latency=999)  # more than a day ago
    latency = _row(system)["latency"]
    assert [(hour.isoformat(), avg) for hour, avg in latency] == [
        ("2026-03-02T04:00:00+08:00", 80.0),
        ("2026-03-02T09:00:00+08:00", 200.0),
    ]


# --- JSON ---------------------------------------------------------------------------------------
def test_organisation_status_is_json_with_incidents_and_maintenance(system, people, project):
    probe = make_probe(system, state="down", last_run_at=NOW, cert_expires_at=NOW)
    ticket = new_ticket(project, people["user"], title="研究生管理系统无法访问")
    Outage.objects.create(
        system=system, probe=probe, started_at=NOW, detected_at=NOW, ticket=ticket
    )
    weekly = MaintenanceWindow.objects.create(
        system=system,
        starts_at=NOW - timedelta(days=6, hours=1),  # Tuesday 09:00 Shanghai, two hours
        ends_at=NOW - timedelta(days=6) + timedelta(hours=1),
        reason="每周备份",
        weekly=True,
    )
    MaintenanceWindow.objects.create(
        system=system, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1)
    )  # over: not announced
    data = status.organisation_status(system.organisation, NOW)
    assert json.loads(json.dumps(data)) == data
    assert data["organisation"] == {"id": system.organisation_id, "name": "新疆师范大学"}
    assert data["generated_at"] == "2026-03-02T10:00:00+08:00"
    row = next(r for r in data["systems"] if r["id"] == system.pk)
    assert row["state"] == "down" and row["since"] == "2026-03-02T10:00:00+08:00"
    assert row["open_incidents"] == [
        {
            "ticket": ticket.pk,
            "number": ticket.number,
            "title": "研究生管理系统无法访问",
            "since": "2026-03-02T10:00:00+08:00",
        }
    ]
    assert row["maintenance"] == [
        {
            "id": weekly.pk,
            "starts_at": "2026-03-03T09:00:00+08:00",  # its next occurrence, a week on
            "ends_at": "2026-03-03T11:00:00+08:00",
            "reason": "每周备份",
            "weekly": True,
        }
    ]
    assert row["probes"] == [
        {
            "id": probe.pk,
            "kind": "http",
            "name": "",
            "state": "down",
            "last_run_at": "2026-03-02T10:00:00+08:00",
            "last_latency_ms": None,
            "cert_expires_at": "2026-03-02T10:00:00+08:00",
        }
    ]
    assert set(row) >= {"id", "name", "importance", "uptime", "latency"}


def test_systems_narrow_the_page_and_overview_names_the_organisation(system, people):
    rows = status.organisation_status(
        system.organisation, NOW, systems=ApplicationSystem.objects.filter(pk=system.pk)
    )["systems"]
    assert [r["id"] for r in rows] == [system.pk]
    overview = status.overview(ApplicationSystem.objects.all(), NOW)
    mine = next(r for r in overview if r["id"] == system.pk)
    assert mine["organisation"] == {"id": system.organisation_id, "name": "新疆师范大学"}
    assert json.loads(json.dumps(overview)) == overview


# --- queries ------------------------------------------------------------------------------------
def _systems(engineer: User, project: Project, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        system = systems.system_create(actor=engineer, project=project, name=f"系统 {i}")
        probe = make_probe(system, state="up", last_run_at=NOW)
        _runs(probe, NOW - timedelta(hours=1), 3, failures=1)
        ProbeHourly.objects.create(probe=probe, hour=NOW - timedelta(days=40), runs=5, failures=0)
        Outage.objects.create(system=system, probe=probe, started_at=NOW, detected_at=NOW)
        MaintenanceWindow.objects.create(
            system=system, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2)
        )


def _queries(organisation: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        status.organisation_status(organisation, NOW)
        status.overview(ApplicationSystem.objects.all(), NOW)
    return len(queries)


def test_a_fixed_number_of_queries_whatever_the_number_of_systems(system, people, project):
    _systems(people["engineer"], project, 2)
    few = _queries(system.organisation)
    _systems(people["engineer"], project, 6, first=2)
    assert _queries(system.organisation) == few <= 2 * 9


def test_a_systems_page_reads_its_probes_outages_and_windows_in_six_queries(system, people):
    up = make_probe(system, state="up", last_run_at=NOW)
    paused = make_probe(system, kind="tcp", target="127.0.0.1:9", is_active=False)
    _runs(up, NOW - timedelta(hours=1), 4, failures=1)
    _runs(paused, NOW - timedelta(days=20), 4)
    for day in range(12):
        start = NOW - timedelta(days=day + 1)
        end = start + timedelta(hours=1)
        Outage.objects.create(system=system, started_at=start, detected_at=start, ended_at=end)
    MaintenanceWindow.objects.create(
        system=system, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2)
    )
    with CaptureQueriesContext(connection) as queries:
        detail = status.system_detail(system, NOW)
    assert len(queries) == 6
    assert [(p.pk, u["24h"], u["30d"]) for p, u in detail["probes"]] == [
        (up.pk, 75.0, 75.0),
        (paused.pk, None, 100.0),  # a paused probe's history still counts
    ]
    row = detail["row"]
    assert row["uptime"]["30d"] == 87.5 and [p["id"] for p in row["probes"]] == [up.pk]
    assert (row["state"], row["since"]) == ("up", NOW - timedelta(hours=23))
    assert len(detail["outages"]) == status.RECENT_OUTAGES and len(row["maintenance"]) == 1
