"""From probe results to incidents: one incident per outage whatever the number of workers,
a counter for further failures, the recovery note with the outage's length, flaps kept in
one outage, maintenance windows that suppress, and certificate warnings once per
certificate and threshold. The end-to-end case runs real probes against a real HTTP server
on loopback that is healthy, then fails, then recovers."""

from __future__ import annotations

import http.server
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import services
from campusdesk.monitoring.checks import CheckResult
from campusdesk.monitoring.models import CertificateWarning, Outage, Probe, ProbeResult
from campusdesk.systems.models import ApplicationSystem, SystemEvent, TicketSystem
from campusdesk.tickets import services as tickets
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.helpers import serving
from tests.monitoring.conftest import T0, make_probe

OK = CheckResult(ok=True, latency_ms=12, status_code=200)
DOWN = CheckResult(ok=False, latency_ms=None, error="ConnectionRefusedError: refused")


def run(probe: Probe, result: CheckResult, at: datetime) -> None:
    """Record ``result`` as the run due and started at ``at`` (a fresh read, as a worker)."""
    services.record(Probe.objects.get(pk=probe.pk), result, scheduled_for=at, started_at=at)


def series(probe: Probe, results: list[CheckResult], start: datetime = T0) -> datetime:
    at = start
    for result in results:
        run(probe, result, at)
        at += timedelta(seconds=probe.interval_seconds)
    return at


def incidents() -> list[Ticket]:
    return list(Ticket.objects.filter(created_by__username=services.PROBE_USER).order_by("id"))


def test_three_failures_open_one_incident_then_only_a_counter(system, people):
    probe = make_probe(system)
    series(probe, [OK, DOWN, DOWN])
    assert incidents() == [] and not Outage.objects.exists()
    end = series(probe, [DOWN, DOWN, DOWN], T0 + timedelta(minutes=3))
    [ticket] = incidents()
    assert ticket.reporter == people["user"] and ticket.urgency == "critical"  # 核心 → SIS1
    assert ticket.service_type == "incident" and ticket.channel == "alert"
    assert "研究生管理系统" in ticket.title and "ConnectionRefusedError" in ticket.description
    assert TicketSystem.objects.get(ticket=ticket).system == system
    outage = Outage.objects.get()
    # down since the first failed run (T0+1 min), noticed at the third (T0+3 min)
    assert outage.started_at == T0 + timedelta(minutes=1)
    assert outage.detected_at == T0 + timedelta(minutes=3) and outage.notice_seconds == 120
    assert outage.ticket == ticket and outage.failures == 5
    probe.refresh_from_db()
    assert probe.state == "down" and probe.consecutive_failures == 5
    assert SystemEvent.objects.filter(system=system, action="outage.opened").count() == 1
    assert end == T0 + timedelta(minutes=6)


def test_recovery_ends_the_outage_and_asks_the_handler_to_confirm_the_cause(system, people):
    probe = make_probe(system)
    series(probe, [OK, DOWN, DOWN, DOWN, DOWN])
    [ticket] = incidents()
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        run(probe, OK, T0 + timedelta(minutes=50))
    outage = Outage.objects.get()
    assert outage.ended_at == T0 + timedelta(minutes=50)
    note = TicketEvent.objects.get(ticket=ticket, action="probe_recovered")
    assert note.data["seconds"] == 49 * 60 and note.data["duration"]
    assert "49" in note.data["duration"]
    ticket.refresh_from_db()
    assert ticket.status == "new"  # only the customer closes
    probe.refresh_from_db()
    assert probe.state == "up" and probe.consecutive_failures == 0
    # recovered, then down again an hour later (beyond the flap window): a new incident
    series(probe, [DOWN, DOWN, DOWN], T0 + timedelta(minutes=120))
    assert len(incidents()) == 2 and Outage.objects.count() == 2


def test_a_flapping_target_stays_one_incident_with_a_flap_count(system):
    probe = make_probe(system)
    at = series(probe, [DOWN, DOWN, DOWN, OK, DOWN, DOWN, DOWN, OK, DOWN, DOWN, DOWN])
    assert len(incidents()) == 1
    outage = Outage.objects.get()
    assert outage.flaps == 2 and outage.ended_at is None
    [ticket] = incidents()
    assert TicketEvent.objects.filter(ticket=ticket, action="probe_flapped").count() == 2
    assert TicketEvent.objects.filter(ticket=ticket, action="probe_recovered").count() == 2
    run(probe, OK, at)
    assert Outage.objects.get().ended_at == at


def test_two_probes_of_one_system_are_one_outage_until_both_are_up(system):
    http_probe = make_probe(system)
    tcp = make_probe(system, kind="tcp", target="127.0.0.1:9")
    for minute in range(3):
        at = T0 + timedelta(minutes=minute)
        run(http_probe, DOWN, at)
        run(tcp, DOWN, at + timedelta(seconds=1))
    assert len(incidents()) == 1 and Outage.objects.count() == 1
    run(http_probe, OK, T0 + timedelta(minutes=4))
    assert Outage.objects.get().ended_at is None  # the TCP port is still down
    run(tcp, OK, T0 + timedelta(minutes=4, seconds=1))
    assert Outage.objects.get().ended_at == T0 + timedelta(minutes=4, seconds=1)


def test_a_maintenance_window_suppresses_the_incident(system):
    MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(minutes=30), reason="升级"
    )
    probe = make_probe(system)
    series(probe, [DOWN] * 5)
    assert incidents() == []
    outage = Outage.objects.get()
    assert outage.in_maintenance and outage.ticket is None
    run(probe, OK, T0 + timedelta(minutes=10))
    assert Outage.objects.get().ended_at is not None and incidents() == []
    assert ProbeResult.objects.filter(probe=probe).count() == 6  # still recorded


def test_down_when_the_window_ends_registers_the_outage_once_not_again(system):
    probe = make_probe(system)
    series(probe, [DOWN] * 3)  # an incident before the window
    [ticket] = incidents()
    MaintenanceWindow.objects.create(
        system=system, starts_at=T0 + timedelta(minutes=5), ends_at=T0 + timedelta(minutes=20)
    )
    series(probe, [DOWN] * 30, T0 + timedelta(minutes=3))  # through the window and beyond
    assert incidents() == [ticket] and Outage.objects.count() == 1


def test_down_throughout_a_window_is_registered_once_after_it(system):
    MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(minutes=10), weekly=True
    )
    probe = make_probe(system)
    series(probe, [DOWN] * 10)
    assert incidents() == []
    series(probe, [DOWN] * 5, T0 + timedelta(minutes=10))
    [ticket] = incidents()
    outage = Outage.objects.get()
    assert outage.ticket == ticket and outage.in_maintenance
    # a week later the weekly window is on again: the next outage opens nothing
    run(probe, OK, T0 + timedelta(minutes=20))
    series(probe, [DOWN] * 5, T0 + timedelta(days=7, minutes=1))
    assert len(incidents()) == 1


def test_a_certificate_nearing_expiry_opens_one_sis3_ticket_per_threshold(system):
    probe = make_probe(system, kind="tls", target="127.0.0.1:443")
    expires = T0 + timedelta(days=20)
    valid = CheckResult(ok=True, latency_ms=5, cert_expires_at=expires)
    series(probe, [CheckResult(ok=True, latency_ms=5, cert_expires_at=T0 + timedelta(days=90))])
    assert incidents() == []
    for day in range(5):  # daily runs: never one ticket a day
        run(probe, valid, T0 + timedelta(days=day))
    [ticket] = incidents()
    assert ticket.urgency == "medium"  # SIS3
    assert "127.0.0.1:443" in ticket.title
    assert CertificateWarning.objects.get().threshold == 30
    run(probe, valid, expires - timedelta(days=6))  # 7 days crossed: a note on the same ticket
    assert incidents() == [ticket]
    assert TicketEvent.objects.filter(ticket=ticket, action="cert_warning").count() == 1
    assert sorted(CertificateWarning.objects.values_list("threshold", flat=True)) == [7, 30]
    # a renewed certificate that later nears its own expiry is a new warning
    renewed = CheckResult(ok=True, latency_ms=5, cert_expires_at=expires + timedelta(days=25))
    run(probe, renewed, expires)
    assert len(incidents()) == 2


def test_a_certificate_first_seen_at_five_days_opens_one_ticket_not_two(system):
    probe = make_probe(system, kind="tls", target="127.0.0.1:443")
    run(probe, CheckResult(ok=True, latency_ms=5, cert_expires_at=T0 + timedelta(days=5)), T0)
    assert len(incidents()) == 1
    assert list(CertificateWarning.objects.values_list("threshold", flat=True)) == [7]


def test_stale_reads_of_two_workers_flip_once(system):
    """Two workers read the probe before either wrote: the conditional updates let one on."""
    probe = make_probe(system)
    series(probe, [DOWN, DOWN])
    first, second = Probe.objects.get(pk=probe.pk), Probe.objects.get(pk=probe.pk)
    at = T0 + timedelta(minutes=2)
    services.record(first, DOWN, scheduled_for=at, started_at=at)
    services.record(second, DOWN, scheduled_for=at, started_at=at)
    assert len(incidents()) == 1 and Outage.objects.get().failures == 4


def test_an_organisation_without_users_keeps_the_outage_without_a_ticket(system, people):
    User.objects.filter(organisation=system.organisation).update(is_active=False)
    system.customer_contact = None
    system.save(update_fields=["customer_contact"])
    probe = make_probe(system)
    series(probe, [DOWN] * 4)
    assert incidents() == [] and Outage.objects.get().ended_at is None


# --- real workers, real server ---------------------------------------------------------------
class Switch(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = b"ok" if Switch.status == 200 else b"down"
        self.send_response(Switch.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def switch_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Switch)
    Switch.status = 200
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.server_close()


def race(probe_id: int, workers: int = 2) -> None:
    """``workers`` threads, each its own connection, run the probe at the same moment."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            services.probe_run(probe_id)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_real_server_healthy_failing_recovering_with_two_workers_racing(
    switch_server: str, people: dict[str, User], project
):
    from tests.systems.changefix import registered

    system: ApplicationSystem = registered(people["engineer"], project)
    probe = services.probe_create(
        actor=people["engineer"],
        system_id=system.pk,
        data={"kind": "http", "target": switch_server, "failures_to_open": 3, "timeout_seconds": 5},
    )
    race(probe.pk)
    probe.refresh_from_db()
    assert probe.state == "up" and ProbeResult.objects.filter(ok=True).count() == 2

    Switch.status = 503
    for _ in range(3):  # six failed runs: the threshold crossed by racing workers
        race(probe.pk)
    assert Outage.objects.count() == 1
    [ticket] = incidents()
    assert ticket.urgency == "medium"  # 一般 → SIS3
    assert ticket.reporter.organisation_id == system.organisation_id

    Switch.status = 200
    race(probe.pk)
    outage = Outage.objects.get()
    assert outage.ended_at is not None and outage.ticket == ticket
    assert TicketEvent.objects.filter(ticket=ticket, action="probe_recovered").count() == 1
    assert len(incidents()) == 1

    # the normal flow from there: accepted, solved, and only the customer closes
    tickets.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS3",
        committed_resolution_at=timezone.now() + timedelta(hours=8),
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"
